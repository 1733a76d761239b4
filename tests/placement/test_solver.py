"""The optimal placement against brute force: totals, the tie-break, preference costs and
infeasible plans."""
from __future__ import annotations

from decimal import Decimal
from itertools import product

import pytest
from hypothesis import given, settings

from portal.placement.errors import InfeasiblePlan, InvalidCohort, UnknownRole
from portal.placement.rules import Cohort, PlacementRole, TraineeFit
from portal.placement.solver import solve
from tests.placement.placement_fixtures import AFTER, PRE, cohorts


def _exact(value: float) -> Decimal:
    return Decimal(repr(value))


def _feasible(cohort: Cohort) -> list[tuple[PlacementRole, ...]]:
    """Every assignment that places everyone within the capacities (brute force)."""
    found = []
    for roles in product(cohort.roles, repeat=len(cohort.trainees)):
        if all(r in t.fit for r, t in zip(roles, cohort.trainees, strict=True)) and all(
                roles.count(r) <= cap for r, cap in cohort.capacities.items()):
            found.append(roles)
    return found


def _total(cohort: Cohort, roles: tuple[PlacementRole, ...]) -> Decimal:
    return sum((_exact(t.fit[r]) + (_exact(cohort.preference_bonus) if r == t.preference else 0)
                for r, t in zip(roles, cohort.trainees, strict=True)), Decimal(0))


def _rule_choice(cohort: Cohort, options: list[tuple[PlacementRole, ...]]
                 ) -> tuple[PlacementRole, ...]:
    """The documented tie-break by brute force: best total, then most preferences met, then
    in trainee order each one's preference first, then the roles in capacities order."""
    def rank(t: TraineeFit, r: PlacementRole) -> int:
        order = ([t.preference] if t.preference else []) + [x for x in cohort.roles
                                                            if x != t.preference]
        return order.index(r)

    def key(roles: tuple[PlacementRole, ...]) -> tuple[object, ...]:
        met = sum(r == t.preference for r, t in zip(roles, cohort.trainees, strict=True))
        return (-_total(cohort, roles), -met,
                tuple(rank(t, r) for r, t in zip(roles, cohort.trainees, strict=True)))

    return min(options, key=key)


@settings(max_examples=400, deadline=None)
@given(cohorts())
def test_the_solver_is_optimal_and_breaks_ties_by_the_rule(cohort: Cohort) -> None:
    options = _feasible(cohort)
    if not options:
        with pytest.raises(InfeasiblePlan):
            solve(cohort)
        return
    placement = solve(cohort)
    best = max(_total(cohort, roles) for roles in options)
    assert _exact(placement.total_fit) == best
    chosen = tuple(placement.assignment[t.trainee_id] for t in cohort.trainees)
    assert chosen == _rule_choice(cohort, options)
    for trainee, explanation in zip(cohort.trainees, placement.explanations, strict=True):
        assert explanation.role == placement.assignment[trainee.trainee_id]
        assert explanation.preference_met == (trainee.preference == explanation.role)
        honouring = [_total(cohort, roles) for roles in options
                     if trainee.preference is not None
                     and roles[cohort.trainees.index(trainee)] == trainee.preference]
        if not honouring:
            assert explanation.preference_cost is None and explanation.total_if_preferred is None
        else:
            assert _exact(explanation.total_if_preferred) == max(honouring)
            assert _exact(explanation.preference_cost) == best - max(honouring)


def test_the_example_cohort_with_its_explanations() -> None:
    cohort = Cohort(capacities={PRE: 3, AFTER: 2}, preference_bonus=5, trainees=(
        TraineeFit("T01", {PRE: 82.5, AFTER: 74}, PRE),
        TraineeFit("T02", {PRE: 70, AFTER: 90}, PRE),
        TraineeFit("T03", {PRE: 60, AFTER: 61}, AFTER),
        TraineeFit("T04", {PRE: 88, AFTER: 60}, AFTER)))
    placement = solve(cohort)
    assert placement.as_output() == {
        "assignment": {"T01": "pre-sales", "T02": "after-sales", "T03": "after-sales",
                       "T04": "pre-sales"},
        "total_fit": 87.5 + 90 + 66 + 88, "unmet_preferences": ["T02", "T04"]}
    t02, t04 = placement.explanations[1], placement.explanations[3]
    # T02 in pre-sales: 75 instead of 90, and pre-sales has room: the cohort loses 15.
    assert (t02.preference_cost, t02.total_if_preferred) == (15, 331.5 - 15)
    # T04 in after-sales: 65 instead of 88, and after-sales is full, so the cheapest
    # trainee to move out of it (T03, 66 -> 60) goes to pre-sales: 23 + 6.
    assert t04.preference_cost == 29


def test_a_preference_for_a_role_without_places_cannot_be_honoured() -> None:
    cohort = Cohort(capacities={PRE: 2, AFTER: 0}, trainees=(
        TraineeFit("A", {PRE: 50, AFTER: 90}, AFTER), TraineeFit("B", {PRE: 40}, AFTER)))
    placement = solve(cohort)
    assert placement.assignment == {"A": PRE, "B": PRE}
    assert [e.preference_cost for e in placement.explanations] == [None, None]
    assert placement.unmet_preferences == ("A", "B")


