"""The words of the analytics pages: flags, warnings and undefined figures in the reader's
language, with the numbers that raised them (registered app-wide by `init_app`)."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from flask_babel import gettext

from portal.analytics.stats import Flag, FlagCode, Undefined, WarningCode
from portal.messages import N_
from portal.web import templating

FLAG_TITLES: Mapping[FlagCode, str] = {
    FlagCode.TOO_EASY: N_("太容易"),
    FlagCode.TOO_HARD: N_("太难"),
    FlagCode.NEGATIVE_DISCRIMINATION: N_("区分度为负"),
    FlagCode.LOW_DISCRIMINATION: N_("区分度偏低"),
    FlagCode.UNUSED_DISTRACTOR: N_("干扰项没人选"),
    FlagCode.LIKELY_WRONG_KEY: N_("可能设错了答案"),
}

UNDEFINED: Mapping[Undefined, str] = {
    Undefined.NO_ATTEMPTS: N_("没有作答"),
    Undefined.TOO_FEW_ATTEMPTS: N_("作答太少，无法计算"),
    Undefined.TOO_FEW_ITEMS: N_("至少要 2 道题才能计算"),
    Undefined.TOO_FEW_COMPLETE_ATTEMPTS: N_("抽到全部题目的作答不足 2 次"),
    Undefined.ZERO_VARIANCE: N_("人人得分相同，无法计算"),
    Undefined.ZERO_TOTAL_VARIANCE: N_("人人总分相同，无法计算"),
    Undefined.ZERO_REST_VARIANCE: N_("其余题目人人得分相同，无法计算"),
    Undefined.NO_OTHER_ITEMS: N_("没有其他题目可比"),
    Undefined.NOBODY_CHOSE: N_("没有人选"),
    Undefined.EVERYBODY_CHOSE: N_("人人都选了"),
}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def decimal(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def flag_title(flag: Flag) -> str:
    return gettext(FLAG_TITLES[flag.code])


def flag_reason(flag: Flag, option: str = "") -> str:
    """Why the flag was raised, with its numbers, and what to look at."""
    f = flag.figures
    if flag.code is FlagCode.TOO_EASY:
        return gettext("得分率 %(f)s，高于 %(t)s：几乎人人答对，这道题分不出谁掌握得好。"
                       "可以换成更贴近实际接待的情境，或加大难度。",
                       f=percent(f["facility"]), t=percent(f["threshold"]))
    if flag.code is FlagCode.TOO_HARD:
        return gettext("得分率 %(f)s，低于 %(t)s：大多数人答错。先核对答案和题干有没有歧义，"
                       "再看课程里有没有讲到这个知识点。",
                       f=percent(f["facility"]), t=percent(f["threshold"]))
    if flag.code is FlagCode.NEGATIVE_DISCRIMINATION:
        return gettext("校正题总相关 %(r)s，小于 0：其余题目考得好的人反而更容易答错这道题，"
                       "常见原因是答案设错或题干有歧义。", r=decimal(f["corrected_r"]))
    if flag.code is FlagCode.LOW_DISCRIMINATION:
        return gettext("校正题总相关 %(r)s，低于 %(t)s：答对与否和整体水平关系不大。",
                       r=decimal(f["corrected_r"]), t=decimal(f["threshold"]))
    if flag.code is FlagCode.UNUSED_DISTRACTOR:
        return gettext("选项 %(o)s 是错误选项，%(n)d 次作答里没有人选：它起不到干扰作用，"
                       "可以换成新客服容易误信的说法。", o=option, n=int(f["n"]))
    parts = []
    if "upper_share" in f:
        parts.append(gettext("高分组选它的比例（%(a)s）高于选正确答案的比例（%(b)s）",
                             a=percent(f["upper_share"]), b=percent(f["key_upper_share"])))
    if "r_rest" in f:
        parts.append(gettext("选它的人其余题目的成绩反而更好（相关 %(a)s，正确答案 %(b)s）",
                             a=decimal(f["r_rest"]), b=decimal(f["key_r_rest"])))
    return gettext("选项 %(o)s 是错误选项，但%(why)s：请核对答案是否设错。", o=option,
                   why=gettext("；").join(parts))


def warning_text(code: WarningCode | str, *, n: int = 0, alpha_n: int = 0) -> str:
    code = WarningCode(code)
    if code is WarningCode.TOO_FEW_ATTEMPTS:
        return gettext("只有 %(n)d 次作答（少于 10 次）：这些数字只能作参考，不宜据此修改题目。",
                       n=n)
    if code is WarningCode.UNSTABLE_DISCRIMINATION:
        return gettext("作答少于 30 次：区分度波动很大，请结合括号里的 %(level)s 置信区间看。",
                       level="95%")
    return gettext("题目是随机抽取的：信度只根据抽到全部题目的 %(n)d 次作答计算。", n=alpha_n)


def undefined_text(reason: Undefined | None) -> str:
    return gettext(UNDEFINED[reason]) if reason is not None else ""


def init_app(app: Flask) -> None:
    templating.register(app, functions={
        "flag_title": flag_title, "flag_reason": flag_reason,
        "stat_warning": warning_text, "undefined_text": undefined_text},
        filters={"share": percent, "decimal": decimal})
