"""Turning a question's submitted form fields into the answer its grader expects.

Pure: it takes the question's public view and any mapping with get()/getlist() (a
werkzeug MultiDict in the web layer, a dict of lists in tests). Each kind reads its own
fields (`QuestionKind.answer_from_form`), named by `kinds.input_name`.
"""
from __future__ import annotations

from typing import Any

from portal.exams import kinds

Form = kinds.Form


def answer_from_form(view: kinds.PublicQuestion, form: Form, prefix: str = "") -> Any:
    """The answer to `view`'s question held in `form` (fields named `prefix` + ...)."""
    return kinds.answer_from_form(view, form, prefix)


def is_answered(answer: Any) -> bool:
    if answer is None:
        return False
    if isinstance(answer, bool):
        return True
    if isinstance(answer, str):
        return bool(answer.strip())
    if isinstance(answer, list):
        return any(is_answered(a) for a in answer)
    if isinstance(answer, dict):
        return any(is_answered(a) for a in answer.values())
    return True
