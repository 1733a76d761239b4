"""Question kinds: a registry of pure graders behind one interface.

A kind checks its part of a question definition (`validate`), grades an answer
(`grade(question, answer) -> Grade`), says what an answer looks like (`answer_schema`) and
strips a question down to what a trainee may see before submitting (`public_view`).
Questions and answers are plain JSON-able data; nothing here knows about the web.
Adding a kind is adding one class decorated with `@register`.
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from portal.content.loader import KEY_RE, ROLES
from portal.exams.categories import clean_labels
from portal.exams.errors import ManualScoreInvalid, UnknownKind
from portal.exams.normalize import normalize_answer, normalize_number_text, same_answer
from portal.exams.validation import (
    MAX_SHORT_TEXT,
    MAX_TEXT,
    Report,
    boolean,
    check_fields,
    choice,
    items,
    number,
    number_value,
    scalar_text,
    text,
    tidy,
)
from portal.messages import N_, Message, msg

DIFFICULTIES = ("easy", "medium", "hard")
TAG_PREFIXES = ("stage", "topic", "role")
TAG_RE = re.compile(r"^(?P<prefix>[a-z]+):(?P<value>\S{1,40})$")
COMMON_FIELDS = ("id", "kind", "title", "category", "prompt", "points", "difficulty", "tags",
                 "explanation")
CASE_PART_FIELDS = ("id", "kind", "prompt", "points", "explanation")
MAX_POINTS = 1000
MAX_CHOICES = 26
MAX_ANSWERS = 50
MAX_BLANKS = 20
MAX_PAIRS = 30
MAX_CRITERIA = 20
MAX_CASE_PARTS = 20
MAX_FORM_FIELDS = 30
MAX_OPTIONS = 50
MAX_ANSWER_CHARS = 20_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"
CHOICE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
BLANK_RE = re.compile(r"\[\[(\d{1,3})\]\]")
NUMBER_RE = re.compile(r"[+-]?(\d{1,15}(\.\d{0,12})?|\.\d{1,12})([eE][+-]?\d{1,3})?")
PERCENT_RE = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,6})?)\s*%\s*$")
# A group holding a quantifier and itself repeated, e.g. (a+)+ : catastrophic backtracking.
NESTED_QUANTIFIER_RE = re.compile(r"\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)\s*[*+{]")
MAX_REGEX_INPUT = 300


# --- grades ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One graded part of an answer: a choice set, a blank, a pair, a form field, a criterion."""

    key: str
    points: float
    max_points: float
    correct: bool | None  # None: waits for a trainer
    feedback: str = ""  # the author's feedback for what was answered (content, not UI text)
    note: Message | None = None  # a remark of the grader itself ("未作答")

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "points": self.points,
                                "max_points": self.max_points, "correct": self.correct}
        if self.feedback:
            data["feedback"] = self.feedback
        if self.note is not None:
            data["note"] = {"text": self.note.text, "params": dict(self.note.params)}
        return data


@dataclass(frozen=True)
class Grade:
    points: float
    max_points: float
    parts: tuple[Part, ...] = ()
    needs_manual: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"points": self.points, "max_points": self.max_points,
                "needs_manual": self.needs_manual, "parts": [p.as_dict() for p in self.parts]}


def _pts(value: float) -> float:
    return round(float(value) + 0.0, 2)


UNANSWERED = msg(N_("未作答"))


# --- the registry ---------------------------------------------------------------------


class QuestionKind:
    """The interface of a kind. Subclasses set the class attributes and override methods."""

    name: ClassVar[str]
    label: ClassVar[str]  # N_ marked
    fields: ClassVar[tuple[str, ...]] = ()  # kind-specific fields of a definition
    auto_graded: ClassVar[bool] = True
    derives_points: ClassVar[bool] = False  # points = sum of the parts' points
    prompt_required: ClassVar[bool] = True
    allowed_in_case: ClassVar[bool] = True
    answer_schema: ClassVar[dict[str, Any]] = {}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        """Check the kind-specific fields of `raw`; return them in canonical form.

        Problems go to `report` with their lines. The caller discards the result when the
        report grew.
        """
        raise NotImplementedError

    def derived_points(self, fields: dict[str, Any]) -> float | int:
        raise NotImplementedError

    def grade(self, question: dict[str, Any], answer: Any) -> Grade:
        """Grade any JSON value as an answer; a malformed answer earns nothing, never raises."""
        raise NotImplementedError

    def grade_manually(self, question: dict[str, Any], answer: Any,
                       scores: Any) -> Grade:
        raise ManualScoreInvalid(N_("此题型自动评分，不需要人工评分"))

    def public_fields(self, question: dict[str, Any]) -> dict[str, Any]:
        """The kind-specific fields a trainee may see before submitting (built, not copied)."""
        return {}

    def public_view(self, question: dict[str, Any]) -> dict[str, Any]:
        view = {"id": question["id"], "kind": question["kind"],
                "prompt": question.get("prompt", ""), "points": question["points"]}
        view.update(self.public_fields(question))
        return view


