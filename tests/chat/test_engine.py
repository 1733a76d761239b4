"""The conversation engine as pure functions of the stored state and an explicit clock."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from portal.chat.engine import (
    Conversation,
    MessageKind,
    RouteKind,
    Step,
    arrivals,
    next_event,
    on_reply,
    on_tick,
    open_conversation,
)
from portal.chat.files import ChatContent
from portal.chat.scenario import Ending, Scenario

T0 = datetime(2026, 11, 11, 20, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_customer_opens_with_the_start_states_messages_on_their_timing(carrier: Scenario) -> None:
    step = open_conversation(carrier, arrives_at=T0)
    assert [(m.text, m.due_at) for m in step.messages] == [
        ("你好，我刚拍的四件套能给我发韵达吗？", at(0)), ("我们这边别的快递都送不到家", at(4))]
    conv = step.conversation
    assert conv.state == "ask" and conv.waiting_since == at(4) and not conv.ended
    assert step.next_event_at == at(64)  # the first nudge: 60 s after the last message


def test_the_first_matching_route_wins_on_the_replies_since_the_customer_spoke(
        carrier: Scenario) -> None:
    conv = open_conversation(carrier, arrives_at=T0).conversation
    step = on_reply(carrier, conv, ["亲，您好", "我们合作申通、中通、圆通，您看哪家方便？"], now=at(20))
    assert step.route is not None and step.route.kind is RouteKind.ROUTE
    assert (step.route.from_state, step.route.goto, step.route.index) == ("ask", "explained", 1)
    assert step.route.match is not None and "申通" in step.route.match.matched
    assert [(m.text, m.due_at) for m in step.messages] == [("好吧，那就中通吧，谢谢", at(25))]
    assert step.conversation.ended and step.conversation.ending is Ending.SATISFIED
    assert step.conversation.ended_at == at(25)
    promised = on_reply(carrier, conv, ["可以给您发韵达，也可以发申通"], now=at(20))
    assert promised.route is not None and promised.route.goto == "promised"  # listed first


def test_a_negated_promise_does_not_take_the_promise_route(carrier: Scenario) -> None:
    conv = open_conversation(carrier, arrives_at=T0).conversation
    step = on_reply(carrier, conv, ["韵达我们发不了哦，可以发中通"], now=at(15))
    assert step.route is not None and step.route.goto == "explained"


def test_unmatched_replies_are_counted_then_the_fallback_fires(carrier: Scenario) -> None:
    conv = open_conversation(carrier, arrives_at=T0).conversation
    first = on_reply(carrier, conv, ["亲，稍等"], now=at(10))
    assert first.route is None and first.messages == ()
    assert first.conversation.unmatched == 1 and first.conversation.state == "ask"
    assert first.conversation.waiting_since == at(10)  # the customer waits again from here
    second = on_reply(carrier, first.conversation, ["亲，稍等", "我查一下"], now=at(30))
    assert second.route is not None and second.route.kind is RouteKind.FALLBACK
    assert second.route.goto == "ask-again" and second.route.match is None
    assert [(m.text, m.due_at) for m in second.messages] == [("所以到底能不能发韵达呀？", at(33))]
    assert second.conversation.unmatched == 0 and second.conversation.state == "ask-again"


def test_a_new_state_starts_after_the_previous_states_messages(carrier: Scenario) -> None:
    conv = open_conversation(carrier, arrives_at=T0).conversation
    step = on_reply(carrier, conv, ["申通可以吗"], now=at(1))  # before the 2nd message is due
    assert step.messages[0].due_at == at(4 + 5)


def test_silence_brings_nudges_then_the_customer_leaves(carrier: Scenario) -> None:
    conv = open_conversation(carrier, arrives_at=T0).conversation
    assert on_tick(carrier, conv, now=at(63)).messages == ()
    first = on_tick(carrier, conv, now=at(64))
    assert [(m.text, m.due_at, m.kind) for m in first.messages] == [
        ("在吗？", at(64), MessageKind.NUDGE)]
    assert first.next_event_at == at(124)
    second = on_tick(carrier, first.conversation, now=at(130))
    assert [m.text for m in second.messages] == ["还在吗？"] and not second.conversation.ended
    assert second.next_event_at == at(184)
    gone = on_tick(carrier, second.conversation, now=at(184))
    assert gone.conversation.ended and gone.conversation.ending is Ending.LEFT
    assert gone.conversation.ended_at == at(184) and gone.next_event_at is None


def test_a_late_poll_catches_up_on_everything_that_became_due(carrier: Scenario) -> None:
    conv = open_conversation(carrier, arrives_at=T0).conversation
    step = on_tick(carrier, conv, now=at(1000))
    assert [(m.text, m.due_at) for m in step.messages] == [("在吗？", at(64)), ("还在吗？", at(124))]
    assert step.conversation.ending is Ending.LEFT and step.conversation.ended_at == at(184)


def test_a_reply_after_the_customer_left_is_not_read(carrier: Scenario) -> None:
    conv = open_conversation(carrier, arrives_at=T0).conversation
    step = on_reply(carrier, conv, ["可以发申通"], now=at(500))
    assert step.route is None and step.conversation.ending is Ending.LEFT


def test_a_reply_resets_the_silence_clock(carrier: Scenario) -> None:
    conv = open_conversation(carrier, arrives_at=T0).conversation
    nudged = on_tick(carrier, conv, now=at(70)).conversation
    assert nudged.nudges_sent == 1
    replied = on_reply(carrier, nudged, ["亲，在的"], now=at(80)).conversation
    assert replied.nudges_sent == 0 and next_event(carrier, replied) == at(140)


def test_an_ended_conversation_does_nothing(carrier: Scenario) -> None:
    conv = on_reply(carrier, open_conversation(carrier, arrives_at=T0).conversation,
                    ["可以发申通"], now=at(10)).conversation
    assert conv.ended
    assert on_tick(carrier, conv, now=at(10_000)) == Step(conv)
    assert on_reply(carrier, conv, ["还有别的吗"], now=at(20)).messages == ()


def test_the_same_inputs_give_the_same_step_in_any_process(carrier: Scenario) -> None:
    conv = open_conversation(carrier, arrives_at=T0).conversation
    stored = json.loads(json.dumps(conv.to_data()))  # what another process reads back
    again = Conversation.from_data(stored)
    assert again == conv
    first = on_reply(carrier, conv, ["发申通"], now=at(12))
    assert on_reply(carrier, again, ["发申通"], now=at(12)) == first
    assert Step.from_data(json.loads(json.dumps(first.to_data()))) == first


def test_a_customer_without_leave_never_leaves(sample_chats: ChatContent) -> None:
    from dataclasses import replace

    carrier = sample_chats.scenario("carrier-promise")
    assert carrier is not None
    patient = replace(carrier, customer=replace(carrier.customer, patience=replace(
        carrier.customer.patience, leave_after=None)))
    conv = open_conversation(patient, arrives_at=T0).conversation
    step = on_tick(patient, conv, now=at(100_000))
    assert not step.conversation.ended and step.next_event_at is None


def test_drill_arrivals(sample_chats: ChatContent) -> None:
    drill = sample_chats.drill("peak")
    assert drill is not None
    assert [(c.scenario, when) for c, when in arrivals(drill, started_at=T0)] == [
        ("carrier-promise", at(0)), ("price-plus-one", at(20))]
