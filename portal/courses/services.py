"""Importing content versions, reading modules, and recording trainees' progress."""
from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy import orm
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit import services as audit
from portal.auth import access
from portal.auth.models import Cohort, Role, User
from portal.content.loader import ContentSet, ModuleSource, TrackSource
from portal.content.rendering import RENDERER_VERSION, render_markdown
from portal.courses import rules, search
from portal.courses.errors import (
    ChecklistIncomplete,
    ContentInvalid,
    ModuleNotFound,
    StageLocked,
)
from portal.courses.models import (
    AssessmentPass,
    ChecklistTick,
    Module,
    ModuleProgress,
    ModuleVersion,
    StageCompletion,
    Track,
    TrackVersion,
)
from portal.courses.rules import (
    ONLINE_SOURCES,
    AssessmentSource,
    Stage,
    StageAssessment,
    StageKind,
)
from portal.db import insert_ignore, per_engine
from portal.errors import NotFound
from portal.messages import N_
from portal.versioning import ImportPlan, add_version, new_version_if_changed

ImportReport = ImportPlan  # what an import of tracks and modules did


def import_content(session: Session, *, content: ContentSet, actor_id: int | None,
                   now: datetime) -> ImportReport:
    """Import every track and module as new versions where their source changed.

    All or nothing: content with any problem is refused before anything is written.
    Re-importing unchanged files changes nothing.
    """
    if content.problems:
        raise ContentInvalid(N_("内容有 %(n)d 处错误，未导入任何内容"), n=len(content.problems))
    report = ImportReport()
    for source in content.tracks:
        _import_track(session, source, actor_id, now, report)
    if report.touched:
        audit.record(session, actor_id=actor_id, action="content.import", target_type="content",
                     target_id=None, details={"new": report.new, "changed": report.changed},
                     now=now)
    session.flush()
    return report


def _import_track(session: Session, source: TrackSource, actor_id: int | None, now: datetime,
                  report: ImportReport) -> None:
    track = session.scalar(sa.select(Track).where(Track.key == source.key))
    if track is None:
        track = Track(key=source.key)
        session.add(track)
        session.flush()
    for module_source in source.modules:
        _import_module(session, track, module_source, actor_id, now, report)
    current = track.current_version
    version = new_version_if_changed(
        session, thing=track, content_hash=source.source_hash, actor_id=actor_id, now=now,
        version=TrackVersion(title=source.title, summary=source.summary, stages=source.stages,
                             source_text=source.source_text))
    if version is None:
        report.unchanged.append(f"track:{source.key}")
        return
    (report.changed if current else report.new).append(f"track:{source.key}")


def _import_module(session: Session, track: Track, source: ModuleSource, actor_id: int | None,
                   now: datetime, report: ImportReport) -> None:
    module = session.scalar(sa.select(Module).where(Module.track_id == track.id,
                                                    Module.key == source.key))
    if module is None:
        module = Module(track_id=track.id, key=source.key)
        session.add(module)
        session.flush()
    current = module.current_version
    version_hash = hashlib.sha256(
        f"{source.source_hash}:{RENDERER_VERSION}".encode()).hexdigest()
    # Skip a file already imported once, even if a trainer has since published an edit in
    # the browser: re-running the import (make run does) must not undo that edit.
    seen = session.scalar(sa.select(ModuleVersion.id).where(
        ModuleVersion.module_id == module.id, ModuleVersion.source_hash == version_hash).limit(1))
    if seen is not None:
        report.unchanged.append(f"module:{track.key}/{source.key}")
        return
    publish_module_version(session, module=module, track_key=track.key, title=source.title,
                           summary=source.summary, minutes=source.minutes, tags=source.tags,
                           roles=source.roles, body_markdown=source.body,
                           source_hash=version_hash, actor_id=actor_id, now=now)
    (report.changed if current else report.new).append(f"module:{track.key}/{source.key}")


def publish_module_version(session: Session, *, module: Module, track_key: str, title: str,
                           summary: str, minutes: int, tags: list[str], roles: list[str],
                           body_markdown: str, source_hash: str, actor_id: int | None,
                           now: datetime) -> ModuleVersion:
    """A new version becomes current; progress is kept (it belongs to the module)."""
    rendered = render_markdown(body_markdown,
                               resolve_module=lambda key: rules.module_path(track_key, key))
    return add_version(session, thing=module, content_hash=source_hash, actor_id=actor_id, now=now,
                       version=ModuleVersion(title=title, summary=summary, minutes=minutes,
                                             tags=tags, roles=roles, body_markdown=body_markdown,
                                             body_html=rendered.html,
                                             toc_html=rendered.toc_html))


def export_content(session: Session, *, folder: Path) -> list[Path]:
    """Write the current versions back to files (the same format the loader reads)."""
    written: list[Path] = []
    for track in session.scalars(sa.select(Track).order_by(Track.key)):
        version = track.current_version
        if version is None:
            continue
        track_dir = folder / track.key
        track_dir.mkdir(parents=True, exist_ok=True)
        path = track_dir / "track.yaml"
        path.write_text(version.source_text or _track_yaml(track.key, version), encoding="utf-8")
        written.append(path)
        for module in track.modules:
            mv = module.current_version
            if mv is None:
                continue
            meta = {"title": mv.title, "summary": mv.summary, "minutes": mv.minutes,
                    "tags": mv.tags, "roles": mv.roles}
            front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
            path = track_dir / f"{module.key}.md"
            path.write_text(f"---\n{front}---\n\n{mv.body_markdown}", encoding="utf-8")
            written.append(path)
    return written


def _track_yaml(key: str, version: TrackVersion) -> str:
    data = {"key": key, "title": version.title, "summary": version.summary,
            "stages": version.stages_data}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


