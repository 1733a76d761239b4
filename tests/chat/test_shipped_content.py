"""The shipped simulated-chat content (question_banks/chats/): it passes `flask chat check`,
every scenario's script can be walked to an ending, every tip's example earns its check,
and the drills fit the tracks they pass."""
from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from flask import Flask

from portal.chat.engine import on_reply, on_tick, open_conversation
from portal.chat.files import ChatContent, load_folder
from portal.chat.scenario import CustomerType, Ending, Scenario, Scope
from portal.chat.scoring import CheckOutcome, score_reply

ROOT = Path(__file__).resolve().parents[2]
CHATS = ROOT / "question_banks" / "chats"
T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def content() -> ChatContent:
    loaded = load_folder(CHATS)
    assert [str(p) for p in loaded.problems] == []
    return loaded


def _scenarios() -> list[Scenario]:
    return sorted(load_folder(CHATS).scenarios, key=lambda s: s.key)


def _next(scenario: Scenario, key: str) -> set[str]:
    state = scenario.states[key]
    found = {r.goto for r in state.routes}
    if state.fallback is not None:
        found.add(state.fallback.goto)
    return found


def _reachable(scenario: Scenario, start: str) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        for goto in _next(scenario, queue.popleft()) - seen:
            seen.add(goto)
            queue.append(goto)
    return seen


def test_flask_chat_check_passes_on_the_shipped_folder(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["chat", "check"])
    assert result.exit_code == 0, result.output
    assert "21 scenario(s), 2 drill(s)" in result.output


def test_the_content_has_every_case_the_training_needs(content: ChatContent) -> None:
    keys = {s.key for s in content.scenarios}
    assert len(keys) >= 15
    assert {"carrier-promise", "free-shipping-postage", "sf-price-difference", "out-of-stock",
            "late-ship-compensation", "price-plus-one", "missing-item", "invoice-split",
            "size-exchange-transit", "refund-only-transit", "presale-bargain",
            "addon-recommendation", "payment-reminder", "cod-price", "address-verify",
            "slow-delivery-complaint", "bad-review-followup", "hesitant-buyer",
            "picky-buyer"} <= keys
    assert {s.customer.type for s in content.scenarios} == set(CustomerType)
    endings = {st.ending for s in content.scenarios for st in s.states.values()}
    assert set(Ending) <= endings


@pytest.mark.parametrize("scenario", _scenarios(), ids=lambda s: s.key)
def test_every_state_is_reachable_and_every_state_can_still_end(scenario: Scenario) -> None:
    assert _reachable(scenario, scenario.start) == set(scenario.states)
    for key in scenario.states:
        ends = {k for k in _reachable(scenario, key) if scenario.states[k].ending is not None}
        assert ends, f"{scenario.key}: from {key} no ending can be reached"
    assert len(scenario.states) >= 4
    assert any(st.fallback is not None for st in scenario.states.values())
    assert len({st.ending for st in scenario.states.values() if st.ending}) >= 2
    patience = scenario.customer.patience
    assert patience.nudges and patience.leave_after is not None
    assert scenario.context.policies, "the card tells the trainee the shop's rules"


@pytest.mark.parametrize("scenario", _scenarios(), ids=lambda s: s.key)
def test_a_silent_trainee_is_nudged_and_then_left(scenario: Scenario) -> None:
    step = open_conversation(scenario, arrives_at=T0)
    nudges = 0
    for _ in range(10):
        if step.next_event_at is None:
            break
        step = on_tick(scenario, step.conversation, now=step.next_event_at)
        nudges += len(step.messages)
    assert step.conversation.ended and step.conversation.ending is Ending.LEFT
    assert nudges == len(scenario.customer.patience.nudges)


@pytest.mark.parametrize("scenario", _scenarios(), ids=lambda s: s.key)
def test_replies_that_say_nothing_still_reach_an_ending(scenario: Scenario) -> None:
    step = open_conversation(scenario, arrives_at=T0)
    now = T0
    for _ in range(40):
        if step.conversation.ended:
            break
        now = max(now, step.conversation.waiting_since) + timedelta(seconds=5)
        step = on_reply(scenario, step.conversation, ["嗯嗯"], now=now)
        if not step.conversation.ended and step.route is None and step.next_event_at:
            # a state without a fallback waits for a real answer: the customer's patience
            # ends it instead
            while not step.conversation.ended and step.next_event_at is not None:
                step = on_tick(scenario, step.conversation, now=step.next_event_at)
    assert step.conversation.ended


def _state_for(scenario: Scenario, scope: Scope, states: tuple[str, ...]) -> str:
    return states[0] if scope is Scope.STATES and states else scenario.start


@pytest.mark.parametrize("scenario", _scenarios(), ids=lambda s: s.key)
def test_every_tip_example_is_a_reply_that_earns_its_check(scenario: Scenario,
                                                           content: ChatContent) -> None:
    """The example shown beside a tip is what the trainee is told to write: it must earn
    the positive check, avoid the negative one, and commit no critical violation."""
    for check in scenario.checks:
        assert check.tip and check.example, f"{scenario.key}/{check.id}"
        state = _state_for(scenario, check.scope, check.states)
        result = score_reply(scenario, state, check.example, content.rules)
        outcome = next(c.outcome for c in result.checks if c.check == check.id)
        expected = CheckOutcome.AWARDED if check.points > 0 else CheckOutcome.AVOIDED
        assert outcome is expected, f"{scenario.key}/{check.id}: {check.example}"
        assert result.critical == (), f"{scenario.key}/{check.id}: {check.example}"


def _stages(track: str) -> set[str]:
    data = yaml.safe_load((ROOT / "courses" / track / "track.yaml").read_text(encoding="utf-8"))
    return {stage["key"] for stage in data["stages"]}


def test_the_drills_fit_their_tracks_and_arrive_as_the_training_says(
        content: ChatContent) -> None:
    by_key = {d.key: d for d in content.drills}
    assert set(by_key) == {"new-hire-chat", "double11-peak-drill"}
    for drill in by_key.values():
        assert drill.track is not None and drill.stage in _stages(drill.track)
        items = {i for c in drill.customers
                 for i in content.scenario(c.scenario).rubric}  # type: ignore[union-attr]
        assert items <= set(drill.areas), f"{drill.key}: items without a placement area"
        assert 0 < drill.pass_mark <= 100 and drill.attempts >= 1
    new_hire, peak = by_key["new-hire-chat"], by_key["double11-peak-drill"]
    assert (new_hire.track, new_hire.stage) == ("new-hire", "practice")
    assert 4 <= len(new_hire.customers) <= 5
    arrivals = sorted(c.arrive for c in new_hire.customers)
    assert any(b - a <= 30 for a, b in pairwise(arrivals)), "two customers at once"
    assert {"pre-sales", "after-sales"} <= {str(a) for a in new_hire.areas.values()}
    assert (peak.track, peak.stage) == ("double11", "peak")
    assert len(peak.customers) == 3 and max(c.arrive for c in peak.customers) <= 60
