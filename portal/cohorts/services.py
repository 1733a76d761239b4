"""A cohort's results for its staff: the dashboard's sections and the rows HR exports.

Everything is read through the owning domains' services (progress for the stage grid,
exams and chat for attempts, observations for the grids), for the cohort the actor may see
(`auth.access`); the aggregation is `cohorts.rules`, the chart geometry `cohorts.charts`.

The dashboard is a list of sections, each a dataclass naming its partial template, built by
the functions in `SECTION_BUILDERS`; the export is a list of columns built by the functions
in `COLUMN_BUILDERS`. A later domain (placement, probation) adds one builder to each.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session, selectinload

from portal.auth import access
from portal.auth.models import Cohort, Role, User
from portal.chat.services import attempts as chat_attempts
from portal.chat.services import review as chat_review
from portal.cohorts import charts, rules
from portal.courses import services as courses
from portal.courses.rules import working_day
from portal.errors import NotFound
from portal.exams import grading
from portal.exams.models import Attempt, AttemptStatus, Response
from portal.messages import N_, Message, msg
from portal.observations import services as observations
from portal.placement import services as placement
from portal.placement.rules import PlacementRole
from portal.probation import services as probation
from portal.probation.errors import PolicyInvalid
from portal.probation.rules import Outcome
from portal.progress import services as progress

# Who opens a cohort's dashboard and export (for the cohorts they follow; admins: every one).
ROLES = (Role.TRAINER, Role.SUPERVISOR, Role.ADMIN)


class AssessmentKind(StrEnum):
    EXAM = "exam"
    CHAT = "chat"


AREA_LABELS: dict[str, str] = {
    "general": N_("通用能力"),
    "pre-sales": N_("售前"),
    "after-sales": N_("售后"),
}
AREA_ORDER = ("general", "pre-sales", "after-sales")


def area_label(area: str) -> str:
    """The area's Chinese name (an area the portal does not know is "其他方向", never its key)."""
    return AREA_LABELS.get(area, N_("其他方向"))


# --- what the cohort did ----------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentResults:
    """One exam or chat drill of the cohort's track: each trainee's counted score."""

    key: str
    title: str
    kind: AssessmentKind
    pass_mark: float
    stage_title: str
    scores: dict[int, float | None]    # trainee id -> counted (exam) or best (chat) score
    passed: dict[int, bool | None]     # trainee id -> passed (None: no final score yet)
    violations: dict[int, bool] = field(default_factory=dict)  # chat: a critical violation
    distribution: rules.Distribution = field(default_factory=lambda: rules.distribution([]))


@dataclass(frozen=True)
class FormAverages:
    key: str
    title: str
    items: list[tuple[str, float | None, int]]  # item title, mean, how many trainees scored
    mean: float | None                          # over every current entry of the form
    by_trainee: dict[int, float | None]         # trainee id -> their mean on the form


@dataclass(frozen=True)
class CohortResults:
    """What both the dashboard and the export read."""

    cohort: Cohort
    track_title: str | None
    trainees: list[User]                    # active, by employee number
    funnel: list[rules.StageFunnel]
    assessments: list[AssessmentResults]
    areas: dict[int, dict[str, float]]      # trainee id -> area -> percent
    forms: list[FormAverages]
    stages_passed: dict[int, int]           # trainee id -> stages passed
    now: datetime
    actor: User | None = None               # who reads (later sections check their access)
    tz: tzinfo | None = None                # the reader's time zone (dates in the export)


