"""Item analysis of a written exam for its trainers: the attempts of the cohorts they follow
read in a few statements, turned into a response matrix, and measured by `stats`.

What counts: graded attempts (their score is final), the first of each trainee or all of
them as the trainer chooses (Moodle's "first attempt" / "all attempts"). Attempts whose
answers still wait for a trainer are counted apart as pending, never dropped silently;
attempts in progress likewise. One item is one question *version* (a changed question is
a different item: its figures must not mix), and a question drawn at random into some
attempts has figures over the attempts that were given it, with that count.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from portal.analytics import stats
from portal.auth import access
from portal.auth.models import Cohort, Role, User
from portal.errors import NotFound
from portal.exams import kinds
from portal.exams.kinds.base import LETTERS
from portal.exams.kinds.choice import ChoiceQuestion, TrueFalseQuestion
from portal.exams.models import (
    Attempt,
    AttemptStatus,
    Exam,
    Question,
    QuestionBank,
    QuestionVersion,
    Response,
)
from portal.messages import N_

TRUE, FALSE = "true", "false"  # a true/false question's two options


class Counting(StrEnum):
    FIRST = "first"  # each trainee's first attempt (Moodle's default)
    ALL = "all"

    @property
    def label(self) -> str:
        return {Counting.FIRST: N_("每人第一次作答"), Counting.ALL: N_("全部作答")}[self]


@dataclass(frozen=True)
class OptionLabel:
    option_id: str
    letter: str  # A, B, … in the question's own order; true/false: a msgid (对 / 错)
    text: str  # the choice's text (the question's own words; none for true/false)


@dataclass(frozen=True)
class ItemRow:
    """One question version of the exam with its figures."""

    item_id: str  # the question version's id, as text (the matrix's item id)
    version_id: int
    question_id: int
    bank_key: str
    bank_title: str
    qid: str
    number: int  # the version's number
    current_number: int | None  # the question's current version (None: retired)
    kind: str
    title: str
    prompt: str
    stats: stats.ItemStatistics
    distractors: stats.DistractorAnalysis | None
    options: tuple[OptionLabel, ...]

    @property
    def flags(self) -> tuple[stats.Flag, ...]:
        return self.stats.flags + (self.distractors.flags if self.distractors else ())

    @property
    def firm(self) -> bool:
        """Enough attempts were given the question for its flags to be acted on (below
        `stats.FEW_ATTEMPTS` they are shown as tentative)."""
        return self.stats.n >= stats.FEW_ATTEMPTS

    def option(self, option_id: str | None) -> OptionLabel | None:
        return next((o for o in self.options if o.option_id == option_id), None)


@dataclass(frozen=True)
class CohortChoice:
    id: int
    name: str


@dataclass(frozen=True)
class ExamReport:
    exam_key: str
    title: str
    pass_mark: int
    staged: bool  # the exam belongs to a stage of a track (so it has modules before it)
    counting: Counting
    cohort_id: int | None  # None: every followed cohort
    cohorts: tuple[CohortChoice, ...]  # the cohorts the actor may pick
    exam: stats.ExamStatistics
    items: tuple[ItemRow, ...]
    pending: int  # finished attempts waiting for a trainer (not counted yet)
    in_progress: int
    minutes: stats.Summary  # time from start to submission of the counted attempts

    @property
    def flagged(self) -> tuple[ItemRow, ...]:
        """The questions to look at: flagged, on enough attempts to act on."""
        return tuple(row for row in self.items if row.flags and row.firm)

    @property
    def unstable(self) -> bool:
        """Some question's discrimination rests on fewer than `stats.STABLE_ATTEMPTS`."""
        return any(stats.WarningCode.UNSTABLE_DISCRIMINATION in row.stats.warnings
                   for row in self.items)

    @property
    def tentative(self) -> tuple[ItemRow, ...]:
        """Flagged on too few attempts (random draws, a small cohort): not conclusions yet."""
        return tuple(row for row in self.items if row.flags and not row.firm)

    def versions_of(self, row: ItemRow) -> tuple[ItemRow, ...]:
        """Every version of the row's question in these figures, oldest first."""
        return tuple(sorted((r for r in self.items if r.question_id == row.question_id),
                            key=lambda r: r.number))

    def item(self, version_id: int) -> ItemRow:
        found = next((row for row in self.items if row.version_id == version_id), None)
        if found is None:
            raise NotFound(N_("这次统计里没有这道题（所选作答都没有抽到它）"))
        return found


