"""What chat exams say about placement: per trainee and drill, the area scores and the table-2
item scores of the attempt that counts (the best-scored finished attempt, the earliest on
ties, as the drill's start page shows it), from the engine's stored scoring."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.chat import scoring
from portal.chat.models import ChatAttempt, ChatAttemptStatus, ChatDrillVersion
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


def counted_area_scores(session: Session, *, trainee_ids: Iterable[int]
                        ) -> dict[int, list[DrillAreaScores]]:
    """Per trainee, per drill with a finished scored attempt, that attempt's area and item
    scores. One query whatever the number of trainees."""
    ids = list(trainee_ids)
    result: dict[int, list[DrillAreaScores]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = session.execute(
        sa.select(ChatAttempt.user_id, ChatAttempt.chat_drill_id, ChatAttempt.number,
                  ChatAttempt.score, ChatAttempt.auto_result, ChatDrillVersion)
        .join(ChatDrillVersion, ChatDrillVersion.id == ChatAttempt.chat_drill_version_id)
        .where(ChatAttempt.user_id.in_(ids), ChatAttempt.status == ChatAttemptStatus.FINISHED,
               ChatAttempt.score.is_not(None), ChatAttempt.auto_result.is_not(None))
        .order_by(ChatAttempt.user_id, ChatAttempt.chat_drill_id, ChatAttempt.number)).all()
    best: dict[tuple[int, int], sa.Row] = {}
    for row in rows:
        key = (row.user_id, row.chat_drill_id)
        if key not in best or row.score > best[key].score:
            best[key] = row
    for (user_id, drill_id), row in sorted(best.items()):
        result_ = scoring.AttemptScore.from_data(row.auto_result)
        drill = drill_of(row.ChatDrillVersion)
        items = {i.item: round(100 * i.points / i.max_points, 2)
                 for i in result_.items if i.max_points > 0}
        result[user_id].append(DrillAreaScores(
            drill_id=drill_id, title=row.ChatDrillVersion.title, attempt_number=row.number,
            areas=result_.area_scores(drill.areas), items=items))
    return result
