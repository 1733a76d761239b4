"""Operation tasks (上机操作): a form to fill in as in the back office, each field checked by a rule."""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from portal.content.regex_safety import has_nested_quantifier
from portal.exams.kinds.base import (
    FIELD_NAME_RE,
    MAX_FORM_FIELDS,
    MAX_OPTIONS,
    MAX_POINTS,
    MAX_REGEX_INPUT,
    UNANSWERED,
    Form,
    Grade,
    Part,
    PublicQuestion,
    QuestionDef,
    QuestionKind,
    _answer_text,
    _list_of_texts,
    _mappings,
    _pts,
    form_text,
    input_name,
    register,
)
from portal.exams.normalize import normalize_answer, same_answer
from portal.exams.validation import (
    MAX_SHORT_TEXT,
    Report,
    check_fields,
    choice,
    number,
    text,
)
from portal.messages import N_


class FieldType(StrEnum):
    TEXT = "text"
    SELECT = "select"
    DATETIME = "datetime"


class Rule(StrEnum):
    """How a form field's value is checked."""

    EXACT = "exact"
    ONE_OF = "one-of"
    REGEX = "regex"
    CONTAINS_ALL = "contains-all"
    DATETIME_WITHIN = "datetime-within"
    NON_EMPTY = "non-empty"


FIELD_TYPES = tuple(t.value for t in FieldType)
# The fields each rule takes.
RULES: dict[str, tuple[str, ...]] = {
    Rule.EXACT: ("value",),
    Rule.ONE_OF: ("values",),
    Rule.REGEX: ("pattern",),
    Rule.CONTAINS_ALL: ("values",),
    Rule.DATETIME_WITHIN: ("start", "end"),
    Rule.NON_EMPTY: (),
}
RULES_FOR_TYPE = {
    FieldType.TEXT: ("exact", "one-of", "regex", "contains-all", "non-empty"),
    FieldType.SELECT: ("exact", "one-of", "non-empty"),
    FieldType.DATETIME: ("datetime-within", "non-empty"),
}


@dataclass(frozen=True, kw_only=True)
class FieldCheck:
    """The rule a form field's value must satisfy, with the rule's own fields."""

    rule: Rule
    value: str = ""  # exact
    values: tuple[str, ...] = ()  # one-of, contains-all
    pattern: str = ""  # regex
    start: str = ""  # datetime-within, local "YYYY-MM-DD HH:MM"
    end: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> FieldCheck:
        return cls(rule=Rule(data["rule"]), value=data.get("value", ""),
                   values=tuple(data.get("values", ())), pattern=data.get("pattern", ""),
                   start=data.get("start", ""), end=data.get("end", ""))

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule.value}
        for name in RULES[self.rule]:
            value = getattr(self, name)
            data[name] = list(value) if isinstance(value, tuple) else value
        return data


@dataclass(frozen=True, kw_only=True)
class FormField:
    """One field of an operation task's form; scored when it has a check."""

    name: str
    label: str
    type: FieldType = FieldType.TEXT
    options: tuple[str, ...] | None = None  # a select's
    help: str = ""
    check: FieldCheck | None = None
    points: float | None = None  # with a check only
    feedback: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> FormField:
        options = data.get("options")
        check = data.get("check")
        return cls(name=data["name"], label=data["label"], type=FieldType(data["type"]),
                   options=tuple(options) if options is not None else None,
                   help=data.get("help", ""),
                   check=FieldCheck.from_data(check) if check is not None else None,
                   points=data.get("points"), feedback=data.get("feedback", ""))

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "label": self.label, "type": self.type.value}
        if self.options is not None:
            data["options"] = list(self.options)
        if self.help:
            data["help"] = self.help
        if self.check is not None:
            data["check"] = self.check.to_data()
            data["points"] = self.points
            if self.feedback:
                data["feedback"] = self.feedback
        return data


@dataclass(frozen=True, kw_only=True)
class OperationQuestion(QuestionDef):
    form: tuple[FormField, ...]
    item_lists: ClassVar[dict[str, Any]] = {"form": FormField}


@dataclass(frozen=True, kw_only=True)
class PublicField:
    """A form field as the trainee sees it: no rule, no feedback."""

    name: str
    label: str
    type: FieldType
    options: tuple[str, ...] | None = None
    help: str = ""
    points: float | None = None


@dataclass(frozen=True, kw_only=True)
class PublicOperation(PublicQuestion):
    form: tuple[PublicField, ...]


