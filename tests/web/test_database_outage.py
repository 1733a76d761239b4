"""A database that is briefly unreachable (a PostgreSQL restart, terminated connections, SQLite's
write lock busy past the timeout) answers 503 with Retry-After, and the app recovers by itself.

The SQLite cases run everywhere; the PostgreSQL cases run with PORTAL_TEST_DB=postgres (the
Makefile's PG_SUITE) and are skipped otherwise.
"""
from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import db as portal_db
from portal.auth.models import User
from portal.db import is_database_unavailable
from portal.web.access import signed_in
from portal.web.db import db_session
from tests.factories import HX, PASSWORD, import_demo_exam, login, make_test_app, make_user

UNAVAILABLE_TEXT = "数据库暂时无法连接"
NOTHING_SAVED = "刚才的操作没有保存任何内容"
ON_POSTGRES = os.environ.get("PORTAL_TEST_DB") == "postgres"
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="a SQLite case (the suite runs on PostgreSQL)")
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="needs PORTAL_TEST_DB=postgres")


def _assert_503(response: Any, *, fragment: bool) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:300]
    assert response.headers["Retry-After"] == "5"
    assert "数据库暂时不可用" in body and UNAVAILABLE_TEXT in body and NOTHING_SAVED in body
    assert "Traceback" not in body and "OperationalError" not in body and "sqlite" not in body
    if fragment:
        assert "<html" not in body and 'role="alert"' in body
        assert response.headers["HX-Retarget"] == "#alerts"
    else:
        assert "<html" in body and "503" in body


@pytest.fixture
def signed_in_client(client: FlaskClient, session: Session) -> FlaskClient:
    user = make_user(session)
    session.commit()
    login(client, user)
    return client


def _fail_next_statement(app: Flask, message: str) -> list[str]:
    """Make the next SQL statement fail as the SQLite driver does, once; returns the log of
    failed statements."""
    failed: list[str] = []

    @event.listens_for(app.extensions["portal.engine"], "before_cursor_execute")
    def _fail(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not failed:
            failed.append(statement)
            raise sqlite3.OperationalError(message)

    return failed


# --- which errors count as "the database is unavailable" -----------------------------------


def _wrapped(cls: type[sa.exc.DBAPIError], orig: Exception, invalidated: bool = False) -> Any:
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)


def test_unavailable_errors_are_recognised_and_bugs_are_not() -> None:
    import psycopg
    from psycopg import errors as pg

    assert is_database_unavailable(_wrapped(sa.exc.OperationalError,
                                            sqlite3.OperationalError("database is locked")))
    assert is_database_unavailable(_wrapped(
        sa.exc.OperationalError, sqlite3.OperationalError("unable to open database file")))
    assert is_database_unavailable(_wrapped(sa.exc.OperationalError,
                                            psycopg.OperationalError("connection refused")))
    assert is_database_unavailable(_wrapped(sa.exc.OperationalError, pg.AdminShutdown("bye")))
    assert is_database_unavailable(_wrapped(sa.exc.InterfaceError,
                                            psycopg.InterfaceError("the connection is closed")))
    assert is_database_unavailable(_wrapped(sa.exc.DBAPIError, Exception("x"), invalidated=True))
    assert is_database_unavailable(psycopg.OperationalError("server closed the connection"))
    # A missing table, a statement timeout, a deadlock, bad SQL, a duplicate key: bugs or the
    # request's own problem, answered as they are today.
    assert not is_database_unavailable(_wrapped(sa.exc.OperationalError,
                                                sqlite3.OperationalError("no such table: x")))
    assert not is_database_unavailable(_wrapped(sa.exc.OperationalError, pg.QueryCanceled("t")))
    assert not is_database_unavailable(_wrapped(sa.exc.OperationalError,
                                                pg.DeadlockDetected("d")))
    assert not is_database_unavailable(_wrapped(sa.exc.ProgrammingError,
                                                sqlite3.ProgrammingError("syntax")))
    assert not is_database_unavailable(_wrapped(sa.exc.IntegrityError,
                                                sqlite3.IntegrityError("UNIQUE")))
    assert not is_database_unavailable(RuntimeError("database is locked"))


