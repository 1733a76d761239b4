"""Classical item analysis of an exam's response matrix: exam and item statistics, distractors.

Pure: frozen dataclasses in, frozen dataclasses out; the standard library, plus the cohort
dashboard's score bands (portal.cohorts.rules.distribution, pure too) so that an exam's score
distribution is banded, and can be drawn, exactly as the dashboard's is.

Definitions (docs/analytics.md has them with their small-sample rules):

- An attempt's *total* is the points it earned; its *score* is the total as a percentage of
  the maximum of the items it was given (random draws give attempts different items).
- Variances and standard deviations are sample ones (divided by n-1).
- Cronbach's alpha = k/(k-1) * (1 - sum of item variances / variance of the total), as R's
  psych::alpha computes raw_alpha. With random draws it is computed over the *complete*
  attempts only (those given every item): alpha is a property of one fixed form, and
  pairwise-available covariances can give a matrix that is no covariance of any data. It is
  None, with a reason, unless there are at least 2 complete attempts and k >= 2 items.
  SEM = sd * sqrt(1 - alpha) with the sd of the total over the same complete attempts.
  Feldt's 95% interval: 1 - (1 - alpha) * F_{1-a/2} .. 1 - (1 - alpha) * F_{a/2}, F with
  n-1 and (n-1)(k-1) degrees of freedom (psych::alpha.ci).
- An item's facility is its mean points over the attempts given it, divided by its maximum.
- The corrected item-total correlation of item i is the Pearson correlation, over the attempts
  given i and at least one other item, of the item's points with the *rest score*: the points
  earned on the other items the attempt was given, as a fraction of those items' maximum.
  Without random draws every attempt has the same rest maximum, so this is exactly the
  correlation with total - item (psych::alpha's r.drop).
- The discrimination index is Kelley's: the attempts given the item are ranked by score
  (stably: among equal scores an earlier attempt in the matrix ranks lower); the item's
  facility in the top round-half-up(0.27 * n) of them (at least 1) minus that in as many at
  the bottom.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from portal.cohorts.rules import Distribution, distribution

GROUP_SHARE = 0.27          # Kelley's upper and lower groups
TOO_EASY = 0.9              # facility above: flag
TOO_HARD = 0.2              # facility below: flag
LOW_DISCRIMINATION = 0.2    # corrected r below (and >= 0): flag
UNUSED_DISTRACTOR_MIN_N = 10  # a distractor nobody chose is flagged from this many attempts
FEW_ATTEMPTS = 10           # below: every figure carries TOO_FEW_ATTEMPTS
STABLE_ATTEMPTS = 30        # below: discrimination figures carry UNSTABLE_DISCRIMINATION
CONFIDENCE = 0.95
PERCENT_DIGITS = 9          # scores are rounded so that 0.1 + 0.2 of 0.3 is 100%, not 99.99…
AttemptId = Hashable


class Undefined(StrEnum):
    """Why a figure is None."""

    NO_ATTEMPTS = "no_attempts"                    # nobody was given the item (or the exam)
    TOO_FEW_ATTEMPTS = "too_few_attempts"          # n < 2 (a spread), n < 4 (a Fisher interval)
    TOO_FEW_ITEMS = "too_few_items"                # alpha needs k >= 2 items
    TOO_FEW_COMPLETE_ATTEMPTS = "too_few_complete_attempts"  # alpha: < 2 attempts given every item
    ZERO_VARIANCE = "zero_variance"                # every attempt earned the same on the item
    ZERO_TOTAL_VARIANCE = "zero_total_variance"    # alpha: every complete attempt the same total
    ZERO_REST_VARIANCE = "zero_rest_variance"      # corrected r: the rest scores are all equal
    NO_OTHER_ITEMS = "no_other_items"              # corrected r: no attempt had another item
    NOBODY_CHOSE = "nobody_chose"                  # option r: nobody chose the option
    EVERYBODY_CHOSE = "everybody_chose"            # option r: every attempt chose the option


class WarningCode(StrEnum):
    """How far a figure can be trusted (shown next to it; the web layer words them)."""

    TOO_FEW_ATTEMPTS = "too_few_attempts"                    # n < 10
    UNSTABLE_DISCRIMINATION = "unstable_discrimination"      # n < 30 (so also when n < 10)
    ALPHA_FROM_COMPLETE_ATTEMPTS = "alpha_from_complete_attempts"  # random draws: alpha_n < n


class FlagCode(StrEnum):
    """Something about an item a trainer should look at."""

    TOO_EASY = "too_easy"                              # facility > 0.9
    TOO_HARD = "too_hard"                              # facility < 0.2
    NEGATIVE_DISCRIMINATION = "negative_discrimination"  # corrected r < 0
    LOW_DISCRIMINATION = "low_discrimination"          # 0 <= corrected r < 0.2
    UNUSED_DISTRACTOR = "unused_distractor"            # a wrong option nobody chose, n >= 10
    LIKELY_WRONG_KEY = "likely_wrong_key"              # the strong attempts prefer a wrong option


@dataclass(frozen=True)
class Flag:
    """A flag and the numbers that raised it (e.g. {"facility": 0.95, "threshold": 0.9});
    `option_id` names the option of a distractor flag."""

    code: FlagCode
    figures: Mapping[str, float]
    option_id: str | None = None


# --- the response matrix ----------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A question of the exam and the points it is out of (> 0)."""

    id: str
    max_points: float


