"""Attempts at written exams: start, autosave with revisions, submit, the deadline, settling
the score (and reporting a pass to the stage), and what the trainee sees before and after.
"""
from __future__ import annotations

import json
import random
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.auth.models import Role, User
from portal.courses import services as courses
from portal.courses.errors import StageLocked
from portal.db import insert_ignore, per_engine
from portal.errors import DomainError, Forbidden, NotFound
from portal.exams import kinds, rules
from portal.exams.errors import AttemptClosed, CannotStart, RevisionInvalid
from portal.exams.models import (
    Attempt,
    AttemptStatus,
    Exam,
    ExamOverride,
    ExamVersion,
    Question,
    QuestionBank,
    QuestionVersion,
    Response,
    SubmittedBy,
)
from portal.exams.services.imports import question_pool
from portal.messages import N_

MAX_ANSWER_BYTES = 20_000
# A page counts its saves from 1; no real attempt comes near a billion saves of one answer.
MAX_REVISION = 10**9


# --- exams for a trainee -----------------------------------------------------------


def get_exam(session: Session, exam_key: str) -> Exam:
    exam = session.scalar(sa.select(Exam).where(Exam.key == exam_key))
    if exam is None or exam.current_version is None:
        raise NotFound(N_("找不到考试 %(key)s"), key=exam_key)
    return exam


# The exams online now: courses' catalog of written exams (registered in create_app).
ONLINE_EXAM_KEYS = sa.select(Exam.key).where(Exam.current_version_id.is_not(None))


def existing_exam_keys(session: Session) -> set[str]:
    return set(session.scalars(ONLINE_EXAM_KEYS))


def _override(session: Session, user_id: int, exam_id: int) -> tuple[int, int]:
    row = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(ExamOverride.extra_minutes), 0),
                  sa.func.coalesce(sa.func.sum(ExamOverride.extra_attempts), 0))
        .where(ExamOverride.user_id == user_id, ExamOverride.exam_id == exam_id)).one()
    return int(row[0]), int(row[1])


def attempts_of(session: Session, *, user_id: int, exam_id: int) -> list[Attempt]:
    return list(session.scalars(sa.select(Attempt).where(
        Attempt.user_id == user_id, Attempt.exam_id == exam_id).order_by(Attempt.number)))


@dataclass(frozen=True)
class ExamStatus:
    exam: Exam
    version: ExamVersion
    attempts: list[Attempt]
    open_attempt: Attempt | None
    check: rules.StartCheck
    counted_score: float | None
    passed: bool
    extra_minutes: int


def exam_status(session: Session, *, user: User, exam_key: str, now: datetime) -> ExamStatus:
    exam = get_exam(session, exam_key)
    version = exam.current_version
    assert version is not None
    _check_may_take(session, user, version)
    return _status(exam, version, attempts_of(session, user_id=user.id, exam_id=exam.id),
                   _override(session, user.id, exam.id), session=session, now=now)


def _status(exam: Exam, version: ExamVersion, attempts: list[Attempt],
            override: tuple[int, int], *, session: Session, now: datetime) -> ExamStatus:
    """What the trainee's attempts add up to (one rule for one trainee and for a cohort)."""
    for attempt in attempts:
        finalize_if_expired(session, attempt=attempt, now=now)
    extra_minutes, extra_attempts = override
    open_attempt = next((a for a in attempts if a.status is AttemptStatus.IN_PROGRESS), None)
    finished = [(a.submitted_at, bool(a.passed)) for a in attempts if a.submitted_at is not None]
    definition = version.definition
    check = rules.can_start(attempts_allowed=definition.attempts, extra_attempts=extra_attempts,
                            finished=finished, wait_minutes=definition.wait_minutes, now=now)
    counted = rules.counted([(a.number, a.score) for a in attempts
                             if a.status is AttemptStatus.GRADED], definition.counts)
    return ExamStatus(exam=exam, version=version, attempts=attempts, open_attempt=open_attempt,
                      check=check, counted_score=counted,
                      passed=counted is not None and counted >= definition.pass_mark,
                      extra_minutes=extra_minutes)


def _check_may_take(session: Session, user: User, version: ExamVersion) -> None:
    """A trainee takes an exam of their own track, once its stage is open."""
    if user.role is not Role.TRAINEE:
        raise Forbidden(N_("只有新客服可以参加考试"))
    if version.track_key is None:
        return
    status = courses.stage_for_trainee(session, user=user, track_key=version.track_key,
                                       stage_key=version.stage_key)
    if status is None:
        raise NotFound(N_("这场考试不属于你的培训路线"))
    if status.state.value == "locked":
        raise StageLocked(N_("阶段“%(stage)s”尚未解锁，暂不能参加这场考试"),
                          stage_key=status.key, stage=status.title)


