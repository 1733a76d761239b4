"""Choice kinds: single choice, multiple choice and true/false."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

from portal.exams.kinds.base import (
    CHOICE_KEY_RE,
    LETTERS,
    MAX_CHOICES,
    UNANSWERED,
    Form,
    Grade,
    Item,
    Part,
    PublicQuestion,
    QuestionDef,
    QuestionKind,
    Scoring,
    _mappings,
    _pts,
    form_text,
    get_kind,
    input_name,
    register,
)
from portal.exams.normalize import same_answer
from portal.exams.validation import Report, boolean, choice, number, text, tidy
from portal.messages import N_


def _choices(raw: dict[str, Any], report: Report, *, credit: str) -> list[dict[str, Any]]:
    """The choices of a choice question. credit: "partial" (single), "none" or "weighted"."""
    allowed = ("key", "text", "correct", "feedback") + (("credit",) if credit != "none" else ())
    result: list[dict[str, Any]] = []
    keys: set[str] = set()
    for position, entry in _mappings(report, raw, "choices", low=2, high=MAX_CHOICES,
                                     fields=allowed,
                                     shape=N_("%(what)s 应为“字段: 值”的形式（text、correct …）")):
        key = entry.get("key", LETTERS[position - 1])
        if not isinstance(key, str) or not CHOICE_KEY_RE.match(key):
            report.add(entry, "key", N_("选项 key 应为 1 到 16 个小写字母、数字或连字符"))
            key = LETTERS[position - 1]
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


def _editor_choices(inp: Any, node: dict[str, Any], *, single: bool, weighted: bool) -> None:
    """The choices rows of the editor: text, right or not (a radio button for single choice,
    a checkbox for multiple), credit in percent (partial or weighted), feedback. A choice
    keeps its key (attempts refer to it); a new one gets the first free letter."""
    right = form_text(inp.form, inp.name("choices", "correct"))

    def read(index: int) -> dict[str, Any]:
        readers: dict[str, Any] = {"text": inp.text}
        if single:
            readers["correct"] = lambda _name: right == str(index)
        elif not weighted:
            readers["correct"] = inp.flag
        if single or weighted:
            readers["credit"] = inp.number
        readers["feedback"] = inp.text
        row = inp.record("choices", index, **readers)
        row["key"] = form_text(inp.form, inp.name("choices", index, "key"))
        return row

    inp.put_list(node, "choices", read)
    taken = {row["key"] for row in node["choices"] if row["key"]}
    free = (letter for letter in LETTERS if letter not in taken)
    for row in node["choices"]:
        if not CHOICE_KEY_RE.match(row["key"]):
            row["key"] = next(free, "z")


@dataclass(frozen=True, kw_only=True)
class Option:
    """One choice of a choice question, with its key."""

    key: str
    text: str
    correct: bool
    credit: float | None = None  # percent; partial credit of a wrong one, or a weight
    feedback: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Option:
        return cls(key=data["key"], text=data["text"], correct=data["correct"],
                   credit=data.get("credit"), feedback=data.get("feedback", ""))

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "text": self.text, "correct": self.correct}
        if self.credit is not None:
            data["credit"] = self.credit
        if self.feedback:
            data["feedback"] = self.feedback
        return data

    @property
    def weight(self) -> float:
        return self.credit or 0


@dataclass(frozen=True, kw_only=True)
class ChoiceQuestion(QuestionDef):
    choices: tuple[Option, ...]
    item_lists: ClassVar[dict[str, Any]] = {"choices": Option}

    @property
    def option_keys(self) -> list[str]:
        return [c.key for c in self.choices]

    def in_order(self, keys: list[str]) -> Self:
        by_key = {c.key: c for c in self.choices}
        ordered = tuple(by_key[k] for k in keys if k in by_key)
        rest = tuple(c for c in self.choices if c.key not in keys)  # added since the attempt
        return dataclasses.replace(self, choices=ordered + rest)


@dataclass(frozen=True, kw_only=True)
class MultipleChoiceQuestion(ChoiceQuestion):
    scoring: Scoring = Scoring.ALL_OR_NOTHING

    @classmethod
    def kind_fields(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"scoring": Scoring(data.get("scoring", Scoring.ALL_OR_NOTHING)),
                **super().kind_fields(data)}

    def kind_data(self) -> dict[str, Any]:
        return {"scoring": self.scoring.value, **super().kind_data()}


@dataclass(frozen=True, kw_only=True)
class TrueFalseQuestion(QuestionDef):
    answer: bool
    feedback_correct: str = ""
    feedback_incorrect: str = ""

    @classmethod
    def kind_fields(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"answer": data["answer"], "feedback_correct": data.get("feedback_correct", ""),
                "feedback_incorrect": data.get("feedback_incorrect", "")}

    def kind_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"answer": self.answer}
        for name in ("feedback_correct", "feedback_incorrect"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        return data


@dataclass(frozen=True, kw_only=True)
class PublicChoice(PublicQuestion):
    choices: tuple[Item, ...]

    def in_order(self, keys: list[str]) -> Self:
        by_key = {c.key: c for c in self.choices}
        return dataclasses.replace(self, choices=tuple(by_key[k] for k in keys if k in by_key))


@dataclass(frozen=True, kw_only=True)
class PublicMultipleChoice(PublicChoice):
    scoring: Scoring  # part of the instructions; which choices are right is not


def _public_choices(question: ChoiceQuestion) -> tuple[Item, ...]:
    return tuple(Item(c.key, c.text) for c in question.choices)


Weighted = list[tuple[dict[str, Any], float]]  # imported choices and their weights in percent
C = TypeVar("C", bound=ChoiceQuestion)
V = TypeVar("V", bound=PublicChoice)


class _ChoiceKind(QuestionKind[C, V]):
    """What single and multiple choice share: choices imported with weights in percent."""

    def from_gift(self, raw: dict[str, Any], gift: Any) -> bool:
        self.from_weights(raw, _gift_choices(gift), gift)
        return True

    def from_weights(self, raw: dict[str, Any], entries: Weighted, importer: Any) -> None:
        """Choices weighted in percent (GIFT's, Moodle's fractions) become `raw`'s choices."""
        mark = self.weigh(raw, [w for _, w in entries], importer)
        for item, weight in entries:
            mark(item, weight)
        raw["choices"] = [item for item, _ in entries]

    def weigh(self, raw: dict[str, Any], weights: list[float],
              importer: Any) -> Callable[[dict[str, Any], float], None]:
        """What one weight makes of its choice (given all of them)."""
        raise NotImplementedError


