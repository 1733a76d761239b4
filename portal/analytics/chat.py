"""Per chat-scenario analytics for trainers: how each scripted customer goes, across its
versions, over the finished attempts of the cohorts the actor follows.

Pure aggregation first (played customers in, frozen figures out, no database), then the
reads (`chat_index`, `scenario_analytics`), which load what they need in a fixed number of
queries whatever the number of attempts.

Definitions:

- A *played customer* is one conversation, pinned to a version of the scenario, of a finished
  attempt; its engine result is the conversation of the same slot in the attempt's stored
  `auto_result` (the engine scores the conversations in slot order). Attempts in progress
  are counted apart and are in no figure.
- Reviewers score an item of a whole attempt (its customers together). Their points belong
  to this scenario's customer only when it is the attempt's one customer scored on that item
  (the attempt's item points are then this customer's): there the mean of the reviewers'
  current points replaces the engine's in the item means (as placement counts them,
  `chat.services.areas`), and each reviewer's current points make an engine–reviewer pair.
  A review of an item several customers share cannot be attributed: it is counted apart.
- Item means: per table-2 item, the mean over played customers of points / maximum, in %.
- Failed checks: a check fails when it is positive and found nothing (MISSED) or negative
  and fired (DEDUCTED); its share is failures / played customers whose result lists it.
- Response times: the engine's seconds per customer turn (`ResponseStats.times`: from the
  turn's first message delivered to the first reply), an unanswered turn having none; banded
  by the current version's `Timing` as the timeliness credit bands them (≤ good, ≤ normal,
  < poor, ≥ poor). p50 and p90 over the answered turns by linear interpolation between
  closest ranks (R-7, numpy's default); the share within "good" is of every turn (an
  unanswered turn is not good).
- Violations: per critical violation, the played customers it was found in and their
  attempts; an attempt "failed by one" here had a violation with this customer.
- Agreement: each engine–reviewer pair as % of the item's maximum (items with different
  maxima on one scale); Cohen's kappa (equal points agree) and the quadratic-weighted kappa
  of `portal.chat.agreement`, per calendar month of the attempt's end in `tz`, or per ISO
  week (Monday to Sunday) when the pairs span less than two months.

Small samples: a figure over fewer than `stats.FEW_ATTEMPTS` (10) cases carries
`WarningCode.TOO_FEW_ATTEMPTS`, an agreement over fewer than 10 pairs `TOO_FEW_REVIEWS`.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.analytics.stats import FEW_ATTEMPTS, WarningCode
from portal.auth import access
from portal.auth.models import Cohort, Role, User
from portal.chat import agreement as agreement_rules
from portal.chat import scoring
from portal.chat.agreement import KappaBand
from portal.chat.models import (
    ChatAttempt,
    ChatAttemptStatus,
    ChatConversation,
    ChatDrill,
    ChatDrillVersion,
    ChatScenario,
    ChatScenarioVersion,
)
from portal.chat.scenario import CustomerType, Item, Timing, Violation
from portal.chat.scoring import CheckOutcome
from portal.chat.services import review
from portal.chat.services.attempts import drill_of, rules_of, scenario_of
from portal.cohorts.charts import Chart, Tone, columns
from portal.errors import NotFound
from portal.messages import N_

TOP_CHECKS = 10
FEW_REVIEWS = 10  # engine–reviewer pairs below which an agreement carries TOO_FEW_REVIEWS


class ChatWarning(StrEnum):
    """How far an agreement figure can be trusted (the web layer words it)."""

    TOO_FEW_REVIEWS = "too_few_reviews"  # fewer than 10 engine–reviewer pairs


def _few(n: int) -> tuple[WarningCode, ...]:
    return (WarningCode.TOO_FEW_ATTEMPTS,) if n < FEW_ATTEMPTS else ()


def _share(count: int, of: int) -> float | None:
    return count / of if of else None


# --- what the aggregation reads ---------------------------------------------------------------


@dataclass(frozen=True)
class ReviewedItem:
    """An item of a played customer that reviewers scored, attributable to that customer."""

    item: Item
    engine_points: float
    max_points: float
    reviewer_points: tuple[float, ...]  # each reviewer's current points

    @property
    def points(self) -> float:
        """The points that count: the reviewers' mean (placement's rule)."""
        return round(math.fsum(self.reviewer_points) / len(self.reviewer_points), 2)


@dataclass(frozen=True)
class Played:
    """One customer of this scenario in a finished attempt, as the engine scored it."""

    attempt_id: int
    version: int  # the scenario version's number
    ended_at: datetime
    result: scoring.ConversationScore
    reviewed: tuple[ReviewedItem, ...] = ()
    unattributed: int = 0  # reviewed items of the attempt this customer shares with others

    def counted_points(self) -> dict[Item, tuple[float, float]]:
        """(points, maximum) per item of the rubric, the reviewers' where they count."""
        mine = {r.item: r.points for r in self.reviewed}
        return {i.item: (mine.get(i.item, i.points), i.max_points)
                for i in self.result.items if i.max_points > 0}