def start_attempt(session: Session, *, user: User, exam_key: str, now: datetime,
                  seed: int | None = None) -> Attempt:
    """Start a new attempt, or return the one already in progress (a double click is harmless)."""
    status = exam_status(session, user=user, exam_key=exam_key, now=now)
    if status.open_attempt is not None:
        return status.open_attempt
    if not status.check.allowed:
        assert status.check.reason is not None
        raise CannotStart(status.check.reason)
    version = status.version
    definition = version.definition
    rng = random.Random(seed if seed is not None else random.SystemRandom().randrange(2**32))
    pool = question_pool(session)
    try:
        refs = rules.select_questions(definition, list(pool.values()), rng)
    except rules.SelectionError as exc:
        raise CannotStart(exc.message) from exc
    number = len(status.attempts) + 1
    # An upsert: two starts at once (a second tab, a double click) both found no open
    # attempt; the later one gets the attempt the earlier one started.
    started = insert_ignore(session, Attempt, {
        "user_id": user.id, "exam_id": status.exam.id, "exam_version_id": version.id,
        "number": number, "status": AttemptStatus.IN_PROGRESS, "started_at": now,
        "deadline_at": rules.deadline(now, minutes=definition.time_limit_minutes,
                                      extra_minutes=status.extra_minutes)},
        index_elements=("user_id", "exam_id", "number"))
    attempt = session.scalars(sa.select(Attempt).where(
        Attempt.user_id == user.id, Attempt.exam_id == status.exam.id,
        Attempt.number == number)).one()
    if not started:
        return attempt
    versions = _current_versions(session, refs)
    for position, ref in enumerate(refs, start=1):
        qv = versions[ref]
        session.add(Response(
            attempt_id=attempt.id, position=position, question_version_id=qv.id,
            option_order=rules.option_order(qv.definition.option_keys,
                                            shuffle=definition.shuffle_options, rng=rng),
            max_points=qv.points))
    session.flush()
    audit.record(session, actor_id=user.id, action="attempt.start", target_type="attempt",
                 target_id=attempt.id, details={"exam": exam_key, "number": attempt.number},
                 now=now)
    return attempt


def _current_versions(session: Session, refs: list[str]) -> dict[str, QuestionVersion]:
    rows = session.execute(
        sa.select(QuestionBank.key, Question.qid, QuestionVersion)
        .join(Question, Question.bank_id == QuestionBank.id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id))
    found = {f"{bank}/{qid}": qv for bank, qid, qv in rows}
    return {ref: found[ref] for ref in refs}


# --- taking an attempt ---------------------------------------------------------------


def get_attempt(session: Session, *, user: User, attempt_id: int, lock: bool = False) -> Attempt:
    """An attempt its owner may see; anyone else gets "not found" (no hint it exists).

    With `lock`, the attempt's row is locked until the transaction ends (PostgreSQL; SQLite's
    writing transactions are exclusive anyway): saves and submissions of one attempt then
    happen one after the other, so a save acknowledged before a submission is always graded.
    """
    return _get_attempt(session, user_id=user.id, attempt_id=attempt_id, lock=lock)