def cohort_results(session: Session, *, actor: User, cohort_id: int, now: datetime,
                   tz: tzinfo) -> CohortResults:
    """The cohort's funnel, scores, area scores and observation means, if `actor` may see it."""
    access.check_sees_trainees(actor)
    cohort = access.check_may_see_cohort(session, actor=actor, cohort_id=cohort_id)
    grid = progress.cohort_grid(session, actor=actor, cohort_id=cohort.id,
                                filters=progress.GridFilters(), now=now, tz=tz)
    trainees = [row.trainee for row in grid.rows]
    ids = {t.id for t in trainees}
    funnel = rules.stage_funnel(
        stages=[(c.key, c.title, _day_number(cohort, c.planned_date)) for c in grid.stages],
        start=cohort.start_date,
        completions={c.key: [row.stages[c.key].completed_at for row in grid.rows
                             if row.stages[c.key].completed_at is not None]
                     for c in grid.stages},
        total=len(trainees), tz=tz)
    stage_titles = {c.key: c.title for c in grid.stages}
    parts: dict[int, list[dict[str, tuple[float, float]]]] = {i: [] for i in ids}
    assessments = []
    for stage_key, exam_key in _track_exams(session, actor=actor, cohort=cohort,
                                            order=list(stage_titles)):
        assessments.append(_exam(session, actor=actor, exam_key=exam_key, ids=ids, now=now,
                                 stage_title=stage_titles.get(stage_key, ""), parts=parts))
    for stage_key, drill_key in _track_drills(session, cohort=cohort):
        found = _drill(session, actor=actor, drill_key=drill_key, ids=ids,
                       stage_title=stage_titles.get(stage_key, ""), parts=parts)
        if found is not None:
            assessments.append(found)
    forms = [_form(session, actor=actor, cohort=cohort, form=f)
             for f in observations.form_choices(session)]
    return CohortResults(
        cohort=cohort, track_title=grid.track_title, trainees=trainees, funnel=funnel,
        assessments=assessments, forms=forms, now=now, actor=actor, tz=tz,
        stages_passed={row.trainee.id: row.stages_passed for row in grid.rows},
        areas={i: rules.area_percentages(p) for i, p in parts.items()})


def _day_number(cohort: Cohort, planned: Any) -> int:
    return rules.working_day_number(cohort.start_date, planned) if planned else 1


def _track_exams(session: Session, *, actor: User, cohort: Cohort,
                 order: list[str]) -> list[tuple[str, str]]:
    """(stage key, exam key) of the written exams on the cohort's track, in stage order."""
    found = [(e.stage_key or "", e.key) for e in grading.exams_overview(session, actor=actor)
             if e.track_key == cohort.track_key]
    return sorted(found, key=lambda p: (order.index(p[0]) if p[0] in order else len(order), p[1]))


def _track_drills(session: Session, *, cohort: Cohort) -> list[tuple[str, str]]:
    """(stage key, drill key) of the chat exams the cohort's track asks for."""
    try:
        track = courses.get_track(session, cohort.track_key)
    except NotFound:
        return []
    version = track.current_version
    existing = chat_attempts.existing_drill_keys(session)
    return [(s.key, s.chat_exam_key) for s in (version.stages if version else ())
            if s.chat_exam_key is not None and s.chat_exam_key in existing]


def _exam(session: Session, *, actor: User, exam_key: str, ids: set[int], now: datetime,
          stage_title: str, parts: dict[int, list[dict[str, tuple[float, float]]]]
          ) -> AssessmentResults:
    results = grading.exam_results(session, actor=actor, exam_key=exam_key, now=now)
    definition = results.version.definition
    scores: dict[int, float | None] = {}
    passed: dict[int, bool | None] = {}
    rows = [row for row in results.rows if row.trainee.id in ids]
    counted_attempts = {row.trainee.id: _counted_attempt(row.attempts, row.counted_score)
                        for row in rows}
    if definition.areas:
        _load_responses([a for a in counted_attempts.values() if a is not None])
    for row in rows:
        scores[row.trainee.id] = row.counted_score
        passed[row.trainee.id] = row.passed
        counted = counted_attempts[row.trainee.id]
        if counted is not None and definition.areas:
            parts[row.trainee.id].append(rules.area_totals(
                (rules.ScoredPart(labels=tuple(r.question_version.data.get("tags", [])),
                                  points=r.points or 0.0, max_points=r.max_points)
                 for r in counted.responses), definition.areas))
    return AssessmentResults(
        key=exam_key, title=results.version.title, kind=AssessmentKind.EXAM,
        pass_mark=definition.pass_mark, stage_title=stage_title, scores=scores, passed=passed,
        distribution=rules.distribution([scores.get(i) for i in ids],
                                        pass_mark=definition.pass_mark))


