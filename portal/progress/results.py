"""A trainee's own results: every written and simulated-chat exam attempt, each stage's
latest assessment result and the next step, read through each assessment domain's services
(exams and chat never import each other; this package reads both).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.chat.models import ChatAttempt, ChatAttemptStatus
from portal.chat.services import attempts as chat
from portal.courses import rules as course_rules
from portal.courses import services as courses
from portal.errors import DomainError
from portal.exams import services as exams
from portal.messages import Message

Source = course_rules.AssessmentSource


class AttemptState(StrEnum):
    IN_PROGRESS = "in_progress"
    PENDING = "pending"  # waits for a trainer's scoring
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class AttemptLine:
    attempt_id: int
    number: int
    started_at: datetime
    ended_at: datetime | None
    state: AttemptState
    score: float | None
    graded_at: datetime | None = None  # when a trainer finished scoring it


@dataclass(frozen=True)
class AssessmentResult:
    """One exam (written or chat) with every attempt of the trainee and what comes next."""

    source: Source  # EXAM or CHAT_EXAM
    key: str
    title: str
    stage_key: str | None
    pass_mark: float
    attempts: list[AttemptLine]
    passed: bool
    attempts_left: int
    may_start: bool
    next_allowed_at: datetime | None
    reason: Message | None  # why no attempt may start now
    open_attempt_id: int | None

    @property
    def latest(self) -> AttemptLine | None:
        finished = [a for a in self.attempts if a.state is not AttemptState.IN_PROGRESS]
        return finished[-1] if finished else None

    @property
    def pending(self) -> bool:
        return any(a.state is AttemptState.PENDING for a in self.attempts)

    def standing(self) -> course_rules.AssessmentStanding:
        """Where the trainee stands, for the track page: passed (with the best passing
        score), in progress, waiting for scoring, failed (the latest score) or not started."""
        State = course_rules.StandingState
        latest = self.latest
        passing = [a.score for a in self.attempts
                   if a.state is AttemptState.PASSED and a.score is not None]
        if self.passed:
            state, score = State.PASSED, max(passing, default=None)
        elif self.open_attempt_id is not None:
            state, score = State.IN_PROGRESS, None
        elif self.pending:
            state, score = State.PENDING, None
        elif latest is not None:
            state, score = State.FAILED, latest.score
        else:
            state, score = State.NOT_STARTED, None
        return course_rules.AssessmentStanding(
            source=self.source, key=self.key, title=self.title, state=state, score=score,
            attempts_left=self.attempts_left, attempts=len(self.attempts))


class StepKind(StrEnum):
    READ = "read"  # read the next module of the open stage
    TAKE = "take"  # take (or continue) an assessment now
    WAIT_RETAKE = "wait-retake"  # a retake opens at a time
    WAIT_GRADING = "wait-grading"  # a trainer is scoring an attempt
    CHECKLIST = "checklist"  # tick the team checklist, then a supervisor confirms
    WAIT_TRAINER = "wait-trainer"  # no online assessment: a trainer marks the stage
    ASK_TRAINER = "ask-trainer"  # no attempt left
    DONE = "done"  # every stage passed


@dataclass(frozen=True)
class NextStep:
    kind: StepKind
    stage_key: str | None = None
    stage_title: str = ""
    module_key: str | None = None
    module_title: str = ""
    assessment: AssessmentResult | None = None


@dataclass(frozen=True)
class MyResults:
    assessments: list[AssessmentResult]
    next_step: NextStep | None  # None without a published track

    def for_stage(self, stage_key: str) -> list[AssessmentResult]:
        return [a for a in self.assessments if a.stage_key == stage_key]

    def standings(self) -> courses.Standings:
        return {(a.source, a.key): a.standing() for a in self.assessments}


def _exam_result(record: exams.ExamRecord) -> AssessmentResult:
    return AssessmentResult(
        source=Source.EXAM, key=record.key, title=record.title, stage_key=record.stage_key,
        pass_mark=record.pass_mark,
        attempts=[AttemptLine(attempt_id=a.attempt_id, number=a.number,
                              started_at=a.started_at, ended_at=a.submitted_at,
                              state=AttemptState(a.state.value), score=a.score,
                              graded_at=a.graded_at) for a in record.attempts],
        passed=record.passed, attempts_left=record.check.attempts_left,
        may_start=record.check.allowed, next_allowed_at=record.check.next_allowed_at,
        reason=record.check.reason, open_attempt_id=record.open_attempt_id)


def _chat_state(attempt: ChatAttempt) -> AttemptState:
    if attempt.status is ChatAttemptStatus.IN_PROGRESS:
        return AttemptState.IN_PROGRESS
    return AttemptState.PASSED if attempt.passed else AttemptState.FAILED


def _chat_result(status: chat.DrillStatus) -> AssessmentResult:
    return AssessmentResult(
        source=Source.CHAT_EXAM, key=status.drill.key, title=status.version.title,
        stage_key=status.version.stage_key, pass_mark=status.definition.pass_mark,
        attempts=[AttemptLine(attempt_id=a.id, number=a.number, started_at=a.started_at,
                              ended_at=a.ended_at, state=_chat_state(a), score=a.score)
                  for a in status.attempts],
        passed=status.passed, attempts_left=status.check.attempts_left,
        may_start=status.check.allowed, next_allowed_at=status.check.next_allowed_at,
        reason=status.check.reason,
        open_attempt_id=status.open_attempt.id if status.open_attempt else None)


def _read(session: Session, user: User, source: Source, key: str,
          now: datetime) -> AssessmentResult | None:
    """One assessment through its own domain's service; None when the trainee may not take
    it (another track, a stage not open yet) or it is not online."""
    try:
        if source is Source.EXAM:
            return _exam_result(exams.exam_record(session, user=user, exam_key=key, now=now))
        return _chat_result(chat.drill_status(session, user=user, drill_key=key, now=now))
    except DomainError:
        return None


class _Unset:
    """No track view given: my_results reads it."""


_UNSET = _Unset()


def my_results(session: Session, *, user: User, now: datetime,
               view: courses.TrackView | None | _Unset = _UNSET) -> MyResults:
    """Every assessment of the trainee's track (in stage order) and any other written exam
    they attempted, with their attempts, and the next step on the track. `view` is the
    trainee's track (`courses.track_for_trainee`) when the caller has read it already."""
    if isinstance(view, _Unset):
        view = courses.track_for_trainee(session, user=user)
    wanted: list[tuple[Source, str]] = []
    if view is not None:
        for status in view.statuses:
            for assessment in view.online.get(status.key, []):
                if assessment.key is not None and status.state is not course_rules.StageState.LOCKED:
                    wanted.append((assessment.source, assessment.key))
    for key in exams.attempted_exam_keys(session, user_id=user.id):
        if (Source.EXAM, key) not in wanted:
            wanted.append((Source.EXAM, key))
    found = [_read(session, user, source, key, now) for source, key in wanted]
    assessments = [a for a in found if a is not None]
    return MyResults(assessments=assessments,
                     next_step=next_step(view, assessments) if view is not None else None)


