"""Area scores of written exams: how a trainee did on the questions that feed each placement
area (an exam's `areas` map question tags to pre-sales, after-sales or general).

The area score of a graded attempt is the points earned over the points possible on the
questions carrying a tag of that area, 0-100; a question whose tags name two areas counts
in both; an area no question of the attempt feeds has no score (never 0). The service reads,
for many trainees at once, the attempt that counts for each exam (`rules.counted_number`,
the same rule as the trainee's result) and its area scores, against the exam version the
attempt was taken on.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.exams import rules
from portal.exams.definitions import AREAS
from portal.exams.models import Attempt, AttemptStatus, ExamVersion, QuestionVersion, Response


class Area(StrEnum):
    """The placement areas an exam's `areas` may name (definitions.AREAS)."""

    PRE_SALES = "pre-sales"
    AFTER_SALES = "after-sales"
    GENERAL = "general"


assert tuple(a.value for a in Area) == AREAS


@dataclass(frozen=True)
class ScoredQuestion:
    """One question of a graded attempt: its tags and points (None: not graded, counts 0)."""

    tags: tuple[str, ...]
    points: float | None
    max_points: float


def area_scores(areas: Mapping[str, str], questions: Iterable[ScoredQuestion]) -> dict[Area, float]:
    """0-100 per area, over the questions carrying a tag the exam maps to that area (rounded
    to two decimals). Areas no question feeds, and those worth 0 points, are left out."""
    earned: dict[Area, list[float]] = {}
    for question in questions:
        fed = {Area(areas[t]) for t in question.tags if areas.get(t) in AREAS}
        for area in fed:
            pts = earned.setdefault(area, [0.0, 0.0])
            pts[0] += question.points or 0.0
            pts[1] += question.max_points
    return {a: round(100 * p / m, 2) for a, (p, m) in earned.items() if m > 0}


@dataclass(frozen=True)
class ExamAreaScores:
    """The area scores of the attempt that counts for one exam."""

    exam_id: int
    title: str
    attempt_number: int
    scores: Mapping[Area, float]


def counted_area_scores(session: Session, *, trainee_ids: Iterable[int]
                        ) -> dict[int, list[ExamAreaScores]]:
    """Per trainee, per exam with a graded attempt, the area scores of the attempt that counts.

    Two queries whatever the number of trainees: the graded attempts with their exam
    versions, then the counted attempts' responses with their questions' tags."""
    ids = list(trainee_ids)
    result: dict[int, list[ExamAreaScores]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = session.execute(
        sa.select(Attempt.id, Attempt.user_id, Attempt.exam_id, Attempt.number, Attempt.score,
                  ExamVersion.title, ExamVersion.data)
        .join(ExamVersion, ExamVersion.id == Attempt.exam_version_id)
        .where(Attempt.user_id.in_(ids), Attempt.status == AttemptStatus.GRADED)
        .order_by(Attempt.user_id, Attempt.exam_id, Attempt.number)).all()
    by_exam: dict[tuple[int, int], list[sa.Row]] = {}
    for row in rows:
        by_exam.setdefault((row.user_id, row.exam_id), []).append(row)
    counted: dict[int, sa.Row] = {}  # attempt id -> its row
    for attempts in by_exam.values():
        definition = attempts[-1].data or {}
        number = rules.counted_number([(a.number, a.score) for a in attempts],
                                      definition.get("counts", "highest"))
        chosen = next((a for a in attempts if a.number == number), None)
        if chosen is not None and (chosen.data or {}).get("areas"):
            counted[chosen.id] = chosen
    questions: dict[int, list[ScoredQuestion]] = {i: [] for i in counted}
    if counted:
        for attempt_id, tags, points, max_points in session.execute(
                sa.select(Response.attempt_id, QuestionVersion.tags, Response.points,
                          Response.max_points)
                .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
                .where(Response.attempt_id.in_(list(counted)))):
            questions[attempt_id].append(ScoredQuestion(tuple(tags or ()), points, max_points))
    for attempt_id, row in counted.items():
        scores = area_scores(row.data["areas"], questions[attempt_id])
        if scores:
            result[row.user_id].append(ExamAreaScores(
                exam_id=row.exam_id, title=row.title, attempt_number=row.number, scores=scores))
    for found in result.values():
        found.sort(key=lambda e: e.exam_id)
    return result
