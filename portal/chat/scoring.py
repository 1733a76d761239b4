"""Scoring a chat on the table-2 items, with the evidence for every point.

Pure. Every check leaves a `CheckResult` (which reply, which check, the matched spans in
the trainee's original text, the points, a tip and an example of a good reply). Per item:
an item starts at its maximum less the points its positive checks can award, then each
check that fired adds or deducts; the result is kept within 0..maximum. `timeliness` is
scored from the response times instead: the mean band credit (rules.yaml) over the
customer's turns, an unanswered turn counting nothing, so the reply rate is in it. Any
critical violation fails the attempt, whatever the points.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from portal.chat.matchers import Hit, Match, evaluate
from portal.chat.normalize import normalize
from portal.chat.scenario import (
    Area,
    Check,
    CriticalRule,
    Item,
    Rules,
    Scenario,
    Scope,
    Storable,
    Timing,
    Violation,
)


class Author(StrEnum):
    CUSTOMER = "customer"
    TRAINEE = "trainee"


class CheckOutcome(StrEnum):
    AWARDED = "awarded"  # a positive check matched
    MISSED = "missed"  # a positive check found nothing: the tip says what would earn it
    DEDUCTED = "deducted"  # a negative check matched
    AVOIDED = "avoided"  # a negative check found nothing


@dataclass(frozen=True)
class TranscriptMessage(Storable):
    """One message of a conversation, as the server recorded it."""

    seq: int  # order within the conversation (or the attempt)
    author: Author
    text: str
    at: datetime  # a customer message: first delivered to the browser; a reply: received
    state: str  # the conversation's state when the message was sent
    nudge: bool = False


@dataclass(frozen=True)
class CheckResult(Storable):
    check: str
    item: Item
    outcome: CheckOutcome
    points: float  # applied (0 unless the check fired)
    seq: int | None = None  # the reply that fired it
    hits: tuple[Hit, ...] = ()  # spans in the reply's original text
    tip: str = ""
    example: str = ""


@dataclass(frozen=True)
class ViolationResult(Storable):
    id: Violation
    reason: str
    seq: int | None = None
    hits: tuple[Hit, ...] = ()


@dataclass(frozen=True)
class ItemScore(Storable):
    item: Item
    points: float
    max_points: float


@dataclass(frozen=True)
class ResponseStats(Storable):
    """Response times in seconds, per customer turn answered."""

    times: tuple[float, ...] = ()
    turns: int = 0  # customer turns that needed an answer
    answered: int = 0

    @property
    def first(self) -> float | None:
        return self.times[0] if self.times else None

    @property
    def mean(self) -> float | None:
        return round(sum(self.times) / len(self.times), 1) if self.times else None

    @property
    def slowest(self) -> float | None:
        return max(self.times) if self.times else None

    @property
    def reply_rate(self) -> float:
        return self.answered / self.turns if self.turns else 1.0


@dataclass(frozen=True)
class ReplyScore(Storable):
    """One reply scored as the answer to the customer's message at a state."""

    critical: tuple[Violation, ...]
    items: Mapping[Item, float]  # net points of the checks that fired, per item
    checks: tuple[CheckResult, ...]
    violations: tuple[ViolationResult, ...] = ()

    def as_output(self) -> dict[str, Any]:
        """The `flask chat score` line: {"critical": […], "items": {…}, "checks": […]}."""
        data = self.to_data()
        return {"critical": data["critical"], "items": data["items"], "checks": data["checks"]}


@dataclass(frozen=True)
class ConversationScore(Storable):
    scenario: str
    items: tuple[ItemScore, ...]
    checks: tuple[CheckResult, ...]
    violations: tuple[ViolationResult, ...]
    response: ResponseStats

    @property
    def points(self) -> float:
        return _round(sum(i.points for i in self.items))

    @property
    def max_points(self) -> float:
        return _round(sum(i.max_points for i in self.items))


@dataclass(frozen=True)
class AttemptScore(Storable):
    conversations: tuple[ConversationScore, ...]
    items: tuple[ItemScore, ...]  # summed over the conversations
    score: float  # 0-100
    violations: tuple[ViolationResult, ...] = ()
    pass_mark: int | None = None
    passed: bool | None = None  # None without a pass mark
    fail_reason: str = ""  # the first violation's reason, when one failed the attempt

    def area_scores(self, areas: Mapping[Item, Area]) -> dict[Area, float]:
        """0-100 per placement area, from the items the drill assigns to it."""
        got: dict[Area, list[float]] = {}
        for item in self.items:
            area = areas.get(item.item)
            if area is not None:
                pts = got.setdefault(area, [0.0, 0.0])
                pts[0] += item.points
                pts[1] += item.max_points
        return {a: _round(100 * p / m) if m else 0.0 for a, (p, m) in got.items()}


@dataclass(frozen=True)
class _Reply:
    seq: int | None
    text: str
    state: str


def _round(value: float) -> float:
    return round(value + 0.0, 2)


def _first_match(scenario: Scenario, when: Any,
                 replies: Sequence[_Reply]) -> tuple[_Reply, Match] | None:
    for reply in replies:
        found = evaluate(when, normalize(reply.text), scenario.matchers)
        if found is not None:
            return reply, found
    return None


def _in_scope(check: Check, replies: Sequence[_Reply]) -> list[_Reply]:
    if not replies:
        return []
    if check.scope is Scope.FIRST_REPLY:
        return [replies[0]]
    if check.scope is Scope.LAST_REPLY:
        return [replies[-1]]
    if check.scope is Scope.STATES:
        return [r for r in replies if r.state in check.states]
    return list(replies)


