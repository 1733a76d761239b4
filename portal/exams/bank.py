"""Question-bank files (YAML): read with every problem by file and line, and written back.

Pure: bytes in, typed definitions out (`kinds.QuestionDef`; `to_data()` for storage). A
bank is all or nothing: `load_bank` returns a Bank only when the file has no problem at all.
The format is documented in docs/question-bank-format.md. Hostile files are refused safely
by portal/content/safe_yaml.py, with the limits a bank needs.
"""
from __future__ import annotations

import hashlib
import json
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from portal.content import safe_yaml
from portal.content.gc_pause import cyclic_gc_paused
from portal.content.loader import KEY_RE
from portal.content.problems import Problem, capped
from portal.content.safe_yaml import decode_utf8
from portal.exams.kinds import QuestionDef
from portal.exams.kinds import load as load_question
from portal.exams.kinds.base import clean_data
from portal.exams.validation import Report, check_fields, items, text
from portal.messages import N_, msg

MAX_BANK_BYTES = 1024 * 1024
MAX_QUESTIONS = 500
BANK_FIELDS = ("key", "title", "description", "questions")
# Words the trainers' bank pages use in their addresses (/banks/import, /banks/preview).
RESERVED_KEYS = frozenset({"import", "preview"})


_canonical_encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def canonical_json(data: Any) -> str:
    """JSON-able data as text in a canonical form (sorted keys, Chinese as is); what
    `json.dumps(data, ensure_ascii=False, sort_keys=True)` gives."""
    return _canonical_encoder.encode(data)


def data_hash(data: Any) -> str:
    """SHA-256 of JSON-able data in a canonical form (sorted keys, Chinese as is)."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# --- recognising a file imported before, without reading it ----------------------------
#
# A bank file's `file_hash` is the SHA-256 of its bytes and of everything that decides what
# reading them gives: the source of the reader and validator (every module of portal.exams
# and portal.content, and the portal modules they import: tests/exams/test_import_known_files.py
# checks that list), PyYAML's and libyaml's versions and Python's
# Unicode tables. The same bytes read by the same code give the same bank, so a bank stored
# with this hash (and written since only by an import of that very file) is what importing
# the file again would make of it. Any change of the code gives every file a new hash: the
# first import after an upgrade reads every file in full, once.

_READER_PACKAGES = ("exams", "content")
_READER_MODULES = ("messages.py", "config.py", "errors.py", "__init__.py")


@cache
def reader_fingerprint() -> bytes:
    """What, besides a file's bytes, decides the bank read from them (computed once)."""
    portal_root = Path(__file__).resolve().parent.parent
    sources = sorted(p for package in _READER_PACKAGES
                     for p in (portal_root / package).rglob("*.py"))
    sources += [portal_root / name for name in _READER_MODULES]
    digest = hashlib.sha256()
    libyaml = getattr(getattr(yaml, "_yaml", None), "get_version_string", lambda: "")()
    digest.update(f"{yaml.__version__}|{libyaml}|{unicodedata.unidata_version}|"
                  f"{sys.version_info[:2]}|{MAX_BANK_BYTES}|{MAX_QUESTIONS}\n".encode())
    for source in sources:
        digest.update(str(source.relative_to(portal_root)).encode() + b"\0")
        digest.update(hashlib.sha256(source.read_bytes()).digest())
    return digest.digest()


def file_hash(data: bytes) -> str:
    """The hash a bank file's bytes are recognised by (see above); the path is not in it."""
    return hashlib.sha256(reader_fingerprint() + data).hexdigest()


@dataclass(frozen=True, eq=False)
class Question:
    """A question of a bank file. Built from its typed definition, or from the canonical
    data validation made (`clean_data` gives exactly what `to_data()` would): then the
    definition is loaded only when first asked for, and the data is not built again."""

    id: str
    kind: str
    line: int | None
    given: QuestionDef | None = field(default=None, repr=False)  # see `definition`
    canonical: dict[str, Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.given is None and self.canonical is None:
            raise ValueError("a bank question needs its definition or its canonical data")

    @cached_property
    def definition(self) -> QuestionDef:
        """Typed; `definition.to_data()` is what the database stores."""
        if self.given is not None:
            return self.given
        assert self.canonical is not None
        return load_question(self.canonical)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Question):
            return NotImplemented
        return ((self.id, self.kind, self.line, self.definition)
                == (other.id, other.kind, other.line, other.definition))

    def __hash__(self) -> int:
        return hash((self.id, self.kind, self.line))

    @cached_property
    def data(self) -> dict[str, Any]:
        """`definition.to_data()`, built once: what an import stores (do not change it)."""
        if self.canonical is not None:
            return self.canonical
        return self.definition.to_data()

    @cached_property
    def json(self) -> str:
        """`data` as canonical JSON text (sorted keys, Chinese as is), serialised once: what
        `content_hash` hashes and what an import stores."""
        return canonical_json(self.data)

    @cached_property
    def content_hash(self) -> str:
        """The hash of `data` (`data_hash`), computed once: a question version's
        `content_hash`."""
        return hashlib.sha256(self.json.encode("utf-8")).hexdigest()

    @property
    def points(self) -> float:
        if self.canonical is not None:
            return self.canonical["points"]  # what the definition would say
        return self.definition.points

    @property
    def difficulty(self) -> str:
        if self.canonical is not None:
            return str(self.canonical["difficulty"])
        return str(self.definition.difficulty)

    @property
    def tags(self) -> list[str]:
        if self.canonical is not None:
            return list(self.canonical["tags"])
        return list(self.definition.tags)

    @property
    def explanation(self) -> str:
        return self.definition.explanation


