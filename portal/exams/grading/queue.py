"""The grading queue: answers waiting for a trainer, oldest first, with their locks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.exams.grading.common import (
    LOCK_TTL,
    _check_trainer,
    _names,
    followed_cohort_ids,
    lock_live,
)
from portal.exams.models import (
    Attempt,
    AttemptStatus,
    Exam,
    ExamVersion,
    QuestionVersion,
    Response,
)

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
