"""The template helpers of question kinds, registered app-wide (`init_app`): every page that
shows a question (attempts, results, grading, the bank browser and editor) uses them."""
from __future__ import annotations

import re

from flask import Flask
from flask_babel import gettext

from portal.exams import kinds
from portal.exams.forms import score_field
from portal.exams.kinds import editor
from portal.web import templating

BLANK_MARK = re.compile(r"\[\[(\d+)\]\]")


def kind_label(name: str) -> str:
    """A kind's name in the reader's language (单选题)."""
    kind = kinds.KINDS.get(name) if isinstance(name, str) else None
    return gettext(kind.label) if kind is not None else gettext("未知题型")


def kind_template(question: kinds.QuestionDef | kinds.PublicQuestion) -> str:
    """The template holding the macros of the question's kind (input, answer, key …)."""
    return kinds.get_kind(question.kind).template


def question_kind(name: str) -> kinds.QuestionKind:  # type: ignore[type-arg]
    """A kind by its name, for the editor (its template, whether its points are derived)."""
    return kinds.get_kind(name)


def case_kinds() -> list[tuple[str, str]]:
    """The kinds a case's sub-question may be, with their labels, for the editor."""
    return [(name, kind_label(name)) for name, kind in kinds.KINDS.items()
            if kind.allowed_in_case]


def mark_blanks(prompt: str) -> str:
    """Fill-in prompts mark blanks [[1]], [[2]] …; show them as numbered gaps."""
    return BLANK_MARK.sub(lambda m: gettext("【第 %(n)s 空】", n=m.group(1)), prompt or "")


def init_app(app: Flask) -> None:
    templating.register(app, functions={
        "kind_label": kind_label, "kind_template": kind_template, "mark_blanks": mark_blanks,
        "input_name": kinds.input_name, "sub_prefix": kinds.sub_prefix,
        "score_field": score_field, "question_kind": question_kind, "case_kinds": case_kinds,
        "editor_field_id": editor.field_id})
