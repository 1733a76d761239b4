"""The form-based question editor's two sides that every kind shares: reading a submitted
editor form into the data a question file would hold (`EditorInput`), and naming the
form's fields for the kinds' editor macros (`EditorView`).

A kind reads its own fields (`QuestionKind.from_editor`) and renders them (the `editor`
macro of `exams/kinds/<kind>.html`); the data read here goes through the kind's own
validation exactly as a file's would. Every mapping read carries `__line__`/`__lines__`
like the YAML reader's, but the "lines" are numbers of form fields (`EditorInput.fields`),
so each problem the validation reports can be shown on the field it is about.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal.content.loader import ROLES
from portal.exams.kinds.base import KINDS, TAG_RE, Form, form_text
from portal.exams.normalize import normalize_number_text

PREFIX = "q."  # every field of the question editor: never clashes with the page's own
MAX_ROWS = 50  # rows of one list read back (the kinds' own limits are lower)
WHOLE = "q.all"  # the field "line" of problems about the question as a whole
_SPLIT_RE = re.compile(r"[,，、;；\n]+")
_NUMBER_RE = re.compile(r"^[+-]?(\d{1,15}(\.\d{0,12})?|\.\d{1,12})([eE][+-]?\d{1,3})?$")

Reader = Callable[[str], Any]


def field_id(name: str) -> str:
    """The HTML id of an editor field (ids may not hold the dots names use)."""
    return "ed-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


@dataclass
class EditorInput:
    """A submitted editor form, read below `prefix`; `fields` numbers the fields read (the
    "line" of field n is `fields[n - 1]`), shared with the inputs of sub-questions."""

    form: Form
    prefix: str = PREFIX
    fields: list[str] = field(default_factory=lambda: [WHOLE])

    def name(self, *parts: Any) -> str:
        return self.prefix + "-".join(str(p) for p in parts)

    def sub(self, *parts: Any) -> EditorInput:
        """The input of a sub-question's fields (a case's), numbering into the same list."""
        return EditorInput(self.form, f"{self.name(*parts)}.", self.fields)

    def line(self, name: str) -> int:
        self.fields.append(name)
        return len(self.fields)

    # --- readers: each takes a field's full name ---

    def text(self, name: str) -> str:
        return form_text(self.form, name).replace("\r\n", "\n").replace("\r", "\n")

    def flag(self, name: str) -> bool:
        return form_text(self.form, name) in ("1", "on", "true", "yes")

    def number(self, name: str) -> Any:
        """A typed number as int or float; "" when empty; the text itself when it is not a
        number, so that the kind's validation says what it should be."""
        typed = normalize_number_text(form_text(self.form, name)).strip()
        if not typed:
            return ""
        if not _NUMBER_RE.match(typed):
            return typed
        value = float(typed)
        return int(value) if value.is_integer() and abs(value) < 1e15 else value

    def lines_of(self, name: str) -> list[str]:
        """A textarea of one value per line (commas are part of a value)."""
        return [v.strip() for v in self.text(name).split("\n") if v.strip()]

    def words(self, name: str) -> list[str]:
        """Values separated by commas, 、 or line breaks."""
        return [v.strip() for v in _SPLIT_RE.split(self.text(name)) if v.strip()]

    def rows(self, *parts: Any) -> int:
        """How many rows of a list the form rendered (its hidden `…-rows` field)."""
        typed = form_text(self.form, self.name(*parts, "rows"))
        return min(int(typed), MAX_ROWS) if typed.isdigit() else 0

    def record(self, *row: Any, **readers: Reader) -> dict[str, Any]:
        """A mapping of the fields `row-<key>` (or `<key>` for the question itself), read each
        by its reader; empty values left out, as an author leaves a field out of a file."""
        node: dict[str, Any] = {"__line__": self.line(self.name(*row, "row") if row
                                                      else self.name("all")),
                                "__lines__": {}}
        return self.put(node, *row, **readers)

    def put(self, node: dict[str, Any], *row: Any, **readers: Reader) -> dict[str, Any]:
        """`node` with the fields `row-<key>` added (see `record`)."""
        for key, read in readers.items():
            name = self.name(*row, key)
            node["__lines__"][key] = self.line(name)
            value = read(name)
            if value not in ("", None, []):
                node[key] = value
        return node

    def put_list(self, node: dict[str, Any], key: str, read: Callable[[int], dict[str, Any]],
                 *parts: Any) -> None:
        """`node[key]`: rows 1…n of the list `parts` (n from the form's `…-rows` field), each
        read by `read(index)`; empty rows kept (the form shows them again; `pruned` drops
        them before validation)."""
        parts = parts or (key,)
        node["__lines__"][key] = self.line(self.name(*parts))
        node[key] = [read(index) for index in range(1, self.rows(*parts) + 1)]

    def where(self, line: int | None) -> str:
        """The field a problem's "line" names (the whole question when none)."""
        if line is None or not 1 <= line <= len(self.fields):
            return WHOLE
        return self.fields[line - 1]


# Fields a row always has a value in (a select's default, a kept key): not typed by anyone.
PRESET = ("kind", "key", "type", "name")


