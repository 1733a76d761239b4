"""The trainer's side of exams: the grading queue and its locks, staff views of attempts,
per-trainee overrides (extra time, extra attempts) and regrading after a key is fixed.

Who may do what: staff see the attempts of the trainees `portal.auth.access` lets them see
(trainers and supervisors: the cohorts they staff); only trainers grade, grant overrides
and regrade. Everything is checked here, whatever the views declare.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.auth import access
from portal.auth.models import Cohort, Role, User
from portal.errors import Conflict, DomainError, Forbidden, NotFound
from portal.exams import kinds, rules, services
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
)
from portal.messages import N_

LOCK_MINUTES = 15
LOCK_TTL = timedelta(minutes=LOCK_MINUTES)
MAX_COMMENT_CHARS = 2000
MAX_REASON_CHARS = 500
MAX_EXTRA_MINUTES = 600
MAX_EXTRA_ATTEMPTS = 10
FINISHED = (AttemptStatus.SUBMITTED, AttemptStatus.GRADED)


class LockHeld(Conflict):
    """Someone else holds the grading lock, or the grader's own lock is gone: nothing saved."""


class AlreadyGraded(Conflict):
    """The response no longer waits for a trainer."""


class GradeInvalid(DomainError):
    status = 422


class OverrideInvalid(DomainError):
    status = 422


class RegradeStale(Conflict):
    """The question changed again between the dry run and the confirmation."""


# --- access ---------------------------------------------------------------------------


def followed_cohort_ids(session: Session, *, actor: User) -> set[int]:
    """The cohorts whose trainees' attempts `actor` may see (the rule is `auth.access`)."""
    access.check_sees_trainees(actor)
    return access.visible_cohort_ids(session, actor=actor)


def _check_trainer(actor: User) -> None:
    if actor.role is not Role.TRAINER:
        raise Forbidden(N_("只有培训组长可以评分、调整考试和重新评分"))


def _visible_attempt(session: Session, actor: User, attempt_id: int) -> Attempt:
    """An attempt of a trainee `actor` may see; anything else is "not found"."""
    access.check_sees_trainees(actor)
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound(N_("找不到该作答记录"))
    trainee = session.get(User, attempt.user_id)
    if trainee is None or not access.may_see_trainee(session, actor=actor, trainee=trainee):
        raise NotFound(N_("找不到该作答记录"))
    return attempt


def _visible_response(session: Session, actor: User, response_id: int) -> Response:
    response = session.get(Response, response_id)
    if response is None:
        raise NotFound(N_("找不到该题的作答"))
    _visible_attempt(session, actor, response.attempt_id)
    return response


def _followed_trainee(session: Session, actor: User, trainee_id: int) -> User:
    return access.check_may_see_trainee(session, actor=actor, trainee_id=trainee_id)


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(User.id, User.display_name)
                                .where(User.id.in_(wanted))).all())


def lock_live(response: Response, now: datetime) -> bool:
    return (response.locked_by_id is not None and response.locked_at is not None
            and now < response.locked_at + LOCK_TTL)


# --- the grading queue ------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    response_id: int
    position: int
    kind: str
    attempt: Attempt
    trainee: User
    exam_key: str
    exam_title: str
    locked_by: str | None  # the name of whoever holds a live lock
    locked_by_me: bool
    locked_until: datetime | None


@dataclass(frozen=True)
class ExamChoice:
    key: str
    title: str
    count: int


@dataclass(frozen=True)
class GradingQueue:
    items: list[QueueItem]
    exams: list[ExamChoice]  # exams with something to grade, for the filter
    exam_key: str
    total: int  # waiting items over every exam


