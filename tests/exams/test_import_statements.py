"""Importing question banks: the SQL does not grow with the questions (bulk writes, one read
of the versions in use), and re-importing an unchanged bank reads one row per bank and
writes nothing. Pinned so per-question statements cannot creep back."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.exams import services
from portal.exams.bank import Bank, load_bank
from portal.exams.models import Question, QuestionBank, QuestionVersion
from portal.versioning import ImportPlan
from tests.exams.import_fixtures import bank_text as _bank_text


def _bank(key: str, questions: int, **kwargs: frozenset[int]) -> Bank:
    bank, problems = load_bank(_bank_text(key, questions, **kwargs).encode(), f"{key}.yaml")
    assert bank is not None, problems
    return bank


def _statements(session: Session, banks: list[Bank], now: datetime,
                ) -> tuple[list[str], ImportPlan]:
    """The statements an import runs, each as "VERB table" (a BEGIN left out)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        words = statement.split()
        if words[0].upper() == "BEGIN":
            return  # the session's transaction, begun by whatever runs first in it
        marker = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE"}.get(words[0].upper())
        table = words[words.index(marker) + 1].strip('"') if marker in words else ""
        seen.append(f"{words[0].upper()} {table}".strip())

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        plan = services.apply_import(session, banks=banks, exams=[], actor_id=None, now=now)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen, plan


def test_a_first_import_runs_as_many_statements_for_2n_questions_as_for_n(
        session: Session, now: datetime) -> None:
    small, small_plan = _statements(session, [_bank("small-bank", 40)], now)
    large, large_plan = _statements(session, [_bank("large-bank", 80)], now)

    assert len(small_plan.new) == 40 and len(large_plan.new) == 80
    assert large == small == [
        "SELECT question_bank",  # the banks of the import, if stored
        "INSERT question_bank", "SELECT question_bank",  # the new banks and their ids
        "INSERT question", "SELECT question",  # every new question (executemany), their ids
        "INSERT question_version",  # every version (executemany)
        "UPDATE question",  # each question's current version (executemany)
        "INSERT audit_event"]
    versions = session.scalars(sa.select(QuestionVersion.number).join(
        Question, Question.id == QuestionVersion.question_id).join(QuestionBank)
        .where(QuestionBank.key == "large-bank")).all()
    assert versions == [1] * 80


def test_a_changed_import_runs_as_many_statements_for_2n_questions_as_for_n(
        session: Session, now: datetime) -> None:
    later = now + timedelta(hours=1)
    counts = []
    for key, n in (("small-bank", 40), ("large-bank", 80)):
        services.apply_import(session, banks=[_bank(key, n)], exams=[], actor_id=None, now=now)
        # A tenth of the questions changed and one removed.
        changed = frozenset(range(0, n, 10))
        seen, plan = _statements(session, [_bank(key, n, changed=changed,
                                                 skip=frozenset({n - 1}))], later)
        assert len(plan.changed) == len(changed) and plan.removed == [f"question:{key}/q{n - 1:04d}"]
        counts.append(seen)
    assert counts[0] == counts[1] == [
        "SELECT question_bank", "SELECT question",  # the banks, their questions' versions
        "UPDATE question_bank",  # title, hash, time
        "UPDATE question",  # the removed one retired
        "INSERT question_version", "UPDATE question",  # the changed ones' new versions
        "INSERT audit_event"]


def test_an_unchanged_reimport_reads_the_banks_once_and_writes_nothing(
        session: Session, now: datetime) -> None:
    banks = [_bank("first-bank", 30), _bank("second-bank", 60)]
    services.apply_import(session, banks=banks, exams=[], actor_id=None, now=now)
    session.commit()
    updated = session.scalars(sa.select(QuestionBank.updated_at).order_by(QuestionBank.key)).all()

    again = [_bank("first-bank", 30), _bank("second-bank", 60)]
    seen, plan = _statements(session, again, now + timedelta(days=1))

    assert seen == ["SELECT question_bank"]
    assert not plan.touched and len(plan.unchanged) == 90 and plan.new == plan.changed == []
    session.commit()
    assert session.scalars(sa.select(QuestionBank.updated_at)
                           .order_by(QuestionBank.key)).all() == updated


def test_the_bulk_import_numbers_versions_retires_and_brings_back_as_before(
        session: Session, now: datetime) -> None:
    services.apply_import(session, banks=[_bank("demo-bank", 6)], exams=[], actor_id=None,
                          now=now)
    # q0001 changed, q0005 removed: a second version of one, the other retired.
    plan = services.apply_import(session, banks=[_bank("demo-bank", 6, changed=frozenset({1}),
                                                       skip=frozenset({5}))],
                                 exams=[], actor_id=None, now=now)
    assert plan.changed == ["question:demo-bank/q0001"]
    assert plan.removed == ["question:demo-bank/q0005"]
    # Back as it was: q0001 gets a third version, q0005 comes back with its old one.
    plan = services.apply_import(session, banks=[_bank("demo-bank", 6)], exams=[],
                                 actor_id=None, now=now)
    assert plan.changed == ["question:demo-bank/q0001", "question:demo-bank/q0005"]
    rows = session.execute(
        sa.select(Question.qid, Question.retired, QuestionVersion.number,
                  QuestionVersion.data["prompt"].as_string())
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .order_by(Question.qid)).all()
    assert [(qid, retired, number) for qid, retired, number, _ in rows] == [
        ("q0000", False, 1), ("q0001", False, 3), ("q0002", False, 1), ("q0003", False, 1),
        ("q0004", False, 1), ("q0005", False, 1)]
    assert "（改）" not in rows[1][3]
    old = session.scalars(sa.select(QuestionVersion.data["prompt"].as_string())
                          .join(Question, Question.id == QuestionVersion.question_id)
                          .where(Question.qid == "q0001", QuestionVersion.number == 2)).one()
    assert "（改）" in old  # the old version is kept as it was