@dataclass(frozen=True)
class Attempt:
    """One attempt's points per item id; an item missing or None was not drawn for it."""

    id: AttemptId
    points: Mapping[str, float | None]


@dataclass(frozen=True)
class ResponseMatrix:
    """Items in order and the attempts (rows). Raises ValueError for impossible data
    (duplicate ids, unknown items, points outside 0..max, an attempt given no item): user
    files are checked before."""

    items: tuple[Item, ...]
    attempts: tuple[Attempt, ...]

    def __post_init__(self) -> None:
        ids = [item.id for item in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate item ids")
        for item in self.items:
            if not (math.isfinite(item.max_points) and item.max_points > 0):
                raise ValueError(f"item {item.id!r}: max_points must be a positive number")
        if len({a.id for a in self.attempts}) != len(self.attempts):
            raise ValueError("duplicate attempt ids")
        known = set(ids)
        maxima = {item.id: item.max_points for item in self.items}
        for attempt in self.attempts:
            if all(p is None for p in attempt.points.values()):
                raise ValueError(f"attempt {attempt.id!r} was given no item")
            for item_id, points in attempt.points.items():
                if item_id not in known:
                    raise ValueError(f"attempt {attempt.id!r}: unknown item {item_id!r}")
                if points is not None and not (math.isfinite(points)
                                               and 0 <= points <= maxima[item_id]):
                    raise ValueError(f"attempt {attempt.id!r}, item {item_id!r}: "
                                     f"points {points!r} outside 0..{maxima[item_id]}")

    @cached_property
    def _scores(self) -> _Scores:
        return _Scores.of(self)


@dataclass(frozen=True)
class _Scores:
    """What every statistic needs, computed once: the dense grid, the attempts' totals,
    maxima and scores, and their orders by score."""

    grid: tuple[tuple[float | None, ...], ...]   # [attempt][item]
    earned: tuple[float, ...]
    given_max: tuple[float, ...]
    score: tuple[float, ...]                      # 0..1 of the attempt's maximum
    ascending: tuple[int, ...]                    # attempt indices by score, ties in order
    descending: tuple[int, ...]

    @staticmethod
    def of(matrix: ResponseMatrix) -> _Scores:
        ids = [item.id for item in matrix.items]
        maxima = [item.max_points for item in matrix.items]
        grid = tuple(tuple(a.points.get(i) for i in ids) for a in matrix.attempts)
        earned = tuple(math.fsum(p for p in row if p is not None) for row in grid)
        given_max = tuple(math.fsum(m for p, m in zip(row, maxima) if p is not None)
                          for row in grid)
        score = tuple(round(e / m, PERCENT_DIGITS) for e, m in zip(earned, given_max))
        # One ranking, stable: among equal scores an earlier attempt ranks lower. The upper
        # group is taken from the top of it and the lower from the bottom, so they never
        # share an attempt (a group is at most half of n >= 2).
        ascending = tuple(sorted(range(len(grid)), key=score.__getitem__))
        return _Scores(grid=grid, earned=earned, given_max=given_max, score=score,
                       ascending=ascending, descending=ascending[::-1])


# --- small numerical helpers ------------------------------------------------------------------


def _mean_ss(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the sum of squared deviations; a spread that is only rounding noise
    (1e-12 of the values' size) is 0, so that equal values never correlate by accident."""
    n = len(values)
    mean = math.fsum(values) / n
    ss = math.fsum((v - mean) ** 2 for v in values)
    scale = max(1.0, max(abs(v) for v in values))
    return mean, (0.0 if ss <= n * (1e-12 * scale) ** 2 else ss)


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> tuple[float | None, Undefined | None]:
    """Pearson's r of paired values, or None and why (n < 2 or a constant side; `xs` is the
    item's side, `ys` the rest score's)."""
    if len(xs) < 2:
        return None, Undefined.TOO_FEW_ATTEMPTS
    mx, sxx = _mean_ss(xs)
    my, syy = _mean_ss(ys)
    if sxx == 0:
        return None, Undefined.ZERO_VARIANCE
    if syy == 0:
        return None, Undefined.ZERO_REST_VARIANCE
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy))), None


