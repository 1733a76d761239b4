"""Probation cases and their append-only trail: recommend, propose, decide (maker-checker).

Takes `session` and `now`; flushes, never commits. Who may do what:
- a trainer or supervisor of the trainee's cohort proposes (`auth.access`, the one rule);
- a supervisor of the cohort who did not record the proposal decides it, once; a trainer
  never decides;
- a proposal made after a final decision (confirm / do not confirm) is a correction and
  names the decided proposal it corrects; after an extension a new proposal follows it.
Rows are only inserted (models.py, and the database refuses the rest).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.auth import access
from portal.auth.models import COHORT_STAFF_ROLES, Cohort, Role, User
from portal.errors import Conflict, Forbidden, NotFound
from portal.messages import N_
from portal.probation import rules
from portal.probation.errors import ProposalInvalid
from portal.probation.models import ProbationDecision, ProbationProposal
from portal.probation.rules import Evidence, Outcome, Policy, Recommendation
from portal.probation.services import evidence as reading

MAX_REASON_CHARS = 1000
FINAL = (Outcome.CONFIRM, Outcome.DO_NOT_CONFIRM)


# --- who may --------------------------------------------------------------------------------


def may_propose(actor: User) -> bool:
    return actor.role in COHORT_STAFF_ROLES


def may_decide(actor: User, proposal: ProbationProposal) -> bool:
    """Maker-checker: a supervisor, not the one who recorded the proposal."""
    return actor.role is Role.SUPERVISOR and actor.id != proposal.proposed_by_id


def _check_may_decide(actor: User, proposal: ProbationProposal) -> None:
    if actor.role is not Role.SUPERVISOR:
        raise Forbidden(N_("只有客服主管可以作出转正决定"))
    if actor.id == proposal.proposed_by_id:
        raise Forbidden(N_("提议人不能决定自己的提议，请由另一位客服主管决定"))


# --- the trail ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrailEntry:
    """One proposal with its decision (None while it waits), and who made each."""

    proposal: ProbationProposal
    proposed_by: str
    decision: ProbationDecision | None
    decided_by: str

    @property
    def recommendation(self) -> Recommendation:
        return Recommendation.from_data(self.proposal.recommendation)


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {uid: name for uid, name in session.execute(
        sa.select(User.id, User.display_name).where(User.id.in_(ids)))}


def trail_of(session: Session, *, trainee_ids: list[int]) -> dict[int, list[TrailEntry]]:
    """Every trainee's proposals with their decisions, newest first (two queries)."""
    if not trainee_ids:
        return {}
    proposals = list(session.scalars(sa.select(ProbationProposal).where(
        ProbationProposal.trainee_id.in_(trainee_ids)).order_by(ProbationProposal.id.desc())))
    decisions = {d.proposal_id: d for d in session.scalars(sa.select(ProbationDecision).where(
        ProbationDecision.trainee_id.in_(trainee_ids)))}
    names = _names(session, {p.proposed_by_id for p in proposals}
                   | {d.decided_by_id for d in decisions.values()})
    found: dict[int, list[TrailEntry]] = {t: [] for t in trainee_ids}
    for p in proposals:
        d = decisions.get(p.id)
        found[p.trainee_id].append(TrailEntry(
            proposal=p, proposed_by=names.get(p.proposed_by_id, ""), decision=d,
            decided_by=names.get(d.decided_by_id, "") if d else ""))
    return found


def _open(entries: list[TrailEntry]) -> TrailEntry | None:
    return next((e for e in entries if e.decision is None), None)


def _latest_decided(entries: list[TrailEntry]) -> TrailEntry | None:
    decided = [e for e in entries if e.decision is not None]
    return max(decided, key=lambda e: e.decision.id) if decided else None  # type: ignore[union-attr]


# --- a case ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One trainee's probation: the recommendation now, the trail, and what waits."""

    trainee: User
    recommendation: Recommendation | None  # None without a hire date or cohort start
    trail: list[TrailEntry]

    @property
    def open_proposal(self) -> TrailEntry | None:
        return _open(self.trail)

    @property
    def latest_decision(self) -> TrailEntry | None:
        return _latest_decided(self.trail)

    @property
    def needs_correction(self) -> bool:
        """A new proposal corrects the last decision (it was final)."""
        latest = self.latest_decision
        return latest is not None and latest.decision is not None and latest.decision.outcome in FINAL


def _evidence(*, trainee: User, cohort: Cohort | None, policy: Policy,
              assessments: tuple[rules.AssessmentEvidence, ...], track_missing: bool,
              forms: dict[str, rules.FormEvidence], trail: list[TrailEntry]) -> Evidence | None:
    latest = _latest_decided(trail)
    extended_to = (latest.decision.effective_date if latest is not None and latest.decision
                   is not None and latest.decision.outcome is Outcome.EXTEND else None)
    scheduled = rules.scheduled_date(hire_date=trainee.hire_date,
                                     cohort_start=cohort.start_date if cohort else None,
                                     policy=policy, extended_to=extended_to)
    if scheduled is None:
        return None
    return Evidence(scheduled=scheduled, assessments=assessments, forms=forms,
                    extended=extended_to is not None, track_missing=track_missing)


