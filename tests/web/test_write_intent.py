"""A GET view that writes must declare it (@writes); an undeclared write is refused."""
from __future__ import annotations

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


def test_undeclared_writes_in_safe_requests_are_refused(app: Flask, session: Session) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _add_routes(app)
    user = make_user(session)
    session.commit()
    client = app.test_client()
    login(client, user)
    assert client.get("/test-undeclared-write").status_code == 500
    assert client.get("/test-declared-write").get_data(as_text=True) == "wrote"