# --- versions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    number: int
    title: str
    created_at: datetime
    current: bool


@dataclass(frozen=True)
class VersionRow:
    number: int
    title: str
    created_at: datetime
    current: bool
    customers: int  # played customers of this version
    mean_percent: float | None  # their counted points as % of the maximum, averaged


def version_rows(versions: Sequence[VersionInfo], played: Sequence[Played]
                 ) -> tuple[VersionRow, ...]:
    percents: dict[int, list[float]] = defaultdict(list)
    for p in played:
        counted = p.counted_points().values()
        maximum = math.fsum(m for _, m in counted)
        if maximum > 0:
            percents[p.version].append(100 * math.fsum(pts for pts, _ in counted) / maximum)
    return tuple(VersionRow(
        number=v.number, title=v.title, created_at=v.created_at, current=v.current,
        customers=len(percents.get(v.number, [])),
        mean_percent=(math.fsum(percents[v.number]) / len(percents[v.number])
                      if percents.get(v.number) else None))
        for v in sorted(versions, key=lambda v: v.number))


# --- 1. table-2 items -------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    item: Item
    n: int  # played customers scored on the item
    mean_percent: float
    mean_points: float | None  # None when versions gave the item different maxima
    max_points: float | None
    reviewed: int  # of n, customers whose points are the reviewers'
    warnings: tuple[WarningCode, ...]


def item_rows(played: Sequence[Played]) -> tuple[ItemRow, ...]:
    """Per item (in table-2 order), the mean of points / maximum over the played customers."""
    values: dict[Item, list[tuple[float, float]]] = defaultdict(list)
    reviewed: Counter[Item] = Counter()
    for p in played:
        mine = {r.item for r in p.reviewed}
        for item, pair in p.counted_points().items():
            values[item].append(pair)
            reviewed[item] += item in mine
    rows = []
    for item in Item:
        pairs = values.get(item)
        if not pairs:
            continue
        n = len(pairs)
        maxima = {m for _, m in pairs}
        same = len(maxima) == 1
        rows.append(ItemRow(
            item=item, n=n, mean_percent=100 * math.fsum(p / m for p, m in pairs) / n,
            mean_points=math.fsum(p for p, _ in pairs) / n if same else None,
            max_points=next(iter(maxima)) if same else None, reviewed=reviewed[item],
            warnings=_few(n)))
    return tuple(rows)


# --- 2. the checks most often failed ------------------------------------------------------------


@dataclass(frozen=True)
class CheckText:
    """What a trainer reads of a check: its item and its tip (the scenario file's words)."""

    item: Item
    tip: str


@dataclass(frozen=True)
class CheckRow:
    check: str  # the check's id in the scenario file (never shown)
    item: Item
    tip: str
    failed: int
    missed: int  # a positive check that found nothing
    deducted: int  # a negative check that fired
    evaluated: int  # played customers whose result lists the check
    warnings: tuple[WarningCode, ...]

    @property
    def share(self) -> float | None:
        return _share(self.failed, self.evaluated)


@dataclass(frozen=True)
class CheckTable:
    rows: tuple[CheckRow, ...]  # the most often failed, at most TOP_CHECKS
    checks: int  # distinct checks in the results
    failing: int  # of them, failed at least once


FAILED = (CheckOutcome.MISSED, CheckOutcome.DEDUCTED)


