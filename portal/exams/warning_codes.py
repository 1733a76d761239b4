"""The item-writing lint's warning codes and the Chinese label a person sees for each.

Kept apart from `lint.py` so that question definitions (`kinds.base`, which validates a
question's `acknowledged` entries) can name the codes without importing the lint.
"""
from __future__ import annotations

from enum import StrEnum

from portal.messages import N_


class WarningCode(StrEnum):
    """A stable code per kind of warning: files name it in `acknowledged`, pages show its label."""

    POSITION_CUE = "position-cue"  # the correct choice sits mostly in one position
    LENGTH_CUE = "length-cue"  # the correct choice is mostly the longest
    SHORT_KEY_CUE = "short-key-cue"  # the correct choice is (almost) never the longest
    CORRECT_FIRST_CUE = "correct-first-cue"  # multiple choice: correct options listed first
    TRUE_FALSE_BALANCE = "true-false-balance"  # true/false keys strongly one-sided
    WRONG_CREDIT = "wrong-credit"  # partial credit on an option its own text calls wrong
    DUPLICATE_STEM = "duplicate-stem"  # near-duplicate stems whose keys differ
    CROSS_REFERENCE = "cross-reference"  # an explanation that depends on another question
    COVERAGE = "coverage"  # an exam whose draws can miss a kind or tag it promises


LABELS: dict[WarningCode, str] = {
    WarningCode.POSITION_CUE: N_("正确答案位置有规律"),
    WarningCode.LENGTH_CUE: N_("正确答案总是最长"),
    WarningCode.SHORT_KEY_CUE: N_("正确答案从不是最长"),
    WarningCode.CORRECT_FIRST_CUE: N_("正确选项总排在前面"),
    WarningCode.TRUE_FALSE_BALANCE: N_("判断题答案一边倒"),
    WarningCode.WRONG_CREDIT: N_("错误做法也给分"),
    WarningCode.DUPLICATE_STEM: N_("相似题目答案矛盾"),
    WarningCode.CROSS_REFERENCE: N_("解析依赖其他题目"),
    WarningCode.COVERAGE: N_("抽题可能缺少承诺的内容"),
}

CODES = tuple(code.value for code in WarningCode)