# --- assessments ----------------------------------------------------------------
# A stage's definition says which kind of assessment it needs (rules.stage_assessment);
# whether that assessment exists online yet is known to its domain, which registers a
# catalog here at app start (portal.create_app). Courses never imports those domains.

# A catalog is a select of one column, the keys of the domain's assessments online now: courses
# runs the catalogs a page needs in one statement, or within one of its own (the track page).
AssessmentCatalog = sa.Select[tuple[str]]
_catalogs: dict[AssessmentSource, AssessmentCatalog] = {}
# The statements built from them, by what they read (built once: the catalogs come at start).
_catalog_unions: dict[tuple[str, tuple[AssessmentSource, ...]], sa.CompoundSelect] = {}


def register_assessment_catalog(source: AssessmentSource, catalog: AssessmentCatalog) -> None:
    """An assessment domain tells courses how to list the keys of its assessments online."""
    if source not in ONLINE_SOURCES:
        raise ValueError(f"{source} is not an online assessment")
    _catalogs[source] = catalog
    _catalog_unions.clear()


def _catalog_rows(sources: tuple[AssessmentSource, ...]) -> list[sa.Select[Any]]:
    """Rows (2, source, key) of the catalogs of `sources`: the shape of `_PASSED_AND_TICKED`."""
    rows = []
    for source in sources:
        keys = _catalogs[source].subquery()
        rows.append(sa.select(sa.literal_column("2", sa.Integer),
                              sa.literal_column(f"'{source.value}'", sa.String(64)),
                              keys.c[0]))
    return rows


def _catalog_sources(stages: Sequence[Stage]) -> tuple[AssessmentSource, ...]:
    found = {a.source for s in stages for a in s.requirements if a.source in _catalogs}
    return tuple(sorted(found))


def _online(stages: Sequence[Stage], online: Mapping[AssessmentSource, Container[str]]
            ) -> dict[str, list[StageAssessment]]:
    result = {s.key: [a for a in s.requirements if a.key in online.get(a.source, ())]
              for s in stages}
    return {key: found for key, found in result.items() if found}


def online_stage_assessments(session: Session,
                             stages: Sequence[Stage]) -> dict[str, list[StageAssessment]]:
    """The stages (by key) with the assessments of each that can be taken online now."""
    sources = _catalog_sources(stages)
    online: dict[AssessmentSource, set[str]] = {}
    if sources:
        union = _catalog_unions.get(("online", sources))
        if union is None:
            union = _catalog_unions[("online", sources)] = sa.union_all(*_catalog_rows(sources))
        for _, source, key in session.execute(union):
            online.setdefault(AssessmentSource(source), set()).add(key)
    return _online(stages, online)


# Where a trainee stands with each online assessment is read from the assessment domains
# too (by portal.progress.results, registered in create_app): courses only shows it.
Standings = dict[tuple[AssessmentSource, str], rules.AssessmentStanding]
StandingsReader = Callable[[Session, User, datetime], Standings]
_standings_readers: list[StandingsReader] = []


def register_assessment_standings(reader: StandingsReader) -> None:
    if reader not in _standings_readers:
        _standings_readers.append(reader)


def assessment_standings(session: Session, *, user: User, now: datetime) -> Standings:
    """The trainee's standing with every online assessment they may take, by (source, key)."""
    found: Standings = {}
    for reader in _standings_readers:
        found.update(reader(session, user, now))
    return found


def stage_assessments(session: Session, *, track_key: str) -> dict[str, StageAssessment] | None:
    """What each stage of a published track needs to pass (its first assessment, the written
    exam when it names one); None if the track is not imported. See `stage_assessment_lists`."""
    track = session.scalar(sa.select(Track).where(Track.key == track_key))
    if track is None or track.current_version is None:
        return None
    return {s.key: s.requirements[0] for s in track.current_version.stages}


def stage_assessment_lists(session: Session, *,
                           track_key: str) -> dict[str, list[StageAssessment]] | None:
    """Every assessment each stage of a published track names; None if it is not imported."""
    track = session.scalar(sa.select(Track).where(Track.key == track_key))
    if track is None or track.current_version is None:
        return None
    return {s.key: list(s.requirements) for s in track.current_version.stages}


def record_assessment_passed(session: Session, *, user_id: int, track_key: str, stage_key: str,
                             source: AssessmentSource, reference: str,
                             now: datetime) -> StageCompletion | None:
    """An assessment domain reports that a trainee passed a stage's assessment; idempotent.

    `reference` says what was passed, for the timeline ("考试名 #2: 90"). Each assessment's
    first pass is kept; the stage completes when every assessment it names is passed (the
    completion is returned then, None while another assessment of the stage is still open).
    A later pass (another attempt, a concurrent request) changes nothing.
    """
    insert_ignore(session, AssessmentPass, {
        "user_id": user_id, "track_key": track_key, "stage_key": stage_key,
        "source": source.value, "passed_at": now, "reference": reference},
        index_elements=("user_id", "track_key", "stage_key", "source"))
    needed = (stage_assessment_lists(session, track_key=track_key) or {}).get(stage_key)
    if needed and len(needed) > 1:
        passed = set(session.scalars(sa.select(AssessmentPass.source).where(
            AssessmentPass.user_id == user_id, AssessmentPass.track_key == track_key,
            AssessmentPass.stage_key == stage_key)))
        if any(a.source.value not in passed for a in needed):
            return None
    completion, _ = _pass_stage(session, user_id=user_id, track_key=track_key,
                                stage_key=stage_key, source=source, by_user_id=None,
                                reason=reference, now=now)
    return completion


