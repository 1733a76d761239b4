"""The incomplete beta function, the F distribution's quantiles, Feldt's interval for alpha and
Fisher's interval for a correlation, against closed forms and table values.

The table values were computed with scipy.stats.f.ppf (scipy 1.17) and agree with printed F
tables to their 4 digits (F_0.975(9, 90) = 2.259, F_0.95(3, 20) = 3.10, F_0.99(5, 10) = 5.64).
"""
from __future__ import annotations

import math

import pytest

from portal.analytics.stats import (
    f_cdf,
    f_quantile,
    feldt_interval,
    fisher_interval,
    regularized_beta,
)


def test_the_incomplete_beta_function_has_its_closed_forms() -> None:
    # I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 - (1-x)^b; I_1/2(a, a) = 1/2 by symmetry;
    # I_x(1/2, 1/2) = (2/pi) asin(sqrt x), 0.204833 at x = 0.1.
    assert regularized_beta(1, 1, 0.3) == pytest.approx(0.3, rel=1e-14)
    assert regularized_beta(3, 1, 0.6) == pytest.approx(0.6 ** 3, rel=1e-13)
    assert regularized_beta(1, 4, 0.2) == pytest.approx(1 - 0.8 ** 4, rel=1e-13)
    assert regularized_beta(7.5, 7.5, 0.5) == pytest.approx(0.5, rel=1e-13)
    assert regularized_beta(0.5, 0.5, 0.1) == pytest.approx(
        2 / math.pi * math.asin(math.sqrt(0.1)), rel=1e-12)
    # Both branches of the continued fraction (x below and above (a+1)/(a+b+2)):
    # scipy.special.betainc(2.5, 3.5, 0.4) and (50, 60, 0.45).
    assert regularized_beta(2.5, 3.5, 0.4) == pytest.approx(0.4869041915261176, rel=1e-12)
    assert regularized_beta(50, 60, 0.45) == pytest.approx(0.4642352914306031, rel=1e-10)
    assert regularized_beta(2, 3, 0) == 0 and regularized_beta(2, 3, 1) == 1


def test_the_f_cdf_of_two_and_two_degrees_of_freedom_is_x_over_one_plus_x() -> None:
    # F(2, 2): P(F <= x) = x / (1 + x), so the 0.975 quantile is 0.975 / 0.025 = 39.
    assert f_cdf(3.0, 2, 2) == pytest.approx(0.75, rel=1e-13)
    assert f_quantile(0.975, 2, 2) == pytest.approx(39.0, rel=1e-12)
    assert f_cdf(0, 2, 2) == 0.0


def test_the_f_quantile_of_one_and_one_is_a_squared_tangent() -> None:
    # F(1, 1) is the square of a Cauchy variable: the p quantile is tan(p·pi/2)².
    assert f_quantile(0.975, 1, 1) == pytest.approx(math.tan(0.975 * math.pi / 2) ** 2,
                                                    rel=1e-11)


@pytest.mark.parametrize(("p", "df1", "df2", "expected"), [
    (0.975, 9, 90, 2.2587655563683398),
    (0.025, 9, 90, 0.2931587662708537),
    (0.975, 4, 8, 5.052632217363513),
    (0.025, 4, 8, 0.11136377801442858),
    (0.95, 3, 20, 3.098391212140781),
    (0.99, 5, 10, 5.636326187669078),
    (0.05, 10, 5, 0.3006764139513029),
    # The benchmark's exam, 1,000 attempts of 50 questions: df 999 and 999·49.
    (0.975, 999, 48951, 1.0905903984601526),
    (0.025, 999, 48951, 0.9134380699563344),
])
def test_f_quantiles_match_the_tables(p: float, df1: int, df2: int, expected: float) -> None:
    assert f_quantile(p, df1, df2) == pytest.approx(expected, rel=1e-11)
    assert f_cdf(f_quantile(p, df1, df2), df1, df2) == pytest.approx(p, rel=1e-11)


def test_the_f_quantile_rejects_impossible_arguments() -> None:
    with pytest.raises(ValueError):
        f_quantile(1.0, 3, 4)
    with pytest.raises(ValueError):
        f_quantile(0.5, 0, 4)


def test_feldts_interval_for_the_five_by_three_example() -> None:
    # alpha = 6/13 over n = 5 attempts and k = 3 items: df1 = 4, df2 = 4·2 = 8;
    # low = 1 - (7/13)·F_0.975(4, 8) = 1 - (7/13)·5.052632217 = -1.7206481;
    # high = 1 - (7/13)·F_0.025(4, 8) = 1 - (7/13)·0.111363778 = 0.9400349.
    low, high = feldt_interval(6 / 13, 5, 3)
    assert low == pytest.approx(1 - 7 / 13 * 5.052632217363513, rel=1e-12)
    assert high == pytest.approx(1 - 7 / 13 * 0.11136377801442858, rel=1e-12)
    assert low == pytest.approx(-1.7206481170, abs=1e-9)
    assert high == pytest.approx(0.9400348888, abs=1e-9)


def test_feldts_interval_of_two_attempts_from_the_t_distribution() -> None:
    # n = 2, k = 3: df1 = 1, df2 = 2, and F(1, 2) is t² with 2 df, whose p quantile is
    # (2p-1)/sqrt(2p(1-p)). F_0.975 = t_0.9875² = 0.975²/(2·0.9875·0.0125) = 38.5063;
    # F_0.025 = t_0.5125² = 0.025²/(2·0.5125·0.4875) = 0.00125078. alpha = 2/3.
    upper_f = 0.975 ** 2 / (2 * 0.9875 * 0.0125)
    lower_f = 0.025 ** 2 / (2 * 0.5125 * 0.4875)
    low, high = feldt_interval(2 / 3, 2, 3)
    assert low == pytest.approx(1 - upper_f / 3, rel=1e-11)
    assert high == pytest.approx(1 - lower_f / 3, rel=1e-11)


def test_a_perfect_alpha_has_a_point_interval() -> None:
    assert feldt_interval(1.0, 20, 4) == (1.0, 1.0)


def test_feldts_interval_needs_two_attempts_and_two_items() -> None:
    with pytest.raises(ValueError):
        feldt_interval(0.5, 1, 3)
    with pytest.raises(ValueError):
        feldt_interval(0.5, 10, 1)


def test_fishers_interval_of_a_correlation() -> None:
    # r = 0.5 over 28 pairs: z = atanh 0.5 = 0.549306, se = 1/sqrt(25) = 0.2,
    # z ± 1.959964·0.2 = 0.157313 .. 0.941299, tanh: 0.156028 .. 0.735818.
    low, high = fisher_interval(0.5, 28)  # type: ignore[misc]
    assert low == pytest.approx(0.15602836252908595, rel=1e-12)
    assert high == pytest.approx(0.7358184794439376, rel=1e-12)


def test_fishers_interval_needs_four_pairs_and_collapses_at_one() -> None:
    assert fisher_interval(0.3, 3) is None
    assert fisher_interval(0.3, 4) is not None
    assert fisher_interval(1.0, 10) == (1.0, 1.0)
    assert fisher_interval(-1.0, 10) == (-1.0, -1.0)