def fisher_interval(r: float, n: int, level: float = CONFIDENCE) -> tuple[float, float] | None:
    """The confidence interval of a correlation r over n pairs by Fisher's z
    (tanh(atanh r -+ z_{(1+level)/2} / sqrt(n-3))); None when n < 4."""
    if n < 4:
        return None
    if abs(r) >= 1.0:
        return (r, r)  # atanh(+-1) is infinite; the interval collapses onto r
    z = math.atanh(r)
    half = statistics.NormalDist().inv_cdf((1 + level) / 2) / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (Numerical Recipes' betacf,
    modified Lentz); it converges in O(sqrt(max(a, b))) terms for x < (a+1)/(a+b+2)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-16:
            return h
    raise ArithmeticError(f"incomplete beta did not converge (a={a}, b={b}, x={x})")


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function (a, b > 0, 0 <= x <= 1)."""
    if not (a > 0 and b > 0 and 0 <= x <= 1):
        raise ValueError("regularized_beta needs a, b > 0 and 0 <= x <= 1")
    if x == 0 or x == 1:
        return x
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    front = math.exp(log_front)
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def f_cdf(x: float, df1: float, df2: float) -> float:
    """P(F <= x) for Fisher's F with df1 and df2 degrees of freedom."""
    if x <= 0:
        return 0.0
    return regularized_beta(df1 / 2, df2 / 2, df1 * x / (df1 * x + df2))


def f_quantile(p: float, df1: float, df2: float) -> float:
    """The x with P(F <= x) = p (0 < p < 1): I_z(df1/2, df2/2) = p solved for z by bisection
    to the last bit of the double (the cdf is increasing in z), then x = df2 z / (df1 (1-z))."""
    if not 0 < p < 1:
        raise ValueError("f_quantile needs 0 < p < 1")
    if not (df1 > 0 and df2 > 0):
        raise ValueError("f_quantile needs positive degrees of freedom")
    a, b = df1 / 2, df2 / 2
    lo, hi = 0.0, 1.0
    for _ in range(2000):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if regularized_beta(a, b, mid) < p:
            lo = mid
        else:
            hi = mid
    z = (lo + hi) / 2
    return df2 * z / (df1 * (1.0 - z))


def feldt_interval(alpha: float, n: int, k: int,
                   level: float = CONFIDENCE) -> tuple[float, float]:
    """Feldt's (1965) interval for Cronbach's alpha of n attempts on k items (n, k >= 2):
    (1 - alpha_pop) / (1 - alpha) is F with n-1 and (n-1)(k-1) degrees of freedom."""
    if n < 2 or k < 2:
        raise ValueError("feldt_interval needs n >= 2 and k >= 2")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    return (1 - (1 - alpha) * f_quantile(1 - tail, df1, df2),
            1 - (1 - alpha) * f_quantile(tail, df1, df2))


