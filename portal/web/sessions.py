"""The session cookie: Flask's signed cookie, re-issued at most every few minutes.

Flask re-signs and re-sends a permanent session's cookie on every response, so that its
lifetime slides with use. A console polls every 1.5 s and a trainee replies every few
seconds: that is a signature, a JSON dump and a Set-Cookie header per request for a
lifetime that moves by seconds. Here an unchanged session is re-issued only when the
cookie is older than `REFRESH_AFTER` (the signature's own timestamp says when it was
issued); a changed session is sent at once, as before. The lifetime still slides with use
(it ends `PERMANENT_SESSION_LIFETIME` after the last re-issue, which is at most
`REFRESH_AFTER` before the last request). The serializer is built once per set of keys
instead of twice per request.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer

REFRESH_AFTER = timedelta(minutes=5)


def _now() -> datetime:
    return datetime.now(UTC)


class _Session(SecureCookieSession):
    issued_at: datetime | None = None  # when the cookie it was read from was signed


class RefreshingSessionInterface(SecureCookieSessionInterface):
    session_class = _Session

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        found = self._serializers.get(key)
        if found is None:
            found = super().get_signing_serializer(app)
            if found is not None:
                self._serializers = {key: found}  # a changed key replaces the old one
        return found

    def open_session(self, app: Flask, request: Request) -> _Session | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return _Session()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, issued = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return _Session()
        session = _Session(data)
        session.issued_at = issued
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        issued = getattr(session, "issued_at", None)
        return issued is None or _now() - issued >= REFRESH_AFTER


def init_app(app: Flask) -> None:
    app.session_interface = RefreshingSessionInterface()