def _cases(session: Session, *, actor: User, cohort: Cohort, trainees: list[User],
           policy: Policy, now: datetime) -> list[Case]:
    """The cases of trainees of one cohort: each domain read once for all of them."""
    forms = reading.cohort_forms(session, actor=actor, cohort_id=cohort.id,
                                 form_keys=[s.form for s in policy.standards])
    trails = trail_of(session, trainee_ids=[t.id for t in trainees])
    refs, track_missing = reading.required_assessments(session, policy=policy,
                                                       track_key=cohort.track_key)
    assessments = reading.assessment_evidence(session, trainees=trainees, refs=refs, now=now)
    cases = []
    for trainee in trainees:
        evidence = _evidence(trainee=trainee, cohort=cohort, policy=policy,
                             assessments=assessments[trainee.id], track_missing=track_missing,
                             forms=forms.get(trainee.id, {}), trail=trails[trainee.id])
        recommendation = (rules.recommend(policy, evidence, now.date())
                          if evidence is not None else None)
        cases.append(Case(trainee=trainee, recommendation=recommendation,
                          trail=trails[trainee.id]))
    return cases


def trainee_case(session: Session, *, actor: User, trainee_id: int, policy: Policy,
                 now: datetime) -> Case:
    """One trainee's case, for a trainer or supervisor who follows them."""
    _check_staff(actor)
    trainee = access.check_may_see_trainee(session, actor=actor, trainee_id=trainee_id)
    if trainee.cohort is None:
        raise NotFound(N_("该新客服还没有分配到批次"))
    return _cases(session, actor=actor, cohort=trainee.cohort, trainees=[trainee],
                  policy=policy, now=now)[0]


@dataclass(frozen=True)
class CohortCases:
    cohort: Cohort
    cases: list[Case]


def cohort_cases(session: Session, *, actor: User, cohort_id: int, policy: Policy,
                 now: datetime) -> CohortCases:
    """Every active trainee of the cohort with their recommendation and trail."""
    _check_staff(actor)
    cohort = access.check_may_see_cohort(session, actor=actor, cohort_id=cohort_id)
    trainees = list(session.scalars(sa.select(User).where(
        User.cohort_id == cohort.id, User.role == Role.TRAINEE, User.active.is_(True))
        .order_by(User.employee_no)))
    return CohortCases(cohort=cohort, cases=_cases(session, actor=actor, cohort=cohort,
                                                   trainees=trainees, policy=policy, now=now))


def cohort_choices(session: Session, *, actor: User) -> list[Cohort]:
    """The cohorts whose probation cases `actor` may open (the one rule's `visible_cohorts`)."""
    return access.visible_cohorts(session, actor=actor)


def _check_staff(actor: User) -> None:
    if not may_propose(actor):
        raise Forbidden(N_("只有培训组长和客服主管可以处理转正"))


# --- input ----------------------------------------------------------------------------------


def _clean(outcome: str | None, effective: str | None, reason: str | None, *,
           today: date) -> tuple[Outcome, date, str]:
    try:
        chosen = Outcome((outcome or "").strip())
    except ValueError:
        raise ProposalInvalid(N_("请选择结果：按期转正、延长考察期或不予转正")) from None
    text = (effective or "").strip()
    try:
        when = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        when = None
    if when is None:
        raise ProposalInvalid(N_("请填写日期（年-月-日，例如 2026-12-31）"))
    if not today - timedelta(days=366) <= when <= today + timedelta(days=366):
        raise ProposalInvalid(N_("日期应在今天前后一年之内"))
    if chosen is Outcome.EXTEND and when <= today:
        raise ProposalInvalid(N_("延长考察期的新日期应晚于今天"))
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ProposalInvalid(N_("请写明理由"))
    if len(cleaned) > MAX_REASON_CHARS:
        raise ProposalInvalid(N_("理由最多 %(n)d 个字"), n=MAX_REASON_CHARS)
    return chosen, when, cleaned


# --- propose and decide ---------------------------------------------------------------------


