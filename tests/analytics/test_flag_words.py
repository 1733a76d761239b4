"""Every flag, warning and undefined figure has Chinese words, with its numbers in them."""
from __future__ import annotations

from flask import Flask

from portal.analytics import templating as words
from portal.analytics.stats import Flag, FlagCode, Undefined, WarningCode


def test_each_flag_reads_with_its_numbers(app: Flask) -> None:
    cases = [
        (Flag(FlagCode.TOO_EASY, {"facility": 0.95, "threshold": 0.9}), "得分率 95%，高于 90%"),
        (Flag(FlagCode.TOO_HARD, {"facility": 0.1, "threshold": 0.2}), "得分率 10%，低于 20%"),
        (Flag(FlagCode.NEGATIVE_DISCRIMINATION, {"corrected_r": -0.31, "threshold": 0.0}),
         "校正题总相关 -0.31，小于 0"),
        (Flag(FlagCode.LOW_DISCRIMINATION, {"corrected_r": 0.12, "threshold": 0.2}),
         "校正题总相关 0.12，低于 0.20"),
        (Flag(FlagCode.UNUSED_DISTRACTOR, {"n": 24}, "c"), "选项 C 是错误选项，24 次作答里没有人选"),
        (Flag(FlagCode.LIKELY_WRONG_KEY, {"upper_share": 0.6, "key_upper_share": 0.2,
                                          "r_rest": 0.4, "key_r_rest": -0.1}, "b"),
         ("选项 C 是错误选项，但高分组选它的比例（60%）高于选正确答案的比例（20%）；"
          "选它的人其余题目的成绩反而更好（相关 0.40，正确答案 -0.10）")),
    ]
    with app.test_request_context():
        assert {f.code for f, _ in cases} == set(FlagCode)
        for flag, expected in cases:
            assert words.flag_title(flag)
            assert expected in words.flag_reason(flag, "C"), flag


def test_warnings_and_undefined_figures_have_words(app: Flask) -> None:
    with app.test_request_context():
        assert "只有 7 次作答（少于 10 次）" in words.warning_text(WarningCode.TOO_FEW_ATTEMPTS, n=7)
        assert "95% 置信区间" in words.warning_text(WarningCode.UNSTABLE_DISCRIMINATION)
        assert "抽到全部题目的 12 次作答" in words.warning_text(
            WarningCode.ALPHA_FROM_COMPLETE_ATTEMPTS, alpha_n=12)
        assert {u for u in Undefined if words.undefined_text(u)} == set(Undefined)
        assert words.undefined_text(None) == ""
