"""Trainers' review of finished chat attempts: the queue, the replay, reviewers' scores per
item (kept apart from the engine's, every change kept) and how often reviewers agree.

Who may see an attempt is the one rule of `portal.auth.access` (the trainee's cohort);
trainers and supervisors score, admins read. A reviewer's score is a new `ChatReview` row
each time, so the history stays; the current score of a reviewer for an item is their
latest row. The engine's points come from the attempt's stored `auto_result` and are never
changed here.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth import access
from portal.auth.models import Role, User
from portal.chat import agreement as agreement_rules
from portal.chat import scoring
from portal.chat.models import (
    ChatAttempt,
    ChatAttemptStatus,
    ChatConversation,
    ChatDrill,
    ChatDrillVersion,
    ChatMessage,
    ChatReview,
    ChatSender,
    ReviewReason,
)
from portal.chat.scenario import Item
from portal.chat.services.attempts import scenario_of
from portal.errors import Conflict, DomainError, Forbidden, NotFound
from portal.messages import N_

REVIEWER_ROLES = (Role.TRAINER, Role.SUPERVISOR)
MAX_COMMENT_CHARS = 1000
POINT_DECIMALS = 2  # scores are compared (and kept) to the hundredth of a point

def reason_label(reason: ReviewReason | str) -> str:
    """The Chinese label of a reason (a msgid; the web layer translates it)."""
    return ReviewReason(reason).label


class ReviewInvalid(DomainError):
    """A reviewer's score that cannot be kept (what and why in the message); nothing saved."""

    status = 422


# --- what the engine gave ---------------------------------------------------------------


@dataclass(frozen=True)
class EngineItem:
    """The engine's points for one rubric item of an attempt, over all its customers."""

    item: Item
    points: float
    max_points: float


def engine_result(attempt: ChatAttempt) -> scoring.AttemptScore | None:
    """The engine's scoring stored with the finished attempt."""
    return scoring.AttemptScore.from_data(attempt.auto_result) if attempt.auto_result else None


def engine_items(attempt: ChatAttempt) -> dict[Item, EngineItem]:
    """The engine's per-item points of the attempt (summed over its customers), in rubric
    order."""
    result = engine_result(attempt)
    if result is None:
        return {}
    return {i.item: EngineItem(i.item, _round(i.points), _round(i.max_points))
            for i in result.items}


def _round(value: float) -> float:
    return round(float(value), POINT_DECIMALS)


# --- reviewers' scores ----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemReview:
    """One reviewer's current score for one item of an attempt (their latest change)."""

    review_id: int
    attempt_id: int
    item: Item
    reviewer_id: int | None
    reviewer_name: str
    points: float
    max_points: float
    engine_points: float
    reason: ReviewReason
    comment: str
    at: datetime
    changes: int  # how many times this reviewer scored this item (1 = never changed)

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason)

    @property
    def differs(self) -> bool:
        return _round(self.points) != _round(self.engine_points)


@dataclass(frozen=True)
class ReviewChange:
    """One row of an item's history: who gave what, when, and why."""

    reviewer_name: str
    points: float
    reason: ReviewReason
    comment: str
    at: datetime

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason)


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(User.id, User.display_name)
                                .where(User.id.in_(wanted))).all())


def _current_reviews(session: Session, attempts: Mapping[int, ChatAttempt]
                     ) -> dict[int, list[ItemReview]]:
    """Every reviewer's latest score per item, per attempt (oldest reviewer first)."""
    if not attempts:
        return {}
    rows = session.scalars(sa.select(ChatReview)
                           .where(ChatReview.chat_attempt_id.in_(list(attempts)))
                           .order_by(ChatReview.created_at, ChatReview.id)).all()
    names = _names(session, (r.reviewer_id for r in rows))
    latest: dict[tuple[int, int | None, str], ChatReview] = {}
    counts: dict[tuple[int, int | None, str], int] = defaultdict(int)
    first_at: dict[tuple[int, int | None], int] = {}
    for position, row in enumerate(rows):
        key = (row.chat_attempt_id, row.reviewer_id, row.item)
        latest[key] = row
        counts[key] += 1
        first_at.setdefault((row.chat_attempt_id, row.reviewer_id), position)
    # The engine's points of the reviewed attempts only (decoding a stored result costs).
    engine = {attempt_id: engine_items(attempts[attempt_id])
              for attempt_id in {key[0] for key in latest}}
    order = list(Item)
    result: dict[int, list[ItemReview]] = defaultdict(list)
    for (attempt_id, reviewer_id, item_id), row in sorted(
            latest.items(), key=lambda kv: (first_at[(kv[0][0], kv[0][1])],
                                            _item_position(kv[0][2], order))):
        try:
            item = Item(item_id)
        except ValueError:
            continue
        scored = engine[attempt_id].get(item)
        result[attempt_id].append(ItemReview(
            review_id=row.id, attempt_id=attempt_id, item=item, reviewer_id=reviewer_id,
            reviewer_name=names.get(reviewer_id, "") if reviewer_id is not None else "",
            points=row.points, max_points=scored.max_points if scored else row.points,
            engine_points=scored.points if scored else 0.0, reason=row.reason,
            comment=row.comment, at=row.created_at,
            changes=counts[(attempt_id, reviewer_id, item_id)]))
    return result