def _load_responses(attempts: list[Attempt]) -> None:
    """Load the attempts' responses and their question versions in two queries (their
    relationships would otherwise load one attempt, then one question, at a time)."""
    if attempts:
        session = object_session(attempts[0])
        assert session is not None
        session.scalars(sa.select(Attempt).where(Attempt.id.in_([a.id for a in attempts]))
                        .options(selectinload(Attempt.responses)
                                 .selectinload(Response.question_version))).all()


def _counted_attempt(attempts: list[Attempt], counted: float | None) -> Attempt | None:
    """The graded attempt whose score counts (the latest of equal ones)."""
    if counted is None:
        return None
    graded = [a for a in attempts if a.status is AttemptStatus.GRADED and a.score == counted]
    return graded[-1] if graded else None


def _drill(session: Session, *, actor: User, drill_key: str, ids: set[int], stage_title: str,
           parts: dict[int, list[dict[str, tuple[float, float]]]]) -> AssessmentResults | None:
    drill = chat_attempts.get_drill(session, drill_key)
    if drill.current_version is None:
        return None
    definition = chat_attempts.drill_of(drill.current_version)
    best: dict[int, Any] = {}
    for row in chat_review.review_queue(session, actor=actor, drill_key=drill_key).rows:
        attempt = row.attempt
        if attempt.user_id not in ids or attempt.score is None:
            continue
        seen = best.get(attempt.user_id)
        if seen is None or (attempt.passed, attempt.score) > (seen.passed, seen.score):
            best[attempt.user_id] = attempt
    areas = {item.value if isinstance(item, StrEnum) else str(item): str(area)
             for item, area in definition.areas.items()}
    for user_id, attempt in best.items():
        if areas:
            parts[user_id].append(rules.area_totals(_chat_items(attempt), areas))
    scores = {i: (best[i].score if i in best else None) for i in ids}
    return AssessmentResults(
        key=drill_key, title=drill.current_version.title, kind=AssessmentKind.CHAT,
        pass_mark=definition.pass_mark, stage_title=stage_title, scores=scores,
        passed={i: (bool(best[i].passed) if i in best else None) for i in ids},
        violations={i: bool(best[i].fail_reason) for i in best},
        distribution=rules.distribution(scores.values(), pass_mark=definition.pass_mark))


def _chat_items(attempt: Any) -> list[rules.ScoredPart]:
    """The engine's per-item points of a finished chat attempt.

    Read from the stored result's `items` (`scoring.AttemptScore.to_data()`), not through
    `review.engine_items`, which decodes the whole result with every message's evidence
    (about 80 ms an attempt: 16 s for a cohort of 200); falls back to it for another shape.
    """
    stored = (attempt.auto_result or {}).get("items")
    if isinstance(stored, list) and all(isinstance(i, dict) for i in stored):
        try:
            return [rules.ScoredPart(labels=(str(i["item"]),), points=float(i["points"]),
                                     max_points=float(i["max_points"])) for i in stored]
        except (KeyError, TypeError, ValueError):
            pass
    return [rules.ScoredPart(labels=(item.value,), points=e.points, max_points=e.max_points)
            for item, e in chat_review.engine_items(attempt).items()]


def _form(session: Session, *, actor: User, cohort: Cohort,
          form: observations.FormChoice) -> FormAverages:
    grid = observations.cohort_grid(session, actor=actor, cohort_id=cohort.id, form_key=form.key,
                                    with_chat=False)
    items = []
    every: list[float] = []
    for item in grid.form.items:
        values = [row.cells[item.key].current.score for row in grid.rows
                  if item.key in row.cells and row.cells[item.key].current is not None]
        every.extend(values)
        items.append((item.title, rules.mean(values), len(values)))
    by_trainee = {row.trainee.id: rules.mean(c.current.score for c in row.cells.values()
                                             if c.current is not None) for row in grid.rows}
    return FormAverages(key=form.key, title=form.title, items=items, mean=rules.mean(every),
                        by_trainee=by_trainee)


