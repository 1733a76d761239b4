"""The interface every question kind implements, the registry, and what kinds share.

A kind is one module of this package (choice.py, text.py …) and owns every face of its
questions: it checks its part of a definition (`validate`), grades an answer
(`grade(question, answer) -> Grade`), strips a question down to what a trainee may see
(`public_view`), reads an answer back from a submitted form (`answer_from_form`), names
the template holding its input, answer, key and review macros (`template`), and maps
itself to and from GIFT and Moodle XML (`from_gift`, `to_gift`, `from_moodle_xml`).
A question travels as a typed definition: a frozen dataclass of the kind's own (a
`QuestionDef` with the fields every question has), built once from validated data by
`load(data)` where the JSON column and the file readers sit, and turned back into JSON-able
data only for storage and export (`to_data()`). What a trainee sees is a `PublicQuestion`
of the kind's own. Answers stay the JSON values the browser sends; nothing here knows
about the web. Adding a kind is adding one module with its dataclasses and a class
decorated with `@register`, and its template `exams/kinds/<name>.html`.
"""
from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, get_args, get_origin

from portal.content.loader import KEY_RE, ROLES
from portal.exams.categories import clean_labels
from portal.exams.errors import ManualScoreInvalid, UnknownKind
from portal.exams.normalize import normalize_answer
from portal.exams.validation import (
    MAX_TEXT,
    Report,
    check_fields,
    choice,
    items,
    number,
    scalar_text,
    text,
    tidy,
)
from portal.exams.warning_codes import CODES as WARNING_CODES
from portal.exams.warning_codes import WarningCode
from portal.messages import N_, Message, msg


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class Scoring(StrEnum):
    """How a question of several parts (choices, pairs) turns them into points."""

    ALL_OR_NOTHING = "all-or-nothing"
    PROPORTIONAL = "proportional"
    WEIGHTED = "weighted"


DIFFICULTIES = tuple(d.value for d in Difficulty)
TAG_PREFIXES = ("stage", "topic", "role")
TAG_RE = re.compile(r"^(?P<prefix>[a-z]+):(?P<value>\S{1,40})$")
COMMON_FIELDS = ("id", "kind", "title", "category", "prompt", "points", "difficulty", "tags",
                 "explanation", "acknowledged")
ACKNOWLEDGEMENT_FIELDS = ("warning", "reason")
MAX_ACKNOWLEDGEMENTS = len(WARNING_CODES)
MAX_REASON = 500
CASE_PART_FIELDS = ("id", "kind", "prompt", "points", "explanation")
MAX_POINTS = 1000
MAX_CHOICES = 26
MAX_ANSWERS = 50
MAX_BLANKS = 20
MAX_PAIRS = 30
MAX_CRITERIA = 20
MAX_CASE_PARTS = 20
MAX_FORM_FIELDS = 30
MAX_OPTIONS = 50
MAX_ANSWER_CHARS = 20_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"
CHOICE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
BLANK_RE = re.compile(r"\[\[(\d{1,3})\]\]")
NUMBER_RE = re.compile(r"[+-]?(\d{1,15}(\.\d{0,12})?|\.\d{1,12})([eE][+-]?\d{1,3})?")
PERCENT_RE = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,6})?)\s*%\s*$")
MAX_REGEX_INPUT = 300


