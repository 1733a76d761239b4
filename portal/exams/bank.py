"""Question-bank files (YAML): read with every problem by file and line, and written back.

Pure: bytes in, typed definitions out (`kinds.QuestionDef`; `to_data()` for storage). A
bank is all or nothing: `load_bank` returns a Bank only when the file has no problem at all.
The format is documented in docs/question-bank-format.md. Hostile files are refused safely: a size limit, no YAML aliases, anchors or tags (so no
alias bombs and no arbitrary objects), invalid UTF-8 reported with its position.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

from portal.content.loader import KEY_RE, LineLoader, Problem
from portal.content.parse_errors import yaml_problem
from portal.exams.kinds import QuestionDef, clean_question
from portal.exams.validation import Report, check_fields, items, text
from portal.messages import N_, msg

MAX_BANK_BYTES = 1024 * 1024
MAX_QUESTIONS = 500
MAX_PROBLEMS = 100  # listed per file; the rest are counted
BANK_FIELDS = ("key", "title", "description", "questions")
# Words the trainers' bank pages use in their addresses (/banks/import, /banks/preview).
RESERVED_KEYS = frozenset({"import", "preview"})
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    line: int | None
    definition: QuestionDef  # typed; `definition.to_data()` is what the database stores

    @property
    def points(self) -> float:
        return self.definition.points

    @property
    def difficulty(self) -> str:
        return str(self.definition.difficulty)

    @property
    def tags(self) -> list[str]:
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

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "title": self.title}
        if self.description:
            data["description"] = self.description
        data["questions"] = [q.definition.to_data() for q in self.questions]
        return data

    @property
    def content_hash(self) -> str:
        """Changes exactly when the bank's content does (not its layout or comments)."""
        canonical = json.dumps(self.as_data(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

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


def capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS problems, then one line saying how many more there are."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [Problem(problems[MAX_PROBLEMS].path, None, msg(
        N_("另有 %(count)d 处问题未列出，请先改正上面这些"), count=more))]


# --- reading --------------------------------------------------------------------------


def decode_utf8(data: bytes, path: str, problems: list[Problem], *, limit: int) -> str | None:
    """The text of a file, or None with a problem (too big, or not UTF-8: where exactly)."""
    if len(data) > limit:
        problems.append(Problem(path, None, msg(N_("文件超过 %(kb)d KB 上限"), kb=limit // 1024)))
        return None
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        position = exc.start + (len(data) - len(body))
        line = data[:position].count(b"\n") + 1
        problems.append(Problem(path, line, msg(
            N_("不是有效的 UTF-8 编码（文件的第 %(pos)d 个字节）"),
            line=line, pos=position + 1)))
        return None


MAX_DEPTH = 40  # nesting of lists and mappings; a real bank needs about 8
MAX_EVENTS = 200_000  # YAML nodes; a bank of 500 questions has about 40 000


def _without_timestamps(resolvers: dict[Any, Any]) -> dict[Any, Any]:
    return {first: [(tag, pattern) for tag, pattern in entries if tag != _TIMESTAMP]
            for first, entries in resolvers.items()}


class _PyBankLoader(LineLoader):
    """The content loader's line-recording safe loader; dates stay text (a bank holds
    JSON-able data only)."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = _without_timestamps(
        LineLoader.yaml_implicit_resolvers)


try:
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None

if CParser is not None:
    class _CBankLoader(CParser, _PyBankLoader):  # type: ignore[misc]
        """The same, parsed by libyaml (about fifteen times faster)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _BankLoader: type = _CBankLoader
else:  # pragma: no cover
    _BankLoader = _PyBankLoader


class _Refused(Exception):
    def __init__(self, text: str, mark: Any, **params: Any) -> None:
        super().__init__(text)
        self.text = text
        self.line = mark.line + 1 if mark is not None else None
        self.params = params


def _screen(text_: str) -> None:
    """Walk the YAML events before building anything: refuse aliases, anchors and tags
    (so no alias bomb expands and no object is built), and stop early on nesting or size
    that no bank needs (libyaml slows down on deep nesting, the builder recurses)."""
    depth = 0
    for events, event in enumerate(yaml.parse(text_, Loader=_BankLoader), 1):
        if events > MAX_EVENTS:
            raise _Refused(N_("题库文件内容过多（超过 %(count)d 个值）"), event.start_mark,
                           count=MAX_EVENTS)
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(N_("题库文件不允许使用 YAML 别名（*%(name)s）"), event.start_mark,
                           name=event.anchor)
        if getattr(event, "anchor", None) is not None:
            raise _Refused(N_("题库文件不允许使用 YAML 锚点（&%(name)s）"), event.start_mark,
                           name=event.anchor)
        if getattr(event, "tag", None) is not None:
            raise _Refused(N_("题库文件不允许使用 YAML 标签（%(tag)s）；文字请加引号"),
                           event.start_mark, tag=event.tag)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(N_("YAML 嵌套层次过深（最多 %(depth)d 层）"), event.start_mark,
                               depth=MAX_DEPTH)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse_yaml(text_: str, path: str, problems: list[Problem]) -> Any:
    try:
        _screen(text_)
        return yaml.load(text_, Loader=_BankLoader)  # a SafeLoader subclass
    except _Refused as exc:
        problems.append(Problem(path, exc.line, msg(exc.text, **exc.params)))
    except yaml.YAMLError as exc:  # PyYAML's English reason, said in Chinese with its line
        line, message = yaml_problem(exc, text_)
        problems.append(Problem(path, line, message))
    except RecursionError:  # pragma: no cover - the depth limit comes first
        problems.append(Problem(path, None, msg(N_("YAML 嵌套层次过深"))))
    except ValueError:  # an integer too long to convert, for one
        problems.append(Problem(path, None, msg(N_("YAML 中有无法读取的数值"))))
    return None


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
        definition = clean_question(entry, report, parent=raw, key="questions")
        if definition is None:
            continue
        line = report.where(entry)
        if definition.id in seen:
            first = seen[definition.id]
            report.add(entry, "id", N_("题目 id %(id)s 重复（第一次出现在第 %(line)s 行）"),
                       id=definition.id, line=first if first is not None else "?")
            continue
        seen[definition.id] = line
        questions.append(Question(definition.id, definition.kind, line, definition))
    if report.count() > start:
        return None
    return Bank(key=key, title=title, path=report.path, questions=tuple(questions),
                description=description)


def load_bank(data: bytes, path: str) -> tuple[Bank | None, list[Problem]]:
    """Read one bank file; the bank only when there is no problem at all."""
    problems: list[Problem] = []
    text_ = decode_utf8(data, path, problems, limit=MAX_BANK_BYTES)
    if text_ is None:
        return None, problems
    raw = parse_yaml(text_, path, problems)
    if problems:
        return None, problems
    report = Report(path, problems, line=1)
    bank = build_bank(raw, report)
    return (bank if not problems else None), capped(problems)


def load_banks(files: Iterable[tuple[str, bytes]]) -> tuple[list[Bank], list[Problem]]:
    """Several bank files at once (a folder, an upload): every problem of every file; bank
    keys unique across files; no bank at all unless everything is valid."""
    banks: list[Bank] = []
    problems: list[Problem] = []
    keys: dict[str, str] = {}
    for path, data in files:
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
