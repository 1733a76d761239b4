"""A GET view that writes must declare it (@writes); an undeclared write is refused."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.db import utcnow
from portal.web.access import signed_in
from portal.web.db import db_session, reads_first, write_phase, writes
from tests.factories import login, make_user


def _add_routes(app: Flask) -> None:
    @app.get("/test-undeclared-write")
    @signed_in
    def undeclared() -> str:
        user = db_session().get(User, 1)
        user.last_login_at = utcnow()
        db_session().flush()
        return "wrote"

    @app.get("/test-declared-write")
    @signed_in
    @writes
    def declared() -> str:
        user = db_session().get(User, 1)
        user.last_login_at = utcnow()
        db_session().flush()
        return "wrote"

    @app.get("/test-undeclared-core-write")
    @signed_in
    def undeclared_core() -> str:
        # A prepared Core statement: no flush happens, the statement itself is refused.
        db_session().connection().execute(sa.update(User.__table__).values(last_login_at=utcnow()))
        return "wrote"

    @app.get("/test-declared-core-write")
    @signed_in
    @writes
    def declared_core() -> str:
        db_session().connection().execute(sa.update(User.__table__).values(last_login_at=utcnow()))
        return "wrote"


@pytest.mark.parametrize("how", ["write", "core-write"])  # an ORM flush; a Core statement
def test_undeclared_writes_in_safe_requests_are_refused(app: Flask, session: Session,
                                                        how: str) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _add_routes(app)
    user = make_user(session)
    session.commit()
    client = app.test_client()
    login(client, user)

    def last_login() -> object:
        session.rollback()
        return session.scalar(sa.select(User.last_login_at).where(User.id == user.id))

    before = last_login()
    assert client.get(f"/test-undeclared-{how}").status_code == 500
    assert last_login() == before  # refused, nothing kept
    assert client.get(f"/test-declared-{how}").get_data(as_text=True) == "wrote"
    assert last_login() != before


def _in_transaction(session: Session) -> bool:
    """Whether the statements just run on the session's connection are in an open
    transaction, as the database driver sees it."""
    dbapi = session.connection().connection.dbapi_connection
    if session.get_bind().dialect.name == "postgresql":
        from psycopg.pq import TransactionStatus

        return dbapi.info.transaction_status is not TransactionStatus.IDLE
    return dbapi.in_transaction


def _add_transaction_routes(app: Flask) -> None:
    def read_and_report() -> str:
        db_session().connection().execute(sa.select(User.id).limit(1)).all()
        return "transaction" if _in_transaction(db_session()) else "single statements"

    @app.get("/test-reads")
    @signed_in
    def reads() -> str:
        return read_and_report()

    @app.post("/test-reads-then-writes")
    @signed_in
    @reads_first
    def reads_then_writes() -> str:
        before = read_and_report()
        with write_phase() as session:
            session.connection().execute(
                sa.update(User.__table__).where(User.id == 1).values(last_login_at=utcnow()))
            during = "transaction" if _in_transaction(session) else "single statements"
        return f"{before}, then {during}"


def test_reads_run_as_single_statements_on_postgresql_and_writes_in_a_transaction(
        app: Flask, session: Session) -> None:
    _add_transaction_routes(app)
    user = make_user(session)
    session.commit()
    client = app.test_client()
    login(client, user)
    # PostgreSQL: a transaction of reads sees no more than its statements do (READ
    # COMMITTED) and costs two round trips; SQLite: a read transaction is one snapshot.
    reads = ("single statements" if session.get_bind().dialect.name == "postgresql"
             else "transaction")
    assert client.get("/test-reads").get_data(as_text=True) == reads
    assert client.post("/test-reads-then-writes").get_data(as_text=True) == \
        f"{reads}, then transaction"
    session.rollback()
    written = session.scalar(sa.select(User.last_login_at).where(User.id == 1))
    assert written is not None  # the write was committed
