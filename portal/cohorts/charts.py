"""Chart geometry for the dashboard's server-drawn SVG: bars, ticks and marks in viewBox
units, so the template only draws what is computed here (no script, no style attribute)."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from portal.cohorts.rules import Distribution, StageFunnel


class Tone(StrEnum):
    """A bar's meaning, drawn by a CSS class of the dashboard's stylesheet."""

    MAIN = "main"
    PASS = "pass"
    FAIL = "fail"
    LATE = "late"
    EMPTY = "empty"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    tone: Tone
    value: str        # drawn beside the bar ("" to draw nothing)
    value_x: float
    value_y: float
    value_anchor: str = "middle"  # SVG text-anchor of the value


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"  # SVG text-anchor


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]
    grid: tuple[Line, ...] = ()
    mark: Line | None = None        # the pass mark
    mark_label: Label | None = None  # where the pass mark's caption goes (the page writes it)
    marks: tuple[Line, ...] = ()     # more marks drawn like the pass mark (e.g. a plan per row)


WIDTH = 560
FONT = 13


COLUMN_MARGINS = (36, 8, 18, 40)  # left, right, top, bottom of a column chart
COLUMN_HEIGHT = 220


def columns(items: Sequence[tuple[int, Tone, str]]) -> Chart:
    """Vertical bars, one per (count, tone, label), each with its count, over a grid of
    about four ticks (the score histogram's and the chat response times' geometry)."""
    left, right, top, bottom = COLUMN_MARGINS
    height = COLUMN_HEIGHT
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = max([count for count, _, _ in items] + [1])
    step = plot_w / len(items)
    bars, labels, grid = [], [], []
    for i, (count, tone, text) in enumerate(items):
        h = plot_h * count / peak
        x = left + i * step + 3
        y = top + plot_h - h
        bars.append(Bar(x=x, y=y, width=step - 6, height=h, tone=tone,
                        value=str(count) if count else "",
                        value_x=x + (step - 6) / 2, value_y=y - 4))
        labels.append(Label(x=left + i * step + step / 2, y=height - bottom + 16, text=text))
    for n in _ticks(peak):
        y = top + plot_h - plot_h * n / peak
        grid.append(Line(left, y, WIDTH - right, y))
        labels.append(Label(x=left - 6, y=y + 4, text=str(n), anchor="end"))
    return Chart(width=WIDTH, height=height, bars=tuple(bars), labels=tuple(labels),
                 grid=tuple(grid))


def histogram(dist: Distribution) -> Chart:
    """Vertical bars, one per score band; bands at or above the pass mark are `PASS`."""
    chart = columns([(band.count,
                      Tone.MAIN if dist.pass_mark is None else
                      (Tone.PASS if band.passing else Tone.FAIL),
                      f"{band.low}–{band.high}") for band in dist.bands])
    if dist.pass_mark is None:
        return chart
    left, right, top, bottom = COLUMN_MARGINS
    plot_w, plot_h = WIDTH - left - right, COLUMN_HEIGHT - top - bottom
    x = left + plot_w * dist.pass_mark / 100
    return dataclasses.replace(
        chart, mark=Line(x, top - 6, x, top + plot_h),
        mark_label=Label(x=min(x + 4, WIDTH - right - 70), y=top - 6, text="", anchor="start"))


def funnel(rows: Sequence[StageFunnel]) -> Chart:
    """One horizontal bar per stage: passed by its due day, passed later, out of everyone."""
    left, right, top, row_h = 120, 56, 8, 34
    height = top + row_h * len(rows) + 8
    plot_w = WIDTH - left - right
    bars, labels = [], []
    for i, row in enumerate(rows):
        y = top + i * row_h
        total = max(row.total, 1)
        on_w = plot_w * row.on_plan / total
        late_w = plot_w * row.late / total
        bars.append(Bar(x=left, y=y + 6, width=plot_w, height=row_h - 14, tone=Tone.EMPTY,
                        value="", value_x=0, value_y=0))
        bars.append(Bar(x=left, y=y + 6, width=on_w, height=row_h - 14, tone=Tone.PASS,
                        value="", value_x=0, value_y=0))
        bars.append(Bar(x=left + on_w, y=y + 6, width=late_w, height=row_h - 14, tone=Tone.LATE,
                        value=f"{row.finished}/{row.total}", value_x=left + plot_w + 6,
                        value_y=y + row_h / 2 + 4, value_anchor="start"))
        labels.append(Label(x=left - 8, y=y + row_h / 2 + 4, text=f"{row.number}. {row.title}",
                            anchor="end"))
    return Chart(width=WIDTH, height=height, bars=tuple(bars), labels=tuple(labels))


def scale_bars(rows: Sequence[tuple[str, float | None]], *, low: float = 1,
               high: float = 5) -> Chart:
    """Horizontal bars of means on a `low`–`high` scale (observation items)."""
    longest = max([len(title) for title, _ in rows] + [4])
    left, right, top, row_h = min(260, 14 * longest + 16), 44, 22, 24
    height = top + row_h * len(rows) + 8
    plot_w = WIDTH - left - right
    bars, labels, grid = [], [], []
    for n in range(int(low), int(high) + 1):
        x = left + plot_w * (n - low) / (high - low)
        grid.append(Line(x, top - 4, x, height - 8))
        labels.append(Label(x=x, y=top - 8, text=str(n)))
    for i, (title, value) in enumerate(rows):
        y = top + i * row_h
        w = 0.0 if value is None else plot_w * (value - low) / (high - low)
        bars.append(Bar(x=left, y=y + 4, width=max(w, 0.0), height=row_h - 8, tone=Tone.MAIN,
                        value="—" if value is None else f"{value:.1f}",
                        value_x=left + max(w, 0.0) + 6, value_y=y + row_h / 2 + 4,
                        value_anchor="start"))
        labels.append(Label(x=left - 8, y=y + row_h / 2 + 4, text=title, anchor="end"))
    return Chart(width=WIDTH, height=height, bars=tuple(bars), labels=tuple(labels),
                 grid=tuple(grid))


def _ticks(peak: int) -> list[int]:
    step = max(1, -(-peak // 4))
    return list(range(0, peak + 1, step))