KINDS: dict[str, QuestionKind] = {}


def register(cls: type[QuestionKind]) -> type[QuestionKind]:
    if cls.name in KINDS:
        raise ValueError(f"question kind {cls.name!r} registered twice")
    KINDS[cls.name] = cls()
    return cls


def get_kind(name: Any) -> QuestionKind:
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise UnknownKind(name)
    return kind


def grade(question: dict[str, Any], answer: Any) -> Grade:
    return get_kind(question.get("kind")).grade(question, answer)


def grade_manually(question: dict[str, Any], answer: Any, scores: Any) -> Grade:
    """A trainer's rubric scores applied; raises ManualScoreInvalid when they do not fit."""
    return get_kind(question.get("kind")).grade_manually(question, answer, scores)


def public_view(question: dict[str, Any]) -> dict[str, Any]:
    """What a trainee may see of a question before submitting: never a key or an explanation."""
    return get_kind(question.get("kind")).public_view(question)


# --- common fields --------------------------------------------------------------------


def clean_question(raw: Any, report: Report, *, parent: Any = None, key: str | None = None,
                   within_case: bool = False) -> dict[str, Any] | None:
    """Check one question (common fields, then its kind's); its canonical form or None."""
    if not isinstance(raw, dict):
        report.add(parent, key, N_("每道题应为“字段: 值”的形式"))
        return None
    start = report.count()
    qid = raw.get("id")
    if not isinstance(qid, str) or not KEY_RE.match(qid):
        report.add(raw, "id", N_("题目 id 应为小写字母、数字和连字符（最长 64 个字符），如 refund-01"))
        qid = ""
    kind_name = raw.get("kind")
    kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        report.add(raw, "kind", N_("未知的题型 %(kind)s（可用：%(allowed)s）"), kind=str(kind_name),
                   allowed=", ".join(KINDS))
        return None
    if within_case and not kind.allowed_in_case:
        report.add(raw, "kind", N_("案例题的小题不能是 %(kind)s"), kind=kind.name)
        return None
    common = CASE_PART_FIELDS if within_case else COMMON_FIELDS
    check_fields(report, raw, common + kind.fields)
    prompt = text(report, raw, "prompt", required=kind.prompt_required, limit=MAX_TEXT)
    points = number(report, raw, "points", low=0, high=MAX_POINTS, allow_low=False,
                    required=not kind.derives_points)
    question: dict[str, Any] = {"id": qid, "kind": kind.name, "prompt": prompt, "points": points}
    if not within_case:
        question["difficulty"] = choice(report, raw, "difficulty", DIFFICULTIES, default="medium")
        question["tags"] = _tags(raw, report)
        question.update(clean_labels(raw, report))  # title and category path, when given
    fields = kind.validate(raw, report)
    explanation = text(report, raw, "explanation", required=False, limit=MAX_TEXT)
    if fields is None or report.count() > start:
        return None
    question.update(fields)
    if kind.derives_points:
        total = tidy(kind.derived_points(fields))
        if points is not None and abs(points - total) > 1e-6:
            report.add(raw, "points", N_("points（%(given)s）应等于各部分分值之和（%(total)s），也可以省略"),
                       given=points, total=total)
            return None
        question["points"] = total
    if explanation:
        question["explanation"] = explanation
    return question


def _tags(raw: dict[str, Any], report: Report) -> list[str]:
    value = raw.get("tags", [])
    if not isinstance(value, list):
        report.add(raw, "tags", N_("tags 应为列表，如 [stage:basics, topic:发票, role:after-sales]"))
        return []
    tags: list[str] = []
    for tag in value:
        match = TAG_RE.match(tag) if isinstance(tag, str) else None
        if match is None or match["prefix"] not in TAG_PREFIXES:
            report.add(raw, "tags", N_("标签 %(tag)s 不合规：应为 stage:阶段key、topic:主题 或 role:岗位"),
                       tag=str(tag))
            continue
        if match["prefix"] == "stage" and not KEY_RE.match(match["value"]):
            report.add(raw, "tags", N_("标签 %(tag)s 不合规：阶段 key 只能用小写字母、数字和连字符"), tag=tag)
        elif match["prefix"] == "role" and match["value"] not in ROLES:
            report.add(raw, "tags", N_("标签 %(tag)s 不合规：岗位只能是 %(allowed)s"), tag=tag,
                       allowed=", ".join(ROLES))
        elif tag in tags:
            report.add(raw, "tags", N_("标签 %(tag)s 重复"), tag=tag)
        else:
            tags.append(tag)
    return tags


