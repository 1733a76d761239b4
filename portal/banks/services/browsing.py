"""The bank browser and exports: banks, their questions with filters, versions, YAML/GIFT."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.banks import rules
from portal.courses.models import Track  # read only: the titles of the stages tags name
from portal.errors import NotFound
from portal.exams import bank as bank_files
from portal.exams import categories, gift, kinds
from portal.exams.bank import Bank, dump_bank
from portal.exams.lint import LintReport, lint
from portal.exams.models import Question, QuestionBank, QuestionVersion, Response
from portal.messages import N_

# --- browsing --------------------------------------------------------------------------


@dataclass(frozen=True)
class BankSummary:
    bank: QuestionBank
    active: int
    retired: int
    kinds: dict[str, int]  # questions in use, by kind


def bank_overview(session: Session) -> list[BankSummary]:
    banks = list(session.scalars(sa.select(QuestionBank).order_by(QuestionBank.key)))
    counts: dict[int, dict[str, Any]] = {b.id: {"active": 0, "retired": 0, "kinds": {}}
                                         for b in banks}
    rows = session.execute(
        sa.select(Question.bank_id, Question.retired, QuestionVersion.kind)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id))
    for bank_id, retired, kind in rows:
        entry = counts.get(bank_id)
        if entry is None:
            continue
        if retired:
            entry["retired"] += 1
        else:
            entry["active"] += 1
            entry["kinds"][kind] = entry["kinds"].get(kind, 0) + 1
    return [BankSummary(bank=b, active=counts[b.id]["active"], retired=counts[b.id]["retired"],
                        kinds=dict(sorted(counts[b.id]["kinds"].items(),
                                          key=lambda kv: list(kinds.KINDS).index(kv[0])
                                          if kv[0] in kinds.KINDS else 99)))
            for b in banks]


def get_bank(session: Session, bank_key: str) -> QuestionBank:
    bank = session.scalar(sa.select(QuestionBank).where(QuestionBank.key == bank_key))
    if bank is None:
        raise NotFound(N_("找不到题库 %(key)s"), key=bank_key)
    return bank


def get_question(session: Session, *, bank_key: str, qid: str) -> tuple[QuestionBank, Question]:
    bank = get_bank(session, bank_key)
    question = session.scalar(sa.select(Question).where(Question.bank_id == bank.id,
                                                        Question.qid == qid))
    if question is None or question.current_version is None:
        raise NotFound(N_("题库 %(bank)s 中没有题目 %(id)s"), bank=bank_key, id=qid)
    return bank, question


@dataclass(frozen=True)
class QuestionRow:
    question: Question
    version: QuestionVersion
    excerpt: str
    title: str = ""  # shown instead of the id when the question has one
    category: tuple[str, ...] = ()  # its category path


@dataclass(frozen=True)
class BankListing:
    bank: QuestionBank
    total: int
    rows: list[QuestionRow]  # the ones the filters let through
    kinds: list[str]  # present in the bank, for the filter
    difficulties: list[str]
    tags: list[str]
    categories: list[tuple[str, ...]] = field(default_factory=list)  # every path and prefix present


def bank_listing(session: Session, *, bank_key: str,
                 filters: rules.QuestionFilter) -> BankListing:
    bank = get_bank(session, bank_key)
    found = session.execute(
        sa.select(Question, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id).order_by(Question.id)).all()
    rows: list[QuestionRow] = []
    tags: set[str] = set()
    present_kinds: set[str] = set()
    difficulties: set[str] = set()
    paths: set[tuple[str, ...]] = set()
    for question, version in found:
        tags.update(version.tags)
        present_kinds.add(version.kind)
        difficulties.add(version.difficulty)
        definition = version.definition
        category = definition.category
        paths.update(categories.prefixes(category))
        if filters.matches(kind=version.kind, difficulty=version.difficulty, tags=version.tags,
                           retired=question.retired,
                           text=rules.searchable_text(question.qid, version.data),
                           category=categories.join_path(category, contexts=False)):
            rows.append(QuestionRow(question, version, rules.excerpt(definition.summary_text),
                                    title=definition.title, category=category))
    order = list(kinds.KINDS)
    return BankListing(bank=bank, total=len(found), rows=rows,
                       kinds=[k for k in order if k in present_kinds],
                       difficulties=[d for d in kinds.DIFFICULTIES if d in difficulties],
                       tags=sorted(tags), categories=sorted(paths))


@dataclass(frozen=True)
class VersionEntry:
    version: QuestionVersion
    author: User | None
    attempts: int  # attempts that were given this version


@dataclass(frozen=True)
class QuestionDetail:
    bank: QuestionBank
    question: Question
    version: QuestionVersion  # the one shown
    history: list[VersionEntry]  # newest first

    @property
    def current(self) -> QuestionVersion:
        assert self.question.current_version is not None
        return self.question.current_version


def question_detail(session: Session, *, bank_key: str, qid: str,
                    number: int | None = None) -> QuestionDetail:
    bank, question = get_question(session, bank_key=bank_key, qid=qid)
    versions = list(session.scalars(sa.select(QuestionVersion)
                                    .where(QuestionVersion.question_id == question.id)
                                    .order_by(QuestionVersion.number.desc())))
    shown = question.current_version
    if number is not None:
        shown = next((v for v in versions if v.number == number), None)
        if shown is None:
            raise NotFound(N_("题目 %(id)s 没有第 %(n)d 版"), id=qid, n=number)
    assert shown is not None
    used = {version_id: count for version_id, count in session.execute(
        sa.select(Response.question_version_id, sa.func.count(sa.distinct(Response.attempt_id)))
        .where(Response.question_version_id.in_([v.id for v in versions]))
        .group_by(Response.question_version_id))}
    author_ids = {v.created_by_id for v in versions if v.created_by_id is not None}
    authors = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(author_ids)))}
    history = [VersionEntry(v, authors.get(v.created_by_id or 0), int(used.get(v.id, 0)))
               for v in versions]
    return QuestionDetail(bank=bank, question=question, version=shown, history=history)


# --- the lint over the stored banks ------------------------------------------------------


def stored_banks(session: Session) -> list[Bank]:
    """Every bank's questions in use, current versions, in one query (no file lines)."""
    banks = {b.id: b for b in session.scalars(sa.select(QuestionBank).order_by(QuestionBank.key))}
    questions: dict[int, list[bank_files.Question]] = {bank_id: [] for bank_id in banks}
    rows = session.execute(
        sa.select(Question.bank_id, Question.qid, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.retired.is_(False)).order_by(Question.id))
    for bank_id, qid, version in rows:
        questions[bank_id].append(bank_files.Question(qid, version.kind, None, version.definition))
    return [Bank(key=b.key, title=b.title, path=f"{b.key}.yaml", questions=tuple(questions[b.id]),
                 description=b.description) for b in banks.values()]