def grading_queue(session: Session, *, actor: User, exam_key: str = "",
                  now: datetime) -> GradingQueue:
    """Answers waiting for a trainer in submitted attempts of followed cohorts, oldest first."""
    _check_trainer(actor)
    cohorts = followed_cohort_ids(session, actor=actor)
    rows = session.execute(
        sa.select(Response, Attempt, User, Exam.key, ExamVersion.title, QuestionVersion.kind)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .join(Exam, Exam.id == Attempt.exam_id)
        .join(ExamVersion, ExamVersion.id == Attempt.exam_version_id)
        .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
        .where(Response.needs_manual.is_(True), Attempt.status == AttemptStatus.SUBMITTED,
               User.cohort_id.in_(cohorts))
        .order_by(Attempt.submitted_at, Attempt.id, Response.position)).all()
    names = _names(session, {r.locked_by_id for r, *_ in rows})
    counts: dict[str, ExamChoice] = {}
    items: list[QueueItem] = []
    for response, attempt, trainee, key, title, kind in rows:
        seen = counts.get(key)
        counts[key] = ExamChoice(key, title, (seen.count if seen else 0) + 1)
        if exam_key and key != exam_key:
            continue
        live = lock_live(response, now)
        items.append(QueueItem(
            response_id=response.id, position=response.position, kind=kind, attempt=attempt,
            trainee=trainee, exam_key=key, exam_title=title,
            locked_by=names.get(response.locked_by_id or 0) if live else None,
            locked_by_me=live and response.locked_by_id == actor.id,
            locked_until=response.locked_at + LOCK_TTL if live and response.locked_at else None))
    return GradingQueue(items=items, exams=sorted(counts.values(), key=lambda c: c.title),
                        exam_key=exam_key, total=len(rows))


# --- grading one response -----------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    number: int
    text: str
    points: float
    guidance: str
    field: str  # the form field holding its score
    given: float | None  # the score given, once graded


@dataclass(frozen=True)
class GradingSection:
    """A short answer, or one sub-question of a case, beside its rubric."""

    key: str  # "" for a short answer; the sub-question id in a case
    question: dict[str, Any]  # the (sub-)question's full definition, rubric and all
    answer: Any
    manual: bool  # graded here by the trainer (otherwise graded automatically)
    points: float | None  # the automatic points of an automatic part
    max_points: float
    criteria: list[Criterion]


@dataclass(frozen=True)
class GradingPage:
    response: Response
    attempt: Attempt
    trainee: User
    exam_title: str
    question: dict[str, Any]
    sections: list[GradingSection]
    waiting: bool  # still waits for a trainer
    lock_holder: str | None  # who holds a live lock (may be the viewer)
    lock_mine: bool
    locked_until: datetime | None
    graded_by: str | None

    @property
    def can_save(self) -> bool:
        return self.waiting and self.lock_mine


def score_field(section_key: str, number: int) -> str:
    return f"score-{section_key}-{number}" if section_key else f"score-{number}"


def _criteria(question: dict[str, Any], section_key: str,
              given: Mapping[str, float]) -> list[Criterion]:
    prefix = f"{section_key}/" if section_key else ""
    return [Criterion(number=i, text=c["criterion"], points=c["points"],
                      guidance=c.get("guidance", ""), field=score_field(section_key, i),
                      given=given.get(f"{prefix}{i}"))
            for i, c in enumerate(question.get("rubric", []), 1)]


def grading_sections(question: dict[str, Any], answer: Any,
                     feedback: list[Any]) -> list[GradingSection]:
    """What a grader sees of a question: each part beside its rubric, with any scores given."""
    # Scores a trainer gave (kept by a regrade too); parts waiting for one have no verdict.
    given = {p["key"]: p["points"] for p in feedback
             if isinstance(p, dict) and p.get("correct") is not None}
    parts = kinds.get_kind(question.get("kind")).grading_sections(question, answer)
    sections = []
    for key, part, part_answer in parts:
        auto = kinds.grade(part, part_answer)
        sections.append(GradingSection(
            key=key, question=part, answer=part_answer, manual=auto.needs_manual,
            points=None if auto.needs_manual else auto.points, max_points=part.get("points", 0),
            criteria=_criteria(part, key, given) if auto.needs_manual else []))
    return sections


