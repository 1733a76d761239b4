"""Placement services: trainees' preferences, a cohort's staffing plan, the proposal (the
solver on fits read from the assessment domains), changes with a reason, the confirmation.
Take `session` and `now`; flush, never commit.

Who may do what (`portal.auth.access` decides who sees a cohort): a trainee states their
own preference until their cohort's placement is confirmed; the supervisors of a cohort
save its plan, propose, change and confirm; its trainers, and admins, see it read-only.
A change may put a role over its capacity (so two trainees can swap, one change at a
time); the page shows the overrun and the confirmation is refused until it is resolved.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.auth import access
from portal.auth.models import Cohort, Role, User
from portal.chat.services import areas as chat_areas
from portal.errors import Forbidden, NotFound
from portal.exams import areas as exam_areas
from portal.messages import N_, msg
from portal.observations import services as observations
from portal.placement import rules, solver
from portal.placement.errors import InvalidStaffing, PlacementConfirmed, PlacementInvalid
from portal.placement.fits import Evidence, PlacementPolicy, RoleFit, Source, fits, mean
from portal.placement.models import (
    ChangeReason,
    PlacementChange,
    PlacementPlan,
    PlacementPreference,
    PlacementProposal,
    PlacementRow,
    PlanMethod,
)
from portal.placement.rules import PlacementRole

MAX_COMMENT = 500
MAX_CAPACITY = rules.MAX_TRAINEES


def parse_role(value: str | None) -> PlacementRole | None:
    try:
        return PlacementRole(value or "")
    except ValueError:
        return None


# --- access -------------------------------------------------------------------------------------


def _cohort_for_staff(session: Session, *, actor: User, cohort_id: int) -> Cohort:
    access.check_sees_trainees(actor)
    return access.check_may_see_cohort(session, actor=actor, cohort_id=cohort_id)


def may_decide(session: Session, *, actor: User, cohort: Cohort) -> bool:
    """Supervisors of the cohort plan, propose, change and confirm."""
    return actor.role is Role.SUPERVISOR and access.may_see_cohort(session, actor=actor,
                                                                    cohort=cohort)


def _check_may_decide(session: Session, *, actor: User, cohort_id: int) -> Cohort:
    cohort = _cohort_for_staff(session, actor=actor, cohort_id=cohort_id)
    if not may_decide(session, actor=actor, cohort=cohort):
        raise Forbidden(N_("只有负责这个批次的客服主管可以安排岗位"))
    return cohort


def confirmed_proposal(session: Session, *, cohort_id: int) -> PlacementProposal | None:
    return session.scalar(sa.select(PlacementProposal).where(
        PlacementProposal.cohort_id == cohort_id, PlacementProposal.confirmed_at.is_not(None)))


def _check_open(session: Session, cohort: Cohort) -> None:
    done = confirmed_proposal(session, cohort_id=cohort.id)
    if done is not None:
        raise PlacementConfirmed(N_("%(cohort)s的岗位安排已经确认，不能再修改"), cohort=cohort.name)


def _trainees(session: Session, cohort_id: int) -> list[User]:
    return list(session.scalars(sa.select(User).where(
        User.cohort_id == cohort_id, User.role == Role.TRAINEE, User.active.is_(True))
        .order_by(User.employee_no)))


# --- preferences --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceChange:
    role: PlacementRole
    set_at: datetime


@dataclass(frozen=True)
class MyPlacement:
    """What a trainee sees: their preference and its history, whether it may still change,
    and their role once the placement is confirmed."""

    preference: PlacementRole | None
    history: list[PreferenceChange]  # newest first
    open: bool  # the preference may still change
    role: PlacementRole | None  # the confirmed role
    confirmed_at: datetime | None
    has_cohort: bool


def current_preferences(session: Session, *, trainee_ids: Iterable[int]
                        ) -> dict[int, PlacementRole]:
    """Each trainee's latest preference (trainees who never said one are left out)."""
    ids = list(trainee_ids)
    if not ids:
        return {}
    latest = (sa.select(sa.func.max(PlacementPreference.id))
              .where(PlacementPreference.trainee_id.in_(ids))
              .group_by(PlacementPreference.trainee_id))
    return dict(session.execute(sa.select(PlacementPreference.trainee_id, PlacementPreference.role)
                                .where(PlacementPreference.id.in_(latest))).all())


