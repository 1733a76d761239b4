"""Pure rules of the progress views: reading states, who is behind, how late a stage is."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

from portal.courses.rules import StageState, StageStatus


class ModuleState(StrEnum):
    NOT_STARTED = "not-started"
    STARTED = "started"
    READ = "read"


class ScheduleFilter(StrEnum):
    """The grid's status filter (an empty value shows everyone)."""

    BEHIND = "behind"
    ON_TRACK = "on-track"
    FINISHED = "finished"


def module_state(*, opened: bool, completed: bool) -> ModuleState:
    if completed:
        return ModuleState.READ
    return ModuleState.STARTED if opened else ModuleState.NOT_STARTED


def minutes(seconds: int) -> int:
    """Whole minutes, as the trainee's track page shows them (rounded down)."""
    return max(0, seconds) // 60


def working_days_between(start: date, end: date) -> int:
    """Working days (Monday-Friday) after `start` up to and including `end`; 0 if none."""
    days = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days += 1
    return days


def stage_is_behind(status: StageStatus, today: date) -> bool:
    """An open stage that should have started before today."""
    return (status.state is StageState.OPEN and status.planned_date is not None
            and status.planned_date < today)


def is_behind(statuses: Iterable[StageStatus], today: date) -> bool:
    return any(stage_is_behind(s, today) for s in statuses)


def is_finished(statuses: Iterable[StageStatus]) -> bool:
    states = [s.state for s in statuses]
    return bool(states) and all(state is StageState.PASSED for state in states)


def matches_schedule(wanted: ScheduleFilter | None, *, behind: bool, finished: bool) -> bool:
    if wanted is None:
        return True
    if wanted is ScheduleFilter.BEHIND:
        return behind
    if wanted is ScheduleFilter.FINISHED:
        return finished
    return not behind and not finished


def matches_name(query: str, *names: str) -> bool:
    """Case-insensitive substring search over a person's name and employee number."""
    needle = query.strip().casefold()
    return not needle or any(needle in name.casefold() for name in names)