def failed_checks(played: Sequence[Played], *, texts: Mapping[str, CheckText] | None = None,
                  top: int = TOP_CHECKS) -> CheckTable:
    """The checks failed most often (ties: the higher share, then the check's id). A check's
    words come from `texts` (the current version's), else from its latest stored result."""
    evaluated: Counter[str] = Counter()
    outcomes: dict[str, Counter[CheckOutcome]] = defaultdict(Counter)
    stored: dict[str, CheckText] = {}
    for p in sorted(played, key=lambda p: (p.ended_at, p.attempt_id)):
        seen: set[str] = set()
        for check in p.result.checks:
            if check.check in seen:
                continue
            seen.add(check.check)
            evaluated[check.check] += 1
            outcomes[check.check][check.outcome] += 1
            stored[check.check] = CheckText(check.item, check.tip)
    rows = []
    for check, n in evaluated.items():
        counts = outcomes[check]
        failed = counts[CheckOutcome.MISSED] + counts[CheckOutcome.DEDUCTED]
        if not failed:
            continue
        text = (texts or {}).get(check) or stored[check]
        rows.append(CheckRow(check=check, item=text.item, tip=text.tip, failed=failed,
                             missed=counts[CheckOutcome.MISSED],
                             deducted=counts[CheckOutcome.DEDUCTED], evaluated=n,
                             warnings=_few(n)))
    rows.sort(key=lambda r: (-r.failed, -(r.share or 0), r.check))
    return CheckTable(rows=tuple(rows[:top]), checks=len(evaluated), failing=len(rows))


# --- 3. response times --------------------------------------------------------------------------


class TimeBand(StrEnum):
    """A response time as the timeliness credit bands it (Timing)."""

    GOOD = "good"  # ≤ good: full credit
    NORMAL = "normal"  # ≤ normal: 60 %
    SLOW = "slow"  # < poor: 30 %
    TOO_SLOW = "too_slow"  # ≥ poor: nothing
    UNANSWERED = "unanswered"  # the turn got no reply


