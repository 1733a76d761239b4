"""A GET view that writes must declare it (@writes); an undeclared write is refused."""
from __future__ import annotations

import pytest
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
