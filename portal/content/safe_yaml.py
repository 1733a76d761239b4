"""Reading untrusted content files (question banks, exams, chat scenarios, observation
forms, tracks and module front matter) safely.

Bytes in, plain data out, every refusal a Problem in Chinese with its line: a size limit,
invalid UTF-8 reported with its position, no YAML aliases, anchors or tags (so no alias
bombs and no arbitrary objects), bounded nesting and size, and dates kept as text (what
is read is JSON-able). Each kind of file sets its own limits.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

import yaml

from portal.content.parse_errors import yaml_problem
from portal.content.problems import Problem
from portal.messages import N_, msg

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping (for error reports)."""


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value
                            if isinstance(k, yaml.ScalarNode)}
    keys = Counter(k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode))
    duplicates = {k for k, n in keys.items() if n > 1}  # linear: a file may have many keys
    if duplicates:
        mapping["__duplicates__"] = sorted(duplicates)
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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


def _without_timestamps(resolvers: dict[Any, Any]) -> dict[Any, Any]:
    return {first: [(tag, pattern) for tag, pattern in entries if tag != _TIMESTAMP]
            for first, entries in resolvers.items()}


class _PyLoader(LineLoader):
    """The content loader's line-recording safe loader; dates stay text."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = _without_timestamps(
        LineLoader.yaml_implicit_resolvers)


try:
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None

if CParser is not None:
    class _CLoader(CParser, _PyLoader):  # type: ignore[misc]
        """The same, parsed by libyaml (about fifteen times faster)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _Loader: type = _CLoader
else:  # pragma: no cover
    _Loader = _PyLoader


class _Refused(Exception):
    def __init__(self, text: str, mark: Any, **params: Any) -> None:
        super().__init__(text)
        self.text = text
        self.line = mark.line + 1 if mark is not None else None
        self.params = params


def _check(event: Any, events: int, *, max_events: int) -> None:
    """Refuse aliases, anchors and tags (so no alias bomb expands and no object is built),
    and a file with more values than any needs."""
    if events > max_events:
        raise _Refused(N_("文件内容过多（超过 %(count)d 个值）"), event.start_mark,
                       count=max_events)
    if isinstance(event, yaml.AliasEvent):
        raise _Refused(N_("文件不允许使用 YAML 别名（*%(name)s），请把内容直接写出来"), event.start_mark,
                       name=event.anchor)
    if getattr(event, "anchor", None) is not None:
        raise _Refused(N_("文件不允许使用 YAML 锚点（&%(name)s）"), event.start_mark,
                       name=event.anchor)
    if getattr(event, "tag", None) is not None:
        raise _Refused(N_("文件不允许使用 YAML 标签（%(tag)s）；文字请加引号"),
                       event.start_mark, tag=event.tag)


def _too_deep(event: Any, max_depth: int) -> _Refused:
    return _Refused(N_("YAML 嵌套层次过深（最多 %(depth)d 层）"), event.start_mark,
                    depth=max_depth)


