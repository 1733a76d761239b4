"""Pure aggregation for the cohort dashboard and the HR export: funnels against the plan,
score distributions, area scores, observation means, and cells safe for spreadsheets."""
from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from urllib.parse import quote

from portal.courses.rules import working_day

WEEK_DAYS = 5  # the onboarding week: the last stage is due by its last working day
BIN_WIDTH = 10  # score distributions in bands of ten points, 0–100
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- the funnel against the plan --------------------------------------------------------------


def due_days(planned_days: Sequence[int], *, week_days: int = WEEK_DAYS) -> list[int]:
    """The working day by which each stage should be finished, from the planned start days.

    A stage is due the day before the next stage is planned to start (the same day when the
    next one starts that day too); the last stage by the end of the week.
    """
    due = []
    for i, day in enumerate(planned_days):
        later = [d for d in planned_days[i + 1:] if d > day]
        if i + 1 < len(planned_days) and planned_days[i + 1] <= day:
            due.append(day)
        elif later:
            due.append(max(day, later[0] - 1))
        else:
            due.append(max(day, week_days))
    return due


def working_day_number(start: date, when: date) -> int:
    """Which working day of the cohort `when` is (1 = the start date; weekends skipped;
    a weekend day counts as the working day before it)."""
    day = 1
    while working_day(start, day + 1) <= when:
        day += 1
    return day


@dataclass(frozen=True)
class StageFunnel:
    """How far the cohort got through one stage, against its plan."""

    key: str
    title: str
    number: int
    planned_day: int
    due_day: int
    due_date: date
    finished: int               # trainees who passed the stage
    on_plan: int                # of them, by the due day
    by_day: tuple[int, ...]     # trainees finished by the end of working day 1, 2, …
    total: int                  # active trainees in the cohort

    @property
    def late(self) -> int:
        return self.finished - self.on_plan

    @property
    def open(self) -> int:
        return self.total - self.finished


def stage_funnel(*, stages: Sequence[tuple[str, str, int]], start: date,
                 completions: Mapping[str, Iterable[datetime]], total: int,
                 tz: tzinfo, days: int = WEEK_DAYS) -> list[StageFunnel]:
    """One funnel row per stage (key, title, planned day) from when each trainee passed it.

    `days` is how many working days the per-day counts cover (more when someone finished
    later than the week)."""
    due = due_days([day for _, _, day in stages])
    numbers = {key: sorted(working_day_number(start, at.astimezone(tz).date())
                           for at in completions.get(key, ())) for key, _, _ in stages}
    span = max([days, *(n[-1] for n in numbers.values() if n)])
    rows = []
    for number, ((key, title, planned), due_day) in enumerate(zip(stages, due, strict=True), 1):
        done = numbers[key]
        rows.append(StageFunnel(
            key=key, title=title, number=number, planned_day=planned, due_day=due_day,
            due_date=working_day(start, due_day), finished=len(done),
            on_plan=sum(1 for n in done if n <= due_day),
            by_day=tuple(sum(1 for n in done if n <= d) for d in range(1, span + 1)),
            total=total))
    return rows


# --- score distributions ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreBand:
    low: int
    high: int      # inclusive upper edge of the band's label (the last band includes 100)
    count: int
    passing: bool  # the whole band is at or above the pass mark


@dataclass(frozen=True)
class Distribution:
    """Scores of the trainees who have one (0–100), in bands, with their summary."""

    scores: tuple[float, ...]
    bands: tuple[ScoreBand, ...]
    pass_mark: float | None
    without: int  # trainees with no score yet

    @property
    def count(self) -> int:
        return len(self.scores)

    @property
    def passed(self) -> int:
        return sum(1 for s in self.scores if self.pass_mark is not None and s >= self.pass_mark)

    @property
    def mean(self) -> float | None:
        return round(statistics.fmean(self.scores), 1) if self.scores else None

    @property
    def median(self) -> float | None:
        return round(statistics.median(self.scores), 1) if self.scores else None

    @property
    def lowest(self) -> float | None:
        return min(self.scores) if self.scores else None

    @property
    def highest(self) -> float | None:
        return max(self.scores) if self.scores else None


def distribution(scores: Iterable[float | None], *, pass_mark: float | None = None,
                 width: int = BIN_WIDTH) -> Distribution:
    """Band the scores (0–100) in `width`-point bands; a score of 100 is in the top band."""
    everyone = list(scores)
    given = tuple(float(s) for s in everyone if s is not None)
    without = len(everyone) - len(given)
    counts = [0] * (100 // width)
    for s in given:
        counts[min(int(max(s, 0) // width), len(counts) - 1)] += 1
    bands = tuple(ScoreBand(low=i * width, high=(i + 1) * width - (0 if i == len(counts) - 1 else 1),
                            count=n, passing=pass_mark is not None and i * width >= pass_mark)
                  for i, n in enumerate(counts))
    return Distribution(scores=given, bands=bands, pass_mark=pass_mark, without=without)


# --- area scores ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredPart:
    """Points earned on one question (by its tags) or one chat item (by its item key)."""

    labels: tuple[str, ...]
    points: float
    max_points: float


def area_of(labels: Iterable[str], areas: Mapping[str, str]) -> str | None:
    """The area the first mapped label feeds (an exam's `areas`: tag -> area), if any."""
    return next((areas[label] for label in labels if label in areas), None)


def area_totals(parts: Iterable[ScoredPart], areas: Mapping[str, str]
                ) -> dict[str, tuple[float, float]]:
    """Points and maximum per area over the parts, by the given label -> area map."""
    totals: dict[str, tuple[float, float]] = {}
    for part in parts:
        area = area_of(part.labels, areas)
        if area is None or part.max_points <= 0:
            continue
        points, maximum = totals.get(area, (0.0, 0.0))
        totals[area] = (points + part.points, maximum + part.max_points)
    return totals


def area_percentages(totals: Iterable[Mapping[str, tuple[float, float]]]) -> dict[str, float]:
    """Sum several sources' area totals, as a percentage (0–100) per area."""
    summed: dict[str, tuple[float, float]] = {}
    for source in totals:
        for area, (points, maximum) in source.items():
            p, m = summed.get(area, (0.0, 0.0))
            summed[area] = (p + points, m + maximum)
    return {area: round(100 * p / m, 1) for area, (p, m) in summed.items() if m > 0}


# --- observations -----------------------------------------------------------------------------


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(statistics.fmean(values), 2) if values else None


# --- spreadsheets -----------------------------------------------------------------------------


def safe_cell(value: object) -> object:
    """A value as a spreadsheet cell: text that a spreadsheet would run as a formula
    (starting with = + - @, a tab or a carriage return) is prefixed with an apostrophe.
    Numbers stay numbers; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_filename(cohort_name: str, on: date, extension: str, *, label: str) -> str:
    """The download's name: the cohort, `label` (in the reader's language) and the date;
    characters a file system refuses are dropped (Chinese kept; see content_disposition)."""
    cleaned = "".join(c for c in cohort_name if c not in '\\/:*?"<>|\r\n\t').strip()
    return "-".join(p for p in (cleaned, label, on.isoformat()) if p) + f".{extension}"


def content_disposition(filename: str, *, fallback: str) -> str:
    """An attachment header: the UTF-8 name (RFC 6266 / 5987) and, for clients that do not
    read it, an ASCII `fallback`."""
    plain = "".join(c for c in fallback if c.isascii() and c.isprintable() and c not in '"\\;')
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