def _get_attempt(session: Session, *, user_id: int, attempt_id: int, lock: bool = False
                 ) -> Attempt:
    query = sa.select(Attempt).where(Attempt.id == attempt_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    attempt = session.scalar(query)
    if attempt is None or attempt.user_id != user_id:
        raise NotFound(N_("找不到该作答记录"))
    return attempt


def _lock(session: Session, attempt: Attempt) -> Attempt:
    """Re-read an attempt under a row lock (its state may have changed meanwhile)."""
    session.refresh(attempt, with_for_update=True)
    return attempt


def finalize_if_expired(session: Session, *, attempt: Attempt, now: datetime) -> bool:
    """Submit an attempt whose deadline has passed, from its saved answers."""
    if attempt.status is not AttemptStatus.IN_PROGRESS or now < attempt.deadline_at:
        return False
    _lock(session, attempt)
    if attempt.status is not AttemptStatus.IN_PROGRESS:
        return True  # another request submitted it a moment ago
    _submit(session, attempt, now=attempt.deadline_at, by=SubmittedBy.DEADLINE)
    return True


def sweep_expired(session: Session, *, now: datetime) -> int:
    """Submit every attempt past its deadline (the CLI runs this on a schedule)."""
    expired = list(session.scalars(sa.select(Attempt).where(
        Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at <= now)
        .with_for_update(skip_locked=True)))
    for attempt in expired:
        _submit(session, attempt, now=attempt.deadline_at, by=SubmittedBy.DEADLINE)
    return len(expired)


@dataclass(frozen=True)
class SavedAnswer:
    position: int
    revision: int
    saved_at: datetime
    seconds_left: int
    stale: bool  # an older revision arrived late and was ignored
    answer: Any = None  # the answer now stored: the newer one when `stale`
    flagged: bool = False  # the trainee's mark on the question (the receipt's nav item)


@dataclass(frozen=True)
class SaveTarget:
    """What an autosave must know before it writes, none of which ever changes for a
    response: whose attempt it is, the question as the trainee sees it (to read the answer
    from the form and to show it again after a stale save) and the exam's layout."""

    id: int  # the attempt's (the receipt's links name it as `attempt.id`)
    user_id: int
    position: int
    question_version_id: int
    one_per_page: bool
    question: kinds.PublicQuestion


# Save targets kept per database (engine) and (attempt, position): a trainee saves each
# question many times, and everything a target holds is fixed when the attempt starts (the
# response's question version and option order, the attempt's owner, the exam version's
# layout), so after the first save of a question its save reads nothing before it writes.
# The write checks the owner and the question version again (`_WRITE_ANSWER`), so a kept
# target can never write to another trainee's attempt, even if ids were reused after a
# deletion. At most TARGETS_KEPT per database; when full, the store starts again.
TARGETS_KEPT = 50_000
_TARGETS: weakref.WeakKeyDictionary[Any, dict[tuple[int, int], SaveTarget]] = (
    weakref.WeakKeyDictionary())


def _kept_targets(session: Session) -> dict[tuple[int, int], SaveTarget]:
    return per_engine(session, _TARGETS, dict)


# The autosave's statements, built once (building them is most of a save's Python work);
# the values are bound at each save.
_A, _R, _Q, _V = (Attempt.__table__.c, Response.__table__.c, QuestionVersion.__table__.c,
                  ExamVersion.__table__.c)
_SAVE_TARGET = (
    sa.select(_A.user_id, _V.definition["layout"].as_string().label("layout"),
              _R.id.label("response_id"), _R.question_version_id, _R.option_order, _Q.data)
    .select_from(Attempt.__table__)
    .join(ExamVersion.__table__, _V.id == _A.exam_version_id)
    .outerjoin(Response.__table__, sa.and_(_R.attempt_id == _A.id,
                                           _R.position == sa.bindparam("the_position")))
    .outerjoin(QuestionVersion.__table__, _Q.id == _R.question_version_id)
    .where(_A.id == sa.bindparam("the_attempt")))
_ATTEMPT_OPEN = (sa.select(_A.id)
                 .where(_A.id == sa.bindparam("the_attempt"),
                        _A.user_id == sa.bindparam("the_user", type_=_A.user_id.type),
                        _A.status == AttemptStatus.IN_PROGRESS.value,
                        _A.deadline_at > sa.bindparam("the_now", type_=_A.deadline_at.type))
                 .with_for_update(read=True))
_WRITE_ANSWER = (
    sa.update(Response.__table__)
    .where(_R.attempt_id == sa.bindparam("the_attempt"),
           _R.position == sa.bindparam("the_position"),
           _R.question_version_id == sa.bindparam("the_question_version",
                                                  type_=_R.question_version_id.type),
           _R.revision < sa.bindparam("new_revision", type_=_R.revision.type),
           _ATTEMPT_OPEN.exists())
    .values(answer=sa.bindparam("new_answer", type_=_R.answer.type),
            revision=sa.bindparam("new_revision", type_=_R.revision.type),
            saved_at=sa.bindparam("the_now", type_=_R.saved_at.type))
    .returning(sa.select(_A.deadline_at).where(_A.id == sa.bindparam("the_attempt"))
               .scalar_subquery(), _R.flagged))
_WHY_NOT_WRITTEN = (
    sa.select(_A.user_id, _A.status, _A.deadline_at, _R.question_version_id, _R.revision,
              _R.saved_at, _R.answer, _R.flagged)
    .select_from(Attempt.__table__)
    .join(Response.__table__, _R.attempt_id == _A.id)
    .where(_A.id == sa.bindparam("the_attempt"), _R.position == sa.bindparam("the_position")))


def save_target(session: Session, *, user_id: int, attempt_id: int, position: int
                ) -> SaveTarget:
    """What saving answer `position` needs: kept from an earlier save of it, else one plain
    read (no ORM objects, no lock).

    Raises NotFound for an attempt that is not the user's (no hint it exists) and for a
    position the attempt does not have. Whether it is still open is the write's business.
    """
    kept = _kept_targets(session)
    target = kept.get((attempt_id, position))
    if target is not None and target.user_id == user_id:
        return target
    row = session.connection().execute(
        _SAVE_TARGET, {"the_attempt": attempt_id, "the_position": position}).first()
    if row is None or row.user_id != user_id:
        raise NotFound(N_("找不到该作答记录"))
    if row.response_id is None:
        raise NotFound(N_("找不到该题"))
    view = kinds.public_view(kinds.load(row.data))
    if row.option_order:
        view = view.in_order(row.option_order)
    target = SaveTarget(id=attempt_id, user_id=row.user_id, position=position,
                        question_version_id=row.question_version_id,
                        one_per_page=row.layout == "one-per-page", question=view)
    if len(kept) >= TARGETS_KEPT:
        kept.clear()
    kept[(attempt_id, position)] = target
    return target


def check_answer(answer: Any, revision: int) -> None:
    """What a save must be before it is written: a page's revision, an answer not too long."""
    if isinstance(revision, bool) or not isinstance(revision, int) \
            or not 1 <= revision <= MAX_REVISION:
        raise RevisionInvalid()
    if len(json.dumps(answer, ensure_ascii=False).encode("utf-8")) > MAX_ANSWER_BYTES:
        raise DomainError(N_("答案过长，没有保存"))


def write_answer(session: Session, *, target: SaveTarget, answer: Any, revision: int,
                 now: datetime) -> SavedAnswer:
    """The write of an autosave, as short as it can be: one conditional UPDATE that stores
    the answer only if its revision is newer and the attempt is the target's owner's, open
    and within its time (and the response still holds the target's question).

    The attempt's row is share-locked by the update (PostgreSQL; SQLite's writing
    transactions are exclusive anyway), so a save and a submission of one attempt happen
    one after the other: a save acknowledged before a submission is always graded, and a
    save after it is refused. Only when nothing was written does a second read tell why:
    the time is up, the attempt was handed in, or a newer revision is already stored.
    """
    check_answer(answer, revision)
    connection = session.connection()
    attempt_id, position = target.id, target.position
    written = connection.execute(_WRITE_ANSWER, {
        "the_attempt": attempt_id, "the_position": position, "the_user": target.user_id,
        "the_question_version": target.question_version_id, "new_revision": revision,
        "new_answer": answer, "the_now": now}).first()
    if written is not None:
        return SavedAnswer(position=position, revision=revision, saved_at=now,
                           seconds_left=rules.seconds_left(written[0], now), stale=False,
                           answer=answer, flagged=written[1])
    state = connection.execute(_WHY_NOT_WRITTEN,
                               {"the_attempt": attempt_id, "the_position": position}).first()
    if state is None or state.user_id != target.user_id \
            or state.question_version_id != target.question_version_id:
        # Not (or no longer) this target: a kept one must not be used again.
        _kept_targets(session).pop((attempt_id, position), None)
        raise NotFound(N_("找不到该题"))
    status = AttemptStatus(state.status)
    if status is AttemptStatus.IN_PROGRESS and now >= state.deadline_at:
        raise AttemptClosed(N_("考试时间已到，试卷已按最后保存的答案自动交卷，这次修改没有保存"))
    if status is not AttemptStatus.IN_PROGRESS:
        raise AttemptClosed(N_("试卷已交，不能再修改答案"))
    return SavedAnswer(position=position, revision=state.revision,
                       saved_at=state.saved_at or now,
                       seconds_left=rules.seconds_left(state.deadline_at, now),
                       stale=True, answer=state.answer, flagged=state.flagged)


def save_answer(session: Session, *, user: User, attempt_id: int, position: int, answer: Any,
                revision: int, now: datetime) -> SavedAnswer:
    """Save one answer at once. A late or stale save never overwrites a newer answer.

    An attempt whose time is up is submitted from its saved answers (and this save refused).
    """
    attempt = get_attempt(session, user=user, attempt_id=attempt_id)
    check_answer(answer, revision)
    _check_open(session, attempt, now)
    response = _response(session, attempt, position)
    saved = write_answer(session, target=save_target(
        session, user_id=user.id, attempt_id=attempt_id, position=position),
        answer=answer, revision=revision, now=now)
    session.refresh(response)  # the conditional UPDATE went round the ORM
    return saved


def set_flag(session: Session, *, user: User, attempt_id: int, position: int, flagged: bool,
             now: datetime) -> Response:
    attempt = get_attempt(session, user=user, attempt_id=attempt_id)
    _check_open(session, attempt, now)
    response = _response(session, attempt, position)
    response.flagged = flagged
    session.flush()
    return response


def _check_open(session: Session, attempt: Attempt, now: datetime) -> None:
    if finalize_if_expired(session, attempt=attempt, now=now):
        raise AttemptClosed(N_("考试时间已到，试卷已按最后保存的答案自动交卷，这次修改没有保存"))
    if attempt.status is not AttemptStatus.IN_PROGRESS:
        raise AttemptClosed(N_("试卷已交，不能再修改答案"))


def _response(session: Session, attempt: Attempt, position: int) -> Response:
    response = session.scalar(sa.select(Response).where(
        Response.attempt_id == attempt.id, Response.position == position))
    if response is None:
        raise NotFound(N_("找不到该题"))
    return response


@dataclass(frozen=True)
class Grading:
    """An attempt's saved answers graded before its submission takes the write lock: by
    position, the revision graded and its grade."""

    attempt_id: int
    grades: dict[int, tuple[int, kinds.Grade]]


_ATTEMPT_LOCKED = (sa.select(_A.user_id, _A.number, _A.status, _A.deadline_at,
                             _A.exam_version_id)
                   .where(_A.id == sa.bindparam("the_attempt")).with_for_update())
_SAVED_ANSWERS = (sa.select(_R.id, _R.position, _R.question_version_id, _R.revision, _R.answer)
                  .where(_R.attempt_id == sa.bindparam("the_attempt")))
_ATTEMPT_WITH_ANSWERS = (
    sa.select(_A.user_id, _A.status, _A.deadline_at, _A.exam_version_id, _R.position,
              _R.question_version_id, _R.revision, _R.answer)
    .select_from(Attempt.__table__)
    .outerjoin(Response.__table__, _R.attempt_id == _A.id)
    .where(_A.id == sa.bindparam("the_attempt")))
_WRITE_GRADE = (sa.update(Response.__table__)
                .where(_R.id == sa.bindparam("the_response"))
                .values(points=sa.bindparam("the_points", type_=_R.points.type),
                        max_points=sa.bindparam("the_max_points", type_=_R.max_points.type),
                        needs_manual=sa.bindparam("the_needs_manual", type_=_R.needs_manual.type),
                        feedback=sa.bindparam("the_feedback", type_=_R.feedback.type)))


def grade_saved(session: Session, *, user_id: int, attempt_id: int, now: datetime
                ) -> Grading | None:
    """The slow half of a submission, in a reading transaction: the saved answers of an
    open attempt graded (one plain read; the questions' definitions are kept by version).
    None when there is nothing to submit (it was handed in already); an attempt whose time
    is up gets no grades here (its submission grades it under the lock, as the deadline
    does). Raises NotFound for an attempt not the user's."""
    rows = session.connection().execute(_ATTEMPT_WITH_ANSWERS,
                                        {"the_attempt": attempt_id}).all()
    if not rows or rows[0].user_id != user_id:
        raise NotFound(N_("找不到该作答记录"))
    if AttemptStatus(rows[0].status) is not AttemptStatus.IN_PROGRESS:
        return None
    if now >= rows[0].deadline_at:
        return Grading(attempt_id, {})
    exam_facts(session, rows[0].exam_version_id)  # read now (kept), not under the lock
    rows = [r for r in rows if r.position is not None]
    defs = question_defs(session, [r.question_version_id for r in rows])
    return Grading(attempt_id, {r.position: (r.revision, kinds.grade(defs[r.question_version_id],
                                                                    r.answer))
                                for r in rows})


def submit_attempt(session: Session, *, user: User, attempt_id: int, now: datetime) -> Attempt:
    """Hand in an attempt; submitting twice is harmless."""
    attempt = _get_attempt(session, user_id=user.id, attempt_id=attempt_id, lock=True)
    if finalize_if_expired(session, attempt=attempt, now=now):
        return attempt
    if attempt.status is AttemptStatus.IN_PROGRESS:
        _submit(session, attempt, now=now, by=SubmittedBy.TRAINEE)
    return attempt


def submit_graded(session: Session, *, user_id: int, attempt_id: int, now: datetime,
                  graded: Grading | None) -> None:
    """Hand in an attempt with the grades `grade_saved` worked out before (None: grade here).

    The attempt is locked first, then its responses are read (a statement of their own:
    on PostgreSQL it sees every save committed while the lock was awaited), so a save
    either landed before (its revision is newer than the one graded: that answer is graded
    again here) or is refused after: every acknowledged save is graded. Under the lock only
    plain statements: the grades in one executemany, the attempt's result, the audit record.
    Submitting twice is harmless.
    """
    connection = session.connection()
    facts = connection.execute(_ATTEMPT_LOCKED, {"the_attempt": attempt_id}).first()
    if facts is None or facts.user_id != user_id:
        raise NotFound(N_("找不到该作答记录"))
    if AttemptStatus(facts.status) is not AttemptStatus.IN_PROGRESS:
        return
    if now >= facts.deadline_at or graded is None or graded.attempt_id != attempt_id \
            or not graded.grades:
        # The rare ways (time up, nothing graded before): the ORM's submission, as the
        # deadline's (the attempt stays locked: this transaction holds it).
        attempt = _get_attempt(session, user_id=user_id, attempt_id=attempt_id)
        if not finalize_if_expired(session, attempt=attempt, now=now):
            _submit(session, attempt, now=now, by=SubmittedBy.TRAINEE)
        return
    saved = connection.execute(_SAVED_ANSWERS, {"the_attempt": attempt_id}).all()
    kept = graded.grades
    again = [r for r in saved if r.position not in kept or kept[r.position][0] != r.revision]
    defs = question_defs(session, [r.question_version_id for r in again]) if again else {}
    grades = {r.position: kinds.grade(defs[r.question_version_id], r.answer)
              for r in again}
    grades.update((r.position, kept[r.position][1]) for r in saved if r.position not in grades)
    connection.execute(_WRITE_GRADE, [
        {"the_response": r.id, "the_points": grades[r.position].points,
         "the_max_points": grades[r.position].max_points,
         "the_needs_manual": grades[r.position].needs_manual,
         "the_feedback": grades[r.position].as_dict()["parts"]} for r in saved])
    exam = exam_facts(session, facts.exam_version_id)
    points = sum(g.points or 0 for g in grades.values())
    max_points = sum(g.max_points for g in grades.values())
    result: dict[str, Any] = {"submitted_at": now, "submitted_by": SubmittedBy.TRAINEE.value,
                              "points": points, "max_points": max_points}
    if any(g.needs_manual for g in grades.values()):
        result.update(status=AttemptStatus.SUBMITTED.value, score=None, passed=None)
    else:
        score = rules.score(points, max_points)
        result.update(status=AttemptStatus.GRADED.value, score=score,
                      passed=score >= exam.pass_mark)
    connection.execute(sa.update(Attempt.__table__).where(_A.id == attempt_id).values(result))
    _forget_loaded(session, attempt_id)
    if result["passed"] and exam.track_key and exam.stage_key:
        courses.record_assessment_passed(
            session, user_id=user_id, track_key=exam.track_key, stage_key=exam.stage_key,
            source=courses.AssessmentSource.EXAM,
            reference=f"{exam.title} #{facts.number}: {result['score']:g}", now=now)
    audit.record(session, actor_id=user_id, action="attempt.submit", target_type="attempt",
                 target_id=attempt_id,
                 details={"by": SubmittedBy.TRAINEE, "score": result["score"]}, now=now)


def _forget_loaded(session: Session, attempt_id: int) -> None:
    """Plain statements went round the ORM: an attempt (and its responses) this session
    holds are read again on their next use."""
    attempt = session.identity_map.get(sa.inspect(Attempt).identity_key_from_primary_key(
        [attempt_id]))
    if attempt is not None:
        for response in attempt.__dict__.get("responses", ()):
            session.expire(response)
        session.expire(attempt)


def _questions_of(session: Session, attempt: Attempt) -> Sequence[QuestionVersion]:
    """An attempt's questions in one read (held by the caller, so that each response's
    question is then found in the session, not read again)."""
    return session.scalars(
        sa.select(QuestionVersion).join(Response, Response.question_version_id == QuestionVersion.id)
        .where(Response.attempt_id == attempt.id)).all()


def _submit(session: Session, attempt: Attempt, *, now: datetime, by: SubmittedBy,
            graded: dict[int, tuple[int, kinds.Grade]] | None = None) -> None:
    # Under the attempt's lock: its responses in one read; an answer graded before the lock
    # (`graded`, by position: the revision graded and its grade) is kept if it is still the
    # saved one, the others are graded here from their questions (read in one more
    # statement); then the grades are written in one flush. (No loader options on the
    # attempt: they would stay with it, and a later locking refresh cannot outer-join.)
    graded = graded or {}
    responses = attempt.responses
    grades = {r.position: graded[r.position][1] for r in responses
              if r.position in graded and graded[r.position][0] == r.revision}
    questions = _questions_of(session, attempt) if len(grades) < len(responses) else ()
    # Its exam's version read before the grades are set (a lazy load while they are pending
    # would flush them, and the attempt would be updated twice).
    _version = attempt.exam_version
    with session.no_autoflush:
        attempt.submitted_at = now
        attempt.submitted_by = by
        for response in responses:
            grade = grades.get(response.position) or kinds.grade(
                response.question_version.definition, response.answer)
            response.points = grade.points
            response.max_points = grade.max_points
            response.needs_manual = grade.needs_manual
            response.feedback = grade.as_dict()["parts"]
    settle_attempt(session, attempt, now)
    del questions
    audit.record(session, actor_id=attempt.user_id if by is SubmittedBy.TRAINEE else None,
                 action="attempt.submit", target_type="attempt", target_id=attempt.id,
                 details={"by": by, "score": attempt.score}, now=now)


def settle_attempt(session: Session, attempt: Attempt, now: datetime) -> None:
    """Final score once no item waits for a trainer; a pass opens the exam's stage."""
    responses = attempt.responses
    attempt.max_points = sum(r.max_points for r in responses)
    attempt.points = sum(r.points or 0 for r in responses)
    if any(r.needs_manual for r in responses):
        attempt.status = AttemptStatus.SUBMITTED
        attempt.score = None
        attempt.passed = None
    else:
        attempt.status = AttemptStatus.GRADED
        attempt.score = rules.score(attempt.points, attempt.max_points)
        definition = attempt.exam_version.definition
        attempt.passed = attempt.score >= definition.pass_mark
        if attempt.passed and attempt.exam_version.track_key and attempt.exam_version.stage_key:
            courses.record_assessment_passed(
                session, user_id=attempt.user_id, track_key=attempt.exam_version.track_key,
                stage_key=attempt.exam_version.stage_key, source=courses.AssessmentSource.EXAM,
                reference=f"{attempt.exam_version.title} #{attempt.number}: {attempt.score:g}",
                now=now)
    session.flush()


# --- what the trainee sees -----------------------------------------------------------


# What an exam version and a question version hold never changes (a new text is a new
# version, with a new id), so the facts pages and submissions need of them are kept per
# database (engine) under the version's id: read once per process, not on every page.
VERSIONS_KEPT = 20_000
_QUESTION_DEFS: weakref.WeakKeyDictionary[Any, dict[int, kinds.QuestionDef]] = (
    weakref.WeakKeyDictionary())
_EXAM_FACTS: weakref.WeakKeyDictionary[Any, dict[int, ExamFacts]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class ExamFacts:
    """What an attempt's pages need of its exam version (never changes for a version)."""

    title: str
    layout: str
    time_warning_minutes: int
    pass_mark: float
    track_key: str | None
    stage_key: str | None


def question_defs(session: Session, ids: Sequence[int]) -> dict[int, kinds.QuestionDef]:
    """The definitions of these question versions by id: kept ones, the others in one read."""
    kept = per_engine(session, _QUESTION_DEFS, dict)
    missing = [i for i in ids if i not in kept]
    if missing:
        if len(kept) + len(missing) > VERSIONS_KEPT:
            kept.clear()
        for qv_id, data in session.connection().execute(
                sa.select(_Q.id, _Q.data).where(_Q.id.in_(missing))):
            kept[qv_id] = kinds.load(data)
    return {i: kept[i] for i in ids}


def exam_facts(session: Session, exam_version_id: int) -> ExamFacts:
    kept = per_engine(session, _EXAM_FACTS, dict)
    facts = kept.get(exam_version_id)
    if facts is None:
        version = session.get(ExamVersion, exam_version_id)
        if version is None:
            raise NotFound(N_("找不到该作答记录"))
        definition = version.definition
        facts = ExamFacts(title=version.title, layout=definition.layout,
                          time_warning_minutes=definition.time_warning_minutes,
                          pass_mark=definition.pass_mark, track_key=version.track_key,
                          stage_key=version.stage_key)
        if len(kept) >= VERSIONS_KEPT:
            kept.clear()
        kept[exam_version_id] = facts
    return facts


class PageState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"  # in progress, its time up: it must be submitted (a write) first
    CLOSED = "closed"  # handed in


@dataclass(frozen=True)
class AttemptPage:
    """An open attempt as its page shows it (the template names it `attempt`)."""

    id: int
    state: PageState
    title: str = ""
    deadline_at: datetime | None = None
    one_per_page: bool = False
    warning_minutes: int = 0
    questions: tuple[ShownQuestion, ...] = ()


_PAGE_ROWS = (
    sa.select(_A.user_id, _A.status, _A.deadline_at, _A.exam_version_id, _R.position,
              _R.question_version_id, _R.option_order, _R.answer, _R.revision, _R.saved_at,
              _R.flagged)
    .select_from(Attempt.__table__)
    .outerjoin(Response.__table__, _R.attempt_id == _A.id)
    .where(_A.id == sa.bindparam("the_attempt"))
    .order_by(_R.position))


def attempt_page(session: Session, *, user_id: int, attempt_id: int, now: datetime
                 ) -> AttemptPage:
    """What the attempt page shows, in one read (the exam's and the questions' versions
    kept, see `question_defs`); it writes nothing. An attempt whose time is up comes back
    EXPIRED: the caller submits it (`finalize_if_expired`) before showing the result.
    Raises NotFound for an attempt not the user's."""
    rows = session.connection().execute(_PAGE_ROWS, {"the_attempt": attempt_id}).all()
    if not rows or rows[0].user_id != user_id:
        raise NotFound(N_("找不到该作答记录"))
    first = rows[0]
    if AttemptStatus(first.status) is not AttemptStatus.IN_PROGRESS:
        return AttemptPage(id=attempt_id, state=PageState.CLOSED)
    if now >= first.deadline_at:
        return AttemptPage(id=attempt_id, state=PageState.EXPIRED)
    facts = exam_facts(session, first.exam_version_id)
    rows = [r for r in rows if r.position is not None]
    defs = question_defs(session, [r.question_version_id for r in rows])
    questions = []
    for r in rows:
        view = kinds.public_view(defs[r.question_version_id])
        if r.option_order:
            view = view.in_order(r.option_order)
        questions.append(ShownQuestion(position=r.position, question=view, answer=r.answer,
                                       revision=r.revision, saved_at=r.saved_at,
                                       flagged=r.flagged))
    return AttemptPage(id=attempt_id, state=PageState.OPEN, title=facts.title,
                       deadline_at=first.deadline_at,
                       one_per_page=facts.layout == "one-per-page",
                       warning_minutes=facts.time_warning_minutes, questions=tuple(questions))


def finalize_expired(session: Session, *, user_id: int, attempt_id: int, now: datetime) -> None:
    """Submit the user's attempt if its time is up (the page found it so, in a read)."""
    finalize_if_expired(session, attempt=_get_attempt(session, user_id=user_id,
                                                      attempt_id=attempt_id), now=now)


@dataclass(frozen=True)
class ShownQuestion:
    position: int
    question: kinds.PublicQuestion  # never a key or an explanation
    answer: Any
    revision: int
    saved_at: datetime | None
    flagged: bool


def shown_questions(attempt: Attempt) -> list[ShownQuestion]:
    """The questions of an attempt as a trainee may see them while taking it."""
    return [_shown(response) for response in attempt.responses]


def shown_question(session: Session, *, attempt: Attempt, position: int) -> ShownQuestion:
    """One question of an attempt (an autosave needs only the question it saves)."""
    return _shown(_response(session, attempt, position))


def _shown(response: Response) -> ShownQuestion:
    view = kinds.public_view(response.question_version.definition)
    if response.option_order:
        view = view.in_order(response.option_order)
    return ShownQuestion(position=response.position, question=view, answer=response.answer,
                         revision=response.revision, saved_at=response.saved_at,
                         flagged=response.flagged)


@dataclass(frozen=True, kw_only=True)
class ReviewItem:
    """A finished question as its review shows it, to the trainee and (with more) to staff."""

    position: int
    question: kinds.QuestionDef  # options in the order the trainee saw them
    answer: Any
    points: float | None
    max_points: float
    needs_manual: bool  # some part waits for a trainer
    parts: tuple[kinds.Part, ...]
    grader_comment: str

    @property
    def outcome(self) -> kinds.Outcome:
        return kinds.Outcome.of(self.points, self.max_points, pending=self.needs_manual)

    @property
    def lost(self) -> bool:
        """Points were lost for good: what the "only the questions I lost" filter keeps."""
        return self.outcome in (kinds.Outcome.PARTIAL, kinds.Outcome.WRONG)

    @property
    def points_waiting(self) -> float:
        """The points still to be scored by a trainer."""
        return sum(p.max_points for p in self.parts if p.outcome is kinds.Outcome.PENDING)

    @property
    def points_so_far(self) -> float:
        return sum(p.points for p in self.parts if p.outcome is not kinds.Outcome.PENDING)


def review_fields(response: Response) -> dict[str, Any]:
    """The `ReviewItem` fields of a response (the staff review adds its own)."""
    definition = response.question_version.definition
    if response.option_order:
        definition = definition.in_order(response.option_order)
    return {"position": response.position, "question": definition, "answer": response.answer,
            "points": response.points, "max_points": response.max_points,
            "needs_manual": response.needs_manual, "parts": kinds.parts_of(response.feedback),
            "grader_comment": response.grader_comment}


@dataclass(frozen=True)
class Review:
    """What the exam's review policy lets the trainee see of a finished attempt."""

    visible: frozenset[str]
    items: list[ReviewItem]

    @property
    def lost(self) -> int:
        return sum(1 for item in self.items if item.lost)


def review(attempt: Attempt, *, now: datetime) -> Review:
    """What the exam's review policy lets the trainee see of a finished attempt."""
    visible = rules.review_visible(attempt.exam_version.definition,
                                   submitted=attempt.submitted_at is not None,
                                   deadline_at=attempt.deadline_at, now=now)
    if not visible & {"responses", "correct", "explanations"}:
        return Review(frozenset(visible), [])
    return Review(frozenset(visible),
                  [ReviewItem(**review_fields(r)) for r in attempt.responses])


# --- the trainee's record of an exam (for "我的成绩" and the home page) --------------------


class AttemptState(StrEnum):
    IN_PROGRESS = "in_progress"
    PENDING = "pending"  # submitted; a trainer still has answers to score
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class AttemptRecord:
    attempt_id: int
    number: int
    started_at: datetime
    submitted_at: datetime | None
    state: AttemptState
    score: float | None
    graded_at: datetime | None  # when a trainer finished scoring it (None: graded at once)


@dataclass(frozen=True)
class ExamRecord:
    """One exam as the trainee's results show it: every attempt and what comes next."""

    key: str
    title: str
    track_key: str | None
    stage_key: str | None
    pass_mark: float
    attempts: list[AttemptRecord]
    counted_score: float | None
    passed: bool
    check: rules.StartCheck
    open_attempt_id: int | None


def _attempt_state(attempt: Attempt) -> AttemptState:
    if attempt.status is AttemptStatus.IN_PROGRESS:
        return AttemptState.IN_PROGRESS
    if attempt.status is AttemptStatus.SUBMITTED:
        return AttemptState.PENDING
    return AttemptState.PASSED if attempt.passed else AttemptState.FAILED


def attempt_graded_at(attempt: Attempt) -> datetime | None:
    """When a trainer finished scoring a graded attempt; None for one graded on submission."""
    if attempt.status is not AttemptStatus.GRADED:
        return None
    times = [r.graded_at for r in attempt.responses if r.graded_at is not None]
    return max(times) if times else None


def exam_record(session: Session, *, user: User, exam_key: str, now: datetime) -> ExamRecord:
    """The trainee's attempts at an exam, their states and when another may start."""
    return _record(exam_status(session, user=user, exam_key=exam_key, now=now),
                   attempt_graded_at)


def _record(status: ExamStatus, graded_at: Callable[[Attempt], datetime | None]) -> ExamRecord:
    definition = status.version.definition
    return ExamRecord(
        key=status.exam.key, title=status.version.title, track_key=status.version.track_key,
        stage_key=status.version.stage_key, pass_mark=definition.pass_mark,
        attempts=[AttemptRecord(attempt_id=a.id, number=a.number, started_at=a.started_at,
                                submitted_at=a.submitted_at, state=_attempt_state(a),
                                score=a.score, graded_at=graded_at(a))
                  for a in status.attempts],
        counted_score=status.counted_score, passed=status.passed, check=status.check,
        open_attempt_id=status.open_attempt.id if status.open_attempt else None)


def exam_records(session: Session, *, users: Sequence[User], exam_key: str, now: datetime
                 ) -> dict[int, ExamRecord | None]:
    """`exam_record` for many trainees in a handful of queries, whatever their number: by
    trainee id, None for one who may not take the exam (not theirs, its stage locked).
    Raises NotFound when the exam is not online."""
    exam = get_exam(session, exam_key)
    version = exam.current_version
    assert version is not None
    found: dict[int, ExamRecord | None] = {u.id: None for u in users}
    trainees = courses.may_take(session, users=users, track_key=version.track_key,
                                stage_key=version.stage_key)
    if not trainees:
        return found
    ids = [u.id for u in trainees]
    attempts: dict[int, list[Attempt]] = {i: [] for i in ids}
    for attempt in session.scalars(sa.select(Attempt).where(
            Attempt.user_id.in_(ids), Attempt.exam_id == exam.id)
            .order_by(Attempt.user_id, Attempt.number)):
        attempts[attempt.user_id].append(attempt)
    overrides = {user_id: (int(minutes), int(extra)) for user_id, minutes, extra in
                 session.execute(sa.select(ExamOverride.user_id,
                                           sa.func.sum(ExamOverride.extra_minutes),
                                           sa.func.sum(ExamOverride.extra_attempts))
                                 .where(ExamOverride.user_id.in_(ids),
                                        ExamOverride.exam_id == exam.id)
                                 .group_by(ExamOverride.user_id))}
    statuses = {u.id: _status(exam, version, attempts[u.id], overrides.get(u.id, (0, 0)),
                              session=session, now=now) for u in trainees}
    graded = [a.id for rows in attempts.values() for a in rows
              if a.status is AttemptStatus.GRADED]
    last_graded = dict(session.execute(
        sa.select(Response.attempt_id, sa.func.max(Response.graded_at))
        .where(Response.attempt_id.in_(graded), Response.graded_at.is_not(None))
        .group_by(Response.attempt_id)).all()) if graded else {}
    for user_id, status in statuses.items():
        found[user_id] = _record(status, lambda a: last_graded.get(a.id)
                                 if a.status is AttemptStatus.GRADED else None)
    return found


# Built once (a bindparam): the trainee's home asks it on every visit.
_ATTEMPTED_EXAM_KEYS = (sa.select(Exam.key, sa.func.min(Attempt.started_at))
                        .join(Attempt, Attempt.exam_id == Exam.id)
                        .where(Attempt.user_id == sa.bindparam("user_id"),
                               Exam.current_version_id.is_not(None))
                        .group_by(Exam.key).order_by(sa.func.min(Attempt.started_at)))


def attempted_exam_keys(session: Session, *, user_id: int) -> list[str]:
    """The exams a trainee has attempts at, in the order first attempted."""
    return [key for key, _ in session.execute(_ATTEMPTED_EXAM_KEYS, {"user_id": user_id})]