def time_band(seconds: float, timing: Timing) -> TimeBand:
    if seconds <= timing.good:
        return TimeBand.GOOD
    if seconds <= timing.normal:
        return TimeBand.NORMAL
    if seconds < timing.poor:
        return TimeBand.SLOW
    return TimeBand.TOO_SLOW


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between closest ranks (R-7)."""
    if not values:
        return None
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


@dataclass(frozen=True)
class BandCount:
    band: TimeBand
    count: int
    share: float | None  # of every turn


@dataclass(frozen=True)
class ResponseTimes:
    timing: Timing
    turns: int  # customer turns that needed an answer
    answered: int
    bands: tuple[BandCount, ...]  # in TimeBand order, unanswered last
    p50: float | None
    p90: float | None
    warnings: tuple[WarningCode, ...]

    def count(self, band: TimeBand) -> int:
        return next(b.count for b in self.bands if b.band == band)

    @property
    def good_share(self) -> float | None:
        return _share(self.count(TimeBand.GOOD), self.turns)


def response_times(played: Sequence[Played], timing: Timing) -> ResponseTimes:
    times = [t for p in played for t in p.result.response.times]
    turns = sum(p.result.response.turns for p in played)
    unanswered = sum(p.result.response.turns - p.result.response.answered for p in played)
    counts = Counter(time_band(t, timing) for t in times)
    counts[TimeBand.UNANSWERED] = unanswered
    return ResponseTimes(
        timing=timing, turns=turns, answered=len(times),
        bands=tuple(BandCount(b, counts[b], _share(counts[b], turns)) for b in TimeBand),
        p50=percentile(times, 0.5), p90=percentile(times, 0.9), warnings=_few(turns))


TONES = {TimeBand.GOOD: Tone.PASS, TimeBand.NORMAL: Tone.LATE, TimeBand.SLOW: Tone.FAIL,
         TimeBand.TOO_SLOW: Tone.FAIL, TimeBand.UNANSWERED: Tone.EMPTY}


def response_chart(times: ResponseTimes, labels: Mapping[TimeBand, str]) -> Chart:
    """Vertical bars, one per band (the cohort dashboard's geometry and tones), each with
    its count; `labels` name the bands in the reader's language."""
    return columns([(band.count, TONES[band.band], labels[band.band]) for band in times.bands])


# --- 4. critical violations ---------------------------------------------------------------------


@dataclass(frozen=True)
class ViolationRow:
    violation: Violation
    customers: int  # played customers it was found in
    attempts: int  # their attempts (each failed by it)
    share: float | None  # of the attempts counted


@dataclass(frozen=True)
class ViolationTable:
    rows: tuple[ViolationRow, ...]  # most frequent first
    attempts: int  # finished attempts counted
    failed: int  # of them, failed by a violation with this customer
    warnings: tuple[WarningCode, ...]

    @property
    def share(self) -> float | None:
        return _share(self.failed, self.attempts)


def violation_table(played: Sequence[Played]) -> ViolationTable:
    attempts = {p.attempt_id for p in played}
    customers: Counter[Violation] = Counter()
    by: dict[Violation, set[int]] = defaultdict(set)
    failed: set[int] = set()
    for p in played:
        found = {v.id for v in p.result.violations}
        for violation in found:
            customers[violation] += 1
            by[violation].add(p.attempt_id)
        if found:
            failed.add(p.attempt_id)
    order = list(Violation)
    rows = sorted((ViolationRow(v, customers[v], len(by[v]), _share(len(by[v]), len(attempts)))
                   for v in customers), key=lambda r: (-r.customers, order.index(r.violation)))
    return ViolationTable(rows=tuple(rows), attempts=len(attempts), failed=len(failed),
                          warnings=_few(len(attempts)))


# --- 5. engine–reviewer agreement over time -----------------------------------------------------


class Granularity(StrEnum):
    MONTH = "month"
    WEEK = "week"


@dataclass(frozen=True)
class PeriodAgreement:
    start: date
    end: date  # inclusive
    pairs: int
    agreed: int
    kappa: float | None
    weighted_kappa: float | None
    warnings: tuple[ChatWarning, ...]

    @property
    def rate(self) -> float | None:
        return _share(self.agreed, self.pairs)

    @property
    def band(self) -> KappaBand | None:
        return agreement_rules.kappa_band(self.kappa) if self.kappa is not None else None


@dataclass(frozen=True)
class AgreementTable:
    granularity: Granularity | None  # None without pairs
    periods: tuple[PeriodAgreement, ...]  # every period from the first pair's to the last's
    total: PeriodAgreement | None
    items: tuple[tuple[Item, int], ...]  # the items reviewers scored, with their pairs
    unattributed: int  # reviewed items shared with other customers, not counted


def _percent(points: float, maximum: float) -> float:
    return round(100 * points / maximum, 2)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _period(day: date, granularity: Granularity) -> tuple[date, date]:
    if granularity is Granularity.MONTH:
        start = day.replace(day=1)
        return start, _add_months(start, 1) - timedelta(days=1)
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


def _agreement(start: date, end: date, pairs: Sequence[tuple[float, float]]) -> PeriodAgreement:
    found = agreement_rules.agreement(pairs)
    return PeriodAgreement(
        start=start, end=end, pairs=found.pairs, agreed=found.agreed, kappa=found.kappa,
        weighted_kappa=agreement_rules.quadratic_weighted_kappa(pairs),
        warnings=(ChatWarning.TOO_FEW_REVIEWS,) if len(pairs) < FEW_REVIEWS else ())


def agreement_by_period(played: Sequence[Played], *, tz: tzinfo) -> AgreementTable:
    """Engine–reviewer agreement per month (per week under two months of data)."""
    dated: list[tuple[date, tuple[float, float]]] = []
    items: Counter[Item] = Counter()
    for p in played:
        day = p.ended_at.astimezone(tz).date()
        for r in p.reviewed:
            for points in r.reviewer_points:
                dated.append((day, (_percent(r.engine_points, r.max_points),
                                    _percent(points, r.max_points))))
                items[r.item] += 1
    unattributed = sum(p.unattributed for p in played)
    if not dated:
        return AgreementTable(None, (), None, (), unattributed)
    first = min(d for d, _ in dated)
    last = max(d for d, _ in dated)
    granularity = Granularity.WEEK if last < _add_months(first, 2) else Granularity.MONTH
    grouped: dict[date, list[tuple[float, float]]] = defaultdict(list)
    for day, pair in dated:
        grouped[_period(day, granularity)[0]].append(pair)
    periods = []
    start, end = _period(first, granularity)
    while start <= last:
        periods.append(_agreement(start, end, grouped.get(start, [])))
        start, end = _period(end + timedelta(days=1), granularity)
    order = list(Item)
    return AgreementTable(
        granularity=granularity, periods=tuple(periods),
        total=_agreement(periods[0].start, periods[-1].end, [pair for _, pair in dated]),
        items=tuple(sorted(items.items(), key=lambda kv: order.index(kv[0]))),
        unattributed=unattributed)


# --- the reads: who sees what -------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The cohorts the figures cover: all the actor follows, or the one chosen of them."""

    cohorts: tuple[Cohort, ...]  # what the picker offers
    cohort: Cohort | None  # the one chosen; None for every followed cohort
    cohort_ids: frozenset[int]


def _scope(session: Session, *, actor: User, cohort_id: int | None) -> Scope:
    access.check_sees_trainees(actor)
    cohorts = tuple(access.visible_cohorts(session, actor=actor))
    if cohort_id is None:
        return Scope(cohorts, None, frozenset(c.id for c in cohorts))
    chosen = next((c for c in cohorts if c.id == cohort_id), None)
    if chosen is None:  # not found, or not followed: the one rule says which
        chosen = access.check_may_see_cohort(session, actor=actor, cohort_id=cohort_id)
    return Scope(cohorts, chosen, frozenset({chosen.id}))


def _trainees_of(scope: Scope) -> sa.ColumnElement[bool]:
    """The SQL form of the scope: trainees of its cohorts."""
    return sa.and_(User.role == Role.TRAINEE, User.cohort_id.in_(sorted(scope.cohort_ids)))


# --- 6. the index -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioSummary:
    key: str
    title: str
    customer_name: str
    customer_type: CustomerType
    versions: int
    current_version: int | None  # None: no longer online
    finished: int  # finished attempts with this customer
    customers: int  # played customers (a drill may have the scenario twice)
    in_progress: int


@dataclass(frozen=True)
class DrillSummary:
    key: str
    title: str
    versions: int
    current_version: int | None
    finished: int
    in_progress: int
    scenario_keys: tuple[str, ...]  # its customers, as the current (else latest) version lists


@dataclass(frozen=True)
class ChatIndex:
    scope: Scope
    drills: tuple[DrillSummary, ...]
    scenarios: tuple[ScenarioSummary, ...]

    def scenario(self, key: str) -> ScenarioSummary | None:
        return next((s for s in self.scenarios if s.key == key), None)


def chat_index(session: Session, *, actor: User, cohort_id: int | None = None) -> ChatIndex:
    """Every drill and scenario online or played in the scope, with attempts counted."""
    scope = _scope(session, actor=actor, cohort_id=cohort_id)
    scenario_counts: dict[tuple[int, ChatAttemptStatus], tuple[int, int]] = {}
    drill_counts: dict[tuple[int, ChatAttemptStatus], int] = {}
    if scope.cohort_ids:
        for scenario_id, status, attempts, customers in session.execute(
                sa.select(ChatScenarioVersion.chat_scenario_id, ChatAttempt.status,
                          sa.func.count(sa.distinct(ChatAttempt.id)),
                          sa.func.count(ChatConversation.id))
                .select_from(ChatConversation)
                .join(ChatAttempt, ChatAttempt.id == ChatConversation.chat_attempt_id)
                .join(User, User.id == ChatAttempt.user_id)
                .join(ChatScenarioVersion,
                      ChatScenarioVersion.id == ChatConversation.chat_scenario_version_id)
                .where(_trainees_of(scope))
                .group_by(ChatScenarioVersion.chat_scenario_id, ChatAttempt.status)):
            scenario_counts[(scenario_id, status)] = (attempts, customers)
        for drill_id, status, attempts in session.execute(
                sa.select(ChatAttempt.chat_drill_id, ChatAttempt.status, sa.func.count())
                .join(User, User.id == ChatAttempt.user_id)
                .where(_trainees_of(scope))
                .group_by(ChatAttempt.chat_drill_id, ChatAttempt.status)):
            drill_counts[(drill_id, status)] = attempts
    finished, running = ChatAttemptStatus.FINISHED, ChatAttemptStatus.IN_PROGRESS

    scenario_versions: dict[int, list[ChatScenarioVersion]] = defaultdict(list)
    for version in session.scalars(sa.select(ChatScenarioVersion)
                                   .order_by(ChatScenarioVersion.number)):
        scenario_versions[version.chat_scenario_id].append(version)
    scenarios = []
    for scenario in session.scalars(sa.select(ChatScenario)):
        versions = scenario_versions.get(scenario.id, [])
        done = scenario_counts.get((scenario.id, finished), (0, 0))
        running_n = scenario_counts.get((scenario.id, running), (0, 0))[0]
        if not versions or (scenario.current_version_id is None and not done[0] + running_n):
            continue
        shown = next((v for v in versions if v.id == scenario.current_version_id), versions[-1])
        definition = scenario_of(shown)
        scenarios.append(ScenarioSummary(
            key=scenario.key, title=shown.title, customer_name=definition.customer.name,
            customer_type=definition.customer.type, versions=len(versions),
            current_version=shown.number if scenario.current_version_id else None,
            finished=done[0], customers=done[1], in_progress=running_n))
    scenarios.sort(key=lambda s: (s.title, s.key))

    drill_versions: dict[int, list[ChatDrillVersion]] = defaultdict(list)
    for dv in session.scalars(sa.select(ChatDrillVersion).order_by(ChatDrillVersion.number)):
        drill_versions[dv.chat_drill_id].append(dv)
    drills = []
    for drill in session.scalars(sa.select(ChatDrill)):
        dversions = drill_versions.get(drill.id, [])
        done_n = drill_counts.get((drill.id, finished), 0)
        running_n = drill_counts.get((drill.id, running), 0)
        if not dversions or (drill.current_version_id is None and not done_n + running_n):
            continue
        dshown = next((v for v in dversions if v.id == drill.current_version_id), dversions[-1])
        drills.append(DrillSummary(
            key=drill.key, title=dshown.title, versions=len(dversions),
            current_version=dshown.number if drill.current_version_id else None,
            finished=done_n, in_progress=running_n,
            scenario_keys=tuple(c.scenario for c in drill_of(dshown).customers)))
    drills.sort(key=lambda d: (d.title, d.key))
    return ChatIndex(scope=scope, drills=tuple(drills), scenarios=tuple(scenarios))


# --- the scenario page --------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioAnalytics:
    scope: Scope
    key: str
    title: str  # the current (else latest) version's
    customer_name: str
    customer_type: CustomerType
    current_version: int | None
    versions: tuple[VersionRow, ...]
    drills: tuple[str, ...]  # titles of the drills it was played in
    attempts: int  # finished attempts counted
    customers: int  # played customers counted
    in_progress: int  # attempts not finished, not counted
    overdue: int  # of them, past their time limit (the sweep will end and score them)
    items: tuple[ItemRow, ...]
    checks: CheckTable
    response: ResponseTimes
    violations: ViolationTable
    agreement: AgreementTable


def _played(scenario_key: str, versions: Mapping[int, ChatScenarioVersion],
            rows: Sequence[tuple[ChatAttempt, int, int]],
            reviews: Mapping[int, Sequence[review.ItemReview]]) -> list[Played]:
    """The played customers of finished attempts: each one's stored engine result, and the
    reviewers' points of the items only it is scored on in its attempt."""
    results: dict[int, scoring.AttemptScore] = {}
    played = []
    for attempt, slot, version_id in rows:
        if attempt.status is not ChatAttemptStatus.FINISHED or not attempt.auto_result:
            continue
        result = results.get(attempt.id)
        if result is None:
            result = results[attempt.id] = scoring.AttemptScore.from_data(attempt.auto_result)
        if slot >= len(result.conversations) or result.conversations[slot].scenario != scenario_key:
            continue  # not scored as this customer (never for an attempt the engine ended)
        conversation = result.conversations[slot]
        shared = Counter(i.item for c in result.conversations for i in c.items if i.max_points > 0)
        own = {i.item: i for i in conversation.items if i.max_points > 0}
        by_item: dict[Item, list[float]] = defaultdict(list)
        for r in reviews.get(attempt.id, ()):
            by_item[r.item].append(r.points)
        reviewed, unattributed = [], 0
        for item, points in by_item.items():
            if item not in own:
                continue
            if shared[item] == 1:
                reviewed.append(ReviewedItem(item, own[item].points, own[item].max_points,
                                             tuple(points)))
            else:
                unattributed += 1
        assert attempt.ended_at is not None
        played.append(Played(attempt_id=attempt.id, version=versions[version_id].number,
                             ended_at=attempt.ended_at, result=conversation,
                             reviewed=tuple(reviewed), unattributed=unattributed))
    return played


def scenario_analytics(session: Session, *, actor: User, scenario_key: str,
                       cohort_id: int | None = None, now: datetime,
                       tz: tzinfo) -> ScenarioAnalytics:
    """Every figure of one scenario's page over the scope (see the module docstring).

    Raises NotFound for an unknown scenario; Forbidden for an actor who sees no trainees or
    a cohort they do not follow."""
    scope = _scope(session, actor=actor, cohort_id=cohort_id)
    scenario = session.scalar(sa.select(ChatScenario).where(ChatScenario.key == scenario_key))
    if scenario is None:
        raise NotFound(N_("找不到这个对话场景"))
    versions = {v.id: v for v in session.scalars(
        sa.select(ChatScenarioVersion).where(ChatScenarioVersion.chat_scenario_id == scenario.id)
        .order_by(ChatScenarioVersion.number))}
    if not versions:
        raise NotFound(N_("找不到这个对话场景"))
    latest = max(versions.values(), key=lambda v: v.number)
    shown = versions.get(scenario.current_version_id or 0, latest)
    definition = scenario_of(shown)
    rows: list[tuple[ChatAttempt, int, int]] = []
    if scope.cohort_ids:
        rows = [(attempt, slot, version_id) for attempt, slot, version_id in session.execute(
            sa.select(ChatAttempt, ChatConversation.slot, ChatConversation.chat_scenario_version_id)
            .join(ChatConversation, ChatConversation.chat_attempt_id == ChatAttempt.id)
            .join(User, User.id == ChatAttempt.user_id)
            .where(ChatConversation.chat_scenario_version_id.in_(list(versions)),
                   _trainees_of(scope))
            .order_by(ChatAttempt.ended_at, ChatAttempt.id, ChatConversation.slot)).all()]
    running = {a.id: a for a, _, _ in rows if a.status is ChatAttemptStatus.IN_PROGRESS}
    finished = {a.id: a for a, _, _ in rows if a.status is ChatAttemptStatus.FINISHED}
    reviews = review.current_reviews(session, attempts=finished) if finished else {}
    drill_version_ids = {a.chat_drill_version_id for a in finished.values()}
    drills = sorted(set(session.scalars(sa.select(ChatDrillVersion.title).where(
        ChatDrillVersion.id.in_(drill_version_ids))))) if drill_version_ids else []

    played = _played(scenario.key, versions, rows, reviews)
    texts = {c.id: CheckText(c.item, c.tip) for c in definition.checks}
    return ScenarioAnalytics(
        scope=scope, key=scenario.key, title=shown.title, customer_name=definition.customer.name,
        customer_type=definition.customer.type,
        current_version=shown.number if scenario.current_version_id else None,
        versions=version_rows([VersionInfo(v.number, v.title, v.created_at,
                                           v.id == scenario.current_version_id)
                               for v in versions.values()], played),
        drills=tuple(drills), attempts=len({p.attempt_id for p in played}),
        customers=len(played), in_progress=len(running),
        overdue=sum(1 for a in running.values() if a.deadline_at <= now),
        items=item_rows(played), checks=failed_checks(played, texts=texts),
        response=response_times(played, rules_of(shown).timing),
        violations=violation_table(played), agreement=agreement_by_period(played, tz=tz))