def passed_assessments(session: Session, *, user_id: int, track_key: str
                       ) -> dict[str, set[AssessmentSource]]:
    """Which assessments of each stage a trainee has passed (stage key -> sources)."""
    found: dict[str, set[AssessmentSource]] = {}
    for stage_key, source in session.execute(sa.select(
            AssessmentPass.stage_key, AssessmentPass.source).where(
            AssessmentPass.user_id == user_id, AssessmentPass.track_key == track_key)):
        found.setdefault(stage_key, set()).add(AssessmentSource(source))
    return found


def _pass_stage(session: Session, *, user_id: int, track_key: str, stage_key: str,
                source: AssessmentSource, by_user_id: int | None, reason: str,
                now: datetime) -> tuple[StageCompletion, bool]:
    """The stage's completion, written unless one exists: (completion, written by this call).

    An upsert, so that two requests passing the same stage at once (an exam graded while
    a trainer marks it, a double click) both succeed and the first one counts.
    """
    inserted = insert_ignore(session, StageCompletion, {
        "user_id": user_id, "track_key": track_key, "stage_key": stage_key,
        "completed_at": now, "source": source.value, "by_user_id": by_user_id,
        "reason": reason}, index_elements=("user_id", "track_key", "stage_key"))
    completion = session.scalars(sa.select(StageCompletion).where(
        StageCompletion.user_id == user_id, StageCompletion.track_key == track_key,
        StageCompletion.stage_key == stage_key)).one()
    return completion, inserted


# --- reading ------------------------------------------------------------------

@dataclass(frozen=True)
class ModuleTitle:
    """What a track's page shows of a module's version in use."""

    id: int
    title: str
    minutes: int


@dataclass(frozen=True)
class TrackModule:
    """A module as its track's page lists it (named like `Module`'s attributes)."""

    id: int
    key: str
    current_version: ModuleTitle | None


@dataclass(frozen=True)
class Reading:
    """A trainee's progress on a module as their track's page shows it (`ModuleProgress`)."""

    module_id: int
    completed_at: datetime | None
    seconds_spent: int


@dataclass(frozen=True)
class TrackView:
    track: TrackRef
    version: TrackText
    statuses: list[rules.StageStatus]
    modules: dict[str, TrackModule]
    progress: dict[str, Reading]  # the modules the trainee opened, by key
    checklists: dict[str, rules.ChecklistState]  # team-integration stages by key
    online: dict[str, list[StageAssessment]]  # stages' assessments that can be taken online now


# A track read with the version in use, in one statement (every reader of a track needs
# it); the version's source text is for exports only.
_WITH_VERSION = orm.joinedload(Track.current_version).defer(TrackVersion.source_text)


def get_track(session: Session, track_key: str) -> Track:
    track = session.scalar(sa.select(Track).where(Track.key == track_key).options(_WITH_VERSION))
    if track is None or track.current_version is None:
        raise NotFound(N_("找不到培训路线 %(key)s"), key=track_key)
    return track


def _cohort_pending(user: User) -> bool:
    """Whether reading the user's cohort would cost a statement (it has one, not loaded yet):
    a page's first query then reads it too and hands it over (`_cohort_read`)."""
    if user.cohort_id is None:
        return False
    state = sa.inspect(user, raiseerr=False)  # None for a signed-in Principal (no ORM object)
    return state is None or "cohort" not in state.dict


def _cohort_read(user: User, cohort: Cohort | None) -> None:
    """`user.cohort` is the cohort a query read with its own first statement, loaded as if
    by the relationship (no change to flush; the session keeps only weak references, so the
    relationship must hold it for the page's later reads)."""
    if cohort is not None:
        set_committed_value(user, "cohort", cohort)


_t, _tv = Track.__table__, TrackVersion.__table__
_m, _mv = Module.__table__, ModuleVersion.__table__
_mp, _sc, _co = ModuleProgress.__table__, StageCompletion.__table__, Cohort.__table__
_ct = ChecklistTick.__table__

_CONTENT: weakref.WeakKeyDictionary[Any, dict[tuple[str, int], Any]] = \
    weakref.WeakKeyDictionary()


def _content(session: Session) -> dict[tuple[str, int], Any]:
    """Versions' content kept for this session's database, by (kind, version id)."""
    return per_engine(session, _CONTENT, dict)


@dataclass(frozen=True)
class TrackText:
    """A track's version in use as its trainees' pages show it (named like `TrackVersion`'s
    attributes; without the source text)."""

    id: int
    title: str
    summary: str
    stages: tuple[Stage, ...]


# The track page's reads, built once (bindparams). A cohort read with its track's version
# in use (by id: the version's content is kept per database, `_content`, as a module
# page's is); the modules with their versions' titles and the trainee's progress; the
# passed stages and the checklist ticks.
_COHORT_TRACK = (sa.select(Cohort, _t.c.id, _t.c.current_version_id)
                 .outerjoin(_t, _t.c.key == Cohort.track_key)
                 .where(Cohort.id == sa.bindparam("cohort_id")))
_TRACK = sa.select(_t.c.id, _t.c.current_version_id).where(_t.c.key == sa.bindparam("track_key"))
_TRACK_TEXT = sa.select(_tv.c.title, _tv.c.summary, _tv.c.stages).where(
    _tv.c.id == sa.bindparam("track_version_id"))
_TRACK_MODULES = (
    sa.select(_m.c.id, _m.c.key, _mv.c.id, _mv.c.title, _mv.c.minutes, _mp.c.id,
              _mp.c.completed_at, _mp.c.seconds_spent)
    .select_from(_m.outerjoin(_mv, _mv.c.id == _m.c.current_version_id)
                 .outerjoin(_mp, sa.and_(_mp.c.module_id == _m.c.id,
                                         _mp.c.user_id == sa.bindparam("user_id"))))
    .where(_m.c.track_id == sa.bindparam("track_id")).order_by(_m.c.key))