@register
class SingleChoice(_ChoiceKind[ChoiceQuestion, PublicChoice]):
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

    def grade(self, question: ChoiceQuestion, answer: Any) -> Grade:
        points = question.points
        chosen = next((c for c in question.choices if isinstance(answer, str)
                       and c.key == answer), None)
        if chosen is None:
            return Grade(0.0, points, (Part("choice", 0.0, points, False, note=UNANSWERED),))
        fraction = 1.0 if chosen.correct else chosen.weight / 100
        earned = _pts(points * fraction)
        return Grade(earned, points, (Part("choice", earned, points, chosen.correct,
                                           chosen.feedback),))

    def public_fields(self, question: ChoiceQuestion) -> dict[str, Any]:
        return {"choices": _public_choices(question)}

    def answer_from_form(self, view: PublicChoice, form: Form, prefix: str = "") -> Any:
        return form_text(form, input_name(prefix)) or None

    def from_editor(self, inp: Any, node: dict[str, Any]) -> None:
        _editor_choices(inp, node, single=True, weighted=False)

    def to_gift(self, question: ChoiceQuestion, gift: Any) -> list[str] | None:
        # After "=" Moodle reads no weight: the right choice is written without one.
        return [f"\t={gift.escape(c.text)}" + (f"#{gift.escape(c.feedback)}" if c.feedback else "")
                if c.correct else gift.item("~", c.text, credit=c.weight, feedback=c.feedback)
                for c in question.choices]

    moodle_qtypes = ("multichoice",)

    def from_moodle_xml(self, raw: dict[str, Any], element: Any, xml: Any) -> bool:
        """Moodle's multichoice is single or multiple choice by its <single>."""
        single = element.value("single", "true").lower() in ("true", "1")
        kind = self if single else get_kind(MultipleChoice.name)
        raw["kind"] = kind.name
        entries = []
        for answer in element.all("answer"):
            item: dict[str, Any] = {"__line__": answer.line, "text": xml.rich(answer)}
            xml.feedback(item, answer)
            entries.append((item, xml.fraction(answer)))
        kind.from_weights(raw, entries, xml)  # type: ignore[attr-defined]
        return True

    def weigh(self, raw: dict[str, Any], weights: list[float],
              importer: Any) -> Callable[[dict[str, Any], float], None]:
        """100 % is the right one, 0 < w < 100 partial credit; negative weights for wrong
        choices (a penalty) have no equivalent and count as 0."""
        def mark(item: dict[str, Any], weight: float) -> None:
            item["correct"] = weight >= 100
            if weight < 0:
                importer.notice(item.get("__line__"), N_("单选题的负分选项按 0 分导入"))
            elif 0 < weight < 100:
                item["credit"] = tidy(weight)
        return mark


