"""Pure track rules: gating, planned days, reading order."""
from __future__ import annotations

from datetime import date

from portal.courses import rules
from portal.courses.rules import StageState

STAGES = rules.stages_from_data([
    {"key": "basics", "title": "基础知识", "planned_day": 1, "modules": ["a", "b"]},
    {"key": "ops", "title": "基本操作能力", "planned_day": 1, "modules": ["c"]},
    {"key": "team", "title": "融入团队", "planned_day": 3, "modules": ["d"], "kind": "team-integration"},
    {"key": "practice", "title": "实际解决能力", "planned_day": 3, "modules": ["e"]},
])


def test_only_the_first_stage_is_open_at_the_start() -> None:
    statuses = rules.stage_statuses(STAGES, passed=set(), done_modules=set(), start_date=None)
    assert [s.state for s in statuses] == [StageState.OPEN] + [StageState.LOCKED] * 3
    assert statuses[1].unlocked_by == "基础知识"
    assert statuses[0].unlocked_by is None


def test_passing_a_stage_opens_the_next_only() -> None:
    statuses = rules.stage_statuses(STAGES, passed={"basics"}, done_modules={"a"}, start_date=None)
    assert [s.state for s in statuses] == [StageState.PASSED, StageState.OPEN, StageState.LOCKED,
                                           StageState.LOCKED]
    assert statuses[0].modules_done == 1 and statuses[0].percent == 50


def test_a_later_pass_does_not_open_stages_behind_a_locked_one() -> None:
    statuses = rules.stage_statuses(STAGES, passed={"basics", "team"}, done_modules=set(),
                                    start_date=None)
    assert statuses[2].state is StageState.PASSED
    assert statuses[3].state is StageState.LOCKED


def test_planned_dates_skip_weekends() -> None:
    friday = date(2026, 11, 27)
    assert rules.working_day(friday, 1) == friday
    assert rules.working_day(friday, 2) == date(2026, 11, 30)  # Monday
    assert rules.working_day(date(2026, 11, 28), 1) == date(2026, 11, 30)  # Saturday start
    statuses = rules.stage_statuses(STAGES, passed=set(), done_modules=set(),
                                    start_date=date(2026, 11, 23))
    assert statuses[2].planned_date == date(2026, 11, 25)


def test_reading_order_and_stage_lookup() -> None:
    assert rules.reading_order(STAGES) == ["a", "b", "c", "d", "e"]
    assert rules.stage_of_module(STAGES, "c").key == "ops"
    assert rules.stage_of_module(STAGES, "zz") is None


def test_heartbeats_are_clamped() -> None:
    assert rules.clamp_seconds(-5) == 0
    assert rules.clamp_seconds(30) == 30
    assert rules.clamp_seconds(100000) == rules.MAX_HEARTBEAT_SECONDS
