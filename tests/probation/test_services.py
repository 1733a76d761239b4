"""Probation services on a real database: the recommendation from real attempts and entries,
maker-checker, corrections, and refusals that change nothing (SQLite and, in PG_SUITE,
PostgreSQL)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.errors import Conflict, Forbidden
from portal.probation import services
from portal.probation.errors import ProposalInvalid
from portal.probation.models import ProbationDecision, ProbationProposal
from portal.probation.rules import EvidenceKind, Finding, Outcome, Recommendation
from tests.chat import chat_web_fixtures as chat_fx
from tests.factories import (
    ProbationWorld,
    build_probation_world,
    fill_observations,
    make_finished_chat_attempt,
)

ALL_FOUR = {"skills": 4, "service": 4, "attitude": 4}
SCHEDULED = date(2026, 12, 23)  # the cohort's start (2026-11-23) + 30 days


@pytest.fixture
def world(session: Session, now: datetime) -> ProbationWorld:
    return build_probation_world(session, now=now)


@pytest.fixture
def policy():  # type: ignore[no-untyped-def]
    return services.current_policy()


def _count(session: Session) -> tuple[int, int]:
    return (session.scalar(sa.select(sa.func.count()).select_from(ProbationProposal)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(ProbationDecision)) or 0)


def _ready(session: Session, world: ProbationWorld, now: datetime, n: int = 0) -> int:
    """Trainee n passes the drill and is scored 4 on every item of the three forms."""
    trainee = world.trainees[n]
    attempt = make_finished_chat_attempt(session, trainee=trainee, now=now)
    assert attempt.passed
    fill_observations(session, actor=world.trainer, trainee=trainee, now=now, scores=ALL_FOUR)
    return attempt.id


def _propose(session: Session, world: ProbationWorld, policy, now: datetime, *,  # type: ignore[no-untyped-def]
             actor=None, outcome: str = "confirm", when: str = "2026-12-23",
             reason: str = "三张表达标，考核通过", corrects_id: int | None = None, n: int = 0):
    return services.propose(session, actor=actor or world.trainer,
                            trainee_id=world.trainees[n].id, outcome=outcome,
                            effective_date=when, reason=reason, corrects_id=corrects_id,
                            policy=policy, now=now)


def test_confirm_on_schedule_with_every_reason_linked(session: Session, world: ProbationWorld,
                                                      policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    attempt_id = _ready(session, world, now)
    case = services.trainee_case(session, actor=world.supervisor,
                                 trainee_id=world.trainees[0].id, policy=policy, now=now)
    rec = case.recommendation
    assert rec is not None and rec.outcome is Outcome.CONFIRM and rec.date == SCHEDULED
    assert not rec.failures
    by = {r.finding: r for r in rec.reasons}
    assert [(e.kind, e.id) for e in by[Finding.ASSESSMENT_PASSED].evidence] == [
        (EvidenceKind.CHAT_ATTEMPT, attempt_id)]
    met = [r for r in rec.reasons if r.finding is Finding.STANDARD_MET]
    assert len(met) == 3 and all(e.kind is EvidenceKind.OBSERVATION_ENTRY
                                 for r in met for e in r.evidence)


def test_nothing_done_yet_extends_the_period(session: Session, world: ProbationWorld, policy,  # type: ignore[no-untyped-def]
                                             now: datetime) -> None:
    cases = services.cohort_cases(session, actor=world.trainer, cohort_id=world.cohort.id,
                                  policy=policy, now=now)
    rec = cases.cases[0].recommendation
    assert rec is not None and rec.outcome is Outcome.EXTEND
    assert rec.date == SCHEDULED + timedelta(days=30)
    assert [r.finding for r in rec.failures] == [Finding.ASSESSMENT_MISSING] + [
        Finding.OBSERVATION_MISSING] * 3


def test_a_critical_violation_in_a_chat_exam_is_a_reason_with_its_attempt(
        session: Session, world: ProbationWorld, policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    trainee = world.trainees[0]
    bad = make_finished_chat_attempt(session, trainee=trainee, now=now, replies=(chat_fx.PROMISE,))
    assert bad.fail_reason == "false_promise"
    good = make_finished_chat_attempt(session, trainee=trainee, now=now + timedelta(minutes=10))
    assert good.passed
    fill_observations(session, actor=world.trainer, trainee=trainee, now=now, scores=ALL_FOUR)
    rec = services.trainee_case(session, actor=world.trainer, trainee_id=trainee.id,
                                policy=policy, now=now).recommendation
    assert rec is not None and rec.outcome is Outcome.EXTEND
    (reason,) = rec.failures
    assert reason.finding is Finding.CRITICAL_VIOLATION
    assert [e.id for e in reason.evidence] == [bad.id]
    assert "承诺店铺做不到的事" in str(reason.message)


def test_a_required_item_below_the_minimum_is_not_confirmed(
        session: Session, world: ProbationWorld, policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    trainee = world.trainees[0]
    make_finished_chat_attempt(session, trainee=trainee, now=now)
    fill_observations(session, actor=world.trainer, trainee=trainee, now=now, scores=ALL_FOUR,
                      low={"greeting": 1})
    rec = services.trainee_case(session, actor=world.trainer, trainee_id=trainee.id,
                                policy=policy, now=now).recommendation
    assert rec is not None and rec.outcome is Outcome.DO_NOT_CONFIRM
    (reason,) = rec.failures
    assert reason.finding is Finding.STANDARD_MISSED
    assert [(e.form_key, e.item, e.score) for e in reason.evidence] == [("service", "greeting", 1)]


def test_maker_checker_a_trainer_proposes_a_supervisor_decides(
        session: Session, world: ProbationWorld, policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    _ready(session, world, now)
    proposal = _propose(session, world, policy, now)
    assert Recommendation.from_data(proposal.recommendation).outcome is Outcome.CONFIRM
    with pytest.raises(Forbidden, match="只有客服主管"):
        services.decide(session, actor=world.trainer, proposal_id=proposal.id, accept=True,
                        outcome=None, effective_date=None, reason="同意", now=now)
    assert _count(session) == (1, 0)
    decision = services.decide(session, actor=world.supervisor, proposal_id=proposal.id,
                               accept=True, outcome=None, effective_date=None, reason="同意",
                               now=now + timedelta(hours=1))
    assert (decision.outcome, decision.effective_date, decision.accepted) == (
        Outcome.CONFIRM, SCHEDULED, True)
    mine = services.my_outcome(session, trainee=world.trainees[0])
    assert mine is not None and mine.outcome is Outcome.CONFIRM and mine.effective_date == SCHEDULED


def test_the_maker_cannot_decide_their_own_proposal(session: Session, world: ProbationWorld,
                                                    policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    _ready(session, world, now)
    proposal = _propose(session, world, policy, now, actor=world.supervisor)
    with pytest.raises(Forbidden, match="提议人不能决定自己的提议"):
        services.decide(session, actor=world.supervisor, proposal_id=proposal.id, accept=True,
                        outcome=None, effective_date=None, reason="同意", now=now)
    with pytest.raises(Forbidden):
        services.decide(session, actor=world.outsider, proposal_id=proposal.id, accept=True,
                        outcome=None, effective_date=None, reason="同意", now=now)
    assert _count(session) == (1, 0)
    assert not services.may_decide(world.supervisor, proposal)
    assert services.may_decide(world.second_supervisor, proposal)
    decision = services.decide(session, actor=world.second_supervisor, proposal_id=proposal.id,
                               accept=False, outcome="extend", effective_date="2027-01-20",
                               reason="观察期内还需复核售后处理", now=now)
    assert (decision.outcome, decision.effective_date, decision.accepted) == (
        Outcome.EXTEND, date(2027, 1, 20), False)


def test_a_decision_is_final_and_one_proposal_waits_at_a_time(
        session: Session, world: ProbationWorld, policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    proposal = _propose(session, world, policy, now, outcome="extend", when="2027-01-22")
    with pytest.raises(Conflict, match="等待决定"):
        _propose(session, world, policy, now, actor=world.supervisor)
    services.decide(session, actor=world.supervisor, proposal_id=proposal.id, accept=True,
                    outcome=None, effective_date=None, reason="同意延长", now=now)
    with pytest.raises(Conflict, match="决定不能修改"):
        services.decide(session, actor=world.second_supervisor, proposal_id=proposal.id,
                        accept=False, outcome="confirm", effective_date="2026-12-23",
                        reason="改为转正", now=now)
    assert _count(session) == (1, 1)


def test_after_an_extension_a_shortfall_is_not_confirmed(
        session: Session, world: ProbationWorld, policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    proposal = _propose(session, world, policy, now, outcome="extend", when="2027-01-22")
    services.decide(session, actor=world.supervisor, proposal_id=proposal.id, accept=True,
                    outcome=None, effective_date=None, reason="同意延长", now=now)
    rec = services.trainee_case(session, actor=world.trainer, trainee_id=world.trainees[0].id,
                                policy=policy, now=now).recommendation
    assert rec is not None and rec.outcome is Outcome.DO_NOT_CONFIRM
    assert rec.failures[-1].finding is Finding.MISSED_AFTER_EXTENSION
    # A follow-up proposal after an extension needs no correction reference.
    _propose(session, world, policy, now, outcome="do_not_confirm", when="2027-01-22",
             reason="延长后仍未参加考核")
    assert _count(session) == (2, 1)


def test_a_correction_is_a_new_entry_that_names_the_decision_it_corrects(
        session: Session, world: ProbationWorld, policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    _ready(session, world, now)
    first = _propose(session, world, policy, now, outcome="do_not_confirm", when="2026-11-30",
                     reason="误选")
    services.decide(session, actor=world.supervisor, proposal_id=first.id, accept=True,
                    outcome=None, effective_date=None, reason="同意", now=now)
    with pytest.raises(ProposalInvalid, match="更正"):
        _propose(session, world, policy, now)
    correction = _propose(session, world, policy, now, corrects_id=first.id,
                          reason="上次选错了结果，实际全部达标")
    services.decide(session, actor=world.second_supervisor, proposal_id=correction.id,
                    accept=True, outcome=None, effective_date=None, reason="核实无误",
                    now=now + timedelta(minutes=1))
    mine = services.my_outcome(session, trainee=world.trainees[0])
    assert mine is not None and mine.outcome is Outcome.CONFIRM
    trail = services.trail_of(session, trainee_ids=[world.trainees[0].id])[world.trainees[0].id]
    assert [e.proposal.id for e in trail] == [correction.id, first.id]
    assert trail[0].proposal.corrects_id == first.id
    assert trail[1].decision is not None and trail[1].decision.outcome is Outcome.DO_NOT_CONFIRM


@pytest.mark.parametrize(("outcome", "when", "reason", "fragment"), [
    ("promote", "2026-12-23", "理由", "请选择结果"),
    ("confirm", "12/23/2026", "理由", "请填写日期"),
    ("confirm", "2026-02-30", "理由", "请填写日期"),
    ("confirm", "2029-12-23", "理由", "一年之内"),
    ("extend", "2026-11-23", "理由", "晚于今天"),
    ("confirm", "2026-12-23", "   ", "请写明理由"),
    ("confirm", "2026-12-23", "长" * 1001, "最多 1000 个字"),
])
def test_a_bad_proposal_is_refused_and_saves_nothing(
        session: Session, world: ProbationWorld, policy, now: datetime, outcome: str,  # type: ignore[no-untyped-def]
        when: str, reason: str, fragment: str) -> None:
    with pytest.raises(ProposalInvalid, match=fragment):
        _propose(session, world, policy, now, outcome=outcome, when=when, reason=reason)
    assert _count(session) == (0, 0)


def test_staff_of_another_cohort_and_trainees_are_refused(
        session: Session, world: ProbationWorld, policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden):
        _propose(session, world, policy, now, actor=world.outsider)
    with pytest.raises(Forbidden):
        _propose(session, world, policy, now, actor=world.trainees[1])
    assert _count(session) == (0, 0)


def test_the_pinned_recommendation_stays_as_it_was(session: Session, world: ProbationWorld,
                                                   policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    proposal = _propose(session, world, policy, now, outcome="extend", when="2027-01-22")
    _ready(session, world, now)  # the evidence improves after the proposal
    entry = services.trail_of(session, trainee_ids=[world.trainees[0].id])[
        world.trainees[0].id][0]
    assert entry.proposal.id == proposal.id
    assert entry.recommendation.outcome is Outcome.EXTEND
    now_rec = services.trainee_case(session, actor=world.trainer,
                                    trainee_id=world.trainees[0].id, policy=policy,
                                    now=now).recommendation
    assert now_rec is not None and now_rec.outcome is Outcome.CONFIRM


def test_a_cohorts_cases_cost_the_same_statements_whatever_its_size(
        session: Session, world: ProbationWorld, policy, now: datetime) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_user, statements_run

    _ready(session, world, now)

    def cases() -> object:
        session.expire_all()
        return services.cohort_cases(session, actor=world.trainer, cohort_id=world.cohort.id,
                                     policy=policy, now=now)

    few = statements_run(session, cases)
    for i in range(3):
        more = make_user(session, cohort=world.cohort, employee_no=f"Z9{i}")
        make_finished_chat_attempt(session, trainee=more, now=now)
        fill_observations(session, actor=world.trainer, trainee=more, now=now, scores=ALL_FOUR)
    assert statements_run(session, cases) == few
    found = cases()
    assert len(found.cases) == 5  # type: ignore[attr-defined]
    # each case as the trainee's own page computes it
    for case in found.cases:  # type: ignore[attr-defined]
        alone = services.trainee_case(session, actor=world.trainer, trainee_id=case.trainee.id,
                                      policy=policy, now=now)
        assert alone.recommendation == case.recommendation