# The trainee's preferences (newest first) and their cohort's confirmed proposal with their
# row's role, in one statement (the trainee's home reads it on every visit).
_pp, _prop, _row = (PlacementPreference.__table__, PlacementProposal.__table__,
                    PlacementRow.__table__)
_kind = sa.literal_column("0", sa.Integer).label("kind")
_MY_PLACEMENT = sa.union_all(
    sa.select(_kind, _pp.c.id, _pp.c.role, _pp.c.set_at)
    .where(_pp.c.trainee_id == sa.bindparam("trainee_id")),
    sa.select(sa.literal_column("1", sa.Integer), _prop.c.id, _row.c.role, _prop.c.confirmed_at)
    .select_from(_prop.outerjoin(_row, sa.and_(_row.c.proposal_id == _prop.c.id,
                                               _row.c.trainee_id == sa.bindparam("trainee_id"))))
    .where(_prop.c.cohort_id == sa.bindparam("cohort_id"), _prop.c.confirmed_at.is_not(None)),
).order_by(sa.literal_column("kind"), sa.literal_column("id").desc())


def my_placement(session: Session, *, trainee: User) -> MyPlacement:
    history: list[PreferenceChange] = []
    confirmed: tuple[PlacementRole | None, datetime] | None = None
    for kind, _, role, at in session.execute(
            _MY_PLACEMENT, {"trainee_id": trainee.id, "cohort_id": trainee.cohort_id}):
        if kind == 0:
            history.append(PreferenceChange(role, at))
        elif confirmed is None:
            confirmed = (role, at)
    role, confirmed_at = confirmed if confirmed is not None else (None, None)
    return MyPlacement(preference=history[0].role if history else None, history=history,
                       open=trainee.cohort_id is not None and confirmed is None, role=role,
                       confirmed_at=confirmed_at, has_cohort=trainee.cohort_id is not None)


def set_preference(session: Session, *, trainee: User, role: str | None,
                   now: datetime) -> MyPlacement:
    """A trainee states (or changes) their preferred role; the same one again adds nothing."""
    if trainee.role is not Role.TRAINEE:
        raise Forbidden(N_("只有新客服可以填写岗位意向"))
    if trainee.cohort_id is None:
        raise PlacementInvalid(N_("你还没有被分配到培训批次，暂时不能填写岗位意向"))
    chosen = parse_role(role)
    if chosen is None:
        raise PlacementInvalid(N_("请选择意向岗位：售前或售后"))
    if confirmed_proposal(session, cohort_id=trainee.cohort_id) is not None:
        raise PlacementConfirmed(N_("你所在批次的岗位安排已经确认，意向不能再修改"))
    current = my_placement(session, trainee=trainee)
    if current.preference is not chosen:
        session.add(PlacementPreference(trainee_id=trainee.id, role=chosen, set_by_id=trainee.id,
                                        set_at=now))
        session.flush()
    return my_placement(session, trainee=trainee)


# --- the staffing plan --------------------------------------------------------------------------

FORMULA_FIELDS: tuple[tuple[str, str], ...] = (
    ("sales", rules.SALES), ("cs_share", rules.CS_SHARE),
    ("average_order_value", rules.AVERAGE_ORDER_VALUE), ("conversion_rate", rules.CONVERSION_RATE),
    ("receptions_per_agent", rules.PER_AGENT))


@dataclass(frozen=True)
class PlanView:
    capacities: dict[PlacementRole, int]
    method: PlanMethod
    formula: dict[str, str]  # the formula's inputs as entered
    staffing: rules.StaffingPlan | None
    saved_at: datetime
    saved_by: str


def _decimal(text: str | None, name: str, *, percent_ok: bool) -> Decimal:
    raw = (text or "").strip().replace(",", "").replace("，", "")
    if not raw:
        raise InvalidStaffing(msg(N_("请填写%(name)s"), name=name))
    percent = percent_ok and raw.endswith(("%", "％"))
    try:
        value = Decimal(raw.rstrip("%％").strip())
    except InvalidOperation:
        raise InvalidStaffing(msg(N_("%(name)s应为数字"), name=name)) from None
    if not value.is_finite() or abs(value) > Decimal("1e15"):
        raise InvalidStaffing(msg(N_("%(name)s应为数字"), name=name))
    return value / 100 if percent else value