def scores_from_form(question: dict[str, Any], answer: Any, form: Mapping[str, Any]) -> Any:
    """The `scores` kinds.grade_manually expects, from the grading form's fields."""
    def rubric_scores(q: dict[str, Any], key: str) -> dict[str, Any]:
        return {str(i): str(form.get(score_field(key, i), "") or "")[:20]
                for i in range(1, len(q.get("rubric", [])) + 1)}

    sections = kinds.get_kind(question.get("kind")).grading_sections(question, answer)
    if [key for key, _, _ in sections] == [""]:
        return rubric_scores(question, "")  # no parts: the question itself has the rubric
    return {key: rubric_scores(part, key) for key, part, part_answer in sections
            if kinds.grade(part, part_answer).needs_manual}


def grading_page(session: Session, *, actor: User, response_id: int, now: datetime,
                 claim: bool = True) -> GradingPage:
    """One answer beside its rubric. Opening it claims the lock for LOCK_MINUTES, unless
    another grader holds a live lock."""
    response = _visible_response(session, actor, response_id)
    _check_trainer(actor)
    attempt = response.attempt
    waiting = response.needs_manual and attempt.status is AttemptStatus.SUBMITTED
    if waiting and claim:
        _claim(session, response, actor, now)
    live = lock_live(response, now)
    names = _names(session, {response.locked_by_id, response.graded_by_id, attempt.user_id})
    trainee = session.get(User, attempt.user_id)
    assert trainee is not None
    data = response.question_version.data
    return GradingPage(
        response=response, attempt=attempt, trainee=trainee,
        exam_title=attempt.exam_version.title, question=data,
        sections=grading_sections(data, response.answer, response.feedback),
        waiting=waiting,
        lock_holder=names.get(response.locked_by_id or 0) if live else None,
        lock_mine=live and response.locked_by_id == actor.id,
        locked_until=response.locked_at + LOCK_TTL if live and response.locked_at else None,
        graded_by=names.get(response.graded_by_id or 0))


def _lock_for_settling(session: Session, attempt: Attempt) -> None:
    """Graders of two items of one attempt take turns, and each then sees the other's grade,
    so that whoever saves last makes the score final. (On PostgreSQL a row lock; SQLite
    already runs writing requests one at a time.)"""
    session.refresh(attempt, with_for_update=True)
    session.scalars(sa.select(Response).where(Response.attempt_id == attempt.id)
                    .execution_options(populate_existing=True)).all()


def _claim(session: Session, response: Response, actor: User, now: datetime) -> bool:
    """Take (or renew) the lock in one conditional UPDATE, so two graders opening the page
    at once cannot both get it."""
    result = session.execute(
        sa.update(Response)
        .where(Response.id == response.id,
               sa.or_(Response.locked_by_id.is_(None), Response.locked_by_id == actor.id,
                      Response.locked_at.is_(None), Response.locked_at <= now - LOCK_TTL))
        .values(locked_by_id=actor.id, locked_at=now)
        .execution_options(synchronize_session=False))
    session.expire(response, ["locked_by_id", "locked_at"])
    return result.rowcount == 1  # type: ignore[attr-defined]