# The passed stages (0, stage, NULL) and the checklist ticks (1, stage, item); the track page
# adds the catalogs its stages need (2, source, key), so one statement reads all three.
_PASSED_AND_TICKED = (
    sa.select(sa.literal_column("0", sa.Integer).label("row_kind"), _sc.c.stage_key,
              sa.cast(sa.null(), _ct.c.item_key.type).label("item_key"))
    .where(_sc.c.user_id == sa.bindparam("user_id"), _sc.c.track_key == sa.bindparam("track_key")),
    sa.select(sa.literal_column("1", sa.Integer), _ct.c.stage_key, _ct.c.item_key)
    .where(_ct.c.user_id == sa.bindparam("user_id"), _ct.c.track_key == sa.bindparam("track_key")))


def _track_state_select(sources: tuple[AssessmentSource, ...]) -> sa.CompoundSelect:
    key = ("track-state", sources)
    found = _catalog_unions.get(key)
    if found is None:
        found = _catalog_unions[key] = sa.union_all(*_PASSED_AND_TICKED,
                                                    *_catalog_rows(sources))
    return found


def _track_text(session: Session, version_id: int) -> TrackText:
    kept = _content(session)
    found = kept.get(("track-text", version_id))
    if found is None:
        title, summary, stages = session.execute(
            _TRACK_TEXT, {"track_version_id": version_id}).one()
        found = kept[("track-text", version_id)] = TrackText(
            version_id, title, summary or "", rules.stages_from_data(stages or []))
    return found  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class CohortFacts:
    """A cohort as its trainee's home shows it (named like `Cohort`'s attributes): what a
    signed-in `Principal`'s track page reads of it, in its first statement, as columns."""

    id: int
    name: str
    start_date: date
    track_key: str


@dataclass(frozen=True)
class MyTrack:
    """A trainee's cohort (None without one) and track (None if none is assigned/published)."""

    cohort: Cohort | CohortFacts | None
    view: TrackView | None


# A `Principal`'s cohort, its track and the track's version in use: columns, no ORM object.
_COHORT_FACTS_TRACK = (
    sa.select(_co.c.id, _co.c.name, _co.c.start_date, _co.c.track_key, _t.c.id,
              _t.c.current_version_id)
    .select_from(_co.outerjoin(_t, _t.c.key == _co.c.track_key))
    .where(_co.c.id == sa.bindparam("cohort_id")))


def my_track(session: Session, *, user: User) -> MyTrack:
    """The trainee's cohort and track with every stage's state (`track_for_trainee`). For a
    signed-in `Principal` (no ORM object) the cohort is read as its columns (`CohortFacts`)."""
    if sa.inspect(user, raiseerr=False) is not None:  # an ORM `User`
        view = track_for_trainee(session, user=user)
        return MyTrack(user.cohort, view)
    if user.cohort_id is None:
        return MyTrack(None, None)
    row = session.execute(_COHORT_FACTS_TRACK, {"cohort_id": user.cohort_id}).one_or_none()
    if row is None:
        return MyTrack(None, None)
    cohort = CohortFacts(row[0], row[1], row[2], row[3])
    track_id, version_id = row[4], row[5]
    if track_id is None or version_id is None:
        return MyTrack(cohort, None)
    return MyTrack(cohort, _track_view(session, TrackRef(track_id, cohort.track_key),
                                       _track_text(session, version_id), user, cohort))


def track_for_trainee(session: Session, *, user: User) -> TrackView | None:
    """The trainee's track with every stage's state, or None if none is assigned/published."""
    if sa.inspect(user, raiseerr=False) is None:  # a signed-in Principal
        return my_track(session, user=user).view
    if _cohort_pending(user):
        row = session.execute(_COHORT_TRACK, {"cohort_id": user.cohort_id}).one_or_none()
        cohort, track_id, version_id = row if row is not None else (None, None, None)
        _cohort_read(user, cohort)
    else:
        cohort = user.cohort
        track_id = version_id = None
        if cohort is not None:
            found = session.execute(_TRACK, {"track_key": cohort.track_key}).one_or_none()
            if found is not None:
                track_id, version_id = found
    if cohort is None or track_id is None or version_id is None:
        return None
    return _track_view(session, TrackRef(track_id, cohort.track_key),
                       _track_text(session, version_id), user, cohort)


def _track_view(session: Session, track: TrackRef, version: TrackText, user: User,
                cohort: Cohort | CohortFacts | None) -> TrackView:
    # The modules, the title and length of each one's version in use (never a body: the
    # bodies are most of a version's bytes) and the trainee's progress on each.
    modules: dict[str, TrackModule] = {}
    progress: dict[str, Reading] = {}
    for (module_id, key, version_id, title, minutes, progress_id, completed_at,
         seconds_spent) in session.execute(_TRACK_MODULES, {"track_id": track.id,
                                                            "user_id": user.id}):
        modules[key] = TrackModule(module_id, key, None if version_id is None
                                   else ModuleTitle(version_id, title, minutes))
        if progress_id is not None:
            progress[key] = Reading(module_id, completed_at, seconds_spent)
    done = {key for key, p in progress.items() if p.completed_at is not None}
    passed: set[str] = set()
    ticks: dict[str, set[str]] = {}
    online: dict[AssessmentSource, set[str]] = {}
    for row_kind, stage_key, item_key in session.execute(
            _track_state_select(_catalog_sources(version.stages)),
            {"user_id": user.id, "track_key": track.key}):
        if row_kind == 0:
            passed.add(stage_key)
        elif row_kind == 1:
            ticks.setdefault(stage_key, set()).add(item_key)
        else:  # a catalog's row: the source, the key of an assessment online
            online.setdefault(AssessmentSource(stage_key), set()).add(item_key)
    statuses = rules.stage_statuses(version.stages, passed=passed, done_modules=done,
                                    start_date=cohort.start_date if cohort else None)
    checklists = {s.key: rules.checklist_state(s, ticks.get(s.key, set()))
                  for s in version.stages if s.kind is StageKind.TEAM_INTEGRATION}
    return TrackView(track=track, version=version, statuses=statuses, modules=modules,
                     progress=progress, checklists=checklists,
                     online=_online(version.stages, online))


