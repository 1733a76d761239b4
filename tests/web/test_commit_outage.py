"""A database that goes away at the request's commit is the outage's 503, logged as a warning
(what `python -m bench faults` saw when PostgreSQL crashed mid-commit), not an unhandled error."""
from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from portal.auth.models import User
from tests.factories import PASSWORD, login, make_user


def test_a_commit_that_loses_the_database_is_a_warned_503_without_a_traceback(
        app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the failing commit is simulated with SQLite's driver error")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
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
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    session.expire_all()
    assert session.get(User, user.id).last_login_at is None  # nothing was acknowledged
    login(client, user)
