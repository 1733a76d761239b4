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


def _screen(text: str, *, max_depth: int, max_events: int) -> None:
    """Walk the YAML events before building anything: refuse aliases, anchors and tags
    (so no alias bomb expands and no object is built), and stop early on nesting or size
    that no file needs (libyaml slows down on deep nesting, the builder recurses)."""
    depth = 0
    for events, event in enumerate(yaml.parse(text, Loader=_Loader), 1):
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
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise _Refused(N_("YAML 嵌套层次过深（最多 %(depth)d 层）"), event.start_mark,
                               depth=max_depth)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse(text: str, path: str, problems: list[Problem], *, max_depth: int,
          max_events: int, line_offset: int = 0) -> Any:
    """The data of a YAML text, or None with its problem (mappings carry their lines).

    `line_offset`: the lines before the text in its file (a module's front matter), added
    to the line of a problem; the lines recorded in the data stay those of the text."""
    before = len(problems)
    try:
        _screen(text, max_depth=max_depth, max_events=max_events)
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
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
