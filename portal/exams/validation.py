"""Field checks for question-bank data, each problem located by file and line.

Raw data is what the YAML line loader returns (mappings carry `__line__` and `__lines__`),
or what an importer builds in the same shape (mappings carry at least `__line__`). Every
check records its problem and returns a usable value, so one pass reports everything.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from portal.content.loader import Problem
from portal.messages import N_, Message

MAX_TEXT = 20_000  # prompts, scenarios, explanations
MAX_SHORT_TEXT = 2_000  # choices, answers, labels, feedback
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")


def clean_text(value: str) -> str:
    """Line breaks unified to \\n and control characters dropped (they never belong in a bank)."""
    if value.isprintable():  # most texts: no line break, no control character (all of
        return value         # `_CONTROL` and \r are not printable)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


@dataclass
class Report:
    """Where problems go while checking one file."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    line: int | None = None  # used for values without a line of their own

    def where(self, node: Any, key: str | None = None) -> int | None:
        if isinstance(node, dict):
            lines = node.get("__lines__")
            if key is not None and isinstance(lines, dict) and isinstance(lines.get(key), int):
                return lines[key]
            if isinstance(node.get("__line__"), int):
                return node["__line__"]
        return self.line

    def add(self, node: Any, key: str | None, text: str, /, **params: Any) -> None:
        self.problems.append(Problem(self.path, self.where(node, key), Message(text, params)))

    def count(self) -> int:
        return len(self.problems)


def fields_of(node: dict[str, Any]) -> list[str]:
    """The keys an author wrote (the loader's own bookkeeping keys left out)."""
    return [str(k) for k in node if not (isinstance(k, str) and k.startswith("__"))]


_BOOKKEEPING = frozenset({"__line__", "__lines__"})  # what the line loader adds to a mapping
_allowed_sets: dict[tuple[str, ...], frozenset[str]] = {}


def check_fields(report: Report, node: dict[str, Any], allowed: tuple[str, ...]) -> None:
    known = _allowed_sets.get(allowed)
    if known is None:
        known = _allowed_sets.setdefault(allowed, frozenset(allowed) | _BOOKKEEPING)
    if node.keys() <= known:  # the common case: every field known, none twice
        return
    for dup in node.get("__duplicates__", []) or []:
        report.add(node, str(dup), N_("字段 %(name)s 重复"), name=dup)
    for key in node:
        if key in allowed:  # most keys: no need to look further
            continue
        if isinstance(key, str) and key.startswith("__"):
            continue  # the loader's own bookkeeping (as `fields_of` leaves out)
        name = str(key)
        if name not in allowed:
            report.add(node, name, N_("未知字段 %(name)s（可用字段：%(allowed)s）"), name=name,
                       allowed=", ".join(allowed))


def text(report: Report, node: dict[str, Any], key: str, *, required: bool = True,
         limit: int = MAX_SHORT_TEXT, strip: bool = True) -> str:
    value = node.get(key)
    if type(value) is str and value.isprintable():  # the common case, as below but at once
        result = value.strip()
        if result and len(result if strip else value) <= limit:
            return result if strip else value
    if value is None or (isinstance(value, str) and not clean_text(value).strip()):
        if required:
            report.add(node, key, N_("缺少字段 %(name)s"), name=key)
        return ""
    return scalar_text(report, value, node, key, limit=limit, strip=strip)


def scalar_text(report: Report, value: Any, node: Any, key: str | None, *,
                limit: int = MAX_SHORT_TEXT, strip: bool = True, what: str | None = None) -> str:
    """A text value; numbers written without quotes are taken as their text."""
    if type(value) is str and value.isprintable():  # the common case, as below but at once
        result = value.strip() if strip else value
        if len(result) <= limit:
            return result
    label = what or key or ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        report.add(node, key, N_("%(name)s 应为文本"), name=label)
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        report.add(node, key, N_("%(name)s 应为文本"), name=label)
        return ""
    result = clean_text(str(value))
    if strip:
        result = result.strip()
    if len(result) > limit:
        report.add(node, key, N_("%(name)s 太长（最多 %(limit)d 个字符）"), name=label, limit=limit)
        return result[:limit]
    return result


def number(report: Report, node: dict[str, Any], key: str, *, low: float, high: float,
           required: bool = True, default: float | None = None, allow_low: bool = True,
           ) -> float | int | None:
    """A finite number in [low, high] (or (low, high] when allow_low is false)."""
    if key not in node or node.get(key) is None:
        if required:
            report.add(node, key, N_("缺少字段 %(name)s"), name=key)
        return default
    return number_value(report, node.get(key), node, key, low=low, high=high,
                        allow_low=allow_low, default=default)


def number_value(report: Report, value: Any, node: Any, key: str | None, *, low: float,
                 high: float, allow_low: bool = True, default: float | None = None,
                 what: str | None = None) -> float | int | None:
    label = what or key or ""
    ok = (isinstance(value, int | float) and not isinstance(value, bool)
          and (not isinstance(value, float) or math.isfinite(value))
          and low <= value <= high and (allow_low or value > low))
    if not ok:
        if allow_low:
            report.add(node, key, N_("%(name)s 应为 %(low)s 到 %(high)s 之间的数"), name=label,
                       low=tidy(low), high=tidy(high))
        else:
            report.add(node, key, N_("%(name)s 应为大于 %(low)s、不超过 %(high)s 的数"),
                       name=label, low=tidy(low), high=tidy(high))
        return default
    return tidy(value)


def tidy(value: float) -> float | int:
    """Whole numbers as int (so 2.0 is written 2), others rounded to 6 decimals."""
    if isinstance(value, int):
        return value
    if value.is_integer() and abs(value) < 1e15:
        return int(value)
    return round(value, 6)


def boolean(report: Report, node: dict[str, Any], key: str, *, default: bool) -> bool:
    value = node.get(key, default)
    if not isinstance(value, bool):
        report.add(node, key, N_("%(name)s 应为 true 或 false"), name=key)
        return default
    return value


def choice(report: Report, node: dict[str, Any], key: str, allowed: tuple[str, ...], *,
           default: str | None) -> str:
    value = node.get(key, default)
    if value is None:
        report.add(node, key, N_("缺少字段 %(name)s"), name=key)
        return allowed[0]
    if not isinstance(value, str) or value not in allowed:
        report.add(node, key, N_("%(name)s 只能是 %(allowed)s 之一"), name=key,
                   allowed=", ".join(allowed))
        return default or allowed[0]
    return value


def items(report: Report, node: dict[str, Any], key: str, *, low: int, high: int,
          required: bool = True) -> list[Any]:
    """A list with between low and high items."""
    value = node.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        report.add(node, key, N_("%(name)s 应为列表"), name=key)
        return []
    if not low <= len(value) <= high:
        report.add(node, key, N_("%(name)s 应有 %(low)d 到 %(high)d 项"), name=key, low=low,
                   high=high)
        if len(value) > high:
            return []  # not worth checking item by item
    return value