# --- the exam ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """n values: mean, median, sample sd (None below 2 values), lowest and highest."""

    n: int
    mean: float | None
    median: float | None
    sd: float | None
    min: float | None
    max: float | None


def summary(values: Sequence[float]) -> Summary:
    if not values:
        return Summary(n=0, mean=None, median=None, sd=None, min=None, max=None)
    mean, ss = _mean_ss(values)
    sd = math.sqrt(ss / (len(values) - 1)) if len(values) > 1 else None
    return Summary(n=len(values), mean=mean, median=statistics.median(values), sd=sd,
                   min=min(values), max=max(values))


@dataclass(frozen=True)
class ExamStatistics:
    """The exam as a whole.

    `points` summarises the attempts' totals; `percent` their scores (0-100 of each attempt's
    maximum), which `distribution` bands and `pass_rate` (0..1, None without a pass mark or
    attempts) compares with `pass_mark` (0-100, passed when score >= pass mark).
    `alpha` (over `alpha_n` complete attempts), its Feldt interval `alpha_ci` and `sem` (in
    points) are None together, `undefined["alpha"]` saying why.
    """

    n: int
    k: int
    max_points: float                 # all items' points together
    points: Summary
    percent: Summary
    alpha: float | None
    alpha_n: int
    alpha_ci: tuple[float, float] | None
    sem: float | None
    distribution: Distribution
    pass_mark: float | None
    pass_rate: float | None
    warnings: tuple[WarningCode, ...]
    undefined: Mapping[str, Undefined] = field(default_factory=dict)


def _alpha(matrix: ResponseMatrix, scores: _Scores
           ) -> tuple[float | None, int, float | None, Undefined | None]:
    """(alpha, complete attempts, sd of their totals, why alpha is None)."""
    k, n = len(matrix.items), len(matrix.attempts)
    complete = [row for row in scores.grid if None not in row]
    if k < 2:
        return None, len(complete), None, Undefined.TOO_FEW_ITEMS
    if n < 2:
        return None, len(complete), None, (Undefined.NO_ATTEMPTS if n == 0
                                           else Undefined.TOO_FEW_ATTEMPTS)
    if len(complete) < 2:
        return None, len(complete), None, Undefined.TOO_FEW_COMPLETE_ATTEMPTS
    totals = [math.fsum(row) for row in complete]  # type: ignore[arg-type]
    _, total_ss = _mean_ss(totals)
    if total_ss == 0:
        return None, len(complete), 0.0, Undefined.ZERO_TOTAL_VARIANCE
    item_ss = math.fsum(_mean_ss([row[j] for row in complete])[1]  # type: ignore[misc]
                        for j in range(k))
    # The n-1 of the variances cancels in the ratio.
    alpha = k / (k - 1) * (1 - item_ss / total_ss)
    return alpha, len(complete), math.sqrt(total_ss / (len(complete) - 1)), None


def exam_statistics(matrix: ResponseMatrix, *, pass_mark: float | None = None) -> ExamStatistics:
    """The exam's figures; `pass_mark` (0-100 of an attempt's maximum) gives the pass rate."""
    if pass_mark is not None and not 0 <= pass_mark <= 100:
        raise ValueError("pass_mark is a percentage, 0..100")
    scores = matrix._scores
    n = len(matrix.attempts)
    percents = [100 * e / m for e, m in zip(scores.earned, scores.given_max)]
    alpha, alpha_n, total_sd, why = _alpha(matrix, scores)
    undefined: dict[str, Undefined] = {}
    ci = sem = None
    if alpha is None:
        assert why is not None
        undefined["alpha"] = why
    else:
        ci = feldt_interval(alpha, alpha_n, len(matrix.items))
        sem = total_sd * math.sqrt(max(0.0, 1 - alpha))  # type: ignore[operator]
    warnings = []
    if n < FEW_ATTEMPTS:
        warnings.append(WarningCode.TOO_FEW_ATTEMPTS)
    if alpha is not None and alpha_n < n:
        warnings.append(WarningCode.ALPHA_FROM_COMPLETE_ATTEMPTS)
    # Banded (and passed) on the rounded score, so that 3 x 0.1 of 0.3 points is 100%.
    bands = distribution([round(100 * s, PERCENT_DIGITS - 2) for s in scores.score],
                         pass_mark=pass_mark)
    return ExamStatistics(
        n=n, k=len(matrix.items), max_points=math.fsum(i.max_points for i in matrix.items),
        points=summary(scores.earned), percent=summary(percents), alpha=alpha, alpha_n=alpha_n,
        alpha_ci=ci, sem=sem, distribution=bands, pass_mark=pass_mark,
        pass_rate=bands.passed / n if pass_mark is not None and n else None,
        warnings=tuple(warnings), undefined=undefined)