def staffing_from(inputs: Mapping[str, str]) -> rules.StaffingPlan:
    """The Double-11 formula from a form's text (rates as 0.4 or 40%)."""
    values = {key: _decimal(inputs.get(key), name, percent_ok=key in ("cs_share", "conversion_rate"))
              for key, name in FORMULA_FIELDS}
    return rules.staffing_plan(**values)


def _capacity(text: str | int | None, role: PlacementRole) -> int:
    raw = str(text if text is not None else "").strip()
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_CAPACITY:
        raise PlacementInvalid(N_("%(role)s名额应为 0 到 %(max)d 之间的整数"), role=role.label,
                               max=MAX_CAPACITY)
    return int(raw)


def plan_view(session: Session, *, cohort_id: int) -> PlanView | None:
    plan = session.scalar(sa.select(PlacementPlan).where(PlacementPlan.cohort_id == cohort_id))
    if plan is None:
        return None
    staffing = staffing_from(plan.formula) if plan.formula else None
    who = session.get(User, plan.saved_by_id) if plan.saved_by_id else None
    return PlanView(capacities={PlacementRole(k): v for k, v in plan.capacities.items()},
                    method=plan.method, formula=dict(plan.formula or {}), staffing=staffing,
                    saved_at=plan.saved_at, saved_by=who.display_name if who else "")


def save_plan(session: Session, *, actor: User, cohort_id: int, method: str,
              capacities: Mapping[str, str], formula: Mapping[str, str] | None,
              now: datetime) -> PlanView:
    """Save a cohort's plan: capacities typed in (`direct`), or pre-sales from the Double-11
    formula and after-sales typed in (`formula`). Refused, with nothing saved, for a number
    that is not usable (InvalidStaffing / PlacementInvalid naming it) or once confirmed."""
    cohort = _check_may_decide(session, actor=actor, cohort_id=cohort_id)
    _check_open(session, cohort)
    try:
        chosen = PlanMethod(method)
    except ValueError:
        raise PlacementInvalid(N_("请选择名额的确定方式：直接填写或按公式计算")) from None
    inputs: dict[str, str] | None = None
    after = _capacity(capacities.get(PlacementRole.AFTER_SALES.value), PlacementRole.AFTER_SALES)
    if chosen is PlanMethod.FORMULA:
        inputs = {key: (formula or {}).get(key, "").strip()[:40] for key, _ in FORMULA_FIELDS}
        staffing = staffing_from(inputs)
        if staffing.agents > MAX_CAPACITY:
            raise PlacementInvalid(N_("按公式算出售前需要 %(n)d 人，超过了 %(max)d 人的上限"),
                                   n=staffing.agents, max=MAX_CAPACITY)
        pre = staffing.agents
    else:
        pre = _capacity(capacities.get(PlacementRole.PRE_SALES.value), PlacementRole.PRE_SALES)
    plan = session.scalar(sa.select(PlacementPlan).where(PlacementPlan.cohort_id == cohort.id))
    if plan is None:
        plan = PlacementPlan(cohort_id=cohort.id)
        session.add(plan)
    plan.capacities = {PlacementRole.PRE_SALES.value: pre, PlacementRole.AFTER_SALES.value: after}
    plan.method, plan.formula = chosen, inputs
    plan.saved_by_id, plan.saved_at = actor.id, now
    session.flush()
    view = plan_view(session, cohort_id=cohort.id)
    assert view is not None
    return view


# --- evidence and the proposal ------------------------------------------------------------------


def cohort_evidence(session: Session, *, trainee_ids: list[int]) -> dict[int, Evidence]:
    """Each trainee's evidence, read through the assessment domains' services (four queries
    whatever the cohort's size). Areas reported by several exams or drills are averaged."""
    written = exam_areas.counted_area_scores(session, trainee_ids=trainee_ids)
    chats = chat_areas.counted_area_scores(session, trainee_ids=trainee_ids)
    observed = observations.latest_scores(session, trainee_ids=trainee_ids)
    evidence: dict[int, Evidence] = {}
    for trainee_id in trainee_ids:
        evidence[trainee_id] = Evidence(
            exams=_means(e.scores for e in written.get(trainee_id, [])),
            chat=_means(d.areas for d in chats.get(trainee_id, [])),
            chat_items=_means(d.items for d in chats.get(trainee_id, [])),
            observations={f"{o.form_key}/{o.item}": o.score
                          for o in observed.get(trainee_id, [])})
    return evidence


