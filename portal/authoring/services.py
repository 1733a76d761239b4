"""Editing modules in the browser: drafts checked by the file loader's own rules,
published as new versions with a change note, a history with diffs, and restoring.

A draft is turned into exactly the module file that `content export` writes and is
read back by the loader, so a module saved here and a module imported from the repo
obey the same rules and get the same kind of version.
"""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session, selectinload

from portal.audit import services as audit
from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.authoring import rules
from portal.authoring.errors import DraftInvalid, NothingChanged, VersionChanged
from portal.content import loader
from portal.content.loader import ModuleSource, Problem
from portal.content.rendering import RENDERER_VERSION, render_markdown
from portal.courses import rules as course_rules
from portal.courses.models import Module, ModuleVersion, Track, TrackVersion
from portal.courses.services import publish_module_version
from portal.errors import NotFound
from portal.messages import N_, Message, msg

PUBLISH_ACTION = "module.publish"
META_FIELDS = ("title", "summary", "minutes", "tags", "roles")
MAX_NOTE_CHARS = 500
MAX_TITLE_CHARS = 200  # the column's size (the file loader does not limit it)
EXCERPT_CHARS = 80


# --- drafts -------------------------------------------------------------------

@dataclass(frozen=True)
class ModuleDraft:
    """A module as typed in the editor (before the loader's rules are applied)."""

    title: str
    summary: str
    minutes: int | None
    tags: list[str]
    roles: list[str]
    body: str

    @classmethod
    def from_input(cls, *, title: str, summary: str, minutes: str | int | None, tags: str,
                   roles: list[str], body: str) -> ModuleDraft:
        return cls(title=rules.single_line(title), summary=rules.single_line(summary),
                   minutes=rules.parse_minutes(minutes), tags=rules.split_tags(tags),
                   roles=rules.normalize_roles(roles), body=body or "")

    @classmethod
    def of_version(cls, version: ModuleVersion) -> ModuleDraft:
        return cls(title=version.title, summary=version.summary, minutes=version.minutes,
                   tags=list(version.tags), roles=list(version.roles),
                   body=version.body_markdown)


@dataclass(frozen=True)
class DraftProblem:
    """One broken rule: which field, and for the body the line the trainer sees."""

    field: str  # a META_FIELDS name, "body" or "note"
    line: int | None
    message: Message
    excerpt: str = ""  # the body line itself, to find it in a textarea without line numbers


@dataclass(frozen=True)
class CheckedDraft:
    file_text: str
    source: ModuleSource | None  # the module as the loader read it, if it could
    problems: list[DraftProblem]


def module_file_text(draft: ModuleDraft) -> str:
    """The module file for `draft`: the same text `content export` writes."""
    body, _ = rules.normalize_body(draft.body)
    meta: dict[str, Any] = {"title": draft.title, "summary": draft.summary,
                            "minutes": draft.minutes, "tags": draft.tags, "roles": draft.roles}
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n\n{body}"


def check_draft(draft: ModuleDraft, *, track_key: str, module_key: str,
                module_keys: set[str]) -> CheckedDraft:
    """Run the file loader on the draft's file text; problems point at fields and body lines.

    `module_keys` are the modules of the track a link may point to.
    """
    text = module_file_text(draft)
    front_lines = text.split("\n---\n", 1)[0].count("\n")  # lines after the opening ---
    body_first_line = front_lines + 4  # ---, front matter, ---, blank line, then the body
    _, leading = rules.normalize_body(draft.body)
    typed_lines = draft.body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    raw: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="portal-module-") as folder:
        # The loader reads files (with their size and encoding checks): give it one.
        path = Path(folder) / f"{module_key}.md"
        path.write_text(text, encoding="utf-8")
        source = loader.load_module(path, f"{track_key}/{module_key}.md", raw)
    problems: list[DraftProblem] = []
    field_at = _front_matter_fields(text, front_lines)
    for problem in raw:
        field = _field_of(problem, field_at)
        line = None
        if field == "body" and problem.line is not None:
            line = problem.line - body_first_line + 1 + leading
            line = line if line >= 1 else None
        problems.append(_problem(field, line, problem.message, typed_lines))
    if len(draft.title) > MAX_TITLE_CHARS:
        problems.append(DraftProblem("title", None, msg(N_("标题不能超过 %(n)d 个字"),
                                                        n=MAX_TITLE_CHARS)))
    if source is not None:
        links: list[Problem] = []
        # The loader's own link check, with lines counted from the body's first line.
        loader._check_links(source, module_keys, leading, links)
        problems.extend(_problem("body", p.line, p.message, typed_lines) for p in links)
    return CheckedDraft(file_text=text, source=source, problems=problems)


