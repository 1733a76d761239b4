"""Observation forms and entries: importing forms as versions, recording an entry, a cohort's
grid and one cell's history. Takes `session` and `now`; flushes, never commits.

Who may record: trainers and supervisors, for trainees they may see (`portal.auth.access`,
the one rule). Entries are append-only: a change is a new row; a cell's current value is its
latest row across every version of the form, as long as the current version still has the item.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from portal.audit import services as audit
from portal.auth import access
from portal.auth.models import COHORT_STAFF_ROLES, Cohort, Role, User
from portal.chat.services import areas as chat_areas
from portal.chat.stats import TypingSpeed
from portal.errors import Forbidden, NotFound
from portal.messages import N_
from portal.observations.errors import ImportInvalid, ObservationInvalid
from portal.observations.models import ObservationEntry, ObservationForm, ObservationFormVersion
from portal.observations.rules import (
    ChatMeasure,
    ObservationFormDef,
    ObservationItem,
    clean_note,
    score_problem,
)
from portal.versioning import new_version_if_changed

# --- importing forms ------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What an import would do (dry run) or did, by form key."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.new or self.changed)


def plan_import(session: Session, *, forms: list[ObservationFormDef]) -> ImportPlan:
    """Compare the forms read from files with the database; write nothing."""
    plan = ImportPlan()
    existing = {f.key: f for f in session.scalars(
        sa.select(ObservationForm).options(joinedload(ObservationForm.current_version)))}
    for form in forms:
        record = existing.get(form.key)
        if record is None or record.current_version is None:
            plan.new.append(form.key)
        elif record.current_version.source_hash != form.content_hash:
            plan.changed.append(form.key)
        else:
            plan.unchanged.append(form.key)
    return plan


def apply_import(session: Session, *, forms: list[ObservationFormDef], actor_id: int | None,
                 now: datetime) -> ImportPlan:
    """A new version of each form whose content changed; forms not in the files stay as they are."""
    if not forms:
        raise ImportInvalid(N_("没有可导入的观察表"))
    plan = plan_import(session, forms=forms)
    for form in forms:
        record = session.scalar(sa.select(ObservationForm).where(ObservationForm.key == form.key))
        if record is None:
            record = ObservationForm(key=form.key)
            session.add(record)
            session.flush()
        new_version_if_changed(
            session, thing=record, content_hash=form.content_hash, actor_id=actor_id, now=now,
            version=ObservationFormVersion(title=form.title, definition=form.to_data()))
    if plan.touched:
        audit.record(session, actor_id=actor_id, action="observations.import",
                     target_type="observation_form", target_id=None,
                     details={"new": plan.new, "changed": plan.changed}, now=now)
    session.flush()
    return plan


# --- forms ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormChoice:
    key: str
    title: str


def form_choices(session: Session) -> list[FormChoice]:
    """The imported forms, in the order of the seed's tables (skills, service, attitude first)."""
    rows = session.execute(sa.select(ObservationForm.key, ObservationFormVersion.title)
                           .join(ObservationFormVersion,
                                 ObservationForm.current_version_id == ObservationFormVersion.id))
    order = {"skills": 0, "service": 1, "attitude": 2}
    return sorted((FormChoice(key, title) for key, title in rows),
                  key=lambda c: (order.get(c.key, 9), c.key))


def _current_form(session: Session, form_key: str) -> tuple[ObservationForm, ObservationFormDef]:
    form = session.scalar(sa.select(ObservationForm).where(ObservationForm.key == form_key)
                          .options(joinedload(ObservationForm.current_version)))
    if form is None or form.current_version is None:
        raise NotFound(N_("找不到该观察表"))
    return form, ObservationFormDef.from_data(form.current_version.definition)


# --- entries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    """One recorded entry as staff see it."""

    id: int
    score: int
    note: str
    recorded_by: str  # the recorder's name ("" once the account is gone)
    recorded_at: datetime
    form_version: int


def _view(entry: ObservationEntry, version_number: int, recorder: str | None) -> EntryView:
    return EntryView(id=entry.id, score=entry.score, note=entry.note, recorded_by=recorder or "",
                     recorded_at=entry.recorded_at, form_version=version_number)


