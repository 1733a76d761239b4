"""Cohen's kappa and observed agreement against values computed by hand."""
from __future__ import annotations

from fractions import Fraction

import pytest

from portal.chat.agreement import (
    Agreement,
    KappaBand,
    agreement,
    cohens_kappa,
    kappa_band,
    quadratic_weighted_kappa,
)


def _pairs(counts: dict[tuple[object, object], int]) -> list[tuple[object, object]]:
    return [pair for pair, n in counts.items() for _ in range(n)]


def test_the_textbook_two_by_two_table() -> None:
    # 50 rated things: yes/yes 20, yes/no 5, no/yes 10, no/no 15.
    # p_o = 35/50 = 0.7; p_e = 25/50·30/50 + 25/50·20/50 = 0.5; kappa = 0.2/0.5 = 0.4.
    pairs = _pairs({("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15})
    result = agreement(pairs)
    assert result == Agreement(pairs=50, agreed=35, kappa=pytest.approx(0.4))
    assert result.rate == pytest.approx(0.7)
    assert result.band is KappaBand.FAIR


def test_three_score_levels() -> None:
    # n = 6, agreed 4; first rater 2:3 1:1 0:2, second 2:2 1:3 0:1;
    # n²·p_e = 3·2 + 1·3 + 2·1 = 11; kappa = (4·6 - 11) / (36 - 11) = 13/25.
    pairs = [(2, 2), (2, 2), (1, 1), (0, 1), (2, 1), (0, 0)]
    assert cohens_kappa(pairs) == float(Fraction(13, 25))
    assert agreement(pairs).band is KappaBand.MODERATE


def test_perfect_agreement_on_two_levels_is_one() -> None:
    assert cohens_kappa([(1, 1), (0, 0), (1, 1)]) == 1.0


def test_systematic_disagreement_is_below_zero() -> None:
    # p_o = 0, p_e = 1/2·1/2 + 1/2·1/2 = 1/2: kappa = -1.
    result = agreement([("a", "b"), ("b", "a")])
    assert result.kappa == -1.0
    assert result.rate == 0
    assert result.band is KappaBand.POOR


def test_agreement_no_better_than_chance_is_zero() -> None:
    # Each rater says yes half the time, independently: p_o = p_e = 1/2.
    pairs = [("y", "y"), ("y", "n"), ("n", "y"), ("n", "n")]
    assert cohens_kappa(pairs) == 0.0
    assert agreement(pairs).band is KappaBand.SLIGHT


def test_kappa_is_undefined_without_pairs_or_with_one_shared_score() -> None:
    assert agreement([]) == Agreement(pairs=0, agreed=0, kappa=None)
    assert agreement([]).rate is None and agreement([]).band is None
    # Both always gave 2 points: they agree fully, but chance explains all of it.
    same = agreement([(2, 2), (2, 2), (2, 2)])
    assert same.kappa is None and same.rate == 1.0


def test_kappa_does_not_depend_on_the_order_of_the_raters() -> None:
    pairs = [(2, 2), (2, 1), (1, 1), (0, 1), (0, 0), (1, 2), (2, 2)]
    assert cohens_kappa(pairs) == cohens_kappa([(b, a) for a, b in pairs])


@pytest.mark.parametrize(("kappa", "band"), [
    (-0.01, KappaBand.POOR), (0.0, KappaBand.SLIGHT), (0.2, KappaBand.SLIGHT),
    (0.21, KappaBand.FAIR), (0.4, KappaBand.FAIR), (0.6, KappaBand.MODERATE),
    (0.61, KappaBand.SUBSTANTIAL), (0.8, KappaBand.SUBSTANTIAL),
    (0.81, KappaBand.ALMOST_PERFECT), (1.0, KappaBand.ALMOST_PERFECT),
])
def test_landis_and_koch_bands(kappa: float, band: KappaBand) -> None:
    assert kappa_band(kappa) is band


def test_quadratic_weighted_kappa_by_the_weight_matrix() -> None:
    # Pairs (0,0) (1,1) (2,1) (2,2) on scores 0..2, weights w = (i-j)²/4.
    # Observed: only (2,1) disagrees: sum of w·O = 1/4.
    # Expected E_ij = r_i·c_j/n with first 0:1 1:1 2:2, second 0:1 1:2 2:1:
    # sum of r_i·c_j·(i-j)² = 1·2·1 + 1·1·4 + 1·1·1 + 1·1·1 + 2·1·4 + 2·2·1 = 20, so
    # sum of w·E = 20/(4·4) = 1.25; kappa_w = 1 - 0.25/1.25 = 0.8.
    # By the sums: n·Σ(a-b)² = 4·1 against n·Σa² + n·Σb² - 2·Σa·Σb = 36 + 24 - 40 = 20.
    assert quadratic_weighted_kappa([(0, 0), (1, 1), (2, 1), (2, 2)]) == 0.8


def test_quadratic_weighted_kappa_counts_a_near_miss_less_than_a_far_one() -> None:
    # Both sets agree on 3 of 4 with the same chance term (n²·p_e = 5), so the unweighted
    # kappa is (3·4 - 5)/(16 - 5) = 7/11 for both. Near (2 vs 1): 0.8 (above). Far (2 vs 0):
    # n·Σ(a-b)² = 4·4 = 16; Σa = 5, Σa² = 9, Σb = 3, Σb² = 5: 36 + 20 - 30 = 26; 1 - 16/26 = 5/13.
    near = [(0, 0), (2, 1), (1, 1), (2, 2)]
    far = [(0, 0), (2, 0), (1, 1), (2, 2)]
    assert cohens_kappa(near) == cohens_kappa(far) == float(Fraction(7, 11))
    assert quadratic_weighted_kappa(near) == 0.8
    assert quadratic_weighted_kappa(far) == float(Fraction(5, 13))
    assert quadratic_weighted_kappa([(b, a) for a, b in far]) == float(Fraction(5, 13))


def test_quadratic_weighted_kappa_extremes() -> None:
    assert quadratic_weighted_kappa([(0, 0), (1, 1), (3, 3)]) == 1.0
    # Opposite ends: Σ(a-b)² = 4+4 = 8, n·8 = 16; 2·4 + 2·4 - 2·2·2 = 8: 1 - 16/8 = -1.
    assert quadratic_weighted_kappa([(0, 2), (2, 0)]) == -1.0
    assert quadratic_weighted_kappa([]) is None
    assert quadratic_weighted_kappa([(2, 2), (2, 2)]) is None
    # Half points are exact too: (0.5, 0.5) (1.5, 0.5): n·Σ = 2·1 = 2;
    # 2·2.5 + 2·0.5 - 2·2·1 = 2: 1 - 2/2 = 0.
    assert quadratic_weighted_kappa([(0.5, 0.5), (1.5, 0.5)]) == 0.0