def _list_of_texts(report: Report, node: dict[str, Any], key: str, *, low: int, high: int,
                   required: bool = True) -> list[str]:
    values = items(report, node, key, low=low, high=high, required=required)
    result: list[str] = []
    for index, value in enumerate(values, 1):
        item = scalar_text(report, value, node, key, what=f"{key}[{index}]")
        if not item:
            report.add(node, key, N_("%(name)s 不能为空"), name=f"{key}[{index}]")
        elif any(same_answer(item, seen) for seen in result):
            report.add(node, key, N_("%(name)s 中有重复的值 %(value)s"), name=key, value=item)
        else:
            result.append(item)
    return result


def _answer_text(answer: Any, limit: int = MAX_ANSWER_CHARS) -> str:
    """An answer value as text: strings as they are, numbers as written, anything else empty."""
    if isinstance(answer, str):
        return answer[:limit]
    if isinstance(answer, int) and not isinstance(answer, bool) and abs(answer) < 10**15:
        return str(answer)
    if isinstance(answer, float) and math.isfinite(answer) and abs(answer) < 1e15:
        return repr(answer)
    return ""


# --- choices --------------------------------------------------------------------------


def _choices(raw: dict[str, Any], report: Report, *, credit: str) -> list[dict[str, Any]]:
    """The choices of a choice question. credit: "partial" (single), "none" or "weighted"."""
    allowed = ("key", "text", "correct", "feedback") + (("credit",) if credit != "none" else ())
    result: list[dict[str, Any]] = []
    keys: set[str] = set()
    for index, entry in enumerate(items(report, raw, "choices", low=2, high=MAX_CHOICES)):
        if not isinstance(entry, dict):
            report.add(raw, "choices", N_("%(what)s 应为“字段: 值”的形式（text、correct …）"),
                       what=f"choices[{index + 1}]")
            continue
        check_fields(report, entry, allowed)
        key = entry.get("key", LETTERS[index])
        if not isinstance(key, str) or not CHOICE_KEY_RE.match(key):
            report.add(entry, "key", N_("选项 key 应为 1 到 16 个小写字母、数字或连字符"))
            key = LETTERS[index]
        if key in keys:
            report.add(entry, "key", N_("选项 key %(key)s 重复"), key=key)
        keys.add(key)
        choice_text = text(report, entry, "text")
        if choice_text and any(same_answer(choice_text, c["text"]) for c in result):
            report.add(entry, "text", N_("选项 %(text)s 重复"), text=choice_text)
        item: dict[str, Any] = {"key": key, "text": choice_text}
        if credit == "weighted":
            weight = number(report, entry, "credit", low=-100, high=100, required=False, default=0)
            item["correct"] = bool(weight and weight > 0)
            if "correct" in entry and entry["correct"] is not item["correct"]:
                report.add(entry, "correct", N_("按权重计分时，correct 应与 credit 一致（credit 大于 0 即为正确选项）"))
            item["credit"] = weight if weight is not None else 0
        else:
            item["correct"] = boolean(report, entry, "correct", default=False)
            if credit == "partial" and "credit" in entry:
                if item["correct"]:
                    report.add(entry, "credit", N_("正确选项得满分，不需要 credit"))
                else:
                    weight = number(report, entry, "credit", low=0, high=100, required=False)
                    if weight is not None and weight >= 100:
                        report.add(entry, "credit", N_("错误选项的 credit 应小于 100（满分请用 correct: true）"))
                    elif weight:
                        item["credit"] = weight
        feedback = text(report, entry, "feedback", required=False)
        if feedback:
            item["feedback"] = feedback
        result.append(item)
    return result


