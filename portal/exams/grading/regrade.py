"""Regrading after a question's key is fixed: a dry run listing what changes, then applying it."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.auth.models import User
from portal.errors import NotFound
from portal.exams import kinds, rules, services
from portal.exams.errors import RegradeStale
from portal.exams.grading.common import FINISHED, _check_trainer, followed_cohort_ids
from portal.exams.models import (
    Attempt,
    Question,
    QuestionBank,
    QuestionVersion,
    Response,
)
from portal.messages import N_

# --- regrade ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Regraded:
    points: float
    max_points: float
    parts: tuple[kinds.Part, ...]
    needs_manual: bool

    @property
    def feedback(self) -> list[dict[str, Any]]:
        """The parts as `Response.feedback` stores them."""
        return [p.as_dict() for p in self.parts]


def regraded(question: kinds.QuestionDef, answer: Any, feedback: list[Any], *,
             manually_graded: bool) -> Regraded:
    """An answer graded again: automatic parts against `question`, a trainer's scores kept.

    A manual criterion the old grade has no score for (a new rubric line) sends the answer
    back to the grading queue.
    """
    auto = kinds.grade(question, answer)
    parts = list(auto.parts)
    if not auto.needs_manual or not manually_graded:
        return Regraded(auto.points, auto.max_points, tuple(parts), auto.needs_manual)
    old = {p.key: p for p in kinds.parts_of(feedback)}
    kept_points = 0.0
    waiting = False
    for index, part in enumerate(parts):
        if part.correct is not None:
            continue
        kept = old.get(part.key)
        if kept is None or kept.correct is None:
            waiting = True
            continue
        points = round(min(kept.points, part.max_points), 2)
        parts[index] = dataclasses.replace(kept, points=points, max_points=part.max_points,
                                           correct=points == part.max_points)
        kept_points += points
    return Regraded(round(auto.points + kept_points, 2), auto.max_points, tuple(parts), waiting)


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
        new = regraded(version.definition, response.answer, response.feedback,
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
    return score, score >= attempt.exam_version.definition.pass_mark


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