def grade_response(session: Session, *, actor: User, response_id: int, scores: Any,
                   comment: str, now: datetime) -> Response:
    """Save a trainer's rubric scores. Only the lock's holder may save; the last manual item
    graded makes the attempt's score final (and a pass opens the stage)."""
    response = _visible_response(session, actor, response_id)
    _check_trainer(actor)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise GradeInvalid(N_("评语最多 %(n)d 个字"), n=MAX_COMMENT_CHARS)
    attempt = response.attempt
    _lock_for_settling(session, attempt)
    if not response.needs_manual or attempt.status is not AttemptStatus.SUBMITTED:
        raise AlreadyGraded(N_("这道题已经评过分了，你的评分没有保存"))
    # Touching our own lock row holds it until commit: nobody can take it meanwhile.
    held = session.execute(
        sa.update(Response).where(Response.id == response.id, Response.locked_by_id == actor.id)
        .values(locked_at=now).execution_options(synchronize_session=False))
    session.expire(response, ["locked_by_id", "locked_at"])
    if held.rowcount != 1:  # type: ignore[attr-defined]
        holder = response.locked_by_id
        if holder is not None:
            name = _names(session, {holder}).get(holder, "")
            raise LockHeld(N_("这道题正在由 %(name)s 评分，你的评分没有保存"),
                           name=name)
        raise LockHeld(N_("你没有锁定这道题，评分没有保存：请重新打开评分页面后再保存"))
    grade = kinds.grade_manually(response.question_version.data, response.answer, scores)
    before = response.points
    response.points = grade.points
    response.max_points = grade.max_points
    response.feedback = grade.as_dict()["parts"]
    response.needs_manual = grade.needs_manual
    response.graded_by_id = actor.id
    response.graded_at = now
    response.grader_comment = comment
    response.locked_by_id = None
    response.locked_at = None
    session.flush()
    services.settle_attempt(session, attempt, now)
    audit.record(session, actor_id=actor.id, action="response.grade", target_type="response",
                 target_id=response.id,
                 details={"attempt": attempt.id, "position": response.position,
                          "before": before, "points": grade.points,
                          "max_points": grade.max_points, "attempt_score": attempt.score,
                          "passed": attempt.passed}, now=now)
    return response


# --- attempts and results for staff -----------------------------------------------------------


@dataclass(frozen=True)
class OverrideLine:
    override: ExamOverride
    by_name: str


@dataclass(frozen=True)
class TraineeResult:
    trainee: User
    cohort_name: str
    attempts: list[Attempt]
    counted_score: float | None
    passed: bool | None  # None while no attempt has a final score
    waiting: int  # attempts waiting for a trainer
    overrides: list[OverrideLine]
    extra_minutes: int
    extra_attempts: int
    attempts_left: int


@dataclass(frozen=True)
class ExamResults:
    exam: Exam
    version: ExamVersion
    rows: list[TraineeResult]


def exam_results(session: Session, *, actor: User, exam_key: str, now: datetime) -> ExamResults:
    """The followed trainees who may take the exam, their attempts, scores and overrides."""
    exam = services.get_exam(session, exam_key)
    version = exam.current_version
    assert version is not None
    cohorts = followed_cohort_ids(session, actor=actor)
    query = (sa.select(User, Cohort.name).join(Cohort, Cohort.id == User.cohort_id)
             .where(User.role == Role.TRAINEE, User.active.is_(True), Cohort.id.in_(cohorts))
             .order_by(Cohort.name, User.employee_no))
    if version.track_key:
        query = query.where(Cohort.track_key == version.track_key)
    trainees = session.execute(query).all()
    ids = [t.id for t, _ in trainees]
    attempts: dict[int, list[Attempt]] = {i: [] for i in ids}
    for attempt in session.scalars(sa.select(Attempt).where(
            Attempt.exam_id == exam.id, Attempt.user_id.in_(ids)).order_by(Attempt.number)):
        services.finalize_if_expired(session, attempt=attempt, now=now)
        attempts[attempt.user_id].append(attempt)
    overrides: dict[int, list[ExamOverride]] = {i: [] for i in ids}
    for override in session.scalars(sa.select(ExamOverride).where(
            ExamOverride.exam_id == exam.id, ExamOverride.user_id.in_(ids))
            .order_by(ExamOverride.created_at, ExamOverride.id)):
        overrides[override.user_id].append(override)
    names = _names(session, {o.by_user_id for rows in overrides.values() for o in rows})
    definition = version.definition
    rows = []
    for trainee, cohort_name in trainees:
        mine = attempts[trainee.id]
        granted = overrides[trainee.id]
        extra_attempts = sum(o.extra_attempts for o in granted)
        counted = rules.counted([(a.number, a.score) for a in mine
                                 if a.status is AttemptStatus.GRADED], definition["counts"])
        check = rules.can_start(
            attempts_allowed=definition["attempts"], extra_attempts=extra_attempts,
            finished=[(a.submitted_at, bool(a.passed)) for a in mine if a.submitted_at],
            wait_minutes=0, now=now)
        rows.append(TraineeResult(
            trainee=trainee, cohort_name=cohort_name, attempts=mine, counted_score=counted,
            passed=None if counted is None else counted >= definition["pass_mark"],
            waiting=sum(1 for a in mine if a.status is AttemptStatus.SUBMITTED),
            overrides=[OverrideLine(o, names.get(o.by_user_id or 0, "")) for o in granted],
            extra_minutes=sum(o.extra_minutes for o in granted), extra_attempts=extra_attempts,
            attempts_left=check.attempts_left))
    return ExamResults(exam=exam, version=version, rows=rows)


