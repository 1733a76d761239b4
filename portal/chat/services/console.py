"""What the console and the result page show, as typed values (no Flask, no templates)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.chat import scoring
from portal.chat.models import (
    ChatAttempt,
    ChatConversation,
    ChatMessage,
    ChatSender,
    QuickPhrase,
    ReviewReason,
)
from portal.chat.scenario import ContextCard, CustomerType, Ending, Item, Timing
from portal.chat.services import attempts, review
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
    ended: bool  # the customer's script has ended (their last message is out)
    open: bool  # still takes replies (a farewell after the end, until the window closes)
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
            seen_seq: int | None = None, with_phrases: bool = True) -> ConsoleView:
    """The console at `now`: who is here, how long each has waited, the open pane.

    `attempt` comes locked with its conversations and messages (`attempts.get_attempt`);
    nothing more is read but the quick phrases (only the whole page shows them).
    """
    rows = attempt.conversations
    by_conversation: dict[int, list[ChatMessage]] = {
        row.id: sorted((m for m in row.messages if m.seq is not None), key=lambda m: m.seq or 0)
        for row in rows}
    tabs: list[CustomerTab] = []
    names: dict[int, str] = {}
    timing = Timing()
    for row in rows:
        messages = by_conversation[row.id]
        if not messages:
            continue  # not arrived yet
        found = attempts.scenario_version(session, row.chat_scenario_version_id)
        customer = found.scenario.customer
        timing = found.rules.timing
        names[row.id] = customer.name
        tabs.append(_tab(row, customer.name, customer.type, messages, timing, now))
    arrived = {t.slot for t in tabs}
    selected_slot = slot if slot in arrived else _first_waiting(tabs)
    # The open pane shows its messages, and the console marks them read as it shows them
    # (`attempts.mark_read`): its tab has nothing unread.
    tabs = [dataclasses.replace(t, unread=0) if t.slot == selected_slot else t for t in tabs]
    selected = next((t for t in tabs if t.slot == selected_slot), None)
    card = None
    persona = ""
    shown: list[ShownMessage] = []
    if selected is not None:
        row = next(r for r in rows if r.slot == selected.slot)
        scenario = attempts.scenario_for(session, row)
        card = scenario.context
        persona = scenario.customer.persona
        shown = [_shown(m) for m in by_conversation[row.id]]
    new_to_browser = [] if seen_seq is None else sorted(
        (m for row in rows for m in by_conversation[row.id]
         if m.sender is ChatSender.CUSTOMER and (m.seq or 0) > seen_seq),
        key=lambda m: m.seq or 0)
    return ConsoleView(
        attempt=attempt, title=attempts.drill_for(session, attempt).title, now=now,
        seconds_left=max(0, int((attempt.deadline_at - now).total_seconds())),
        customers=tabs, selected_slot=selected_slot, selected=selected, card=card,
        persona=persona, messages=shown,
        phrases=list_phrases(session, user_id=attempt.user_id) if with_phrases else [],
        timing=timing, waiting_for=sum(1 for t in tabs if t.waiting_seconds is not None),
        pending=len(rows) - len(tabs),
        announce=[(names.get(m.chat_conversation_id, ""), m.text) for m in new_to_browser])


def _first_waiting(tabs: list[CustomerTab]) -> int | None:
    waiting = [t for t in tabs if t.waiting_seconds is not None]
    if waiting:
        return max(waiting, key=lambda t: t.waiting_seconds or 0).slot
    return tabs[0].slot if tabs else None


def _tab(row: ChatConversation, name: str, customer_type: CustomerType,
         messages: list[ChatMessage], timing: Timing, now: datetime) -> CustomerTab:
    # Waiting since the first customer message the trainee has not answered reached the
    # page (server time), as response times are measured.
    waiting_since: datetime | None = None
    for message in messages:
        if message.sender is ChatSender.TRAINEE:
            waiting_since = None
        elif message.sender is ChatSender.CUSTOMER and waiting_since is None:
            waiting_since = message.delivered_at
    ended = row.ended and (row.ended_at or now) <= now
    waiting = None
    if waiting_since is not None and not ended:
        waiting = max(0, int((now - waiting_since).total_seconds()))
    unread = sum(1 for m in messages if m.sender is ChatSender.CUSTOMER
                 and (m.seq or 0) > row.read_seq)
    return CustomerTab(slot=row.slot, name=name, type=customer_type, unread=unread,
                       waiting_seconds=waiting, band=wait_band(waiting, timing), ended=ended,
                       open=attempts.takes_replies(row, now),
                       ending=Ending(row.ending) if row.ending and ended else None,
                       last_text=messages[-1].text if messages else "")


def _shown(message: ChatMessage) -> ShownMessage:
    at = message.sent_at if message.sender is ChatSender.TRAINEE else message.delivered_at
    assert message.seq is not None and at is not None
    return ShownMessage(seq=message.seq, sender=message.sender, text=message.text, at=at,
                        nudge=message.nudge)



# --- the result page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A piece of a message's original text; `marked` pieces are evidence of a check."""

    text: str
    marked: bool = False
    bad: bool = False  # evidence of a deduction or a critical violation


@dataclass(frozen=True)
class EvidencedMessage:
    seq: int
    sender: ChatSender
    at: datetime
    segments: list[Segment]
    checks: list[scoring.CheckResult]  # the checks this reply fired
    violations: list[scoring.ViolationResult]
    response_seconds: float | None  # for a reply that opened the answer to a customer turn