def current_reviews(session: Session, *, attempts: Mapping[int, ChatAttempt]
                    ) -> dict[int, list[ItemReview]]:
    """Every reviewer's current score per item of each of `attempts` (by id), in two queries
    whatever their number (the caller has checked that the actor may see them)."""
    return _current_reviews(session, attempts)


def _item_position(item_id: str, order: list[Item]) -> int:
    try:
        return order.index(Item(item_id))
    except ValueError:
        return len(order)


def reviews_for_attempt(session: Session, *, attempt_id: int) -> list[ItemReview]:
    """Reviewers' current scores of an attempt, for its result page (the caller has checked
    that the viewer may see the attempt: the trainee who took it, or staff)."""
    attempt = session.get(ChatAttempt, attempt_id)
    if attempt is None:
        return []
    return _current_reviews(session, {attempt.id: attempt}).get(attempt.id, [])


def item_history(session: Session, *, attempt_id: int, item: Item) -> list[ReviewChange]:
    """Every score any reviewer gave this item of the attempt, oldest first."""
    rows = session.scalars(sa.select(ChatReview).where(
        ChatReview.chat_attempt_id == attempt_id, ChatReview.item == item.value)
        .order_by(ChatReview.created_at, ChatReview.id)).all()
    names = _names(session, (r.reviewer_id for r in rows))
    return [ReviewChange(reviewer_name=names.get(r.reviewer_id, "") if r.reviewer_id else "",
                         points=r.points, reason=r.reason, comment=r.comment, at=r.created_at)
            for r in rows]


# --- access ---------------------------------------------------------------------------------


def _visible_trainees(session: Session, *, actor: User) -> sa.ColumnElement[bool]:
    """The SQL form of `access.may_see_trainee` for listing many attempts at once: trainees
    of the cohorts the actor staffs; every trainee for an admin (tests check both agree)."""
    access.check_sees_trainees(actor)
    is_trainee = User.role == Role.TRAINEE
    if actor.role is Role.ADMIN:
        return is_trainee
    return sa.and_(is_trainee, User.cohort_id.in_(access.visible_cohort_ids(session,
                                                                           actor=actor)))


def _attempt_for(session: Session, *, actor: User, attempt_id: int) -> tuple[ChatAttempt, User]:
    """A finished attempt of a trainee the actor may see (else not found / forbidden)."""
    access.check_sees_trainees(actor)
    attempt = session.get(ChatAttempt, attempt_id)
    if attempt is None:
        raise NotFound(N_("找不到这次对话考试"))
    trainee = access.check_may_see_trainee(session, actor=actor, trainee_id=attempt.user_id)
    if attempt.status is not ChatAttemptStatus.FINISHED:
        raise Conflict(N_("这次对话考试还没有结束，结束后才能复核"))
    return attempt, trainee


def may_review(actor: User) -> bool:
    return actor.role in REVIEWER_ROLES


# --- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    attempt: ChatAttempt
    trainee: User
    drill_key: str
    drill_title: str
    reviewers: int  # distinct reviewers who scored at least one item
    reviewed_by_me: bool


@dataclass(frozen=True)
class DrillChoice:
    key: str
    title: str
    count: int


@dataclass(frozen=True)
class ReviewQueue:
    rows: list[QueueRow]
    drills: list[DrillChoice]
    drill_key: str
    pending_only: bool
    total: int


