"""Distractor analysis of a choice item: shares overall and by group, option-rest correlations,
and the distractor flags, on a ten-attempt item computed by hand."""
from __future__ import annotations

import math

import pytest

from portal.analytics.stats import (
    Attempt,
    ChoiceResponses,
    FlagCode,
    Item,
    ResponseMatrix,
    Undefined,
    distractor_analysis,
    item_statistics,
)

# Ten attempts on Q (one point, keyed "a") and R (ten points, the rest of the exam).
# The strong attempts answer "b": the key is probably wrong; nobody answers "d".
#   attempt  0  1  2  3  4  5  6  7  8  9
#   R        0  1  2  3  4  5  6  7  8  9
#   choice   a  c  a  c  a  b  b  b  a  b
CHOICES = "acacabbbab"


def _matrix(choices: str = CHOICES, key: str = "a") -> ResponseMatrix:
    return ResponseMatrix(items=(Item("Q", 1), Item("R", 10)), attempts=tuple(
        Attempt(i, {"Q": 1.0 if c in key else 0.0, "R": float(i)})
        for i, c in enumerate(choices)))


def _responses(choices: str = CHOICES, key: str = "a",
               options: tuple[str, ...] = ("a", "b", "c", "d")) -> ChoiceResponses:
    return ChoiceResponses(item_id="Q", options=options, key=frozenset(key),
                           chosen={i: frozenset(c) for i, c in enumerate(choices)})


def test_shares_overall_and_in_the_27_percent_groups() -> None:
    # Totals Q + R: 1,1,3,3,5,5,6,7,9,9 -- already in rank order (ties keep it).
    # Groups of 3: lower 0,1,2 (a, c, a); upper 9,8,7 (b, a, b).
    analysis = distractor_analysis(_matrix(), _responses())
    assert (analysis.n, analysis.omitted, analysis.group_n) == (10, 0, 3)
    shares = {o.option_id: (o.chosen, o.share, o.upper_share, o.lower_share)
              for o in analysis.options}
    assert shares == {"a": (4, 0.4, pytest.approx(1 / 3), pytest.approx(2 / 3)),
                      "b": (4, 0.4, pytest.approx(2 / 3), 0.0),
                      "c": (2, 0.2, 0.0, pytest.approx(1 / 3)),
                      "d": (0, 0.0, 0.0, 0.0)}
    assert [o.is_key for o in analysis.options] == [True, False, False, False]


def test_option_rest_correlations() -> None:
    # Rest = R/10; r is scale-free, so use R: mean 4.5, squared deviations 82.5.
    # a at 0,2,4,8: sxy = sum of R's deviations there = -4.5-2.5-0.5+3.5 = -4,
    # sxx = 10·0.4·0.6 = 2.4: r = -4/sqrt(198) = -0.284268.
    # b at 5,6,7,9: sxy = 0.5+1.5+2.5+4.5 = 9: r = 9/sqrt(198) = 0.639602.
    # c at 1,3: sxy = -3.5-1.5 = -5, sxx = 10·0.2·0.8 = 1.6: r = -5/sqrt(132) = -0.435194.
    analysis = distractor_analysis(_matrix(), _responses())
    r = {o.option_id: o.r_rest for o in analysis.options}
    assert r["a"] == pytest.approx(-4 / math.sqrt(198), rel=1e-12)
    assert r["b"] == pytest.approx(9 / math.sqrt(198), rel=1e-12)
    assert r["c"] == pytest.approx(-5 / math.sqrt(132), rel=1e-12)
    assert r["d"] is None and analysis.options[3].undefined is Undefined.NOBODY_CHOSE
    # A one-key item scored 0/1 is the key's indicator: its corrected r is the key's r.
    q = item_statistics(_matrix())[0]
    assert q.corrected_r == pytest.approx(r["a"], rel=1e-12)


def test_a_wrong_key_and_an_unused_distractor_are_flagged_with_their_figures() -> None:
    analysis = distractor_analysis(_matrix(), _responses())
    flags = {(f.code, f.option_id): f.figures for f in analysis.flags}
    assert flags == {
        # b: 2/3 of the upper group against the key's 1/3, and r 0.64 > 0 against -0.28.
        (FlagCode.LIKELY_WRONG_KEY, "b"): {
            "upper_share": pytest.approx(2 / 3), "key_upper_share": pytest.approx(1 / 3),
            "r_rest": pytest.approx(9 / math.sqrt(198)),
            "key_r_rest": pytest.approx(-4 / math.sqrt(198))},
        (FlagCode.UNUSED_DISTRACTOR, "d"): {"n": 10},
    }


def test_keyed_right_the_same_answers_raise_no_key_flag() -> None:
    analysis = distractor_analysis(_matrix(key="b"), _responses(key="b"))
    assert [(f.code, f.option_id) for f in analysis.flags] == [(FlagCode.UNUSED_DISTRACTOR, "d")]


