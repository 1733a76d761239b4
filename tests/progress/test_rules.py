"""Pure rules of the progress views, without a database."""
from __future__ import annotations

from datetime import date

from portal.courses.rules import StageState, stage_statuses, stages_from_data
from portal.progress import rules
from portal.progress.rules import ModuleState, ScheduleFilter
from tests.progress.progress_fixtures import STAGES, START


def test_module_state_follows_opening_and_completion() -> None:
    assert rules.module_state(opened=False, completed=False) is ModuleState.NOT_STARTED
    assert rules.module_state(opened=True, completed=False) is ModuleState.STARTED
    assert rules.module_state(opened=True, completed=True) is ModuleState.READ


def test_minutes_are_whole_minutes_as_on_the_track_page() -> None:
    assert [rules.minutes(s) for s in (0, 59, 60, 125, -5)] == [0, 0, 1, 2, 0]


def test_working_days_between_skips_weekends() -> None:
    friday, monday = date(2026, 11, 27), date(2026, 11, 30)
    assert rules.working_days_between(friday, monday) == 1
    assert rules.working_days_between(friday, date(2026, 11, 29)) == 0
    assert rules.working_days_between(monday, friday) == 0
    assert rules.working_days_between(date(2026, 11, 23), friday) == 4


def test_a_trainee_is_behind_when_an_open_stage_was_planned_before_today() -> None:
    statuses = stage_statuses(stages_from_data(STAGES), passed={"s1"}, done_modules=set(), start_date=START)
    assert [s.state for s in statuses] == [StageState.PASSED, StageState.OPEN, StageState.LOCKED]
    # s2 is planned on Tuesday the 24th.
    assert not rules.is_behind(statuses, date(2026, 11, 24))
    assert rules.is_behind(statuses, date(2026, 11, 25))
    # A stage planned for today (s3, Thursday the 26th) is not late yet.
    assert not rules.is_behind(stage_statuses(stages_from_data(STAGES), passed={"s1", "s2"}, done_modules=set(),
                                              start_date=START), date(2026, 11, 26))


def test_schedule_filter_and_name_search() -> None:
    assert rules.matches_schedule(None, behind=True, finished=False)
    assert rules.matches_schedule(ScheduleFilter.BEHIND, behind=True, finished=False)
    assert not rules.matches_schedule(ScheduleFilter.ON_TRACK, behind=True, finished=False)
    assert rules.matches_schedule(ScheduleFilter.ON_TRACK, behind=False, finished=False)
    assert rules.matches_schedule(ScheduleFilter.FINISHED, behind=False, finished=True)
    assert rules.matches_name("", "林小雨", "E001")
    assert rules.matches_name("小雨", "林小雨", "E001")
    assert rules.matches_name(" e00 ", "林小雨", "E001")
    assert not rules.matches_name("王", "林小雨", "E001")
