"""What the placement pages read from their forms, and the choices they offer."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_babel import lazy_gettext as _l

from portal.placement import services
from portal.placement.rules import PlacementRole


@dataclass(frozen=True)
class RoleChoice:
    role: PlacementRole
    description: str  # what the role does, in the words of the course module on roles


# From the course module 售前与售后岗位职责 (courses/new-hire/role-responsibilities.md).
ROLE_CHOICES = (
    RoleChoice(PlacementRole.PRE_SALES, _l(
        "顾客付款前的导购：解答商品问题、推荐合适的商品、提醒拍下未付款的顾客，把咨询变成订单。"
        "主要看询单转化率，适合热情、反应快、善于推荐的人。")),
    RoleChoice(PlacementRole.AFTER_SALES, _l(
        "发货后到交易结束：跟进物流、办理退换货、处理纠纷和中差评、回访顾客，让订单顺利收尾。"
        "主要看好评率和退货率，适合耐心、细致、情绪稳定的人。")),
)

FORMULA_LABELS = dict(services.FORMULA_FIELDS)  # form field -> the number's name (a msgid)


def text(name: str, limit: int) -> str:
    return request.form.get(name, "")[:limit]


def plan_entered() -> dict[str, str]:
    names = ("method", *(r.value for r in PlacementRole), *FORMULA_LABELS)
    return {name: text(name, 40) for name in names}
