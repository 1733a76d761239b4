"""Grading one response: the answer beside its rubric, the lock a grader claims, the score
saved and the attempt settled after its last manual item.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.auth.models import User
from portal.exams import kinds, services
from portal.exams.errors import AlreadyGraded, GradeInvalid, LockHeld
from portal.exams.grading.common import (
    LOCK_TTL,
    MAX_COMMENT_CHARS,
    _check_trainer,
    _names,
    _visible_response,
    lock_live,
)
from portal.exams.models import (
    Attempt,
    AttemptStatus,
    Response,
)
from portal.messages import N_

# --- grading one response -----------------------------------------------------------------


@dataclass(frozen=True)
class RubricLine:
    """A criterion of the rubric as the grading page shows it, with the score given."""

    number: int
    text: str
    points: float
    guidance: str
    given: float | None  # the score given, once graded


@dataclass(frozen=True)
class GradingSection:
    """A short answer, or one sub-question of a case, beside its rubric."""

    key: str  # "" for a short answer; the sub-question id in a case
    question: kinds.QuestionDef  # the (sub-)question's full definition, rubric and all
    answer: Any
    manual: bool  # graded here by the trainer (otherwise graded automatically)
    points: float | None  # the automatic points of an automatic part
    max_points: float
    criteria: list[RubricLine]


@dataclass(frozen=True)
class GradingPage:
    response: Response
    attempt: Attempt
    trainee: User
    exam_title: str
    question: kinds.QuestionDef
    sections: list[GradingSection]
    waiting: bool  # still waits for a trainer
    lock_holder: str | None  # who holds a live lock (may be the viewer)
    lock_mine: bool
    locked_until: datetime | None
    graded_by: str | None

    @property
    def can_save(self) -> bool:
        """Scores may be entered and saved: nobody else is scoring this answer now."""
        return self.waiting and (self.lock_mine or self.lock_holder is None)


def _criteria(question: kinds.QuestionDef, section_key: str,
              given: Mapping[str, float]) -> list[RubricLine]:
    prefix = f"{section_key}/" if section_key else ""
    return [RubricLine(number=i, text=c.criterion, points=c.points, guidance=c.guidance,
                      given=given.get(f"{prefix}{i}"))
            for i, c in enumerate(kinds.rubric(question), 1)]


def grading_sections(question: kinds.QuestionDef, answer: Any,
                     feedback: list[Any]) -> list[GradingSection]:
    """What a grader sees of a question: each part beside its rubric, with any scores given."""
    # Scores a trainer gave (kept by a regrade too); parts waiting for one have no verdict.
    given = {p["key"]: p["points"] for p in feedback
             if isinstance(p, dict) and p.get("correct") is not None}
    sections = []
    for part in kinds.grading_sections(question, answer):
        auto = kinds.grade(part.question, part.answer)
        sections.append(GradingSection(
            key=part.key, question=part.question, answer=part.answer, manual=auto.needs_manual,
            points=None if auto.needs_manual else auto.points, max_points=part.question.points,
            criteria=_criteria(part.question, part.key, given) if auto.needs_manual else []))
    return sections


def grading_page(session: Session, *, actor: User, response_id: int, now: datetime,
                 claim: bool = False) -> GradingPage:
    """One answer beside its rubric. Opening it locks nothing: the lock is taken when the
    grader starts scoring (`claim_response`, or `claim`), for LOCK_MINUTES from the last
    claim, unless another grader holds a live lock."""
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
    question = response.question_version.definition
    return GradingPage(
        response=response, attempt=attempt, trainee=trainee,
        exam_title=attempt.exam_version.title, question=question,
        sections=grading_sections(question, response.answer, response.feedback),
        waiting=waiting,
        lock_holder=names.get(response.locked_by_id or 0) if live else None,
        lock_mine=live and response.locked_by_id == actor.id,
        locked_until=response.locked_at + LOCK_TTL if live and response.locked_at else None,
        graded_by=names.get(response.graded_by_id or 0))


def claim_response(session: Session, *, actor: User, response_id: int,
                   now: datetime) -> GradingPage:
    """The grader starts (or goes on) scoring: take or renew the lock when nobody else holds
    a live one; the page says who holds it."""
    return grading_page(session, actor=actor, response_id=response_id, now=now, claim=True)


def release_response(session: Session, *, actor: User, response_id: int) -> bool:
    """The grader leaves without saving: their lock, if they hold one, is given up at once
    (nobody waits for it to run out). True when a lock was released."""
    response = _visible_response(session, actor, response_id)
    _check_trainer(actor)
    result = session.execute(
        sa.update(Response).where(Response.id == response.id,
                                  Response.locked_by_id == actor.id)
        .values(locked_by_id=None, locked_at=None).execution_options(synchronize_session=False))
    session.expire(response, ["locked_by_id", "locked_at"])
    return result.rowcount == 1  # type: ignore[attr-defined]


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
    # Saving takes the lock when it is ours or free (a grader need not have claimed it
    # first); the row then stays held until commit, so nobody can take it meanwhile.
    if not _claim(session, response, actor, now):
        holder = response.locked_by_id
        name = _names(session, {holder}).get(holder or 0, "")
        raise LockHeld(N_("这道题正在由 %(name)s 评分，你的评分没有保存"), name=name)
    grade = kinds.grade_manually(response.question_version.definition, response.answer, scores)
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