def is_blank(value: Any) -> bool:
    """A row left empty (nothing typed, nothing ticked): dropped before validation."""
    if isinstance(value, Mapping):
        return all(is_blank(v) for k, v in value.items()
                   if not str(k).startswith("__") and k not in PRESET)
    if isinstance(value, list | tuple):
        return all(is_blank(v) for v in value)
    return value in ("", None, False)


def pruned(data: Any) -> Any:
    """The data without its empty rows (what the kind's validation reads)."""
    if isinstance(data, dict):
        return {k: pruned(v) for k, v in data.items()}
    if isinstance(data, list):
        return [pruned(v) for v in data if not (isinstance(v, dict) and is_blank(v))]
    return data


# --- tags as three fields -----------------------------------------------------------------


@dataclass(frozen=True)
class TagFields:
    """A question's tags as the editor shows them: a stage, a role and topics."""

    stage: str = ""
    role: str = ""
    topics: tuple[str, ...] = ()
    other: tuple[str, ...] = ()  # tags the three fields cannot hold (a second stage …)

    @classmethod
    def of(cls, tags: Sequence[str]) -> TagFields:
        stage = role = ""
        topics: list[str] = []
        other: list[str] = []
        for tag in tags:
            match = TAG_RE.match(tag) if isinstance(tag, str) else None
            prefix, value = (match["prefix"], match["value"]) if match else ("", "")
            if prefix == "stage" and not stage:
                stage = value
            elif prefix == "role" and not role:
                role = value
            elif prefix == "topic":
                topics.append(value)
            else:
                other.append(str(tag))
        return cls(stage, role, tuple(topics), tuple(other))

    def tags(self) -> list[str]:
        tags = [f"stage:{self.stage}"] if self.stage else []
        tags += [f"topic:{t}" for t in self.topics]
        tags += [f"role:{self.role}"] if self.role else []
        return tags + list(self.other)


# --- reading the whole question -------------------------------------------------------------


def read_question(form: Form, *, kind: str, fields: list[str] | None = None,
                  prefix: str = PREFIX) -> tuple[dict[str, Any], EditorInput]:
    """The question a submitted editor form holds, as a file would hold it (empty rows
    kept: see `pruned`), and the input that numbered its fields."""
    inp = EditorInput(form, prefix, fields if fields is not None else [WHOLE])
    data = _common(inp, kind, within_case=False)
    return data, inp


def read_part(inp: EditorInput, *, kind: str) -> dict[str, Any]:
    """A case's sub-question (only the fields a sub-question has)."""
    return _common(inp, kind, within_case=True)


def _common(inp: EditorInput, kind_name: str, *, within_case: bool) -> dict[str, Any]:
    kind = KINDS[kind_name]
    readers: dict[str, Reader] = {"id": inp.text, "prompt": inp.text}
    if not kind.derives_points:
        readers["points"] = inp.number
    if not within_case:
        readers |= {"title": inp.text, "category": _category(inp),
                    "difficulty": inp.text, "tags": _tags(inp)}
    readers["explanation"] = inp.text
    data = inp.record(**readers)
    data["kind"] = kind.name
    kind.from_editor(inp, data)
    return data


def _category(inp: EditorInput) -> Reader:
    def read(name: str) -> list[str]:
        return [level.strip() for level in inp.text(name).split("/") if level.strip()]
    return read


def _tags(inp: EditorInput) -> Reader:
    def read(name: str) -> list[str]:
        role = form_text(inp.form, f"{name}-role")
        return TagFields(stage=form_text(inp.form, f"{name}-stage").strip(),
                         role=role if role in ROLES else role.strip(),
                         topics=tuple(inp.words(f"{name}-topics")),
                         other=tuple(inp.words(f"{name}-other"))).tags()
    return read


# --- what the kinds' editor macros are given ------------------------------------------------


@dataclass(frozen=True)
class EditorView:
    """The names, ids and errors of an editor's fields below `prefix`, for the macros.

    `errors`: field name -> messages (already in the reader's language); `adding`: the
    name of the list a row was asked for (it gets one more empty row).
    """

    prefix: str = PREFIX
    errors: Mapping[str, Sequence[str]] = field(default_factory=dict)
    adding: str = ""
    action: str = ""  # where the form posts (the add-a-row buttons post there too)

    def name(self, *parts: Any) -> str:
        return self.prefix + "-".join(str(p) for p in parts)

    def id(self, *parts: Any) -> str:
        return field_id(self.name(*parts))

    def errors_of(self, *parts: Any) -> Sequence[str]:
        return self.errors.get(self.name(*parts), ())

    def sub(self, *parts: Any) -> EditorView:
        return EditorView(f"{self.name(*parts)}.", self.errors, self.adding, self.action)

    def rows(self, entries: Any, *parts: Any, minimum: int = 1) -> list[Any]:
        """The rows a list shows: its entries, padded with empty ones to `minimum`, and one
        more when the trainer asked for it."""
        shown = list(entries) if isinstance(entries, list | tuple) else []
        shown += [{} for _ in range(max(0, minimum - len(shown)))]
        if self.adding == self.name(*parts) and len(shown) < MAX_ROWS:
            shown.append({})
        return shown
