"""A cohort's progress grid and one trainee's timeline, for the staff who follow them.

Everything is read in a fixed number of queries per page, whatever the cohort's size:
the cohort's trainees, their module progress and their stage completions are each
loaded at once and put together in memory.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from portal.auth import access
from portal.auth.models import Cohort, Role, User
from portal.courses import rules as course_rules
from portal.courses.models import Module, ModuleProgress, StageCompletion, Track
from portal.courses.rules import Stage
from portal.errors import NotFound
from portal.messages import N_
from portal.progress import results, rules
from portal.progress.rules import ModuleState, ScheduleFilter

# --- access ---------------------------------------------------------------------


def get_followed_cohort(session: Session, *, actor: User, cohort_id: int) -> Cohort:
    """The cohort, if `actor` may see its trainees (the rule is `auth.access`)."""
    return access.check_may_see_cohort(session, actor=actor, cohort_id=cohort_id)


# --- the track ------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleColumn:
    key: str
    title: str
    minutes: int  # the module's planned reading time


@dataclass(frozen=True)
class StageColumn:
    key: str
    title: str
    number: int
    planned_date: date | None
    planned_duration: str
    modules: list[ModuleColumn]


@dataclass(frozen=True)
class _TrackContext:
    track: Track
    title: str
    stages: tuple[Stage, ...]
    modules: dict[str, Module]  # by key, with their current versions loaded

    def module_title(self, key: str) -> str:
        module = self.modules.get(key)
        return module.current_version.title if module and module.current_version else key


def _track_context(session: Session, track_key: str) -> _TrackContext | None:
    track = session.scalar(sa.select(Track).where(Track.key == track_key)
                           .options(joinedload(Track.current_version)))
    if track is None or track.current_version is None:
        return None
    modules = session.scalars(sa.select(Module).where(Module.track_id == track.id)
                              .options(joinedload(Module.current_version)))
    return _TrackContext(track=track, title=track.current_version.title,
                         stages=track.current_version.stages,
                         modules={m.key: m for m in modules})


def _stage_columns(context: _TrackContext, start_date: date) -> list[StageColumn]:
    columns = []
    for number, stage in enumerate(context.stages, start=1):
        modules = [ModuleColumn(key=key, title=context.module_title(key),
                                minutes=_planned_minutes(context, key))
                   for key in stage.modules if key in context.modules]
        columns.append(StageColumn(
            key=stage.key, title=stage.title, number=number,
            planned_date=course_rules.working_day(start_date, stage.planned.day),
            planned_duration=stage.planned.duration, modules=modules))
    return columns


def _planned_minutes(context: _TrackContext, key: str) -> int:
    module = context.modules.get(key)
    return module.current_version.minutes if module and module.current_version else 0


# --- the cohort grid ------------------------------------------------------------


@dataclass(frozen=True)
class GridFilters:
    stage: str = ""   # a stage key: that stage's modules are shown as columns
    status: str = ""  # a ScheduleFilter value, or "" for everyone
    query: str = ""   # part of a name or an employee number

    @property
    def schedule(self) -> ScheduleFilter | None:
        return ScheduleFilter(self.status) if self.status in set(ScheduleFilter) else None


@dataclass(frozen=True)
class ModuleCell:
    state: ModuleState
    seconds: int
    completed_at: datetime | None

    @property
    def minutes(self) -> int:
        return rules.minutes(self.seconds)


@dataclass(frozen=True)
class StageCell:
    state: course_rules.StageState
    modules_done: int
    modules_total: int
    seconds: int
    behind: bool
    # How and when the stage was passed.
    source: course_rules.AssessmentSource | None = None
    completed_at: datetime | None = None

    @property
    def minutes(self) -> int:
        return rules.minutes(self.seconds)


@dataclass(frozen=True)
class GridRow:
    trainee: User
    stages: dict[str, StageCell]
    modules: dict[str, ModuleCell]
    total_seconds: int
    stages_passed: int
    behind: bool
    finished: bool

    @property
    def total_minutes(self) -> int:
        return rules.minutes(self.total_seconds)


@dataclass(frozen=True)
class CohortGrid:
    cohort: Cohort
    track_title: str | None  # None while the cohort's track is not published
    stages: list[StageColumn]
    rows: list[GridRow]      # the rows the filters let through
    filters: GridFilters
    today: date
    total: int               # active trainees in the cohort
    behind: int              # of them, behind schedule
    finished: int            # of them, through every stage
    expanded: StageColumn | None = None

    @property
    def stage_count(self) -> int:
        return len(self.stages)


def cohort_grid(session: Session, *, actor: User, cohort_id: int, filters: GridFilters,
                now: datetime, tz: tzinfo = UTC) -> CohortGrid:
    """Every active trainee of the cohort against every stage (and the chosen stage's modules)."""
    cohort = get_followed_cohort(session, actor=actor, cohort_id=cohort_id)
    today = now.astimezone(tz).date()
    trainees = list(session.scalars(sa.select(User).where(
        User.cohort_id == cohort.id, User.role == Role.TRAINEE, User.active.is_(True))
        .order_by(User.employee_no)))
    context = _track_context(session, cohort.track_key)
    if context is None:
        return CohortGrid(cohort=cohort, track_title=None, stages=[], rows=[],
                          filters=GridFilters(query=filters.query), today=today,
                          total=len(trainees), behind=0, finished=0)
    columns = _stage_columns(context, cohort.start_date)
    expanded = next((c for c in columns if c.key == filters.stage), None)
    filters = GridFilters(stage=expanded.key if expanded else "",
                          status=filters.schedule.value if filters.schedule else "",
                          query=filters.query.strip())
    progress = _cohort_progress(session, cohort, context)
    completions = _cohort_completions(session, cohort, context.track.key)
    all_rows = [_grid_row(t, context, cohort.start_date, progress.get(t.id, {}),
                          completions.get(t.id, {}), today) for t in trainees]
    rows = [r for r in all_rows
            if rules.matches_schedule(filters.schedule, behind=r.behind, finished=r.finished)
            and rules.matches_name(filters.query, r.trainee.display_name, r.trainee.employee_no)]
    return CohortGrid(cohort=cohort, track_title=context.title, stages=columns, rows=rows,
                      filters=filters, today=today, total=len(all_rows),
                      behind=sum(r.behind for r in all_rows),
                      finished=sum(r.finished for r in all_rows), expanded=expanded)


def _cohort_progress(session: Session, cohort: Cohort,
                     context: _TrackContext) -> dict[int, dict[str, ModuleProgress]]:
    """Module progress of the whole cohort on its track, in one query: user id → module key."""
    key_of = {m.id: m.key for m in context.modules.values()}
    found: dict[int, dict[str, ModuleProgress]] = defaultdict(dict)
    if not key_of:
        return found
    rows = session.scalars(
        sa.select(ModuleProgress).join(User, User.id == ModuleProgress.user_id)
        .where(User.cohort_id == cohort.id, ModuleProgress.module_id.in_(list(key_of))))
    for p in rows:
        found[p.user_id][key_of[p.module_id]] = p
    return found


def _cohort_completions(session: Session, cohort: Cohort,
                        track_key: str) -> dict[int, dict[str, StageCompletion]]:
    """Stage completions of the whole cohort on its track, in one query: user id → stage key."""
    found: dict[int, dict[str, StageCompletion]] = defaultdict(dict)
    rows = session.scalars(
        sa.select(StageCompletion).join(User, User.id == StageCompletion.user_id)
        .where(User.cohort_id == cohort.id, StageCompletion.track_key == track_key))
    for c in rows:
        found[c.user_id][c.stage_key] = c
    return found


def _grid_row(trainee: User, context: _TrackContext, start_date: date,
              progress: dict[str, ModuleProgress], completions: dict[str, StageCompletion],
              today: date) -> GridRow:
    done = {key for key, p in progress.items() if p.completed_at is not None}
    statuses = course_rules.stage_statuses(context.stages, passed=set(completions),
                                           done_modules=done, start_date=start_date)
    modules = {key: ModuleCell(
        state=rules.module_state(opened=key in progress, completed=key in done),
        seconds=progress[key].seconds_spent if key in progress else 0,
        completed_at=progress[key].completed_at if key in progress else None)
        for key in context.modules}
    stages = {}
    for stage, status in zip(context.stages, statuses, strict=True):
        completion = completions.get(status.key)
        stages[status.key] = StageCell(
            state=status.state, modules_done=status.modules_done,
            modules_total=status.modules_total,
            seconds=sum(modules[k].seconds for k in stage.modules if k in modules),
            behind=rules.stage_is_behind(status, today),
            source=_source(completion),
            completed_at=completion.completed_at if completion else None)
    in_track = {k for s in context.stages for k in s.modules}
    return GridRow(
        trainee=trainee, stages=stages, modules=modules,
        total_seconds=sum(c.seconds for k, c in modules.items() if k in in_track),
        stages_passed=sum(1 for s in statuses if s.state is course_rules.StageState.PASSED),
        behind=rules.is_behind(statuses, today), finished=rules.is_finished(statuses))


# --- one trainee's timeline ----------------------------------------------------


class EventKind(StrEnum):
    ACCOUNT_CREATED = "account-created"
    MODULE_OPENED = "module-opened"
    MODULE_COMPLETED = "module-completed"
    STAGE_PASSED = "stage-passed"
    ATTEMPT = "attempt"  # an exam attempt (written or chat), when it ended or began


# Among events at the same instant, the later step of a journey is listed first.
_EVENT_ORDER = {EventKind.ACCOUNT_CREATED: 0, EventKind.MODULE_OPENED: 1,
                EventKind.MODULE_COMPLETED: 2, EventKind.ATTEMPT: 3, EventKind.STAGE_PASSED: 4}


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: EventKind
    title: str = ""          # the module's or the stage's title
    stage_title: str = ""    # for modules: the stage they belong to
    seconds: int = 0         # for modules: reading time so far
    source: course_rules.AssessmentSource | None = None  # for stages: how it was passed
    by_name: str | None = None
    reason: str = ""
    # for attempts: its number, state and score (None while it is taken or being scored)
    number: int = 0
    state: results.AttemptState | None = None
    score: float | None = None
    pass_mark: float | None = None

    @property
    def minutes(self) -> int:
        return rules.minutes(self.seconds)


@dataclass(frozen=True)
class TimelineDay:
    day: date
    events: list[TimelineEvent]
    planned: list[str] = field(default_factory=list)  # titles of stages planned to start that day


@dataclass(frozen=True)
class PlanRow:
    """One stage's planned date against what happened."""

    key: str
    title: str
    planned_date: date
    planned_duration: str
    state: course_rules.StageState
    passed_on: date | None
    source: course_rules.AssessmentSource | None
    # Working days an open stage is past its planned date (0 when not behind). Passed
    # stages are not marked late: the planned date is when a stage starts, not its deadline.
    behind_days: int


@dataclass(frozen=True)
class Timeline:
    trainee: User
    cohort: Cohort
    track_title: str | None
    days: list[TimelineDay]
    plan: list[PlanRow]
    today: date

    @property
    def behind(self) -> bool:
        return any(p.behind_days > 0 for p in self.plan)


def trainee_timeline(session: Session, *, actor: User, trainee_id: int, now: datetime,
                     tz: tzinfo = UTC) -> Timeline:
    """What a trainee did, newest first and grouped by (local) day, beside the stage plan."""
    trainee = access.check_may_see_trainee(session, actor=actor, trainee_id=trainee_id)
    cohort = trainee.cohort
    if cohort is None:  # an admin sees trainees without a cohort, who have no plan to show
        raise NotFound(N_("该新客服尚未分配批次"))
    today = now.astimezone(tz).date()
    events = [TimelineEvent(at=trainee.created_at, kind=EventKind.ACCOUNT_CREATED)]
    context = _track_context(session, cohort.track_key)
    plan: list[PlanRow] = []
    if context is not None:
        events += _reading_events(session, trainee, context)
        completions = list(session.scalars(sa.select(StageCompletion).where(
            StageCompletion.user_id == trainee.id,
            StageCompletion.track_key == context.track.key)))
        events += _stage_events(session, completions, context)
        plan = _plan(context, cohort.start_date, completions, today, tz)
    events += _attempt_events(session, trainee, now)
    events.sort(key=lambda e: (e.at, _EVENT_ORDER[e.kind]), reverse=True)
    by_day: dict[date, list[TimelineEvent]] = defaultdict(list)
    for event in events:
        by_day[event.at.astimezone(tz).date()].append(event)
    planned: dict[date, list[str]] = defaultdict(list)
    for row in plan:
        planned[row.planned_date].append(row.title)
    days = [TimelineDay(day=d, events=by_day[d], planned=planned.get(d, []))
            for d in sorted(by_day, reverse=True)]
    return Timeline(trainee=trainee, cohort=cohort,
                    track_title=context.title if context else None, days=days, plan=plan,
                    today=today)


def _reading_events(session: Session, trainee: User,
                    context: _TrackContext) -> list[TimelineEvent]:
    key_of = {m.id: m.key for m in context.modules.values()}
    if not key_of:
        return []
    stage_of = {k: s.title for s in context.stages for k in s.modules}
    events = []
    for p in session.scalars(sa.select(ModuleProgress).where(
            ModuleProgress.user_id == trainee.id, ModuleProgress.module_id.in_(list(key_of)))):
        key = key_of[p.module_id]
        common = {"title": context.module_title(key), "stage_title": stage_of.get(key, "")}
        events.append(TimelineEvent(at=p.first_opened_at, kind=EventKind.MODULE_OPENED,
                                    **common))
        if p.completed_at is not None:
            events.append(TimelineEvent(at=p.completed_at, kind=EventKind.MODULE_COMPLETED,
                                        seconds=p.seconds_spent, **common))
    return events


def _attempt_events(session: Session, trainee: User, now: datetime) -> list[TimelineEvent]:
    """Every written and chat exam attempt with its score, read through the trainee's results
    (the assessment domains' services)."""
    return [TimelineEvent(at=line.ended_at or line.started_at, kind=EventKind.ATTEMPT,
                          title=result.title, source=result.source, number=line.number,
                          state=line.state, score=line.score, pass_mark=result.pass_mark)
            for result in results.my_results(session, user=trainee, now=now).assessments
            for line in result.attempts]


def _stage_events(session: Session, completions: list[StageCompletion],
                  context: _TrackContext) -> list[TimelineEvent]:
    by_ids = {c.by_user_id for c in completions if c.by_user_id is not None}
    names: dict[int, str] = {}
    if by_ids:
        rows = session.execute(sa.select(User.id, User.display_name).where(User.id.in_(list(by_ids))))
        names = {user_id: name for user_id, name in rows}
    titles = {s.key: s.title for s in context.stages}
    return [TimelineEvent(at=c.completed_at, kind=EventKind.STAGE_PASSED,
                          title=titles.get(c.stage_key, c.stage_key), source=_source(c),
                          by_name=names.get(c.by_user_id) if c.by_user_id else None,
                          reason=c.reason)
            for c in completions]


def _plan(context: _TrackContext, start_date: date, completions: list[StageCompletion],
          today: date, tz: tzinfo) -> list[PlanRow]:
    passed = {c.stage_key: c for c in completions}
    statuses = course_rules.stage_statuses(context.stages, passed=set(passed), done_modules=set(),
                                           start_date=start_date)
    plan = []
    for status in statuses:
        assert status.planned_date is not None
        completion = passed.get(status.key)
        passed_on = completion.completed_at.astimezone(tz).date() if completion else None
        behind = (max(1, rules.working_days_between(status.planned_date, today))
                  if rules.stage_is_behind(status, today) else 0)
        plan.append(PlanRow(key=status.key, title=status.title, planned_date=status.planned_date,
                            planned_duration=status.planned_duration, state=status.state,
                            passed_on=passed_on, source=_source(completion),
                            behind_days=behind))
    return plan


def _source(completion: StageCompletion | None) -> course_rules.AssessmentSource | None:
    """How a stage was passed, typed (the column holds the enum's value)."""
    return course_rules.AssessmentSource(completion.source) if completion else None


# --- when modules were first opened (analytics) ---------------------------------


def first_openings(session: Session, *, user_ids: Collection[int],
                   track_keys: Collection[str]) -> dict[tuple[int, str, str], datetime]:
    """When each trainee first opened each module of the tracks, in one query:
    (user id, track key, module key) -> the first visit. A module is opened from its first
    visit on (`rules.module_state`: started or read); one never opened is absent."""
    if not user_ids or not track_keys:
        return {}
    rows = session.execute(
        sa.select(ModuleProgress.user_id, Track.key, Module.key, ModuleProgress.first_opened_at)
        .join(Module, Module.id == ModuleProgress.module_id)
        .join(Track, Track.id == Module.track_id)
        .where(ModuleProgress.user_id.in_(list(user_ids)), Track.key.in_(list(track_keys))))
    return {(user_id, track_key, module_key): opened
            for user_id, track_key, module_key, opened in rows}
