"""Exam and item statistics on small data sets computed by hand (the arithmetic is in each
test's comment), the small-sample rules, the flags, and the benchmark's size."""
from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest

from portal.analytics.stats import (
    Attempt,
    FlagCode,
    Item,
    ItemStatistics,
    ResponseMatrix,
    Undefined,
    WarningCode,
    exam_statistics,
    group_size,
    item_statistics,
)

Row = Sequence[float | None]


def _matrix(rows: Sequence[Row], maxima: Sequence[float] | None = None,
            ids: str = "ABCDEFGH") -> ResponseMatrix:
    width = len(rows[0]) if rows else len(maxima or ())
    maxima = maxima or [1.0] * width
    items = tuple(Item(ids[j], maxima[j]) for j in range(width))
    return ResponseMatrix(items=items, attempts=tuple(
        Attempt(n, {ids[j]: v for j, v in enumerate(row) if v is not None})
        for n, row in enumerate(rows)))


def _by_id(matrix: ResponseMatrix) -> dict[str, ItemStatistics]:
    return {s.item_id: s for s in item_statistics(matrix)}


def _codes(stats: ItemStatistics) -> list[FlagCode]:
    return [flag.code for flag in stats.flags]


# Five attempts on three one-point items (A, B, C), totals 3, 2, 2, 1, 0.
FIVE_BY_THREE = [(1, 1, 1), (1, 1, 0), (1, 0, 1), (0, 1, 0), (0, 0, 0)]


def test_alpha_sem_and_the_score_summary_of_the_five_by_three_example() -> None:
    # Item means 0.6, 0.6, 0.4; each item's squared deviations sum to 3·0.16 + 2·0.36 = 1.2,
    # variance 1.2/4 = 0.3; their sum 0.9. Totals 3,2,2,1,0: mean 1.6, squared deviations
    # 1.96+0.16+0.16+0.36+2.56 = 5.2, variance 1.3, sd sqrt(1.3) = 1.140175.
    # alpha = 3/2 · (1 - 0.9/1.3) = 0.6/1.3 = 6/13 = 0.461538 (psych::alpha: raw_alpha 0.46).
    # SEM = sqrt(1.3)·sqrt(1 - 6/13) = sqrt(1.3·7/13) = sqrt(0.7) = 0.836660.
    exam = exam_statistics(_matrix(FIVE_BY_THREE), pass_mark=60)
    assert (exam.n, exam.k, exam.max_points) == (5, 3, 3.0)
    assert exam.alpha == pytest.approx(6 / 13, rel=1e-12)
    assert exam.alpha_n == 5
    assert exam.sem == pytest.approx(math.sqrt(0.7), rel=1e-12)
    assert exam.points.mean == pytest.approx(1.6)
    assert exam.points.median == 2
    assert exam.points.sd == pytest.approx(math.sqrt(1.3), rel=1e-12)
    assert (exam.points.min, exam.points.max) == (0, 3)
    # Scores 100, 66.7, 66.7, 33.3, 0 (%): mean 53.33, three of five at or above 60.
    assert exam.percent.mean == pytest.approx(160 / 3)
    assert exam.pass_rate == pytest.approx(0.6)
    assert [band.count for band in exam.distribution.bands] == [1, 0, 0, 1, 0, 0, 2, 0, 0, 1]
    assert exam.alpha_ci == pytest.approx((-1.7206481170, 0.9400348888), abs=1e-9)
    assert exam.warnings == (WarningCode.TOO_FEW_ATTEMPTS,)
    assert exam.undefined == {}