def may_record(actor: User) -> bool:
    """Trainers and supervisors fill observation forms (admins manage accounts, not trainees)."""
    return actor.role in COHORT_STAFF_ROLES


def check_may_record(actor: User) -> None:
    if not may_record(actor):
        raise Forbidden(N_("只有培训组长和客服主管可以填写观察表"))


def _entries_query(form: ObservationForm) -> sa.Select[tuple[ObservationEntry, int, str | None]]:
    return (sa.select(ObservationEntry, ObservationFormVersion.number, User.display_name)
            .join(ObservationFormVersion,
                  ObservationEntry.form_version_id == ObservationFormVersion.id)
            .outerjoin(User, ObservationEntry.recorded_by_id == User.id)
            .where(ObservationFormVersion.observation_form_id == form.id))


def record_entry(session: Session, *, actor: User, trainee_id: int, form_key: str, item: str,
                 score: str | int | None, note: str | None, now: datetime) -> EntryView:
    """Record a score (1–5) and a note for one item of a form, for one trainee.

    Refused with nothing saved: an actor who is not a trainer or supervisor, a trainee the
    actor may not see (the one rule), an inactive trainee, a form not imported, an item
    not in the form's current version, a score outside 1–5, a note too long. The same score
    and note as the current value make no new row (nothing changed); the current one is
    returned.
    """
    check_may_record(actor)
    trainee = access.check_may_see_trainee(session, actor=actor, trainee_id=trainee_id)
    if not trainee.active:
        raise ObservationInvalid(N_("该新客服的账号已停用，不能再记录观察"))
    form, definition = _current_form(session, form_key)
    observed = definition.item(item)
    if observed is None:
        raise ObservationInvalid(N_("“%(form)s”中没有这个观察项"), form=definition.title)
    value, problem = score_problem(score, item=observed.title)
    if problem is None:
        cleaned, problem = clean_note(note, item=observed.title)
    if problem is not None or value is None:
        raise ObservationInvalid(problem or N_("评分无效"))
    current = _latest(session, form=form, trainee_id=trainee.id, item=observed.key)
    if current is not None and (current.score, current.note) == (value, cleaned):
        return current
    assert form.current_version is not None
    entry = ObservationEntry(trainee_id=trainee.id, form_version_id=form.current_version.id,
                             item=observed.key, score=value, note=cleaned,
                             recorded_by_id=actor.id, recorded_at=now)
    session.add(entry)
    session.flush()
    return _view(entry, form.current_version.number, actor.display_name)


def _latest(session: Session, *, form: ObservationForm, trainee_id: int,
            item: str) -> EntryView | None:
    row = session.execute(_entries_query(form).where(
        ObservationEntry.trainee_id == trainee_id, ObservationEntry.item == item)
        .order_by(ObservationEntry.id.desc()).limit(1)).first()
    return _view(*row) if row is not None else None


@dataclass(frozen=True)
class CellHistory:
    """Every entry of one cell, newest first (the first is the current value)."""

    trainee: User
    form: ObservationFormDef
    item: ObservationItem
    entries: list[EntryView]

    @property
    def current(self) -> EntryView | None:
        return self.entries[0] if self.entries else None


def cell_history(session: Session, *, actor: User, trainee_id: int, form_key: str,
                 item: str) -> CellHistory:
    """One cell (trainee × item) with every entry ever recorded in it."""
    access.check_sees_trainees(actor)
    trainee = access.check_may_see_trainee(session, actor=actor, trainee_id=trainee_id)
    form, definition = _current_form(session, form_key)
    observed = definition.item(item)
    if observed is None:
        raise NotFound(N_("“%(form)s”中没有这个观察项"), form=definition.title)
    rows = session.execute(_entries_query(form).where(
        ObservationEntry.trainee_id == trainee.id, ObservationEntry.item == observed.key)
        .order_by(ObservationEntry.id.desc()))
    return CellHistory(trainee=trainee, form=definition, item=observed,
                       entries=[_view(*row) for row in rows])


