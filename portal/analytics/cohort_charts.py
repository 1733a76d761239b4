"""Chart geometry of the cohort analytics, in the dashboard's chart types (`cohorts.charts`):
each stage's median time as a bar, its range as a thin bar under it, its plan as a mark."""
from __future__ import annotations

from collections.abc import Sequence

from portal.analytics.cohort_rules import StageTime
from portal.cohorts.charts import WIDTH, Bar, Chart, Label, Line, Tone


def _number(value: float) -> str:
    return f"{value:g}"


def stage_times(rows: Sequence[StageTime]) -> Chart:
    """One row per stage on a scale of working days: the median time of those who passed it
    (`PASS` within the plan, `LATE` beyond it), the shortest to the longest time (a thin
    `MAIN` bar) and the plan (a mark). A stage nobody passed has no bars, only "—"."""
    left, right, top, row_h = 130, 64, 26, 46
    height = top + row_h * len(rows) + 6
    plot_w = WIDTH - left - right
    span = max([r.plan.days for r in rows] + [r.longest or 0 for r in rows] + [1]) + 1
    step = max(1, -(-span // 8))
    scale = plot_w / span
    bars: list[Bar] = []
    labels: list[Label] = []
    grid: list[Line] = []
    marks: list[Line] = []
    for day in range(0, span + 1, step):
        x = left + day * scale
        grid.append(Line(x, top - 4, x, height - 6))
        labels.append(Label(x=x, y=top - 10, text=str(day)))
    for i, row in enumerate(rows):
        y = top + i * row_h
        labels.append(Label(x=left - 8, y=y + row_h / 2 + 4, text=f"{row.number}. {row.title}",
                            anchor="end"))
        plan_x = left + row.plan.days * scale
        marks.append(Line(plan_x, y + 3, plan_x, y + row_h - 5))
        if row.median is None or row.shortest is None or row.longest is None:
            bars.append(Bar(x=left, y=y + 10, width=0, height=16, tone=Tone.EMPTY, value="—",
                            value_x=left + 6, value_y=y + 23, value_anchor="start"))
            continue
        width = row.median * scale
        tone = Tone.PASS if row.median <= row.plan.days else Tone.LATE
        bars.append(Bar(x=left, y=y + 8, width=width, height=18, tone=tone,
                        value=_number(row.median), value_x=max(left + width, plan_x) + 6,
                        value_y=y + 22, value_anchor="start"))
        low_x = left + row.shortest * scale
        bars.append(Bar(x=low_x, y=y + 31, width=max(2.0, (row.longest - row.shortest) * scale),
                        height=5, tone=Tone.MAIN, value="", value_x=0, value_y=0))
    return Chart(width=WIDTH, height=height, bars=tuple(bars), labels=tuple(labels),
                 grid=tuple(grid), marks=tuple(marks))
