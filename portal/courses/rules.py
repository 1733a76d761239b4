"""Pure rules of the onboarding track: which stages are open, planned days, progress."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

# The stage definitions are the track reader's types (portal.content.rules); re-exported
# here because every assessment domain names them through courses.
from portal.content.rules import (
    ONLINE_SOURCES,
    AssessmentSource,
    ChecklistItem,
    Planned,
    Stage,
    StageAssessment,
    StageKind,
    stages_from_data,
)

__all__ = ["ONLINE_SOURCES", "AssessmentSource", "ChecklistItem", "Planned", "Stage",
           "StageAssessment", "StageKind", "stages_from_data"]  # re-exported


def module_path(track_key: str, module_key: str) -> str:
    """The portal URL of a module (internal links in content are rewritten to it)."""
    return f"/tracks/{track_key}/modules/{module_key}"


def stage_assessments(stage: Stage) -> list[StageAssessment]:
    """Every assessment a stage needs to pass, from its definition alone (`Stage.requirements`)."""
    return list(stage.requirements)


def stage_assessment(stage: Stage) -> StageAssessment:
    """The stage's first assessment (its written exam when it names one)."""
    return stage.requirements[0]


class StandingState(StrEnum):
    """Where a trainee stands with one online assessment."""

    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    PENDING = "pending"  # an attempt waits for a trainer's scoring
    PASSED = "passed"
    FAILED = "failed"  # the latest finished attempt did not pass


@dataclass(frozen=True)
class AssessmentStanding:
    """One of a stage's online assessments as the track page shows it: its state, the score
    that passed it (or the latest one) and how many attempts are left. Built by the
    assessment domains' results (portal.progress.results), shown by courses."""

    source: AssessmentSource
    key: str
    title: str
    state: StandingState
    score: float | None
    attempts_left: int
    attempts: int = 0


class StageState(StrEnum):
    LOCKED = "locked"
    OPEN = "open"
    PASSED = "passed"


@dataclass(frozen=True)
class StageStatus:
    key: str
    title: str
    summary: str
    kind: StageKind
    state: StageState
    modules_total: int
    modules_done: int
    assessment: str | None
    planned_date: date | None
    planned_duration: str
    unlocked_by: str | None  # title of the stage whose assessment opens this one
    chat_exam: str | None = None  # the drill key of a stage's simulated-chat exam

    @property
    def percent(self) -> int:
        return round(100 * self.modules_done / self.modules_total) if self.modules_total else 0


def working_day(start: date, day: int) -> date:
    """The date of working day `day` (1 = the start date), skipping weekends."""
    current = start
    while current.weekday() >= 5:
        current += timedelta(days=1)
    remaining = day - 1
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def stage_statuses(stages: Sequence[Stage], *, passed: set[str], done_modules: set[str],
                   start_date: date | None) -> list[StageStatus]:
    """Each stage opens only when every earlier stage's assessment is passed."""
    result: list[StageStatus] = []
    previous_passed = True
    previous_title: str | None = None
    for stage in stages:
        if stage.key in passed:
            state = StageState.PASSED
        elif previous_passed:
            state = StageState.OPEN
        else:
            state = StageState.LOCKED
        result.append(StageStatus(
            key=stage.key, title=stage.title, summary=stage.summary,
            kind=stage.kind, state=state, modules_total=len(stage.modules),
            modules_done=sum(1 for m in stage.modules if m in done_modules),
            assessment=stage.exam_key,
            planned_date=working_day(start_date, stage.planned.day) if start_date else None,
            planned_duration=stage.planned.duration,
            unlocked_by=None if state is not StageState.LOCKED else previous_title,
            chat_exam=stage.chat_exam_key,
        ))
        previous_passed = previous_passed and stage.key in passed
        previous_title = stage.title
    return result


def stage_of_module(stages: Sequence[Stage], module_key: str) -> Stage | None:
    return next((s for s in stages if module_key in s.modules), None)


def reading_order(stages: Sequence[Stage]) -> list[str]:
    return [m for s in stages for m in s.modules]


# How stale a trainee's "last opened" time of a module may get: a visit moves it only when
# it is older than this, so that reading a page again within minutes writes nothing.
LAST_SEEN_STEP = timedelta(minutes=5)


def visit_due(last_opened_at: datetime | None, now: datetime) -> bool:
    """Whether a visit now must be written: the first one, or the last one long enough ago."""
    return last_opened_at is None or now - last_opened_at >= LAST_SEEN_STEP


# Seconds of reading counted for one heartbeat at most: a tab left open overnight
# does not count as study time.
MAX_HEARTBEAT_SECONDS = 120


def clamp_seconds(seconds: int) -> int:
    return max(0, min(int(seconds), MAX_HEARTBEAT_SECONDS))


@dataclass(frozen=True)
class ChecklistState:
    items: tuple[ChecklistItem, ...]
    ticked: frozenset[str]

    @property
    def done(self) -> int:
        return sum(1 for item in self.items if item.key in self.ticked)

    @property
    def complete(self) -> bool:
        return bool(self.items) and self.done == len(self.items)


def checklist_state(stage: Stage, ticked: set[str]) -> ChecklistState:
    keys = {item.key for item in stage.checklist}
    return ChecklistState(items=stage.checklist, ticked=frozenset(k for k in ticked if k in keys))
