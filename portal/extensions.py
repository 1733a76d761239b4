"""Flask extensions, created unbound and bound in create_app()."""
from __future__ import annotations

from typing import Any, ClassVar

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy.engine import Engine

from portal.auth.throttle import DatabaseStorage


def _remote_address() -> str:
    return request.remote_addr or "unknown"


def _app_engine() -> Engine:
    return current_app.extensions["portal.engine"]


class PortalDatabaseStorage(DatabaseStorage):
    """`RATELIMIT_STORAGE_URI = "portal-db://"`: the log-in counters live in the database
    of the app serving the request (its engine is looked up at each call, so a process
    that builds several apps, as the tests do, counts in each app's own database)."""

    STORAGE_SCHEME: ClassVar[list[str] | None] = ["portal-db"]  # limits' registry reads it

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: Any) -> None:
        options.setdefault("engine", _app_engine)
        super().__init__(uri, wrap_exceptions, **options)


login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()
limiter = Limiter(key_func=_remote_address, default_limits=[])