def stage_for_trainee(session: Session, *, user: User, track_key: str,
                      stage_key: str | None) -> rules.StageStatus | None:
    """The trainee's state of a stage of their own track; None when it is not on their track.
    Assessment domains ask this before a trainee starts one of theirs."""
    view = track_for_trainee(session, user=user)
    if view is None or view.track.key != track_key:
        return None
    return next((s for s in view.statuses if s.key == stage_key), None)


def stage_states_for(session: Session, *, users: Sequence[User], track_key: str
                     ) -> dict[int, dict[str, rules.StageStatus]]:
    """Each trainee's state of every stage of `track_key`, by trainee id and stage key: what
    `stage_for_trainee` answers one at a time, for a whole cohort in three queries. Users
    not on that track (another cohort's track, no cohort, not a trainee's) are left out."""
    track = session.scalar(sa.select(Track).where(Track.key == track_key))
    if track is None or track.current_version is None:
        return {}
    on_track = [u for u in users if u.cohort is not None and u.cohort.track_key == track_key]
    if not on_track:
        return {}
    ids = [u.id for u in on_track]
    keys = {m.id: m.key for m in track.modules}
    done: dict[int, set[str]] = {i: set() for i in ids}
    for user_id, module_id in session.execute(sa.select(
            ModuleProgress.user_id, ModuleProgress.module_id).where(
            ModuleProgress.user_id.in_(ids), ModuleProgress.module_id.in_(list(keys)),
            ModuleProgress.completed_at.is_not(None))):
        done[user_id].add(keys[module_id])
    passed: dict[int, set[str]] = {i: set() for i in ids}
    for user_id, stage_key in session.execute(sa.select(
            StageCompletion.user_id, StageCompletion.stage_key).where(
            StageCompletion.user_id.in_(ids), StageCompletion.track_key == track_key)):
        passed[user_id].add(stage_key)
    stages = track.current_version.stages
    return {u.id: {s.key: s for s in rules.stage_statuses(
        stages, passed=passed[u.id], done_modules=done[u.id],
        start_date=u.cohort.start_date if u.cohort else None)} for u in on_track}


def may_take(session: Session, *, users: Sequence[User], track_key: str | None,
             stage_key: str | None) -> list[User]:
    """The users who may take an assessment of `stage_key` on `track_key` now: trainees and,
    for an assessment that passes a stage, on that track with the stage open. What each
    assessment domain refuses one trainee at a time, for a cohort at once."""
    trainees = [u for u in users if u.role is Role.TRAINEE]
    if track_key is None:
        return trainees
    states = stage_states_for(session, users=trainees, track_key=track_key)
    return [u for u in trainees if (state := states.get(u.id, {}).get(stage_key or "")) is not None
            and state.state is not rules.StageState.LOCKED]


def passed_stages(session: Session, *, user_id: int, track_key: str) -> set[str]:
    return set(session.scalars(sa.select(StageCompletion.stage_key).where(
        StageCompletion.user_id == user_id, StageCompletion.track_key == track_key)))


@dataclass(frozen=True)
class TrackRef:
    """A track as a module's page names it."""

    id: int
    key: str


@dataclass(frozen=True)
class ModuleRef:
    """A module as its page names it."""

    id: int
    key: str


@dataclass(frozen=True)
class ModuleText:
    """A module's version in use as its page shows it (named like `ModuleVersion`'s
    attributes; without the Markdown source: the page shows the HTML rendered at import)."""

    id: int
    number: int
    title: str
    summary: str
    minutes: int
    tags: list[str]
    toc_html: str
    body_html: str


@dataclass(frozen=True)
class ModuleReading:
    """A trainee's progress on a module as its page shows it, read only (`ModuleProgress`)."""

    completed_at: datetime | None
    last_opened_at: datetime
    last_anchor: str | None


@dataclass(frozen=True)
class ModulePage:
    track: TrackRef
    module: ModuleRef
    version: ModuleText
    stage: Stage
    previous_key: str | None
    next_key: str | None
    progress: ModuleProgress | ModuleReading | None  # the trainee's (read only, or written)
    # The stage's last module leads to what passes the stage (for a trainee): its
    # assessments online, or its checklist; the next stage's first module only once open.
    stage_end: bool = False
    assessments: list[StageAssessment] = field(default_factory=list)
    next_locked: bool = False
    visit_due: bool = False  # a trainee's visit to record (`record_visit`)


@dataclass(frozen=True)
class StageLock:
    """Why a stage is locked for a trainee, and what unlocks it: the first earlier stage
    not passed yet, its unread modules and the assessments that pass it."""

    track_key: str
    stage: rules.StageStatus
    blocking: rules.StageStatus
    assessments: list[StageAssessment]  # the blocking stage's (online ones, or its kind)
    online: bool  # whether `assessments` can be taken in the portal
    next_module_key: str | None  # the blocking stage's first unread module
    next_module_title: str