# --- typed definitions ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Acknowledgement:
    """A trainer's word that one lint warning on this question is intended, and why."""

    warning: WarningCode
    reason: str

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Acknowledgement:
        return cls(warning=WarningCode(data["warning"]), reason=data["reason"])

    def to_data(self) -> dict[str, Any]:
        return {"warning": self.warning.value, "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class QuestionDef:
    """The fields every question has; each kind's definition adds its own.

    A case's sub-question has no difficulty, tags, title or category (`difficulty` None).
    Build one with `load(data)`; `to_data()` gives back exactly the canonical data.
    """

    id: str
    kind: str
    prompt: str = ""
    points: float
    difficulty: Difficulty | None = None
    tags: tuple[str, ...] = ()
    title: str = ""
    category: tuple[str, ...] = ()
    explanation: str = ""
    # Lint warnings a trainer accepted for this question (never on a case's sub-question).
    acknowledged: tuple[Acknowledgement, ...] = ()

    # The kind's fields that hold typed items: field name -> the items' type (with
    # `from_data` and `to_data`); they load and dump without code of the kind's own.
    item_lists: ClassVar[dict[str, Any]] = {}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        difficulty = data.get("difficulty")
        return cls(id=data["id"], kind=data["kind"], prompt=data.get("prompt", ""),
                   points=data["points"],
                   difficulty=Difficulty(difficulty) if difficulty is not None else None,
                   tags=tuple(data.get("tags", ())), title=data.get("title", ""),
                   category=tuple(data.get("category", ())),
                   explanation=data.get("explanation", ""),
                   acknowledged=tuple(Acknowledgement.from_data(a)
                                      for a in data.get("acknowledged", ())),
                   **cls.kind_fields(data))

    @classmethod
    def kind_fields(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The constructor arguments of the kind's own fields, from canonical data."""
        return {name: tuple(item.from_data(value) for value in data[name])
                for name, item in cls.item_lists.items()}

    def kind_data(self) -> dict[str, Any]:
        """The kind's own fields as canonical data."""
        return {name: [item.to_data() for item in getattr(self, name)]
                for name in self.item_lists}

    def to_data(self) -> dict[str, Any]:
        """The canonical JSON-able form: what the database stores and files export."""
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "prompt": self.prompt,
                                "points": self.points}
        if self.difficulty is not None:
            data["difficulty"] = self.difficulty.value
            data["tags"] = list(self.tags)
        if self.title:
            data["title"] = self.title
        if self.category:
            data["category"] = list(self.category)
        data.update(self.kind_data())
        if self.explanation:
            data["explanation"] = self.explanation
        if self.acknowledged:
            data["acknowledged"] = [a.to_data() for a in self.acknowledged]
        return data

    def acknowledgement(self, code: WarningCode) -> Acknowledgement | None:
        """The trainer's acknowledgement of warning `code` on this question, if any."""
        return next((a for a in self.acknowledged if a.warning == code), None)

    @property
    def summary_text(self) -> str:
        """The text a list of questions shows an excerpt of."""
        return self.prompt

    @property
    def option_keys(self) -> list[str]:
        """The keys of the options an attempt may shuffle (none but a choice question's)."""
        return []

    def in_order(self, keys: list[str]) -> Self:
        """The definition with its options in the order an attempt shuffled them, so that a
        review shows the letters the trainee saw (a kind without options is unchanged)."""
        return self


@dataclass(frozen=True, kw_only=True)
class PublicQuestion:
    """What a trainee may see of a question before submitting: never a key or an explanation."""

    id: str
    kind: str
    prompt: str
    points: float

    def to_data(self) -> dict[str, Any]:
        """As JSON-able data (for tests and checks; pages read the attributes)."""
        return _plain(self)  # type: ignore[no-any-return]

    def in_order(self, keys: list[str]) -> Self:
        """The view with its options in the order an attempt shuffled them (when it has any)."""
        return self


@dataclass(frozen=True)
class Item:
    """A keyed text a trainee picks or matches: a choice, a left item of a matching."""

    key: str
    text: str


@dataclass(frozen=True, kw_only=True)
class Criterion:
    """One line of a rubric a trainer scores."""

    criterion: str
    points: float
    guidance: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Criterion:
        return cls(criterion=data["criterion"], points=data["points"],
                   guidance=data.get("guidance", ""))

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"criterion": self.criterion, "points": self.points}
        if self.guidance:
            data["guidance"] = self.guidance
        return data


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


Q = TypeVar("Q", bound=QuestionDef)
P = TypeVar("P", bound=PublicQuestion)


@dataclass(frozen=True)
class Section:
    """What a grader sees side by side: one part's (sub-)question and its answer."""

    key: str  # "" for the question itself; a sub-question's id in a case
    question: QuestionDef
    answer: Any


# --- grades ---------------------------------------------------------------------------