def propose(session: Session, *, actor: User, trainee_id: int, outcome: str | None,
            effective_date: str | None, reason: str | None, corrects_id: int | None,
            policy: Policy, now: datetime) -> ProbationProposal:
    """Record a proposal for a trainee, pinning the recommendation as it is now.

    Refused with nothing saved: an actor who is not a trainer or supervisor of the
    trainee's cohort; an inactive trainee; a proposal already waiting for a decision; after
    a final decision, a proposal that does not name it as the one it corrects (and naming
    any other); a missing or bad outcome, date or reason.
    """
    case = trainee_case(session, actor=actor, trainee_id=trainee_id, policy=policy, now=now)
    if not case.trainee.active:
        raise ProposalInvalid(N_("该新客服的账号已停用"))
    if case.open_proposal is not None:
        raise Conflict(N_("已有一条提议在等待决定，请先由客服主管决定"))
    latest = case.latest_decision
    if case.needs_correction and latest is not None and corrects_id != latest.proposal.id:
        raise ProposalInvalid(N_("已有最终决定；新的提议须作为对该决定的更正提出"))
    if corrects_id is not None and (latest is None or corrects_id != latest.proposal.id):
        raise ProposalInvalid(N_("只能更正该新客服最近一次的决定"))
    chosen, when, cleaned = _clean(outcome, effective_date, reason, today=now.date())
    if case.recommendation is None:
        raise ProposalInvalid(N_("该新客服没有入职日期，批次也没有开始日期，无法计算转正日期"))
    proposal = ProbationProposal(
        trainee_id=case.trainee.id, outcome=chosen, effective_date=when, reason=cleaned,
        recommendation=case.recommendation.to_data(), policy_hash=policy.content_hash,
        proposed_by_id=actor.id, proposed_at=now, corrects_id=corrects_id)
    session.add(proposal)
    session.flush()
    audit.record(session, actor_id=actor.id, action="probation.propose",
                 target_type="probation_proposal", target_id=proposal.id,
                 details={"trainee_id": case.trainee.id, "outcome": chosen.value,
                          "date": when.isoformat(), "corrects_id": corrects_id}, now=now)
    return proposal


def get_proposal(session: Session, *, actor: User, proposal_id: int) -> ProbationProposal:
    proposal = session.get(ProbationProposal, proposal_id)
    if proposal is None:
        raise NotFound(N_("找不到该转正提议"))
    _check_staff(actor)
    access.check_may_see_trainee(session, actor=actor, trainee_id=proposal.trainee_id)
    return proposal


def decide(session: Session, *, actor: User, proposal_id: int, accept: bool,
           outcome: str | None, effective_date: str | None, reason: str | None,
           now: datetime) -> ProbationDecision:
    """A supervisor's final decision on a proposal: accept it as proposed, or decide otherwise.

    Refused with nothing saved: a trainer; the proposal's maker; a supervisor who does not
    follow the trainee; a proposal already decided (also when two decide at once: the
    database's unique proposal id keeps the first); a missing reason; for "decide
    otherwise", a missing or bad outcome or date.
    """
    proposal = get_proposal(session, actor=actor, proposal_id=proposal_id)
    _check_may_decide(actor, proposal)
    if session.scalar(sa.select(ProbationDecision.id).where(
            ProbationDecision.proposal_id == proposal.id)) is not None:
        raise Conflict(N_("这条提议已经决定，决定不能修改；如需更正，请提出新的提议"))
    if accept:
        chosen, when = proposal.outcome, proposal.effective_date
        cleaned = (reason or "").strip()
        if not cleaned:
            raise ProposalInvalid(N_("请写明理由"))
        if len(cleaned) > MAX_REASON_CHARS:
            raise ProposalInvalid(N_("理由最多 %(n)d 个字"), n=MAX_REASON_CHARS)
    else:
        chosen, when, cleaned = _clean(outcome, effective_date, reason, today=now.date())
    decision = ProbationDecision(proposal_id=proposal.id, trainee_id=proposal.trainee_id,
                                 accepted=accept, outcome=chosen, effective_date=when,
                                 reason=cleaned, decided_by_id=actor.id, decided_at=now)
    try:
        with session.begin_nested():
            session.add(decision)
            session.flush()
    except IntegrityError:
        raise Conflict(N_("这条提议已经决定，决定不能修改；如需更正，请提出新的提议")) from None
    audit.record(session, actor_id=actor.id, action="probation.decide",
                 target_type="probation_decision", target_id=decision.id,
                 details={"proposal_id": proposal.id, "accepted": accept,
                          "outcome": chosen.value, "date": when.isoformat()}, now=now)
    return decision


# --- what the trainee sees ------------------------------------------------------------------


@dataclass(frozen=True)
class MyOutcome:
    outcome: Outcome
    effective_date: date
    decided_at: datetime


def my_outcome(session: Session, *, trainee: User) -> MyOutcome | None:
    """The trainee's own latest decision (never a proposal that waits, nor its reasons)."""
    decision = session.execute(_MY_OUTCOME, {"trainee_id": trainee.id}).first()
    if decision is None:
        return None
    return MyOutcome(outcome=decision.outcome, effective_date=decision.effective_date,
                     decided_at=decision.decided_at)


# Three columns, not the decision's ORM object (the trainee's home reads it on every visit).
_pd = ProbationDecision.__table__
_MY_OUTCOME = (sa.select(_pd.c.outcome, _pd.c.effective_date, _pd.c.decided_at)
               .where(_pd.c.trainee_id == sa.bindparam("trainee_id"))
               .order_by(_pd.c.id.desc()).limit(1))