# --- the grid ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatItemEvidence:
    """A trainee's chat-exam result for the item a cell observes: the counted attempt of one
    drill (its engine points for the item), to open in the staff replay."""

    drill_title: str
    attempt_id: int
    points: float
    max_points: float

    @property
    def fraction(self) -> str:
        """"7/10" (one decimal when the points are not whole)."""
        def number(value: float) -> str:
            return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
        return f"{number(self.points)}/{number(self.max_points)}"


@dataclass(frozen=True)
class Cell:
    current: EntryView | None
    changes: int  # entries recorded in this cell (1 = never changed)
    chat: tuple[ChatItemEvidence, ...] = ()  # the chat exams' result for the item, by drill
    speed: TypingSpeed | None = None  # measured from the chat exams (the item's chat_measure)
    measured: bool = False  # the item has a chat measure (so "not measured yet" can be said)


@dataclass(frozen=True)
class ChatEvidence:
    """What the chat exams say about some trainees, for the items of one form."""

    items: dict[tuple[int, str], tuple[ChatItemEvidence, ...]] = field(default_factory=dict)
    speeds: dict[int, TypingSpeed | None] = field(default_factory=dict)

    def cell(self, *, trainee_id: int, item: ObservationItem, current: EntryView | None,
             changes: int) -> Cell:
        return Cell(current=current, changes=changes,
                    chat=self.items.get((trainee_id, item.chat_item), ()) if item.chat_item
                    else (),
                    speed=self.speeds.get(trainee_id) if item.chat_measure else None,
                    measured=bool(item.chat_measure))


def chat_evidence(session: Session, *, form: ObservationFormDef,
                  trainee_ids: list[int]) -> ChatEvidence:
    """The chat results and measures the form's items ask for: at most two queries whatever
    the number of trainees (the counted attempts' item points, the replies' timings)."""
    evidence = ChatEvidence()
    if not trainee_ids:
        return evidence
    if any(i.chat_item for i in form.items):
        wanted = {i.chat_item for i in form.items if i.chat_item}
        found: dict[tuple[int, str], list[ChatItemEvidence]] = {}
        for trainee_id, drills in chat_areas.counted_area_scores(
                session, trainee_ids=trainee_ids).items():
            for drill in drills:
                for score in drill.item_scores:
                    if score.item in wanted:
                        found.setdefault((trainee_id, score.item), []).append(ChatItemEvidence(
                            drill_title=drill.title, attempt_id=drill.attempt_id,
                            points=score.points, max_points=score.max_points))
        evidence.items.update({k: tuple(v) for k, v in found.items()})
    if any(i.chat_measure == ChatMeasure.TYPING_SPEED for i in form.items):
        evidence.speeds.update(chat_areas.typing_speeds(session, trainee_ids=trainee_ids))
    return evidence


@dataclass(frozen=True)
class GridRow:
    trainee: User
    cells: dict[str, Cell]  # by item key
    required_done: int


@dataclass(frozen=True)
class ObservationGrid:
    cohort: Cohort
    form: ObservationFormDef
    rows: list[GridRow]

    @property
    def required_total(self) -> int:
        return len(self.form.required_keys)