class Outcome(StrEnum):
    """How a question or one of its parts came out, as a review shows it."""

    CORRECT = "correct"
    PARTIAL = "partial"  # some of the points: never shown as wrong
    WRONG = "wrong"
    PENDING = "pending"  # a trainer has not scored it yet

    @classmethod
    def of(cls, points: float | None, max_points: float, *, pending: bool = False) -> Outcome:
        if pending or points is None:
            return cls.PENDING
        if max_points > 0 and points >= max_points - 1e-9:
            return cls.CORRECT
        return cls.PARTIAL if points > 1e-9 else cls.WRONG


def parts_of(feedback: Any) -> tuple[Part, ...]:
    """The typed parts of a response's stored feedback (a JSON list of `Part.as_dict()`)."""
    if not isinstance(feedback, list):
        return ()
    return tuple(part for part in (Part.from_data(p) for p in feedback) if part is not None)


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


@dataclass(frozen=True)
class Part:
    """One graded part of an answer: a choice set, a blank, a pair, a form field, a criterion."""

    key: str
    points: float
    max_points: float
    correct: bool | None  # None: waits for a trainer
    feedback: str = ""  # the author's feedback for what was answered (content, not UI text)
    note: Message | None = None  # a remark of the grader itself ("未作答")

    @classmethod
    def from_data(cls, data: Any) -> Part | None:
        """A part as stored in `Response.feedback` (see `as_dict`); None for anything else
        (feedback written by an older version of the portal that is not a part)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("key"), str):
            return None
        note = data.get("note")
        return cls(key=data["key"], points=_number(data.get("points")),
                   max_points=_number(data.get("max_points")),
                   correct=data.get("correct") if isinstance(data.get("correct"), bool) else None,
                   feedback=str(data.get("feedback") or ""),
                   note=msg(str(note["text"]), **dict(note.get("params") or {}))
                   if isinstance(note, Mapping) and note.get("text") else None)

    @property
    def outcome(self) -> Outcome:
        return Outcome.of(self.points, self.max_points, pending=self.correct is None)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "points": self.points,
                                "max_points": self.max_points, "correct": self.correct}
        if self.feedback:
            data["feedback"] = self.feedback
        if self.note is not None:
            data["note"] = {"text": self.note.text, "params": dict(self.note.params)}
        return data


@dataclass(frozen=True)
class Grade:
    points: float
    max_points: float
    parts: tuple[Part, ...] = ()
    needs_manual: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"points": self.points, "max_points": self.max_points,
                "needs_manual": self.needs_manual, "parts": [p.as_dict() for p in self.parts]}


def _pts(value: float) -> float:
    return round(float(value) + 0.0, 2)


UNANSWERED = msg(N_("未作答"))


# --- the registry ---------------------------------------------------------------------


class QuestionKind(Generic[Q, P]):
    """The interface of a kind. Subclasses set the class attributes and override methods;
    `Q` is the kind's definition type, `P` its public view's."""

    name: ClassVar[str]
    label: ClassVar[str]  # N_ marked
    definition: ClassVar[type[QuestionDef]] = QuestionDef
    public_type: ClassVar[type[PublicQuestion]] = PublicQuestion
    fields: ClassVar[tuple[str, ...]] = ()  # kind-specific fields of a definition
    auto_graded: ClassVar[bool] = True
    derives_points: ClassVar[bool] = False  # points = sum of the parts' points
    prompt_required: ClassVar[bool] = True
    allowed_in_case: ClassVar[bool] = True
    answer_schema: ClassVar[dict[str, Any]] = {}
    moodle_qtypes: ClassVar[tuple[str, ...]] = ()  # the Moodle XML question types it reads
    gift_gap: ClassVar[str] = "_____"  # what marks the answer's place in a GIFT prompt

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """`class X(QuestionKind[XQuestion, PublicX])` sets `definition` and `public_type`."""
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            origin, args = get_origin(base), get_args(base)
            if isinstance(origin, type) and issubclass(origin, QuestionKind) and len(args) == 2:
                if isinstance(args[0], type):
                    cls.definition = args[0]
                if isinstance(args[1], type):
                    cls.public_type = args[1]

    @property
    def template(self) -> str:
        """The template with this kind's macros: input, answer, key, staff_key,
        reviewer_key and optionally prompt, intro, part_label."""
        return f"exams/kinds/{self.name}.html"

    def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any] | None:
        """Check the kind-specific fields of `raw` (a file's input); return them as
        canonical data.

        Problems go to `report` with their lines. The caller discards the result when the
        report grew.
        """
        raise NotImplementedError

    def derived_points(self, fields: dict[str, Any]) -> float | int:
        raise NotImplementedError

    def load(self, data: Mapping[str, Any]) -> Q:
        """The typed definition of canonical (validated) data."""
        return self.definition.from_data(data)  # type: ignore[return-value]

    def grade(self, question: Q, answer: Any) -> Grade:
        """Grade any JSON value as an answer; a malformed answer earns nothing, never raises."""
        raise NotImplementedError

    def grade_manually(self, question: Q, answer: Any, scores: Any) -> Grade:
        raise ManualScoreInvalid(N_("此题型自动评分，不需要人工评分"))

    def rubric(self, question: Q) -> tuple[Criterion, ...]:
        """The criteria a trainer scores (none for a kind graded automatically)."""
        return ()

    def public_fields(self, question: Q) -> dict[str, Any]:
        """The kind-specific fields a trainee may see before submitting (built, not copied),
        as arguments of `public_type`."""
        return {}

    def public_view(self, question: Q) -> P:
        return self.public_type(id=question.id, kind=question.kind,  # type: ignore[return-value]
                                prompt=question.prompt, points=question.points,
                                **self.public_fields(question))

    def answer_from_form(self, view: P, form: Form, prefix: str = "") -> Any:
        """The answer to `view`'s question held in `form`, whose fields are named by
        `input_name(prefix, …)` as the kind's input macro names them."""
        return None

    def from_editor(self, inp: Any, node: dict[str, Any]) -> None:
        """Add the kind's own fields, as a file would hold them, to `node` from the question
        editor's form (`inp`, an `editor.EditorInput`); the fields are the ones the kind's
        `editor` macro renders. The kind's `validate` checks the result."""
        raise NotImplementedError

    def grading_sections(self, question: Q, answer: Any) -> list[Section]:
        """What a grader sees side by side: (key, (sub-)question, its answer) per part."""
        return [Section("", question, answer)]

    # --- GIFT and Moodle XML (the readers and writers are passed in by gift.py and
    # moodle_xml.py, which own the syntax; a kind says what its questions become) ---

    def from_gift(self, raw: dict[str, Any], gift: Any) -> bool:
        """Fill `raw` from a GIFT answer block (see gift._Answers); False to drop it."""
        raise NotImplementedError  # gift._detect never picks a kind without a mapping

    def to_gift(self, question: Q, gift: Any) -> list[str] | None:
        """The lines of the GIFT answer block (see gift._Writer); None: not expressible."""
        gift.note(N_("题目 %(id)s：%(kind)s 题型无法用 GIFT 表达，未导出"))
        return None

    def gift_meta(self, question: Q) -> list[str]:
        """Extra `[name:value]` words of the GIFT comment line, beyond id, points, tags."""
        return []

    def from_moodle_xml(self, raw: dict[str, Any], element: Any, xml: Any) -> bool:
        """Fill `raw` from a Moodle XML <question> (see moodle_xml._Reader); False to drop."""
        raise NotImplementedError  # only kinds listing moodle_qtypes are asked


KINDS: dict[str, QuestionKind[Any, Any]] = {}


def register(cls: type[QuestionKind[Any, Any]]) -> type[QuestionKind[Any, Any]]:
    if cls.name in KINDS:
        raise ValueError(f"question kind {cls.name!r} registered twice")
    KINDS[cls.name] = cls()
    return cls


def get_kind(name: Any) -> QuestionKind[Any, Any]:
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise UnknownKind(name)
    return kind


def load(data: Mapping[str, Any]) -> QuestionDef:
    """The typed definition of a question's canonical data (as validated, as stored)."""
    return get_kind(data.get("kind")).load(data)


def grade(question: QuestionDef, answer: Any) -> Grade:
    return get_kind(question.kind).grade(question, answer)


def grade_manually(question: QuestionDef, answer: Any, scores: Any) -> Grade:
    """A trainer's rubric scores applied; raises ManualScoreInvalid when they do not fit."""
    return get_kind(question.kind).grade_manually(question, answer, scores)


def public_view(question: QuestionDef) -> PublicQuestion:
    """What a trainee may see of a question before submitting: never a key or an explanation."""
    return get_kind(question.kind).public_view(question)


def grading_sections(question: QuestionDef, answer: Any) -> list[Section]:
    return get_kind(question.kind).grading_sections(question, answer)


def rubric(question: QuestionDef) -> tuple[Criterion, ...]:
    return get_kind(question.kind).rubric(question)


# --- common fields --------------------------------------------------------------------


def clean_question(raw: Any, report: Report, *, parent: Any = None,
                   key: str | None = None) -> QuestionDef | None:
    """Check one question of a file (common fields, then its kind's); its typed definition,
    or None with the problems in `report`."""
    data = clean_data(raw, report, parent=parent, key=key)
    return load(data) if data is not None else None


def clean_data(raw: Any, report: Report, *, parent: Any = None, key: str | None = None,
               within_case: bool = False) -> dict[str, Any] | None:
    """Check one question (common fields, then its kind's); its canonical data or None."""
    if not isinstance(raw, dict):
        report.add(parent, key, N_("每道题应为“字段: 值”的形式"))
        return None
    start = report.count()
    qid = raw.get("id")
    if not isinstance(qid, str) or not KEY_RE.match(qid):
        report.add(raw, "id", N_("题目 id 应为小写字母、数字和连字符（最长 64 个字符），如 refund-01"))
        qid = ""
    kind_name = raw.get("kind")
    kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        report.add(raw, "kind", N_("未知的题型 %(kind)s（可用：%(allowed)s）"), kind=str(kind_name),
                   allowed=", ".join(KINDS))
        return None
    if within_case and not kind.allowed_in_case:
        report.add(raw, "kind", N_("案例题的小题不能是 %(kind)s"), kind=kind.name)
        return None
    common = CASE_PART_FIELDS if within_case else COMMON_FIELDS
    check_fields(report, raw, common + kind.fields)
    prompt = text(report, raw, "prompt", required=kind.prompt_required, limit=MAX_TEXT)
    points = number(report, raw, "points", low=0, high=MAX_POINTS, allow_low=False,
                    required=not kind.derives_points)
    question: dict[str, Any] = {"id": qid, "kind": kind.name, "prompt": prompt, "points": points}
    acknowledged: list[dict[str, Any]] = []
    if not within_case:
        question["difficulty"] = choice(report, raw, "difficulty", DIFFICULTIES, default="medium")
        question["tags"] = _tags(raw, report)
        question.update(clean_labels(raw, report))  # title and category path, when given
        acknowledged = _acknowledged(raw, report)
    fields = kind.validate(raw, report)
    explanation = text(report, raw, "explanation", required=False, limit=MAX_TEXT)
    if fields is None or report.count() > start:
        return None
    question.update(fields)
    if kind.derives_points:
        total = tidy(kind.derived_points(fields))
        if points is not None and abs(points - total) > 1e-6:
            report.add(raw, "points", N_("points（%(given)s）应等于各部分分值之和（%(total)s），也可以省略"),
                       given=points, total=total)
            return None
        question["points"] = total
    if explanation:
        question["explanation"] = explanation
    if acknowledged:
        question["acknowledged"] = acknowledged
    return question


def _acknowledged(raw: dict[str, Any], report: Report) -> list[dict[str, Any]]:
    """`acknowledged: [{warning: code, reason: 为什么}]`: each code once, each with a reason."""
    result: list[dict[str, Any]] = []
    for index, entry in _mappings(
            report, raw, "acknowledged", low=0, high=MAX_ACKNOWLEDGEMENTS,
            fields=ACKNOWLEDGEMENT_FIELDS,
            shape=N_("%(what)s 应为“字段: 值”的形式（warning、reason）"), required=False):
        code = entry.get("warning")
        if code not in WARNING_CODES:
            report.add(entry, "warning", N_("acknowledged[%(index)d] 的 warning 只能是 %(allowed)s 之一"),
                       index=index, allowed=", ".join(WARNING_CODES))
            continue
        reason = text(report, entry, "reason", limit=MAX_REASON)
        if any(a["warning"] == code for a in result):
            report.add(entry, "warning", N_("警告 %(code)s 已确认过一次"), code=code)
        elif reason:
            result.append({"warning": code, "reason": reason})
    return result


def _tags(raw: dict[str, Any], report: Report) -> list[str]:
    value = raw.get("tags", [])
    if not isinstance(value, list):
        report.add(raw, "tags", N_("tags 应为列表，如 [stage:basics, topic:发票, role:after-sales]"))
        return []
    tags: list[str] = []
    for tag in value:
        match = TAG_RE.match(tag) if isinstance(tag, str) else None
        if match is None or match["prefix"] not in TAG_PREFIXES:
            report.add(raw, "tags", N_("标签 %(tag)s 不合规：应为 stage:阶段key、topic:主题 或 role:岗位"),
                       tag=str(tag))
            continue
        if match["prefix"] == "stage" and not KEY_RE.match(match["value"]):
            report.add(raw, "tags", N_("标签 %(tag)s 不合规：阶段 key 只能用小写字母、数字和连字符"), tag=tag)
        elif match["prefix"] == "role" and match["value"] not in ROLES:
            report.add(raw, "tags", N_("标签 %(tag)s 不合规：岗位只能是 %(allowed)s"), tag=tag,
                       allowed=", ".join(ROLES))
        elif tag in tags:
            report.add(raw, "tags", N_("标签 %(tag)s 重复"), tag=tag)
        else:
            tags.append(tag)
    return tags


def _list_of_texts(report: Report, node: dict[str, Any], key: str, *, low: int, high: int,
                   required: bool = True) -> list[str]:
    values = items(report, node, key, low=low, high=high, required=required)
    result: list[str] = []
    seen: set[str] = set()  # the values kept, as `same_answer` compares them
    for index, value in enumerate(values, 1):
        item = scalar_text(report, value, node, key, what=f"{key}[{index}]")
        if not item:
            report.add(node, key, N_("%(name)s 不能为空"), name=f"{key}[{index}]")
            continue
        normalized = normalize_answer(item)
        if normalized in seen:
            report.add(node, key, N_("%(name)s 中有重复的值 %(value)s"), name=key, value=item)
        else:
            seen.add(normalized)
            result.append(item)
    return result


def _mappings(report: Report, node: dict[str, Any], key: str, *, low: int, high: int,
              fields: tuple[str, ...], shape: str,
              required: bool = True) -> Iterator[tuple[int, dict[str, Any]]]:
    """The entries of the list `node[key]` written as "field: value" mappings, numbered from
    1, their fields checked against `fields`; any other entry is reported with `shape`."""
    for index, entry in enumerate(items(report, node, key, low=low, high=high,
                                        required=required), 1):
        if not isinstance(entry, dict):
            report.add(node, key, shape, what=f"{key}[{index}]")
            continue
        check_fields(report, entry, fields)
        yield index, entry


def _answer_text(answer: Any, limit: int = MAX_ANSWER_CHARS) -> str:
    """An answer value as text: strings as they are, numbers as written, anything else empty."""
    if isinstance(answer, str):
        return answer[:limit]
    if isinstance(answer, int) and not isinstance(answer, bool) and abs(answer) < 10**15:
        return str(answer)
    if isinstance(answer, float) and math.isfinite(answer) and abs(answer) < 1e15:
        return repr(answer)
    return ""


# --- answers from a submitted form ----------------------------------------------------

MAX_FIELD_CHARS = 5000


class Form(Protocol):
    """A submitted form: a werkzeug MultiDict in the web layer, a dict of lists in tests."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


def input_name(prefix: str, part: str = "answer", key: Any = None) -> str:
    """The name of an answer's form field; the one place input macros and
    `answer_from_form` take them from ("answer", "blank-2", "match-1", "field-order_no")."""
    return f"{prefix}{part}" if key is None else f"{prefix}{part}-{key}"


def form_text(form: Form, name: str) -> str:
    return str(form.get(name, "") or "")[:MAX_FIELD_CHARS]


def answer_from_form(view: PublicQuestion, form: Form, prefix: str = "") -> Any:
    """The answer to `view`'s question held in `form`; None for a kind not known."""
    kind = KINDS.get(view.kind)
    return kind.answer_from_form(view, form, prefix) if kind is not None else None
