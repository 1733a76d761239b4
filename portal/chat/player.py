"""The scenario player (pure): a trainer plays one scripted customer before publishing.

Nothing is kept between requests but what the page sends back: the trainer's replies with
the second (of the play's own clock) each was sent at, and the clock itself. Every request
replays the script through the engine from the start, so the result depends only on those
values: any process can answer, and a reload of the same form resumes exactly. The play's
clock runs with the server's time between two requests and can jump ahead to the
customer's next message ("跳过等待"). A customer message counts as seen when it is due.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from portal.chat import engine, scoring
from portal.chat.engine import RouteTaken, Scheduled
from portal.chat.matchers import Hit
from portal.chat.scenario import Ending, Rules, Scenario
from portal.errors import DomainError
from portal.messages import N_

# The play's clock starts here; only differences from it are ever shown.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MAX_REPLIES = 100
MAX_REPLY_CHARS = 1000
MAX_CLOCK_SECONDS = 6 * 3600
MAX_REAL_GAP_SECONDS = 3600  # a page left open longer counts as this long


class PlayerInvalid(DomainError):
    """The play the page sent back cannot be replayed (a tampered or stale form)."""

    status = 422


class Speaker(StrEnum):
    CUSTOMER = "customer"
    TRAINER = "trainer"


@dataclass(frozen=True)
class PlayedReply:
    at: float  # seconds on the play's clock
    text: str


@dataclass(frozen=True)
class RouteShown:
    """Which route (or the fallback) a reply moved the customer along, with the evidence."""

    kind: engine.RouteKind
    from_state: str
    goto: str
    index: int | None  # 0-based position of the route in its state
    hits: tuple[Hit, ...]  # spans in THIS reply's text (empty for the fallback)
    replies_read: int  # how many replies were read together (since the customer spoke)


@dataclass(frozen=True)
class Line:
    """One message of the play as the trainer sees it."""

    seq: int
    speaker: Speaker
    text: str
    at: float  # seconds on the play's clock
    state: str
    nudge: bool = False
    route: RouteShown | None = None  # a reply: what it did
    unmatched: bool = False  # a reply that matched no route and did not trigger the fallback
    response_seconds: float | None = None  # a reply: since the turn it answers began


@dataclass(frozen=True)
class Play:
    lines: tuple[Line, ...]
    clock: float
    state: str
    ended: bool
    ending: Ending | None
    next_at: float | None  # when the customer does something next, on the play's clock
    score: scoring.ConversationScore
    pending: int  # customer messages already scheduled but not due yet

    @property
    def wait_seconds(self) -> float | None:
        return max(0.0, self.next_at - self.clock) if self.next_at is not None else None


def _at(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def _seconds(moment: datetime) -> float:
    return round((moment - EPOCH).total_seconds(), 3)


def check_replies(replies: Sequence[PlayedReply], *, clock: float) -> None:
    """Refuse a play no page could have sent: too long, out of order, or beyond the clock."""
    if not math.isfinite(clock) or clock < 0 or clock > MAX_CLOCK_SECONDS:
        raise PlayerInvalid(N_("试玩的时间记录有误，请重新开始试玩"))
    if len(replies) > MAX_REPLIES:
        raise PlayerInvalid(N_("一次试玩最多 %(n)d 条回复，请重新开始试玩"), n=MAX_REPLIES)
    previous = 0.0
    for reply in replies:
        if not math.isfinite(reply.at) or reply.at < previous or reply.at > clock:
            raise PlayerInvalid(N_("试玩的时间记录有误，请重新开始试玩"))
        if not reply.text.strip() or len(reply.text) > MAX_REPLY_CHARS:
            raise PlayerInvalid(N_("每条回复应有 1 到 %(n)d 个字"), n=MAX_REPLY_CHARS)
        previous = reply.at


def _hits_in_reply(route: RouteTaken, since: Sequence[str]) -> tuple[Hit, ...]:
    """The route's evidence in the last reply: the engine read the replies joined by
    newlines, so offsets past the earlier ones are moved back into the last reply."""
    if route.match is None:
        return ()
    offset = sum(len(t) + 1 for t in since[:-1])
    last = since[-1]
    return tuple(Hit(start=h.start - offset, end=h.end - offset, text=h.text, rule=h.rule,
                     form=h.form, negated=h.negated, cues=h.cues, score=h.score)
                 for h in route.match.hits
                 if h.start >= offset and h.end <= offset + len(last))


def play(scenario: Scenario, rules: Rules, replies: Sequence[PlayedReply], *,
         clock: float) -> Play:
    """Replay the customer's script with the trainer's replies up to `clock`."""
    check_replies(replies, clock=clock)
    step = engine.open_conversation(scenario, arrives_at=EPOCH)
    conv = step.conversation
    scheduled: list[Scheduled] = list(step.messages)
    done: list[tuple[PlayedReply, str, RouteShown | None, bool]] = []
    for index, reply in enumerate(replies):
        now = _at(reply.at)
        if conv.ended and (conv.ended_at is None or conv.ended_at <= now):
            raise PlayerInvalid(N_("买家已经结束了会话，这条回复不能再发，请重新开始试玩"))
        spoke = [m.due_at for m in scheduled if m.due_at <= now]
        last_spoke = max(spoke) if spoke else None
        since = [r.text for r in replies[:index]
                 if last_spoke is None or _at(r.at) >= last_spoke] + [reply.text]
        state_before = conv.state
        step = engine.on_reply(scenario, conv, since, now=now)
        conv = step.conversation
        scheduled.extend(step.messages)
        shown = None
        if step.route is not None:
            shown = RouteShown(kind=step.route.kind, from_state=step.route.from_state,
                               goto=step.route.goto, index=step.route.index,
                               hits=_hits_in_reply(step.route, since), replies_read=len(since))
        done.append((reply, state_before, shown, step.route is None and not conv.ended))
    tick = engine.on_tick(scenario, conv, now=_at(clock))
    conv = tick.conversation
    scheduled.extend(tick.messages)
    # One timeline: at the same second a customer message comes before a reply.
    events: list[tuple[float, int, int, object]] = []
    for order, message in enumerate(scheduled):
        if message.due_at <= _at(clock):
            events.append((_seconds(message.due_at), 0, order, message))
    for order, item in enumerate(done):
        events.append((item[0].at, 1, order, item))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    lines: list[Line] = []
    transcript: list[scoring.TranscriptMessage] = []
    turn_began: float | None = None
    for seq, (at, _kind, _order, event) in enumerate(events, start=1):
        if isinstance(event, Scheduled):
            nudge = event.kind is engine.MessageKind.NUDGE
            lines.append(Line(seq, Speaker.CUSTOMER, event.text, at, event.state, nudge))
            transcript.append(scoring.TranscriptMessage(seq, scoring.Author.CUSTOMER, event.text,
                                                        _at(at), event.state, nudge))
            if turn_began is None:
                turn_began = at
        else:
            reply, state_before, route, unmatched = event  # type: ignore[misc]
            waited = round(reply.at - turn_began, 1) if turn_began is not None else None
            turn_began = None
            lines.append(Line(seq, Speaker.TRAINER, reply.text, at, state_before, route=route,
                              unmatched=unmatched, response_seconds=waited))
            transcript.append(scoring.TranscriptMessage(seq, scoring.Author.TRAINEE, reply.text,
                                                        _at(at), state_before))
    pending = [m for m in scheduled if m.due_at > _at(clock)]
    upcoming = [m.due_at for m in pending]
    if tick.next_event_at is not None:
        upcoming.append(tick.next_event_at)
    ended = conv.ended and not pending
    return Play(lines=tuple(lines), clock=clock, state=conv.state, ended=ended,
                ending=conv.ending if ended else None,
                next_at=None if ended or not upcoming else _seconds(min(upcoming)),
                score=scoring.score_conversation(scenario, transcript, rules),
                pending=len(pending))


def advance_clock(clock: float, *, rendered_at: float, now: float) -> float:
    """The play's clock after the server time between the page's render and now (capped,
    never backwards: a form's render time is the browser's to send, so it is not trusted
    to be sane)."""
    gap = now - rendered_at if math.isfinite(rendered_at) else 0.0
    return round(min(clock + min(max(gap, 0.0), MAX_REAL_GAP_SECONDS), MAX_CLOCK_SECONDS), 1)


STATE_EXCERPT_CHARS = 14


def state_label(scenario: Scenario, key: str, play: Play | None = None) -> str:
    """How a trainer recognises a state without its YAML key: the customer's first line
    there, shortened (the key itself is shown beside it, as code, for editing the file).
    In a play, only once that line has appeared: a label must not give away what the
    customer is about to say. "" when there is no such line (yet)."""
    state = scenario.states.get(key)
    if state is None or not state.say:
        return ""
    first = state.say[0].text
    if play is not None and not any(line.speaker is not Speaker.TRAINER and line.state == key
                                    and line.text == first for line in play.lines):
        return ""
    text = " ".join(first.split())
    return text if len(text) <= STATE_EXCERPT_CHARS else text[:STATE_EXCERPT_CHARS] + "…"
