"""Question kinds: one module per family, each kind owning every face of its questions.

`from portal.exams import kinds; kinds.grade(kinds.load(data), answer)` and the other names
below are the package's interface; base.py holds the interface, the registry and the typed
definition every question shares (`QuestionDef`), each family module its kinds' own
definitions, and importing the package registers every kind (in the order pages list them).
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
    Acknowledgement,
    Criterion,
    Difficulty,
    Form,
    Grade,
    Item,
    Outcome,
    Part,
    PublicQuestion,
    QuestionDef,
    QuestionKind,
    Scoring,
    Section,
    answer_from_form,
    clean_question,
    get_kind,
    grade,
    grade_manually,
    grading_sections,
    input_name,
    load,
    parts_of,
    public_view,
    register,
    rubric,
)

# Each family registers its kinds on import; pages list the kinds in this order.
FAMILIES = ("choice", "text", "matching", "short_answer", "case", "operation")
for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")

from portal.exams.kinds.case import CaseQuestion, PublicCase, sub_prefix
from portal.exams.kinds.choice import (
    ChoiceQuestion,
    MultipleChoiceQuestion,
    Option,
    PublicChoice,
    PublicMultipleChoice,
    TrueFalseQuestion,
)
from portal.exams.kinds.matching import MatchingQuestion, Pair, PublicMatching
from portal.exams.kinds.operation import (
    FieldCheck,
    FieldType,
    FormField,
    OperationQuestion,
    PublicField,
    PublicOperation,
    Rule,
    parse_datetime,
    passes,
)
from portal.exams.kinds.short_answer import PublicShortAnswer, ShortAnswerQuestion
from portal.exams.kinds.text import (
    Accepted,
    Blank,
    FillInQuestion,
    NumericAnswer,
    NumericQuestion,
    PublicFillIn,
    PublicNumeric,
    parse_number,
)

__all__ = ["COMMON_FIELDS", "DIFFICULTIES", "FAMILIES", "KINDS", "NUMBER_RE", "TAG_PREFIXES",
           "TAG_RE", "Accepted", "Acknowledgement", "Blank", "CaseQuestion", "ChoiceQuestion", "Criterion",
           "Difficulty", "FieldCheck", "FieldType", "FillInQuestion", "Form", "FormField",
           "Grade", "Item", "MatchingQuestion", "MultipleChoiceQuestion", "NumericAnswer",
           "NumericQuestion", "OperationQuestion", "Option", "Outcome", "Pair", "Part",
           "PublicCase", "PublicChoice", "PublicField", "PublicFillIn", "PublicMatching",
           "PublicMultipleChoice", "PublicNumeric", "PublicOperation", "PublicQuestion",
           "PublicShortAnswer", "QuestionDef", "QuestionKind", "Rule", "Scoring", "Section",
           "ShortAnswerQuestion", "TrueFalseQuestion", "answer_from_form", "clean_question",
           "get_kind", "grade", "grade_manually", "grading_sections", "input_name", "load",
           "parse_datetime", "parse_number", "parts_of", "passes", "public_view", "register",
           "rubric", "sub_prefix"]
