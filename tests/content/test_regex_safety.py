"""The catastrophic-backtracking checks shared by exam answer rules and chat matchers."""
from __future__ import annotations

import pytest

from portal.content.regex_safety import has_nested_quantifier, has_overlapping_alternation


@pytest.mark.parametrize("pattern", [
    "(a+)+", r"(\d*)*", "(a{2,})+", "((a|b)+)+", r"(x(\w+))*", "(a+){2,5}",
])
def test_a_repeated_group_holding_a_repetition_is_refused(pattern: str) -> None:
    assert has_nested_quantifier(pattern)


@pytest.mark.parametrize("pattern", [
    "(加|私)(个)?(微信|vx)", r"\d{11}", "(ab)+", "[(a+)]+", r"\(a+\)+", "(a+)?", "(a){1}",
])
def test_ordinary_patterns_pass(pattern: str) -> None:
    assert not has_nested_quantifier(pattern)
    assert not has_overlapping_alternation(pattern)


@pytest.mark.parametrize("pattern", ["(a|a)*", "(a|ab)*", "(|a)+", "(退|退款)+"])
def test_repeated_alternatives_that_overlap_are_refused(pattern: str) -> None:
    assert has_overlapping_alternation(pattern)


def test_alternatives_that_cannot_match_the_same_text_pass() -> None:
    assert not has_overlapping_alternation("(ab|cd)+")
