"""The stage-times chart's geometry: a bar to each stage's median, coloured by the plan, the
range under it, a mark at the plan, and "—" for a stage nobody has passed."""
from __future__ import annotations

from portal.analytics import cohort_charts
from portal.analytics.cohort_rules import StagePlan, StageTime
from portal.cohorts.charts import Tone


def _stage(number: int, plan: int, durations: tuple[int, ...]) -> StageTime:
    return StageTime(key=f"s{number}", title=f"阶段{number}", number=number, duration="",
                     plan=StagePlan(plan, True), durations=durations, late=0, on_it=0,
                     overdue=0, not_started=0, total=len(durations))


def test_each_stage_is_a_median_bar_a_range_and_its_plan() -> None:
    """Scale: 0 to the longest time or plan (4) + 1 = 5 days over 560 - 130 - 64 = 366 units.
    Stage 1: median 1 <= plan 2, within the plan; range 1–1 drawn 2 units wide. Stage 2:
    median 3 (1, 3, 4) > plan 2, beyond it; range 1–4. Stage 3: nobody, only "—"."""
    chart = cohort_charts.stage_times([_stage(1, 2, (1,)), _stage(2, 2, (1, 3, 4)),
                                       _stage(3, 1, ())])
    scale = 366 / 5
    median1, range1, median2, range2, empty = chart.bars
    assert (median1.tone, median1.width, median1.value) == (Tone.PASS, scale, "1")
    assert (range1.x, range1.width) == (130 + scale, 2.0)
    assert (median2.tone, median2.width, median2.value) == (Tone.LATE, 3 * scale, "3")
    assert (range2.x, range2.width) == (130 + scale, 3 * scale)
    assert (empty.width, empty.value) == (0, "—")
    assert [m.x1 for m in chart.marks] == [130 + 2 * scale, 130 + 2 * scale, 130 + scale]
    assert [label.text for label in chart.labels if label.anchor == "end"] == [
        "1. 阶段1", "2. 阶段2", "3. 阶段3"]
    assert [label.text for label in chart.labels if label.anchor == "middle"] == [
        "0", "1", "2", "3", "4", "5"]