# --- items ------------------------------------------------------------------------------------


def group_size(n: int) -> int:
    """The size of Kelley's upper and lower groups of n attempts: 27% rounded half up, >= 1."""
    return max(1, math.floor(GROUP_SHARE * n + 0.5))


@dataclass(frozen=True)
class _Given:
    """The attempts given one item: their indices, the item's points, the groups, the rest
    scores (the other items' points as a fraction of their maximum; None without others)."""

    attempts: tuple[int, ...]
    points: tuple[float, ...]
    upper: tuple[int, ...]
    lower: tuple[int, ...]
    upper_points: tuple[float, ...]
    lower_points: tuple[float, ...]
    rest: tuple[float | None, ...]


def _given(scores: _Scores, j: int, max_points: float) -> _Given:
    grid = scores.grid
    attempts = tuple(a for a in range(len(grid)) if grid[a][j] is not None)
    points = tuple(grid[a][j] for a in attempts)  # type: ignore[misc]
    rest = []
    for a, x in zip(attempts, points):
        rest_max = scores.given_max[a] - max_points
        rest.append((scores.earned[a] - x) / rest_max if rest_max > 1e-12 else None)
    g = group_size(len(attempts))
    upper = tuple(a for a in scores.descending if grid[a][j] is not None)[:g]
    lower = tuple(a for a in scores.ascending if grid[a][j] is not None)[:g]
    return _Given(attempts=attempts, points=points, upper=upper, lower=lower,
                  upper_points=tuple(grid[a][j] for a in upper),  # type: ignore[misc]
                  lower_points=tuple(grid[a][j] for a in lower),  # type: ignore[misc]
                  rest=tuple(rest))


@dataclass(frozen=True)
class ItemStatistics:
    """One item. `n` attempts were given it; `mean` (points) and `facility` (mean / max, 0..1)
    are None when n = 0, `sd` when n < 2. `corrected_r` (over `r_n` attempts given the item
    and another) has its Fisher interval `r_ci` (r_n >= 4). `discrimination_index` compares
    the top and bottom `group_n` attempts. `undefined` maps the name of each None figure to
    why; `flags` and `warnings` say what to look at and how far to trust it."""

    item_id: str
    max_points: float
    n: int
    mean: float | None
    facility: float | None
    sd: float | None
    corrected_r: float | None
    r_n: int
    r_ci: tuple[float, float] | None
    discrimination_index: float | None
    group_n: int
    flags: tuple[Flag, ...]
    warnings: tuple[WarningCode, ...]
    undefined: Mapping[str, Undefined] = field(default_factory=dict)


