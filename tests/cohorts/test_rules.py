"""The dashboard's pure aggregation and chart geometry, and spreadsheet-safe cells."""
from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from portal.cohorts import charts, rules
from tests.cohorts.cohort_fixtures import INJECTIONS

MONDAY = date(2026, 11, 16)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_a_stage_is_due_before_the_next_one_starts_and_the_last_by_the_end_of_the_week() -> None:
    # The new-hire track: basics day 1, operations day 1 (1–2 days), team day 3, practice day 3.
    assert rules.due_days([1, 1, 3, 3]) == [1, 2, 3, 5]
    assert rules.due_days([1, 2, 4]) == [1, 3, 5]
    assert rules.due_days([6]) == [6]  # planned after the week: due when it starts
    assert rules.due_days([]) == []


def test_working_days_skip_the_weekend() -> None:
    assert rules.working_day_number(MONDAY, MONDAY) == 1
    assert rules.working_day_number(MONDAY, date(2026, 11, 20)) == 5   # Friday
    assert rules.working_day_number(MONDAY, date(2026, 11, 22)) == 5   # Sunday counts as Friday
    assert rules.working_day_number(MONDAY, date(2026, 11, 23)) == 6   # next Monday
    assert rules.working_day_number(MONDAY, date(2026, 11, 10)) == 1   # before the start


def test_the_funnel_counts_who_finished_each_stage_on_plan_late_or_not_yet() -> None:
    stages = [("basics", "基础知识", 1), ("operations", "基本操作能力", 1)]
    completions = {
        "basics": [_at(MONDAY), _at(MONDAY), _at(date(2026, 11, 17))],
        "operations": [_at(date(2026, 11, 17)), _at(date(2026, 11, 23))],  # on day 2, day 6
    }
    basics, operations = rules.stage_funnel(stages=stages, start=MONDAY, completions=completions,
                                            total=4, tz=UTC)
    assert (basics.finished, basics.on_plan, basics.late, basics.open) == (3, 2, 1, 1)
    assert (operations.due_day, operations.on_plan, operations.late) == (5, 1, 1)
    assert operations.due_date == date(2026, 11, 20)
    # Per-day counts are cumulative and reach past the week when someone finished later.
    assert basics.by_day == (2, 3, 3, 3, 3, 3)
    assert operations.by_day == (0, 1, 1, 1, 1, 2)


def test_a_completion_counts_on_the_working_days_date_in_the_portals_time_zone() -> None:
    from zoneinfo import ZoneInfo

    late_evening_utc = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)  # Tuesday 01:00 in Shanghai
    row, _ = rules.stage_funnel(stages=[("basics", "基础知识", 1), ("next", "下一阶段", 1)],
                                start=MONDAY, completions={"basics": [late_evening_utc]},
                                total=1, tz=ZoneInfo("Asia/Shanghai"))
    assert row.by_day[:2] == (0, 1) and row.on_plan == 0


def test_distributions_band_scores_by_ten_with_a_hundred_in_the_top_band() -> None:
    dist = rules.distribution([100, 90, 89.9, 80, 0, None, None], pass_mark=80)
    counts = [b.count for b in dist.bands]
    assert counts == [1, 0, 0, 0, 0, 0, 0, 0, 2, 2]
    assert (dist.count, dist.without, dist.passed) == (5, 2, 4)
    assert dist.mean == 72.0 and dist.median == 89.9 and (dist.lowest, dist.highest) == (0, 100)
    assert [b.passing for b in dist.bands][7:] == [False, True, True]
    assert (dist.bands[-1].low, dist.bands[-1].high) == (90, 100)


def test_an_empty_distribution_has_no_summary() -> None:
    dist = rules.distribution([None, None])
    assert dist.count == 0 and dist.without == 2 and dist.mean is None and dist.passed == 0


