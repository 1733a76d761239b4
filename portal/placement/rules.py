"""Pure placement rules: typed cohorts and placements, their checks, and the staffing formula.

A cohort (`Cohort`) is the roles' capacities, the preference bonus and each trainee's fit per
role and preference; `check_cohort` says, in Chinese, why a cohort cannot be placed at all.
The optimal assignment itself is `portal/placement/solver.py` (it needs SciPy); its result is
a `Placement` with one `TraineeExplanation` per trainee. `staffing_plan` is the Double-11
formula for how many pre-sales agents a day of sales needs, kept step by step for showing.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from itertools import combinations
from typing import Any

from portal.messages import N_, Message, msg
from portal.placement.errors import InfeasiblePlan, InvalidCohort, InvalidStaffing, UnknownRole


class PlacementRole(StrEnum):
    """The roles a new hire can be placed in. Supervisor is not one: supervisors come from
    an internal election, never from placement."""

    PRE_SALES = "pre-sales"
    AFTER_SALES = "after-sales"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[PlacementRole, str] = {
    PlacementRole.PRE_SALES: N_("售前"),
    PlacementRole.AFTER_SALES: N_("售后"),
}
# What honouring a preference would cost when no assignment can honour it.
INFEASIBLE = N_("不可行")

# Fits and the bonus are compared to this many decimal places, exactly (as integers), so
# that ties are real ties and not accidents of floating point.
FIT_PLACES = 4
FIT_UNIT = 10 ** FIT_PLACES
MAX_FIT = 10_000
MAX_TRAINEES = 5_000


@dataclass(frozen=True)
class TraineeFit:
    """One trainee as placement sees them: their fit per role (a role left out is one they
    cannot be placed in) and the role they prefer, if they said."""

    trainee_id: str
    fit: Mapping[PlacementRole, float]
    preference: PlacementRole | None = None


@dataclass(frozen=True)
class Cohort:
    """What to place: each role's capacity (its maximum; every trainee is placed), the bonus
    added to the fit of a trainee's preferred role, and the trainees in a fixed order (the
    order decides ties, see solver.py)."""

    capacities: Mapping[PlacementRole, int]
    trainees: tuple[TraineeFit, ...]
    preference_bonus: float = 0.0

    @property
    def roles(self) -> tuple[PlacementRole, ...]:
        """The plan's roles in the order its capacities were given."""
        return tuple(self.capacities)


@dataclass(frozen=True)
class TraineeExplanation:
    """Why a trainee got their role: the fits, the preference, the role, and what honouring
    the preference would have cost the cohort's total fit (`preference_cost`: the optimum
    minus the best total with this trainee in their preferred role; 0 when it was met,
    None when no assignment can honour it, shown as 不可行)."""

    trainee_id: str
    fit: Mapping[PlacementRole, float]
    preference: PlacementRole | None
    role: PlacementRole
    preference_met: bool
    total_if_preferred: float | None
    preference_cost: float | None


@dataclass(frozen=True)
class Placement:
    """The optimal assignment of a cohort, trainees in the cohort's order."""

    assignment: Mapping[str, PlacementRole]
    total_fit: float  # the preference bonuses included
    explanations: tuple[TraineeExplanation, ...]

    @property
    def unmet_preferences(self) -> tuple[str, ...]:
        return tuple(e.trainee_id for e in self.explanations
                     if e.preference is not None and not e.preference_met)

    def as_output(self) -> dict[str, Any]:
        """The JSON that `flask placement solve` prints."""
        return {"assignment": {t: r.value for t, r in self.assignment.items()},
                "total_fit": self.total_fit,
                "unmet_preferences": list(self.unmet_preferences)}


def fit_units(value: float) -> int:
    """A fit or bonus as an exact integer count of 1/FIT_UNIT (half to even)."""
    return int(Decimal(repr(value)).quantize(Decimal(1).scaleb(-FIT_PLACES),
                                             rounding=ROUND_HALF_EVEN).scaleb(FIT_PLACES))


def from_units(units: int) -> float:
    return float(Decimal(units).scaleb(-FIT_PLACES))


def _number_problem(value: Any) -> bool:
    return (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not 0 <= value <= MAX_FIT)


def role_list(roles: tuple[PlacementRole, ...] | list[PlacementRole]) -> str:
    return "、".join(r.label for r in roles)


