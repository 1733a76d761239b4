"""Pure rules of the onboarding track: which stages are open, planned days, progress."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any


def module_path(track_key: str, module_key: str) -> str:
    """The portal URL of a module (internal links in content are rewritten to it)."""
    return f"/tracks/{track_key}/modules/{module_key}"


class AssessmentSource(StrEnum):
    """What passed a stage; the value is stored in `StageCompletion.source`.

    An assessment domain (written exams today; chat exams and observation reviews next)
    reports a pass to courses with its source; courses never asks the domain's tables.
    """

    EXAM = "exam"  # a written exam (portal.exams); the value rows have always had
    CHAT_EXAM = "chat-exam"  # a simulated-chat exam
    OBSERVATION = "observation"  # a supervisor's observation review
    CHECKLIST = "checklist"  # the team-integration checklist, confirmed by a supervisor
    MANUAL = "manual"  # marked passed by a trainer or supervisor, with a reason


# The sources that are taken online in an assessment domain, not decided by a person.
ONLINE_SOURCES = frozenset({AssessmentSource.EXAM, AssessmentSource.CHAT_EXAM,
                            AssessmentSource.OBSERVATION})


@dataclass(frozen=True)
class StageAssessment:
    """The assessment a stage's definition asks for: its kind and, for an online one, its key."""

    source: AssessmentSource
    key: str | None = None


def stage_assessments(stage: Mapping[str, Any]) -> list[StageAssessment]:
    """Every assessment a stage needs to pass, from its definition alone; it passes when all are.

    A team-integration stage passes by its checklist; `assessment: <key>` names a written
    exam and `chat_exam: <key>` a simulated-chat drill (either or both); a stage with neither
    is marked passed by its trainer.
    """
    if stage.get("kind") == "team-integration":
        return [StageAssessment(AssessmentSource.CHECKLIST)]
    found = [StageAssessment(source, str(stage[field]))
             for field, source in (("assessment", AssessmentSource.EXAM),
                                   ("chat_exam", AssessmentSource.CHAT_EXAM))
             if stage.get(field)]
    return found or [StageAssessment(AssessmentSource.MANUAL)]


def stage_assessment(stage: Mapping[str, Any]) -> StageAssessment:
    """The stage's first assessment (its written exam when it names one)."""
    return stage_assessments(stage)[0]


class StageState(StrEnum):
    LOCKED = "locked"
    OPEN = "open"
    PASSED = "passed"


@dataclass(frozen=True)
class StageStatus:
    key: str
    title: str
    summary: str
    kind: str
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


def stage_statuses(stages: list[dict[str, Any]], *, passed: set[str], done_modules: set[str],
                   start_date: date | None) -> list[StageStatus]:
    """Each stage opens only when every earlier stage's assessment is passed."""
    result: list[StageStatus] = []
    previous_passed = True
    previous_title: str | None = None
    for stage in stages:
        if stage["key"] in passed:
            state = StageState.PASSED
        elif previous_passed:
            state = StageState.OPEN
        else:
            state = StageState.LOCKED
        modules = stage.get("modules", [])
        result.append(StageStatus(
            key=stage["key"], title=stage["title"], summary=stage.get("summary", ""),
            kind=stage.get("kind", "modules"), state=state, modules_total=len(modules),
            modules_done=sum(1 for m in modules if m in done_modules),
            assessment=stage.get("assessment"),
            planned_date=working_day(start_date, stage["planned_day"]) if start_date else None,
            planned_duration=stage.get("planned_duration", ""),
            unlocked_by=None if state is not StageState.LOCKED else previous_title,
            chat_exam=stage.get("chat_exam"),
        ))
        previous_passed = previous_passed and stage["key"] in passed
        previous_title = stage["title"]
    return result


def stage_of_module(stages: list[dict[str, Any]], module_key: str) -> dict[str, Any] | None:
    return next((s for s in stages if module_key in s.get("modules", [])), None)


def reading_order(stages: list[dict[str, Any]]) -> list[str]:
    return [m for s in stages for m in s.get("modules", [])]


# Seconds of reading counted for one heartbeat at most: a tab left open overnight
# does not count as study time.
MAX_HEARTBEAT_SECONDS = 120


def clamp_seconds(seconds: int) -> int:
    return max(0, min(int(seconds), MAX_HEARTBEAT_SECONDS))


@dataclass(frozen=True)
class ChecklistState:
    items: list[dict[str, Any]]
    ticked: frozenset[str]

    @property
    def done(self) -> int:
        return sum(1 for item in self.items if item["key"] in self.ticked)

    @property
    def complete(self) -> bool:
        return bool(self.items) and self.done == len(self.items)


def checklist_state(stage: dict[str, Any], ticked: set[str]) -> ChecklistState:
    items = list(stage.get("checklist", []))
    return ChecklistState(items=items, ticked=frozenset(k for k in ticked
                                                         if any(i["key"] == k for i in items)))