def _means(maps: Iterable[Mapping[Any, float]]) -> dict[str, float]:
    found: dict[str, list[float]] = {}
    for scores in maps:
        for key, value in scores.items():
            found.setdefault(str(key), []).append(value)
    return {k: m for k, v in found.items() if (m := mean(v)) is not None}


def _fit_data(role_fit: RoleFit) -> dict[str, Any]:
    return {"fit": role_fit.fit, "solver_fit": role_fit.solver_fit, "excluded": role_fit.excluded,
            "parts": [{"source": p.source.value, "key": p.key, "weight": p.weight,
                       "value": round(p.value, 2)} for p in role_fit.parts],
            "missing": [{"source": w.source.value, "key": w.key, "weight": w.weight}
                        for w in role_fit.missing]}


@dataclass(frozen=True)
class CohortInput:
    """What the solver is given for a cohort, and the fits behind it."""

    cohort: rules.Cohort
    trainees: list[User]
    fits: dict[int, tuple[RoleFit, ...]]
    preferences: dict[int, PlacementRole]


def cohort_input(session: Session, *, cohort_id: int, capacities: Mapping[PlacementRole, int],
                 policy: PlacementPolicy) -> CohortInput:
    """The `rules.Cohort` of a cohort from the database and the policy: trainees by employee
    number (their id for the solver), fit per role, latest preference."""
    trainees = _trainees(session, cohort_id)
    ids = [t.id for t in trainees]
    evidence = cohort_evidence(session, trainee_ids=ids)
    preferences = current_preferences(session, trainee_ids=ids)
    per_trainee = {t.id: fits(policy, evidence[t.id]) for t in trainees}
    cohort = rules.Cohort(
        capacities={r: capacities.get(r, 0) for r in PlacementRole},
        trainees=tuple(rules.TraineeFit(
            trainee_id=t.employee_no,
            fit={f.role: f.solver_fit for f in per_trainee[t.id] if f.solver_fit is not None},
            preference=preferences.get(t.id)) for t in trainees),
        preference_bonus=policy.preference_bonus)
    return CohortInput(cohort=cohort, trainees=trainees, fits=per_trainee, preferences=preferences)


def propose(session: Session, *, actor: User, cohort_id: int, policy: PlacementPolicy,
            now: datetime) -> PlacementProposal:
    """Run the solver on the cohort as it is now and pin the result as the current proposal.

    Refused (nothing saved): no plan yet, the placement confirmed, or a plan the solver
    cannot place (InfeasiblePlan and its Chinese reason: the capacities cannot hold the
    cohort, or trainees who can only go to a full role)."""
    cohort = _check_may_decide(session, actor=actor, cohort_id=cohort_id)
    _check_open(session, cohort)
    plan = plan_view(session, cohort_id=cohort.id)
    if plan is None:
        raise PlacementInvalid(N_("请先填写人员计划（各岗位名额），再生成岗位安排方案"))
    given = cohort_input(session, cohort_id=cohort.id, capacities=plan.capacities, policy=policy)
    placement = solver.solve(given.cohort)
    number = (session.scalar(sa.select(sa.func.max(PlacementProposal.number))
                             .where(PlacementProposal.cohort_id == cohort.id)) or 0) + 1
    proposal = PlacementProposal(
        cohort_id=cohort.id, number=number,
        capacities={r.value: c for r, c in given.cohort.capacities.items()},
        preference_bonus=policy.preference_bonus, missing=policy.missing.value,
        policy_hash=policy.content_hash, total_fit=placement.total_fit, created_by_id=actor.id,
        created_at=now)
    session.add(proposal)
    session.flush()
    rows = []
    for position, (trainee, explained) in enumerate(
            zip(given.trainees, placement.explanations, strict=True)):
        rows.append(PlacementRow(
            proposal_id=proposal.id, trainee_id=trainee.id, position=position,
            preference=explained.preference, proposed_role=explained.role, role=explained.role,
            preference_cost=explained.preference_cost,
            total_if_preferred=explained.total_if_preferred,
            fits={f.role.value: _fit_data(f) for f in given.fits[trainee.id]}))
    session.add_all(rows)
    audit.record(session, actor_id=actor.id, action="placement.propose",
                 target_type="cohort", target_id=cohort.id,
                 details={"proposal": number, "total_fit": placement.total_fit}, now=now)
    session.flush()
    return proposal