def review_queue(session: Session, *, actor: User, drill_key: str = "",
                 pending_only: bool = False) -> ReviewQueue:
    """Finished chat attempts of the trainees the actor may see, newest first; with
    `pending_only`, those no one has reviewed yet (for a reviewer: not by them)."""
    rows = session.execute(
        sa.select(ChatAttempt, User, ChatDrill.key, ChatDrillVersion.title)
        .join(User, User.id == ChatAttempt.user_id)
        .join(ChatDrill, ChatDrill.id == ChatAttempt.chat_drill_id)
        .join(ChatDrillVersion, ChatDrillVersion.id == ChatAttempt.chat_drill_version_id)
        .where(ChatAttempt.status == ChatAttemptStatus.FINISHED,
               _visible_trainees(session, actor=actor))
        .order_by(ChatAttempt.ended_at.desc(), ChatAttempt.id.desc())).all()
    reviewers: dict[int, set[int | None]] = defaultdict(set)
    if rows:
        for attempt_id, reviewer_id in session.execute(
                sa.select(ChatReview.chat_attempt_id, ChatReview.reviewer_id).distinct()
                .where(ChatReview.chat_attempt_id.in_([a.id for a, *_ in rows]))):
            reviewers[attempt_id].add(reviewer_id)
    counts: dict[str, DrillChoice] = {}
    shown: list[QueueRow] = []
    for attempt, trainee, key, title in rows:
        seen = counts.get(key)
        counts[key] = DrillChoice(key, title, (seen.count if seen else 0) + 1)
        by = reviewers.get(attempt.id, set())
        mine = actor.id in by
        if drill_key and key != drill_key:
            continue
        if pending_only and (mine if may_review(actor) else by):
            continue
        shown.append(QueueRow(attempt=attempt, trainee=trainee, drill_key=key,
                              drill_title=title, reviewers=len(by), reviewed_by_me=mine))
    return ReviewQueue(rows=shown, drills=sorted(counts.values(), key=lambda d: d.title),
                       drill_key=drill_key, pending_only=pending_only, total=len(rows))


# --- the replay -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayMessage:
    seq: int | None
    sender: ChatSender
    text: str
    at: datetime | None  # server time: delivered (customer) or received (trainee)
    state: str
    nudge: bool
    response_seconds: float | None  # a reply: server time since the message it answers
    checks: tuple[scoring.CheckResult, ...] = ()  # the engine's checks this reply fired
    violations: tuple[scoring.ViolationResult, ...] = ()

    @property
    def hits(self) -> tuple:
        """Every span of this reply that a check or a violation matched."""
        return tuple(h for c in (*self.checks, *self.violations) for h in c.hits)


@dataclass(frozen=True)
class ReplayConversation:
    slot: int
    customer_name: str
    scenario_title: str
    ending: str | None
    messages: list[ReplayMessage]

    @property
    def replies(self) -> list[ReplayMessage]:
        return [m for m in self.messages if m.sender is ChatSender.TRAINEE]


@dataclass(frozen=True)
class ItemRow:
    """One rubric item on the review page: the engine's points and every reviewer's."""

    engine: EngineItem
    reviews: list[ItemReview]
    mine: ItemReview | None
    history: list[ReviewChange] = field(default_factory=list)


@dataclass(frozen=True)
class Replay:
    attempt: ChatAttempt
    trainee: User
    drill_title: str
    conversations: list[ReplayConversation]
    items: list[ItemRow]
    may_review: bool


def response_times(messages: Iterable[ChatMessage]) -> dict[int, float]:
    """Server-time seconds from the first customer message a reply answers (the first one
    delivered since the trainee last wrote) to the reply, by the reply's message id."""
    times: dict[int, float] = {}
    waiting_since: datetime | None = None
    for message in messages:
        if message.sender is ChatSender.CUSTOMER and message.delivered_at is not None:
            if waiting_since is None:
                waiting_since = message.delivered_at
        elif message.sender is ChatSender.TRAINEE and message.sent_at is not None:
            if waiting_since is not None:
                times[message.id] = max(0.0, (message.sent_at - waiting_since).total_seconds())
            waiting_since = None
    return times