# --- the dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelSection:
    template: ClassVar[str] = "cohorts/_funnel.html"
    rows: list[rules.StageFunnel]
    chart: charts.Chart
    days: list[tuple[int, Any]]  # (working day number, date) the per-day columns cover


@dataclass(frozen=True)
class ScoredChart:
    results: AssessmentResults
    chart: charts.Chart


@dataclass(frozen=True)
class ScoresSection:
    template: ClassVar[str] = "cohorts/_scores.html"
    items: list[ScoredChart]


@dataclass(frozen=True)
class AreaChart:
    area: str
    label: str
    distribution: rules.Distribution
    chart: charts.Chart


@dataclass(frozen=True)
class AreasSection:
    template: ClassVar[str] = "cohorts/_areas.html"
    items: list[AreaChart]


@dataclass(frozen=True)
class FormChart:
    form: FormAverages
    chart: charts.Chart


@dataclass(frozen=True)
class ObservationsSection:
    template: ClassVar[str] = "cohorts/_observations.html"
    items: list[FormChart]


class PlacementStatus(StrEnum):
    NO_PLAN = "no_plan"            # no staffing plan saved yet
    NOT_PROPOSED = "not_proposed"  # a plan, no proposal yet
    PROPOSED = "proposed"          # the solver's proposal, unchanged
    CHANGED = "changed"            # a supervisor changed some placements
    CONFIRMED = "confirmed"


PLACEMENT_STATUS_LABELS: dict[PlacementStatus, str] = {
    PlacementStatus.NO_PLAN: N_("还没有人员计划"),
    PlacementStatus.NOT_PROPOSED: N_("已有人员计划，还没有生成方案"),
    PlacementStatus.PROPOSED: N_("已生成方案，待确认"),
    PlacementStatus.CHANGED: N_("方案已调整，待确认"),
    PlacementStatus.CONFIRMED: N_("已确认"),
}


@dataclass(frozen=True)
class RoleLoad:
    role: PlacementRole
    placed: int
    capacity: int | None  # None: no plan yet

    @property
    def over(self) -> int:
        return max(0, self.placed - (self.capacity or 0)) if self.capacity is not None else 0


@dataclass(frozen=True)
class UnmetPreference:
    name: str
    preference: PlacementRole
    role: PlacementRole
    cost: float | None  # what honouring it would cost the cohort (None: not possible)


@dataclass(frozen=True)
class PlacementSection:
    template: ClassVar[str] = "cohorts/_placement.html"
    cohort_id: int
    status: PlacementStatus
    number: int | None           # the proposal's number
    changed: int                 # placements a supervisor changed
    confirmed_at: datetime | None
    confirmed_by: str
    loads: list[RoleLoad]
    preferences: int             # trainees who stated one
    trainees: int
    unmet: list[UnmetPreference]

    @property
    def status_label(self) -> str:
        return PLACEMENT_STATUS_LABELS[self.status]


