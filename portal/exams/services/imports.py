"""Importing question banks and exam definitions: a plan (the dry run), then all or nothing."""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.content.gc_pause import cyclic_gc_paused
from portal.courses import services as courses
from portal.exams import bank as bank_files
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
from portal.versioning import (
    CurrentVersion,
    ImportPlan,
    NewVersion,
    SerializedJSON,
    add_versions,
    new_version_if_changed,
)

# --- import -------------------------------------------------------------------------
#
# Cost: an import reads the banks it brings with one statement, and the questions of those
# whose stored `source_hash` differs from the file's with another (their current version's
# number and hash only, never the stored data); it writes with one executemany per table
# and kind of change, so the statements do not grow with the questions. A bank whose hash
# matches is unchanged, question by question (every write to a bank's questions goes through
# `_write_bank`, which stores the hash last): nothing of it is read or written again.


@dataclass(frozen=True)
class KnownBankFile:
    """A bank file whose bytes are those the bank was last imported from (its `file_hash`
    is the stored one): importing it again would change nothing, so it is not read."""

    path: str
    file_hash: str
    key: str
    title: str
    qids: tuple[str, ...]  # its questions in use, in qid order


def known_bank_files(session: Session, files: list[tuple[str, bytes]]) -> list[KnownBankFile]:
    """The files among these (path, bytes) that are recognised by their hash: one statement.

    A hash that two files share is never recognised (the copies must be read, so that their
    duplicate key is reported)."""
    with cyclic_gc_paused():  # ten thousand rows: see portal/content/gc_pause.py
        return _known_bank_files(session, files)


def _known_bank_files(session: Session, files: list[tuple[str, bytes]]) -> list[KnownBankFile]:
    hashes = {path: bank_files.file_hash(data) for path, data in files}
    counts = Counter(hashes.values())
    wanted = {h for h, n in counts.items() if n == 1}
    if not wanted:
        return []
    stored: dict[str, tuple[str, str, list[str]]] = {}
    shared: set[str] = set()  # a hash two banks carry (never made by imports): read both
    for file_hash, key, title, qid in session.execute(
            sa.select(QuestionBank.file_hash, QuestionBank.key, QuestionBank.title, Question.qid)
            .outerjoin(Question, sa.and_(Question.bank_id == QuestionBank.id,
                                         Question.retired.is_(False)))
            .where(QuestionBank.file_hash.in_(sorted(wanted)))
            .order_by(QuestionBank.key, Question.qid)):
        entry = stored.setdefault(file_hash, (key, title, []))
        if entry[0] != key:
            shared.add(file_hash)
        if qid is not None:
            entry[2].append(qid)
    return [KnownBankFile(path, h, *stored[h][:2], tuple(stored[h][2]))
            for path, h in hashes.items() if h in stored and h not in shared]


@dataclass(frozen=True)
class _StoredQuestion:
    id: int
    retired: bool
    current: CurrentVersion | None


@dataclass
class _BankChange:
    """One incoming bank compared with what is stored: what the import would do to it."""

    bank: Bank
    record_id: int | None  # None: a new bank
    unchanged: bool  # same source hash as stored: nothing to write
    stored: dict[str, _StoredQuestion] = field(default_factory=dict)  # by qid
    details_changed: bool = False  # title or description
    file_hash_stale: bool = False  # the stored file hash is not the incoming bank's
    new: list[BankQuestion] = field(default_factory=list)
    changed: list[BankQuestion] = field(default_factory=list)  # new version or brought back
    same: list[BankQuestion] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # qids to retire

    @property
    def touched(self) -> bool:
        return bool(self.record_id is None or self.details_changed or self.new or self.changed
                    or self.removed)


