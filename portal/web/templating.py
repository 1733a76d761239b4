"""Template helpers every page may use, registered once on the app (not per blueprint).

They are Jinja globals and filters, so a macro imported without context and a block
rendered alone as an htmx fragment see them too. The web layer knows no domain: each
domain registers its own helpers with `register` (exams: `portal/exams/templating.py`),
called from `create_app`; a name registered twice fails at start, so each is defined once.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import get_timezone
from jinja2 import StrictUndefined

Helper = Callable[..., Any]


def points(value: Any) -> str:
    """A score or a number of points as people write it: 9, 9.5, 66.7 (not 9.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:g}"


def clock_time(value: datetime) -> str:
    """A moment's local time of day, 15:04:05 (as `datetimeformat("HH:mm:ss")` shows it, for
    long lists: one timezone conversion, no locale pattern)."""
    return value.astimezone(get_timezone()).strftime("%H:%M:%S")


def register(app: Flask, *, functions: Mapping[str, Helper] | None = None,
             filters: Mapping[str, Helper] | None = None) -> None:
    """Make a domain's helpers (Jinja globals and filters) available to every template."""
    seen: dict[str, set[str]] = app.extensions.setdefault(
        "portal.template_helpers", {"globals": set(), "filters": set()})
    for table, name, added in ((app.jinja_env.globals, "globals", functions or {}),
                               (app.jinja_env.filters, "filters", filters or {})):
        twice = sorted(seen[name] & set(added))
        if twice:
            raise ValueError(f"template {name} registered twice: {', '.join(twice)}")
        seen[name].update(added)
        table.update(added)


def init_app(app: Flask) -> None:
    """Register the helpers of no domain; with JINJA_STRICT_UNDEFINED (the tests' setting) a
    name a template does not define fails the render instead of showing nothing."""
    if app.config.get("JINJA_STRICT_UNDEFINED"):
        app.jinja_env.undefined = StrictUndefined
    register(app, functions={"points": points}, filters={"pts": points, "clock_time": clock_time})
