"""Item analysis of a large exam, as a ratio to reading its rows from the database.

One run sets up a throwaway SQLite database migrated to head with a bank of Q single-choice
questions (default 50, four options each) in one exam, a cohort of A trainees (default
1,000) and its trainer, and one graded attempt per trainee with an answer to every
question, chosen from a simulated ability so that the questions discriminate (the rows are
written in bulk; set-up is not measured). Then, R rounds (default 5):

1. read: the rows the analysis needs, with plain SELECTs: the exam's attempts of the
   cohort, and their responses (attempt, question version, points, maximum, answer);
2. report: `portal.analytics.exams.exam_report` — the same reads through the service, the
   response matrix, the exam's and every question's statistics, the options of every
   question (distractor analysis) and the question versions' definitions;
3. statistics: only the pure part (`stats.exam_statistics`, `stats.item_statistics` and
   `stats.distractor_analysis` on a matrix built beforehand).

It prints the median of each and their ratios to the read. Nothing asserts on timing; the
exit status is 1 only if the report counts the wrong number of attempts or questions.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.support import database, fmt, machine, new_instance

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EXAM_KEY = "bench-analytics"
OPTIONS = "abcd"


@dataclass(frozen=True)
class Report:
    attempts: int
    questions: int
    rounds: int
    read_seconds: float
    report_seconds: float
    stats_seconds: float
    counted: int
    items: int

    def ratio(self, seconds: float) -> float:
        return seconds / self.read_seconds if self.read_seconds else float("inf")


def _bank(questions: int) -> tuple[str, str]:
    lines = ["key: bench-bank", "title: 压测题库", "questions:"]
    for q in range(1, questions + 1):
        lines += [f"  - id: q{q:03d}", "    kind: single-choice",
                  f"    prompt: 第 {q} 题：买家问发货时间，应怎么回答？", "    points: 2",
                  "    difficulty: medium", "    tags: [stage:basics]", "    choices:"]
        for i, key in enumerate(OPTIONS):
            right = "true" if i == 0 else "false"
            lines.append(f"      - {{key: {key}, text: 说法{key.upper()}{q}, correct: {right}}}")
    exam = "\n".join([
        f"key: {EXAM_KEY}", "title: 压测考试", "pass_mark: 60", "time_limit_minutes: 60",
        "attempts: 1", "counts: highest", "wait_minutes: 0", "shuffle_questions: false",
        "shuffle_options: false", "review: {when: after-submit, show: [score]}", "questions:",
        "  fixed: [" + ", ".join(f"bench-bank/q{q:03d}" for q in range(1, questions + 1)) + "]"])
    return "\n".join(lines) + "\n", exam + "\n"


def _set_up(session: Session, attempts: int, questions: int) -> int:
    """The bank, the exam, the cohort and its graded attempts; returns the trainer's id."""
    from portal.auth.models import Cohort, Role, User
    from portal.auth.passwords import hash_password
    from portal.exams import services as exam_services
    from portal.exams.bank import load_bank
    from portal.exams.definitions import load_exam
    from portal.exams.models import Attempt, AttemptStatus, Exam, Question, Response

    bank_text, exam_text = _bank(questions)
    bank, problems = load_bank(bank_text.encode(), "bench-bank.yaml")
    exam_def, exam_problems = load_exam(exam_text, "bench-exam.yaml")
    assert bank is not None and exam_def is not None, problems + exam_problems
    exam_services.apply_import(session, banks=[bank], exams=[exam_def], actor_id=None, now=NOW)
    exam = session.scalar(sa.select(Exam).where(Exam.key == EXAM_KEY))
    assert exam is not None and exam.current_version_id is not None
    versions = list(session.execute(sa.select(Question.qid, Question.current_version_id)
                                    .order_by(Question.qid)).all())
    password = hash_password("bench-password-2026")
    trainer = User(employee_no="bench-trainer", display_name="压测组长", role=Role.TRAINER,
                   password_hash=password, created_at=NOW, updated_at=NOW)
    session.add(trainer)
    cohort = Cohort(name="压测批次", start_date=date(2026, 11, 23), track_key="new-hire",
                    created_at=NOW)
    cohort.staff = [trainer]
    session.add(cohort)
    session.flush()
    users = [{"employee_no": f"bench-a{i:05d}", "display_name": f"压测学员 {i}",
              "role": Role.TRAINEE, "password_hash": password, "cohort_id": cohort.id,
              "active": True, "must_change_password": False, "session_version": 1,
              "created_at": NOW, "updated_at": NOW} for i in range(attempts)]
    session.execute(sa.insert(User), users)
    ids = list(session.scalars(sa.select(User.id).where(User.cohort_id == cohort.id)
                               .order_by(User.id)))
    rng = random.Random(2026)
    ability = [rng.gauss(0, 1) for _ in ids]
    difficulty = [rng.gauss(0, 1) for _ in versions]
    started = NOW - timedelta(hours=2)
    session.execute(sa.insert(Attempt), [
        {"user_id": uid, "exam_id": exam.id, "exam_version_id": exam.current_version_id,
         "number": 1, "status": AttemptStatus.GRADED, "started_at": started,
         "deadline_at": started + timedelta(hours=1),
         "submitted_at": started + timedelta(minutes=20 + rng.randrange(30))} for uid in ids])
    attempt_ids = dict(session.execute(sa.select(Attempt.user_id, Attempt.id)
                                       .where(Attempt.exam_id == exam.id)).all())
    rows = []
    for a, uid in enumerate(ids):
        for position, ((_, version_id), d) in enumerate(zip(versions, difficulty), start=1):
            right = rng.random() < 1 / (1 + 2.718281828 ** (-(ability[a] - d)))
            answer = "a" if right else rng.choice(OPTIONS[1:])
            rows.append({"attempt_id": attempt_ids[uid], "position": position,
                         "question_version_id": version_id, "option_order": list(OPTIONS),
                         "answer": answer, "revision": 1, "saved_at": started,
                         "points": 2.0 if right else 0.0, "max_points": 2.0})
    session.execute(sa.insert(Response), rows)
    session.commit()
    return trainer.id