def check_cohort(cohort: Cohort) -> None:
    """Raise InvalidCohort, UnknownRole or InfeasiblePlan (each with a Chinese message) unless
    every trainee can be placed within the capacities."""
    for role, capacity in cohort.capacities.items():
        if not isinstance(role, PlacementRole):
            raise UnknownRole(msg(N_("岗位“%(role)s”不是可安排的岗位（可用：%(roles)s）"),
                                  role=str(role), roles=role_list(list(PlacementRole))))
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise InvalidCohort(msg(N_("%(role)s的名额应为不小于 0 的整数"), role=role.label))
    if _number_problem(cohort.preference_bonus):
        raise InvalidCohort(msg(N_("偏好加分应为 0 到 %(max)d 之间的数字"), max=MAX_FIT))
    if not cohort.trainees:
        raise InvalidCohort(msg(N_("没有要安排的新客服")))
    if len(cohort.trainees) > MAX_TRAINEES:
        raise InvalidCohort(msg(N_("一次最多安排 %(max)d 名新客服"), max=MAX_TRAINEES))
    seen: set[str] = set()
    for trainee in cohort.trainees:
        _check_trainee(cohort, trainee, seen)
    _check_capacity(cohort)


def _check_trainee(cohort: Cohort, trainee: TraineeFit, seen: set[str]) -> None:
    who = trainee.trainee_id
    if not isinstance(who, str) or not who.strip():
        raise InvalidCohort(msg(N_("每名新客服都要有编号（id）")))
    if who in seen:
        raise InvalidCohort(msg(N_("新客服编号 %(trainee)s 出现了不止一次"), trainee=who))
    seen.add(who)
    for role, value in trainee.fit.items():
        if role not in cohort.capacities:
            raise UnknownRole(msg(N_("新客服 %(trainee)s 有“%(role)s”的适配分，但人员计划里没有这个岗位"),
                                  trainee=who, role=_label(role)))
        if _number_problem(value):
            raise InvalidCohort(msg(N_("新客服 %(trainee)s 在%(role)s的适配分应为 0 到 %(max)d 之间的数字"),
                                    trainee=who, role=_label(role), max=MAX_FIT))
    if trainee.preference is not None and trainee.preference not in cohort.capacities:
        raise UnknownRole(msg(N_("新客服 %(trainee)s 的意向岗位“%(role)s”不在人员计划里"),
                              trainee=who, role=_label(trainee.preference)))


def _label(role: Any) -> str:
    return role.label if isinstance(role, PlacementRole) else str(role)


def allowed_roles(cohort: Cohort, trainee: TraineeFit) -> tuple[PlacementRole, ...]:
    """The roles a trainee can be placed in: those with a fit and a capacity above 0."""
    return tuple(r for r in cohort.roles if r in trainee.fit and cohort.capacities[r] > 0)


def _check_capacity(cohort: Cohort) -> None:
    """Hall's condition for capacitated assignment: for every set of roles, the trainees who
    can only go to those roles fit in their capacities. It is also sufficient, so after this
    check an assignment exists."""
    total = sum(cohort.capacities.values())
    if len(cohort.trainees) > total:
        raise InfeasiblePlan(msg(N_("新客服共 %(count)d 人，但各岗位合计最多只能安排 %(capacity)d 人"),
                                 count=len(cohort.trainees), capacity=total))
    allowed = {t.trainee_id: set(allowed_roles(cohort, t)) for t in cohort.trainees}
    for who, roles in allowed.items():
        if not roles:
            raise InfeasiblePlan(msg(N_("新客服 %(trainee)s 在任何还有名额的岗位上都没有适配分，无法安排"),
                                     trainee=who))
    roles = cohort.roles
    for size in range(1, len(roles)):
        for subset in combinations(roles, size):
            bound = [who for who, can in allowed.items() if can <= set(subset)]
            capacity = sum(cohort.capacities[r] for r in subset)
            if len(bound) > capacity:
                raise InfeasiblePlan(msg(
                    N_("只能安排到%(roles)s的新客服有 %(count)d 人（%(trainees)s），但%(roles)s合计最多 %(capacity)d 人"),
                    roles=role_list(subset), count=len(bound), trainees="、".join(bound[:10])
                    + ("…" if len(bound) > 10 else ""), capacity=capacity))


# --- the Double-11 staffing formula ----------------------------------------------------------


class Operation(StrEnum):
    MULTIPLY = "×"
    DIVIDE = "÷"


@dataclass(frozen=True)
class Quantity:
    """A named number of the formula; `percent` ones are rates shown as percentages."""

    name: str  # a msgid
    value: Fraction
    percent: bool = False

    def display(self) -> str:
        """The value for people: at most two decimals, a percentage for rates."""
        shown = self.value * 100 if self.percent else self.value
        number = Decimal(shown.numerator) / Decimal(shown.denominator)
        text = f"{number.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return f"{text}%" if self.percent else text


@dataclass(frozen=True)
class StaffingStep:
    """One line of the working: result = left operation right."""

    result: Quantity
    left: Quantity
    operation: Operation
    right: Quantity


