"""Matching: each left item is matched with one of the right texts."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from portal.exams.kinds.base import (
    MAX_PAIRS,
    Form,
    Grade,
    Item,
    Part,
    PublicQuestion,
    QuestionDef,
    QuestionKind,
    Scoring,
    _list_of_texts,
    _mappings,
    _pts,
    form_text,
    input_name,
    register,
)
from portal.exams.normalize import same_answer
from portal.exams.validation import MAX_SHORT_TEXT, Report, choice, text
from portal.messages import N_


@dataclass(frozen=True)
class Pair:
    left: str
    right: str


@dataclass(frozen=True, kw_only=True)
class MatchingQuestion(QuestionDef):
    scoring: Scoring = Scoring.PROPORTIONAL
    pairs: tuple[Pair, ...]
    distractors: tuple[str, ...] = ()  # right texts that match no left item

    @classmethod
    def kind_fields(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"scoring": Scoring(data.get("scoring", Scoring.PROPORTIONAL)),
                "pairs": tuple(Pair(p["left"], p["right"]) for p in data["pairs"]),
                "distractors": tuple(data.get("distractors", ()))}

    def kind_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"scoring": self.scoring.value,
                                "pairs": [{"left": p.left, "right": p.right} for p in self.pairs]}
        if self.distractors:
            data["distractors"] = list(self.distractors)
        return data


@dataclass(frozen=True, kw_only=True)
class PublicMatching(PublicQuestion):
    scoring: Scoring
    left: tuple[Item, ...]  # keyed "1", "2" … in the pairs' order
    right: tuple[str, ...]  # sorted, so that their order says nothing about the pairs


@register
class Matching(QuestionKind[MatchingQuestion, PublicMatching]):
    name = "matching"
    label = N_("匹配题")
    fields = ("pairs", "distractors", "scoring")
    scorings = (Scoring.PROPORTIONAL.value, Scoring.ALL_OR_NOTHING.value)
    answer_schema: ClassVar[dict[str, Any]] = {
        "type": "object", "additionalProperties": {"type": "string"},
        "description": "left item key (\"1\", \"2\" …) -> the chosen right text"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        scoring = choice(report, raw, "scoring", self.scorings, default="proportional")
        pairs: list[dict[str, str]] = []
        for _, entry in _mappings(report, raw, "pairs", low=2, high=MAX_PAIRS,
                                  fields=("left", "right"),
                                  shape=N_("%(what)s 应为“字段: 值”的形式（left、right）")):
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

    def grade(self, question: MatchingQuestion, answer: Any) -> Grade:
        points = question.points
        pairs = question.pairs
        given = answer if isinstance(answer, dict) else {}
        right = [isinstance(given.get(str(i)), str) and same_answer(given[str(i)][:MAX_SHORT_TEXT],
                                                                    pair.right)
                 for i, pair in enumerate(pairs, 1)]
        share = points / len(pairs)
        counts = question.scoring is Scoring.PROPORTIONAL or all(right)
        parts = tuple(Part(str(i), _pts(share) if ok and counts else 0.0, _pts(share), ok)
                      for i, ok in enumerate(right, 1))
        earned = _pts(min(points, share * sum(right))) if counts else 0.0
        return Grade(earned, points, parts)

    def public_fields(self, question: MatchingQuestion) -> dict[str, Any]:
        rights = {p.right for p in question.pairs} | set(question.distractors)
        return {"scoring": question.scoring,
                "left": tuple(Item(str(i), p.left) for i, p in enumerate(question.pairs, 1)),
                "right": tuple(sorted(rights))}

    def answer_from_form(self, view: PublicMatching, form: Form, prefix: str = "") -> Any:
        typed = {left.key: form_text(form, input_name(prefix, "match", left.key))
                 for left in view.left}
        return {key: value for key, value in typed.items() if value}

    def from_editor(self, inp: Any, node: dict[str, Any]) -> None:
        """Scoring, the pairs (left, right) and the extra right texts (one per line)."""
        inp.put(node, scoring=inp.text)
        inp.put_list(node, "pairs", lambda index: inp.record(
            "pairs", index, left=inp.text, right=inp.text))
        inp.put(node, distractors=inp.lines_of)

    def from_gift(self, raw: dict[str, Any], gift: Any) -> bool:
        pairs: list[dict[str, Any]] = []
        distractors: list[str] = []
        for line, _, segment in gift.segments("="):
            if "->" not in segment:
                gift.problem(line, N_("匹配题的每一项应写成 =左侧 -> 右侧"))
                return False
            left, right = segment.split("->", 1)
            left_text = gift.convert(left, line)
            right_text = gift.release(right).strip()
            if left_text:
                pairs.append({"__line__": line, "left": left_text, "right": right_text})
            else:
                distractors.append(right_text)
        raw["pairs"] = pairs
        if distractors:
            raw["distractors"] = distractors
        return True

    def to_gift(self, question: MatchingQuestion, gift: Any) -> list[str] | None:
        if any("->" in p.left for p in question.pairs):
            gift.note(N_("题目 %(id)s：匹配题左侧含有“->”，无法用 GIFT 表达，未导出"))
            return None
        if question.scoring is Scoring.ALL_OR_NOTHING:
            gift.note(N_("题目 %(id)s：匹配题“全对才得分”在 GIFT 中无法表达，已按每对计分导出"))
        lines = [f"\t={gift.escape(p.left)} -> {gift.escape(p.right)}" for p in question.pairs]
        return lines + [f"\t= -> {gift.escape(d)}" for d in question.distractors]

    moodle_qtypes = ("matching",)

    def from_moodle_xml(self, raw: dict[str, Any], element: Any, xml: Any) -> bool:
        pairs, distractors = [], []
        for sub in element.all("subquestion"):
            left = xml.rich(sub)
            right = (sub.child("answer").value("text") if sub.child("answer") is not None else "")
            if left:
                pairs.append({"__line__": sub.line, "left": left, "right": right})
            elif right:
                distractors.append(right)
        raw["pairs"] = pairs
        if distractors:
            raw["distractors"] = distractors
        return True