_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = frozenset({_STR, "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
                         "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


class _Unusual(Exception):
    """Something the one-pass builder leaves to PyYAML's own constructor (a merge key, a
    key that is a list or a mapping, several documents, a value it cannot convert).
    `depth`: the nesting where reading stopped, to screen the rest of the file."""

    def __init__(self, depth: int = 0) -> None:
        super().__init__(depth)
        self.depth = depth


def _plain_value(text: str, constructor: Any) -> Any:
    """The value of a plain (unquoted) scalar, resolved and built as the safe loader does."""
    resolvers = _PyLoader.yaml_implicit_resolvers
    tag = _STR
    for candidate, pattern in resolvers.get(text[:1] if text else "", []) + resolvers.get(None, []):
        if pattern.match(text):
            tag = candidate
            break
    if tag == _STR:
        return text
    if tag not in _PLAIN_TAGS:
        raise _Unusual
    try:
        return constructor.yaml_constructors[tag](constructor, yaml.ScalarNode(tag, text))
    except Exception as exc:  # an integer too long, for one: PyYAML's own path reports it
        raise _Unusual from exc


# The first characters some implicit resolver looks at (digits, signs, t/f/n/y/o, ~, ...);
# a plain scalar that starts with any other character is a string, without resolving
# (most of a bank's texts: Chinese). Only when no resolver applies to every text (None).
_RESOLVED_FIRST = frozenset(_PyLoader.yaml_implicit_resolvers)
_ALWAYS_RESOLVE = None in _RESOLVED_FIRST


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


# The builder's inline test for "a plain string, no resolving" (`value[:1] not in ...`);
# with a resolver for every text (None), no plain scalar passes it.
_EVERYTHING = _Everything()
_FAST_RESOLVED_FIRST: Any = _RESOLVED_FIRST if not _ALWAYS_RESOLVE else _EVERYTHING


class _Builder:
    """One pass over libyaml's events, by recursive descent: each mapping and list is built
    by the call that read its start, so a value needs no look at a stack of open ones."""

    def __init__(self, parser: Any, *, max_depth: int, max_events: int) -> None:
        self.get_event = parser.get_event
        self.max_depth = max_depth
        self.max_events = max_events
        self.events = 0
        self.constructor = yaml.constructor.SafeConstructor()
        self.plain: dict[str, Any] = {}  # a plain scalar's text -> its value (they repeat)

    def scalar(self, event: Any, depth: int) -> Any:
        if event.anchor is not None or event.tag is not None:
            _check(event, 0, max_events=self.max_events)
        value = event.value
        if event.implicit[0] and (_ALWAYS_RESOLVE or value[:1] in _RESOLVED_FIRST):
            try:
                return self.plain[value]
            except KeyError:
                try:
                    result = self.plain[value] = _plain_value(value, self.constructor)
                except _Unusual as exc:  # a merge key or value, for one
                    raise _Unusual(depth) from exc
                return result
        return value

    def opened(self, event: Any, depth: int) -> None:
        """Screen the start of a mapping or a list at `depth` (1: the root)."""
        _check(event, self.events, max_events=self.max_events)
        if depth > self.max_depth:
            raise _too_deep(event, self.max_depth)

    def node(self, event: Any, depth: int) -> Any:
        """The value that `event` starts, inside a collection at `depth` (0: the document)."""
        kind = type(event)
        if kind is _SCALAR:
            return self.scalar(event, depth)
        if kind is _MAPPING_START:
            return self.mapping(event, depth + 1)
        if kind is _SEQUENCE_START:
            return self.sequence(event, depth + 1)
        _check(event, self.events, max_events=self.max_events)  # an alias: refused
        raise _Unusual(depth)  # pragma: no cover - libyaml gives no other event here

    def mapping(self, start: Any, depth: int) -> dict[Any, Any]:
        if start.anchor is not None or start.tag is not None or depth > self.max_depth \
                or self.events > self.max_events:
            self.opened(start, depth)  # refused there (the usual start needs no call)
        get_event, scalar, max_events = self.get_event, self.scalar, self.max_events
        resolved_first = _FAST_RESOLVED_FIRST
        data: dict[Any, Any] = {}
        lines: dict[str, int] = {}
        duplicates: set[str] | None = None
        while True:
            event = get_event()
            self.events += 1
            if self.events > max_events:
                _check(event, self.events, max_events=max_events)
            kind = type(event)
            if kind is _MAPPING_END:
                break
            if kind is not _SCALAR:
                if kind is _MAPPING_START or kind is _SEQUENCE_START:
                    self.opened(event, depth + 1)
                    raise _Unusual(depth + 1)  # a key that is a list or a mapping
                _check(event, self.events, max_events=max_events)  # an alias: refused
            raw = event.value
            if event.anchor is None and event.tag is None and (
                    not event.implicit[0] or raw[:1] not in resolved_first):
                key = raw  # a plain string key, the usual case: no call
            else:
                key = scalar(event, depth)
            if raw in lines:
                if duplicates is None:
                    duplicates = set()
                duplicates.add(raw)
            lines[raw] = event.start_mark.line + 1
            event = get_event()
            self.events += 1
            if self.events > max_events:
                _check(event, self.events, max_events=max_events)
            kind = type(event)
            if kind is _SCALAR:
                value = event.value
                if event.anchor is None and event.tag is None and (
                        not event.implicit[0] or value[:1] not in resolved_first):
                    data[key] = value  # a string: most values
                else:
                    data[key] = scalar(event, depth)
            elif kind is _MAPPING_START:
                data[key] = self.mapping(event, depth + 1)
            elif kind is _SEQUENCE_START:
                data[key] = self.sequence(event, depth + 1)
            else:
                data[key] = self.node(event, depth)
        data["__line__"] = start.start_mark.line + 1
        data["__lines__"] = lines
        if duplicates:
            data["__duplicates__"] = sorted(duplicates)
        return data

    def sequence(self, start: Any, depth: int) -> list[Any]:
        if start.anchor is not None or start.tag is not None or depth > self.max_depth \
                or self.events > self.max_events:
            self.opened(start, depth)  # refused there (the usual start needs no call)
        get_event, scalar, max_events = self.get_event, self.scalar, self.max_events
        resolved_first = _FAST_RESOLVED_FIRST
        result: list[Any] = []
        append = result.append
        while True:
            event = get_event()
            self.events += 1
            if self.events > max_events:
                _check(event, self.events, max_events=max_events)
            kind = type(event)
            if kind is _SCALAR:
                value = event.value
                if event.anchor is None and event.tag is None and (
                        not event.implicit[0] or value[:1] not in resolved_first):
                    append(value)
                else:
                    append(scalar(event, depth))
            elif kind is _SEQUENCE_END:
                return result
            elif kind is _MAPPING_START:
                append(self.mapping(event, depth + 1))
            elif kind is _SEQUENCE_START:
                append(self.sequence(event, depth + 1))
            else:
                append(self.node(event, depth))

    def screen(self, depth: int) -> None:
        """After `_Unusual`: check every remaining event as the builder would have."""
        get_event, max_events = self.get_event, self.max_events
        while True:
            event = get_event()
            self.events += 1
            kind = type(event)
            if kind is _SCALAR:
                if self.events > max_events or event.anchor is not None \
                        or event.tag is not None:
                    _check(event, self.events, max_events=max_events)
            elif kind is _MAPPING_START or kind is _SEQUENCE_START:
                depth += 1
                self.opened(event, depth)
            elif kind is _MAPPING_END or kind is _SEQUENCE_END:
                depth -= 1
            else:
                _check(event, self.events, max_events=max_events)
                if kind is yaml.StreamEndEvent:
                    return

    def document(self) -> Any:
        """The root value of the stream; `_Unusual` for several documents."""
        get_event = self.get_event
        root: Any = None
        documents = 0
        while True:
            event = get_event()
            self.events += 1
            kind = type(event)
            if kind is yaml.StreamEndEvent:
                return root
            _check(event, self.events, max_events=self.max_events)
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Unusual(0)  # PyYAML says "expected a single document"
                event = get_event()
                self.events += 1
                if self.events > self.max_events:
                    _check(event, self.events, max_events=self.max_events)
                root = self.node(event, 0)


_SCALAR, _MAPPING_START, _SEQUENCE_START = yaml.ScalarEvent, yaml.MappingStartEvent, \
    yaml.SequenceStartEvent
_MAPPING_END, _SEQUENCE_END = yaml.MappingEndEvent, yaml.SequenceEndEvent


def _build(text: str, *, max_depth: int, max_events: int) -> Any:
    """Screen and build in one pass over libyaml's events: the data `yaml.load` with the
    line loader would give, for every file but unusual ones (`_Unusual`), which it leaves
    to PyYAML after screening all their events."""
    parser = _Loader(text)
    builder = _Builder(parser, max_depth=max_depth, max_events=max_events)
    try:
        try:
            return builder.document()
        except _Unusual as exc:
            builder.screen(exc.depth)
    finally:
        parser.dispose()
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass


def parse(text: str, path: str, problems: list[Problem], *, max_depth: int,
          max_events: int, line_offset: int = 0) -> Any:
    """The data of a YAML text, or None with its problem (mappings carry their lines).

    `line_offset`: the lines before the text in its file (a module's front matter), added
    to the line of a problem; the lines recorded in the data stay those of the text."""
    before = len(problems)
    try:
        return _build(text, max_depth=max_depth, max_events=max_events)
    except _Refused as exc:
        problems.append(Problem(path, exc.line, msg(exc.text, **exc.params)))
    except yaml.YAMLError as exc:  # PyYAML's English reason, said in Chinese with its line
        line, message = yaml_problem(exc, text)
        problems.append(Problem(path, line, message))
    except RecursionError:  # pragma: no cover - the depth limit comes first
        problems.append(Problem(path, None, msg(N_("YAML 嵌套层次过深"))))
    except ValueError:  # an integer too long to convert, for one
        problems.append(Problem(path, None, msg(N_("YAML 中有无法读取的数值"))))
    if line_offset:
        problems[before:] = [Problem(p.path, p.line + line_offset if p.line else None, p.message)
                             for p in problems[before:]]
    return None


def read(data: bytes, path: str, problems: list[Problem], *, max_bytes: int, max_depth: int,
         max_events: int) -> Any:
    """The data of a YAML file's bytes, or None with its problem."""
    text = decode_utf8(data, path, problems, limit=max_bytes)
    if text is None:
        return None
    return parse(text, path, problems, max_depth=max_depth, max_events=max_events)