def test_corrected_item_total_correlations_of_the_five_by_three_example() -> None:
    # A = 1,1,1,0,0 against the rest B+C = 2,1,1,1,0: deviations .4,.4,.4,-.6,-.6 and
    # 1,0,0,0,-1; sxy = .4+.6 = 1, sxx = 1.2, syy = 2; r = 1/sqrt(2.4) = 0.645497.
    # B = 1,1,0,1,0 against A+C = 2,1,2,0,0 (mean 1): sxy = .4+0-.6-.4+.6 = 0; r = 0.
    # C = 1,0,1,0,0 against A+B = 2,2,1,1,0 (mean 1.2): deviations .6,-.4,.6,-.4,-.4 and
    # .8,.8,-.2,-.2,-1.2; sxy = .48-.32-.12+.08+.48 = .6, syy = 2.8; r = .6/sqrt(3.36) = 0.327327.
    stats = _by_id(_matrix(FIVE_BY_THREE))
    assert stats["A"].corrected_r == pytest.approx(1 / math.sqrt(2.4), rel=1e-12)
    assert stats["B"].corrected_r == pytest.approx(0.0, abs=1e-15)
    assert stats["C"].corrected_r == pytest.approx(0.6 / math.sqrt(3.36), rel=1e-12)
    assert [stats[i].r_n for i in "ABC"] == [5, 5, 5]
    # Facility = mean points / max; sd of 0/1 points with mean .6: sqrt(1.2/4) = 0.547723.
    assert [stats[i].facility for i in "ABC"] == pytest.approx([0.6, 0.6, 0.4])
    assert stats["A"].sd == pytest.approx(math.sqrt(0.3))
    # B's r of 0 is low discrimination (0 <= r < 0.2); A and C raise no flag.
    assert _codes(stats["B"]) == [FlagCode.LOW_DISCRIMINATION]
    assert stats["B"].flags[0].figures == {"corrected_r": pytest.approx(0.0, abs=1e-15),
                                           "threshold": 0.2}
    assert _codes(stats["A"]) == _codes(stats["C"]) == []
    # Five attempts: one in each 27% group (1.35 rounds to 1): attempt 1 (total 3) above,
    # attempt 5 (total 0) below, so every item discriminates 1 - 0 = 1.
    assert [stats[i].discrimination_index for i in "ABC"] == [1.0, 1.0, 1.0]
    assert stats["A"].group_n == 1
    # Fisher's interval for A over 5 pairs: tanh(atanh(0.645497) ± 1.959964/sqrt 2).
    z, half = math.atanh(1 / math.sqrt(2.4)), 1.959963984540054 / math.sqrt(2)
    assert stats["A"].r_ci == pytest.approx((math.tanh(z - half), math.tanh(z + half)))
    assert stats["A"].warnings == (WarningCode.TOO_FEW_ATTEMPTS,
                                   WarningCode.UNSTABLE_DISCRIMINATION)


def test_corrected_r_is_the_correlation_with_total_minus_item_for_any_points() -> None:
    # Without random draws the rest score (other items as a fraction of their maximum) is
    # (total - item) / a constant, so r equals the textbook r.drop on partial-credit items.
    rng = random.Random(7)
    rows = [(rng.randint(0, 2), rng.randint(0, 5), rng.randint(0, 3)) for _ in range(40)]
    stats = _by_id(_matrix(rows, maxima=[2, 5, 3]))
    for j, item in enumerate("ABC"):
        xs = [row[j] for row in rows]
        rest = [sum(row) - row[j] for row in rows]
        mx, my = sum(xs) / 40, sum(rest) / 40
        sxy = sum((x - mx) * (y - my) for x, y in zip(xs, rest))
        sxx = sum((x - mx) ** 2 for x in xs)
        syy = sum((y - my) ** 2 for y in rest)
        assert stats[item].corrected_r == pytest.approx(sxy / math.sqrt(sxx * syy), rel=1e-12)


def test_every_attempt_right_leaves_spreads_and_alpha_undefined() -> None:
    # Four attempts with full marks: facility 1 (too easy), sd 0, r undefined (no spread),
    # index 1 - 1 = 0; every total 3, so alpha's total variance is 0.
    matrix = _matrix([(1, 1, 1)] * 4)
    exam = exam_statistics(matrix)
    assert exam.alpha is None and exam.sem is None and exam.alpha_ci is None
    assert exam.undefined == {"alpha": Undefined.ZERO_TOTAL_VARIANCE}
    assert exam.points.sd == 0
    a = _by_id(matrix)["A"]
    assert (a.facility, a.sd, a.corrected_r, a.discrimination_index) == (1.0, 0.0, None, 0.0)
    assert a.undefined == {"corrected_r": Undefined.ZERO_VARIANCE, "r_ci": Undefined.ZERO_VARIANCE}
    assert _codes(a) == [FlagCode.TOO_EASY]
    assert a.flags[0].figures == {"facility": 1.0, "threshold": 0.9}


def test_every_attempt_wrong_is_too_hard() -> None:
    matrix = _matrix([(0, 0)] * 3, maxima=[2, 4])
    exam = exam_statistics(matrix, pass_mark=50)
    assert exam.undefined == {"alpha": Undefined.ZERO_TOTAL_VARIANCE}
    assert exam.pass_rate == 0
    for stats in item_statistics(matrix):
        assert stats.facility == 0
        assert _codes(stats) == [FlagCode.TOO_HARD]
        assert stats.flags[0].figures == {"facility": 0.0, "threshold": 0.2}


