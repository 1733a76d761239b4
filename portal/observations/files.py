"""Reading question_banks/observations/*.yaml into typed forms, every problem by file and line.

Pure apart from reading the files. As strict as the other content readers: at most 64 KB a
file, UTF-8, no YAML anchors, aliases or tags, bounded nesting, no unknown fields; problems
are in Chinese with their file and line, and no form is returned unless every file is valid.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.chat.scenario import Item
from portal.content import safe_yaml
from portal.content.problems import Problem
from portal.messages import N_, msg
from portal.observations.rules import SCORES, ChatMeasure, ObservationFormDef, ObservationItem

MAX_FILE_BYTES = 64 * 1024
MAX_DEPTH = 8
MAX_EVENTS = 5_000
MAX_ITEMS = 40
MAX_TITLE = 60
MAX_TEXT = 300
FORM_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# Underscores too: the service form's items are the chat exam's item ids (product_intro).
ITEM_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
FORM_FIELDS = ("key", "title", "description", "scale", "items")
ITEM_FIELDS = ("key", "title", "hint", "required", "chat_item", "chat_measure")


@dataclass
class ObservationContent:
    """Every form of a folder; empty unless `problems` is empty."""

    forms: list[ObservationFormDef] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def form(self, key: str) -> ObservationFormDef | None:
        return next((f for f in self.forms if f.key == key), None)


def _read_yaml(data: bytes, path: str, problems: list[Problem]) -> Any:
    return safe_yaml.read(data, path, problems, max_bytes=MAX_FILE_BYTES, max_depth=MAX_DEPTH,
                          max_events=MAX_EVENTS)


def _keys(node: dict[str, Any]) -> list[Any]:
    return [k for k in node if not (isinstance(k, str) and k.startswith("__"))]


@dataclass
class _File:
    path: str
    problems: list[Problem] = field(default_factory=list)

    def line(self, node: Any, key: Any = None) -> int | None:
        if not isinstance(node, dict):
            return None
        lines = node.get("__lines__") or {}
        if key is not None and isinstance(lines.get(str(key)), int):
            return int(lines[str(key)])
        value = node.get("__line__")
        return value if isinstance(value, int) else None

    def add(self, node: Any, key: Any, text: str, /, **params: Any) -> None:
        self.problems.append(Problem(self.path, self.line(node, key), msg(text, **params)))

    def fields(self, node: dict[str, Any], allowed: tuple[str, ...], unknown: str) -> None:
        for dup in node.get("__duplicates__", []):
            self.add(node, dup, N_("字段 %(name)s 重复"), name=dup)
        for name in _keys(node):
            if name not in allowed:
                self.add(node, name, unknown, name=name, allowed=", ".join(allowed))

    def text(self, node: dict[str, Any], key: str, *, limit: int, required: bool = True) -> str:
        value = node.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(node, key, N_("缺少字段 %(name)s"), name=key)
            return ""
        if not isinstance(value, str):
            self.add(node, key, N_("%(name)s 应为文字"), name=key)
            return ""
        value = value.strip()
        if len(value) > limit:
            self.add(node, key, N_("%(name)s 太长（最多 %(limit)d 个字）"), name=key, limit=limit)
        return value[:limit]


def _levels(f: _File, node: dict[str, Any]) -> tuple[str, ...]:
    raw = node.get("scale")
    if not isinstance(raw, dict):
        f.add(node, "scale", N_("缺少 scale，或格式不对：应为 1 到 5 每一级的说明（1: 文字）"))
        return ()
    for dup in raw.get("__duplicates__", []):
        f.add(raw, dup, N_("scale 中第 %(level)s 级重复"), level=dup)
    levels: list[str] = []
    for key in _keys(raw):
        if isinstance(key, bool) or key not in SCORES:
            f.add(raw, key, N_("scale 只能有 1 到 5 这五级，不能有 %(level)s"), level=key)
    for score in SCORES:
        if score not in raw:
            f.add(node, "scale", N_("scale 缺少第 %(level)d 级的说明"), level=score)
            continue
        levels.append(f.text(raw, score, limit=MAX_TITLE))  # type: ignore[arg-type]
    return tuple(levels)


def _choice(f: _File, entry: dict[str, Any], name: str, allowed: list[str], wrong: str) -> str:
    """An optional field whose value must be one of `allowed` ("" when absent)."""
    value = entry.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or value not in allowed:
        f.add(entry, name, wrong, value=value, allowed=", ".join(allowed))
        return ""
    return value


def _items(f: _File, node: dict[str, Any]) -> tuple[ObservationItem, ...]:
    raw = node.get("items")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_ITEMS:
        f.add(node, "items", N_("items 应为 1 到 %(n)d 个观察项的列表"), n=MAX_ITEMS)
        return ()
    items: list[ObservationItem] = []
    seen: dict[str, int | None] = {}
    for position, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            f.add(node, "items", N_("第 %(n)d 个观察项应为“字段: 值”的形式"), n=position)
            continue
        f.fields(entry, ITEM_FIELDS, N_("观察项中有未知字段 %(name)s（可用字段：%(allowed)s）"))
        key = entry.get("key")
        if not isinstance(key, str) or not ITEM_KEY_RE.match(key):
            f.add(entry, "key", N_("观察项的 key 应以小写字母开头，只用小写字母、数字和下划线（最长 64 个字符）"))
            key = ""
        elif key in seen:
            f.add(entry, "key", N_("观察项 key %(key)s 重复（第 %(line)s 行已用过）"), key=key,
                  line=seen[key])
        else:
            seen[key] = f.line(entry, "key")
        title = f.text(entry, "title", limit=MAX_TITLE)
        hint = f.text(entry, "hint", limit=MAX_TEXT, required=False)
        required = entry.get("required", False)
        if not isinstance(required, bool):
            f.add(entry, "required", N_("required 应为 true 或 false"))
            required = False
        chat_item = _choice(f, entry, "chat_item", [i.value for i in Item],
                            N_("chat_item %(value)s 不是模拟对话考试的评分项（可用：%(allowed)s）"))
        chat_measure = _choice(f, entry, "chat_measure", [m.value for m in ChatMeasure],
                               N_("chat_measure %(value)s 不是可从模拟对话考试测得的指标（可用：%(allowed)s）"))
        items.append(ObservationItem(key=key, title=title, hint=hint, required=required,
                                     chat_item=chat_item,
                                     chat_measure=ChatMeasure(chat_measure) if chat_measure else None))
    if items and not any(i.required for i in items):
        f.add(node, "items", N_("至少要有一个必填的观察项（required: true）"))
    return tuple(items)


def _form(f: _File, raw: Any) -> ObservationFormDef | None:
    if not isinstance(raw, dict):
        f.add(None, None, N_("观察表文件应为“字段: 值”的形式"))
        return None
    f.fields(raw, FORM_FIELDS, N_("观察表中有未知字段 %(name)s（可用字段：%(allowed)s）"))
    key = raw.get("key")
    if not isinstance(key, str) or not FORM_KEY_RE.match(key):
        f.add(raw, "key", N_("key 应为小写字母、数字和连字符（最长 64 个字符）"))
        key = ""
    title = f.text(raw, "title", limit=MAX_TITLE)
    description = f.text(raw, "description", limit=MAX_TEXT, required=False)
    levels = _levels(f, raw)
    items = _items(f, raw)
    if f.problems:
        return None
    return ObservationFormDef(key=key, title=title, description=description, levels=levels,
                              items=items, path=f.path)


def load_files(files: Iterable[tuple[str, bytes]]) -> ObservationContent:
    """Forms from (path, bytes) pairs; all of them, or none with every problem."""
    content = ObservationContent()
    keys: dict[str, str] = {}
    for path, data in sorted(files):
        f = _File(path)
        raw = _read_yaml(data, path, f.problems)
        form = _form(f, raw) if not f.problems else None
        if form is not None:
            if form.key in keys:
                f.add(raw, "key", N_("观察表 key %(key)s 与 %(other)s 重复"), key=form.key,
                      other=keys[form.key])
            keys.setdefault(form.key, path)
        content.problems.extend(f.problems)
        if form is not None and not f.problems:
            content.forms.append(form)
    if content.problems:
        content.forms = []
    return content


def load_folder(root: Path) -> ObservationContent:
    """Every `*.yaml` form in `root` (question_banks/observations), named relative to its parent."""
    base = root.parent
    if not root.is_dir():
        return ObservationContent(problems=[Problem(str(root), None, msg(N_("找不到观察表文件夹")))])
    files: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    for p in sorted(root.glob("*.yaml")):
        try:
            files.append((str(p.relative_to(base)), p.read_bytes()))
        except OSError:
            problems.append(Problem(str(p.relative_to(base)), None, msg(N_("文件无法读取"))))
    if not files and not problems:
        problems.append(Problem(str(root), None, msg(N_("文件夹中没有观察表（*.yaml）"))))
    content = load_files(files)
    if problems:
        content = ObservationContent(problems=problems + content.problems)
    return content