def _compare_banks(session: Session, banks: list[Bank]) -> list[_BankChange]:
    """Each bank against the database: two statements at most, whatever the questions."""
    if not banks:
        return []
    records = {key: (bank_id, title, description, source_hash, stored_file_hash)
               for bank_id, key, title, description, source_hash, stored_file_hash
               in session.execute(
                   sa.select(QuestionBank.id, QuestionBank.key, QuestionBank.title,
                             QuestionBank.description, QuestionBank.source_hash,
                             QuestionBank.file_hash)
                   .where(QuestionBank.key.in_([b.key for b in banks])))}
    changes: list[_BankChange] = []
    for bank in banks:
        record = records.get(bank.key)
        if record is None:
            changes.append(_BankChange(bank, None, False, new=list(bank.questions)))
            continue
        bank_id, title, description, source_hash, stored_file_hash = record
        changes.append(_BankChange(bank, bank_id, source_hash == bank.content_hash,
                                   details_changed=(title, description)
                                   != (bank.title, bank.description),
                                   file_hash_stale=stored_file_hash != (bank.file_hash or None)))
    to_read = {c.record_id: c for c in changes if c.record_id is not None and not c.unchanged}
    if to_read:
        rows = session.execute(
            sa.select(Question.id, Question.bank_id, Question.qid, Question.retired,
                      QuestionVersion.number, QuestionVersion.content_hash)
            .outerjoin(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .where(Question.bank_id.in_(list(to_read))))
        for question_id, bank_id, qid, retired, number, content_hash in rows:
            current = CurrentVersion(number, content_hash) if number is not None else None
            to_read[bank_id].stored[qid] = _StoredQuestion(question_id, retired, current)
    for change in changes:
        if change.record_id is None:
            continue
        if change.unchanged:
            change.same = list(change.bank.questions)
            continue
        for question in change.bank.questions:
            old = change.stored.get(question.id)
            if old is None or old.current is None:
                change.new.append(question)
            elif old.current.content_hash != question.content_hash or old.retired:
                change.changed.append(question)
            else:
                change.same.append(question)
        ids = {q.id for q in change.bank.questions}
        change.removed = sorted(qid for qid, old in change.stored.items()
                                if qid not in ids and not old.retired)
    return changes


def plan_import(session: Session, *, banks: list[Bank], exams: list[ExamDefinition],
                known: Sequence[KnownBankFile] = ()) -> ImportPlan:
    """Compare incoming banks and exams with the database; write nothing. `known`: bank
    files recognised by their hash (`known_bank_files`), unchanged without being read."""
    with cyclic_gc_paused():  # hashing every question builds its data once more
        return _plan(session, _compare_banks(session, banks), exams, known)


def _plan(session: Session, changes: list[_BankChange], exams: list[ExamDefinition],
          known: Sequence[KnownBankFile] = ()) -> ImportPlan:
    plan = ImportPlan()
    clash = {c.bank.key for c in changes} & {k.key for k in known}
    plan.problems.extend(f"{k.path}: " + str(msg(N_("题库 key %(key)s 在本次导入中出现了两次"),
                                                  key=k.key))
                         for k in known if k.key in clash)
    for file in known:
        plan.unchanged.extend(f"question:{file.key}/{qid}" for qid in file.qids)
    for change in changes:
        key = change.bank.key
        # In the bank's order, as a list of every question with its fate would be.
        fate = {q.id: plan.new for q in change.new}
        fate.update({q.id: plan.changed for q in change.changed})
        for question in change.bank.questions:
            fate.get(question.id, plan.unchanged).append(f"question:{key}/{question.id}")
        plan.removed.extend(f"question:{key}/{qid}" for qid in change.removed)
    if not exams:
        return plan
    # Questions of banks not in this import stay available to exams.
    keys = {c.bank.key for c in changes}
    pool = {ref: c for ref, c in question_pool(session).items() if ref.split("/")[0] not in keys}
    pool.update((c.ref, c) for c in pool_of([change.bank for change in changes]))
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
                 actor_id: int | None, now: datetime,
                 known: Sequence[KnownBankFile] = ()) -> ImportPlan:
    """Import all or nothing: any problem in the plan refuses the whole import. `known`:
    bank files recognised by their hash (`known_bank_files`); each must still be stored
    with that hash in this transaction, or nothing is imported."""
    with cyclic_gc_paused():  # thousands of rows built and sent: see portal/content/gc_pause.py
        return _apply_import(session, banks=banks, exams=exams, actor_id=actor_id, now=now,
                             known=known)


def _still_known(session: Session, known: Sequence[KnownBankFile]) -> None:
    """Refuse the import if a bank recognised by its file was written since (one statement)."""
    if not known:
        return
    stored = dict(session.execute(sa.select(QuestionBank.key, QuestionBank.file_hash)
                                  .where(QuestionBank.key.in_([k.key for k in known]))).all())
    moved = [k for k in known if stored.get(k.key) != k.file_hash]
    if moved:
        raise ImportInvalid(N_("题库 %(key)s 在检查之后有了变化，未导入任何内容，请重新导入"),
                            key=moved[0].key)


def _apply_import(session: Session, *, banks: list[Bank], exams: list[ExamDefinition],
                  actor_id: int | None, now: datetime,
                  known: Sequence[KnownBankFile] = ()) -> ImportPlan:
    session.flush()  # what the session holds goes first: the banks are written with Core
    _still_known(session, known)
    changes = _compare_banks(session, banks)
    plan = _plan(session, changes, exams, known)
    if plan.problems:
        raise ImportInvalid(N_("有 %(n)d 处错误，未导入任何内容"), n=len(plan.problems))
    _write_banks(session, [c for c in changes if c.touched or not c.unchanged
                           or c.file_hash_stale], actor_id, now)
    for exam in exams:
        _import_exam(session, exam, actor_id, now)
    if plan.touched:
        audit.record(session, actor_id=actor_id, action="exams.import", target_type="question_bank",
                     target_id=None,
                     details={"new": len(plan.new), "changed": plan.changed,
                              "removed": plan.removed}, now=now)
    session.flush()
    return plan