def test_one_attempt_has_a_facility_and_nothing_that_needs_a_spread() -> None:
    matrix = _matrix([(1, 0.5, 0)], maxima=[1, 2, 1])
    exam = exam_statistics(matrix)
    assert exam.n == 1 and exam.points.mean == 1.5 and exam.points.sd is None
    assert exam.undefined == {"alpha": Undefined.TOO_FEW_ATTEMPTS}
    b = _by_id(matrix)["B"]
    assert (b.n, b.facility, b.sd, b.corrected_r, b.discrimination_index) == (1, 0.25, None,
                                                                              None, None)
    assert b.undefined == dict.fromkeys(("sd", "corrected_r", "r_ci", "discrimination_index"),
                                        Undefined.TOO_FEW_ATTEMPTS)
    assert WarningCode.TOO_FEW_ATTEMPTS in b.warnings


def test_no_attempts_at_all() -> None:
    matrix = _matrix([], maxima=[1, 1])
    exam = exam_statistics(matrix, pass_mark=60)
    assert (exam.n, exam.points.mean, exam.pass_rate) == (0, None, None)
    assert exam.undefined == {"alpha": Undefined.NO_ATTEMPTS}
    a = _by_id(matrix)["A"]
    assert (a.n, a.facility, a.group_n, a.flags) == (0, None, 0, ())
    assert a.undefined["facility"] is Undefined.NO_ATTEMPTS


def test_an_item_everybody_scores_the_same_on_and_a_negative_alpha() -> None:
    # A is always 1; B = 1,1,0,1,0 and C = 1,0,1,0,0 (each squared deviations 1.2).
    # Totals 3,2,2,2,1: mean 2, squared deviations 2. alpha = 3/2·(1 - 2.4/2) = -0.3, reported
    # as it is; SEM = sqrt(2/4)·sqrt(1.3) = sqrt(0.65).
    # B against A+C = 1+C: deviations .4,.4,-.6,.4,-.6 and .6,-.4,.6,-.4,-.4:
    # sxy = .24-.16-.36-.16+.24 = -.2, r = -.2/1.2 = -1/6: negative discrimination.
    matrix = _matrix([(1, 1, 1), (1, 1, 0), (1, 0, 1), (1, 1, 0), (1, 0, 0)])
    exam = exam_statistics(matrix)
    assert exam.alpha == pytest.approx(-0.3, rel=1e-12)
    assert exam.sem == pytest.approx(math.sqrt(0.65), rel=1e-12)
    stats = _by_id(matrix)
    assert stats["A"].corrected_r is None
    assert stats["A"].undefined["corrected_r"] is Undefined.ZERO_VARIANCE
    assert _codes(stats["A"]) == [FlagCode.TOO_EASY]
    assert stats["B"].corrected_r == pytest.approx(-1 / 6, rel=1e-12)
    assert _codes(stats["B"]) == [FlagCode.NEGATIVE_DISCRIMINATION]
    assert stats["B"].flags[0].figures == {"corrected_r": pytest.approx(-1 / 6),
                                           "threshold": 0.0}


def test_an_item_whose_rest_score_never_varies() -> None:
    matrix = _matrix([(1, 1), (0, 1), (1, 1)])
    assert _by_id(matrix)["A"].undefined["corrected_r"] is Undefined.ZERO_REST_VARIANCE


def test_a_one_item_exam_has_no_alpha_and_no_rest_score() -> None:
    matrix = _matrix([(1,), (0,), (1,)])
    assert exam_statistics(matrix).undefined == {"alpha": Undefined.TOO_FEW_ITEMS}
    a = _by_id(matrix)["A"]
    assert a.undefined["corrected_r"] is Undefined.NO_OTHER_ITEMS
    assert a.r_n == 0
    assert a.discrimination_index == 1.0  # upper attempt 3 (1 point), lower attempt 2 (0)


# Random draws: items A (1 point), B (1 point), C (2 points); None: not drawn.
RANDOM_DRAWS = [
    (1, 1, None),     # r0: total 2 of 2
    (0, None, 2),     # r1: 2 of 3
    (None, 1, 1),     # r2: 2 of 3
    (1, 0, 0),        # r3: 1 of 4 (complete)
    (1, 1, 2),        # r4: 4 of 4 (complete)
    (0, 0, None),     # r5: 0 of 2
]