def placement_section(session: Session, results: CohortResults) -> Section | None:
    """The cohort's placement: its status, each role's placements against its capacity and
    the preferences not met (read through the placement services)."""
    if not results.trainees:
        return None
    cohort_id = results.cohort.id
    plan = placement.plan_view(session, cohort_id=cohort_id)
    current = placement.current_proposal(session, cohort_id=cohort_id)
    view = placement.proposal_view(session, proposal=current) if current is not None else None
    preferences = len(placement.current_preferences(
        session, trainee_ids=[t.id for t in results.trainees]))
    if view is None:
        status = PlacementStatus.NO_PLAN if plan is None else PlacementStatus.NOT_PROPOSED
        loads = [RoleLoad(r, 0, plan.capacities.get(r, 0) if plan else None)
                 for r in PlacementRole]
        return PlacementSection(cohort_id=cohort_id, status=status, number=None, changed=0,
                                confirmed_at=None, confirmed_by="", loads=loads,
                                preferences=preferences, trainees=len(results.trainees),
                                unmet=[])
    changed = sum(1 for row in view.rows if row.changed)
    status = (PlacementStatus.CONFIRMED if view.confirmed_at is not None
              else PlacementStatus.CHANGED if changed else PlacementStatus.PROPOSED)
    placed = view.loads
    return PlacementSection(
        cohort_id=cohort_id, status=status, number=view.number, changed=changed,
        confirmed_at=view.confirmed_at, confirmed_by=view.confirmed_by,
        loads=[RoleLoad(r, placed.get(r, 0), c) for r, c in view.capacities.items()],
        preferences=preferences, trainees=len(results.trainees),
        unmet=[UnmetPreference(row.trainee.display_name, row.preference, row.role,
                               row.preference_cost)
               for row in view.rows if row.preference is not None and row.preference_met is False])


@dataclass(frozen=True)
class OutcomeCount:
    outcome: Outcome
    count: int


@dataclass(frozen=True)
class WaitingDecision:
    trainee_id: int
    name: str
    outcome: Outcome
    proposed_by: str
    proposed_at: datetime


@dataclass(frozen=True)
class ProbationSection:
    template: ClassVar[str] = "cohorts/_probation.html"
    cohort_id: int
    recommended: list[OutcomeCount] | None  # None: not computed for this reader
    not_recommended: int                    # trainees without a recommendation (no dates)
    accepted: list[OutcomeCount]            # decisions that accepted the proposal
    otherwise: list[OutcomeCount]           # decisions that decided otherwise
    decided: int
    waiting: list[WaitingDecision]
    not_proposed: int                       # trainees with no proposal yet
    trainees: int
    links: bool = False                     # the reader may open the probation pages


def _counts(outcomes: list[Outcome]) -> list[OutcomeCount]:
    return [OutcomeCount(o, outcomes.count(o)) for o in Outcome]


def probation_section(session: Session, results: CohortResults) -> Section | None:
    """The cohort's probation: the recommendations, the decisions by outcome (accepted as
    proposed or decided otherwise) and the proposals waiting for a decision."""
    if not results.trainees:
        return None
    ids = [t.id for t in results.trainees]
    names = {t.id: t.display_name for t in results.trainees}
    recommended: list[OutcomeCount] | None = None
    not_recommended = 0
    actor = results.actor
    if actor is not None and probation.may_propose(actor):
        try:
            cases = probation.cohort_cases(session, actor=actor, cohort_id=results.cohort.id,
                                           policy=probation.current_policy(),
                                           now=results.now).cases
        except PolicyInvalid:
            cases = None
        if cases is not None:
            found = [c.recommendation.outcome for c in cases if c.recommendation is not None]
            recommended = _counts(found)
            not_recommended = len(cases) - len(found)
    trails = probation.trail_of(session, trainee_ids=ids)
    accepted: list[Outcome] = []
    otherwise: list[Outcome] = []
    waiting = []
    for trainee_id in ids:
        entries = trails.get(trainee_id, [])
        decided = [e for e in entries if e.decision is not None]
        if decided:
            latest = max(decided, key=lambda e: e.decision.id)  # type: ignore[union-attr]
            assert latest.decision is not None
            (accepted if latest.decision.accepted else otherwise).append(latest.decision.outcome)
        for e in entries:
            if e.decision is None:
                waiting.append(WaitingDecision(trainee_id, names[trainee_id], e.proposal.outcome,
                                               e.proposed_by, e.proposal.proposed_at))
    return ProbationSection(
        cohort_id=results.cohort.id, recommended=recommended, not_recommended=not_recommended,
        accepted=_counts(accepted), otherwise=_counts(otherwise),
        decided=len(accepted) + len(otherwise), waiting=waiting,
        not_proposed=sum(1 for i in ids if not trails.get(i)), trainees=len(ids),
        links=actor is not None and probation.may_propose(actor))