def parse_datetime(value: Any) -> datetime | None:
    """A local date and time as typed ("2025-11-11 10:30" or "2025-11-11T10:30"), else None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    typed = unicodedata.normalize("NFKC", value).strip()
    try:
        parsed = datetime.fromisoformat(typed)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else None


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _check(report: Report, entry: dict[str, Any], field_type: str,
           options: list[str]) -> dict[str, Any] | None:
    raw = entry.get("check")
    if not isinstance(raw, dict):
        report.add(entry, "check", N_("check 应为“字段: 值”的形式，如 {rule: exact, value: 缺货}"))
        return None
    rule = choice(report, raw, "rule", tuple(RULES), default=None)
    check_fields(report, raw, ("rule",) + RULES[rule])
    if rule not in RULES_FOR_TYPE[field_type]:
        report.add(raw, "rule", N_("%(type)s 类型的字段只能用这些规则：%(allowed)s"), type=field_type,
                   allowed=", ".join(RULES_FOR_TYPE[field_type]))
    result: dict[str, Any] = {"rule": rule}
    if rule == "exact":
        result["value"] = text(report, raw, "value")
    elif rule in ("one-of", "contains-all"):
        result["values"] = _list_of_texts(report, raw, "values", low=1, high=MAX_OPTIONS)
    elif rule == "regex":
        pattern = text(report, raw, "pattern", limit=200, strip=False)
        try:
            _compiled(pattern)
        except (re.error, OverflowError, RecursionError, ValueError):
            report.add(raw, "pattern", N_("正则表达式 %(pattern)s 无效"), pattern=pattern)
        if has_nested_quantifier(pattern):
            report.add(raw, "pattern", N_("正则表达式 %(pattern)s 含有嵌套的重复（如 (a+)+），可能极慢，请改写"),
                       pattern=pattern)
        result["pattern"] = pattern
    elif rule == "datetime-within":
        bounds = []
        for name in ("start", "end"):
            value = text(report, raw, name)
            moment = parse_datetime(value)
            if value and moment is None:
                report.add(raw, name, N_("%(name)s 应为不带时区的日期时间，如 2025-11-11 10:30"), name=name)
            bounds.append(moment)
            result[name] = moment.isoformat(sep=" ") if moment else value
        if bounds[0] and bounds[1] and bounds[0] > bounds[1]:
            report.add(raw, "end", N_("end 不能早于 start"))
    if field_type == "select" and rule in ("exact", "one-of"):
        wanted = [result["value"]] if rule == "exact" else result["values"]
        for value in wanted:
            if value and not any(same_answer(value, option) for option in options):
                report.add(raw, "rule", N_("“%(value)s”不在该字段的 options 中"), value=value)
    return result


def passes(check: FieldCheck, value: str) -> bool:
    """Whether a typed field value satisfies one field rule."""
    rule = check.rule
    if rule is Rule.NON_EMPTY:
        return bool(value.strip())
    if rule is Rule.EXACT:
        return same_answer(value, check.value)
    if rule is Rule.ONE_OF:
        return any(same_answer(value, v) for v in check.values)
    if rule is Rule.CONTAINS_ALL:
        typed = normalize_answer(value)
        return bool(typed) and all(normalize_answer(v) in typed for v in check.values)
    if rule is Rule.REGEX:
        typed = unicodedata.normalize("NFKC", value).strip()
        return (len(typed) <= MAX_REGEX_INPUT
                and _compiled(check.pattern).fullmatch(typed) is not None)
    if rule is Rule.DATETIME_WITHIN:
        moment = parse_datetime(value)
        start, end = parse_datetime(check.start), parse_datetime(check.end)
        return (moment is not None and start is not None and end is not None
                and start <= moment <= end)
    return False


@register
class OperationTask(QuestionKind[OperationQuestion, PublicOperation]):
    name = "operation-task"
    label = N_("上机操作题")
    fields = ("form",)
    derives_points = True
    answer_schema: ClassVar[dict[str, Any]] = {
        "type": "object", "additionalProperties": {"type": "string"},
        "description": "form field name -> the value entered"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        form: list[dict[str, Any]] = []
        names: set[str] = set()
        for _, entry in _mappings(
                report, raw, "form", low=1, high=MAX_FORM_FIELDS,
                fields=("name", "label", "type", "options", "help", "check", "points", "feedback"),
                shape=N_("%(what)s 应为“字段: 值”的形式（name、label、type …）")):
            name = entry.get("name")
            if not isinstance(name, str) or not FIELD_NAME_RE.match(name):
                report.add(entry, "name", N_("字段 name 应以小写字母开头，只含小写字母、数字和下划线"))
                name = ""
            elif name in names:
                report.add(entry, "name", N_("字段 name %(name)s 重复"), name=name)
            names.add(name)
            field_type = choice(report, entry, "type", FIELD_TYPES, default="text")
            item: dict[str, Any] = {"name": name, "label": text(report, entry, "label"),
                                    "type": field_type}
            options: list[str] = []
            if field_type == "select":
                options = _list_of_texts(report, entry, "options", low=2, high=MAX_OPTIONS)
                item["options"] = options
            elif "options" in entry:
                report.add(entry, "options", N_("只有 select 类型的字段才有 options"))
            help_text = text(report, entry, "help", required=False)
            if help_text:
                item["help"] = help_text
            if "check" in entry:
                check = _check(report, entry, field_type, options)
                item["check"] = check or {}
                item["points"] = number(report, entry, "points", low=0, high=MAX_POINTS,
                                        allow_low=False) or 0
                feedback = text(report, entry, "feedback", required=False)
                if feedback:
                    item["feedback"] = feedback
            elif "points" in entry or "feedback" in entry:
                report.add(entry, "points", N_("没有 check 规则的字段不计分，不能有 points 或 feedback"))
            form.append(item)
        if form and not any("check" in f for f in form):
            report.add(raw, "form", N_("操作题至少要有一个带 check 评分规则的字段"))
        return {"form": form}

    def derived_points(self, fields: dict[str, Any]) -> float | int:
        return sum(f.get("points", 0) for f in fields["form"])

    def grade(self, question: OperationQuestion, answer: Any) -> Grade:
        given = answer if isinstance(answer, dict) else {}
        parts: list[Part] = []
        for item in question.form:
            if item.check is None:
                continue
            points = item.points or 0
            value = _answer_text(given.get(item.name), MAX_SHORT_TEXT)
            if not value.strip():
                parts.append(Part(item.name, 0.0, points, False, note=UNANSWERED))
                continue
            ok = passes(item.check, value)
            parts.append(Part(item.name, _pts(points) if ok else 0.0, points, ok, item.feedback))
        return Grade(_pts(sum(p.points for p in parts)), question.points, tuple(parts))

    def public_fields(self, question: OperationQuestion) -> dict[str, Any]:
        return {"form": tuple(PublicField(name=f.name, label=f.label, type=f.type,
                                          options=f.options, help=f.help, points=f.points)
                              for f in question.form)}

    def answer_from_form(self, view: PublicOperation, form: Form, prefix: str = "") -> Any:
        return {item.name: form_text(form, input_name(prefix, "field", item.name))
                for item in view.form}

    def from_editor(self, inp: Any, node: dict[str, Any]) -> None:
        """The form's fields: label, type, options (one per line), help, and when scored its
        rule with the rule's own values, points and feedback. A field keeps its name
        (answers refer to it); a new one gets a free `field_<n>`."""
        def field(index: int) -> dict[str, Any]:
            row = inp.record("form", index, label=inp.text, type=inp.text)
            if row.get("type") == FieldType.SELECT.value:
                inp.put(row, "form", index, options=inp.lines_of)
            inp.put(row, "form", index, help=inp.text)
            rule = form_text(inp.form, inp.name("form", index, "rule"))
            if rule:
                check: dict[str, Any] = {"__line__": inp.line(inp.name("form", index, "rule")),
                                         "__lines__": {}, "rule": rule}
                inp.put(check, "form", index, **{
                    name: inp.lines_of if name == "values" else inp.text
                    for name in RULES.get(rule, ())})
                check["__lines__"]["rule"] = check["__line__"]
                row["check"] = check
                inp.put(row, "form", index, points=inp.number, feedback=inp.text)
            row["name"] = form_text(inp.form, inp.name("form", index, "name"))
            return row

        inp.put_list(node, "form", field)
        taken = {row["name"] for row in node["form"]}
        count = 0
        for row in node["form"]:
            if not FIELD_NAME_RE.match(row["name"]):
                count += 1
                while f"field_{count}" in taken:
                    count += 1
                row["name"] = f"field_{count}"
                taken.add(row["name"])