def test_area_scores_sum_points_per_area_over_exams_and_chats() -> None:
    exam = rules.area_totals([
        rules.ScoredPart(labels=("stage:basics", "role:pre-sales"), points=2, max_points=4),
        rules.ScoredPart(labels=("role:after-sales",), points=3, max_points=3),
        rules.ScoredPart(labels=("topic:物流",), points=1, max_points=1),  # feeds no area
        rules.ScoredPart(labels=("role:pre-sales",), points=0, max_points=0),
    ], {"role:pre-sales": "pre-sales", "role:after-sales": "after-sales"})
    chat = rules.area_totals([rules.ScoredPart(labels=("bargaining",), points=4, max_points=4)],
                             {"bargaining": "pre-sales"})
    assert exam == {"pre-sales": (2.0, 4.0), "after-sales": (3.0, 3.0)}
    assert rules.area_percentages([exam, chat]) == {"pre-sales": 75.0, "after-sales": 100.0}


@pytest.mark.parametrize(("text", "written"), list(INJECTIONS.items()))
def test_text_a_spreadsheet_would_run_is_kept_as_text(text: str, written: str) -> None:
    assert rules.safe_cell(text) == written


def test_numbers_and_blanks_stay_cells_of_their_kind() -> None:
    assert rules.safe_cell(-3.5) == -3.5 and rules.safe_cell(0) == 0 and rules.safe_cell(None) == ""


def test_the_file_name_keeps_chinese_and_has_an_ascii_fallback() -> None:
    name = rules.export_filename("2026年11月/第4期*", date(2026, 12, 2), "xlsx", label="培训结果")
    assert name == "2026年11月第4期-培训结果-2026-12-02.xlsx"
    header = rules.content_disposition(name, fallback="cohort-7-2026-12-02.xlsx")
    assert header.startswith('attachment; filename="cohort-7-2026-12-02.xlsx"; ')
    assert header.endswith("filename*=UTF-8''2026%E5%B9%B411%E6%9C%88%E7%AC%AC4%E6%9C%9F-"
                           "%E5%9F%B9%E8%AE%AD%E7%BB%93%E6%9E%9C-2026-12-02.xlsx")


def _inside(chart: charts.Chart) -> bool:
    numbers = [v for bar in chart.bars for v in (bar.x, bar.y, bar.width, bar.height)]
    return all(math.isfinite(v) and v >= 0 for v in numbers) and all(
        bar.x + bar.width <= chart.width + 0.01 and bar.y + bar.height <= chart.height + 0.01
        for bar in chart.bars)


def test_a_histograms_bars_grow_with_their_counts_and_the_pass_mark_sits_on_the_scale() -> None:
    chart = charts.histogram(rules.distribution([95, 95, 85, 40], pass_mark=80))
    heights = [bar.height for bar in chart.bars]
    assert heights[9] == max(heights) and heights[9] == 2 * heights[8] == 2 * heights[4]
    assert heights[0] == 0 and chart.bars[0].value == "" and chart.bars[9].value == "2"
    assert [b.tone for b in chart.bars][7:] == [charts.Tone.FAIL, charts.Tone.PASS, charts.Tone.PASS]
    assert chart.mark is not None and chart.bars[7].x < chart.mark.x1 < chart.bars[8].x
    assert _inside(chart)


def test_empty_and_full_charts_stay_inside_their_box() -> None:
    assert _inside(charts.histogram(rules.distribution([])))
    row = rules.stage_funnel(stages=[("s", "阶段", 1)], start=MONDAY,
                             completions={"s": [_at(MONDAY)] * 3}, total=3, tz=UTC)
    assert _inside(charts.funnel(row)) and _inside(charts.funnel([]))
    scale = charts.scale_bars([("打字速度", 5.0), ("产品知识", 1.0), ("尚未评分的一项", None)])
    assert _inside(scale)
    assert [b.value for b in scale.bars] == ["5.0", "1.0", "—"] and scale.bars[1].width == 0
