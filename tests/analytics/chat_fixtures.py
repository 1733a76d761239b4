"""Engine results of the chat console's test scenarios (tests/chat/data/web), written out so
that the analytics tests know every point, check and response time they are built from."""
from __future__ import annotations

from portal.chat.scenario import Item, Violation
from portal.chat.scoring import (
    CheckOutcome,
    CheckResult,
    ConversationScore,
    ItemScore,
    ResponseStats,
    ViolationResult,
)

NO_PROMISE_TIP = "店铺不合作韵达，答应了做不到。"


def yunda_result(*, greeting: float, timeliness: float, accuracy: float, greets: CheckOutcome,
                 promise: CheckOutcome = CheckOutcome.AVOIDED, times: tuple[float, ...] = (),
                 turns: int = 0, violations: tuple[Violation, ...] = (), tip: str = "旧的说明",
                 extra: tuple[CheckResult, ...] = ()) -> ConversationScore:
    """An engine result of 小林 (scenario `yunda`: greeting 1, timeliness 2, accuracy 3;
    checks `greets` +1 and `no-promise` −3)."""
    return ConversationScore(
        scenario="yunda",
        items=(ItemScore(Item.GREETING, greeting, 1.0), ItemScore(Item.TIMELINESS, timeliness, 2.0),
               ItemScore(Item.ACCURACY, accuracy, 3.0)),
        checks=(CheckResult("greets", Item.GREETING, greets,
                            1.0 if greets is CheckOutcome.AWARDED else 0.0, tip=tip),
                CheckResult("no-promise", Item.ACCURACY, promise,
                            -3.0 if promise is CheckOutcome.DEDUCTED else 0.0,
                            tip=NO_PROMISE_TIP), *extra),
        violations=tuple(ViolationResult(v, "理由") for v in violations),
        response=ResponseStats(times=times, turns=turns, answered=len(times)))


def plus_one_result(*, bargaining: float, timeliness: float) -> ConversationScore:
    """阿强 (scenario `plus-one`: bargaining 2, timeliness 1), answered once in 8 s."""
    return ConversationScore(
        scenario="plus-one",
        items=(ItemScore(Item.TIMELINESS, timeliness, 1.0),
               ItemScore(Item.BARGAINING, bargaining, 2.0)),
        checks=(), violations=(), response=ResponseStats(times=(8.0,), turns=1, answered=1))