def _check_results(scenario: Scenario, scoped: Iterable[tuple[Check, list[_Reply]]]
                   ) -> list[CheckResult]:
    results = []
    for check, replies in scoped:
        found = _first_match(scenario, check.when, replies)
        positive = check.points > 0
        if found is None:
            outcome = CheckOutcome.MISSED if positive else CheckOutcome.AVOIDED
            results.append(CheckResult(check.id, check.item, outcome, 0.0, tip=check.tip,
                                       example=check.example))
        else:
            reply, match = found
            outcome = CheckOutcome.AWARDED if positive else CheckOutcome.DEDUCTED
            results.append(CheckResult(check.id, check.item, outcome, float(check.points),
                                       reply.seq, match.hits, check.tip, check.example))
    return results


def _violations(scenario: Scenario, rules: Rules,
                replies: Sequence[_Reply]) -> list[ViolationResult]:
    found: list[ViolationResult] = []
    seen: set[Violation] = set()
    critical: tuple[CriticalRule, ...] = rules.critical + scenario.critical
    for rule in critical:
        if rule.id in seen:
            continue
        hit = _first_match(scenario, rule.when, replies)
        if hit is not None:
            seen.add(rule.id)
            found.append(ViolationResult(rule.id, rule.reason, hit[0].seq, hit[1].hits))
    return sorted(found, key=lambda v: (v.seq if v.seq is not None else -1))


def score_reply(scenario: Scenario, state: str, text: str, rules: Rules, *,
                first: bool = True) -> ReplyScore:
    """`text` as the trainee's answer to the customer at `state`: it is the conversation's
    first reply when `first`, and its last; checks scoped to other states do not apply."""
    if state not in scenario.states:
        raise KeyError(state)
    reply = _Reply(None, text, state)
    scoped = []
    for check in scenario.checks:
        applies = (check.scope is Scope.ANY_REPLY or check.scope is Scope.LAST_REPLY
                   or (check.scope is Scope.FIRST_REPLY and first)
                   or (check.scope is Scope.STATES and state in check.states))
        if applies:
            scoped.append((check, [reply]))
    checks = _check_results(scenario, scoped)
    items: dict[Item, float] = {}
    for result in checks:
        items[result.item] = _round(items.get(result.item, 0.0) + result.points)
    violations = _violations(scenario, rules, [reply])
    return ReplyScore(tuple(v.id for v in violations), items, tuple(checks), tuple(violations))


def response_stats(scenario: Scenario, transcript: Sequence[TranscriptMessage]) -> ResponseStats:
    """Each run of customer messages is a turn; its response time is the first reply after
    it minus its first message's delivery. A closing turn (in an ending state) left
    unanswered is not counted; any other unanswered turn lowers the reply rate."""
    turns: list[tuple[TranscriptMessage, TranscriptMessage | None]] = []
    opened: TranscriptMessage | None = None
    for message in sorted(transcript, key=lambda m: m.seq):
        if message.author is Author.CUSTOMER:
            if opened is None:
                opened = message
        elif opened is not None:
            turns.append((opened, message))
            opened = None
    if opened is not None:
        state = scenario.states.get(opened.state)
        if state is None or state.ending is None:
            turns.append((opened, None))
    times = tuple(max(0.0, round((reply.at - first.at).total_seconds(), 1))
                  for first, reply in turns if reply is not None)
    return ResponseStats(times, len(turns), len(times))


def timeliness_credit(stats: ResponseStats, timing: Timing) -> float:
    if not stats.turns:
        return 1.0
    return sum(timing.credit(t) for t in stats.times) / stats.turns


def score_conversation(scenario: Scenario, transcript: Sequence[TranscriptMessage],
                       rules: Rules) -> ConversationScore:
    ordered = sorted(transcript, key=lambda m: m.seq)
    replies = [_Reply(m.seq, m.text, m.state) for m in ordered if m.author is Author.TRAINEE]
    checks = _check_results(scenario, [(c, _in_scope(c, replies)) for c in scenario.checks])
    stats = response_stats(scenario, ordered)
    items: list[ItemScore] = []
    for item, maximum in scenario.rubric.items():
        if item is Item.TIMELINESS:
            points = maximum * timeliness_credit(stats, rules.timing)
        else:
            own = [c for c in scenario.checks if c.item is item]
            base = max(0.0, maximum - sum(c.points for c in own if c.points > 0))
            points = base + sum(r.points for r in checks if r.item is item)
        items.append(ItemScore(item, _round(min(max(points, 0.0), maximum)), float(maximum)))
    return ConversationScore(scenario.key, tuple(items), tuple(checks),
                             tuple(_violations(scenario, rules, replies)), stats)


def score_attempt(conversations: Sequence[ConversationScore], *,
                  pass_mark: int | None = None) -> AttemptScore:
    """All customers of an attempt together: points per item summed, out of 100."""
    totals: dict[Item, list[float]] = {}
    for conv in conversations:
        for item in conv.items:
            pts = totals.setdefault(item.item, [0.0, 0.0])
            pts[0] += item.points
            pts[1] += item.max_points
    items = tuple(ItemScore(i, _round(p), _round(m)) for i, (p, m) in
                  sorted(totals.items(), key=lambda kv: list(Item).index(kv[0])))
    maximum = sum(i.max_points for i in items)
    score = _round(100 * sum(i.points for i in items) / maximum) if maximum else 0.0
    violations = tuple(v for c in conversations for v in c.violations)
    passed = None
    if pass_mark is not None:
        passed = not violations and score >= pass_mark
    return AttemptScore(tuple(conversations), items, score, violations, pass_mark, passed,
                        violations[0].reason if violations else "")