def _shown_order(messages: Iterable[ChatMessage]) -> list[ChatMessage]:
    """The messages the trainee saw, in the order they saw them (undelivered ones left out)."""
    seen = [m for m in messages if m.seq is not None]
    return sorted(seen, key=lambda m: m.seq or 0)


def attempt_replay(session: Session, *, actor: User, attempt_id: int) -> Replay:
    """The transcript with server timestamps and response times, the engine's points per item
    and every reviewer's current score (with each item's history)."""
    attempt, trainee = _attempt_for(session, actor=actor, attempt_id=attempt_id)
    conversations = session.scalars(
        sa.select(ChatConversation).where(ChatConversation.chat_attempt_id == attempt.id)
        .order_by(ChatConversation.slot)).all()
    result = engine_result(attempt)
    scored = list(result.conversations) if result is not None else []
    replays = []
    for index, conv in enumerate(conversations):
        shown = _shown_order(conv.messages)
        times = response_times(shown)
        # The engine scored the conversations in slot order (chat.services.attempts).
        evidence = scored[index] if index < len(scored) else None
        checks = evidence.checks if evidence is not None else ()
        violations = evidence.violations if evidence is not None else ()
        replays.append(ReplayConversation(
            slot=conv.slot, customer_name=scenario_of(conv.scenario_version).customer.name,
            scenario_title=conv.scenario_version.title, ending=conv.ending,
            messages=[ReplayMessage(
                seq=m.seq, sender=m.sender, text=m.text,
                at=m.delivered_at if m.sender is not ChatSender.TRAINEE else m.sent_at,
                state=m.state, nudge=m.nudge, response_seconds=times.get(m.id),
                checks=tuple(c for c in checks if c.seq is not None and c.seq == m.seq),
                violations=tuple(v for v in violations if v.seq is not None and v.seq == m.seq))
                for m in shown]))
    reviews = _current_reviews(session, {attempt.id: attempt}).get(attempt.id, [])
    rows = []
    for item, scored in engine_items(attempt).items():
        of_item = [r for r in reviews if r.item is item]
        rows.append(ItemRow(engine=scored, reviews=of_item,
                            mine=next((r for r in of_item if r.reviewer_id == actor.id), None),
                            history=item_history(session, attempt_id=attempt.id, item=item)))
    return Replay(attempt=attempt, trainee=trainee, drill_title=attempt.drill_version.title,
                  conversations=replays, items=rows, may_review=may_review(actor))


# --- scoring an item ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewInput:
    """What a reviewer submits for one item, as typed (validated by `record_review`)."""

    item: str
    points: str | float
    reason: str
    comment: str = ""


def _parse_points(raw: str | float, *, maximum: float, item: Item) -> float:
    label = item.label
    try:
        value = float(str(raw).strip()) if str(raw).strip() else math.nan
    except ValueError:
        raise ReviewInvalid(N_("「%(item)s」的分数“%(raw)s”不是数字"), item=label,
                            raw=str(raw)[:20]) from None
    if math.isnan(value) or math.isinf(value):
        raise ReviewInvalid(N_("请填写「%(item)s」的分数"), item=label)
    if value < 0 or value > maximum:
        raise ReviewInvalid(N_("「%(item)s」的分数应在 0 到 %(max)s 分之间"), item=label,
                            max=f"{maximum:g}")
    if _round(value) != value and abs(_round(value) - value) > 1e-9:
        raise ReviewInvalid(N_("「%(item)s」的分数最多保留两位小数"), item=label)
    return _round(value)


