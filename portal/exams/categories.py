"""Where a question sits in its bank and what it is called: the category path and the title.

The category path is Moodle's question category kept level by level (`[售后, 发货承诺]`),
without Moodle's context (`$course$`, `$system$` …) and its `top` category; the title is
GIFT's `::title::` or Moodle's question name. Both are optional fields of a question's
definition (see docs/question-bank-format.md), for trainers only: never part of what a
trainee sees. Pure: nothing here knows about files or the web.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from portal.exams.validation import Report, scalar_text, text
from portal.messages import N_

MAX_CATEGORY_DEPTH = 10
MAX_CATEGORY_LEVEL = 100  # characters in one level
MAX_TITLE = 255  # as Moodle's question names
SEPARATOR = " › "  # between levels, where a path is shown
CONTEXTS = ("$course$", "$system$", "$cat1$", "$module$")
TOP = "top"
# One "/" separates levels; "//" is a slash within a name (Moodle's own rule).
_SPLIT_RE = re.compile(r"(?<!/)/(?!/)")


def _squeezed(value: str) -> str:
    return " ".join(value.split())


def split_path(path: str, *, contexts: bool = True) -> list[str]:
    """A Moodle category path as levels: "$course$/top/售后/发货承诺" -> ["售后", "发货承诺"].

    With `contexts`, a leading context ($course$ …) and Moodle's `top` category are dropped.
    Empty levels are dropped, runs of spaces squeezed."""
    levels = [_squeezed(part.replace("//", "/")) for part in _SPLIT_RE.split(path)]
    if contexts:
        if levels and levels[0] in CONTEXTS:
            levels.pop(0)
        if levels and levels[0] == TOP:
            levels.pop(0)
    return [level for level in levels if level]


def join_path(levels: Sequence[str], *, contexts: bool = True) -> str:
    """Levels as a Moodle category path, below the course's top category with `contexts`
    (what GIFT's $CATEGORY: and Moodle's own exports write); `split_path` reads it back."""
    escaped = [level.replace("/", "//") for level in levels]
    return "/".join(["$course$", TOP, *escaped] if contexts else escaped)


def label(levels: Sequence[str]) -> str:
    """A path as trainers read it: "售后 › 发货承诺"."""
    return SEPARATOR.join(levels)


def prefixes(levels: Sequence[str]) -> list[tuple[str, ...]]:
    """Every path from the first level down to `levels`: [售后], [售后, 发货承诺]."""
    return [tuple(levels[:depth]) for depth in range(1, len(levels) + 1)]


def clean_category(report: Report, raw: dict[str, Any]) -> list[str]:
    """The `category` field: 1 to MAX_CATEGORY_DEPTH levels of short one-line text,
    spaces squeezed; [] when absent or empty."""
    value = raw.get("category")
    if value is None:
        return []
    if not isinstance(value, list):
        report.add(raw, "category", N_("category 应为分类路径的列表，从上到下逐级写出，如 [售后, 发货承诺]"))
        return []
    if len(value) > MAX_CATEGORY_DEPTH:
        report.add(raw, "category", N_("category 最多 %(depth)d 级"), depth=MAX_CATEGORY_DEPTH)
        return []
    levels: list[str] = []
    for number, entry in enumerate(value, 1):
        start = report.count()
        what = f"category[{number}]"
        level = _squeezed(scalar_text(report, entry, raw, "category",
                                      limit=10 * MAX_CATEGORY_LEVEL, what=what))
        if report.count() > start:
            continue
        if not level:
            report.add(raw, "category", N_("category 的第 %(n)d 级是空的（每一级都要有名称）"), n=number)
        elif len(level) > MAX_CATEGORY_LEVEL:
            report.add(raw, "category", N_("%(name)s 太长（最多 %(limit)d 个字符）"), name=what,
                       limit=MAX_CATEGORY_LEVEL)
        elif level.startswith("/") or level.endswith("/"):
            report.add(raw, "category", N_("category 的第 %(n)d 级不能以 / 开头或结尾"), n=number)
        else:
            levels.append(level)
    return levels


def clean_title(report: Report, raw: dict[str, Any]) -> str:
    """The `title` field: one line of at most MAX_TITLE characters; "" when absent."""
    return _squeezed(text(report, raw, "title", required=False, limit=MAX_TITLE))


def clean_labels(raw: dict[str, Any], report: Report) -> dict[str, Any]:
    """The title and category of a question as its definition holds them (only when given)."""
    found: dict[str, Any] = {}
    title = clean_title(report, raw)
    if title:
        found["title"] = title
    category = clean_category(report, raw)
    if category:
        found["category"] = category
    return found