@dataclass(frozen=True)
class ExamSummary:
    key: str
    title: str
    track_key: str | None
    stage_key: str | None
    attempts: int  # finished attempts of followed trainees
    waiting: int  # answers waiting for a trainer


def exams_overview(session: Session, *, actor: User) -> list[ExamSummary]:
    """Every exam, with how many attempts of followed trainees it has and how many wait."""
    cohorts = followed_cohort_ids(session, actor=actor)
    exams = session.execute(
        sa.select(Exam.id, Exam.key, ExamVersion.title, ExamVersion.track_key,
                  ExamVersion.stage_key)
        .join(ExamVersion, ExamVersion.id == Exam.current_version_id)
        .order_by(ExamVersion.track_key, ExamVersion.stage_key, Exam.key)).all()
    followed = sa.select(User.id).where(User.cohort_id.in_(cohorts))
    finished = dict(session.execute(
        sa.select(Attempt.exam_id, sa.func.count()).where(
            Attempt.status.in_(FINISHED), Attempt.user_id.in_(followed))
        .group_by(Attempt.exam_id)).all())
    waiting = dict(session.execute(
        sa.select(Attempt.exam_id, sa.func.count()).join(Response, Response.attempt_id == Attempt.id)
        .where(Attempt.status == AttemptStatus.SUBMITTED, Response.needs_manual.is_(True),
               Attempt.user_id.in_(followed))
        .group_by(Attempt.exam_id)).all())
    return [ExamSummary(key=key, title=title, track_key=track, stage_key=stage,
                        attempts=finished.get(exam_id, 0), waiting=waiting.get(exam_id, 0))
            for exam_id, key, title, track, stage in exams]


@dataclass(frozen=True)
class StaffReviewItem:
    """One question of an attempt as staff see it: key, answer, parts and explanation."""

    response_id: int
    position: int
    question_id: int
    question: dict[str, Any]
    version_number: int
    current_version_number: int | None
    answer: Any
    points: float | None
    max_points: float
    needs_manual: bool
    feedback: list[Any]
    grader_comment: str
    graded_by: str | None
    graded_at: datetime | None

    @property
    def newer_version(self) -> bool:
        return (self.current_version_number is not None
                and self.current_version_number != self.version_number)


@dataclass(frozen=True)
class AttemptReview:
    attempt: Attempt
    trainee: User
    pass_mark: float
    items: list[StaffReviewItem]