def record_review(session: Session, *, actor: User, attempt_id: int, entry: ReviewInput,
                  now: datetime) -> ItemReview:
    """Keep the actor's score for one item of an attempt, beside the engine's.

    Refused, with nothing saved: an actor who may not review or not see the trainee, an
    attempt not finished, an item outside the attempt's rubric, points outside 0..max, a
    reason not on the list, "agree" with points other than the engine's, "other" without a
    comment, a comment too long, or the same score, reason and comment as now.
    """
    if not may_review(actor):
        raise Forbidden(N_("只有培训组长和客服主管可以复核对话考试的评分"))
    attempt, _trainee = _attempt_for(session, actor=actor, attempt_id=attempt_id)
    engine = engine_items(attempt)
    try:
        item = Item(entry.item)
    except ValueError:
        raise ReviewInvalid(N_("这次考试没有这个评分项")) from None
    scored = engine.get(item)
    if scored is None:
        raise ReviewInvalid(N_("「%(item)s」不在这次考试的评分项里"), item=item.label)
    points = _parse_points(entry.points, maximum=scored.max_points, item=item)
    try:
        reason = ReviewReason(entry.reason)
    except ValueError:
        raise ReviewInvalid(N_("请为「%(item)s」从列表中选择复核理由"), item=item.label) from None
    comment = (entry.comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise ReviewInvalid(N_("「%(item)s」的备注最多 %(n)d 个字"), item=item.label,
                            n=MAX_COMMENT_CHARS)
    if reason is ReviewReason.AGREE and points != scored.points:
        raise ReviewInvalid(N_("「%(item)s」选了“同意系统评分”，分数应与系统的 %(engine)s 分相同"),
                            item=item.label, engine=f"{scored.points:g}")
    if reason is ReviewReason.OTHER and not comment:
        raise ReviewInvalid(N_("「%(item)s」的理由是“其他”，请在备注中说明"), item=item.label)
    mine = [r for r in reviews_for_attempt(session, attempt_id=attempt.id)
            if r.item is item and r.reviewer_id == actor.id]
    if mine and (mine[0].points, mine[0].reason, mine[0].comment) == (points, reason, comment):
        raise ReviewInvalid(N_("「%(item)s」的评分没有变化，未保存"), item=item.label)
    session.add(ChatReview(chat_attempt_id=attempt.id, reviewer_id=actor.id, item=item.value,
                           points=points, reason=reason, comment=comment, created_at=now))
    session.flush()
    return next(r for r in reviews_for_attempt(session, attempt_id=attempt.id)
                if r.item is item and r.reviewer_id == actor.id)


# --- agreement ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemAgreement:
    item: Item
    between_reviewers: agreement_rules.Agreement  # first two reviewers of each attempt
    with_engine: agreement_rules.Agreement  # every reviewer's score against the engine's


@dataclass(frozen=True)
class DrillAgreement:
    drill_key: str
    drill_title: str
    attempts: int  # reviewed attempts counted
    items: list[ItemAgreement]


def drill_agreement(session: Session, *, actor: User) -> list[DrillAgreement]:
    """Per drill and item: how often reviewers agree with each other and with the engine
    (observed agreement and Cohen's kappa), over the reviewed attempts the actor may see."""
    rows = session.execute(
        sa.select(ChatAttempt, ChatDrill.key, ChatDrillVersion.title)
        .join(User, User.id == ChatAttempt.user_id)
        .join(ChatDrill, ChatDrill.id == ChatAttempt.chat_drill_id)
        .join(ChatDrillVersion, ChatDrillVersion.id == ChatDrill.current_version_id)
        .where(ChatAttempt.status == ChatAttemptStatus.FINISHED,
               _visible_trainees(session, actor=actor),
               ChatAttempt.id.in_(sa.select(ChatReview.chat_attempt_id)))
        .order_by(ChatDrillVersion.title, ChatAttempt.id)).all()
    attempts = {a.id: a for a, _key, _title in rows}
    reviews = _current_reviews(session, attempts)
    drills: dict[str, tuple[str, list[int]]] = {}
    for attempt, key, title in rows:
        drills.setdefault(key, (title, []))[1].append(attempt.id)
    result = []
    for key, (title, attempt_ids) in drills.items():
        between: dict[Item, list[tuple[float, float]]] = defaultdict(list)
        engine: dict[Item, list[tuple[float, float]]] = defaultdict(list)
        for attempt_id in attempt_ids:
            by_item: dict[Item, list[ItemReview]] = defaultdict(list)
            for review in reviews.get(attempt_id, []):
                by_item[review.item].append(review)
                engine[review.item].append((_round(review.engine_points), _round(review.points)))
            for item, of_item in by_item.items():
                if len(of_item) >= 2:  # reviewers in the order they first reviewed
                    between[item].append((_round(of_item[0].points), _round(of_item[1].points)))
        items = [ItemAgreement(item=item, between_reviewers=agreement_rules.agreement(
                     between.get(item, [])), with_engine=agreement_rules.agreement(engine[item]))
                 for item in Item if item in engine]
        result.append(DrillAgreement(drill_key=key, drill_title=title,
                                     attempts=len(attempt_ids), items=items))
    return result
