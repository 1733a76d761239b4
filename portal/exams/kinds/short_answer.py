"""Short answers, graded by a trainer against a rubric."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from portal.exams.errors import ManualScoreInvalid
from portal.exams.kinds.base import (
    MAX_ANSWER_CHARS,
    MAX_CRITERIA,
    MAX_POINTS,
    UNANSWERED,
    Criterion,
    Form,
    Grade,
    Part,
    PublicQuestion,
    QuestionDef,
    QuestionKind,
    _mappings,
    _pts,
    form_text,
    input_name,
    register,
)
from portal.exams.kinds.text import parse_number
from portal.exams.validation import MAX_TEXT, Report, number, text
from portal.messages import N_

# Moodle has no rubric: an essay gets one criterion worth all its points, to be refined.
IMPORTED_CRITERION = "整体评价（从其他系统导入，请补充评分标准）"
DEFAULT_MAX_CHARS = 2000


@dataclass(frozen=True, kw_only=True)
class ShortAnswerQuestion(QuestionDef):
    rubric: tuple[Criterion, ...]
    reference_answer: str = ""
    max_chars: int = DEFAULT_MAX_CHARS
    item_lists: ClassVar[dict[str, Any]] = {"rubric": Criterion}

    @classmethod
    def kind_fields(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().kind_fields(data), "reference_answer": data.get("reference_answer", ""),
                "max_chars": data.get("max_chars", DEFAULT_MAX_CHARS)}

    def kind_data(self) -> dict[str, Any]:
        data = super().kind_data()
        if self.reference_answer:
            data["reference_answer"] = self.reference_answer
        data["max_chars"] = self.max_chars
        return data


@dataclass(frozen=True, kw_only=True)
class PublicShortAnswer(PublicQuestion):
    max_chars: int


@register
class ShortAnswer(QuestionKind[ShortAnswerQuestion, PublicShortAnswer]):
    name = "short-answer"
    label = N_("简答题")
    fields = ("rubric", "reference_answer", "max_chars")
    auto_graded = False
    derives_points = True
    answer_schema: ClassVar[dict[str, Any]] = {"type": "string"}

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        rubric: list[dict[str, Any]] = []
        for _, entry in _mappings(
                report, raw, "rubric", low=1, high=MAX_CRITERIA,
                fields=("criterion", "points", "guidance"),
                shape=N_("%(what)s 应为“字段: 值”的形式（criterion、points …）")):
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
                                     required=False, default=DEFAULT_MAX_CHARS)
        if not isinstance(fields["max_chars"], int):
            report.add(raw, "max_chars", N_("max_chars 应为整数"))
        return fields

    def derived_points(self, fields: dict[str, Any]) -> float | int:
        return sum(c["points"] for c in fields["rubric"])

    def grade(self, question: ShortAnswerQuestion, answer: Any) -> Grade:
        points = question.points
        typed = answer if isinstance(answer, str) else ""
        if not typed.strip():
            # Nothing to read: zero without troubling a trainer.
            return Grade(0.0, points, tuple(
                Part(str(i), 0.0, c.points, False, note=UNANSWERED)
                for i, c in enumerate(question.rubric, 1)))
        return Grade(0.0, points, tuple(Part(str(i), 0.0, c.points, None)
                                        for i, c in enumerate(question.rubric, 1)),
                     needs_manual=True)

    def rubric(self, question: ShortAnswerQuestion) -> tuple[Criterion, ...]:
        return question.rubric

    def grade_manually(self, question: ShortAnswerQuestion, answer: Any, scores: Any) -> Grade:
        """scores: criterion key ("1", "2" …) -> points given, each within the criterion's."""
        rubric = question.rubric
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
                    or not 0 <= given <= criterion.points):
                raise ManualScoreInvalid(N_("评分标准“%(criterion)s”的得分应在 0 到 %(max)s 之间"),
                                         criterion=criterion.criterion, max=criterion.points)
            parts.append(Part(str(i), _pts(given), criterion.points, given == criterion.points))
        return Grade(_pts(sum(p.points for p in parts)), question.points, tuple(parts))

    def public_fields(self, question: ShortAnswerQuestion) -> dict[str, Any]:
        return {"max_chars": question.max_chars}

    def answer_from_form(self, view: PublicShortAnswer, form: Form, prefix: str = "") -> Any:
        return form_text(form, input_name(prefix))

    def from_editor(self, inp: Any, node: dict[str, Any]) -> None:
        """The rubric (criterion, points, guidance), the reference answer, the length limit."""
        inp.put_list(node, "rubric", lambda index: inp.record(
            "rubric", index, criterion=inp.text, points=inp.number, guidance=inp.text))
        inp.put(node, reference_answer=inp.text, max_chars=inp.number)

    def from_gift(self, raw: dict[str, Any], gift: Any) -> bool:
        essay_fields(raw)  # GIFT's essay
        return True

    def to_gift(self, question: ShortAnswerQuestion, gift: Any) -> list[str] | None:
        gift.note(N_("题目 %(id)s：简答题导出为 GIFT 问答题，评分标准和参考答案没有导出"))
        return []

    moodle_qtypes = ("essay",)

    def from_moodle_xml(self, raw: dict[str, Any], element: Any, xml: Any) -> bool:
        essay_fields(raw, xml.rich(element.child("graderinfo")))
        return True


def essay_fields(raw: dict[str, Any], guidance: str = "") -> None:
    """An imported essay's points become one criterion (the portal grades by rubric)."""
    criterion: dict[str, Any] = {"__line__": raw.get("__line__"), "criterion": IMPORTED_CRITERION,
                                 "points": raw.pop("points", 1)}
    if guidance:
        criterion["guidance"] = guidance
    raw["rubric"] = [criterion]