def _item(item: Item, given: _Given) -> ItemStatistics:
    n = len(given.attempts)
    undefined: dict[str, Undefined] = {}
    mean = facility = sd = r = index = None
    if n == 0:
        for name in ("mean", "facility", "sd", "corrected_r", "r_ci", "discrimination_index"):
            undefined[name] = Undefined.NO_ATTEMPTS
    else:
        mean, ss = _mean_ss(given.points)
        facility = mean / item.max_points
        if n < 2:
            for name in ("sd", "corrected_r", "r_ci", "discrimination_index"):
                undefined[name] = Undefined.TOO_FEW_ATTEMPTS
        else:
            sd = math.sqrt(ss / (n - 1))
            index = (math.fsum(given.upper_points) / len(given.upper_points)
                     - math.fsum(given.lower_points) / len(given.lower_points)) / item.max_points
    pairs = [(x, y) for x, y in zip(given.points, given.rest) if y is not None]
    ci = None
    if n >= 2:
        if not pairs:
            undefined["corrected_r"] = undefined["r_ci"] = Undefined.NO_OTHER_ITEMS
        else:
            r, why = _pearson([x for x, _ in pairs], [y for _, y in pairs])
            if r is None:
                assert why is not None
                undefined["corrected_r"] = undefined["r_ci"] = why
            else:
                ci = fisher_interval(r, len(pairs))
                if ci is None:
                    undefined["r_ci"] = Undefined.TOO_FEW_ATTEMPTS
    warnings = []
    if n < FEW_ATTEMPTS:
        warnings.append(WarningCode.TOO_FEW_ATTEMPTS)
    if n < STABLE_ATTEMPTS:
        warnings.append(WarningCode.UNSTABLE_DISCRIMINATION)
    return ItemStatistics(
        item_id=item.id, max_points=item.max_points, n=n, mean=mean, facility=facility, sd=sd,
        corrected_r=r, r_n=len(pairs), r_ci=ci, discrimination_index=index,
        group_n=len(given.upper) if n else 0, flags=item_flags(facility, r),
        warnings=tuple(warnings), undefined=undefined)


def item_flags(facility: float | None, corrected_r: float | None) -> tuple[Flag, ...]:
    """The facility and discrimination flags of an item (undefined figures raise none)."""
    flags = []
    if facility is not None and facility > TOO_EASY:
        flags.append(Flag(FlagCode.TOO_EASY, {"facility": facility, "threshold": TOO_EASY}))
    if facility is not None and facility < TOO_HARD:
        flags.append(Flag(FlagCode.TOO_HARD, {"facility": facility, "threshold": TOO_HARD}))
    if corrected_r is not None and corrected_r < 0:
        flags.append(Flag(FlagCode.NEGATIVE_DISCRIMINATION,
                          {"corrected_r": corrected_r, "threshold": 0.0}))
    elif corrected_r is not None and corrected_r < LOW_DISCRIMINATION:
        flags.append(Flag(FlagCode.LOW_DISCRIMINATION,
                          {"corrected_r": corrected_r, "threshold": LOW_DISCRIMINATION}))
    return tuple(flags)


def item_statistics(matrix: ResponseMatrix) -> tuple[ItemStatistics, ...]:
    """Every item's statistics, in the matrix's order (O(n·k) in all)."""
    scores = matrix._scores
    return tuple(_item(item, _given(scores, j, item.max_points))
                 for j, item in enumerate(matrix.items))


# --- distractors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceResponses:
    """What the attempts chose on one choice item: `options` in display order (so that an
    option nobody chose is seen), the keyed option(s), and per attempt given the item the
    options it chose (empty: it answered nothing). Exactly the attempts given the item in
    the matrix have an entry."""

    item_id: str
    options: tuple[str, ...]
    key: frozenset[str]
    chosen: Mapping[AttemptId, frozenset[str]]


@dataclass(frozen=True)
class OptionStatistics:
    """One option: chosen by `chosen` attempts; the shares (0..1) of all the attempts given
    the item, of the upper group and of the lower group; `r_rest`, the point-biserial
    correlation of choosing it with the rest score (None, with `undefined`, when nobody or
    everybody chose it)."""

    option_id: str
    is_key: bool
    chosen: int
    share: float | None
    upper_share: float | None
    lower_share: float | None
    r_rest: float | None
    undefined: Undefined | None = None


@dataclass(frozen=True)
class DistractorAnalysis:
    """The options of one item over `n` attempts (`omitted` of them chose nothing); the groups
    are the item's discrimination groups of `group_n` attempts each."""

    item_id: str
    n: int
    omitted: int
    group_n: int
    options: tuple[OptionStatistics, ...]
    flags: tuple[Flag, ...]