def cohort_grid(session: Session, *, actor: User, cohort_id: int, form_key: str,
                with_chat: bool = True) -> ObservationGrid:
    """Every active trainee of the cohort against every item of the form, with current values.

    Four queries whatever the cohort's size (the cohort, the form, its trainees, their
    entries), and one or two for the chat exams' evidence when the form's items ask for it
    and `with_chat` (readers of the scores alone leave it out: it decodes every counted
    chat attempt's result).
    """
    access.check_sees_trainees(actor)
    cohort = access.check_may_see_cohort(session, actor=actor, cohort_id=cohort_id)
    form, definition = _current_form(session, form_key)
    trainees = list(session.scalars(sa.select(User).where(
        User.cohort_id == cohort.id, User.role == Role.TRAINEE, User.active.is_(True))
        .order_by(User.employee_no)))
    keys = {i.key for i in definition.items}
    latest: dict[tuple[int, str], EntryView] = {}
    counts: dict[tuple[int, str], int] = {}
    rows = session.execute(_entries_query(form).where(
        ObservationEntry.trainee_id.in_([t.id for t in trainees]))
        .order_by(ObservationEntry.id)) if trainees else []
    for entry, number, recorder in rows:
        if entry.item not in keys:
            continue  # an item the current version no longer has
        key = (entry.trainee_id, entry.item)
        latest[key] = _view(entry, number, recorder)  # ascending ids: the last one wins
        counts[key] = counts.get(key, 0) + 1
    evidence = (chat_evidence(session, form=definition, trainee_ids=[t.id for t in trainees])
                if with_chat else ChatEvidence())
    grid_rows = []
    for trainee in trainees:
        cells = {i.key: evidence.cell(trainee_id=trainee.id, item=i,
                                      current=latest.get((trainee.id, i.key)),
                                      changes=counts.get((trainee.id, i.key), 0))
                 for i in definition.items}
        done = sum(1 for k in definition.required_keys if cells[k].current is not None)
        grid_rows.append(GridRow(trainee=trainee, cells=cells, required_done=done))
    return ObservationGrid(cohort=cohort, form=definition, rows=grid_rows)


def cohort_choices(session: Session, *, actor: User) -> list[Cohort]:
    """The cohorts whose grids `actor` may open (the one rule's `visible_cohorts`)."""
    return access.visible_cohorts(session, actor=actor)


def grid_cell(session: Session, *, actor: User, trainee_id: int, form_key: str,
              item: str) -> tuple[GridRow, ObservationFormDef, ObservationItem]:
    """One trainee's row of the grid (for re-rendering a single cell after a save)."""
    history = cell_history(session, actor=actor, trainee_id=trainee_id, form_key=form_key,
                           item=item)
    evidence = chat_evidence(session, form=history.form, trainee_ids=[history.trainee.id])
    cell = evidence.cell(trainee_id=history.trainee.id, item=history.item,
                         current=history.current, changes=len(history.entries))
    row = GridRow(trainee=history.trainee, cells={history.item.key: cell}, required_done=0)
    return row, history.form, history.item


# --- what placement reads -----------------------------------------------------------------------


@dataclass(frozen=True)
class LatestScore:
    """The current score (1–5) of one item of one form for a trainee."""

    form_key: str
    item: str
    score: int
    recorded_at: datetime


def latest_scores(session: Session, *, trainee_ids: list[int]) -> dict[int, list[LatestScore]]:
    """Per trainee, the latest entry of every (form, item) they were observed on (highest id
    wins, across the form's versions). One query whatever the number of trainees."""
    result: dict[int, dict[tuple[str, str], LatestScore]] = {i: {} for i in trainee_ids}
    if not trainee_ids:
        return {}
    rows = session.execute(
        sa.select(ObservationEntry.trainee_id, ObservationForm.key, ObservationEntry.item,
                  ObservationEntry.score, ObservationEntry.recorded_at)
        .join(ObservationFormVersion,
              ObservationEntry.form_version_id == ObservationFormVersion.id)
        .join(ObservationForm, ObservationForm.id == ObservationFormVersion.observation_form_id)
        .where(ObservationEntry.trainee_id.in_(trainee_ids))
        .order_by(ObservationEntry.id))
    for trainee_id, form_key, item, score, recorded_at in rows:
        result[trainee_id][(form_key, item)] = LatestScore(form_key, item, score, recorded_at)
    return {t: list(found.values()) for t, found in result.items()}


def item_titles(session: Session) -> dict[str, str]:
    """Every item of the imported forms' current versions by "form/item", with its title."""
    titles: dict[str, str] = {}
    for key, definition in session.execute(
            sa.select(ObservationForm.key, ObservationFormVersion.definition)
            .join(ObservationFormVersion,
                  ObservationForm.current_version_id == ObservationFormVersion.id)):
        for item in ObservationFormDef.from_data(definition).items:
            titles[f"{key}/{item.key}"] = item.title
    return titles