def lint_stored(session: Session, *, replacing: Sequence[Bank] = ()) -> LintReport:
    """The lint of every bank in the database, with `replacing` in place of the stored
    banks of the same keys (an upload, an edited question); contradictions across all."""
    keys = {b.key for b in replacing}
    return lint([*(b for b in stored_banks(session) if b.key not in keys), *replacing])


# --- export ----------------------------------------------------------------------------


def current_bank(session: Session, *, bank_key: str) -> Bank:
    """The bank as it is now: the current version of every question in use, in the order
    they were first imported."""
    bank = get_bank(session, bank_key)
    rows = session.execute(
        sa.select(Question.qid, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id, Question.retired.is_(False))
        .order_by(Question.id))
    questions = tuple(bank_files.Question(qid, version.kind, None, version.definition)
                      for qid, version in rows)
    return Bank(key=bank.key, title=bank.title, path=f"{bank.key}.yaml", questions=questions,
                description=bank.description)


def export_yaml(session: Session, *, bank_key: str) -> str:
    """The portal's YAML format; importing it again changes nothing."""
    return dump_bank(current_bank(session, bank_key=bank_key))


def export_gift(session: Session, *, bank_key: str) -> gift.ExportResult:
    """GIFT, with the questions GIFT cannot express (or only with a loss) as notices."""
    return gift.export_gift(current_bank(session, bank_key=bank_key))


# --- stages, for tags ----------------------------------------------------------------------


def stage_choices(session: Session) -> list[tuple[str, str]]:
    """(key, title) of every stage of the published tracks, in track order, each key once:
    what a question's stage tag may name, and how tags are shown."""
    seen: dict[str, str] = {}
    for track in session.scalars(sa.select(Track).order_by(Track.key)):
        version = track.current_version
        for stage in version.stages if version is not None else []:
            seen.setdefault(stage.key, stage.title)
    return list(seen.items())
