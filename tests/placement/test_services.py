"""Placement services with a real database and an explicit clock: evidence read through the
assessment domains, preferences, plans, the proposal, changes with reasons, the confirmation."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import Role
from portal.chat.scenario import Area as ChatArea
from portal.chat.services import areas as chat_areas
from portal.errors import Forbidden
from portal.exams.areas import Area, counted_area_scores
from portal.observations import services as observations
from portal.placement import services, solver
from portal.placement.errors import (
    InfeasiblePlan,
    InvalidStaffing,
    PlacementConfirmed,
    PlacementInvalid,
)
from portal.placement.models import (
    PlacementChange,
    PlacementPlan,
    PlacementPreference,
    PlacementProposal,
)
from portal.placement.rules import PlacementRole
from tests.factories import (
    ObservationWorld,
    build_observation_world,
    import_placement_exam,
    make_chat_trainee,
    make_finished_chat_attempt,
    make_user,
    placement_policy,
    set_placement_plan,
    take_and_submit,
)
from tests.placement import placement_fixtures as fx

PRE, AFTER = PlacementRole.PRE_SALES, PlacementRole.AFTER_SALES


def _count(session: Session, model: type) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _observe(session: Session, world: ObservationWorld, index: int, item: str, score: int,
             now: datetime) -> None:
    observations.record_entry(session, actor=world.trainer, trainee_id=world.trainees[index].id,
                              form_key="service", item=item, score=score, note="", now=now)


def _world(session: Session, now: datetime, size: int = 3) -> ObservationWorld:
    """Trainee 1 shines at pre-sales, trainee 2 at after-sales, trainee 3 has no evidence."""
    world = build_observation_world(session, now=now, size=size)
    _observe(session, world, 0, "product_intro", 5, now)
    _observe(session, world, 0, "after_sales", 2, now)
    _observe(session, world, 1, "product_intro", 2, now)
    _observe(session, world, 1, "after_sales", 5, now)
    return world


# --- evidence through the assessment domains' services --------------------------------------


@pytest.mark.parametrize(("counts", "first", "second", "expected"), [
    ("highest", fx.PRE_HALF, fx.ALL_RIGHT, {Area.PRE_SALES: 100, Area.AFTER_SALES: 100,
                                            Area.GENERAL: 100}),
    ("last", fx.ALL_RIGHT, fx.PRE_HALF, {Area.PRE_SALES: 50, Area.AFTER_SALES: 100,
                                         Area.GENERAL: 0}),
])
def test_exam_area_scores_come_from_the_attempt_that_counts(
        session: Session, now: datetime, counts: str, first: dict, second: dict,
        expected: dict) -> None:
    import_placement_exam(session, now=now, counts=counts)
    trainee = make_user(session)
    other = make_user(session)
    take_and_submit(session, trainee=trainee, now=now, exam_key="placement-exam", answers=first)
    take_and_submit(session, trainee=trainee, now=now + timedelta(hours=1),
                    exam_key="placement-exam", answers=second)
    found = counted_area_scores(session, trainee_ids=[trainee.id, other.id])
    assert found[other.id] == []
    [scores] = found[trainee.id]
    assert scores.attempt_number == 2 and scores.scores == expected


def test_chat_area_scores_come_from_the_best_finished_attempt(session: Session,
                                                              now: datetime) -> None:
    trainee = make_chat_trainee(session, now=now)
    make_finished_chat_attempt(session, trainee=trainee, now=now, drill_key="pair")
    [drill] = chat_areas.counted_area_scores(session, trainee_ids=[trainee.id])[trainee.id]
    assert drill.title == "双人接待练习" and drill.attempt_number == 1
    assert set(drill.areas) <= {ChatArea.PRE_SALES, ChatArea.AFTER_SALES}
    assert all(0 <= v <= 100 for v in [*drill.areas.values(), *drill.items.values()])


# --- preferences ------------------------------------------------------------------------------


def test_a_preference_keeps_its_history_and_the_same_again_adds_nothing(session: Session,
                                                                        now: datetime) -> None:
    world = _world(session, now)
    me = world.trainees[0]
    services.set_preference(session, trainee=me, role="after-sales", now=now)
    services.set_preference(session, trainee=me, role="pre-sales", now=now + timedelta(hours=1))
    mine = services.set_preference(session, trainee=me, role="pre-sales",
                                   now=now + timedelta(hours=2))
    assert mine.preference is PRE and mine.open and mine.role is None
    assert [(c.role, c.set_at) for c in mine.history] == [(PRE, now + timedelta(hours=1)),
                                                          (AFTER, now)]
    assert _count(session, PlacementPreference) == 2


@pytest.mark.parametrize("role", ["", "supervisor", "客服主管", None])
def test_a_preference_must_be_a_placement_role(session: Session, now: datetime,
                                               role: str | None) -> None:
    world = _world(session, now)
    with pytest.raises(PlacementInvalid, match="售前或售后"):
        services.set_preference(session, trainee=world.trainees[0], role=role, now=now)
    assert _count(session, PlacementPreference) == 0


def test_staff_and_trainees_without_a_cohort_state_no_preference(session: Session,
                                                                 now: datetime) -> None:
    world = _world(session, now)
    with pytest.raises(Forbidden):
        services.set_preference(session, trainee=world.supervisor, role="pre-sales", now=now)
    with pytest.raises(PlacementInvalid, match="还没有被分配到培训批次"):
        services.set_preference(session, trainee=make_user(session), role="pre-sales", now=now)


# --- the plan ---------------------------------------------------------------------------------


def test_a_plan_from_the_formula_keeps_its_steps(session: Session, now: datetime) -> None:
    world = _world(session, now)
    plan = services.save_plan(
        session, actor=world.supervisor, cohort_id=world.cohort.id, method="formula",
        capacities={"after-sales": "2"},
        formula={"sales": "2000000", "cs_share": "40%", "average_order_value": "200",
                 "conversion_rate": "0.5", "receptions_per_agent": "300"}, now=now)
    assert plan.capacities == {PRE: 27, AFTER: 2} and plan.saved_by == "李主管"
    assert plan.staffing is not None and len(plan.staffing.steps) == 4
    assert plan.formula["cs_share"] == "40%"


@pytest.mark.parametrize(("method", "capacities", "formula", "error", "fragment"), [
    ("direct", {"pre-sales": "-1", "after-sales": "2"}, None, PlacementInvalid, "售前名额应为 0 到"),
    ("direct", {"pre-sales": "2", "after-sales": "两"}, None, PlacementInvalid, "售后名额"),
    ("formula", {"after-sales": "1"}, {"sales": "0", "cs_share": "40%", "average_order_value": "200",
                                       "conversion_rate": "50%", "receptions_per_agent": "300"},
     InvalidStaffing, "店铺销售额必须大于 0"),
    ("formula", {"after-sales": "1"}, {"sales": "100", "cs_share": "140%",
                                       "average_order_value": "2", "conversion_rate": "50%",
                                       "receptions_per_agent": "3"},
     InvalidStaffing, "客服销售占比必须大于 0% 且不超过 100%"),
    ("formula", {"after-sales": "1"}, {}, InvalidStaffing, "请填写店铺销售额"),
    ("guess", {}, None, PlacementInvalid, "直接填写或按公式计算"),
])
def test_a_bad_plan_is_refused_naming_the_number(session: Session, now: datetime, method: str,
                                                 capacities: dict, formula: dict | None,
                                                 error: type, fragment: str) -> None:
    world = _world(session, now)
    with pytest.raises(error) as raised:
        services.save_plan(session, actor=world.supervisor, cohort_id=world.cohort.id,
                           method=method, capacities=capacities, formula=formula, now=now)
    assert fragment in str(raised.value.message)
    assert _count(session, PlacementPlan) == 0


def test_trainers_see_but_only_the_cohorts_supervisors_decide(session: Session,
                                                              now: datetime) -> None:
    world = _world(session, now)
    view = services.cohort_placement(session, actor=world.trainer, cohort_id=world.cohort.id)
    assert not view.may_decide and view.plan is None and view.trainees == 3
    assert services.cohort_placement(session, actor=world.supervisor,
                                     cohort_id=world.cohort.id).may_decide
    for actor in (world.trainer, world.outsider):
        with pytest.raises(Forbidden):
            set_placement_plan(session, supervisor=actor, cohort=world.cohort, pre_sales=2,
                               after_sales=2, now=now)
    other = make_user(session, role=Role.SUPERVISOR)
    with pytest.raises(Forbidden):
        services.propose(session, actor=other, cohort_id=world.cohort.id,
                         policy=placement_policy(), now=now)


# --- the proposal -----------------------------------------------------------------------------


def test_the_proposal_is_the_solvers_answer_on_the_same_cohort(session: Session,
                                                               now: datetime) -> None:
    world = _world(session, now, size=5)
    services.set_preference(session, trainee=world.trainees[0], role="after-sales", now=now)
    services.set_preference(session, trainee=world.trainees[3], role="pre-sales", now=now)
    set_placement_plan(session, supervisor=world.supervisor, cohort=world.cohort, pre_sales=3,
                       after_sales=2, now=now)
    policy = placement_policy()
    given = services.cohort_input(session, cohort_id=world.cohort.id,
                                  capacities={PRE: 3, AFTER: 2}, policy=policy)
    expected = solver.solve(given.cohort)
    proposal = services.propose(session, actor=world.supervisor, cohort_id=world.cohort.id,
                                policy=policy, now=now)
    view = services.proposal_view(session, proposal=proposal)
    assert {r.trainee.employee_no: r.role for r in view.rows} == dict(expected.assignment)
    assert view.total_fit == expected.total_fit
    assert [r.preference_cost for r in view.rows] == [
        e.preference_cost for e in expected.explanations]
    first = view.rows[0]  # product_intro 5 (100), after_sales 2 (25); no exam: reweighed
    fits = {f.role: f for f in first.fits}
    assert fits[PRE].fit == 100 and fits[AFTER].fit == 25
    assert [p.label for p in fits[PRE].missing] == ["售前", "通用"]
    assert [p.label for p in fits[PRE].parts] == ["对产品介绍的得体性"]
    assert view.rows[2].fits[0].fit is None  # no evidence at all: no fit, not 0
    assert first.preference is AFTER and first.preference_met is False


def test_capacities_that_cannot_hold_the_cohort_are_refused_with_the_solvers_reason(
        session: Session, now: datetime) -> None:
    world = _world(session, now)
    with pytest.raises(PlacementInvalid, match="请先填写人员计划"):
        services.propose(session, actor=world.supervisor, cohort_id=world.cohort.id,
                         policy=placement_policy(), now=now)
    set_placement_plan(session, supervisor=world.supervisor, cohort=world.cohort, pre_sales=1,
                       after_sales=1, now=now)
    with pytest.raises(InfeasiblePlan, match="新客服共 3 人，但各岗位合计最多只能安排 2 人"):
        services.propose(session, actor=world.supervisor, cohort_id=world.cohort.id,
                         policy=placement_policy(), now=now)
    assert _count(session, PlacementProposal) == 0


def test_with_exclude_a_trainee_without_evidence_cannot_be_placed(session: Session,
                                                                  now: datetime) -> None:
    world = _world(session, now)
    set_placement_plan(session, supervisor=world.supervisor, cohort=world.cohort, pre_sales=3,
                       after_sales=3, now=now)
    with pytest.raises(InfeasiblePlan, match="没有适配分"):
        services.propose(session, actor=world.supervisor, cohort_id=world.cohort.id,
                         policy=placement_policy(missing="exclude"), now=now)


def _proposed(session: Session, world: ObservationWorld, now: datetime) -> PlacementProposal:
    set_placement_plan(session, supervisor=world.supervisor, cohort=world.cohort, pre_sales=2,
                       after_sales=1, now=now)
    return services.propose(session, actor=world.supervisor, cohort_id=world.cohort.id,
                            policy=placement_policy(), now=now)


def test_a_change_needs_a_reason_and_may_overrun_but_confirming_waits(session: Session,
                                                                      now: datetime) -> None:
    world = _world(session, now)
    proposal = _proposed(session, world, now)
    view = services.proposal_view(session, proposal=proposal)
    assert [r.role for r in view.rows] == [PRE, AFTER, PRE]
    first, second = view.rows[0], view.rows[1]
    for reason, comment, fragment in (("", "", "请选择调整原因"),
                                      ("other", " ", "请在说明里写明原因"),
                                      ("business_need", "长" * 501, "最多 500 个字")):
        with pytest.raises(PlacementInvalid, match=fragment):
            services.change_placement(session, actor=world.supervisor, row_id=first.id,
                                      role="after-sales", reason=reason, comment=comment, now=now)
    with pytest.raises(PlacementInvalid, match="已经安排在售前"):
        services.change_placement(session, actor=world.supervisor, row_id=first.id,
                                  role="pre-sales", reason="business_need", comment="", now=now)
    with pytest.raises(Forbidden):
        services.change_placement(session, actor=world.trainer, row_id=first.id,
                                  role="after-sales", reason="business_need", comment="", now=now)
    assert _count(session, PlacementChange) == 0
    services.change_placement(session, actor=world.supervisor, row_id=first.id,
                              role="after-sales", reason="preference", comment="本人想做售后",
                              now=now + timedelta(minutes=1))
    view = services.proposal_view(session, proposal=proposal)
    assert view.overruns == {AFTER: 1}
    with pytest.raises(PlacementInvalid, match="售后安排了 2 人，超出名额 1 人"):
        services.confirm(session, actor=world.supervisor, proposal_id=proposal.id, now=now)
    services.change_placement(session, actor=world.supervisor, row_id=second.id,
                              role="pre-sales", reason="business_need", comment="",
                              now=now + timedelta(minutes=2))
    view = services.proposal_view(session, proposal=proposal)
    assert view.overruns == {} and [r.role for r in view.rows] == [AFTER, PRE, PRE]
    [change] = view.rows[0].changes
    assert (change.from_role, change.to_role, change.reason.label, change.comment,
            change.changed_by) == (PRE, AFTER, "尊重本人意向", "本人想做售后", "李主管")


def test_confirming_fixes_the_roles_once_and_the_trainee_sees_theirs(session: Session,
                                                                     now: datetime) -> None:
    world = _world(session, now)
    services.set_preference(session, trainee=world.trainees[0], role="pre-sales", now=now)
    proposal = _proposed(session, world, now)
    later = now + timedelta(hours=1)
    services.confirm(session, actor=world.supervisor, proposal_id=proposal.id, now=later)
    mine = services.my_placement(session, trainee=world.trainees[0])
    assert mine.role is PRE and mine.confirmed_at == later and not mine.open
    assert services.my_placement(session, trainee=world.trainees[1]).role is AFTER
    with pytest.raises(PlacementConfirmed, match="已经由李主管确认过了"):
        services.confirm(session, actor=world.supervisor, proposal_id=proposal.id, now=later)
    with pytest.raises(PlacementConfirmed, match="意向不能再修改"):
        services.set_preference(session, trainee=world.trainees[0], role="after-sales", now=later)
    with pytest.raises(PlacementConfirmed):
        services.propose(session, actor=world.supervisor, cohort_id=world.cohort.id,
                         policy=placement_policy(), now=later)
    row = services.proposal_view(session, proposal=proposal).rows[1]
    with pytest.raises(PlacementConfirmed):
        services.change_placement(session, actor=world.supervisor, row_id=row.id,
                                  role="pre-sales", reason="business_need", comment="", now=later)
    with pytest.raises(PlacementConfirmed):
        set_placement_plan(session, supervisor=world.supervisor, cohort=world.cohort,
                           pre_sales=3, after_sales=3, now=later)


def test_an_older_proposal_and_a_trainee_who_joined_later_are_not_confirmed(
        session: Session, now: datetime) -> None:
    world = _world(session, now)
    first = _proposed(session, world, now)
    second = services.propose(session, actor=world.supervisor, cohort_id=world.cohort.id,
                              policy=placement_policy(), now=now)
    assert second.number == 2
    with pytest.raises(PlacementInvalid, match="不是最新的安排方案"):
        services.confirm(session, actor=world.supervisor, proposal_id=first.id, now=now)
    newcomer = make_user(session, cohort=world.cohort, display_name="后来的人")
    with pytest.raises(PlacementInvalid, match="方案生成后加入批次的（后来的人）"):
        services.confirm(session, actor=world.supervisor, proposal_id=second.id, now=now)
    assert services.proposal_view(session, proposal=second).missing_trainees == [newcomer]


def test_reviewers_corrections_count_in_the_chat_scores(session: Session, now: datetime) -> None:
    from portal.chat.services.attempts import drill_of, get_drill
    from tests.factories import build_probation_world, make_chat_review

    world = build_probation_world(session, now=now, size=1)
    [trainee] = world.trainees
    attempt = make_finished_chat_attempt(session, trainee=trainee, now=now, drill_key="pair")
    [before] = chat_areas.counted_area_scores(session, trainee_ids=[trainee.id])[trainee.id]
    engine = {s.item: s for s in before.item_scores}
    areas = drill_of(get_drill(session, "pair").current_version).areas
    item, scored = next((i, s) for i, s in engine.items() if s.points > 0 and i in areas)
    assert before.reviewed == frozenset()
    # two reviewers take points off, the first one changing their mind once: their latest
    # scores count, averaged
    make_chat_review(session, reviewer=world.trainer, attempt_id=attempt.id, item=item.value,
                     points=0, reason="false_match", now=now)
    make_chat_review(session, reviewer=world.trainer, attempt_id=attempt.id, item=item.value,
                     points=scored.max_points / 2, reason="false_match", now=now + timedelta(1))
    make_chat_review(session, reviewer=world.supervisor, attempt_id=attempt.id, item=item.value,
                     points=0, reason="false_match", now=now + timedelta(2))
    [after] = chat_areas.counted_area_scores(session, trainee_ids=[trainee.id])[trainee.id]
    assert after.reviewed == frozenset({item})
    points = {s.item: s.points for s in after.item_scores}
    assert points[item] == round(scored.max_points / 4, 2)
    assert all(points[i] == s.points for i, s in engine.items() if i != item)
    assert after.items[item] == round(100 * points[item] / scored.max_points, 2)
    assert sum(after.areas.values()) < sum(before.areas.values())