def test_equal_totals_go_to_the_earlier_trainees_preference() -> None:
    cohort = Cohort(capacities={PRE: 1, AFTER: 1}, trainees=(
        TraineeFit("A", {PRE: 70, AFTER: 70}, AFTER), TraineeFit("B", {PRE: 70, AFTER: 70}, AFTER)))
    assert solve(cohort).assignment == {"A": AFTER, "B": PRE}
    reordered = Cohort(capacities=cohort.capacities, trainees=cohort.trainees[::-1])
    assert solve(reordered).assignment == {"B": AFTER, "A": PRE}


def test_equal_totals_meet_the_most_preferences_before_the_trainee_order() -> None:
    # Both assignments total 2; only the second meets a preference (B's), so it wins although
    # A, first in the file and without a preference, would rank pre-sales first.
    cohort = Cohort(capacities={PRE: 1, AFTER: 1}, trainees=(
        TraineeFit("A", {PRE: 2, AFTER: 1}), TraineeFit("B", {PRE: 1, AFTER: 0}, PRE)))
    placement = solve(cohort)
    assert placement.assignment == {"A": AFTER, "B": PRE}
    assert placement.unmet_preferences == ()


def test_fits_are_compared_exactly() -> None:
    # In floating point 0.1 + 0.2 is more than 0.3 + 0, so a float solver would put A in
    # pre-sales; exactly, the two assignments tie and A's preference decides.
    cohort = Cohort(capacities={PRE: 1, AFTER: 1}, trainees=(
        TraineeFit("A", {PRE: 0.1, AFTER: 0.3}, AFTER), TraineeFit("B", {PRE: 0, AFTER: 0.2})))
    placement = solve(cohort)
    assert placement.assignment == {"A": AFTER, "B": PRE}
    assert placement.total_fit == 0.3


@pytest.mark.parametrize(("cohort", "error", "message"), [
    (Cohort(capacities={PRE: 1, AFTER: 1}, trainees=tuple(
        TraineeFit(f"T{i}", {PRE: 1, AFTER: 1}) for i in range(3))),
     InfeasiblePlan, "新客服共 3 人，但各岗位合计最多只能安排 2 人"),
    (Cohort(capacities={PRE: 0, AFTER: 5}, trainees=(TraineeFit("T1", {PRE: 80}),)),
     InfeasiblePlan, "新客服 T1 在任何还有名额的岗位上都没有适配分，无法安排"),
    (Cohort(capacities={PRE: 1, AFTER: 5}, trainees=(
        TraineeFit("T1", {PRE: 80}), TraineeFit("T2", {PRE: 70}), TraineeFit("T3", {AFTER: 1}))),
     InfeasiblePlan, "只能安排到售前的新客服有 2 人（T1、T2），但售前合计最多 1 人"),
    (Cohort(capacities={PRE: 2}, trainees=(TraineeFit("T1", {PRE: 80, AFTER: 70}),)),
     UnknownRole, "新客服 T1 有“售后”的适配分，但人员计划里没有这个岗位"),
    (Cohort(capacities={PRE: 2}, trainees=(TraineeFit("T1", {PRE: 80}, AFTER),)),
     UnknownRole, "新客服 T1 的意向岗位“售后”不在人员计划里"),
    (Cohort(capacities={PRE: -1, AFTER: 3}, trainees=(TraineeFit("T1", {AFTER: 80}),)),
     InvalidCohort, "售前的名额应为不小于 0 的整数"),
    (Cohort(capacities={PRE: 2}, trainees=(TraineeFit("T1", {PRE: float("nan")}),)),
     InvalidCohort, "新客服 T1 在售前的适配分应为 0 到 10000 之间的数字"),
    (Cohort(capacities={PRE: 2}, trainees=(TraineeFit("T1", {PRE: 1}), TraineeFit("T1", {PRE: 2}))),
     InvalidCohort, "新客服编号 T1 出现了不止一次"),
])
def test_plans_that_cannot_be_placed_say_why(cohort: Cohort, error: type[Exception],
                                             message: str) -> None:
    with pytest.raises(error) as caught:
        solve(cohort)
    assert str(caught.value) == message


def test_supervisor_is_not_a_placement_role() -> None:
    assert "supervisor" not in {r.value for r in PlacementRole}
    with pytest.raises(UnknownRole, match="不是可安排的岗位"):
        solve(Cohort(capacities={"supervisor": 1}, trainees=(TraineeFit("T1", {}),)))  # type: ignore[dict-item]


def test_a_large_cohort_is_placed_optimally() -> None:
    # 300 trainees whose fits make the optimum known: each is worth 10 more in one role.
    trainees = tuple(TraineeFit(f"T{i:03d}", {PRE: 60 + (i % 7) + (10 if i % 3 else 0),
                                              AFTER: 60 + (i % 7) + (0 if i % 3 else 10)})
                     for i in range(300))
    placement = solve(Cohort(capacities={PRE: 200, AFTER: 100}, trainees=trainees))
    assert all(placement.assignment[t.trainee_id] == (PRE if int(t.trainee_id[1:]) % 3 else AFTER)
               for t in trainees)
    assert placement.total_fit == sum(70 + (i % 7) for i in range(300))