def _public_choices(question: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": c["key"], "text": c["text"]} for c in question.get("choices", [])]


@register
class SingleChoice(QuestionKind):
    name = "single-choice"
    label = N_("单选题")
    fields = ("choices",)
    answer_schema: ClassVar[dict[str, Any]] = {
        "type": "string", "description": "the key of the chosen choice"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        choices = _choices(raw, report, credit="partial")
        if len(choices) >= 2 and sum(1 for c in choices if c["correct"]) != 1:
            report.add(raw, "choices", N_("单选题应恰好有一个正确选项（correct: true）"))
        return {"choices": choices}

    def grade(self, question: dict[str, Any], answer: Any) -> Grade:
        points = question["points"]
        chosen = next((c for c in question["choices"] if isinstance(answer, str)
                       and c["key"] == answer), None)
        if chosen is None:
            return Grade(0.0, points, (Part("choice", 0.0, points, False, note=UNANSWERED),))
        fraction = 1.0 if chosen["correct"] else chosen.get("credit", 0) / 100
        earned = _pts(points * fraction)
        return Grade(earned, points, (Part("choice", earned, points, bool(chosen["correct"]),
                                           chosen.get("feedback", "")),))

    def public_fields(self, question: dict[str, Any]) -> dict[str, Any]:
        return {"choices": _public_choices(question)}


@register
class MultipleChoice(QuestionKind):
    name = "multiple-choice"
    label = N_("多选题")
    fields = ("choices", "scoring")
    scorings = ("all-or-nothing", "proportional", "weighted")
    answer_schema: ClassVar[dict[str, Any]] = {
        "type": "array", "items": {"type": "string"}, "uniqueItems": True,
        "description": "the keys of the chosen choices"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        scoring = choice(report, raw, "scoring", self.scorings, default="all-or-nothing")
        choices = _choices(raw, report, credit="weighted" if scoring == "weighted" else "none")
        if scoring == "weighted":
            total = sum(c["credit"] for c in choices if c["credit"] > 0)
            if choices and abs(total - 100) > 0.01:
                report.add(raw, "choices", N_("按权重计分时，正确选项的 credit 之和应为 100（现为 %(total)s）"),
                           total=tidy(total))
        elif choices and not any(c["correct"] for c in choices):
            report.add(raw, "choices", N_("多选题至少要有一个正确选项（correct: true）"))
        return {"scoring": scoring, "choices": choices}

    def grade(self, question: dict[str, Any], answer: Any) -> Grade:
        points = question["points"]
        keys = {c["key"] for c in question["choices"]}
        chosen = ({a for a in answer if isinstance(a, str) and a in keys}
                  if isinstance(answer, list) else set())
        if not chosen:
            return Grade(0.0, points, (Part("choices", 0.0, points, False, note=UNANSWERED),))
        right = {c["key"] for c in question["choices"] if c["correct"]}
        scoring = question.get("scoring", "all-or-nothing")
        if scoring == "weighted":
            fraction = sum(c["credit"] for c in question["choices"] if c["key"] in chosen) / 100
        elif scoring == "proportional":
            fraction = (len(chosen & right) - len(chosen - right)) / len(right)
        else:
            fraction = 1.0 if chosen == right else 0.0
        earned = _pts(points * min(1.0, max(0.0, fraction)))
        feedback = "\n".join(c["feedback"] for c in question["choices"]
                             if c["key"] in chosen and c.get("feedback"))
        return Grade(earned, points, (Part("choices", earned, points, chosen == right, feedback),))

    def public_fields(self, question: dict[str, Any]) -> dict[str, Any]:
        # The scoring rule is part of the instructions; which choices are right is not.
        return {"scoring": question.get("scoring", "all-or-nothing"),
                "choices": _public_choices(question)}


@register
class TrueFalse(QuestionKind):
    name = "true-false"
    label = N_("判断题")
    fields = ("answer", "feedback_correct", "feedback_incorrect")
    answer_schema: ClassVar[dict[str, Any]] = {"type": "boolean"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        if not isinstance(raw.get("answer"), bool):
            report.add(raw, "answer", N_("判断题的 answer 应为 true（对）或 false（错）"))
        fields: dict[str, Any] = {"answer": raw.get("answer") is True}
        for name in ("feedback_correct", "feedback_incorrect"):
            value = text(report, raw, name, required=False)
            if value:
                fields[name] = value
        return fields

    def grade(self, question: dict[str, Any], answer: Any) -> Grade:
        points = question["points"]
        if isinstance(answer, str) and answer.strip().lower() in ("true", "false"):
            answer = answer.strip().lower() == "true"
        if not isinstance(answer, bool):
            return Grade(0.0, points, (Part("answer", 0.0, points, False, note=UNANSWERED),))
        right = answer == question["answer"]
        earned = _pts(points) if right else 0.0
        feedback = question.get("feedback_correct" if right else "feedback_incorrect", "")
        return Grade(earned, points, (Part("answer", earned, points, right, feedback),))


# --- typed answers --------------------------------------------------------------------


def _accepted(report: Report, value: Any, node: dict[str, Any], key: str,
              path: str) -> dict[str, Any]:
    """One blank's accepted answers: texts, or {text, credit, feedback} for partial credit."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_ANSWERS:
        report.add(node, key, N_("%(name)s 应为 1 到 %(high)d 个可接受答案的列表"), name=path,
                   high=MAX_ANSWERS)
        return {"answers": []}
    answers: list[dict[str, Any]] = []
    for index, entry in enumerate(value, 1):
        what = f"{path}[{index}]"
        if isinstance(entry, dict):
            check_fields(report, entry, ("text", "credit", "feedback"))
            answer = text(report, entry, "text")
            credit = number(report, entry, "credit", low=0, high=100, allow_low=False,
                            required=False, default=100)
            feedback = text(report, entry, "feedback", required=False)
            at: dict[str, Any] = entry
        else:
            answer = scalar_text(report, entry, node, key, what=what)
            credit, feedback, at = 100, "", node
            if not answer and isinstance(entry, str):
                report.add(node, key, N_("%(name)s 不能为空"), name=what)
        if answer and any(same_answer(answer, a["text"]) for a in answers):
            report.add(at, "text" if at is entry else key,
                       N_("可接受答案 %(text)s 重复（比较时不区分全角半角、大小写和空格）"), text=answer)
        item: dict[str, Any] = {"text": answer, "credit": credit if credit is not None else 100}
        if feedback:
            item["feedback"] = feedback
        answers.append(item)
    if answers and not any(a["credit"] == 100 for a in answers):
        report.add(node, key, N_("%(name)s 至少要有一个满分（credit 100）的答案"), name=path)
    return {"answers": answers}


@register
class FillIn(QuestionKind):
    name = "fill-in"
    label = N_("填空题")
    fields = ("answers", "blanks")
    answer_schema: ClassVar[dict[str, Any]] = {
        "type": "array", "items": {"type": "string"},
        "description": "one text per blank, in order (a single string for one blank)"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        if ("answers" in raw) == ("blanks" in raw):
            report.add(raw, None, N_("填空题应有 answers（只有一个空）或 blanks（多个空）二者之一"))
            return None
        if "answers" in raw:
            blanks = [_accepted(report, raw["answers"], raw, "answers", "answers")]
        else:
            blanks = []
            for index, entry in enumerate(items(report, raw, "blanks", low=1, high=MAX_BLANKS), 1):
                if isinstance(entry, dict):
                    check_fields(report, entry, ("answers",))
                    blanks.append(_accepted(report, entry.get("answers"), entry, "answers",
                                            f"blanks[{index}].answers"))
                else:
                    blanks.append(_accepted(report, entry, raw, "blanks", f"blanks[{index}]"))
        prompt = raw.get("prompt") if isinstance(raw.get("prompt"), str) else ""
        marks = [int(m) for m in BLANK_RE.findall(prompt)]
        if marks and sorted(marks) != list(range(1, len(blanks) + 1)):
            report.add(raw, "prompt", N_("题干中的空位标记应为 [[1]] 到 [[%(count)d]]，每个出现一次"),
                       count=len(blanks))
        elif not marks and len(blanks) > 1:
            report.add(raw, "prompt", N_("多空填空题须在题干中用 [[1]]、[[2]] … 标出每个空的位置"))
        return {"blanks": blanks}

    def grade(self, question: dict[str, Any], answer: Any) -> Grade:
        points = question["points"]
        blanks = question["blanks"]
        given = [answer] if isinstance(answer, str) else answer if isinstance(answer, list) else []
        share = points / len(blanks)
        parts: list[Part] = []
        for index, blank in enumerate(blanks):
            typed = _answer_text(given[index]) if index < len(given) else ""
            if not typed.strip():
                parts.append(Part(str(index + 1), 0.0, _pts(share), False, note=UNANSWERED))
                continue
            typed_norm = normalize_answer(typed)
            best = max((a for a in blank["answers"] if normalize_answer(a["text"]) == typed_norm),
                       key=lambda a: a["credit"], default=None)
            credit = best["credit"] if best else 0
            parts.append(Part(str(index + 1), _pts(share * credit / 100), _pts(share),
                              credit == 100, best.get("feedback", "") if best else ""))
        earned = _pts(min(points, sum(p.points for p in parts)))
        return Grade(earned, points, tuple(parts))

    def public_fields(self, question: dict[str, Any]) -> dict[str, Any]:
        return {"blanks": len(question["blanks"])}


def _tolerance(report: Report, node: dict[str, Any]) -> float | int | str:
    value = node.get("tolerance", 0)
    if isinstance(value, str):
        match = PERCENT_RE.match(value)
        if match and float(match[1]) <= 100:
            return f"{tidy(float(match[1]))}%"
        report.add(node, "tolerance", N_("tolerance 应为非负数（绝对误差）或百分比，如 0.5 或 \"2%\""))
        return 0
    result = number_value(report, value, node, "tolerance", low=0, high=1e12, default=0)
    return result if result is not None else 0


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


def parse_number(answer: Any, unit: str = "") -> Decimal | None:
    """A typed number (half-width or full-width, optional unit); None when it is not one."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return Decimal(answer) if abs(answer) <= 10**15 else None
    if isinstance(answer, float):
        return _decimal(answer) if math.isfinite(answer) and abs(answer) <= 1e15 else None
    if not isinstance(answer, str) or len(answer) > 64:
        return None
    typed = normalize_number_text(answer)
    if unit:
        plain_unit = normalize_number_text(unit)
        if plain_unit and typed.endswith(plain_unit):
            typed = typed[: -len(plain_unit)]
    if not NUMBER_RE.fullmatch(typed):
        return None
    try:
        value = Decimal(typed)
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        return None
    return value if abs(value) <= Decimal(10) ** 15 else None


@register
class Numeric(QuestionKind):
    name = "numeric"
    label = N_("数值题")
    fields = ("value", "tolerance", "answers", "unit")
    answer_schema: ClassVar[dict[str, Any]] = {
        "type": ["number", "string"], "description": "a number, typed or as JSON"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        if "answers" in raw:
            if "value" in raw or "tolerance" in raw:
                report.add(raw, "answers", N_("数值题用 value/tolerance（一个答案）或 answers（多个答案），不能同时用"))
            entries = items(report, raw, "answers", low=1, high=MAX_ANSWERS)
        else:
            entries = [raw]
        answers: list[dict[str, Any]] = []
        for index, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                report.add(raw, "answers", N_("%(what)s 应为“字段: 值”的形式（value、tolerance …）"),
                           what=f"answers[{index}]")
                continue
            if entry is not raw:
                check_fields(report, entry, ("value", "tolerance", "credit", "feedback"))
            item: dict[str, Any] = {
                "value": number(report, entry, "value", low=-1e12, high=1e12) or 0,
                "tolerance": _tolerance(report, entry),
                "credit": 100 if entry is raw else number(
                    report, entry, "credit", low=0, high=100, allow_low=False, required=False,
                    default=100)}
            feedback = text(report, entry, "feedback", required=False) if entry is not raw else ""
            if feedback:
                item["feedback"] = feedback
            answers.append(item)
        if answers and not any(a["credit"] == 100 for a in answers):
            report.add(raw, "answers", N_("数值题至少要有一个满分（credit 100）的答案"))
        fields: dict[str, Any] = {"answers": answers}
        unit = text(report, raw, "unit", required=False, limit=20)
        if unit:
            fields["unit"] = unit
        return fields

    @staticmethod
    def matches(entry: dict[str, Any], value: Decimal) -> bool:
        target = _decimal(entry["value"])
        tolerance = entry["tolerance"]
        if isinstance(tolerance, str):
            allowed = abs(target) * Decimal(tolerance.rstrip("%")) / 100
        else:
            allowed = _decimal(tolerance)
        return abs(value - target) <= allowed

    def grade(self, question: dict[str, Any], answer: Any) -> Grade:
        points = question["points"]
        value = parse_number(answer, question.get("unit", ""))
        if value is None:
            typed = _answer_text(answer).strip()
            note = UNANSWERED if not typed else msg(N_("答案不是一个数"))
            return Grade(0.0, points, (Part("value", 0.0, points, False, note=note),))
        best = max((a for a in question["answers"] if self.matches(a, value)),
                   key=lambda a: a["credit"], default=None)
        credit = best["credit"] if best else 0
        earned = _pts(points * credit / 100)
        return Grade(earned, points, (Part("value", earned, points, credit == 100,
                                           best.get("feedback", "") if best else ""),))

    def public_fields(self, question: dict[str, Any]) -> dict[str, Any]:
        return {"unit": question["unit"]} if question.get("unit") else {}


@register
class Matching(QuestionKind):
    name = "matching"
    label = N_("匹配题")
    fields = ("pairs", "distractors", "scoring")
    scorings = ("proportional", "all-or-nothing")
    answer_schema: ClassVar[dict[str, Any]] = {
        "type": "object", "additionalProperties": {"type": "string"},
        "description": "left item key (\"1\", \"2\" …) -> the chosen right text"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        scoring = choice(report, raw, "scoring", self.scorings, default="proportional")
        pairs: list[dict[str, str]] = []
        for index, entry in enumerate(items(report, raw, "pairs", low=2, high=MAX_PAIRS), 1):
            if not isinstance(entry, dict):
                report.add(raw, "pairs", N_("%(what)s 应为“字段: 值”的形式（left、right）"),
                           what=f"pairs[{index}]")
                continue
            check_fields(report, entry, ("left", "right"))
            left, right = text(report, entry, "left"), text(report, entry, "right")
            if left and any(same_answer(left, p["left"]) for p in pairs):
                report.add(entry, "left", N_("左侧项 %(text)s 重复"), text=left)
            pairs.append({"left": left, "right": right})
        fields: dict[str, Any] = {"scoring": scoring, "pairs": pairs}
        distractors = _list_of_texts(report, raw, "distractors", low=1, high=MAX_PAIRS,
                                     required=False)
        for extra in distractors:
            if any(same_answer(extra, p["right"]) for p in pairs):
                report.add(raw, "distractors", N_("干扰项 %(text)s 与某个正确的右侧项相同"), text=extra)
        if distractors:
            fields["distractors"] = distractors
        return fields

    def grade(self, question: dict[str, Any], answer: Any) -> Grade:
        points = question["points"]
        pairs = question["pairs"]
        given = answer if isinstance(answer, dict) else {}
        right = [isinstance(given.get(str(i)), str) and same_answer(given[str(i)][:MAX_SHORT_TEXT],
                                                                    pair["right"])
                 for i, pair in enumerate(pairs, 1)]
        share = points / len(pairs)
        counts = question.get("scoring", "proportional") == "proportional" or all(right)
        parts = tuple(Part(str(i), _pts(share) if ok and counts else 0.0, _pts(share), ok)
                      for i, ok in enumerate(right, 1))
        earned = _pts(min(points, share * sum(right))) if counts else 0.0
        return Grade(earned, points, parts)

    def public_fields(self, question: dict[str, Any]) -> dict[str, Any]:
        rights = {p["right"] for p in question["pairs"]} | set(question.get("distractors", []))
        # Sorted, so that the order of the right column says nothing about the pairs.
        return {"scoring": question.get("scoring", "proportional"),
                "left": [{"key": str(i), "text": p["left"]}
                         for i, p in enumerate(question["pairs"], 1)],
                "right": sorted(rights)}


# --- graded by a trainer --------------------------------------------------------------


@register
class ShortAnswer(QuestionKind):
    name = "short-answer"
    label = N_("简答题")
    fields = ("rubric", "reference_answer", "max_chars")
    auto_graded = False
    derives_points = True
    answer_schema: ClassVar[dict[str, Any]] = {"type": "string"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        rubric: list[dict[str, Any]] = []
        for index, entry in enumerate(items(report, raw, "rubric", low=1, high=MAX_CRITERIA), 1):
            if not isinstance(entry, dict):
                report.add(raw, "rubric", N_("%(what)s 应为“字段: 值”的形式（criterion、points …）"),
                           what=f"rubric[{index}]")
                continue
            check_fields(report, entry, ("criterion", "points", "guidance"))
            item: dict[str, Any] = {
                "criterion": text(report, entry, "criterion"),
                "points": number(report, entry, "points", low=0, high=MAX_POINTS,
                                 allow_low=False) or 0}
            guidance = text(report, entry, "guidance", required=False)
            if guidance:
                item["guidance"] = guidance
            rubric.append(item)
        fields: dict[str, Any] = {"rubric": rubric}
        reference = text(report, raw, "reference_answer", required=False, limit=MAX_TEXT)
        if reference:
            fields["reference_answer"] = reference
        fields["max_chars"] = number(report, raw, "max_chars", low=1, high=MAX_ANSWER_CHARS,
                                     required=False, default=2000)
        if not isinstance(fields["max_chars"], int):
            report.add(raw, "max_chars", N_("max_chars 应为整数"))
        return fields

    def derived_points(self, fields: dict[str, Any]) -> float | int:
        return sum(c["points"] for c in fields["rubric"])

    def grade(self, question: dict[str, Any], answer: Any) -> Grade:
        points = question["points"]
        typed = answer if isinstance(answer, str) else ""
        if not typed.strip():
            # Nothing to read: zero without troubling a trainer.
            return Grade(0.0, points, tuple(
                Part(str(i), 0.0, c["points"], False, note=UNANSWERED)
                for i, c in enumerate(question["rubric"], 1)))
        return Grade(0.0, points, tuple(Part(str(i), 0.0, c["points"], None)
                                        for i, c in enumerate(question["rubric"], 1)),
                     needs_manual=True)

    def grade_manually(self, question: dict[str, Any], answer: Any, scores: Any) -> Grade:
        """scores: criterion key ("1", "2" …) -> points given, each within the criterion's."""
        rubric = question["rubric"]
        if not isinstance(scores, Mapping):
            raise ManualScoreInvalid(N_("请为每一条评分标准打分"))
        unknown = set(map(str, scores)) - {str(i) for i in range(1, len(rubric) + 1)}
        if unknown:
            raise ManualScoreInvalid(N_("没有编号为 %(keys)s 的评分标准"), keys=", ".join(sorted(unknown)))
        parts: list[Part] = []
        for i, criterion in enumerate(rubric, 1):
            given = scores.get(str(i))
            if isinstance(given, str):
                given = parse_number(given)
                given = float(given) if given is not None else None
            if (given is None or isinstance(given, bool) or not isinstance(given, int | float)
                    or not 0 <= given <= criterion["points"]):
                raise ManualScoreInvalid(N_("评分标准“%(criterion)s”的得分应在 0 到 %(max)s 之间"),
                                         criterion=criterion["criterion"], max=criterion["points"])
            parts.append(Part(str(i), _pts(given), criterion["points"],
                              given == criterion["points"]))
        return Grade(_pts(sum(p.points for p in parts)), question["points"], tuple(parts))

    def public_fields(self, question: dict[str, Any]) -> dict[str, Any]:
        return {"max_chars": question.get("max_chars", 2000)}


@register
class Case(QuestionKind):
    name = "case"
    label = N_("案例题")
    fields = ("scenario", "questions")
    derives_points = True
    prompt_required = False
    allowed_in_case = False
    answer_schema: ClassVar[dict[str, Any]] = {
        "type": "object", "additionalProperties": True,
        "description": "sub-question id -> that sub-question's answer"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        scenario = text(report, raw, "scenario", limit=MAX_TEXT)
        parts: list[dict[str, Any]] = []
        ids: set[str] = set()
        for entry in items(report, raw, "questions", low=1, high=MAX_CASE_PARTS):
            part = clean_question(entry, report, parent=raw, key="questions", within_case=True)
            if part is None:
                continue
            if part["id"] in ids:
                report.add(entry, "id", N_("小题 id %(id)s 在本案例题中重复"), id=part["id"])
            ids.add(part["id"])
            parts.append(part)
        return {"scenario": scenario, "questions": parts}

    def derived_points(self, fields: dict[str, Any]) -> float | int:
        return sum(p["points"] for p in fields["questions"])

    def _combine(self, question: dict[str, Any], grades: list[tuple[str, Grade]]) -> Grade:
        parts = tuple(Part(f"{qid}/{p.key}", p.points, p.max_points, p.correct, p.feedback, p.note)
                      for qid, g in grades for p in g.parts)
        return Grade(_pts(sum(g.points for _, g in grades)), question["points"], parts,
                     any(g.needs_manual for _, g in grades))

    def grade(self, question: dict[str, Any], answer: Any) -> Grade:
        given = answer if isinstance(answer, dict) else {}
        return self._combine(question, [(p["id"], grade(p, given.get(p["id"])))
                                        for p in question["questions"]])

    def grade_manually(self, question: dict[str, Any], answer: Any, scores: Any) -> Grade:
        """scores: sub-question id -> that sub-question's rubric scores (manual ones only)."""
        given = answer if isinstance(answer, dict) else {}
        scores = scores if isinstance(scores, Mapping) else {}
        grades: list[tuple[str, Grade]] = []
        for part in question["questions"]:
            auto = grade(part, given.get(part["id"]))
            if auto.needs_manual:
                if part["id"] not in scores:
                    raise ManualScoreInvalid(N_("小题 %(id)s 还没有评分"), id=part["id"])
                auto = grade_manually(part, given.get(part["id"]), scores[part["id"]])
            grades.append((part["id"], auto))
        return self._combine(question, grades)

    def public_view(self, question: dict[str, Any]) -> dict[str, Any]:
        view = super().public_view(question)
        view["scenario"] = question["scenario"]
        view["questions"] = [public_view(p) for p in question["questions"]]
        return view


# --- operation tasks (上机操作) ---------------------------------------------------------

FIELD_TYPES = ("text", "select", "datetime")
RULES: dict[str, tuple[str, ...]] = {
    "exact": ("value",),
    "one-of": ("values",),
    "regex": ("pattern",),
    "contains-all": ("values",),
    "datetime-within": ("start", "end"),
    "non-empty": (),
}
RULES_FOR_TYPE = {
    "text": ("exact", "one-of", "regex", "contains-all", "non-empty"),
    "select": ("exact", "one-of", "non-empty"),
    "datetime": ("datetime-within", "non-empty"),
}


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
        if NESTED_QUANTIFIER_RE.search(pattern):
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


def passes(check: dict[str, Any], value: str) -> bool:
    """Whether a typed field value satisfies one field rule."""
    rule = check["rule"]
    if rule == "non-empty":
        return bool(value.strip())
    if rule == "exact":
        return same_answer(value, check["value"])
    if rule == "one-of":
        return any(same_answer(value, v) for v in check["values"])
    if rule == "contains-all":
        typed = normalize_answer(value)
        return bool(typed) and all(normalize_answer(v) in typed for v in check["values"])
    if rule == "regex":
        typed = unicodedata.normalize("NFKC", value).strip()
        return (len(typed) <= MAX_REGEX_INPUT
                and _compiled(check["pattern"]).fullmatch(typed) is not None)
    if rule == "datetime-within":
        moment = parse_datetime(value)
        start, end = parse_datetime(check["start"]), parse_datetime(check["end"])
        return (moment is not None and start is not None and end is not None
                and start <= moment <= end)
    return False


@register
class OperationTask(QuestionKind):
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
        for index, entry in enumerate(items(report, raw, "form", low=1, high=MAX_FORM_FIELDS), 1):
            if not isinstance(entry, dict):
                report.add(raw, "form", N_("%(what)s 应为“字段: 值”的形式（name、label、type …）"),
                           what=f"form[{index}]")
                continue
            check_fields(report, entry, ("name", "label", "type", "options", "help", "check",
                                         "points", "feedback"))
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

    def grade(self, question: dict[str, Any], answer: Any) -> Grade:
        given = answer if isinstance(answer, dict) else {}
        parts: list[Part] = []
        for item in question["form"]:
            if "check" not in item:
                continue
            value = _answer_text(given.get(item["name"]), MAX_SHORT_TEXT)
            if not value.strip():
                parts.append(Part(item["name"], 0.0, item["points"], False, note=UNANSWERED))
                continue
            ok = passes(item["check"], value)
            parts.append(Part(item["name"], _pts(item["points"]) if ok else 0.0, item["points"], ok,
                              item.get("feedback", "")))
        return Grade(_pts(sum(p.points for p in parts)), question["points"], tuple(parts))

    def public_fields(self, question: dict[str, Any]) -> dict[str, Any]:
        form = []
        for item in question["form"]:
            shown: dict[str, Any] = {"name": item["name"], "label": item["label"],
                                     "type": item["type"]}
            for key in ("options", "help", "points"):
                if key in item:
                    shown[key] = item[key]
            form.append(shown)
        return {"form": form}


__all__ = ["KINDS", "Grade", "Part", "QuestionKind", "clean_question", "get_kind", "grade",
           "grade_manually", "public_view", "register"]
