"""Importing question banks and exam definitions: a plan (the dry run), then all or nothing."""
from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.audit import services as audit
from portal.courses import services as courses
from portal.exams import kinds, rules
from portal.exams.bank import Bank
from portal.exams.bank import Question as BankQuestion
from portal.exams.definitions import ExamDefinition
from portal.exams.errors import ImportInvalid
from portal.exams.models import (
    Exam,
    ExamVersion,
    Question,
    QuestionBank,
    QuestionVersion,
)
from portal.messages import N_, msg
from portal.versioning import ImportPlan, new_version_if_changed

# --- import -------------------------------------------------------------------------


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
    incoming: dict[str, rules.Candidate] = {}
    for bank in banks:
        existing = session.scalar(_bank_with_versions().where(QuestionBank.key == bank.key))
        current = {q.qid: q for q in existing.questions} if existing else {}
        for question in bank.questions:
            ref = f"{bank.key}/{question.id}"
            incoming[ref] = candidate(ref, question)
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
    pool.update(incoming)
    candidates = list(pool.values())
    for exam in exams:
        stage_problem = _stage_problem(session, exam)
        if stage_problem:
            plan.problems.append(f"{exam.path}: {stage_problem}")
        try:
            rules.select_questions(exam, candidates, random.Random(0))
        except rules.SelectionError as exc:
            plan.problems.append(f"{exam.path}: {exc.message}")
        plan.problems.extend(blueprint_problems(exam, candidates))
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
        sa.select(QuestionBank.key, Question.qid, QuestionVersion.tags, QuestionVersion.difficulty,
                  QuestionVersion.kind)
        .join(Question, Question.bank_id == QuestionBank.id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.retired.is_(False)))
    return {f"{bank}/{qid}": rules.Candidate(f"{bank}/{qid}", frozenset(tags), difficulty, kind)
            for bank, qid, tags, difficulty, kind in rows}


def candidate(ref: str, question: BankQuestion) -> rules.Candidate:
    """What an exam's picks see of a question read from a file."""
    return rules.Candidate(ref, frozenset(question.tags), question.difficulty, question.kind)


def pool_of(banks: list[Bank]) -> list[rules.Candidate]:
    """The questions of these banks as an exam's pool (a folder or an upload, before import)."""
    return [candidate(f"{bank.key}/{q.id}", q) for bank in banks for q in bank.questions]


def blueprint_problems(exam: ExamDefinition, pool: list[rules.Candidate]) -> list[str]:
    """"file:line: why" for each requirement of the exam's blueprint that some draw from
    `pool` might not meet (`rules.prove_blueprint`)."""
    problems = []
    for shortfall in rules.prove_blueprint(exam, pool):
        requirement, guarantee = shortfall.requirement, shortfall.guarantee
        where = f"{exam.path}:{requirement.line}" if requirement.line else exam.path
        what = (msg(N_("题型“%(kind)s”"), kind=kinds.get_kind(requirement.value).label)
                if requirement.dimension is rules.Dimension.KIND
                else msg(N_("带标签 %(tag)s 的题"), tag=requirement.value))
        problems.append(f"{where}: " + str(msg(
            N_("考试要求每次作答至少有 %(need)d 道%(what)s，但按抽题规则只能保证 %(have)d 道"
               "（固定题 %(fixed)d 道，抽题至少 %(drawn)d 道），还差 %(short)d 道。"
               "请把这类题列入 fixed，或增加只从这类题中抽取的抽题规则（如 kinds: [%(example)s]）"),
            need=requirement.minimum, what=str(what), have=guarantee.total,
            fixed=guarantee.fixed, drawn=guarantee.drawn, short=shortfall.missing,
            example=requirement.value if requirement.dimension is rules.Dimension.KIND
            else "…")))
    return problems


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
                            data=exam.to_data()))
