"""Staff views of results: an exam's results per trainee, the overview of exams, and one
attempt reviewed with its answers, keys and grades.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import Cohort, Role, User
from portal.exams import rules, services
from portal.exams.grading.common import FINISHED, _names, _visible_attempt, followed_cohort_ids
from portal.exams.models import (
    Attempt,
    AttemptStatus,
    Exam,
    ExamOverride,
    ExamVersion,
    Question,
    QuestionVersion,
    Response,
)

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
                                 if a.status is AttemptStatus.GRADED], definition.counts)
        check = rules.can_start(
            attempts_allowed=definition.attempts, extra_attempts=extra_attempts,
            finished=[(a.submitted_at, bool(a.passed)) for a in mine if a.submitted_at],
            wait_minutes=0, now=now)
        rows.append(TraineeResult(
            trainee=trainee, cohort_name=cohort_name, attempts=mine, counted_score=counted,
            passed=None if counted is None else counted >= definition.pass_mark,
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


@dataclass(frozen=True, kw_only=True)
class StaffReviewItem(services.ReviewItem):
    """One question of an attempt as staff see it: the trainee's review, key, versions, grader."""

    response_id: int
    question_id: int
    version_number: int
    current_version_number: int | None
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
        **services.review_fields(r), response_id=r.id,
        question_id=r.question_version.question_id, version_number=r.question_version.number,
        current_version_number=current.get(r.question_version.question_id),
        graded_by=names.get(r.graded_by_id or 0), graded_at=r.graded_at)
        for r in attempt.responses]
    return AttemptReview(attempt=attempt, trainee=trainee,
                         pass_mark=attempt.exam_version.definition.pass_mark, items=items)