def _needs_version(stored: _StoredQuestion, question: BankQuestion) -> bool:
    """A question brought back with the text it had keeps its version (as
    `new_version_if_changed` would)."""
    return stored.current is None or stored.current.content_hash != question.content_hash


def _write_banks(session: Session, changes: list[_BankChange], actor_id: int | None,
                 now: datetime) -> None:
    """Write what `_compare_banks` found, a few executemany statements for all the banks.
    A bank's `updated_at` moves only when something in it changes."""
    if not changes:
        return
    banks_table, questions = QuestionBank.__table__, Question.__table__
    created = [c for c in changes if c.record_id is None]
    if created:
        session.execute(sa.insert(banks_table), [
            {"key": c.bank.key, "title": c.bank.title, "description": c.bank.description,
             "source_hash": c.bank.content_hash, "file_hash": c.bank.file_hash or None,
             "updated_at": now} for c in created])
        ids = dict(session.execute(sa.select(QuestionBank.key, QuestionBank.id).where(
            QuestionBank.key.in_([c.bank.key for c in created]))).all())
        for change in created:
            change.record_id = ids[change.bank.key]
    touched = [c for c in changes if c not in created and c.touched]
    if touched:
        session.execute(
            sa.update(banks_table).where(banks_table.c.id == sa.bindparam("b_id"))
            .values(title=sa.bindparam("b_title"), description=sa.bindparam("b_description"),
                    source_hash=sa.bindparam("b_hash"), file_hash=sa.bindparam("b_file"),
                    updated_at=now),
            [{"b_id": c.record_id, "b_title": c.bank.title, "b_description": c.bank.description,
              "b_hash": c.bank.content_hash, "b_file": c.bank.file_hash or None}
             for c in touched])
    # Every question the same but a stored hash not (made before the hash was what it is
    # now, or the file's layout or comments changed, or the bank came from elsewhere): only
    # the hashes, so that the next import of this file is recognised at once.
    rehashed = [c for c in changes if c not in created and not c.touched]
    if rehashed:
        session.execute(
            sa.update(banks_table).where(banks_table.c.id == sa.bindparam("b_id"))
            .values(source_hash=sa.bindparam("b_hash"), file_hash=sa.bindparam("b_file")),
            [{"b_id": c.record_id, "b_hash": c.bank.content_hash,
              "b_file": c.bank.file_hash or None} for c in rehashed])
    fresh = [(c, q) for c in changes for q in c.new if q.id not in c.stored]
    if fresh:
        session.execute(sa.insert(questions), [
            {"bank_id": c.record_id, "qid": q.id, "retired": False} for c, q in fresh])
        by_bank: dict[int | None, _BankChange] = {c.record_id: c for c, _ in fresh}
        rows = session.execute(sa.select(Question.id, Question.bank_id, Question.qid)
                               .where(Question.bank_id.in_(list(by_bank)),
                                      Question.current_version_id.is_(None)))
        for question_id, bank_id, qid in rows:
            by_bank[bank_id].stored.setdefault(qid, _StoredQuestion(question_id, False, None))
    retire = [{"b_id": c.stored[qid].id, "b_retired": True} for c in changes for qid in c.removed]
    revive = [{"b_id": c.stored[q.id].id, "b_retired": False} for c in changes
              for q in c.changed + c.new if c.stored[q.id].retired]
    if retire or revive:
        session.execute(sa.update(questions).where(questions.c.id == sa.bindparam("b_id"))
                        .values(retired=sa.bindparam("b_retired")), retire + revive)
    add_versions(
        session, thing_class=Question, version_class=QuestionVersion, actor_id=actor_id, now=now,
        versions=[NewVersion(c.stored[q.id].id, c.stored[q.id].current, q.content_hash,
                             {"kind": q.kind, "difficulty": q.difficulty,
                              "points": float(q.points), "tags": list(q.tags),
                              "data": SerializedJSON(q.json)})  # serialised once, hashed
                  for c in changes for q in c.new + c.changed
                  if _needs_version(c.stored[q.id], q)])
    # Core statements: ORM objects of these banks and questions loaded before are stale.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, (QuestionBank, Question)):
            session.expire(obj)


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
