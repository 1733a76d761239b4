"""The probation trail is append-only: the ORM refuses changes, the database's trigger refuses
them for every role (SQLite and PostgreSQL), and no code path in the portal writes one."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.probation import services
from portal.probation.models import AppendOnlyViolation, ProbationDecision, ProbationProposal
from tests.factories import ProbationWorld, build_probation_world

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def decided(session: Session, now: datetime) -> tuple[ProbationWorld, int, int]:
    world = build_probation_world(session, now=now)
    proposal = services.propose(session, actor=world.trainer, trainee_id=world.trainees[0].id,
                                outcome="extend", effective_date="2027-01-22", reason="缺考核",
                                corrects_id=None, policy=services.current_policy(), now=now)
    decision = services.decide(session, actor=world.supervisor, proposal_id=proposal.id,
                               accept=True, outcome=None, effective_date=None, reason="同意",
                               now=now)
    session.commit()
    return world, proposal.id, decision.id


def test_the_orm_refuses_to_update_or_delete_a_row(session: Session, decided) -> None:  # type: ignore[no-untyped-def]
    _, proposal_id, decision_id = decided
    proposal = session.get(ProbationProposal, proposal_id)
    assert proposal is not None
    proposal.reason = "改一下"
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()
    decision = session.get(ProbationDecision, decision_id)
    session.delete(decision)
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("statement", [
    sa.update(ProbationDecision).values(reason="改"), sa.delete(ProbationDecision),
    sa.update(ProbationProposal).values(reason="改"), sa.delete(ProbationProposal)])
def test_the_orm_refuses_bulk_updates_and_deletes(session: Session, decided, statement) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AppendOnlyViolation):
        session.execute(statement)
    session.rollback()


@pytest.mark.parametrize("sql", [
    "UPDATE probation_decision SET reason = 'x'", "DELETE FROM probation_decision",
    "UPDATE probation_proposal SET reason = 'x'", "DELETE FROM probation_proposal"])
def test_the_database_refuses_raw_updates_and_deletes(session: Session, decided, sql: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        session.connection().exec_driver_sql(sql)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(ProbationDecision)) == 1
    assert session.scalar(sa.select(ProbationDecision.reason)) == "同意"


def test_no_code_path_updates_or_deletes_trail_rows() -> None:
    """Outside models.py (which refuses), no module or migration that names a trail model or
    table calls an update or delete, nor writes SQL that changes the tables."""
    changes = re.compile(r"\b(update|delete)\s*\(|\.delete\(|UPDATE\s+probation_|DELETE\s+FROM\s+probation_",
                         re.IGNORECASE)
    checked = 0
    for path in [*(ROOT / "portal").rglob("*.py"), *(ROOT / "migrations").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if path.name == "models.py" and path.parent.name == "probation":
            continue
        if re.search(r"Probation(Proposal|Decision)|probation_(proposal|decision)", text):
            checked += 1
            assert not changes.search(text), f"{path.relative_to(ROOT)} changes trail rows"
    assert checked >= 2