@dataclass(frozen=True)
class Bank:
    key: str
    title: str
    path: str
    questions: tuple[Question, ...]
    description: str = ""
    # `file_hash` of the bytes it was read from; "" when it was not read from a bank file as
    # it is (built by an importer or an editor): such a bank is never recognised by its file.
    file_hash: str = field(default="", compare=False)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "title": self.title}
        if self.description:
            data["description"] = self.description
        data["questions"] = [q.definition.to_data() for q in self.questions]
        return data

    @cached_property
    def content_hash(self) -> str:
        """Changes exactly when the bank's content does (not its layout or comments): its
        key, title, description and each question's hash in order, so no question is
        serialised again for it."""
        return data_hash({"key": self.key, "title": self.title, "description": self.description,
                          "questions": [q.content_hash for q in self.questions]})

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)


@dataclass(frozen=True)
class ImportResult:
    """An imported bank (None when any problem was found) and remarks that block nothing."""

    bank: Bank | None
    problems: list[Problem]
    notices: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        object.__setattr__(self, "problems", capped(self.problems))
        object.__setattr__(self, "notices", capped(self.notices))


# --- reading --------------------------------------------------------------------------


MAX_DEPTH = 40  # nesting of lists and mappings; a real bank needs about 8
MAX_EVENTS = 200_000  # YAML nodes; a bank of 500 questions has about 40 000


def parse_yaml(text_: str, path: str, problems: list[Problem]) -> Any:
    return safe_yaml.parse(text_, path, problems, max_depth=MAX_DEPTH, max_events=MAX_EVENTS)


def build_bank(raw: Any, report: Report) -> Bank | None:
    """Check a whole bank (as read from YAML or built by an importer); all or nothing."""
    if not isinstance(raw, dict):
        report.add(None, None, N_("题库文件应为“字段: 值”的形式（key、title、questions）"))
        return None
    start = report.count()
    check_fields(report, raw, BANK_FIELDS)
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        report.add(raw, "key", N_("题库 key 应为小写字母、数字和连字符（最长 64 个字符）"))
        key = ""
    elif key in RESERVED_KEYS:
        report.add(raw, "key", N_("题库 key 不能是 %(key)s（门户页面的保留字）"), key=key)
        key = ""
    title = text(report, raw, "title", limit=200)
    description = text(report, raw, "description", required=False)
    questions: list[Question] = []
    seen: dict[str, int | None] = {}
    for entry in items(report, raw, "questions", low=1, high=MAX_QUESTIONS):
        data = clean_data(entry, report, parent=raw, key="questions")
        if data is None:
            continue
        line = report.where(entry)
        qid = data["id"]
        if qid in seen:
            first = seen[qid]
            report.add(entry, "id", N_("题目 id %(id)s 重复（第一次出现在第 %(line)s 行）"),
                       id=qid, line=first if first is not None else "?")
            continue
        seen[qid] = line
        questions.append(Question(qid, data["kind"], line, canonical=data))
    if report.count() > start:
        return None
    return Bank(key=key, title=title, path=report.path, questions=tuple(questions),
                description=description)


def load_bank(data: bytes, path: str) -> tuple[Bank | None, list[Problem]]:
    """Read one bank file; the bank only when there is no problem at all."""
    with cyclic_gc_paused():  # a tree of plain data: nothing for the collector to find
        return _load_bank(data, path)


def _load_bank(data: bytes, path: str) -> tuple[Bank | None, list[Problem]]:
    problems: list[Problem] = []
    text_ = decode_utf8(data, path, problems, limit=MAX_BANK_BYTES)
    if text_ is None:
        return None, problems
    raw = parse_yaml(text_, path, problems)
    if problems:
        return None, problems
    report = Report(path, problems, line=1)
    bank = build_bank(raw, report)
    if bank is None or problems:
        return None, capped(problems)
    return replace(bank, file_hash=file_hash(data)), []


def load_banks(files: Iterable[tuple[str, bytes]], *, known: Mapping[str, str] | None = None,
               ) -> tuple[list[Bank], list[Problem]]:
    """Several bank files at once (a folder, an upload): every problem of every file; bank
    keys unique across files; no bank at all unless everything is valid.

    `known`: path -> bank key of files recognised by their `file_hash` as imported exactly
    as they are (`services.known_bank_files`); they are not read again and give no Bank, but
    their keys still count in the check that keys are unique."""
    banks: list[Bank] = []
    problems: list[Problem] = []
    keys: dict[str, str] = {}
    known = known or {}
    files = list(files)
    for path, _ in files:
        if path in known:
            keys.setdefault(known[path], path)
    for path, data in files:
        if path in known:
            continue
        bank, found = load_bank(data, path)  # capped per file
        problems.extend(found)
        if bank is None:
            continue
        if bank.key in keys:
            problems.append(Problem(path, 1, msg(N_("题库 key %(key)s 与 %(other)s 重复"),
                                                 key=bank.key, other=keys[bank.key])))
        keys[bank.key] = path
        banks.append(bank)
    return ([] if problems else banks), problems


# --- writing --------------------------------------------------------------------------


class _BankDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # the loader refuses aliases, so never write any


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_BankDumper.add_representer(str, _represent_str)


def dump_bank(bank: Bank) -> str:
    """The bank as YAML in this portal's format; `load_bank` reads it back to the same bank."""
    header = f"# {bank.title}\n"
    if "\n" in bank.title:
        header = ""
    return header + yaml.dump(bank.as_data(), Dumper=_BankDumper, allow_unicode=True,
                              sort_keys=False, width=100, default_flow_style=False)