@dataclass(frozen=True)
class _Read:
    attempts: list[Any]  # rows: id, user_id, number, status, started_at, submitted_at
    responses: list[Any]  # rows: attempt_id, question_version_id, points, max_points, answer


def exam_report(session: Session, *, actor: User, exam_key: str,
                counting: Counting = Counting.FIRST, cohort_id: int | None = None
                ) -> ExamReport:
    """The exam's statistics over the attempts of the actor's cohorts (or of one of them)."""
    access.check_sees_trainees(actor)
    exam = session.scalar(sa.select(Exam).where(Exam.key == exam_key))
    if exam is None or exam.current_version is None:
        raise NotFound(N_("找不到考试 %(key)s"), key=exam_key)
    version = exam.current_version
    cohorts = [CohortChoice(c.id, c.name) for c in access.visible_cohorts(session, actor=actor)]
    chosen = {c.id for c in cohorts}
    if cohort_id is not None:
        if cohort_id not in chosen:
            raise NotFound(N_("找不到该批次"))
        chosen = {cohort_id}
    read = _read(session, exam_id=exam.id, cohort_ids=chosen)
    counted, pending, in_progress = _counted(read.attempts, counting)
    matrix, answers = _matrix(read.responses, counted)
    versions = _versions(session, [item.id for item in matrix.items])
    pass_mark = version.definition.pass_mark
    items = tuple(_row(matrix, item_stats, versions[int(item_stats.item_id)], answers)
                  for item_stats in stats.item_statistics(matrix))
    return ExamReport(
        exam_key=exam.key, title=version.title, pass_mark=pass_mark,
        staged=bool(version.track_key and version.stage_key), counting=counting,
        cohort_id=cohort_id, cohorts=tuple(cohorts),
        exam=stats.exam_statistics(matrix, pass_mark=pass_mark), items=items,
        pending=pending, in_progress=in_progress,
        minutes=stats.summary([(a.submitted_at - a.started_at).total_seconds() / 60
                               for a in counted if a.submitted_at is not None]))


def _read(session: Session, *, exam_id: int, cohort_ids: set[int]) -> _Read:
    trainees = (sa.select(User.id).join(Cohort, Cohort.id == User.cohort_id)
                .where(User.role == Role.TRAINEE, Cohort.id.in_(cohort_ids)))
    attempts = session.execute(
        sa.select(Attempt.id, Attempt.user_id, Attempt.number, Attempt.status,
                  Attempt.started_at, Attempt.submitted_at)
        .where(Attempt.exam_id == exam_id, Attempt.user_id.in_(trainees))
        .order_by(Attempt.user_id, Attempt.number)).all()
    graded = [a.id for a in attempts if a.status is AttemptStatus.GRADED]
    responses = session.execute(
        sa.select(Response.attempt_id, Response.question_version_id, Response.points,
                  Response.max_points, Response.answer)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(Attempt.exam_id == exam_id, Attempt.status == AttemptStatus.GRADED,
               Attempt.user_id.in_(trainees))
        .order_by(Response.attempt_id, Response.position)).all() if graded else []
    return _Read(list(attempts), list(responses))


def _counted(attempts: Sequence[Any], counting: Counting) -> tuple[list[Any], int, int]:
    """The graded attempts counted, the finished ones waiting for a trainer and those in
    progress, among each trainee's first attempt or all of them."""
    if counting is Counting.FIRST:
        first: dict[int, Any] = {}
        for attempt in attempts:  # ordered by trainee, number
            first.setdefault(attempt.user_id, attempt)
        attempts = list(first.values())
    counted = [a for a in attempts if a.status is AttemptStatus.GRADED]
    pending = sum(1 for a in attempts if a.status is AttemptStatus.SUBMITTED)
    in_progress = sum(1 for a in attempts if a.status is AttemptStatus.IN_PROGRESS)
    return counted, pending, in_progress


