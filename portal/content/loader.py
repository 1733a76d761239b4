"""Reading track and module files, with every problem reported by file and line.

Pure with respect to the web: it reads a folder and returns plain data. Nothing is
partially loaded: callers import only when `problems` is empty.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.content import safe_yaml
from portal.content.problems import Problem
from portal.content.rules import (
    ASSESSMENT_FIELDS,
    ChecklistItem,
    Planned,
    Stage,
    StageAssessment,
    StageKind,
)
from portal.content.safe_yaml import decode_utf8
from portal.messages import N_, msg

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
ROLES = ("all", "pre-sales", "after-sales")
STAGE_KINDS = tuple(k.value for k in StageKind)
MAX_FILE_BYTES = 512 * 1024
MAX_DEPTH = 12  # a track's stages, their checklists and planned days nest a few levels
MAX_EVENTS = 50_000
LINK_RE = re.compile(r"\]\((?P<target>[^)\s]+)\)")


@dataclass(frozen=True)
class ModuleSource:
    key: str
    path: str
    title: str
    summary: str
    minutes: int
    tags: list[str]
    roles: list[str]
    body: str
    source_hash: str


@dataclass(frozen=True)
class TrackSource:
    key: str
    path: str
    title: str
    summary: str
    stages: list[Stage]
    modules: list[ModuleSource]
    source_text: str
    source_hash: str


@dataclass
class ContentSet:
    tracks: list[TrackSource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _read_text(path: Path, rel: str, problems: list[Problem]) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        problems.append(Problem(rel, None, msg(N_("文件无法读取"))))
        return None
    return decode_utf8(data, rel, problems, limit=MAX_FILE_BYTES)


def _parse_yaml(text: str, rel: str, problems: list[Problem], line_offset: int = 0) -> Any:
    """Through the safe reader every content file uses: no aliases, anchors or tags."""
    return safe_yaml.parse(text, rel, problems, max_depth=MAX_DEPTH, max_events=MAX_EVENTS,
                           line_offset=line_offset)


def _line(data: Any, offset: int = 0, key: str | None = None) -> int | None:
    """The line of a mapping, or of one of its keys when given."""
    if not isinstance(data, dict):
        return None
    if key is not None and key in data.get("__lines__", {}):
        return data["__lines__"][key] + offset
    return data.get("__line__", 0) + offset


def _str(data: dict[str, Any], name: str, rel: str, problems: list[Problem], *,
         required: bool = True, line_offset: int = 0) -> str:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem(rel, _line(data, line_offset, name),
                                    msg(N_("缺少字段 %(name)s"), name=name)))
        return ""
    if not isinstance(value, str | int | float):
        problems.append(Problem(rel, _line(data, line_offset),
                                msg(N_("字段 %(name)s 应为文本"), name=name)))
        return ""
    return str(value).strip()


def _roles(data: dict[str, Any], rel: str, problems: list[Problem], line_offset: int = 0) -> list[str]:
    roles = data.get("roles", ["all"])
    if isinstance(roles, str):
        roles = [roles]
    if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles):
        problems.append(Problem(rel, _line(data, line_offset),
                                msg(N_("roles 只能是 %(allowed)s 中的一个或多个"),
                                    allowed=", ".join(ROLES))))
        return ["all"]
    return [str(r) for r in roles]


def load_module(path: Path, rel: str, problems: list[Problem]) -> ModuleSource | None:
    text = _read_text(path, rel, problems)
    if text is None:
        return None
    key = path.stem
    if not KEY_RE.match(key):
        problems.append(Problem(rel, None, msg(
            N_("模块文件名 %(key)s 不合规：只能用小写字母、数字和连字符"), key=key)))
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(rel, 1, msg(N_("文件须以 --- 开头的 YAML 头信息开始"))))
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(Problem(rel, 1, msg(N_("YAML 头信息没有以 --- 结束"))))
        return None
    count = len(problems)
    meta = _parse_yaml("\n".join(lines[1:end]), rel, problems, line_offset=1)
    if len(problems) > count:
        return None
    if not isinstance(meta, dict):
        problems.append(Problem(rel, 2, msg(N_("YAML 头信息应为“字段: 值”的形式"))))
        return None
    unknown = set(meta) - {"title", "summary", "minutes", "tags", "roles", "__line__", "__lines__"}
    for name in sorted(unknown - {"__lines__"}):
        problems.append(Problem(rel, _line(meta, 1, name), msg(N_("未知字段 %(name)s"), name=name)))
    title = _str(meta, "title", rel, problems, line_offset=1)
    summary = _str(meta, "summary", rel, problems, line_offset=1)
    minutes = meta.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 600:
        problems.append(Problem(rel, _line(meta, 1, "minutes"),
                                msg(N_("minutes 应为 1 到 600 之间的整数（预计阅读分钟数）"))))
        minutes = 0
    tags = meta.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str | int) for t in tags):
        problems.append(Problem(rel, _line(meta, 1, "tags"), msg(N_("tags 应为列表"))))
        tags = []
    roles = _roles(meta, rel, problems, line_offset=1)
    body = "\n".join(lines[end + 1:]).strip("\n") + "\n"
    if not body.strip():
        problems.append(Problem(rel, end + 2, msg(N_("模块正文为空"))))
    return ModuleSource(
        key=key, path=rel, title=title, summary=summary, minutes=minutes,
        tags=[str(t) for t in tags], roles=roles, body=body,
        source_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _check_links(module: ModuleSource, keys: set[str], body_offset: int,
                 problems: list[Problem]) -> None:
    for number, line in enumerate(module.body.split("\n"), start=1):
        for match in LINK_RE.finditer(line):
            target = match["target"]
            if "://" in target or target.startswith(("#", "mailto:", "/")):
                continue
            name = target.split("#", 1)[0]
            if not name.endswith(".md") or name[:-3] not in keys:
                problems.append(Problem(module.path, body_offset + number, msg(
                    N_("链接 %(target)s 指向的模块不存在"), target=target)))


def _body_offset(path: Path) -> int:
    """Line number of the line before the body (front matter + closing ---)."""
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    offset = end + 1
    while offset < len(lines) and not lines[offset].strip():
        offset += 1
    return offset


def load_track(folder: Path, root: Path, known_exams: set[str] | None = None,
               known_chat_exams: set[str] | None = None
               ) -> tuple[TrackSource | None, list[Problem]]:
    problems: list[Problem] = []
    track_path = folder / "track.yaml"
    rel = str(track_path.relative_to(root.parent)) if root.parent in track_path.parents else str(track_path)
    if not track_path.exists():
        return None, [Problem(rel, None, msg(N_("缺少 track.yaml 文件")))]
    text = _read_text(track_path, rel, problems)
    data = _parse_yaml(text, rel, problems) if text is not None else None
    if not isinstance(data, dict):
        if not problems:
            problems.append(Problem(rel, 1, msg(N_("track.yaml 应为“字段: 值”的形式"))))
        return None, problems
    for dup in data.get("__duplicates__", []):
        problems.append(Problem(rel, _line(data), msg(N_("字段 %(name)s 重复"), name=dup)))
    key = _str(data, "key", rel, problems)
    if key and key != folder.name:
        problems.append(Problem(rel, _line(data), msg(
            N_("key %(key)s 与文件夹名 %(folder)s 不一致"), key=key, folder=folder.name)))
    title = _str(data, "title", rel, problems)
    summary = _str(data, "summary", rel, problems, required=False)

    module_files = sorted(p for p in folder.glob("*.md"))
    modules: dict[str, ModuleSource] = {}
    for path in module_files:
        module_rel = str(path.relative_to(root.parent))
        module = load_module(path, module_rel, problems)
        if module is not None:
            modules[module.key] = module

    stages: list[Stage] = []
    raw_stages = data.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        problems.append(Problem(rel, _line(data), msg(N_("stages 应为至少包含一个阶段的列表"))))
        raw_stages = []
    seen_stages: set[str] = set()
    used_modules: dict[str, str] = {}
    for raw in raw_stages:
        stage = _load_stage(raw, rel, problems, modules, seen_stages, used_modules)
        if (stage is not None and stage.exam_key and known_exams is not None
                and stage.exam_key not in known_exams):
            problems.append(Problem(rel, _line(raw, key="assessment"), msg(
                N_("阶段 %(stage)s 的考核 %(exam)s 没有对应的考试定义（question_banks/exams/）"),
                stage=stage.key, exam=stage.exam_key)))
        if (stage is not None and stage.chat_exam_key and known_chat_exams is not None
                and stage.chat_exam_key not in known_chat_exams):
            problems.append(Problem(rel, _line(raw, key="chat_exam"), msg(
                N_("阶段 %(stage)s 的聊天考核 %(drill)s 没有对应的演练定义（question_banks/chats/drills/）"),
                stage=stage.key, drill=stage.chat_exam_key)))
        if stage is not None:
            stages.append(stage)
    for module_key in sorted(set(modules) - set(used_modules)):
        problems.append(Problem(modules[module_key].path, None, msg(
            N_("模块 %(key)s 没有被任何阶段引用"), key=module_key)))
    keys = set(modules)
    for module in modules.values():
        _check_links(module, keys, _body_offset(root.parent / module.path), problems)
    # A track's version follows its track.yaml alone; modules are versioned separately.
    track = TrackSource(key=key or folder.name, path=rel, title=title, summary=summary,
                        stages=stages, modules=[modules[k] for k in sorted(modules)],
                        source_text=text or "",
                        source_hash=hashlib.sha256((text or "").encode("utf-8")).hexdigest())
    return track, problems


def _load_stage(raw: Any, rel: str, problems: list[Problem], modules: dict[str, ModuleSource],
                seen: set[str], used: dict[str, str]) -> Stage | None:
    if not isinstance(raw, dict):
        problems.append(Problem(rel, None, msg(N_("每个阶段应为“字段: 值”的形式"))))
        return None
    line = _line(raw)
    for dup in raw.get("__duplicates__", []):
        problems.append(Problem(rel, line, msg(N_("字段 %(name)s 重复"), name=dup)))
    key = _str(raw, "key", rel, problems)
    if key and not KEY_RE.match(key):
        problems.append(Problem(rel, line, msg(N_("阶段 key %(key)s 不合规"), key=key)))
    if key in seen:
        problems.append(Problem(rel, line, msg(N_("阶段 key %(key)s 重复"), key=key)))
    seen.add(key)
    kind = raw.get("kind", "modules")
    if kind not in STAGE_KINDS:
        problems.append(Problem(rel, _line(raw, key="kind"), msg(N_("未知的阶段类型 %(kind)s"), kind=kind)))
    planned = raw.get("planned") or {}
    day = planned.get("day") if isinstance(planned, dict) else None
    if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 60:
        problems.append(Problem(rel, _line(planned) or line,
                                msg(N_("planned.day 应为 1 到 60 之间的整数（第几个工作日）"))))
        day = 1
    duration = str(planned.get("duration", "")) if isinstance(planned, dict) else ""
    stage_modules = raw.get("modules", [])
    if not isinstance(stage_modules, list):
        problems.append(Problem(rel, line, msg(N_("modules 应为模块 key 的列表"))))
        stage_modules = []
    for module_key in stage_modules:
        if module_key not in modules:
            problems.append(Problem(rel, _line(raw, key="modules"), msg(
                N_("阶段 %(stage)s 引用的模块 %(module)s 不存在（应有文件 %(module)s.md）"),
                stage=key, module=module_key)))
        elif module_key in used:
            problems.append(Problem(rel, _line(raw, key="modules"), msg(
                N_("模块 %(module)s 同时出现在阶段 %(a)s 和 %(b)s"),
                module=module_key, a=used[module_key], b=key)))
        else:
            used[module_key] = key
    assessment = raw.get("assessment")
    if assessment is not None and (not isinstance(assessment, str) or not KEY_RE.match(assessment)):
        problems.append(Problem(rel, _line(raw, key="assessment"), msg(N_("assessment 应为考试 key（小写字母、数字、连字符）"))))
        assessment = None
    chat_exam = raw.get("chat_exam")
    if chat_exam is not None and (not isinstance(chat_exam, str) or not KEY_RE.match(chat_exam)):
        problems.append(Problem(rel, _line(raw, key="chat_exam"), msg(
            N_("chat_exam 应为聊天演练 key（小写字母、数字、连字符）"))))
        chat_exam = None
    if kind == StageKind.TEAM_INTEGRATION and chat_exam is not None:
        problems.append(Problem(rel, _line(raw, key="chat_exam"), msg(
            N_("融入团队阶段以清单为考核，不能再设 chat_exam（请删去这一行）"))))
        chat_exam = None
    checklist: list[ChecklistItem] = []
    if kind == StageKind.TEAM_INTEGRATION and assessment is not None:
        problems.append(Problem(rel, _line(raw, key="assessment"), msg(
            N_("融入团队阶段以清单为考核，不能再设 assessment（请删去这一行）"))))
        assessment = None
    if kind == StageKind.TEAM_INTEGRATION:
        items = raw.get("checklist")
        if not isinstance(items, list) or not items:
            problems.append(Problem(rel, line, msg(N_("融入团队阶段需要 checklist 列表"))))
            items = []
        item_keys: set[str] = set()
        for item in items:
            if not isinstance(item, dict):
                problems.append(Problem(rel, line, msg(N_("checklist 的每一项应为“字段: 值”的形式"))))
                continue
            item_key = _str(item, "key", rel, problems)
            if item_key in item_keys:
                problems.append(Problem(rel, _line(item), msg(
                    N_("checklist key %(key)s 重复"), key=item_key)))
            item_keys.add(item_key)
            checklist.append(ChecklistItem(
                key=item_key, title=_str(item, "title", rel, problems),
                purpose=_str(item, "purpose", rel, problems),
                rules=_str(item, "rules", rel, problems)))
    named = {"assessment": assessment, "chat_exam": chat_exam}
    return Stage(
        key=key, title=_str(raw, "title", rel, problems),
        summary=_str(raw, "summary", rel, problems, required=False),
        kind=StageKind(kind) if kind in STAGE_KINDS else StageKind.MODULES,
        planned=Planned(day=day, duration=duration),
        modules=tuple(m for m in stage_modules if isinstance(m, str)),
        roles=tuple(_roles(raw, rel, problems)),
        assessments=tuple(StageAssessment(source, named[name])
                          for name, source in ASSESSMENT_FIELDS if named[name]),
        checklist=tuple(checklist))


def load_content(root: Path, known_exams: set[str] | None = None,
                 known_chat_exams: set[str] | None = None) -> ContentSet:
    """Load every track folder under `root` (a folder of track folders).

    With `known_exams`, every stage's assessment must name one of those exam keys; with
    `known_chat_exams`, every stage's `chat_exam` one of those drill keys.
    """
    content = ContentSet()
    if not root.is_dir():
        content.problems.append(Problem(str(root), None, msg(N_("内容目录不存在"))))
        return content
    keys: set[str] = set()
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        track, problems = load_track(folder, root, known_exams, known_chat_exams)
        content.problems.extend(problems)
        if track is not None:
            if track.key in keys:
                content.problems.append(Problem(track.path, None, msg(
                    N_("路线 key %(key)s 重复"), key=track.key)))
            keys.add(track.key)
            content.tracks.append(track)
    return content
