"""What the console and the result page show, as typed values (no Flask, no templates)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.chat.models import (
    ChatAttempt,
    ChatConversation,
    ChatMessage,
    ChatSender,
    QuickPhrase,
)
from portal.chat.scenario import ContextCard, CustomerType, Ending, Timing
from portal.chat.services import attempts
from portal.chat.services.phrases import list_phrases


class WaitBand(StrEnum):
    """How long a customer has waited for an answer, on the response-time bands of 003."""

    NONE = "none"  # not waiting
    GOOD = "good"  # within `good`
    AMBER = "amber"  # past `good`
    RED = "red"  # past `normal`


def wait_band(seconds: float | None, timing: Timing) -> WaitBand:
    if seconds is None:
        return WaitBand.NONE
    if seconds > timing.normal:
        return WaitBand.RED
    if seconds > timing.good:
        return WaitBand.AMBER
    return WaitBand.GOOD


@dataclass(frozen=True)
class CustomerTab:
    slot: int
    name: str
    type: CustomerType
    unread: int
    waiting_seconds: int | None  # server time since the customer's turn reached the trainee
    band: WaitBand
    ended: bool
    ending: Ending | None
    last_text: str


@dataclass(frozen=True)
class ShownMessage:
    seq: int
    sender: ChatSender
    text: str
    at: datetime
    nudge: bool


@dataclass(frozen=True)
class ConsoleView:
    attempt: ChatAttempt
    title: str
    now: datetime
    seconds_left: int
    customers: list[CustomerTab]
    selected_slot: int | None
    selected: CustomerTab | None
    card: ContextCard | None
    persona: str
    messages: list[ShownMessage]
    phrases: list[QuickPhrase]
    timing: Timing
    waiting_for: int  # customers who arrived and have not been answered
    pending: int  # customers not yet arrived
    announce: list[tuple[str, str]]  # (name, text) of customer messages new to this browser


def console(session: Session, *, attempt: ChatAttempt, slot: int | None, now: datetime,
            seen_seq: int | None = None) -> ConsoleView:
    """The console at `now`: who is here, how long each has waited, the open pane."""
    rows = attempt.conversations
    delivered = list(session.scalars(sa.select(ChatMessage).where(
        ChatMessage.chat_attempt_id == attempt.id, ChatMessage.seq.is_not(None))
        .order_by(ChatMessage.seq)))
    by_conversation: dict[int, list[ChatMessage]] = {}
    for message in delivered:
        by_conversation.setdefault(message.chat_conversation_id, []).append(message)
    tabs: list[CustomerTab] = []
    names: dict[int, str] = {}
    timing = Timing()
    for row in rows:
        messages = by_conversation.get(row.id, [])
        if not messages:
            continue  # not arrived yet
        scenario = attempts.scenario_of(row.scenario_version)
        timing = attempts.rules_of(row.scenario_version).timing
        names[row.id] = scenario.customer.name
        tabs.append(_tab(row, scenario.customer.name, scenario.customer.type, messages, timing,
                         now))
    arrived = {t.slot for t in tabs}
    selected_slot = slot if slot in arrived else _first_waiting(tabs)
    selected = next((t for t in tabs if t.slot == selected_slot), None)
    card = None
    persona = ""
    shown: list[ShownMessage] = []
    if selected is not None:
        row = next(r for r in rows if r.slot == selected.slot)
        scenario = attempts.scenario_of(row.scenario_version)
        card = scenario.context
        persona = scenario.customer.persona
        shown = [_shown(m) for m in by_conversation.get(row.id, [])]
    return ConsoleView(
        attempt=attempt, title=attempt.drill_version.title, now=now,
        seconds_left=max(0, int((attempt.deadline_at - now).total_seconds())),
        customers=tabs, selected_slot=selected_slot, selected=selected, card=card,
        persona=persona, messages=shown, phrases=list_phrases(session, user_id=attempt.user_id),
        timing=timing, waiting_for=sum(1 for t in tabs if t.waiting_seconds is not None),
        pending=len(rows) - len(tabs),
        announce=[] if seen_seq is None else [
            (names.get(m.chat_conversation_id, ""), m.text) for m in delivered
            if m.sender is ChatSender.CUSTOMER and (m.seq or 0) > seen_seq])


def _first_waiting(tabs: list[CustomerTab]) -> int | None:
    waiting = [t for t in tabs if t.waiting_seconds is not None]
    if waiting:
        return max(waiting, key=lambda t: t.waiting_seconds or 0).slot
    return tabs[0].slot if tabs else None


def _tab(row: ChatConversation, name: str, customer_type: CustomerType,
         messages: list[ChatMessage], timing: Timing, now: datetime) -> CustomerTab:
    waiting = None
    if row.waiting_since is not None and not row.ended:
        waiting = max(0, int((now - row.waiting_since).total_seconds()))
    unread = sum(1 for m in messages if m.sender is ChatSender.CUSTOMER
                 and (m.seq or 0) > row.read_seq)
    return CustomerTab(slot=row.slot, name=name, type=customer_type, unread=unread,
                       waiting_seconds=waiting, band=wait_band(waiting, timing), ended=row.ended,
                       ending=Ending(row.ending) if row.ending else None,
                       last_text=messages[-1].text if messages else "")


def _shown(message: ChatMessage) -> ShownMessage:
    at = message.sent_at if message.sender is ChatSender.TRAINEE else message.delivered_at
    assert message.seq is not None and at is not None
    return ShownMessage(seq=message.seq, sender=message.sender, text=message.text, at=at,
                        nudge=message.nudge)

