"""The conversation state machine of one scripted customer: pure, with an explicit clock.

No timers and no process state: the caller stores the `Conversation` (and the scheduled
messages as rows with their due time) and calls `on_reply` when the trainee writes and
`on_tick` when it polls or sweeps; any process can do either, and the result depends only
on the stored values and `now`.

Timing rules (docs/chat-architecture.md):
- A state's messages are due `after` seconds after the state is entered; a state is
  entered when the previous state's messages are all due, or at the reply, if later.
- `waiting_since` is when the customer's turn began: the last scripted message of the
  state, or the trainee's last reply that moved nothing. Nudge k is due at
  `waiting_since + k * nudge_after`; the customer leaves `leave_after` seconds after the
  last nudge (with no nudges, `leave_after` seconds after `waiting_since`).
- Routes are tried in order on the replies since the customer last spoke, joined; the
  first that matches moves the conversation. Otherwise the reply is counted, and when the
  count reaches the fallback's `after`, the fallback's state is entered.
- A state with `ending` ends the conversation at the time its last message is due.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from portal.chat.matchers import Match, evaluate
from portal.chat.scenario import Drill, DrillCustomer, Ending, Scenario, Storable


class MessageKind(StrEnum):
    SCRIPT = "script"  # a message of the state's `say`
    NUDGE = "nudge"  # "在吗？" on silence


class RouteKind(StrEnum):
    ROUTE = "route"
    FALLBACK = "fallback"


@dataclass(frozen=True)
class Conversation(Storable):
    """What is stored of one customer of an attempt between requests."""

    state: str
    entered_at: datetime
    waiting_since: datetime
    unmatched: int = 0  # replies in this state that matched no route
    nudges_sent: int = 0  # since `waiting_since`
    ended: bool = False
    ending: Ending | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Scheduled(Storable):
    """A customer message and when it is due (the console shows it from then on)."""

    text: str
    due_at: datetime
    state: str
    kind: MessageKind = MessageKind.SCRIPT


@dataclass(frozen=True)
class RouteTaken(Storable):
    kind: RouteKind
    from_state: str
    goto: str
    index: int | None = None  # which route of the state (None for the fallback)
    match: Match | None = None  # the evidence for a route


@dataclass(frozen=True)
class Step(Storable):
    conversation: Conversation
    messages: tuple[Scheduled, ...] = ()
    route: RouteTaken | None = None
    next_event_at: datetime | None = None  # the next nudge or leaving (call on_tick then)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def _enter(scenario: Scenario, key: str, at: datetime) -> tuple[Conversation, tuple[Scheduled, ...]]:
    state = scenario.states[key]
    messages = tuple(Scheduled(s.text, at + _seconds(s.after), key) for s in state.say)
    last = max((m.due_at for m in messages), default=at)
    conv = Conversation(state=key, entered_at=at, waiting_since=last)
    if state.ending is not None:
        conv = replace(conv, ended=True, ending=state.ending, ended_at=last)
    return conv, messages


def next_event(scenario: Scenario, conv: Conversation) -> datetime | None:
    """When the customer next does something on their own (a nudge or leaving), if ever."""
    if conv.ended:
        return None
    patience = scenario.customer.patience
    if conv.nudges_sent < len(patience.nudges):
        return conv.waiting_since + _seconds((conv.nudges_sent + 1) * patience.nudge_after)
    if patience.leave_after is None:
        return None
    return conv.waiting_since + _seconds(len(patience.nudges) * patience.nudge_after
                                         + patience.leave_after)


def _step(scenario: Scenario, conv: Conversation, messages: tuple[Scheduled, ...] = (),
          route: RouteTaken | None = None) -> Step:
    return Step(conv, messages, route, next_event(scenario, conv))


def open_conversation(scenario: Scenario, *, arrives_at: datetime) -> Step:
    """The customer arrives: the start state's messages, due from `arrives_at`."""
    conv, messages = _enter(scenario, scenario.start, arrives_at)
    return _step(scenario, conv, messages)


def on_tick(scenario: Scenario, conv: Conversation, *, now: datetime) -> Step:
    """Time passes with the trainee silent: the nudges that became due, or leaving."""
    if conv.ended:
        return _step(scenario, conv)
    patience = scenario.customer.patience
    nudges: list[Scheduled] = []
    while conv.nudges_sent < len(patience.nudges):
        due = conv.waiting_since + _seconds((conv.nudges_sent + 1) * patience.nudge_after)
        if due > now:
            break
        nudges.append(Scheduled(patience.nudges[conv.nudges_sent], due, conv.state,
                                MessageKind.NUDGE))
        conv = replace(conv, nudges_sent=conv.nudges_sent + 1)
    if conv.nudges_sent == len(patience.nudges) and patience.leave_after is not None:
        leaves_at = next_event(scenario, conv)
        if leaves_at is not None and leaves_at <= now:
            conv = replace(conv, ended=True, ending=Ending.LEFT, ended_at=leaves_at)
    return _step(scenario, conv, tuple(nudges))


def on_reply(scenario: Scenario, conv: Conversation, replies_since_customer: Sequence[str], *,
             now: datetime) -> Step:
    """The trainee wrote; `replies_since_customer` are their replies since the customer's
    last scripted message (this one included, last). Nudges due before `now` come first;
    a customer who has left reads nothing."""
    ticked = on_tick(scenario, conv, now=now)
    conv = ticked.conversation
    if conv.ended:
        return ticked
    state = scenario.states[conv.state]
    text = "\n".join(replies_since_customer)
    at = max(now, conv.waiting_since)
    for index, route in enumerate(state.routes):
        match = evaluate(route.when, text, scenario.matchers)
        if match is not None:
            new, messages = _enter(scenario, route.goto, at)
            taken = RouteTaken(RouteKind.ROUTE, state.key, route.goto, index, match)
            return _step(scenario, new, ticked.messages + messages, taken)
    unmatched = conv.unmatched + 1
    if state.fallback is not None and unmatched >= state.fallback.after:
        new, messages = _enter(scenario, state.fallback.goto, at)
        taken = RouteTaken(RouteKind.FALLBACK, state.key, state.fallback.goto)
        return _step(scenario, new, ticked.messages + messages, taken)
    # Nothing moved: the customer waits again, from this reply on.
    conv = replace(conv, unmatched=unmatched, waiting_since=max(now, conv.waiting_since),
                   nudges_sent=0)
    return _step(scenario, conv, ticked.messages)


def arrivals(drill: Drill, *, started_at: datetime) -> list[tuple[DrillCustomer, datetime]]:
    """When each customer of a drill arrives."""
    return [(c, started_at + _seconds(c.arrive)) for c in drill.customers]