Section = (FunnelSection | ScoresSection | AreasSection | ObservationsSection | PlacementSection
           | ProbationSection)


def funnel_section(session: Session, results: CohortResults) -> Section | None:
    if results.track_title is None or not results.funnel:
        return None
    span = len(results.funnel[0].by_day)
    start = results.cohort.start_date
    return FunnelSection(rows=results.funnel, chart=charts.funnel(results.funnel),
                         days=[(d, working_day(start, d)) for d in range(1, span + 1)])


def scores_section(session: Session, results: CohortResults) -> Section | None:
    if not results.assessments:
        return None
    return ScoresSection(items=[ScoredChart(a, charts.histogram(a.distribution))
                                for a in results.assessments])


def areas_section(session: Session, results: CohortResults) -> Section | None:
    found = {area for by_area in results.areas.values() for area in by_area}
    if not found:
        return None
    order = [a for a in AREA_ORDER if a in found] + sorted(found - set(AREA_ORDER))
    items = []
    for area in order:
        dist = rules.distribution([results.areas.get(t.id, {}).get(area)
                                   for t in results.trainees])
        items.append(AreaChart(area=area, label=area_label(area), distribution=dist,
                               chart=charts.histogram(dist)))
    return AreasSection(items=items)


def observations_section(session: Session, results: CohortResults) -> Section | None:
    if not results.forms:
        return None
    return ObservationsSection(items=[
        FormChart(form, charts.scale_bars([(title, value) for title, value, _ in form.items]))
        for form in results.forms])


# The dashboard's sections, in page order. Placement and probation add theirs here: a
# builder returning a dataclass with a `template` (its partial), or None when empty.
SECTION_BUILDERS: list[Callable[[Session, CohortResults], Section | None]] = [
    funnel_section, scores_section, areas_section, observations_section, placement_section,
    probation_section]


@dataclass(frozen=True)
class CohortDashboard:
    results: CohortResults
    sections: list[Any]  # Section values (and those of builders added later)

    @property
    def cohort(self) -> Cohort:
        return self.results.cohort


def cohort_dashboard(session: Session, *, actor: User, cohort_id: int, now: datetime,
                     tz: tzinfo) -> CohortDashboard:
    results = cohort_results(session, actor=actor, cohort_id=cohort_id, now=now, tz=tz)
    sections = [s for build in SECTION_BUILDERS if (s := build(session, results)) is not None]
    return CohortDashboard(results=results, sections=sections)


# --- the export for HR ------------------------------------------------------------------------


Cell = str | float | int | Message | None  # a Message is translated by the web layer


@dataclass(frozen=True)
class ExportColumn:
    """One column of the HR export: its header (a message for the web layer to translate)
    and each trainee's value."""

    header: Message
    values: dict[int, Cell]  # trainee id -> value (None: empty)


@dataclass(frozen=True)
class CohortExport:
    cohort: Cohort
    trainees: list[User]
    columns: list[ExportColumn]
    on: Any  # the date in the file name

    def rows(self) -> list[list[Cell]]:
        return [[c.values.get(t.id) for c in self.columns] for t in self.trainees]


def identity_columns(session: Session, results: CohortResults) -> list[ExportColumn]:
    return [
        ExportColumn(msg(N_("姓名")), {t.id: t.display_name for t in results.trainees}),
        ExportColumn(msg(N_("工号")), {t.id: t.employee_no for t in results.trainees}),
        ExportColumn(msg(N_("批次")), {t.id: results.cohort.name for t in results.trainees}),
    ]


def stage_columns(session: Session, results: CohortResults) -> list[ExportColumn]:
    if not results.funnel:
        return []
    return [ExportColumn(msg(N_("通过阶段数（共 %(n)d 个）"), n=len(results.funnel)),
                         {t.id: results.stages_passed.get(t.id, 0) for t in results.trainees})]


