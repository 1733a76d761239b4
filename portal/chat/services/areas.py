"""What chat exams say about placement: per trainee and drill, the area scores and the table-2
item scores of the attempt that counts (the best-scored finished attempt, the earliest on
ties, as the drill's start page shows it), from the engine's stored scoring where no reviewer
scored an item, and the mean of the reviewers' current scores where some did (a trainer's
correction of the engine counts); and the typing speed measured from a trainee's finished
attempts (evidence for the observation forms)."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.chat import scoring, stats
from portal.chat.models import (
    ChatAttempt,
    ChatAttemptStatus,
    ChatDrillVersion,
    ChatMessage,
    ChatReview,
    ChatSender,
)
from portal.chat.scenario import Area, Item
from portal.chat.services.attempts import drill_of


@dataclass(frozen=True)
class DrillAreaScores:
    """The counted attempt of one drill: 0-100 per placement area and per rubric item."""

    drill_id: int
    title: str
    attempt_number: int
    areas: Mapping[Area, float]
    items: Mapping[Item, float]
    attempt_id: int = 0
    item_scores: tuple[scoring.ItemScore, ...] = ()  # the points per item that count
    reviewed: frozenset[Item] = frozenset()  # items whose points are the reviewers' mean


def counted_area_scores(session: Session, *, trainee_ids: Iterable[int]
                        ) -> dict[int, list[DrillAreaScores]]:
    """Per trainee, per drill with a finished scored attempt, that attempt's area and item
    scores. One query whatever the number of trainees."""
    ids = list(trainee_ids)
    result: dict[int, list[DrillAreaScores]] = {i: [] for i in ids}
    if not ids:
        return result
    # The versions are read apart: joined to each attempt, a version's definition (JSON)
    # would be decoded once per attempt row.
    rows = session.execute(
        sa.select(ChatAttempt.id, ChatAttempt.user_id, ChatAttempt.chat_drill_id,
                  ChatAttempt.number, ChatAttempt.score, ChatAttempt.auto_result,
                  ChatAttempt.chat_drill_version_id)
        .where(ChatAttempt.user_id.in_(ids), ChatAttempt.status == ChatAttemptStatus.FINISHED,
               ChatAttempt.score.is_not(None), ChatAttempt.auto_result.is_not(None))
        .order_by(ChatAttempt.user_id, ChatAttempt.chat_drill_id, ChatAttempt.number)).all()
    best: dict[tuple[int, int], sa.Row] = {}
    for row in rows:
        key = (row.user_id, row.chat_drill_id)
        if key not in best or row.score > best[key].score:
            best[key] = row
    version_ids = {row.chat_drill_version_id for row in best.values()}
    versions = {v.id: v for v in session.scalars(
        sa.select(ChatDrillVersion).where(ChatDrillVersion.id.in_(version_ids)))
        } if version_ids else {}
    reviewed = _reviewed_points(session, attempt_ids=[row.id for row in best.values()])
    for (user_id, drill_id), row in sorted(best.items()):
        engine = scoring.AttemptScore.from_data(row.auto_result)
        mine = reviewed.get(row.id, {})
        result_ = dataclasses.replace(engine, items=tuple(
            dataclasses.replace(i, points=mine[i.item]) if i.item in mine else i
            for i in engine.items))
        version = versions[row.chat_drill_version_id]
        drill = drill_of(version)
        items = {i.item: round(100 * i.points / i.max_points, 2)
                 for i in result_.items if i.max_points > 0}
        result[user_id].append(DrillAreaScores(
            drill_id=drill_id, title=version.title, attempt_number=row.number,
            areas=result_.area_scores(drill.areas), items=items, attempt_id=row.id,
            item_scores=tuple(i for i in result_.items if i.max_points > 0),
            reviewed=frozenset(i.item for i in engine.items if i.item in mine)))
    return result


def _reviewed_points(session: Session, *, attempt_ids: list[int]) -> dict[int, dict[Item, float]]:
    """Per attempt and item, the mean of the reviewers' current (latest) points; one query."""
    if not attempt_ids:
        return {}
    latest: dict[tuple[int, int | None, str], float] = {}
    for attempt_id, reviewer_id, item, points in session.execute(
            sa.select(ChatReview.chat_attempt_id, ChatReview.reviewer_id, ChatReview.item,
                      ChatReview.points)
            .where(ChatReview.chat_attempt_id.in_(attempt_ids))
            .order_by(ChatReview.created_at, ChatReview.id)):
        latest[(attempt_id, reviewer_id, item)] = points  # ascending: the last one wins
    by_item: dict[tuple[int, str], list[float]] = {}
    for (attempt_id, _reviewer, item), points in latest.items():
        by_item.setdefault((attempt_id, item), []).append(points)
    found: dict[int, dict[Item, float]] = {}
    for (attempt_id, item), values in by_item.items():
        try:
            key = Item(item)
        except ValueError:  # an item no longer in the rubric
            continue
        found.setdefault(attempt_id, {})[key] = round(sum(values) / len(values), 2)
    return found


def typing_speeds(session: Session, *, trainee_ids: Iterable[int]
                  ) -> dict[int, stats.TypingSpeed | None]:
    """Per trainee, the typing speed of their replies over all their finished attempts
    (`portal.chat.stats.typing_speed`), None when none could be timed. One query whatever
    the number of trainees."""
    ids = list(trainee_ids)
    found: dict[int, dict[int, list[stats.Turn]]] = {i: {} for i in ids}
    if not ids:
        return {}
    rows = session.execute(
        sa.select(ChatAttempt.user_id, ChatMessage.chat_conversation_id, ChatMessage.sender,
                  ChatMessage.text, ChatMessage.delivered_at, ChatMessage.sent_at)
        .join(ChatAttempt, ChatAttempt.id == ChatMessage.chat_attempt_id)
        .where(ChatAttempt.user_id.in_(ids), ChatAttempt.status == ChatAttemptStatus.FINISHED,
               ChatMessage.seq.is_not(None),
               ChatMessage.sender.in_([ChatSender.CUSTOMER, ChatSender.TRAINEE]))
        .order_by(ChatAttempt.user_id, ChatMessage.chat_conversation_id, ChatMessage.seq))
    for user_id, conversation_id, sender, text, delivered_at, sent_at in rows:
        at = delivered_at if sender is ChatSender.CUSTOMER else sent_at
        if at is None:
            continue
        found[user_id].setdefault(conversation_id, []).append(
            stats.Turn(from_customer=sender is ChatSender.CUSTOMER, text=text, at=at))
    return {user_id: stats.typing_speed(conversations.values())
            for user_id, conversations in found.items()}