# --- the page: the plan, the proposal, changes ----------------------------------------------------


@dataclass(frozen=True)
class Part:
    source: Source
    key: str
    label: str  # a msgid (area, rubric item) or the observation item's title
    weight: float
    value: float | None  # None: missing


@dataclass(frozen=True)
class FitView:
    role: PlacementRole
    fit: float | None
    excluded: bool
    parts: list[Part]
    missing: list[Part]


@dataclass(frozen=True)
class ChangeView:
    from_role: PlacementRole
    to_role: PlacementRole
    reason: ChangeReason
    comment: str
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True)
class RowView:
    id: int
    trainee: User
    fits: list[FitView]
    preference: PlacementRole | None
    preference_now: PlacementRole | None  # the trainee's preference today
    proposed_role: PlacementRole
    role: PlacementRole
    preference_cost: float | None
    changes: list[ChangeView]

    @property
    def preference_met(self) -> bool | None:
        return None if self.preference is None else self.preference is self.role

    @property
    def changed(self) -> bool:
        return self.role is not self.proposed_role


@dataclass(frozen=True)
class ProposalView:
    id: int
    number: int
    capacities: dict[PlacementRole, int]
    preference_bonus: float
    total_fit: float
    created_at: datetime
    created_by: str
    confirmed_at: datetime | None
    confirmed_by: str
    rows: list[RowView]
    # Trainees of the cohort today who are not in this proposal (joined since).
    missing_trainees: list[User] = field(default_factory=list)

    @property
    def loads(self) -> dict[PlacementRole, int]:
        return {r: sum(1 for row in self.rows if row.role is r) for r in self.capacities}

    @property
    def overruns(self) -> dict[PlacementRole, int]:
        loads = self.loads
        return {r: loads[r] - c for r, c in self.capacities.items() if loads[r] > c}

    @property
    def unmet(self) -> int:
        return sum(1 for row in self.rows if row.preference_met is False)

    @property
    def preferences_changed(self) -> int:
        return sum(1 for row in self.rows if row.preference_now is not row.preference)


@dataclass(frozen=True)
class CohortPlacement:
    cohort: Cohort
    may_decide: bool
    plan: PlanView | None
    proposal: ProposalView | None
    trainees: int
    preferences: int  # trainees who stated one

    @property
    def confirmed(self) -> bool:
        return self.proposal is not None and self.proposal.confirmed_at is not None


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(User.id, User.display_name)
                                .where(User.id.in_(wanted))).all())


def _part_label(source: Source, key: str, titles: Mapping[str, str]) -> str:
    from portal.chat.scenario import Item
    from portal.placement.fits import AREA_LABELS

    if source in (Source.EXAM, Source.CHAT):
        return AREA_LABELS.get(key, key)
    if source is Source.CHAT_ITEM:
        try:
            return Item(key).label
        except ValueError:
            return key
    return titles.get(key, key)


def _fit_view(role: PlacementRole, data: Mapping[str, Any], titles: Mapping[str, str]) -> FitView:
    def part(p: Mapping[str, Any], value: float | None) -> Part:
        source = Source(p["source"])
        return Part(source, p["key"], _part_label(source, p["key"], titles), p["weight"], value)

    return FitView(role=role, fit=data.get("fit"), excluded=bool(data.get("excluded")),
                   parts=[part(p, p["value"]) for p in data.get("parts", [])],
                   missing=[part(p, None) for p in data.get("missing", [])])


