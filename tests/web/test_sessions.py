"""The session cookie is re-issued when the session changes, and otherwise at most every
REFRESH_AFTER (not on every poll), and its lifetime still slides with use."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.web import sessions
from tests.factories import login, make_user


def _sets_session_cookie(response) -> bool:  # type: ignore[no-untyped-def]
    return any(h.startswith("portal_session=") for h in response.headers.getlist("Set-Cookie"))


def test_an_unchanged_session_is_not_re_signed_on_every_request(
        client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    user = make_user(session)
    session.commit()
    login(client, user)
    client.get("/")  # the first page with a form stores its CSRF token: a change
    response = client.get("/")
    assert response.status_code == 200 and not _sets_session_cookie(response)

    later = datetime.now(UTC) + sessions.REFRESH_AFTER
    monkeypatch.setattr(sessions, "_now", lambda: later)
    response = client.get("/")
    assert response.status_code == 200 and _sets_session_cookie(response)
    assert "Expires=" in next(h for h in response.headers.getlist("Set-Cookie")
                              if h.startswith("portal_session="))


def test_a_changed_session_is_sent_at_once(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    session.commit()
    login(client, user)
    response = client.post("/logout")
    assert _sets_session_cookie(response)
    response = client.get("/")
    assert response.status_code == 302  # signed out: the new cookie took effect


def test_a_forged_cookie_is_an_empty_session(client: FlaskClient) -> None:
    client.set_cookie("portal_session", "eyJfdXNlcl9pZCI6IjE6MCJ9.forged.signature")
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