def test_alpha_with_random_draws_uses_the_complete_attempts() -> None:
    # Complete: r3 (1,0,0) and r4 (1,1,2). Item squared deviations: A 0, B 0.5, C 2; totals
    # 1 and 4: 4.5. alpha = 3/2·(1 - 2.5/4.5) = 2/3 over 2 attempts; their totals' sd is
    # sqrt(4.5), so SEM = sqrt(4.5)·sqrt(1/3) = sqrt(1.5).
    exam = exam_statistics(_matrix(RANDOM_DRAWS, maxima=[1, 1, 2]))
    assert exam.alpha == pytest.approx(2 / 3, rel=1e-12)
    assert exam.alpha_n == 2 and exam.n == 6
    assert exam.sem == pytest.approx(math.sqrt(1.5), rel=1e-12)
    assert WarningCode.ALPHA_FROM_COMPLETE_ATTEMPTS in exam.warnings
    # Totals 2,2,2,1,4,0 in points; scores 100, 66.7, 66.7, 25, 100, 0 in percent.
    assert exam.points.mean == pytest.approx(11 / 6)
    assert exam.percent.mean == pytest.approx((100 + 200 / 3 + 200 / 3 + 25 + 100 + 0) / 6)


def test_alpha_needs_two_complete_attempts() -> None:
    exam = exam_statistics(_matrix(RANDOM_DRAWS[:4], maxima=[1, 1, 2]))
    assert exam.alpha is None
    assert exam.undefined == {"alpha": Undefined.TOO_FEW_COMPLETE_ATTEMPTS}
    assert WarningCode.ALPHA_FROM_COMPLETE_ATTEMPTS not in exam.warnings


def test_item_statistics_with_random_draws() -> None:
    # A over r0,r1,r3,r4,r5: points 1,0,1,1,0 (facility 0.6). Rest = the other items given,
    # as a fraction of their maximum: r0 B 1/1, r1 C 2/2, r3 0/3, r4 3/3, r5 0/1 =
    # 1,1,0,1,0. Deviations .4,-.6,.4,.4,-.6 and .4,.4,-.6,.4,-.6: sxy = .16-.24-.24+.16+.36
    # = .2, sxx = syy = 1.2; r = 1/6.
    # B over r0,r2,r3,r4,r5: 1,1,0,1,0; rest r0 A 1/1, r2 C 1/2, r3 (A+C) 1/3, r4 3/3, r5 0/1,
    # in sixths 6,3,2,6,0 (mean 3.4): deviations 2.6,-.4,-1.4,2.6,-3.4, syy = 27.2;
    # sxy = 1.04-.16+.84+1.04+2.04 = 4.8; r = 4.8/sqrt(1.2·27.2) = 0.840168.
    # C (2 points) over r1..r4: 2,1,0,2 (facility 5/8); rest 0, 1, 1/2, 1 (mean .625):
    # deviations .75,-.25,-1.25,.75 and -.625,.375,-.125,.375; sxy = -.46875-.09375+.15625
    # +.28125 = -.125, sxx = 2.75, syy = .6875; r = -.125/sqrt(1.890625) = -.125/1.375 = -1/11.
    stats = _by_id(_matrix(RANDOM_DRAWS, maxima=[1, 1, 2]))
    assert [stats[i].n for i in "ABC"] == [5, 5, 4]
    assert [stats[i].facility for i in "ABC"] == pytest.approx([0.6, 0.6, 0.625])
    assert stats["A"].corrected_r == pytest.approx(1 / 6, rel=1e-12)
    assert stats["B"].corrected_r == pytest.approx(4.8 / math.sqrt(1.2 * 27.2), rel=1e-12)
    assert stats["C"].corrected_r == pytest.approx(-1 / 11, rel=1e-12)
    assert _codes(stats["A"]) == [FlagCode.LOW_DISCRIMINATION]
    assert _codes(stats["C"]) == [FlagCode.NEGATIVE_DISCRIMINATION]
    # C's interval over 4 pairs: se = 1/sqrt(1) = 1, tanh(atanh(-1/11) ± 1.959964).
    assert stats["C"].r_ci == pytest.approx((-0.9674670728749443, 0.9534855005604355))
    # Groups among the attempts given the item, by score: the ranking is r5 (0%), r3 (25%),
    # r1, r2 (66.7%), r0, r4 (100%; r4 ranks above r0, later among equals). A (5 attempts,
    # groups of 1): upper r4 (1 point), lower r5 (0) -> 1. C (4, groups of 1): upper r4 (2),
    # lower r3 (0) -> (2 - 0)/2 = 1. B: upper r4 (1), lower r5 (0) -> 1.
    assert [stats[i].discrimination_index for i in "ABC"] == [1.0, 1.0, 1.0]