def stage_lock(session: Session, *, user: User, track_key: str,
               stage_key: str) -> StageLock | None:
    """What unlocks `stage_key` for the trainee; None when it is not locked."""
    view = track_for_trainee(session, user=user)
    if view is None or view.track.key != track_key:
        return None
    index = next((i for i, s in enumerate(view.statuses) if s.key == stage_key), None)
    if index is None or view.statuses[index].state is not rules.StageState.LOCKED:
        return None
    blocking = next(s for s in view.statuses[:index] if s.state is not rules.StageState.PASSED)
    definition = next(s for s in view.version.stages if s.key == blocking.key)
    online = view.online.get(blocking.key, [])
    unread = next(((key, view.modules[key]) for key in definition.modules
                   if key in view.modules and view.modules[key].current_version is not None
                   and (view.progress.get(key) is None
                        or view.progress[key].completed_at is None)), None)
    return StageLock(
        track_key=track_key, stage=view.statuses[index], blocking=blocking,
        assessments=online or list(definition.requirements), online=bool(online),
        next_module_key=unread[0] if unread else None,
        next_module_title=unread[1].current_version.title if unread and unread[1].current_version
        else "")


def open_module(session: Session, *, user: User, track_key: str, module_key: str,
                now: datetime) -> ModulePage:
    """A module as `user` may read it; a trainee's visit is recorded (`record_visit`)."""
    page = read_module(session, user=user, track_key=track_key, module_key=module_key, now=now)
    if user.role is Role.TRAINEE:
        page = record_visit(session, page=page, user_id=user.id, now=now)
    return page


# A module page's reads, built once (bindparams), as plain Core selects of the tables: the
# page shows values, it changes none of them. The track's and the module's versions in use
# are read by id on every request; what a version holds never changes, so what the page
# needs of it is kept per database (`_content`) under that id.
def _module_page_query(*, trainee: bool, with_cohort: bool) -> sa.Select[Any]:
    """The track and module (their versions in use, by id); for a trainee also their
    progress on the module and, one a row, the stages they passed (the first row only when
    none), and their cohort's track when the cohort is not loaded yet."""
    user_id = sa.bindparam("user_id")
    columns = [_t.c.id, _t.c.current_version_id, _m.c.id, _m.c.current_version_id]
    source = _t.outerjoin(_m, sa.and_(_m.c.track_id == _t.c.id,
                                      _m.c.key == sa.bindparam("module_key")))
    if trainee:
        columns += [_mp.c.completed_at, _mp.c.last_opened_at, _mp.c.last_anchor,
                    _sc.c.stage_key]
        source = (source
                  .outerjoin(_mp, sa.and_(_mp.c.module_id == _m.c.id, _mp.c.user_id == user_id))
                  .outerjoin(_sc, sa.and_(_sc.c.user_id == user_id,
                                          _sc.c.track_key == _t.c.key)))
    if with_cohort:
        columns.append(_co.c.track_key)
        source = source.outerjoin(_co, _co.c.id == sa.bindparam("cohort_id"))
    return sa.select(*columns).select_from(source).where(_t.c.key == sa.bindparam("track_key"))


_MODULE_PAGE = {(trainee, with_cohort): _module_page_query(trainee=trainee,
                                                           with_cohort=with_cohort)
                for trainee, with_cohort in ((False, False), (True, False), (True, True))}
_VERSIONS = (sa.select(_tv.c.title, _tv.c.summary, _tv.c.stages, _mv.c.number, _mv.c.title,
                       _mv.c.summary, _mv.c.minutes, _mv.c.tags, _mv.c.toc_html, _mv.c.body_html)
             .select_from(_tv.join(_mv, sa.true()))
             .where(_tv.c.id == sa.bindparam("track_version_id"),
                    _mv.c.id == sa.bindparam("module_version_id")))


@dataclass(frozen=True)
class _TrackPlan:
    """What a track's version in use says of its modules: stages and reading order."""

    stages: tuple[Stage, ...]
    order: dict[str, int]  # module key -> place in the reading order
    keys: list[str]  # the reading order


def _versions(session: Session, track_version_id: int,
              module_version_id: int) -> tuple[_TrackPlan, ModuleText]:
    """The track version's plan and the module version's text, read once per process."""
    kept = _content(session)
    track = kept.get(("track-text", track_version_id))
    text = kept.get(("module", module_version_id))
    if track is None or text is None:
        row = session.execute(_VERSIONS, {"track_version_id": track_version_id,
                                          "module_version_id": module_version_id}).one()
        track = kept[("track-text", track_version_id)] = TrackText(
            track_version_id, row[0], row[1] or "", rules.stages_from_data(row[2] or []))
        text = kept[("module", module_version_id)] = ModuleText(
            id=module_version_id, number=row[3], title=row[4], summary=row[5], minutes=row[6],
            tags=list(row[7] or []), toc_html=row[8] or "", body_html=row[9])
    plan = kept.get(("track", track_version_id))
    if plan is None:
        keys = rules.reading_order(track.stages)
        plan = kept[("track", track_version_id)] = _TrackPlan(
            track.stages, {key: i for i, key in enumerate(keys)}, keys)
    return plan, text