def proposal_view(session: Session, *, proposal: PlacementProposal) -> ProposalView:
    rows = list(session.execute(sa.select(PlacementRow, User).join(
        User, User.id == PlacementRow.trainee_id).where(PlacementRow.proposal_id == proposal.id)
        .order_by(PlacementRow.position)))
    changes: dict[int, list[PlacementChange]] = {}
    for change in session.scalars(sa.select(PlacementChange).where(
            PlacementChange.row_id.in_([r.id for r, _ in rows])).order_by(PlacementChange.id)):
        changes.setdefault(change.row_id, []).append(change)
    names = _names(session, [proposal.created_by_id, proposal.confirmed_by_id,
                             *(c.changed_by_id for cs in changes.values() for c in cs)])
    titles = observations.item_titles(session)
    now_preferences = current_preferences(session, trainee_ids=[u.id for _, u in rows])
    in_proposal = {u.id for _, u in rows}
    joined = [t for t in _trainees(session, proposal.cohort_id) if t.id not in in_proposal]
    return ProposalView(
        id=proposal.id, number=proposal.number,
        capacities={PlacementRole(k): v for k, v in proposal.capacities.items()},
        preference_bonus=proposal.preference_bonus, total_fit=proposal.total_fit,
        created_at=proposal.created_at, created_by=names.get(proposal.created_by_id or 0, ""),
        confirmed_at=proposal.confirmed_at,
        confirmed_by=names.get(proposal.confirmed_by_id or 0, ""),
        rows=[RowView(
            id=row.id, trainee=user,
            fits=[_fit_view(PlacementRole(k), v, titles) for k, v in row.fits.items()],
            preference=row.preference, preference_now=now_preferences.get(user.id),
            proposed_role=row.proposed_role, role=row.role, preference_cost=row.preference_cost,
            changes=[ChangeView(c.from_role, c.to_role, c.reason, c.comment,
                                names.get(c.changed_by_id or 0, ""), c.changed_at)
                     for c in changes.get(row.id, [])]) for row, user in rows],
        missing_trainees=joined)


def current_proposal(session: Session, *, cohort_id: int) -> PlacementProposal | None:
    return session.scalar(sa.select(PlacementProposal).where(
        PlacementProposal.cohort_id == cohort_id)
        .order_by(PlacementProposal.number.desc()).limit(1))


def cohort_placement(session: Session, *, actor: User, cohort_id: int) -> CohortPlacement:
    """The cohort's placement page: the plan, the current proposal with its explanations."""
    cohort = _cohort_for_staff(session, actor=actor, cohort_id=cohort_id)
    proposal = current_proposal(session, cohort_id=cohort.id)
    trainees = _trainees(session, cohort.id)
    return CohortPlacement(
        cohort=cohort, may_decide=may_decide(session, actor=actor, cohort=cohort),
        plan=plan_view(session, cohort_id=cohort.id),
        proposal=proposal_view(session, proposal=proposal) if proposal else None,
        trainees=len(trainees),
        preferences=len(current_preferences(session, trainee_ids=[t.id for t in trainees])))


@dataclass(frozen=True)
class CohortChoice:
    id: int
    name: str
    confirmed: bool


def cohort_choices(session: Session, *, actor: User) -> list[CohortChoice]:
    """The cohorts whose placement `actor` may open, newest first."""
    cohorts = access.visible_cohorts(session, actor=actor)
    if not cohorts:
        return []
    confirmed = set(session.scalars(sa.select(PlacementProposal.cohort_id).where(
        PlacementProposal.cohort_id.in_([c.id for c in cohorts]),
        PlacementProposal.confirmed_at.is_not(None))))
    return [CohortChoice(c.id, c.name, c.id in confirmed) for c in cohorts]


# --- changes and the confirmation ---------------------------------------------------------------


def _row_for_decision(session: Session, *, actor: User, row_id: int
                      ) -> tuple[PlacementRow, PlacementProposal, Cohort]:
    row = session.get(PlacementRow, row_id)
    if row is None:
        raise NotFound(N_("找不到这条岗位安排"))
    proposal = row.proposal
    cohort = _check_may_decide(session, actor=actor, cohort_id=proposal.cohort_id)
    _check_open(session, cohort)
    current = current_proposal(session, cohort_id=cohort.id)
    if current is None or current.id != proposal.id:
        raise PlacementInvalid(N_("这不是最新的安排方案，请刷新页面后再操作"))
    return row, proposal, cohort