def _share(count: int, of: int) -> float | None:
    return count / of if of else None


def distractor_analysis(matrix: ResponseMatrix, choices: ChoiceResponses) -> DistractorAnalysis:
    """Shares and option-rest correlations of each option, and the distractor flags."""
    j = next((j for j, item in enumerate(matrix.items) if item.id == choices.item_id), None)
    if j is None:
        raise ValueError(f"unknown item {choices.item_id!r}")
    if not choices.key or not choices.key <= set(choices.options):
        raise ValueError("the key must be one or more of the options")
    scores = matrix._scores
    given = _given(scores, j, matrix.items[j].max_points)
    ids = [a.id for a in matrix.attempts]
    given_ids = {ids[a] for a in given.attempts}
    if set(choices.chosen) != given_ids:
        raise ValueError("choices must name exactly the attempts given the item")
    for picked in choices.chosen.values():
        if not picked <= set(choices.options):
            raise ValueError(f"unknown options {sorted(picked - set(choices.options))}")
    picks = [choices.chosen[ids[a]] for a in given.attempts]
    upper = [choices.chosen[ids[a]] for a in given.upper]
    lower = [choices.chosen[ids[a]] for a in given.lower]
    with_rest = [(p, y) for p, y in zip(picks, given.rest) if y is not None]
    n = len(picks)
    options = []
    for option in choices.options:
        count = sum(1 for p in picks if option in p)
        r, why = None, None
        if count == 0:
            why = Undefined.NOBODY_CHOSE
        elif count == n:
            why = Undefined.EVERYBODY_CHOSE
        elif not with_rest:
            why = Undefined.NO_OTHER_ITEMS
        else:
            r, why = _pearson([1.0 if option in p else 0.0 for p, _ in with_rest],
                              [y for _, y in with_rest])
            if why is Undefined.ZERO_VARIANCE:  # among the attempts that have a rest score
                why = (Undefined.EVERYBODY_CHOSE if all(option in p for p, _ in with_rest)
                       else Undefined.NOBODY_CHOSE)
        options.append(OptionStatistics(
            option_id=option, is_key=option in choices.key, chosen=count,
            share=_share(count, n), upper_share=_share(sum(option in p for p in upper), len(upper)),
            lower_share=_share(sum(option in p for p in lower), len(lower)), r_rest=r,
            undefined=why))
    return DistractorAnalysis(item_id=choices.item_id, n=n,
                              omitted=sum(1 for p in picks if not p),
                              group_n=len(upper), options=tuple(options),
                              flags=distractor_flags(options, n))


def distractor_flags(options: Sequence[OptionStatistics], n: int) -> tuple[Flag, ...]:
    """UNUSED_DISTRACTOR for a wrong option nobody of n >= 10 chose; LIKELY_WRONG_KEY for a
    wrong option the upper group chose more often than the key, or whose option-rest r is
    positive and above the key's. With several keyed options the weakest one is compared."""
    keys = [o for o in options if o.is_key]
    key_upper = min((o.upper_share for o in keys if o.upper_share is not None), default=None)
    key_r = min((o.r_rest for o in keys if o.r_rest is not None), default=None)
    flags = []
    for option in options:
        if option.is_key:
            continue
        if option.chosen == 0 and n >= UNUSED_DISTRACTOR_MIN_N:
            flags.append(Flag(FlagCode.UNUSED_DISTRACTOR, {"n": n}, option.option_id))
            continue
        figures: dict[str, float] = {}
        if (option.upper_share is not None and key_upper is not None
                and option.upper_share > key_upper):
            figures.update(upper_share=option.upper_share, key_upper_share=key_upper)
        if (option.r_rest is not None and key_r is not None and option.r_rest > 0
                and option.r_rest > key_r):
            figures.update(r_rest=option.r_rest, key_r_rest=key_r)
        if figures:
            flags.append(Flag(FlagCode.LIKELY_WRONG_KEY, figures, option.option_id))
    return tuple(flags)