def _front_matter_fields(text: str, front_lines: int) -> dict[int, str]:
    """File line → the front-matter field written on it (or continued on it)."""
    fields: dict[int, str] = {}
    current = "title"
    for index, line in enumerate(text.split("\n")[1:front_lines + 1], start=2):
        name = line.split(":", 1)[0]
        if not line.startswith((" ", "-")) and name in META_FIELDS:
            current = name
        fields[index] = current
    return fields


def _field_of(problem: Problem, field_at: dict[int, str]) -> str:
    name = problem.message.params.get("name")
    if name in META_FIELDS:
        return str(name)
    for field in ("minutes", "tags", "roles"):
        if problem.message.text.startswith(field):
            return field
    if problem.line is not None and problem.line in field_at:
        return field_at[problem.line]
    return "body"


def _problem(field: str, line: int | None, message: Message, typed_lines: list[str]) -> DraftProblem:
    excerpt = ""
    if line is not None and 1 <= line <= len(typed_lines):
        excerpt = typed_lines[line - 1].strip()
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS] + "…"
    return DraftProblem(field=field, line=line, message=message, excerpt=excerpt)


# --- the module being edited ------------------------------------------------------

# A track with its modules and their current versions, in three queries rather than one
# per module (the preview asks for this on every pause in typing).
_WITH_MODULES = selectinload(Track.modules).selectinload(Module.current_version)

@dataclass(frozen=True)
class EditableModule:
    track: Track
    track_version: TrackVersion
    module: Module
    version: ModuleVersion  # the current one
    stage_title: str | None
    module_keys: set[str]  # the modules of the track a link may point to


def get_editable_module(session: Session, *, track_key: str, module_key: str) -> EditableModule:
    track = session.scalar(sa.select(Track).where(Track.key == track_key)
                           .options(_WITH_MODULES))
    if track is None or track.current_version is None:
        raise NotFound(N_("找不到培训路线 %(key)s"), key=track_key)
    module = next((m for m in track.modules if m.key == module_key), None)
    if module is None or module.current_version is None:
        raise NotFound(N_("找不到该模块"))
    stages = track.current_version.stages
    stage = course_rules.stage_of_module(stages, module_key)
    published = {m.key for m in track.modules if m.current_version is not None}
    return EditableModule(track=track, track_version=track.current_version, module=module,
                          version=module.current_version,
                          stage_title=stage.title if stage else None,
                          module_keys=set(course_rules.reading_order(stages)) & published)


@dataclass(frozen=True)
class Preview:
    html: str
    toc_html: str
    problems: list[DraftProblem]


def preview_draft(session: Session, *, track_key: str, module_key: str,
                  draft: ModuleDraft) -> Preview:
    """The draft rendered exactly as publishing would render it, with its problems."""
    target = get_editable_module(session, track_key=track_key, module_key=module_key)
    checked = check_draft(draft, track_key=track_key, module_key=module_key,
                          module_keys=target.module_keys)
    body, _ = rules.normalize_body(draft.body)
    rendered = render_markdown(
        body, resolve_module=lambda key: course_rules.module_path(track_key, key))
    return Preview(html=rendered.html, toc_html=rendered.toc_html, problems=checked.problems)


# --- publishing ---------------------------------------------------------------------