def change_placement(session: Session, *, actor: User, row_id: int, role: str | None,
                     reason: str | None, comment: str | None, now: datetime) -> PlacementChange:
    """A supervisor moves one trainee to another role, with a reason from the list and a
    comment (required for 其他). The role may go over its capacity: the page shows the
    overrun, and confirming waits until it is resolved."""
    row, _proposal, _cohort = _row_for_decision(session, actor=actor, row_id=row_id)
    target = parse_role(role)
    if target is None:
        raise PlacementInvalid(N_("请选择要调整到的岗位：售前或售后"))
    trainee = session.get(User, row.trainee_id)
    name = trainee.display_name if trainee else ""
    if target is row.role:
        raise PlacementInvalid(N_("%(name)s已经安排在%(role)s，无需调整"), name=name,
                               role=target.label)
    try:
        why = ChangeReason(reason or "")
    except ValueError:
        raise PlacementInvalid(N_("请选择调整原因")) from None
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise PlacementInvalid(N_("说明最多 %(n)d 个字（现在 %(count)d 个字）"), n=MAX_COMMENT,
                               count=len(text))
    if why is ChangeReason.OTHER and not text:
        raise PlacementInvalid(N_("调整原因选了“其他”，请在说明里写明原因"))
    change = PlacementChange(row_id=row.id, from_role=row.role, to_role=target, reason=why,
                             comment=text, changed_by_id=actor.id, changed_at=now)
    row.role = target
    session.add(change)
    audit.record(session, actor_id=actor.id, action="placement.change", target_type="user",
                 target_id=row.trainee_id, details={"from": change.from_role.value,
                                                    "to": target.value, "reason": why.value},
                 now=now)
    session.flush()
    return change


def confirm(session: Session, *, actor: User, proposal_id: int, now: datetime) -> PlacementProposal:
    """A supervisor of the cohort confirms the current proposal: every trainee's role is fixed
    and shown to them. Refused: twice, an older proposal, a role over its capacity, or
    trainees of the cohort who joined after the proposal (propose again first)."""
    proposal = session.get(PlacementProposal, proposal_id)
    if proposal is None:
        raise NotFound(N_("找不到这个安排方案"))
    cohort = _check_may_decide(session, actor=actor, cohort_id=proposal.cohort_id)
    if proposal.confirmed_at is not None:
        who = session.get(User, proposal.confirmed_by_id) if proposal.confirmed_by_id else None
        raise PlacementConfirmed(N_("这个安排方案已经由%(who)s确认过了，不能重复确认"),
                                 who=who.display_name if who else "")
    _check_open(session, cohort)
    current = current_proposal(session, cohort_id=cohort.id)
    if current is None or current.id != proposal.id:
        raise PlacementInvalid(N_("这不是最新的安排方案，请刷新页面后再确认"))
    view = proposal_view(session, proposal=proposal)
    for role, over in view.overruns.items():
        raise PlacementInvalid(N_("%(role)s安排了 %(load)d 人，超出名额 %(over)d 人。请先调整安排，"
                                  "或修改人员计划后重新生成方案"),
                               role=role.label, load=view.loads[role], over=over)
    if view.missing_trainees:
        raise PlacementInvalid(N_("有 %(n)d 名新客服是在方案生成后加入批次的（%(names)s），请重新生成方案"),
                               n=len(view.missing_trainees),
                               names="、".join(t.display_name for t in view.missing_trainees[:5]))
    proposal.confirmed_by_id, proposal.confirmed_at = actor.id, now
    audit.record(session, actor_id=actor.id, action="placement.confirm", target_type="cohort",
                 target_id=cohort.id, details={"proposal": proposal.number}, now=now)
    session.flush()
    return proposal


def row_cohort_id(session: Session, *, row_id: int) -> int | None:
    """The cohort of a proposal row (for re-rendering its page), None when there is none."""
    return session.scalar(sa.select(PlacementProposal.cohort_id).join(
        PlacementRow, PlacementRow.proposal_id == PlacementProposal.id)
        .where(PlacementRow.id == row_id))


def proposal_cohort_id(session: Session, *, proposal_id: int) -> int | None:
    return session.scalar(sa.select(PlacementProposal.cohort_id)
                          .where(PlacementProposal.id == proposal_id))
