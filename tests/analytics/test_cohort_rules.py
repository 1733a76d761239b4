"""The pure figures of the cohort analytics: a stage's plan read from its duration, stage
times in working days, pass rates per attempt number and the small-sample warning."""
from __future__ import annotations

from datetime import date

import pytest

from portal.analytics import cohort_rules as rules
from portal.analytics.cohort_rules import Outcome, StagePlan, StageSpec
from portal.analytics.stats import WarningCode

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(("duration", "days"), [
    ("半个工作日", 1), ("半天", 1), ("1 个工作日", 1), ("1 天", 1), ("两个工作日", 2),
    ("1-2 个工作日", 2), ("1.5 天", 2), ("三至五天", 5),
    ("第 3-5 个工作日", 3), ("第4～5个工作日", 2), ("上班第三天", 1), ("第十二天", 1),
    ("随时", None), ("", None), ("第 5-3 天", None),
])
def test_the_plan_is_read_from_the_tracks_duration(duration: str, days: int | None) -> None:
    assert rules.planned_days(duration) == days


def test_a_duration_that_does_not_read_falls_back_on_the_planned_days() -> None:
    """Days 1, 2 and 4: due on days 1, 3 and 5 (the dashboard's due_days), so 1, 2 and 2 days."""
    assert rules.stage_plans([(1, "随时"), (2, ""), (4, "2 天")]) == [
        StagePlan(1, False), StagePlan(2, False), StagePlan(2, True)]


STAGES = [StageSpec("a", "甲阶段", 1, "1 个工作日"), StageSpec("b", "乙阶段", 2, "1-2 个工作日")]


def test_stage_times_skip_weekends_and_count_both_ends() -> None:
    """Passed a on Monday (day 1: 1 day) and b the next Monday (day 6: 6 - 1 + 1 = 6 days,
    the weekend not counted); another passed a on Saturday, which counts as Friday (day 5:
    5 days) and is on b since: read on Tuesday the 1st (day 7), 7 - 5 + 1 = 3 > 2."""
    times = rules.stage_times(
        stages=STAGES, start=MONDAY, today=date(2026, 12, 1),
        passed_on=[{"a": MONDAY, "b": date(2026, 11, 30)}, {"a": date(2026, 11, 28)}])
    a, b = times
    assert (a.durations, a.late, a.median, a.on_plan) == ((1, 5), 1, 3.0, 1)
    assert (b.durations, b.late, b.on_it, b.overdue, b.not_started) == ((6,), 1, 1, 1, 0)


def test_a_stage_passed_out_of_order_counts_from_the_latest_earlier_one() -> None:
    """b passed by hand on day 2 before a: it counts from the cohort's start (no earlier
    stage passed), 2 days; a trainee with nothing passed is on a and has not started b."""
    a, b = rules.stage_times(stages=STAGES, start=MONDAY, today=MONDAY,
                             passed_on=[{"b": date(2026, 11, 24)}, {}])
    assert (a.durations, a.on_it, a.not_started) == ((), 2, 0)
    assert (b.durations, b.on_it, b.not_started) == ((2,), 0, 1)
    assert a.median is None and a.shortest is None and a.warnings == ()


def test_the_track_is_finished_on_the_day_of_the_last_stage() -> None:
    """Days 2 and 3 (b passed before a); someone without b has not finished."""
    assert rules.track_finish_days(stage_keys=["a", "b"], start=MONDAY, passed_on=[
        {"a": MONDAY, "b": date(2026, 11, 25)}, {"a": date(2026, 11, 24), "b": MONDAY},
        {"a": MONDAY}]) == [2, 3]
    assert rules.track_finish_days(stage_keys=[], start=MONDAY, passed_on=[{}]) == []


def test_attempts_are_counted_per_number_and_pending_ones_stay_out_of_the_rate() -> None:
    """#1: 2 passed, 1 failed, 1 pending, 1 in progress: rate 2 / 3. #2: only pending, no
    rate. #3 is missing: nobody got that far."""
    rows = rules.attempt_rows([(1, Outcome.PASSED), (2, Outcome.PENDING), (1, Outcome.FAILED),
                               (1, Outcome.PENDING), (1, Outcome.PASSED),
                               (1, Outcome.IN_PROGRESS)])
    first, second = rows
    assert (first.made, first.passed, first.failed, first.pending, first.in_progress) == (
        5, 2, 1, 1, 1)
    assert first.rate == pytest.approx(2 / 3) and rules.percent(first.rate) == 66.7
    assert (second.made, second.pending, second.rate, second.warnings) == (1, 1, None, ())
    assert rules.first_attempt(rows) is first
    assert rules.first_attempt([]).made == 0


def test_fewer_than_ten_cases_carry_the_small_sample_warning() -> None:
    assert rules.small_sample(0) == ()
    assert rules.small_sample(9) == (WarningCode.TOO_FEW_ATTEMPTS,)
    assert rules.small_sample(10) == ()