# --- SQLite ----------------------------------------------------------------------------------


@sqlite_only
@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_an_unreachable_database_is_a_503_then_the_next_request_is_served(
        app: Flask, signed_in_client: FlaskClient, headers: dict[str, str],
        caplog: pytest.LogCaptureFixture) -> None:
    failed = _fail_next_statement(app, "unable to open database file")
    with caplog.at_level(logging.WARNING, logger="portal.web.errors"):
        response = signed_in_client.get("/", headers=headers)
    assert failed, "the request did not reach the database"
    _assert_503(response, fragment=bool(headers))
    warnings = [r for r in caplog.records if r.name == "portal.web.errors"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert warnings[0].exc_info is None and "unable to open database file" in warnings[0].message
    # The database is back: the same client, the same app, served normally, still signed in.
    again = signed_in_client.get("/", headers=headers)
    assert again.status_code == 200
    assert "数据库暂时不可用" not in again.get_data(as_text=True)


@pytest.fixture
def short_lock_app(tmp_path: Path, database_url: str,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The portal with a 0.2 s SQLite busy timeout, so a held write lock outlasts it quickly."""
    monkeypatch.setattr(portal_db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    application = make_test_app(tmp_path=tmp_path / "short", database_url=database_url)
    yield application
    application.extensions["portal.engine"].dispose()


@sqlite_only
def test_a_write_lock_busy_past_the_timeout_is_a_503_and_saves_nothing(
        short_lock_app: Flask, database_url: str, now: datetime) -> None:
    engine = short_lock_app.extensions["portal.engine"]
    with Session(engine) as s:
        user = make_user(s)
        s.commit()
        employee_no = user.employee_no
    client = short_lock_app.test_client()
    path = sa.make_url(database_url).database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the busy timeout
    try:
        for headers in ({}, HX):
            response = client.post("/login", data={"employee_no": employee_no,
                                                   "password": PASSWORD},
                                   headers=headers)
            _assert_503(response, fragment=bool(headers))
    finally:
        holder.rollback()
        holder.close()
    with Session(engine) as s:
        stored = s.scalars(sa.select(User).where(User.employee_no == employee_no)).one()
        assert stored.last_login_at is None  # the refused sign-ins wrote nothing
    login(client, stored)  # the lock is free: signing in works, same app, no restart


@sqlite_only
def test_a_commit_that_fails_for_the_lock_is_a_warned_503_not_an_acknowledgement(
        app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A database that goes away at the request's commit (what `python -m bench faults` saw
    when PostgreSQL crashed mid-commit) is the outage's 503, logged as a warning, not an
    unhandled error with a traceback."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 path is the handler
    user = make_user(session)
    session.commit()
    client = app.test_client()
    dialect = app.extensions["portal.engine"].dialect
    real_commit = dialect.do_commit
    commits: list[int] = []

    def failing_commit(dbapi_connection: Any) -> None:
        commits.append(1)
        if len(commits) == 1:
            raise sqlite3.OperationalError("database is locked")
        real_commit(dbapi_connection)

    monkeypatch.setattr(dialect, "do_commit", failing_commit)
    with caplog.at_level(logging.WARNING):
        response = client.post("/login", data={"employee_no": user.employee_no,
                                               "password": PASSWORD})
    _assert_503(response, fragment=False)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    session.expire_all()
    assert session.get(User, user.id).last_login_at is None  # nothing was acknowledged
    login(client, user)


def test_programming_and_integrity_errors_stay_500(app: Flask, session: Session) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/bad-sql")
    @signed_in
    def bad_sql() -> str:
        db_session().execute(sa.text("SELEC 1"))
        return "unreachable"

    @app.get("/duplicate")
    @signed_in
    def duplicate() -> str:
        raise sa.exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE failed"))

    user = make_user(session)
    session.commit()
    client = app.test_client()
    login(client, user)
    for url in ("/bad-sql", "/duplicate"):
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            body = response.get_data(as_text=True)
            assert response.status_code == 500, (url, body[:300])
            assert "Retry-After" not in response.headers
            assert "服务器出错了" in body and "数据库暂时不可用" not in body


# --- PostgreSQL ------------------------------------------------------------------------------


def _record_backend_pids(app: Flask) -> set[int]:
    """The server process ids of every connection the app's pool opens from now on."""
    pids: set[int] = set()

    @event.listens_for(app.extensions["portal.engine"], "connect")
    def _record(dbapi_connection: Any, connection_record: Any) -> None:
        pids.add(dbapi_connection.info.backend_pid)

    return pids


def _terminate_backends(database_url: str, pids: set[int]) -> int:
    """pg_terminate_backend, from a separate connection, on the app's connections (the portal
    role may terminate its own role's backends). Only the app's: other suites may be using
    the same server at the same time."""
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return sum(conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND pid = ANY(:pids)"), {"pids": sorted(pids)}).scalars())
    finally:
        engine.dispose()


@postgres_only
def test_terminated_connections_never_give_a_500_and_the_pool_recovers(
        app: Flask, database_url: str, session: Session, now: datetime) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 must show as a 500, not as a raise
    pids = _record_backend_pids(app)
    import_demo_exam(session, now=now)
    user = make_user(session)
    session.commit()
    session.close()
    client = app.test_client()
    login(client, user)
    started = client.post("/exams/demo-exam/attempts")
    assert started.status_code == 303
    attempt_url = started.headers["Location"]
    assert client.get(attempt_url).status_code == 200

    assert _terminate_backends(database_url, pids) >= 1  # the pool's idle connection(s)
    statuses = [client.get(attempt_url, headers=headers).status_code
                for headers in ({}, HX, {}, HX)]
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[-1] == 200, statuses  # reconnected by itself, no restart

    # An autosave after the outage is stored.
    saved = client.post(f"{attempt_url}/answers/1", data={"answer": "a", "revision": "1"},
                        headers=HX)
    assert saved.status_code == 200 and "已保存" in saved.get_data(as_text=True)
    assert 'value="a" checked' in client.get(attempt_url).get_data(as_text=True)


@postgres_only
def test_a_connection_killed_mid_request_is_a_503_and_the_next_is_served(
        app: Flask, client: FlaskClient, session: Session) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/killed")
    @signed_in
    def killed() -> str:
        # The server ends this very connection (as a restart does) in the middle of the request.
        db_session().execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return "unreachable"

    user = make_user(session)
    session.commit()
    login(client, user)
    for headers in ({}, HX):
        _assert_503(client.get("/killed", headers=headers), fragment=bool(headers))
        assert client.get("/", headers=headers).status_code == 200


@postgres_only
def test_an_idle_connection_is_pinged_and_a_busy_one_is_not(
        app: Flask, database_url: str, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection back from the pool after an idle spell is checked with a round trip (a
    dead one is replaced before the request sees it); one reused at once is not checked."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    pids = _record_backend_pids(app)
    engine = app.extensions["portal.engine"]
    pings: list[int] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping",
                        lambda dbapi_connection: pings.append(1) or real_ping(dbapi_connection))
    user = make_user(session)
    session.commit()
    session.close()
    client = app.test_client()
    login(client, user)
    for _ in range(5):
        assert client.get("/").status_code == 200
    assert pings == []  # reused within PING_AFTER_IDLE_SECONDS: no extra round trip

    monkeypatch.setattr(portal_db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection is idle
    assert _terminate_backends(database_url, pids) >= 1
    assert client.get("/").status_code == 200  # the ping found it dead; a fresh one served
    assert pings
