"""Importing question banks and exam definitions: a plan (the dry run), then all or nothing."""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.audit import services as audit
from portal.courses import services as courses
from portal.exams import rules
from portal.exams.bank import Bank
from portal.exams.definitions import ExamDefinition
from portal.exams.errors import ImportInvalid
from portal.exams.models import (
    Exam,
    ExamVersion,
    Question,
    QuestionBank,
    QuestionVersion,
)
from portal.messages import N_
from portal.versioning import new_version_if_changed

# --- import -------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What an import would do (dry run) or did."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.new or self.changed or self.removed)


def _bank_with_versions() -> sa.Select[tuple[QuestionBank]]:
    # One query for a bank's questions and their current versions, not two per question.
    return sa.select(QuestionBank).options(
        selectinload(QuestionBank.questions).selectinload(Question.current_version))


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True)
                          .encode("utf-8")).hexdigest()


def plan_import(session: Session, *, banks: list[Bank], exams: list[ExamDefinition]) -> ImportPlan:
    """Compare incoming banks and exams with the database; write nothing."""
    plan = ImportPlan()
    incoming: dict[str, tuple[frozenset[str], str]] = {}
    for bank in banks:
        existing = session.scalar(_bank_with_versions().where(QuestionBank.key == bank.key))
        current = {q.qid: q for q in existing.questions} if existing else {}
        for question in bank.questions:
            ref = f"{bank.key}/{question.id}"
            incoming[ref] = (frozenset(question.tags), question.difficulty)
            old = current.get(question.id)
            if old is None or old.current_version is None:
                plan.new.append(f"question:{ref}")
            elif (old.current_version.content_hash != _hash(question.definition.to_data())
                  or old.retired):
                plan.changed.append(f"question:{ref}")
            else:
                plan.unchanged.append(f"question:{ref}")
        ids = {q.id for q in bank.questions}
        plan.removed.extend(f"question:{bank.key}/{qid}" for qid, q in sorted(current.items())
                            if qid not in ids and not q.retired)
    # Questions of banks not in this import stay available to exams.
    pool = {ref: c for ref, c in question_pool(session).items()
            if ref.split("/")[0] not in {b.key for b in banks}}
    pool.update({ref: rules.Candidate(ref, tags, difficulty)
                 for ref, (tags, difficulty) in incoming.items()})
    for exam in exams:
        stage_problem = _stage_problem(session, exam)
        if stage_problem:
            plan.problems.append(f"{exam.path}: {stage_problem}")
        try:
            rules.select_questions(_definition_data(exam), list(pool.values()),
                                   random.Random(0))
        except rules.SelectionError as exc:
            plan.problems.append(f"{exam.path}: {exc.message}")
        existing_exam = session.scalar(sa.select(Exam).where(Exam.key == exam.key))
        if existing_exam is None or existing_exam.current_version is None:
            plan.new.append(f"exam:{exam.key}")
        elif existing_exam.current_version.source_hash != exam.source_hash:
            plan.changed.append(f"exam:{exam.key}")
        else:
            plan.unchanged.append(f"exam:{exam.key}")
    return plan


def _stage_problem(session: Session, exam: ExamDefinition) -> str | None:
    """An exam that passes a stage must name a stage of an imported track whose assessment it is."""
    if exam.track is None:
        return None
    stages = courses.stage_assessments(session, track_key=exam.track)
    if stages is None:
        return None  # courses not imported yet: checked again when they are
    assessment = stages.get(exam.stage or "")
    if assessment is None:
        return f"路线 {exam.track} 没有阶段 {exam.stage}"
    if assessment.source is not courses.AssessmentSource.EXAM or assessment.key != exam.key:
        return f"阶段 {exam.track}/{exam.stage} 的考核是 {assessment.key}，不是 {exam.key}"
    return None


def question_pool(session: Session) -> dict[str, rules.Candidate]:
    """Every question exams may draw now (current versions of questions not retired)."""
    rows = session.execute(
        sa.select(QuestionBank.key, Question.qid, QuestionVersion.tags, QuestionVersion.difficulty)
        .join(Question, Question.bank_id == QuestionBank.id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.retired.is_(False)))
    return {f"{bank}/{qid}": rules.Candidate(f"{bank}/{qid}", frozenset(tags), difficulty)
            for bank, qid, tags, difficulty in rows}


def _definition_data(exam: ExamDefinition) -> dict[str, Any]:
    return {
        "title": exam.title, "kind": exam.kind, "track": exam.track, "stage": exam.stage,
        "pass_mark": exam.pass_mark, "time_limit_minutes": exam.time_limit_minutes,
        "attempts": exam.attempts, "counts": exam.counts, "wait_minutes": exam.wait_minutes,
        "time_warning_minutes": exam.time_warning_minutes,
        "shuffle_questions": exam.shuffle_questions, "shuffle_options": exam.shuffle_options,
        "layout": exam.layout, "review_when": exam.review_when, "review_show": exam.review_show,
        "areas": exam.areas, "fixed": exam.fixed,
        "random": [{"count": p.count, "tags": p.tags, "difficulty": p.difficulty}
                   for p in exam.random],
        "instructions": exam.instructions,
    }


def apply_import(session: Session, *, banks: list[Bank], exams: list[ExamDefinition],
                 actor_id: int | None, now: datetime) -> ImportPlan:
    """Import all or nothing: any problem in the plan refuses the whole import."""
    plan = plan_import(session, banks=banks, exams=exams)
    if plan.problems:
        raise ImportInvalid(N_("有 %(n)d 处错误，未导入任何内容"), n=len(plan.problems))
    for bank in banks:
        _import_bank(session, bank, actor_id, now)
    for exam in exams:
        _import_exam(session, exam, actor_id, now)
    if plan.touched:
        audit.record(session, actor_id=actor_id, action="exams.import", target_type="question_bank",
                     target_id=None,
                     details={"new": len(plan.new), "changed": plan.changed,
                              "removed": plan.removed}, now=now)
    session.flush()
    return plan


def _import_bank(session: Session, bank: Bank, actor_id: int | None, now: datetime) -> None:
    record = session.scalar(_bank_with_versions().where(QuestionBank.key == bank.key))
    if record is None:
        record = QuestionBank(key=bank.key, title=bank.title, updated_at=now)
        session.add(record)
        session.flush()
    record.title = bank.title
    record.description = bank.description
    record.source_hash = bank.content_hash
    record.updated_at = now
    current = {q.qid: q for q in record.questions}
    for item in bank.questions:
        question = current.get(item.id)
        if question is None:
            question = Question(bank_id=record.id, qid=item.id)
            session.add(question)
            session.flush()
        question.retired = False
        data = item.definition.to_data()
        new_version_if_changed(
            session, thing=question, content_hash=_hash(data), actor_id=actor_id,
            now=now, version=QuestionVersion(kind=item.kind, difficulty=item.difficulty,
                                             points=float(item.points), tags=list(item.tags),
                                             data=data))
    ids = {q.id for q in bank.questions}
    for qid, question in current.items():
        if qid not in ids:
            question.retired = True


def _import_exam(session: Session, exam: ExamDefinition, actor_id: int | None,
                 now: datetime) -> None:
    record = session.scalar(sa.select(Exam).where(Exam.key == exam.key))
    if record is None:
        record = Exam(key=exam.key)
        session.add(record)
        session.flush()
    new_version_if_changed(
        session, thing=record, content_hash=exam.source_hash, actor_id=actor_id, now=now,
        version=ExamVersion(title=exam.title, track_key=exam.track, stage_key=exam.stage,
                            definition=_definition_data(exam)))
