"""A GET view that writes must declare it (@writes); an undeclared write is refused."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.db import utcnow
from portal.web.access import signed_in
from portal.web.db import db_session, writes
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


def test_undeclared_writes_in_safe_requests_are_refused(app: Flask, session: Session) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _add_routes(app)
    user = make_user(session)
    session.commit()
    client = app.test_client()
    login(client, user)
    assert client.get("/test-undeclared-write").status_code == 500
    assert client.get("/test-declared-write").get_data(as_text=True) == "wrote"


def test_undeclared_core_statement_writes_are_refused_too(app: Flask, session: Session) -> None:
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
    assert client.get("/test-undeclared-core-write").status_code == 500
    assert last_login() == before  # refused before it ran
    assert client.get("/test-declared-core-write").get_data(as_text=True) == "wrote"
    assert last_login() != before