def test_the_upper_and_lower_groups_break_ties_by_the_attempts_order() -> None:
    # Ten attempts on X and Y (one point each), scores 100, 50 or 0%.
    #     a0 a1 a2 a3 a4 a5 a6 a7 a8 a9
    # X:  1  1  0  0  0  1  0  0  1  0
    # Y:  1  0  1  1  0  0  1  0  1  1
    # Groups of round(2.7) = 3. Ranking from the bottom: a4, a7 (0%), a1, a2, a3, a5, a6, a9
    # (50%, earlier lower), a0, a8 (100%). Lower: a4, a7, a1; upper: a8, a0, a9.
    # X: upper 1,1,0 = 2/3, lower 0,0,1 = 1/3 -> 1/3. Y: upper 1,1,1 = 1, lower 0,0,0 -> 1.
    x = [1, 1, 0, 0, 0, 1, 0, 0, 1, 0]
    y = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1]
    stats = _by_id(_matrix(list(zip(x, y)), ids="XY"))
    assert stats["X"].group_n == 3
    assert stats["X"].discrimination_index == pytest.approx(1 / 3)
    assert stats["Y"].discrimination_index == pytest.approx(1.0)


@pytest.mark.parametrize(("n", "size"), [(2, 1), (3, 1), (5, 1), (6, 2), (10, 3), (50, 14),
                                         (100, 27), (1000, 270)])
def test_group_sizes_are_27_percent_rounded_half_up(n: int, size: int) -> None:
    # 0.27·5 = 1.35 -> 1; 0.27·6 = 1.62 -> 2; 0.27·50 = 13.5 -> 14 (half up, not to even).
    assert group_size(n) == size
    assert 2 * group_size(n) <= n


def test_small_sample_warnings_by_attempt_count() -> None:
    rng = random.Random(3)
    for n, expected in [(9, (WarningCode.TOO_FEW_ATTEMPTS, WarningCode.UNSTABLE_DISCRIMINATION)),
                        (10, (WarningCode.UNSTABLE_DISCRIMINATION,)), (29, (WarningCode.UNSTABLE_DISCRIMINATION,)),
                        (30, ())]:
        rows = [(rng.randint(0, 1), rng.randint(0, 1)) for _ in range(n)]
        assert item_statistics(_matrix(rows))[0].warnings == expected, n
        assert (WarningCode.TOO_FEW_ATTEMPTS in exam_statistics(_matrix(rows)).warnings) == (n < 10)


def test_the_pass_rate_counts_a_score_equal_to_the_pass_mark_as_passed() -> None:
    # 0.1 + 0.2 of 0.1 + 0.2 points is 100% even in floating point; 6 of 10 is exactly 60%.
    exam = exam_statistics(_matrix([(0.1, 0.2), (0.1, 0.0)], maxima=[0.1, 0.2]), pass_mark=100)
    assert exam.pass_rate == 0.5
    assert exam.distribution.bands[-1].count == 1
    assert exam_statistics(_matrix([(6, None), (5, 0)], maxima=[10, 1]),
                           pass_mark=60).pass_rate == 0.5
    with pytest.raises(ValueError):
        exam_statistics(_matrix([(1,)]), pass_mark=600)


def test_impossible_matrices_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        _matrix([(2,)])
    with pytest.raises(ValueError, match="unknown item"):
        ResponseMatrix(items=(Item("A", 1),), attempts=(Attempt(1, {"Z": 1}),))
    with pytest.raises(ValueError, match="duplicate item"):
        ResponseMatrix(items=(Item("A", 1), Item("A", 2)), attempts=())
    with pytest.raises(ValueError, match="given no item"):
        ResponseMatrix(items=(Item("A", 1),), attempts=(Attempt(1, {"A": None}),))
    with pytest.raises(ValueError, match="positive"):
        ResponseMatrix(items=(Item("A", 0),), attempts=())


def test_a_large_simulated_exam_gives_every_item_a_positive_discrimination() -> None:
    # Items driven by one ability: each item's rest score must correlate with it (speed is
    # measured in bench/analytics.py, never asserted here).
    rng = random.Random(11)
    items = tuple(Item(f"Q{j}", rng.choice((1, 2, 5))) for j in range(50))
    ability = [rng.gauss(0, 1) for _ in range(1000)]
    attempts = tuple(Attempt(a, {item.id: float(min(item.max_points, max(0, round(
        item.max_points * (0.5 + 0.3 * ability[a] + rng.gauss(0, 0.3))))))
        for item in items if rng.random() < 0.9}) for a in range(1000))
    matrix = ResponseMatrix(items=items, attempts=attempts)
    stats = item_statistics(matrix)
    exam = exam_statistics(matrix)
    assert len(stats) == 50 and all(s.corrected_r is not None and s.corrected_r > 0.3
                                    for s in stats)
    assert exam.n == 1000 and exam.alpha is not None and exam.alpha > 0.8