def read_module(session: Session, *, user: User, track_key: str, module_key: str,
                now: datetime) -> ModulePage:
    """A module as `user` may read it, reading only: a trainee's progress as it is (None
    before the first visit). `page.visit_due` says whether `record_visit` would write."""
    trainee = user.role is Role.TRAINEE
    with_cohort = trainee and _cohort_pending(user)
    rows = session.execute(_MODULE_PAGE[trainee, with_cohort], {
        "track_key": track_key, "module_key": module_key,
        "user_id": user.id, "cohort_id": user.cohort_id}).all()
    if not rows or rows[0][1] is None:
        raise NotFound(N_("找不到培训路线 %(key)s"), key=track_key)
    track_id, track_version_id, module_id, version_id = rows[0][:4]
    if module_id is None or version_id is None:
        raise ModuleNotFound(N_("找不到该模块"))
    plan, text = _versions(session, track_version_id, version_id)
    stages = plan.stages
    stage = rules.stage_of_module(stages, module_key)
    if stage is None:
        raise ModuleNotFound(N_("找不到该模块"))
    module = ModuleRef(module_id, module_key)
    progress = None
    visit_due = False
    statuses: list[rules.StageStatus] = []
    if trainee:
        cohort_track = rows[0][8] if with_cohort else (
            user.cohort.track_key if user.cohort_id is not None and user.cohort else None)
        if cohort_track != track_key:
            raise ModuleNotFound(N_("找不到该模块"))
        # Locks depend on passed stages only: no need to load every module's progress.
        statuses = rules.stage_statuses(
            stages, passed={row[7] for row in rows if row[7] is not None},
            done_modules=set(), start_date=None)
        status = next(s for s in statuses if s.key == stage.key)
        if status.state is rules.StageState.LOCKED:
            raise StageLocked(N_("阶段“%(stage)s”尚未解锁：需先通过“%(previous)s”的考核"),
                              stage_key=status.key, stage=status.title,
                              previous=status.unlocked_by or "")
        completed_at, last_opened_at, last_anchor = rows[0][4:7]
        if last_opened_at is not None:
            progress = ModuleReading(completed_at=completed_at, last_opened_at=last_opened_at,
                                     last_anchor=last_anchor)
        visit_due = rules.visit_due(last_opened_at, now)
    order = plan.keys
    i = plan.order[module_key]
    next_key = order[i + 1] if i + 1 < len(order) else None
    stage_end = trainee and module_key == stage.modules[-1]
    next_locked = False
    if stage_end and next_key is not None:
        next_stage = rules.stage_of_module(stages, next_key)
        next_locked = next(s for s in statuses if next_stage and s.key == next_stage.key
                           ).state is rules.StageState.LOCKED
    return ModulePage(track=TrackRef(track_id, track_key), module=module, version=text,
                      stage=stage,
                      previous_key=order[i - 1] if i > 0 else None, next_key=next_key,
                      progress=progress, stage_end=stage_end,
                      assessments=online_stage_assessments(session, [stage]).get(stage.key, [])
                      if stage_end else [],
                      next_locked=next_locked, visit_due=visit_due)


def record_visit(session: Session, *, page: ModulePage, user_id: int,
                 now: datetime) -> ModulePage:
    """Write the trainee's visit of the page's module: the progress starts at the first
    visit, and `last_opened_at` moves when it is older than `rules.LAST_SEEN_STEP` (a page
    read again within minutes writes nothing). Re-read here, so that it can run in a
    transaction of its own after `read_module` (another request may have written since)."""
    progress = _progress(session, user_id, page.module.id, now)
    if rules.visit_due(progress.last_opened_at, now):
        progress.last_opened_at = now
        session.flush()
    return replace(page, progress=progress, visit_due=False)


def _progress_query(user_id: int, module_id: int) -> sa.Select[tuple[ModuleProgress]]:
    return sa.select(ModuleProgress).where(ModuleProgress.user_id == user_id,
                                           ModuleProgress.module_id == module_id)


def _progress(session: Session, user_id: int, module_id: int, now: datetime) -> ModuleProgress:
    """The trainee's progress on the module, started on the first visit.

    Two first visits at once (a second tab, a double click) both find no row: the insert
    is an upsert, so the later one takes the row the earlier one wrote instead of failing.
    """
    query = _progress_query(user_id, module_id)
    progress = session.scalar(query)
    if progress is None:
        insert_ignore(session, ModuleProgress, {
            "user_id": user_id, "module_id": module_id, "first_opened_at": now,
            "last_opened_at": now}, index_elements=("user_id", "module_id"))
        progress = session.scalars(query).one()
    return progress


def set_module_done(session: Session, *, user: User, track_key: str, module_key: str, done: bool,
                    now: datetime) -> ModulePage:
    page = open_module(session, user=user, track_key=track_key, module_key=module_key, now=now)
    assert page.progress is not None
    page.progress.completed_at = now if done else None
    session.flush()
    return page


def record_reading(session: Session, *, user: User, track_key: str, module_key: str,
                   seconds: int, anchor: str | None, now: datetime) -> ModuleProgress:
    """A heartbeat from the module page: time spent and where the trainee is."""
    page = open_module(session, user=user, track_key=track_key, module_key=module_key, now=now)
    assert page.progress is not None
    page.progress.seconds_spent += rules.clamp_seconds(seconds)
    if anchor:
        page.progress.last_anchor = anchor[:200]
    session.flush()
    return page.progress


def complete_stage_manually(session: Session, *, actor: User, trainee_id: int, track_key: str,
                            stage_key: str, reason: str, now: datetime) -> StageCompletion:
    """A trainer marks a stage's assessment as passed while no exam exists for it."""
    trainee = _followed_trainee(session, actor=actor, trainee_id=trainee_id)
    if trainee.cohort is None:
        raise NotFound(N_("找不到该新客服"))
    if not reason.strip():
        raise ContentInvalid(N_("请填写原因"))
    track = get_track(session, track_key)
    assert track.current_version is not None
    if trainee.cohort.track_key != track_key:
        raise NotFound(N_("该新客服不在这条培训路线上"))
    stage = next((s for s in track.current_version.stages if s.key == stage_key), None)
    if stage is None:
        raise NotFound(N_("找不到该阶段"))
    if stage.kind is StageKind.TEAM_INTEGRATION:
        raise ChecklistIncomplete(N_("融入团队阶段由新客服勾选清单、主管确认，不能直接标记"))
    if stage_key in online_stage_assessments(session, [stage]):
        raise ChecklistIncomplete(N_("该阶段已有在线考试，须通过考试完成"))
    completion, written = _pass_stage(
        session, user_id=trainee.id, track_key=track_key, stage_key=stage_key,
        source=AssessmentSource.MANUAL, by_user_id=actor.id, reason=reason.strip(), now=now)
    if not written:
        return completion
    audit.record(session, actor_id=actor.id, action="stage.complete_manual", target_type="user",
                 target_id=trainee.id,
                 details={"track": track_key, "stage": stage_key, "reason": reason.strip()},
                 now=now)
    return completion