@dataclass(frozen=True)
class ReviewScore:
    reviewer: str
    points: float
    reason: ReviewReason
    comment: str
    at: datetime


@dataclass(frozen=True)
class ItemRow:
    item: Item
    points: float
    max_points: float
    reviews: list[ReviewScore]  # each reviewer's latest score for the item


@dataclass(frozen=True)
class CustomerResult:
    slot: int
    name: str
    title: str
    ending: Ending | None
    score: scoring.ConversationScore
    messages: list[EvidencedMessage]
    unfired: list[scoring.CheckResult]  # checks that found nothing (tips for next time)


@dataclass(frozen=True)
class ResultView:
    attempt: ChatAttempt
    title: str
    score: scoring.AttemptScore
    items: list[ItemRow]
    customers: list[CustomerResult]
    violations: list[tuple[str, scoring.ViolationResult]]  # (customer name, violation)
    pass_mark: int


def segments(text: str, spans: list[tuple[int, int, bool]]) -> list[Segment]:
    """Cut `text` at the evidence spans (start, end, bad); overlapping spans merge."""
    merged: list[list[Any]] = []
    for start, end, bad in sorted(spans):
        start, end = max(0, start), min(len(text), end)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] = merged[-1][2] or bad
        else:
            merged.append([start, end, bad])
    out: list[Segment] = []
    at = 0
    for start, end, bad in merged:
        if start > at:
            out.append(Segment(text[at:start]))
        out.append(Segment(text[start:end], marked=True, bad=bad))
        at = end
    if at < len(text):
        out.append(Segment(text[at:]))
    return out


def result(session: Session, *, attempt: ChatAttempt) -> ResultView:
    """A finished attempt as its trainee sees it: the engine's score per item with the
    reviewers' beside it, and each conversation's transcript with its evidence."""
    assert attempt.auto_result is not None
    score = scoring.AttemptScore.from_data(attempt.auto_result)
    rows = {r.id: r for r in attempt.conversations}
    messages = list(session.scalars(sa.select(ChatMessage).where(
        ChatMessage.chat_attempt_id == attempt.id, ChatMessage.seq.is_not(None))
        .order_by(ChatMessage.seq)))
    customers: list[CustomerResult] = []
    violations: list[tuple[str, scoring.ViolationResult]] = []
    for row, conv_score in zip(attempt.conversations, score.conversations, strict=True):
        scenario = attempts.scenario_for(session, row)
        own = [m for m in messages if rows[m.chat_conversation_id] is row]
        customers.append(_customer_result(row, scenario.customer.name, scenario.title,
                                          conv_score, own))
        violations.extend((scenario.customer.name, v) for v in conv_score.violations)
    drill = attempts.drill_for(session, attempt)
    return ResultView(attempt=attempt, title=drill.title, score=score,
                      items=_item_rows(session, attempt, score), customers=customers,
                      violations=violations, pass_mark=drill.drill.pass_mark)


def _customer_result(row: ChatConversation, name: str, title: str,
                     conv_score: scoring.ConversationScore,
                     messages: list[ChatMessage]) -> CustomerResult:
    fired: dict[int, list[scoring.CheckResult]] = {}
    for check in conv_score.checks:
        if check.seq is not None:
            fired.setdefault(check.seq, []).append(check)
    flagged: dict[int, list[scoring.ViolationResult]] = {}
    for violation in conv_score.violations:
        if violation.seq is not None:
            flagged.setdefault(violation.seq, []).append(violation)
    shown: list[EvidencedMessage] = []
    turn_opened: datetime | None = None
    for message in messages:
        seq = message.seq or 0
        at = (message.sent_at if message.sender is ChatSender.TRAINEE
              else message.delivered_at) or message.due_at
        response = None
        if message.sender is ChatSender.CUSTOMER:
            turn_opened = turn_opened or at
        elif message.sender is ChatSender.TRAINEE and turn_opened is not None:
            response = round((at - turn_opened).total_seconds(), 1)
            turn_opened = None
        checks = fired.get(seq, [])
        found = flagged.get(seq, [])
        spans = [(h.start, h.end, c.points < 0) for c in checks for h in c.hits]
        spans += [(h.start, h.end, True) for v in found for h in v.hits]
        shown.append(EvidencedMessage(seq=seq, sender=message.sender, at=at,
                                      segments=segments(message.text, spans), checks=checks,
                                      violations=found, response_seconds=response))
    return CustomerResult(slot=row.slot, name=name, title=title,
                          ending=Ending(row.ending) if row.ending else None, score=conv_score,
                          messages=shown,
                          unfired=[c for c in conv_score.checks if c.seq is None])


def _item_rows(session: Session, attempt: ChatAttempt,
               score: scoring.AttemptScore) -> list[ItemRow]:
    """The engine's score per item with each reviewer's current score beside it."""
    reviews = review.reviews_for_attempt(session, attempt_id=attempt.id)
    return [ItemRow(item=i.item, points=i.points, max_points=i.max_points,
                    reviews=[ReviewScore(reviewer=r.reviewer_name, points=r.points,
                                         reason=r.reason, comment=r.comment, at=r.at)
                             for r in reviews if r.item is i.item])
            for i in score.items]