def score_columns(session: Session, results: CohortResults) -> list[ExportColumn]:
    columns = []
    for a in results.assessments:
        columns.append(ExportColumn(msg(N_("%(title)s 成绩"), title=a.title),
                                    {i: s for i, s in a.scores.items()}))
        columns.append(ExportColumn(
            msg(N_("%(title)s 是否通过"), title=a.title),
            {i: (None if p is None else msg(N_("通过") if p else N_("未通过")))
             for i, p in a.passed.items()}))
    return columns


def area_columns(session: Session, results: CohortResults) -> list[ExportColumn]:
    found = {area for by_area in results.areas.values() for area in by_area}
    order = [a for a in AREA_ORDER if a in found] + sorted(found - set(AREA_ORDER))
    return [ExportColumn(msg(N_("%(area)s方向得分率（%%）"), area=area_label(area)),
                         {t.id: results.areas.get(t.id, {}).get(area) for t in results.trainees})
            for area in order]


def observation_columns(session: Session, results: CohortResults) -> list[ExportColumn]:
    return [ExportColumn(msg(N_("%(title)s 平均分"), title=f.title), dict(f.by_trainee))
            for f in results.forms]


_PENDING_ROLE = {PlacementRole.PRE_SALES: N_("待确认：售前"),
                 PlacementRole.AFTER_SALES: N_("待确认：售后")}


def placement_columns(session: Session, results: CohortResults) -> list[ExportColumn]:
    """岗位: the confirmed role; before the confirmation "待确认：<role>" from the current
    proposal (with the supervisors' changes); empty without a proposal."""
    current = placement.current_proposal(session, cohort_id=results.cohort.id)
    values: dict[int, Cell] = {}
    if current is not None:
        view = placement.proposal_view(session, proposal=current)
        for row in view.rows:
            values[row.trainee.id] = (msg(row.role.label) if view.confirmed_at is not None
                                      else msg(_PENDING_ROLE[row.role]))
    return [ExportColumn(msg(N_("岗位")), values)]


def probation_columns(session: Session, results: CohortResults) -> list[ExportColumn]:
    """转正结果, 决定日期, 决定人: each trainee's latest decision (empty while none)."""
    trails = probation.trail_of(session, trainee_ids=[t.id for t in results.trainees])
    outcome: dict[int, Cell] = {}
    on: dict[int, Cell] = {}
    by: dict[int, Cell] = {}
    for trainee_id, entries in trails.items():
        decided = [e for e in entries if e.decision is not None]
        if not decided:
            continue
        latest = max(decided, key=lambda e: e.decision.id)  # type: ignore[union-attr]
        decision = latest.decision
        assert decision is not None
        outcome[trainee_id] = msg(decision.outcome.label)
        at = decision.decided_at.replace(tzinfo=decision.decided_at.tzinfo or UTC)
        on[trainee_id] = (at.astimezone(results.tz) if results.tz else at).date().isoformat()
        by[trainee_id] = latest.decided_by
    return [ExportColumn(msg(N_("转正结果")), outcome), ExportColumn(msg(N_("决定日期")), on),
            ExportColumn(msg(N_("决定人")), by)]


# The export's columns, in order (placement and probation read their own services).
COLUMN_BUILDERS: list[Callable[[Session, CohortResults], list[ExportColumn]]] = [
    identity_columns, stage_columns, score_columns, area_columns, observation_columns,
    placement_columns, probation_columns]


def cohort_export(session: Session, *, actor: User, cohort_id: int, now: datetime,
                  tz: tzinfo) -> CohortExport:
    """The rows HR receives for a cohort (supervisors, trainers and admins who see it)."""
    results = cohort_results(session, actor=actor, cohort_id=cohort_id, now=now, tz=tz)
    columns = [c for build in COLUMN_BUILDERS for c in build(session, results)]
    return CohortExport(cohort=results.cohort, trainees=results.trainees, columns=columns,
                        on=now.astimezone(tz).date())
