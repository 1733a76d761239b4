"""The Double-11 staffing formula: each step with its numbers, agents rounded up, bad input."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from portal.placement.errors import InvalidStaffing
from portal.placement.rules import agents_line, staffing_plan, step_line


def test_a_worked_example_step_by_step() -> None:
    # A shop expecting 2 million on the day, 40% of it sold through customer service at an
    # average order of 200; half of the buyers who ask end up ordering, and one agent can
    # handle 300 conversations at full stretch.
    plan = staffing_plan(sales=2_000_000, cs_share=Decimal("0.4"), average_order_value=200,
                         conversion_rate=Decimal("0.5"), receptions_per_agent=300)
    assert [str(step_line(step)) for step in plan.steps] == [
        "客服销售额 = 店铺销售额 2000000 × 客服销售占比 40% = 800000",
        "客服成交人数 = 客服销售额 800000 ÷ 客服客单价 200 = 4000",
        "售前客服总接待量 = 客服成交人数 4000 ÷ 询单转化率 50% = 8000",
        "售前客服人数 = 售前客服总接待量 8000 ÷ 客服饱和接待量 300 = 26.67"]
    assert plan.receptions == 8000
    assert plan.exact_agents == Fraction(80, 3)
    assert plan.agents == 27  # 26.67 agents cannot serve: round up
    assert str(agents_line(plan)) == "售前客服人数（向上取整）：27 人"


def test_an_exact_number_of_agents_is_not_rounded_up() -> None:
    # Exact arithmetic: 0.3 and 0.1 as floats would make this 40.000000001 and 41 agents.
    plan = staffing_plan(sales=1_000_000, cs_share=0.3, average_order_value=150,
                         conversion_rate=0.1, receptions_per_agent=500)
    assert plan.receptions == 20_000
    assert plan.agents == 40


@pytest.mark.parametrize(("changes", "message"), [
    ({"average_order_value": 0}, "客服客单价必须大于 0（填写的是 0）"),
    ({"receptions_per_agent": -20}, "客服饱和接待量必须大于 0（填写的是 -20）"),
    ({"sales": 0}, "店铺销售额必须大于 0（填写的是 0）"),
    ({"conversion_rate": 0}, "询单转化率必须大于 0% 且不超过 100%（填写的是 0%）"),
    ({"cs_share": Decimal("1.2")}, "客服销售占比必须大于 0% 且不超过 100%（填写的是 120%）"),
    ({"cs_share": float("nan")}, "客服销售占比应为数字"),
    ({"sales": None}, "请填写店铺销售额"),
])
def test_bad_numbers_are_named(changes: dict[str, object], message: str) -> None:
    numbers: dict[str, object] = {"sales": 100_000, "cs_share": 0.5, "average_order_value": 100,
                                  "conversion_rate": 0.4, "receptions_per_agent": 200}
    with pytest.raises(InvalidStaffing) as caught:
        staffing_plan(**{**numbers, **changes})  # type: ignore[arg-type]
    assert str(caught.value) == message
