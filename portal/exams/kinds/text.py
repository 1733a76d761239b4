"""Typed answers graded automatically: fill-in (one or more blanks) and numeric."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from portal.exams.kinds.base import (
    BLANK_RE,
    MAX_ANSWERS,
    MAX_BLANKS,
    NUMBER_RE,
    PERCENT_RE,
    UNANSWERED,
    Form,
    Grade,
    Part,
    PublicQuestion,
    QuestionDef,
    QuestionKind,
    _answer_text,
    _pts,
    form_text,
    input_name,
    register,
)
from portal.exams.normalize import normalize_answer, normalize_number_text, same_answer
from portal.exams.validation import (
    Report,
    check_fields,
    items,
    number,
    number_value,
    scalar_text,
    text,
    tidy,
)
from portal.messages import N_, msg


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


@dataclass(frozen=True, kw_only=True)
class Accepted:
    """An accepted answer of a blank, with its credit in percent."""

    text: str
    credit: float = 100
    feedback: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Accepted:
        return cls(text=data["text"], credit=data["credit"], feedback=data.get("feedback", ""))

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "credit": self.credit}
        if self.feedback:
            data["feedback"] = self.feedback
        return data


@dataclass(frozen=True)
class Blank:
    answers: tuple[Accepted, ...]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Blank:
        return cls(tuple(Accepted.from_data(a) for a in data["answers"]))

    def to_data(self) -> dict[str, Any]:
        return {"answers": [a.to_data() for a in self.answers]}


@dataclass(frozen=True, kw_only=True)
class FillInQuestion(QuestionDef):
    blanks: tuple[Blank, ...]
    item_lists: ClassVar[dict[str, Any]] = {"blanks": Blank}


@dataclass(frozen=True, kw_only=True)
class PublicFillIn(PublicQuestion):
    blanks: int  # how many


@register
class FillIn(QuestionKind[FillInQuestion, PublicFillIn]):
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

    def grade(self, question: FillInQuestion, answer: Any) -> Grade:
        points = question.points
        blanks = question.blanks
        given = [answer] if isinstance(answer, str) else answer if isinstance(answer, list) else []
        share = points / len(blanks)
        parts: list[Part] = []
        for index, blank in enumerate(blanks):
            typed = _answer_text(given[index]) if index < len(given) else ""
            if not typed.strip():
                parts.append(Part(str(index + 1), 0.0, _pts(share), False, note=UNANSWERED))
                continue
            typed_norm = normalize_answer(typed)
            best = max((a for a in blank.answers if normalize_answer(a.text) == typed_norm),
                       key=lambda a: a.credit, default=None)
            credit = best.credit if best else 0
            parts.append(Part(str(index + 1), _pts(share * credit / 100), _pts(share),
                              credit == 100, best.feedback if best else ""))
        earned = _pts(min(points, sum(p.points for p in parts)))
        return Grade(earned, points, tuple(parts))

    def public_fields(self, question: FillInQuestion) -> dict[str, Any]:
        return {"blanks": len(question.blanks)}

    def answer_from_form(self, view: PublicFillIn, form: Form, prefix: str = "") -> Any:
        return [form_text(form, input_name(prefix, "blank", i))
                for i in range(1, view.blanks + 1)]

    def from_editor(self, inp: Any, node: dict[str, Any]) -> None:
        """Blanks, each with its accepted answers (text, credit in percent, feedback)."""
        def blank(index: int) -> dict[str, Any]:
            row = inp.record("blanks", index)
            inp.put_list(row, "answers", lambda answer: inp.record(
                "blanks", index, "answers", answer, text=inp.text, credit=inp.number,
                feedback=inp.text), "blanks", index, "answers")
            return row
        inp.put_list(node, "blanks", blank)

    gift_gap = "[[1]]"  # a missing-word question's one blank

    def from_gift(self, raw: dict[str, Any], gift: Any) -> bool:
        answers: list[dict[str, Any]] = []
        for line, _, segment in gift.segments("="):
            weight, segment = gift.weight(segment, line)
            accepted, _, feedback = segment.partition("#")
            if weight is not None and weight <= 0:
                gift.notice(line, N_("0 分或负分答案已忽略（本门户的填空题只列可接受的答案）"),
                            line=line)
                continue
            item: dict[str, Any] = {"__line__": line, "text": gift.convert(accepted, line),
                                    "credit": tidy(weight) if weight is not None else 100}
            gift.feedback(item, feedback, line)
            answers.append(item)
        raw["answers"] = answers
        return True

    def to_gift(self, question: FillInQuestion, gift: Any) -> list[str] | None:
        if len(question.blanks) > 1:
            gift.note(N_("题目 %(id)s：多空填空题无法用 GIFT 表达，未导出"))
            return None
        answers = question.blanks[0].answers
        if any("->" in a.text for a in answers):
            gift.note(N_("题目 %(id)s：答案含有“->”，GIFT 会把它当作匹配题，未导出"))
            return None
        return [gift.item("=", a.text, credit=a.credit, feedback=a.feedback) for a in answers]

    moodle_qtypes = ("shortanswer",)

    def from_moodle_xml(self, raw: dict[str, Any], element: Any, xml: Any) -> bool:
        if element.value("usecase") == "1":
            xml.notice(element.line, N_("本门户的填空题不区分大小写"),
                       line=element.line)
        accepted = []
        for answer in element.all("answer"):
            fraction = xml.fraction(answer)
            typed = xml.rich(answer)
            if fraction <= 0 or typed == "*":
                xml.notice(answer.line, N_("0 分答案或通配答案 * 已忽略（本门户的填空题只列可接受的答案）"),
                           line=answer.line)
                continue
            item = {"__line__": answer.line, "text": typed, "credit": tidy(fraction)}
            xml.feedback(item, answer)
            accepted.append(item)
        raw["answers"] = accepted
        return True


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


@dataclass(frozen=True, kw_only=True)
class NumericAnswer:
    """An accepted number: a value within a tolerance (absolute, or "2%" of the value)."""

    value: float
    tolerance: float | str = 0
    credit: float = 100
    feedback: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> NumericAnswer:
        return cls(value=data["value"], tolerance=data["tolerance"], credit=data["credit"],
                   feedback=data.get("feedback", ""))

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"value": self.value, "tolerance": self.tolerance,
                                "credit": self.credit}
        if self.feedback:
            data["feedback"] = self.feedback
        return data

    @property
    def allowed(self) -> Decimal:
        """The absolute tolerance."""
        if isinstance(self.tolerance, str):
            return abs(_decimal(self.value)) * Decimal(self.tolerance.rstrip("%")) / 100
        return _decimal(self.tolerance)

    def matches(self, value: Decimal) -> bool:
        return abs(value - _decimal(self.value)) <= self.allowed


@dataclass(frozen=True, kw_only=True)
class NumericQuestion(QuestionDef):
    answers: tuple[NumericAnswer, ...]
    unit: str = ""
    item_lists: ClassVar[dict[str, Any]] = {"answers": NumericAnswer}

    @classmethod
    def kind_fields(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().kind_fields(data), "unit": data.get("unit", "")}

    def kind_data(self) -> dict[str, Any]:
        data = super().kind_data()
        if self.unit:
            data["unit"] = self.unit
        return data


@dataclass(frozen=True, kw_only=True)
class PublicNumeric(PublicQuestion):
    unit: str = ""


@register
class Numeric(QuestionKind[NumericQuestion, PublicNumeric]):
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

    def grade(self, question: NumericQuestion, answer: Any) -> Grade:
        points = question.points
        value = parse_number(answer, question.unit)
        if value is None:
            typed = _answer_text(answer).strip()
            note = UNANSWERED if not typed else msg(N_("答案不是一个数"))
            return Grade(0.0, points, (Part("value", 0.0, points, False, note=note),))
        best = max((a for a in question.answers if a.matches(value)),
                   key=lambda a: a.credit, default=None)
        credit = best.credit if best else 0
        earned = _pts(points * credit / 100)
        return Grade(earned, points, (Part("value", earned, points, credit == 100,
                                           best.feedback if best else ""),))

    def public_fields(self, question: NumericQuestion) -> dict[str, Any]:
        return {"unit": question.unit}

    def answer_from_form(self, view: PublicNumeric, form: Form, prefix: str = "") -> Any:
        return form_text(form, input_name(prefix))

    def from_editor(self, inp: Any, node: dict[str, Any]) -> None:
        """Accepted numbers (value, tolerance absolute or in percent, credit, feedback), unit."""
        def tolerance(name: str) -> Any:
            typed = inp.text(name).strip()
            return typed if typed.endswith(("%", "％")) else inp.number(name)

        inp.put_list(node, "answers", lambda index: inp.record(
            "answers", index, value=inp.number, tolerance=tolerance, credit=inp.number,
            feedback=inp.text))
        inp.put(node, unit=inp.text)

    def from_gift(self, raw: dict[str, Any], gift: Any) -> bool:
        if "unit" in gift.meta:
            raw["unit"] = gift.meta["unit"]
        answer = gift.text
        body_start = answer.find("#") + 1
        body = answer[body_start:]
        wrong = body.find("~")
        if wrong >= 0:
            line = gift.line_at(body_start + wrong)
            gift.notice(line, N_("数值题的“其他答案”反馈（~…）没有导入"), line=line)
            body = body[:wrong]
        answers: list[dict[str, Any]] = []
        for line, _, segment in gift.segments("=", body, start=body_start):
            weight, segment = gift.weight(segment, line)
            number_text, _, feedback = segment.partition("#")
            number_text = gift.release(number_text).strip()
            if weight is not None and weight <= 0:
                gift.notice(line, N_("0 分或负分答案已忽略（本门户的数值题只列可接受的答案）"),
                            line=line)
                continue
            if ".." in number_text[1:]:
                low_text, high_text = number_text.split("..", 1)
                low, high = gift.number(low_text), gift.number(high_text)
                if low is None or high is None or high < low:
                    gift.problem(line, N_("数值范围 %(text)s 应写成 较小值..较大值"), text=number_text)
                    return False
                value, tolerance = (low + high) / 2, (high - low) / 2
            elif ":" in number_text[1:]:
                value_text, tolerance_text = number_text.split(":", 1)
                value, tolerance = gift.number(value_text), gift.number(tolerance_text)
            else:
                value, tolerance = gift.number(number_text), Decimal(0)
            if value is None or tolerance is None:
                gift.problem(line, N_("数值题答案 %(text)s 应为数，可写成 值:误差 或 最小值..最大值"),
                             text=number_text)
                return False
            item: dict[str, Any] = {"__line__": line, "value": gift.plain_number(value),
                                    "tolerance": gift.plain_number(tolerance),
                                    "credit": tidy(weight) if weight is not None else 100}
            gift.feedback(item, feedback, line)
            answers.append(item)
        if not answers:
            gift.problem(gift.line, N_("数值题没有可接受的答案"))
            return False
        raw["answers"] = answers
        return True

    def to_gift(self, question: NumericQuestion, gift: Any) -> list[str] | None:
        lines = ["\t#"]
        for a in question.answers:
            tolerance = a.tolerance
            if isinstance(tolerance, str):
                gift.note(N_("题目 %(id)s：百分比误差已换算成绝对误差导出"))
                tolerance = a.allowed
            weight = "" if a.credit == 100 else f"%{gift.weight_text(a.credit)}%"
            feedback = f"#{gift.escape(a.feedback)}" if a.feedback else ""
            value = f"{gift.number_text(a.value)}:{gift.number_text(tolerance)}"
            lines.append(f"\t={weight}{value}{feedback}")
        return lines

    def gift_meta(self, question: NumericQuestion) -> list[str]:
        return [f"[unit:{question.unit}]"] if question.unit and "]" not in question.unit else []

    moodle_qtypes = ("numerical",)

    def from_moodle_xml(self, raw: dict[str, Any], element: Any, xml: Any) -> bool:
        values = []
        for answer in element.all("answer"):
            fraction = xml.fraction(answer)
            typed = answer.value("text")
            if fraction <= 0 or typed == "*":
                xml.notice(answer.line, N_("0 分答案或通配答案 * 已忽略（本门户的数值题只列可接受的答案）"),
                           line=answer.line)
                continue
            value, tolerance = xml.number(typed), xml.number(answer.value("tolerance", "0") or "0")
            if value is None or tolerance is None:
                xml.problem(answer.line, N_("数值题答案 %(text)s 或其误差不是数"), text=typed)
                return False
            item = {"__line__": answer.line, "value": value, "tolerance": abs(tolerance),
                    "credit": tidy(fraction)}
            xml.feedback(item, answer)
            values.append(item)
        raw["answers"] = values
        units = element.child("units")
        for unit in units.all("unit") if units is not None else []:
            if xml.number(unit.value("multiplier", "1")) == 1 and unit.value("unit_name"):
                raw["unit"] = unit.value("unit_name")[:20]
                break
        return True
