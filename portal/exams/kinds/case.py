"""Case questions: a scenario with sub-questions of the other kinds."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from portal.exams.errors import ManualScoreInvalid
from portal.exams.kinds.base import (
    KINDS,
    MAX_CASE_PARTS,
    Form,
    Grade,
    Part,
    PublicQuestion,
    QuestionDef,
    QuestionKind,
    Section,
    _pts,
    answer_from_form,
    clean_data,
    form_text,
    grade,
    grade_manually,
    load,
    public_view,
    register,
)
from portal.exams.kinds.editor import read_part
from portal.exams.validation import MAX_TEXT, Report, items, text
from portal.messages import N_


@dataclass(frozen=True, kw_only=True)
class CaseQuestion(QuestionDef):
    scenario: str
    questions: tuple[QuestionDef, ...]  # sub-questions of the other kinds

    @classmethod
    def kind_fields(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"scenario": data["scenario"],
                "questions": tuple(load(p) for p in data["questions"])}

    def kind_data(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "questions": [p.to_data() for p in self.questions]}

    @property
    def summary_text(self) -> str:
        return self.prompt or self.scenario


@dataclass(frozen=True, kw_only=True)
class PublicCase(PublicQuestion):
    scenario: str
    questions: tuple[PublicQuestion, ...]


@register
class Case(QuestionKind[CaseQuestion, PublicCase]):
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
            part = clean_data(entry, report, parent=raw, key="questions", within_case=True)
            if part is None:
                continue
            if part["id"] in ids:
                report.add(entry, "id", N_("小题 id %(id)s 在本案例题中重复"), id=part["id"])
            ids.add(part["id"])
            parts.append(part)
        return {"scenario": scenario, "questions": parts}

    def derived_points(self, fields: dict[str, Any]) -> float | int:
        return sum(p["points"] for p in fields["questions"])

    def _combine(self, question: CaseQuestion, grades: list[tuple[str, Grade]]) -> Grade:
        parts = tuple(Part(f"{qid}/{p.key}", p.points, p.max_points, p.correct, p.feedback, p.note)
                      for qid, g in grades for p in g.parts)
        return Grade(_pts(sum(g.points for _, g in grades)), question.points, parts,
                     any(g.needs_manual for _, g in grades))

    def grade(self, question: CaseQuestion, answer: Any) -> Grade:
        given = answer if isinstance(answer, dict) else {}
        return self._combine(question, [(p.id, grade(p, given.get(p.id)))
                                        for p in question.questions])

    def grade_manually(self, question: CaseQuestion, answer: Any, scores: Any) -> Grade:
        """scores: sub-question id -> that sub-question's rubric scores (manual ones only)."""
        given = answer if isinstance(answer, dict) else {}
        scores = scores if isinstance(scores, Mapping) else {}
        grades: list[tuple[str, Grade]] = []
        for part in question.questions:
            auto = grade(part, given.get(part.id))
            if auto.needs_manual:
                if part.id not in scores:
                    raise ManualScoreInvalid(N_("小题 %(id)s 还没有评分"), id=part.id)
                auto = grade_manually(part, given.get(part.id), scores[part.id])
            grades.append((part.id, auto))
        return self._combine(question, grades)

    def public_fields(self, question: CaseQuestion) -> dict[str, Any]:
        return {"scenario": question.scenario,
                "questions": tuple(public_view(p) for p in question.questions)}

    def answer_from_form(self, view: PublicCase, form: Form, prefix: str = "") -> Any:
        return {sub.id: answer_from_form(sub, form, prefix=sub_prefix(prefix, sub.id))
                for sub in view.questions}

    def from_editor(self, inp: Any, node: dict[str, Any]) -> None:
        """The scenario and the sub-questions, each read by its own kind's editor."""
        def part(index: int) -> dict[str, Any]:
            chosen = form_text(inp.form, inp.name("questions", index, "kind"))
            kind = KINDS.get(chosen)
            if kind is None or not kind.allowed_in_case:
                chosen = "single-choice"
            return read_part(inp.sub("questions", index), kind=chosen)

        inp.put(node, scenario=inp.text)
        inp.put_list(node, "questions", part)

    def grading_sections(self, question: CaseQuestion, answer: Any) -> list[Section]:
        answers = answer if isinstance(answer, dict) else {}
        return [Section(part.id, part, answers.get(part.id)) for part in question.questions]


def sub_prefix(prefix: str, sub_id: str) -> str:
    """The prefix of a sub-question's form fields ("a." for sub-question a)."""
    return f"{prefix}{sub_id}."