def attempt_review(session: Session, *, actor: User, attempt_id: int,
                   now: datetime) -> AttemptReview:
    """An attempt in full for the staff who follow the trainee: staff may see keys."""
    attempt = _visible_attempt(session, actor, attempt_id)
    services.finalize_if_expired(session, attempt=attempt, now=now)
    trainee = session.get(User, attempt.user_id)
    assert trainee is not None
    current = dict(session.execute(
        sa.select(Question.id, QuestionVersion.number)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.id.in_({r.question_version.question_id for r in attempt.responses})))
        .all())
    names = _names(session, {r.graded_by_id for r in attempt.responses})
    items = [StaffReviewItem(
        response_id=r.id, position=r.position, question_id=r.question_version.question_id,
        question=r.question_version.data, version_number=r.question_version.number,
        current_version_number=current.get(r.question_version.question_id),
        answer=r.answer, points=r.points, max_points=r.max_points, needs_manual=r.needs_manual,
        feedback=r.feedback, grader_comment=r.grader_comment,
        graded_by=names.get(r.graded_by_id or 0), graded_at=r.graded_at)
        for r in attempt.responses]
    return AttemptReview(attempt=attempt, trainee=trainee,
                         pass_mark=attempt.exam_version.definition["pass_mark"], items=items)


# --- overrides ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverrideResult:
    trainee: User
    override: ExamOverride
    extended: Attempt | None  # the attempt in progress whose deadline moved


def override_target(session: Session, *, actor: User, exam_key: str,
                    trainee_id: int) -> tuple[Exam, User]:
    """The exam and the trainee a trainer may grant an override for (or the refusal)."""
    exam = services.get_exam(session, exam_key)
    trainee = _followed_trainee(session, actor, trainee_id)
    _check_trainer(actor)
    version = exam.current_version
    assert version is not None
    cohort = trainee.cohort
    if not trainee.active or (version.track_key and (cohort is None
                                                     or cohort.track_key != version.track_key)):
        raise NotFound(N_("该新客服不参加这场考试"))
    return exam, trainee


def create_override(session: Session, *, actor: User, exam_key: str, trainee_id: int,
                    extra_minutes: int, extra_attempts: int, reason: str,
                    now: datetime) -> OverrideResult:
    """Grant a trainee extra minutes and/or attempts, with a reason (audited). An attempt in
    progress gets its deadline moved at once; later attempts get the time when they start."""
    exam, trainee = override_target(session, actor=actor, exam_key=exam_key,
                                    trainee_id=trainee_id)
    reason = (reason or "").strip()
    if not 0 <= extra_minutes <= MAX_EXTRA_MINUTES:
        raise OverrideInvalid(N_("加时应在 0 到 %(n)d 分钟之间"), n=MAX_EXTRA_MINUTES)
    if not 0 <= extra_attempts <= MAX_EXTRA_ATTEMPTS:
        raise OverrideInvalid(N_("补考次数应在 0 到 %(n)d 次之间"), n=MAX_EXTRA_ATTEMPTS)
    if not extra_minutes and not extra_attempts:
        raise OverrideInvalid(N_("请填写加时分钟数或补考次数"))
    if not reason:
        raise OverrideInvalid(N_("请填写原因"))
    if len(reason) > MAX_REASON_CHARS:
        raise OverrideInvalid(N_("原因最多 %(n)d 个字"), n=MAX_REASON_CHARS)
    override = ExamOverride(user_id=trainee.id, exam_id=exam.id, extra_minutes=extra_minutes,
                            extra_attempts=extra_attempts, reason=reason, by_user_id=actor.id,
                            created_at=now)
    session.add(override)
    extended = None
    for attempt in services.attempts_of(session, user_id=trainee.id, exam_id=exam.id):
        # An attempt whose time is already up is submitted as the rules promise; extra
        # time cannot reopen it (an extra attempt can give another go).
        services.finalize_if_expired(session, attempt=attempt, now=now)
        if attempt.status is AttemptStatus.IN_PROGRESS and extra_minutes:
            attempt.deadline_at = attempt.deadline_at + timedelta(minutes=extra_minutes)
            extended = attempt
    session.flush()
    audit.record(session, actor_id=actor.id, action="exam.override", target_type="user",
                 target_id=trainee.id,
                 details={"exam": exam.key, "extra_minutes": extra_minutes,
                          "extra_attempts": extra_attempts, "reason": reason,
                          "attempt": extended.id if extended else None,
                          "deadline": extended.deadline_at.isoformat() if extended else None},
                 now=now)
    return OverrideResult(trainee=trainee, override=override, extended=extended)


