"""Question kinds: one module per family, each kind owning every face of its questions.

`from portal.exams import kinds; kinds.grade(question, answer)` and the other names below
are the package's interface; base.py holds the interface and the registry, and importing
the package registers every kind (in the order pages list them).
"""
from __future__ import annotations

import importlib

from portal.exams.kinds.base import (
    COMMON_FIELDS,
    DIFFICULTIES,
    KINDS,
    NUMBER_RE,
    TAG_PREFIXES,
    TAG_RE,
    Form,
    Grade,
    Part,
    QuestionKind,
    answer_from_form,
    clean_question,
    get_kind,
    grade,
    grade_manually,
    input_name,
    public_view,
    register,
)

# Each family registers its kinds on import; pages list the kinds in this order.
FAMILIES = ("choice", "text", "matching", "short_answer", "case", "operation")
for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")

from portal.exams.kinds.operation import parse_datetime, passes
from portal.exams.kinds.text import parse_number

__all__ = ["COMMON_FIELDS", "DIFFICULTIES", "FAMILIES", "KINDS", "NUMBER_RE", "TAG_PREFIXES",
           "TAG_RE", "Form", "Grade", "Part", "QuestionKind", "answer_from_form",
           "clean_question", "get_kind", "grade", "grade_manually", "input_name",
           "parse_datetime", "parse_number", "passes", "public_view", "register"]