@register
class MultipleChoice(_ChoiceKind[MultipleChoiceQuestion, PublicMultipleChoice]):
    name = "multiple-choice"
    label = N_("多选题")
    fields = ("choices", "scoring")
    scorings = tuple(s.value for s in Scoring)
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

    def grade(self, question: MultipleChoiceQuestion, answer: Any) -> Grade:
        points = question.points
        keys = set(question.option_keys)
        chosen = ({a for a in answer if isinstance(a, str) and a in keys}
                  if isinstance(answer, list) else set())
        if not chosen:
            return Grade(0.0, points, (Part("choices", 0.0, points, False, note=UNANSWERED),))
        right = {c.key for c in question.choices if c.correct}
        if question.scoring is Scoring.WEIGHTED:
            fraction = sum(c.weight for c in question.choices if c.key in chosen) / 100
        elif question.scoring is Scoring.PROPORTIONAL:
            fraction = (len(chosen & right) - len(chosen - right)) / len(right)
        else:
            fraction = 1.0 if chosen == right else 0.0
        earned = _pts(points * min(1.0, max(0.0, fraction)))
        feedback = "\n".join(c.feedback for c in question.choices
                             if c.key in chosen and c.feedback)
        return Grade(earned, points, (Part("choices", earned, points, chosen == right, feedback),))

    def public_fields(self, question: MultipleChoiceQuestion) -> dict[str, Any]:
        return {"scoring": question.scoring, "choices": _public_choices(question)}

    def answer_from_form(self, view: PublicMultipleChoice, form: Form, prefix: str = "") -> Any:
        keys = {c.key for c in view.choices}
        return sorted({str(v) for v in form.getlist(input_name(prefix)) if str(v) in keys})

    def from_editor(self, inp: Any, node: dict[str, Any]) -> None:
        inp.put(node, scoring=inp.text)
        _editor_choices(inp, node, single=False,
                        weighted=node.get("scoring") == Scoring.WEIGHTED.value)

    def to_gift(self, question: MultipleChoiceQuestion, gift: Any) -> list[str] | None:
        if question.scoring is Scoring.WEIGHTED:
            credits = [c.weight for c in question.choices]
        else:
            if question.scoring is Scoring.ALL_OR_NOTHING:
                gift.note(N_("题目 %(id)s：多选题“全对才得分”在 GIFT 中无法表达，已按比例计分导出"))
            share = 100 / sum(1 for c in question.choices if c.correct)
            credits = [tidy(share if c.correct else -share) for c in question.choices]
        return [gift.item("~", c.text, credit=credit, feedback=c.feedback)
                for c, credit in zip(question.choices, credits, strict=True)]

    def weigh(self, raw: dict[str, Any], weights: list[float],
              importer: Any) -> Callable[[dict[str, Any], float], None]:
        """Proportional when the weights are exactly ±100/n, otherwise weighted."""
        positive = [w for w in weights if w > 0]
        share = 100 / len(positive) if positive else 0
        proportional = bool(positive) and all(
            abs(w - share) < 0.01 if w > 0 else abs(w + share) < 0.01 for w in weights)
        raw["scoring"] = Scoring.PROPORTIONAL.value if proportional else Scoring.WEIGHTED.value

        def mark(item: dict[str, Any], weight: float) -> None:
            if proportional:
                item["correct"] = weight > 0
            else:
                item["credit"] = tidy(weight)
        return mark


