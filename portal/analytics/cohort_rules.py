"""Pure figures of the cohort analytics: stage times against the plan, pass rates per attempt
number, and when a figure rests on too few cases (standard library and other pure modules).

Stage times are counted in working days, as the dashboard's funnel counts its days
(`portal.cohorts.rules.working_day_number`: day 1 is the cohort's start, weekends skipped, a
completion counts on its date in the portal's time zone). A stage *opens* for a trainee when
the last of the earlier stages is passed (the cohort's start for the first one); the time a
trainee took is the number of working days from the day it opened to the day they passed it,
both counted: 1 is "passed on the day it opened".
"""
from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from portal.analytics.stats import FEW_ATTEMPTS, WarningCode
from portal.cohorts.rules import due_days, working_day_number

# --- the plan ---------------------------------------------------------------------------------

_NUMERALS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9, "十": 10}
_DASH = r"\s*(?:-|–|—|~|～|至|到)\s*"
_UNIT = r"\s*个?\s*(?:工作日|工作天|天)"
_RANGE_OF_DAYS = re.compile(rf"第\s*(\d+){_DASH}(\d+){_UNIT}")   # 第 3-5 个工作日
_ONE_DAY = re.compile(rf"第\s*(\d+){_UNIT}")                      # 上班第三天, 第 2 天
_UP_TO = re.compile(rf"(\d+(?:\.\d+)?){_DASH}(\d+(?:\.\d+)?){_UNIT}")  # 1-2 个工作日
_DAYS = re.compile(rf"(\d+(?:\.\d+)?){_UNIT}")                    # 1 个工作日
_HALF = re.compile(r"半\s*个?\s*(?:工作日|工作天|天)")              # 半个工作日, 半天


def _digits(text: str) -> str:
    """Chinese numerals below a hundred as digits ("第三天" -> "第3天", "十二" -> "12")."""
    def number(found: re.Match[str]) -> str:
        run = found[0]
        if "十" not in run:
            return "".join(str(_NUMERALS[c]) for c in run)
        tens, _, ones = run.partition("十")
        return str(10 * (_NUMERALS.get(tens[-1:], 1) if tens else 1)
                   + (_NUMERALS.get(ones[:1], 0) if ones else 0))

    return re.sub(r"[零一二两三四五六七八九十]+", number, text)


def planned_days(duration: str) -> int | None:
    """How many working days a stage's `planned.duration` allows, counting the day it opens;
    None for a text this does not read.

    "半个工作日" and "1 个工作日" allow 1 (pass it on the day it opens); "1-2 个工作日" 2 (the
    upper bound); "第 3-5 个工作日" 3 (days 3 to 5); one named day ("上班第三天") 1. A fraction
    of a day rounds up: times are counted in whole days.
    """
    text = _digits(duration or "")
    if _HALF.search(text):
        return 1
    if found := _RANGE_OF_DAYS.search(text):
        low, high = int(found[1]), int(found[2])
        return high - low + 1 if high >= low else None
    if _ONE_DAY.search(text):
        return 1
    if found := _UP_TO.search(text):
        return max(1, math.ceil(float(found[2])))
    if found := _DAYS.search(text):
        return max(1, math.ceil(float(found[1])))
    return None


@dataclass(frozen=True)
class StagePlan:
    days: int            # working days the stage may take, its opening day counted
    from_duration: bool  # read from the duration's text (else from the planned start days)


def stage_plans(stages: Sequence[tuple[int, str]]) -> list[StagePlan]:
    """Each stage's plan from its (planned start day, duration text): the duration when it
    reads (`planned_days`), else the days from its planned start to the day it is due
    (`cohorts.rules.due_days`, the dashboard's rule)."""
    due = due_days([day for day, _ in stages])
    plans = []
    for (day, duration), due_day in zip(stages, due, strict=True):
        days = planned_days(duration)
        plans.append(StagePlan(days, True) if days is not None
                     else StagePlan(due_day - day + 1, False))
    return plans


# --- stage times ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageSpec:
    key: str
    title: str
    planned_day: int
    duration: str  # the track file's text, e.g. "半个工作日"


@dataclass(frozen=True)
class StageTime:
    """One stage across a cohort: how long those who passed it took, against its plan."""

    key: str
    title: str
    number: int
    duration: str              # the plan as the track file words it
    plan: StagePlan
    durations: tuple[int, ...]  # working days each trainee who passed it took, ascending
    late: int                  # of them, longer than the plan
    on_it: int                 # open for them (every earlier stage passed), not passed yet
    overdue: int               # of those on it, already longer than the plan (today counted)
    not_started: int           # an earlier stage not passed yet
    total: int

    @property
    def finished(self) -> int:
        return len(self.durations)

    @property
    def on_plan(self) -> int:
        return self.finished - self.late

    @property
    def median(self) -> float | None:
        return float(statistics.median(self.durations)) if self.durations else None

    @property
    def shortest(self) -> int | None:
        return self.durations[0] if self.durations else None

    @property
    def longest(self) -> int | None:
        return self.durations[-1] if self.durations else None

    @property
    def warnings(self) -> tuple[WarningCode, ...]:
        return small_sample(self.finished)