# --- regrade ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Regraded:
    points: float
    max_points: float
    feedback: list[dict[str, Any]]
    needs_manual: bool


def regraded(data: dict[str, Any], answer: Any, feedback: list[Any], *,
             manually_graded: bool) -> Regraded:
    """An answer graded again: automatic parts against `data`, a trainer's scores kept.

    A manual criterion the old grade has no score for (a new rubric line) sends the answer
    back to the grading queue.
    """
    auto = kinds.grade(data, answer)
    parts = [p.as_dict() for p in auto.parts]
    if not auto.needs_manual or not manually_graded:
        return Regraded(auto.points, auto.max_points, parts, auto.needs_manual)
    old = {p["key"]: p for p in feedback if isinstance(p, dict) and "key" in p}
    kept_points = 0.0
    waiting = False
    for index, part in enumerate(parts):
        if part["correct"] is not None:
            continue
        kept = old.get(part["key"])
        if kept is None or kept.get("correct") is None:
            waiting = True
            continue
        points = round(min(float(kept["points"]), part["max_points"]), 2)
        parts[index] = {**kept, "points": points, "max_points": part["max_points"],
                        "correct": points == part["max_points"]}
        kept_points += points
    return Regraded(round(auto.points + kept_points, 2), auto.max_points, parts, waiting)


@dataclass(frozen=True)
class RegradeLine:
    response: Response
    attempt: Attempt
    trainee: User
    from_version: int
    to_version: int
    version: QuestionVersion  # the version graded against
    old_points: float | None
    new: Regraded
    old_needs_manual: bool
    old_score: float | None
    new_score: float | None
    old_passed: bool | None
    new_passed: bool | None

    @property
    def changed(self) -> bool:
        return (self.from_version != self.to_version or self.old_points != self.new.points
                or self.old_needs_manual != self.new.needs_manual
                or self.old_score != self.new_score or self.old_passed != self.new_passed
                or self.response.feedback != self.new.feedback)

    @property
    def pass_changed(self) -> bool:
        return self.old_passed != self.new_passed


@dataclass(frozen=True)
class RegradePlan:
    question: Question
    ref: str  # bank/question-id
    target: QuestionVersion  # the question's current version
    use_current: bool
    lines: list[RegradeLine]

    @property
    def changes(self) -> list[RegradeLine]:
        return [line for line in self.lines if line.changed]

    @property
    def pass_changes(self) -> list[RegradeLine]:
        return [line for line in self.lines if line.pass_changed]