@dataclass(frozen=True)
class StaffingPlan:
    steps: tuple[StaffingStep, ...]
    receptions: Fraction  # the pre-sales receptions the day needs
    agents: int  # pre-sales agents, rounded up

    @property
    def exact_agents(self) -> Fraction:
        return self.steps[-1].result.value


SALES = N_("店铺销售额")
CS_SHARE = N_("客服销售占比")
CS_SALES = N_("客服销售额")
AVERAGE_ORDER_VALUE = N_("客服客单价")
CS_BUYERS = N_("客服成交人数")
CONVERSION_RATE = N_("询单转化率")
RECEPTIONS = N_("售前客服总接待量")
PER_AGENT = N_("客服饱和接待量")
AGENTS = N_("售前客服人数")

Number = int | float | Decimal | Fraction


def _exact(name: str, value: Number | None) -> Fraction:
    if value is None or isinstance(value, bool):
        raise InvalidStaffing(msg(N_("请填写%(name)s"), name=name))
    try:
        if isinstance(value, float):
            value = Decimal(repr(value))
        return Fraction(value)
    except (ValueError, TypeError, OverflowError, InvalidOperation):
        raise InvalidStaffing(msg(N_("%(name)s应为数字"), name=name)) from None


def _positive(name: str, value: Number | None) -> Fraction:
    exact = _exact(name, value)
    if exact <= 0:
        raise InvalidStaffing(msg(N_("%(name)s必须大于 0（填写的是 %(value)s）"), name=name,
                                  value=Quantity(name, exact).display()))
    return exact


def _rate(name: str, value: Number | None) -> Fraction:
    exact = _exact(name, value)
    if not 0 < exact <= 1:
        raise InvalidStaffing(msg(N_("%(name)s必须大于 0%% 且不超过 100%%（填写的是 %(value)s）"),
                                  name=name, value=Quantity(name, exact, True).display()))
    return exact


def staffing_plan(*, sales: Number, cs_share: Number, average_order_value: Number,
                  conversion_rate: Number, receptions_per_agent: Number) -> StaffingPlan:
    """How many pre-sales agents a promotion day needs (the Double-11 formula):

    sales × CS share of sales = CS sales; ÷ CS average order value = CS buyers;
    ÷ inquiry conversion rate = pre-sales receptions; ÷ saturated receptions per agent =
    agents, rounded up. Rates are fractions (0.4 for 40%). Exact arithmetic throughout.
    Raises InvalidStaffing naming the number that is missing, not positive, or (for a rate)
    above 100%.
    """
    sales_q = Quantity(SALES, _positive(SALES, sales))
    share_q = Quantity(CS_SHARE, _rate(CS_SHARE, cs_share), percent=True)
    aov_q = Quantity(AVERAGE_ORDER_VALUE, _positive(AVERAGE_ORDER_VALUE, average_order_value))
    conversion_q = Quantity(CONVERSION_RATE, _rate(CONVERSION_RATE, conversion_rate),
                            percent=True)
    per_agent_q = Quantity(PER_AGENT, _positive(PER_AGENT, receptions_per_agent))
    cs_sales = Quantity(CS_SALES, sales_q.value * share_q.value)
    buyers = Quantity(CS_BUYERS, cs_sales.value / aov_q.value)
    receptions = Quantity(RECEPTIONS, buyers.value / conversion_q.value)
    agents = Quantity(AGENTS, receptions.value / per_agent_q.value)
    steps = (StaffingStep(cs_sales, sales_q, Operation.MULTIPLY, share_q),
             StaffingStep(buyers, cs_sales, Operation.DIVIDE, aov_q),
             StaffingStep(receptions, buyers, Operation.DIVIDE, conversion_q),
             StaffingStep(agents, receptions, Operation.DIVIDE, per_agent_q))
    return StaffingPlan(steps=steps, receptions=receptions.value,
                        agents=math.ceil(agents.value))


def step_line(step: StaffingStep) -> Message:
    """One step as a sentence with its numbers, e.g. 客服销售额 = 店铺销售额 2000000 × … ."""
    return msg(N_("%(result)s = %(left)s %(left_value)s %(operation)s %(right)s %(right_value)s"
                  " = %(value)s"),
               result=step.result.name, left=step.left.name, left_value=step.left.display(),
               operation=step.operation.value, right=step.right.name,
               right_value=step.right.display(), value=step.result.display())


def agents_line(plan: StaffingPlan) -> Message:
    """The answer: the agents, rounded up."""
    return msg(N_("%(name)s（向上取整）：%(agents)d 人"), name=AGENTS, agents=plan.agents)