def test_an_unused_distractor_needs_ten_attempts() -> None:
    analysis = distractor_analysis(_matrix(CHOICES[:9]), _responses(CHOICES[:9], key="b"))
    assert analysis.n == 9
    assert FlagCode.UNUSED_DISTRACTOR not in {f.code for f in analysis.flags}


def test_a_wrong_option_only_the_r_condition_catches() -> None:
    # Key a, chosen at both ends (0, 1, 8, 9); c in the upper middle (5, 6, 7); b at 2, 3, 4.
    # Totals Q + R: 1,2,2,3,4,5,6,7,9,10. Lower 0,1,2: a,a,b; upper 9,8,7: a,a,c, so c's upper
    # share (1/3) is below the key's (2/3). But a's sxy with R is -4.5-3.5+3.5+4.5 = 0 (r 0),
    # c's is 0.5+1.5+2.5 = 4.5, sxx = 10·0.3·0.7 = 2.1: r_c = 4.5/sqrt(2.1·82.5) > 0 = r_a.
    # (b: -2.5-1.5-0.5 < 0, not flagged.)
    choices = "aabbbcccaa"
    analysis = distractor_analysis(_matrix(choices), _responses(choices))
    flags = [f for f in analysis.flags if f.code is FlagCode.LIKELY_WRONG_KEY]
    assert [f.option_id for f in flags] == ["c"]
    assert flags[0].figures == {"r_rest": pytest.approx(4.5 / math.sqrt(2.1 * 82.5)),
                                "key_r_rest": pytest.approx(0.0, abs=1e-12)}


def test_several_keyed_options_compare_the_weakest_key() -> None:
    # Keys a and b:  attempt 0 1 2 3 4 5 6 7 8 9
    #                choice  a a b a c b c b a c
    # Q is 1 at 0,1,2,3,5,7,8: totals 1,2,3,4,4,6,6,8,9,9, in rank order. Lower 0,1,2:
    # a,a,b; upper 9,8,7: c,a,b: a, b and c each 1/3, so c is not above the weakest key.
    # Option-rest r (sxy = the sum of R's deviations where chosen): a at 0,1,3,8: -6,
    # sxx 2.4; b at 2,5,7: 0.5, sxx 2.1; c at 4,6,9: 5.5, sxx 2.1. The weakest key is a
    # (r = -6/sqrt(2.4·82.5)); c's r = 5.5/sqrt(2.1·82.5) is above it and positive.
    choices = "aabacbcbac"
    analysis = distractor_analysis(_matrix(choices, key="ab"),
                                   _responses(choices, key="ab"))
    upper = {o.option_id: o.upper_share for o in analysis.options}
    assert upper == {"a": pytest.approx(1 / 3), "b": pytest.approx(1 / 3),
                     "c": pytest.approx(1 / 3), "d": 0.0}
    flags = {f.option_id: f.figures for f in analysis.flags
             if f.code is FlagCode.LIKELY_WRONG_KEY}
    assert flags == {"c": {"r_rest": pytest.approx(5.5 / math.sqrt(2.1 * 82.5)),
                           "key_r_rest": pytest.approx(-6 / math.sqrt(2.4 * 82.5))}}


def test_an_unanswered_item_counts_as_omitted() -> None:
    responses = _responses()
    chosen = dict(responses.chosen)
    chosen[1] = frozenset()
    analysis = distractor_analysis(_matrix(), ChoiceResponses(
        item_id="Q", options=responses.options, key=responses.key, chosen=chosen))
    assert analysis.omitted == 1
    assert {o.option_id: o.chosen for o in analysis.options}["c"] == 1


def test_only_the_attempts_given_the_item_are_analysed() -> None:
    # Attempt 10 was not given Q: it is in neither the shares nor the groups.
    matrix = ResponseMatrix(items=(Item("Q", 1), Item("R", 10)), attempts=(
        *_matrix().attempts, Attempt(10, {"R": 10.0})))
    analysis = distractor_analysis(matrix, _responses())
    assert analysis.n == 10
    assert {o.option_id: o.upper_share for o in analysis.options}["b"] == pytest.approx(2 / 3)


def test_choices_that_do_not_fit_the_matrix_are_refused() -> None:
    responses = _responses()
    with pytest.raises(ValueError, match="exactly the attempts"):
        distractor_analysis(_matrix(), ChoiceResponses(
            item_id="Q", options=responses.options, key=responses.key,
            chosen={i: c for i, c in responses.chosen.items() if i != 3}))
    with pytest.raises(ValueError, match="unknown options"):
        distractor_analysis(_matrix(), ChoiceResponses(
            item_id="Q", options=("a", "b", "d"), key=responses.key, chosen=responses.chosen))
    with pytest.raises(ValueError, match="key"):
        distractor_analysis(_matrix(), ChoiceResponses(
            item_id="Q", options=responses.options, key=frozenset("z"), chosen=responses.chosen))
    with pytest.raises(ValueError, match="unknown item"):
        distractor_analysis(_matrix(), ChoiceResponses(
            item_id="X", options=responses.options, key=responses.key, chosen=responses.chosen))