def trainee_track(session: Session, *, actor: User, trainee_id: int) -> tuple[User, TrackView | None]:
    """A trainee's track as their trainer/supervisor sees it."""
    trainee = _followed_trainee(session, actor=actor, trainee_id=trainee_id)
    return trainee, track_for_trainee(session, user=trainee)


def _followed_trainee(session: Session, *, actor: User, trainee_id: int) -> User:
    """The trainee, if `actor` may see them (the rule is `auth.access`)."""
    return access.check_may_see_trainee(session, actor=actor, trainee_id=trainee_id)


def search_modules(session: Session, *, user: User, query: str) -> list[tuple[str, search.Hit]]:
    """Modules matching `query` that `user` may open: a trainee's unlocked stages only."""
    documents: list[search.Document] = []
    if user.role is Role.TRAINEE:
        view = track_for_trainee(session, user=user)
        if view is None:
            return []
        open_stages = {s.key for s in view.statuses if s.state is not rules.StageState.LOCKED}
        keys = {m for s in view.version.stages if s.key in open_stages for m in s.modules}
        tracks = [session.scalars(sa.select(Track).where(Track.id == view.track.id)).one()]
    else:
        tracks = list(session.scalars(sa.select(Track).order_by(Track.key)))
        keys = None
    for track in tracks:
        for module in track.modules:
            version = module.current_version
            if version is None or (keys is not None and module.key not in keys):
                continue
            documents.append(search.Document(
                key=f"{track.key}/{module.key}", title=version.title,
                text=search.plain_text(version.body_html)))
    return [(h.key.split("/", 1)[0], h) for h in search.search(documents, query)]


def _team_stage(session: Session, track_key: str, stage_key: str) -> Stage:
    track = get_track(session, track_key)
    assert track.current_version is not None
    stage = next((s for s in track.current_version.stages if s.key == stage_key), None)
    if stage is None or stage.kind is not StageKind.TEAM_INTEGRATION:
        raise NotFound(N_("找不到该融入团队清单"))
    return stage


def tick_checklist_item(session: Session, *, user: User, track_key: str, stage_key: str,
                        item_key: str, ticked: bool, now: datetime) -> TrackView:
    """A trainee ticks (or unticks) a team-integration item, while the stage is open."""
    stage = _team_stage(session, track_key, stage_key)
    if not any(item.key == item_key for item in stage.checklist):
        raise NotFound(N_("找不到该清单项"))
    view = track_for_trainee(session, user=user)
    if view is None or view.track.key != track_key:
        raise NotFound(N_("找不到该融入团队清单"))
    status = next(s for s in view.statuses if s.key == stage_key)
    if status.state is rules.StageState.LOCKED:
        raise StageLocked(N_("阶段“%(stage)s”尚未解锁：需先通过“%(previous)s”的考核"),
                          stage=status.title, previous=status.unlocked_by or "")
    if status.state is rules.StageState.PASSED:
        raise ChecklistIncomplete(N_("主管已确认该清单，不能再修改"))
    if ticked:  # an upsert: the same tick sent twice at once (a double click) is one tick
        insert_ignore(session, ChecklistTick, {
            "user_id": user.id, "track_key": track_key, "stage_key": stage_key,
            "item_key": item_key, "ticked_at": now},
            index_elements=("user_id", "track_key", "stage_key", "item_key"))
    else:
        session.execute(sa.delete(ChecklistTick).where(
            ChecklistTick.user_id == user.id, ChecklistTick.track_key == track_key,
            ChecklistTick.stage_key == stage_key, ChecklistTick.item_key == item_key))
    session.flush()
    result = track_for_trainee(session, user=user)
    assert result is not None
    return result


def confirm_checklist(session: Session, *, actor: User, trainee_id: int, stage_key: str,
                      now: datetime) -> StageCompletion:
    """A supervisor confirms a trainee's completed team-integration checklist: the stage passes."""
    trainee = _followed_trainee(session, actor=actor, trainee_id=trainee_id)
    view = track_for_trainee(session, user=trainee)
    if view is None:
        raise NotFound(N_("该新客服所在批次的培训路线尚未发布"))
    _team_stage(session, view.track.key, stage_key)
    status = next(s for s in view.statuses if s.key == stage_key)
    if status.state is rules.StageState.PASSED:
        return session.scalars(sa.select(StageCompletion).where(
            StageCompletion.user_id == trainee.id, StageCompletion.track_key == view.track.key,
            StageCompletion.stage_key == stage_key)).one()
    if status.state is rules.StageState.LOCKED:
        raise StageLocked(N_("该阶段尚未解锁，不能确认"))
    state = view.checklists[stage_key]
    if not state.complete:
        raise ChecklistIncomplete(N_("新客服还有 %(n)d 项没有勾选，暂不能确认"),
                                  n=len(state.items) - state.done)
    completion, written = _pass_stage(
        session, user_id=trainee.id, track_key=view.track.key, stage_key=stage_key,
        source=AssessmentSource.CHECKLIST, by_user_id=actor.id, reason="", now=now)
    if not written:
        return completion
    audit.record(session, actor_id=actor.id, action="stage.confirm_checklist", target_type="user",
                 target_id=trainee.id, details={"track": view.track.key, "stage": stage_key},
                 now=now)
    return completion