def _matrix(responses: Sequence[Any], counted: Sequence[Any]
            ) -> tuple[stats.ResponseMatrix, dict[str, dict[int, Any]]]:
    """The matrix of the counted attempts (items in order of first appearance), and each
    item's answers by attempt (for the distractors)."""
    ids = {a.id for a in counted}
    order: dict[str, float] = {}
    points: dict[int, dict[str, float | None]] = defaultdict(dict)
    answers: dict[str, dict[int, Any]] = defaultdict(dict)
    for r in responses:
        if r.attempt_id not in ids:
            continue
        item = str(r.question_version_id)
        order[item] = max(order.get(item, 0.0), float(r.max_points))
        points[r.attempt_id][item] = float(r.points) if r.points is not None else 0.0
        answers[item][r.attempt_id] = r.answer
    items = tuple(stats.Item(item, top) for item, top in order.items() if top > 0)
    kept = {i.id for i in items}
    rows = tuple(stats.Attempt(a.id, {k: v for k, v in points[a.id].items() if k in kept})
                 for a in counted if any(k in kept for k in points.get(a.id, {})))
    return stats.ResponseMatrix(items=items, attempts=rows), answers


@dataclass(frozen=True)
class _Version:
    row: QuestionVersion
    question: Question
    bank_key: str
    bank_title: str
    current_number: int | None


def _versions(session: Session, item_ids: Sequence[str]) -> dict[int, _Version]:
    ids = [int(i) for i in item_ids]
    if not ids:
        return {}
    current = aliased(QuestionVersion)
    found = session.execute(
        sa.select(QuestionVersion, Question, QuestionBank.key, QuestionBank.title, current.number)
        .join(Question, Question.id == QuestionVersion.question_id)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .outerjoin(current, current.id == Question.current_version_id)
        .where(QuestionVersion.id.in_(ids))).all()
    return {v.id: _Version(v, q, key, title, number) for v, q, key, title, number in found}


def _row(matrix: stats.ResponseMatrix, item_stats: stats.ItemStatistics, version: _Version,
         answers: dict[str, dict[int, Any]]) -> ItemRow:
    definition = version.row.definition
    options, choices = _choices(definition, answers.get(item_stats.item_id, {}))
    distractors = None
    if choices is not None:
        distractors = stats.distractor_analysis(matrix, stats.ChoiceResponses(
            item_id=item_stats.item_id, options=tuple(o.option_id for o in options),
            key=choices[0], chosen=choices[1]))
    return ItemRow(
        item_id=item_stats.item_id, version_id=version.row.id, question_id=version.question.id,
        bank_key=version.bank_key, bank_title=version.bank_title, qid=version.question.qid,
        number=version.row.number,
        current_number=None if version.question.retired else version.current_number,
        kind=definition.kind, title=definition.title, prompt=definition.prompt,
        stats=item_stats, distractors=distractors, options=options)


def _choices(definition: kinds.QuestionDef, answers: dict[int, Any]
             ) -> tuple[tuple[OptionLabel, ...],
                        tuple[frozenset[str], dict[int, frozenset[str]]] | None]:
    """A choice question's options, its key and what each attempt chose (an empty set: not
    answered); no options for the other kinds."""
    if isinstance(definition, TrueFalseQuestion):
        options = (OptionLabel(TRUE, N_("对"), ""), OptionLabel(FALSE, N_("错"), ""))
        key = frozenset({TRUE if definition.answer else FALSE})
        chosen = {a: frozenset({TRUE if answer else FALSE}) if isinstance(answer, bool)
                  else frozenset() for a, answer in answers.items()}
        return options, (key, chosen)
    if isinstance(definition, ChoiceQuestion):
        options = tuple(OptionLabel(c.key, LETTERS[i].upper() if i < len(LETTERS) else c.key,
                                    c.text)
                        for i, c in enumerate(definition.choices))
        known = {c.key for c in definition.choices}
        key = frozenset(c.key for c in definition.choices if c.correct)

        def picked(answer: Any) -> frozenset[str]:
            if isinstance(answer, str):
                return frozenset({answer} & known)
            if isinstance(answer, list):
                return frozenset(a for a in answer if isinstance(a, str) and a in known)
            return frozenset()

        return options, (key, {a: picked(answer) for a, answer in answers.items()})
    return (), None