def stage_times(*, stages: Sequence[StageSpec], start: date,
                passed_on: Iterable[Mapping[str, date]], today: date) -> list[StageTime]:
    """Each stage's times over the trainees, given for each trainee the (local) date they
    passed each stage (stage key -> date; a stage not passed is absent).

    A stage passed before an earlier one (marked by hand out of order) counts from the
    latest earlier stage passed (at least 1 day); a stage whose earlier stages are not all
    passed is "not started" for the trainee.
    """
    plans = stage_plans([(s.planned_day, s.duration) for s in stages])
    durations: list[list[int]] = [[] for _ in stages]
    on_it = [0] * len(stages)
    overdue = [0] * len(stages)
    not_started = [0] * len(stages)
    total = 0
    today_n = working_day_number(start, today)
    for passed in passed_on:
        total += 1
        days = {key: working_day_number(start, on) for key, on in passed.items()}
        for i, stage in enumerate(stages):
            earlier = [days[s.key] for s in stages[:i] if s.key in days]
            opened = max(earlier, default=1)
            if stage.key in days:
                durations[i].append(max(1, days[stage.key] - opened + 1))
            elif len(earlier) == i:
                on_it[i] += 1
                if today_n - opened + 1 > plans[i].days:
                    overdue[i] += 1
            else:
                not_started[i] += 1
    return [StageTime(key=s.key, title=s.title, number=i + 1, duration=s.duration,
                      plan=plans[i], durations=tuple(sorted(durations[i])),
                      late=sum(1 for d in durations[i] if d > plans[i].days), on_it=on_it[i],
                      overdue=overdue[i], not_started=not_started[i], total=total)
            for i, s in enumerate(stages)]


def track_finish_days(*, stage_keys: Sequence[str], start: date,
                      passed_on: Iterable[Mapping[str, date]]) -> list[int]:
    """For each trainee who passed every stage: the working day they passed the last one
    (day 1 = the cohort's start), ascending."""
    if not stage_keys:
        return []
    return sorted(working_day_number(start, max(passed[k] for k in stage_keys))
                  for passed in passed_on if all(k in passed for k in stage_keys))


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


# --- pass rates per attempt number ------------------------------------------------------------


class Outcome(StrEnum):
    """Where one attempt stands."""

    IN_PROGRESS = "in_progress"
    PENDING = "pending"  # submitted, answers wait for a trainer's scoring (待评分)
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class AttemptNumberRow:
    """Every trainee's attempt with one number (1 = first) at one exam or drill."""

    number: int
    made: int         # attempts started with this number
    passed: int
    failed: int
    pending: int      # waiting for a trainer's scoring: not in the rate, never dropped
    in_progress: int

    @property
    def graded(self) -> int:
        return self.passed + self.failed

    @property
    def rate(self) -> float | None:
        """Passed among the attempts with a final result (0–1); None with none."""
        return self.passed / self.graded if self.graded else None

    @property
    def warnings(self) -> tuple[WarningCode, ...]:
        return small_sample(self.graded)


def attempt_rows(attempts: Iterable[tuple[int, Outcome]]) -> list[AttemptNumberRow]:
    """(attempt number, outcome) of every attempt, counted per number, ascending."""
    counts: dict[int, dict[Outcome, int]] = {}
    for number, outcome in attempts:
        counts.setdefault(number, dict.fromkeys(Outcome, 0))[outcome] += 1
    return [AttemptNumberRow(number=n, made=sum(c.values()), passed=c[Outcome.PASSED],
                             failed=c[Outcome.FAILED], pending=c[Outcome.PENDING],
                             in_progress=c[Outcome.IN_PROGRESS])
            for n, c in sorted(counts.items())]


def first_attempt(rows: Sequence[AttemptNumberRow]) -> AttemptNumberRow:
    """The row of attempt number 1 (all zero when nobody has made one)."""
    return next((r for r in rows if r.number == 1),
                AttemptNumberRow(number=1, made=0, passed=0, failed=0, pending=0, in_progress=0))


# --- small samples ----------------------------------------------------------------------------


def small_sample(n: int) -> tuple[WarningCode, ...]:
    """The analytics' warning for a figure over n cases: `too_few_attempts` below 10, as the
    item statistics have it (`stats.FEW_ATTEMPTS`); none over no case (nothing is shown)."""
    return (WarningCode.TOO_FEW_ATTEMPTS,) if 0 < n < FEW_ATTEMPTS else ()


def percent(rate: float | None) -> float | None:
    """A rate (0–1) as a percentage with one decimal."""
    return None if rate is None else round(100 * rate, 1)