def _read_rows(session: Session) -> int:
    """The rows the analysis reads, with plain SELECTs (the baseline)."""
    from portal.auth.models import Role, User
    from portal.exams.models import Attempt, Exam, Response

    exam_id = session.scalar(sa.select(Exam.id).where(Exam.key == EXAM_KEY))
    trainees = sa.select(User.id).where(User.role == Role.TRAINEE)
    attempts = session.execute(sa.select(Attempt.id, Attempt.user_id, Attempt.number,
                                         Attempt.status, Attempt.started_at,
                                         Attempt.submitted_at)
                               .where(Attempt.exam_id == exam_id,
                                      Attempt.user_id.in_(trainees))).all()
    responses = session.execute(sa.select(Response.attempt_id, Response.question_version_id,
                                          Response.points, Response.max_points, Response.answer)
                                .join(Attempt, Attempt.id == Response.attempt_id)
                                .where(Attempt.exam_id == exam_id,
                                       Attempt.user_id.in_(trainees))).all()
    return len(attempts) + len(responses)


def run(*, attempts: int, questions: int, rounds: int, folder: Path) -> Report:
    from portal.analytics import exams as analysis
    from portal.analytics import stats
    from portal.auth.models import User

    instance = new_instance(folder)
    with database(instance) as make_session:
        with make_session() as session:
            trainer_id = _set_up(session, attempts, questions)
        reads, reports, pure = [], [], []
        counted = items = 0
        for _ in range(rounds):
            with make_session() as session:
                started = time.perf_counter()
                _read_rows(session)
                reads.append(time.perf_counter() - started)
            with make_session() as session:
                trainer = session.get(User, trainer_id)
                assert trainer is not None
                started = time.perf_counter()
                report = analysis.exam_report(session, actor=trainer, exam_key=EXAM_KEY)
                reports.append(time.perf_counter() - started)
                counted, items = report.exam.n, len(report.items)
                matrix = stats.ResponseMatrix(
                    items=tuple(stats.Item(r.item_id, r.stats.max_points) for r in report.items),
                    attempts=_attempts(session))
                choices = [stats.ChoiceResponses(
                    item_id=r.item_id, options=tuple(o.option_id for o in r.options),
                    key=frozenset({"a"}), chosen=_chosen(session, int(r.item_id)))
                    for r in report.items]
                started = time.perf_counter()
                stats.exam_statistics(matrix, pass_mark=60)
                stats.item_statistics(matrix)
                for choice in choices:
                    stats.distractor_analysis(matrix, choice)
                pure.append(time.perf_counter() - started)
    return Report(attempts=attempts, questions=questions, rounds=rounds,
                  read_seconds=statistics.median(reads),
                  report_seconds=statistics.median(reports),
                  stats_seconds=statistics.median(pure), counted=counted, items=items)


def _attempts(session: Session) -> tuple:  # type: ignore[type-arg]
    from portal.analytics import stats
    from portal.exams.models import Response

    points: dict[int, dict[str, float | None]] = {}
    for attempt_id, version_id, earned in session.execute(
            sa.select(Response.attempt_id, Response.question_version_id, Response.points)):
        points.setdefault(attempt_id, {})[str(version_id)] = earned
    return tuple(stats.Attempt(a, p) for a, p in points.items())


def _chosen(session: Session, version_id: int) -> dict[int, frozenset[str]]:
    from portal.exams.models import Response

    return {a: frozenset({answer}) for a, answer in session.execute(
        sa.select(Response.attempt_id, Response.answer)
        .where(Response.question_version_id == version_id))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench analytics",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=1000, help="graded attempts (1000)")
    parser.add_argument("--questions", type=int, default=50, help="questions in the exam (50)")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds; medians (5)")
    args = parser.parse_args(list(argv or []))
    if not 2 <= args.attempts <= 20000 or not 2 <= args.questions <= 200 \
            or not 1 <= args.rounds <= 50:
        parser.error("--attempts 2-20000, --questions 2-200, --rounds 1-50")
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as folder:
        report = run(attempts=args.attempts, questions=args.questions, rounds=args.rounds,
                     folder=Path(folder))
    print(f"analytics: item analysis of {report.attempts} attempts x {report.questions} "
          f"questions, {report.rounds} rounds, SQLite ({machine()})")
    print(f"  read the rows (plain SELECTs)       {fmt(report.read_seconds * 1000, '8.1f')} ms"
          "     1.0")
    print(f"  exam_report (reads + statistics)    {fmt(report.report_seconds * 1000, '8.1f')} ms"
          f"  {fmt(report.ratio(report.report_seconds), '6.1f')}")
    print(f"  statistics alone (pure)             {fmt(report.stats_seconds * 1000, '8.1f')} ms"
          f"  {fmt(report.ratio(report.stats_seconds), '6.1f')}")
    ok = report.counted == report.attempts and report.items == report.questions
    print(f"  check: {report.counted} attempts and {report.items} questions counted"
          f"{'' if ok else ' (WRONG)'}")
    return 0 if ok else 1