@register
class TrueFalse(QuestionKind[TrueFalseQuestion, PublicQuestion]):
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

    def grade(self, question: TrueFalseQuestion, answer: Any) -> Grade:
        points = question.points
        if isinstance(answer, str) and answer.strip().lower() in ("true", "false"):
            answer = answer.strip().lower() == "true"
        if not isinstance(answer, bool):
            return Grade(0.0, points, (Part("answer", 0.0, points, False, note=UNANSWERED),))
        right = answer == question.answer
        earned = _pts(points) if right else 0.0
        feedback = question.feedback_correct if right else question.feedback_incorrect
        return Grade(earned, points, (Part("answer", earned, points, right, feedback),))

    def answer_from_form(self, view: PublicQuestion, form: Form, prefix: str = "") -> Any:
        return {"true": True, "false": False}.get(form_text(form, input_name(prefix)))

    def from_editor(self, inp: Any, node: dict[str, Any]) -> None:
        inp.put(node, answer=lambda name: {"true": True, "false": False}.get(
                    form_text(inp.form, name)),
                feedback_correct=inp.text, feedback_incorrect=inp.text)

    def from_gift(self, raw: dict[str, Any], gift: Any) -> bool:
        head, _, feedback = gift.body.partition("#")
        raw["answer"] = TRUE_FALSE[head.strip()]
        wrong, _, right = feedback.partition("#")
        line = gift.line_at(0)
        for key, value in (("feedback_incorrect", wrong), ("feedback_correct", right)):
            converted = gift.convert(value, line)
            if converted:
                raw[key] = converted
        return True

    def to_gift(self, question: TrueFalseQuestion, gift: Any) -> list[str] | None:
        feedback = ""
        if question.feedback_incorrect or question.feedback_correct:
            feedback = f"#{gift.escape(question.feedback_incorrect)}"
            if question.feedback_correct:
                feedback += f"#{gift.escape(question.feedback_correct)}"
        return [f"\t{'TRUE' if question.answer else 'FALSE'}{feedback}"]

    moodle_qtypes = ("truefalse",)

    def from_moodle_xml(self, raw: dict[str, Any], element: Any, xml: Any) -> bool:
        by_value: dict[bool, Any] = {}
        for answer in element.all("answer"):
            word = answer.value("text").lower()
            if word in ("true", "false"):
                by_value[word == "true"] = answer
        right = [v for v, a in by_value.items() if xml.fraction(a) >= 100]
        if len(right) != 1:
            xml.problem(element.line, N_("判断题应有一个 fraction=\"100\" 的 true 或 false 答案"))
            return False
        raw["answer"] = right[0]
        for value, key in ((right[0], "feedback_correct"), (not right[0], "feedback_incorrect")):
            if value in by_value:
                feedback = xml.rich(by_value[value].child("feedback"))
                if feedback:
                    raw[key] = feedback
        return True


# GIFT's words for true and false (gift.py decides a true/false question by them).
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def _gift_choices(gift: Any) -> Weighted:
    entries: Weighted = []
    for line, marker, segment in gift.segments("~="):
        weight: float | None = 100.0 if marker == "=" else None
        if marker != "=":  # after "=" a choice is simply right, as in Moodle
            weight, segment = gift.weight(segment, line)
        choice_text, _, feedback = segment.partition("#")
        item: dict[str, Any] = {"__line__": line, "text": gift.convert(choice_text, line)}
        gift.feedback(item, feedback, line)
        entries.append((item, weight or 0.0))
    return entries