def plan_regrade(session: Session, *, actor: User, question_id: int,
                 use_current: bool) -> RegradePlan:
    """The dry run: every finished attempt of a followed trainee that was given this question,
    graded again — against the current version if `use_current` (the corrected key), else
    against the version it was given. Nothing is written."""
    question = session.get(Question, question_id)
    if question is None or question.current_version is None:
        raise NotFound(N_("找不到该题目"))
    _check_trainer(actor)
    cohorts = followed_cohort_ids(session, actor=actor)
    target = question.current_version
    bank_key = session.scalar(sa.select(QuestionBank.key).where(QuestionBank.id == question.bank_id))
    rows = session.execute(
        sa.select(Response, Attempt, User)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
        .where(QuestionVersion.question_id == question.id, Attempt.status.in_(FINISHED),
               User.cohort_id.in_(cohorts))
        .order_by(Attempt.submitted_at, Attempt.id, Response.position)).all()
    by_attempt: dict[int, dict[int, Regraded]] = {}
    computed: list[tuple[Response, Attempt, User, Regraded, QuestionVersion]] = []
    for response, attempt, trainee in rows:
        version = target if use_current else response.question_version
        # A trainer's scores are kept, also those of an answer sent back to the queue.
        new = regraded(version.data, response.answer, response.feedback,
                       manually_graded=response.graded_by_id is not None)
        by_attempt.setdefault(attempt.id, {})[response.id] = new
        computed.append((response, attempt, trainee, new, version))
    outcome = {attempt.id: _settled(attempt, by_attempt[attempt.id])
               for _, attempt, _, _, _ in computed}
    lines = [RegradeLine(
        response=response, attempt=attempt, trainee=trainee,
        from_version=response.question_version.number, to_version=version.number,
        version=version, old_points=response.points, new=new,
        old_needs_manual=response.needs_manual, old_score=attempt.score,
        new_score=outcome[attempt.id][0], old_passed=attempt.passed,
        new_passed=outcome[attempt.id][1])
        for response, attempt, trainee, new, version in computed]
    return RegradePlan(question=question, ref=f"{bank_key}/{question.qid}", target=target,
                       use_current=use_current, lines=lines)


def _settled(attempt: Attempt, new: dict[int, Regraded]) -> tuple[float | None, bool | None]:
    """The score and pass an attempt would get from settle_attempt with `new` applied."""
    points = max_points = 0.0
    waiting = False
    for response in attempt.responses:
        if response.id in new:
            grade = new[response.id]
            points += grade.points
            max_points += grade.max_points
            waiting = waiting or grade.needs_manual
        else:
            points += response.points or 0
            max_points += response.max_points
            waiting = waiting or response.needs_manual
    if waiting:
        return None, None
    score = rules.score(points, max_points)
    return score, score >= attempt.exam_version.definition["pass_mark"]


def apply_regrade(session: Session, *, actor: User, question_id: int, use_current: bool,
                  expected_version_id: int, now: datetime) -> RegradePlan:
    """Apply the dry run the trainer confirmed; each change is recorded in the audit log."""
    _check_trainer(actor)
    # The attempts concerned are locked first (PostgreSQL), so that a trainer grading one of
    # them meanwhile cannot leave its score unsettled.
    session.execute(
        sa.select(Attempt.id)
        .join(Response, Response.attempt_id == Attempt.id)
        .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
        .where(QuestionVersion.question_id == question_id, Attempt.status.in_(FINISHED))
        .with_for_update(of=Attempt)).all()
    plan = plan_regrade(session, actor=actor, question_id=question_id, use_current=use_current)
    if plan.target.id != expected_version_id:
        raise RegradeStale(N_("预览之后题目又有了新版本，请重新预览后再确认"))
    touched: dict[int, Attempt] = {}
    for line in plan.changes:
        response = line.response
        response.points = line.new.points
        response.max_points = line.new.max_points
        response.feedback = line.new.feedback
        response.needs_manual = line.new.needs_manual
        response.question_version = line.version
        touched[line.attempt.id] = line.attempt
    session.flush()
    for attempt in touched.values():
        services.settle_attempt(session, attempt, now)
    for line in plan.changes:
        audit.record(session, actor_id=actor.id, action="exam.regrade", target_type="response",
                     target_id=line.response.id,
                     details={"question": plan.ref, "attempt": line.attempt.id,
                              "trainee": line.trainee.id, "position": line.response.position,
                              "before": {"version": line.from_version, "points": line.old_points,
                                         "needs_manual": line.old_needs_manual,
                                         "score": line.old_score, "passed": line.old_passed},
                              "after": {"version": line.to_version, "points": line.new.points,
                                        "needs_manual": line.new.needs_manual,
                                        "score": line.attempt.score,
                                        "passed": line.attempt.passed}},
                     now=now)
    return plan