def publish_draft(session: Session, *, track_key: str, module_key: str, draft: ModuleDraft,
                  note: str, base_number: int | None, actor_id: int, now: datetime,
                  restored_from: int | None = None) -> ModuleVersion:
    """Publish the draft as the module's newest version, with the change note audited.

    Refused, with nothing written, when the draft breaks a content rule or has no note
    (DraftInvalid), changes nothing (NothingChanged), or when someone published another
    version after `base_number`, the version the editor was opened on (VersionChanged).
    Trainees' progress belongs to the module and is kept.
    """
    target = get_editable_module(session, track_key=track_key, module_key=module_key)
    checked = check_draft(draft, track_key=track_key, module_key=module_key,
                          module_keys=target.module_keys)
    problems = list(checked.problems)
    source = checked.source
    current = target.version
    if not problems and source is not None and _same_content(source, current):
        raise NothingChanged(N_("没有改动：内容与当前第 %(number)d 版完全相同，无需保存。"),
                             number=current.number)
    note = note.strip()
    problems.extend(note_problems(note))
    if problems or source is None:
        raise DraftInvalid(N_("有 %(n)d 处问题，未保存"), problems, n=len(problems))
    if base_number is not None and base_number != current.number:
        author = session.get(User, current.created_by_id) if current.created_by_id else None
        if author is None:
            raise VersionChanged(
                N_("你编辑期间，课程文件导入了第 %(number)d 版。你的改动还没有保存；"
                   "请先在版本历史中看看改了什么，确认要用你的内容覆盖后再次保存。"),
                current_number=current.number, number=current.number)
        raise VersionChanged(
            N_("你编辑期间，%(who)s 发布了第 %(number)d 版。你的改动还没有保存；"
               "请先在版本历史中看看改了什么，确认要用你的内容覆盖后再次保存。"),
            current_number=current.number, number=current.number, who=author.display_name)
    version = publish_module_version(
        session, module=target.module, track_key=track_key, title=source.title,
        summary=source.summary, minutes=source.minutes, tags=source.tags, roles=source.roles,
        body_markdown=source.body,
        # As the importer hashes a module file: exporting this version and importing
        # the files again then recognises it as unchanged.
        source_hash=hashlib.sha256(f"{source.source_hash}:{RENDERER_VERSION}".encode()).hexdigest(),
        actor_id=actor_id, now=now)
    details: dict[str, Any] = {"track": track_key, "module": module_key,
                               "version": version.number, "note": note}
    if restored_from is not None:
        details["restored_from"] = restored_from
    audit.record(session, actor_id=actor_id, action=PUBLISH_ACTION, target_type="module",
                 target_id=target.module.id, details=details, now=now)
    return version


def note_problems(note: str) -> list[DraftProblem]:
    """Every published version says what changed, briefly."""
    note = note.strip()
    if not note:
        return [DraftProblem("note", None, msg(N_("请写明这次改了什么")))]
    if len(note) > MAX_NOTE_CHARS:
        return [DraftProblem("note", None, msg(N_("改动说明不能超过 %(n)d 个字"),
                                               n=MAX_NOTE_CHARS))]
    return []


def _same_content(source: ModuleSource, version: ModuleVersion) -> bool:
    return (source.title == version.title and source.summary == version.summary
            and source.minutes == version.minutes and list(source.tags) == list(version.tags)
            and sorted(source.roles) == sorted(version.roles)
            and source.body == version.body_markdown)


def get_version(session: Session, *, track_key: str, module_key: str,
                number: int) -> tuple[EditableModule, ModuleVersion]:
    target = get_editable_module(session, track_key=track_key, module_key=module_key)
    version = session.scalar(sa.select(ModuleVersion).where(
        ModuleVersion.module_id == target.module.id, ModuleVersion.number == number))
    if version is None:
        raise NotFound(N_("找不到第 %(number)d 版"), number=number)
    return target, version


def restore_version(session: Session, *, track_key: str, module_key: str, number: int,
                    actor_id: int, now: datetime) -> ModuleVersion:
    """Publish a copy of version `number` as the newest version (history is never rewritten)."""
    target, old = get_version(session, track_key=track_key, module_key=module_key,
                              number=number)
    if old.id == target.version.id:
        raise NothingChanged(N_("第 %(number)d 版就是当前版本，没有改动。"), number=number)
    return publish_draft(session, track_key=track_key, module_key=module_key,
                         draft=ModuleDraft.of_version(old), note=f"恢复到第 {number} 版",
                         base_number=None, actor_id=actor_id, now=now, restored_from=number)


