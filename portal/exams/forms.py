"""The grading form's fields: their names, and the rubric scores read back from them.

Field names are the web layer's business, so they live here and not in the grading service;
templates name the fields with the app-wide `score_field` helper.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from portal.exams.grading import GradingSection

MAX_SCORE_CHARS = 20


def score_field(section_key: str, number: int) -> str:
    """The field holding the score of criterion `number` of a section ("" for the question)."""
    return f"score-{section_key}-{number}" if section_key else f"score-{number}"


def scores_from_form(sections: Sequence[GradingSection], form: Mapping[str, Any]) -> Any:
    """The `scores` kinds.grade_manually expects, from the grading form's fields."""
    def rubric_scores(section: GradingSection) -> dict[str, str]:
        return {str(c.number): str(form.get(score_field(section.key, c.number), "") or "")
                [:MAX_SCORE_CHARS] for c in section.criteria}

    if [s.key for s in sections] == [""]:
        return rubric_scores(sections[0])  # no parts: the question itself has the rubric
    return {s.key: rubric_scores(s) for s in sections if s.manual}
