"""On PostgreSQL the application's role may only read and add trail rows: the migration,
run with PORTAL_DB_APP_ROLE naming it, grants SELECT and INSERT and nothing else. The test
connects as that role (PORTAL_TEST_POSTGRES_APP_URL; .ci/run creates it) and tries."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import Role
from tests.factories import make_user
from tests.postgres_support import app_postgres_url, migrated_postgres_database, postgres_url

INSERT = """INSERT INTO probation_proposal (trainee_id, outcome, effective_date, reason,
    recommendation, policy_hash, proposed_by_id, proposed_at)
    VALUES (%(trainee)s, 'extend', '2027-01-22', '缺考核', '{}', 'h', %(by)s, now())"""


@pytest.fixture
def database_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh PostgreSQL schema migrated with the application role named."""
    postgres_url()
    role = sa.make_url(app_postgres_url()).username
    assert role, "PORTAL_TEST_POSTGRES_APP_URL names no user"
    monkeypatch.setenv("PORTAL_DB_APP_ROLE", role)
    with migrated_postgres_database() as url:
        yield url


@pytest.fixture
def app_engine(database_url: str) -> Iterator[sa.Engine]:
    """The restricted role on the same schema (the owner's URL carries the search path)."""
    schema_options = sa.make_url(database_url).query["options"]
    url = sa.make_url(app_postgres_url()).update_query_dict({"options": schema_options})
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


def test_the_application_role_may_insert_and_select_but_never_change(
        session: Session, app_engine: sa.Engine, now: datetime) -> None:
    trainee = make_user(session)
    trainer = make_user(session, role=Role.TRAINER)
    session.commit()
    with app_engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT current_user").scalar() == app_engine.url.username
        conn.exec_driver_sql(INSERT, {"trainee": trainee.id, "by": trainer.id})
        proposal_id = conn.exec_driver_sql("SELECT max(id) FROM probation_proposal").scalar()
        conn.exec_driver_sql(
            "INSERT INTO probation_decision (proposal_id, trainee_id, accepted, outcome, "
            "effective_date, reason, decided_by_id, decided_at) VALUES "
            "(%(p)s, %(t)s, true, 'extend', '2027-01-22', '同意', %(by)s, now())",
            {"p": proposal_id, "t": trainee.id, "by": trainer.id})
    for sql in ("UPDATE probation_proposal SET reason = '改'", "DELETE FROM probation_proposal",
                "UPDATE probation_decision SET reason = '改'", "DELETE FROM probation_decision",
                "TRUNCATE probation_decision"):
        with app_engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError,
                                                         match="permission denied"):
            conn.exec_driver_sql(sql)
    with app_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT reason FROM probation_proposal").scalars().all() == [
            "缺考核"]
        assert conn.exec_driver_sql("SELECT count(*) FROM probation_decision").scalar() == 1


def test_the_owner_is_refused_by_the_trigger(session: Session, app_engine: sa.Engine) -> None:
    trainee = make_user(session)
    trainer = make_user(session, role=Role.TRAINER)
    session.connection().exec_driver_sql(INSERT, {"trainee": trainee.id, "by": trainer.id})
    session.commit()
    for sql in ("UPDATE probation_proposal SET reason = '改'", "DELETE FROM probation_proposal",
                "TRUNCATE probation_proposal CASCADE"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            session.connection().exec_driver_sql(sql)
        session.rollback()
    assert session.scalar(sa.text("SELECT count(*) FROM probation_proposal")) == 1