# --- history and overview ------------------------------------------------------------

@dataclass(frozen=True)
class HistoryEntry:
    version: ModuleVersion
    author: User | None  # None: imported from the course files
    note: str | None
    restored_from: int | None
    diff: list[rules.DiffLine] | None  # None for the first version
    added: int
    removed: int
    changed_fields: list[str]  # front-matter fields that differ from the previous version
    is_current: bool


@dataclass(frozen=True)
class ModuleHistory:
    target: EditableModule
    entries: list[HistoryEntry]  # newest first


def module_history(session: Session, *, track_key: str, module_key: str) -> ModuleHistory:
    target = get_editable_module(session, track_key=track_key, module_key=module_key)
    versions = list(session.scalars(sa.select(ModuleVersion).where(
        ModuleVersion.module_id == target.module.id).order_by(ModuleVersion.number)))
    notes = _publish_notes(session, target.module.id)
    authors = _users(session, {v.created_by_id for v in versions if v.created_by_id})
    entries: list[HistoryEntry] = []
    previous: ModuleVersion | None = None
    for version in versions:
        diff = None if previous is None else rules.line_diff(previous.body_markdown,
                                                              version.body_markdown)
        added, removed = rules.diff_counts(diff or [])
        note, restored_from = notes.get(version.number, (None, None))
        entries.append(HistoryEntry(
            version=version, author=authors.get(version.created_by_id or 0), note=note,
            restored_from=restored_from, diff=diff, added=added, removed=removed,
            changed_fields=[] if previous is None else [
                f for f in META_FIELDS if getattr(previous, f) != getattr(version, f)],
            is_current=version.id == target.version.id))
        previous = version
    entries.reverse()
    return ModuleHistory(target=target, entries=entries)


def _publish_notes(session: Session, module_id: int) -> dict[int, tuple[str | None, int | None]]:
    """Version number → (change note, restored version) from the audit log."""
    events = session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == PUBLISH_ACTION, AuditEvent.target_type == "module",
        AuditEvent.target_id == str(module_id)).order_by(AuditEvent.id))
    notes: dict[int, tuple[str | None, int | None]] = {}
    for event in events:
        details = event.details or {}
        if isinstance(details.get("version"), int):
            notes[details["version"]] = (details.get("note"), details.get("restored_from"))
    return notes


def _users(session: Session, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(ids)))}


@dataclass(frozen=True)
class ModuleRow:
    module: Module
    version: ModuleVersion
    stage_title: str | None  # None: not in any stage of the current track version
    author: User | None


@dataclass(frozen=True)
class TrackModules:
    track: Track
    version: TrackVersion
    rows: list[ModuleRow]


def module_overview(session: Session) -> list[TrackModules]:
    """Every track and its modules in stage order, with each module's current version."""
    tracks = [t for t in session.scalars(sa.select(Track).options(_WITH_MODULES)
                                         .order_by(Track.key))
              if t.current_version is not None]
    versions = [m.current_version for t in tracks for m in t.modules if m.current_version]
    authors = _users(session, {v.created_by_id for v in versions if v.created_by_id})
    result: list[TrackModules] = []
    for track in tracks:
        track_version = track.current_version
        assert track_version is not None
        modules = {m.key: m for m in track.modules if m.current_version is not None}
        rows: list[ModuleRow] = []
        for stage in track_version.stages:
            for key in stage.modules:
                module = modules.pop(key, None)
                if module is not None:
                    rows.append(_row(module, stage.title, authors))
        rows.extend(_row(module, None, authors) for module in modules.values())
        result.append(TrackModules(track=track, version=track_version, rows=rows))
    return result


def _row(module: Module, stage_title: str | None, authors: dict[int, User]) -> ModuleRow:
    version = module.current_version
    assert version is not None
    return ModuleRow(module=module, version=version, stage_title=stage_title,
                     author=authors.get(version.created_by_id or 0))