def next_step(view: courses.TrackView, assessments: list[AssessmentResult]) -> NextStep:
    """What the trainee should do now: the first open stage's unread module, else its
    assessment (or the wait for it), else the stage's checklist or its trainer."""
    by_key = {(a.source, a.key): a for a in assessments}
    stages = {s.key: s for s in view.version.stages}
    for status in view.statuses:
        if status.state is not course_rules.StageState.OPEN:
            continue
        where = {"stage_key": status.key, "stage_title": status.title}
        for key in stages[status.key].modules:
            module = view.modules.get(key)
            progress = view.progress.get(key)
            if module is not None and module.current_version is not None and (
                    progress is None or progress.completed_at is None):
                return NextStep(StepKind.READ, module_key=key,
                                module_title=module.current_version.title, **where)
        if status.kind == "team-integration":
            return NextStep(StepKind.CHECKLIST, **where)
        online = [by_key[(a.source, a.key)] for a in view.online.get(status.key, [])
                  if (a.source, a.key) in by_key]
        for result in online:
            if result.passed:
                continue
            if result.open_attempt_id is not None:
                return NextStep(StepKind.TAKE, assessment=result, **where)
            if result.pending:  # the attempt being scored may pass: no retake asked for
                return NextStep(StepKind.WAIT_GRADING, assessment=result, **where)
            if result.may_start:
                return NextStep(StepKind.TAKE, assessment=result, **where)
            if result.next_allowed_at is not None:
                return NextStep(StepKind.WAIT_RETAKE, assessment=result, **where)
            return NextStep(StepKind.ASK_TRAINER, assessment=result, **where)
        return NextStep(StepKind.WAIT_TRAINER, **where)
    return NextStep(StepKind.DONE)


def assessment_standings(session: Session, user: User, now: datetime) -> courses.Standings:
    """The reader courses asks for the track page (registered in create_app)."""
    return my_results(session, user=user, now=now).standings()
