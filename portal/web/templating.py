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

from babel.support import NullTranslations
from flask import Flask, g, has_app_context
from flask_babel import get_timezone, get_translations
from jinja2 import StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

Helper = Callable[..., Any]


def points(value: Any) -> str:
    """A score or a number of points as people write it: 9, 9.5, 66.7 (not 9.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:g}"


def clock_time(value: datetime) -> str:
    """A moment's local time of day, 15:04:05 (as `datetimeformat("HH:mm:ss")` shows it, for
    long lists: one timezone conversion, no locale pattern)."""
    return value.astimezone(_timezone()).strftime("%H:%M:%S")


def _timezone() -> Any:
    """`flask_babel.get_timezone()`, reading the zone it keeps on `g` when it has one (a
    console lists many times; `refresh` drops the kept zone, and the next call asks again)."""
    if has_app_context():
        babel_context = getattr(g._get_current_object(), "_flask_babel", None)  # type: ignore[attr-defined]
        found = getattr(babel_context, "babel_tzinfo", None)
        if found is not None:
            return found
    return get_timezone()


def request_translations() -> NullTranslations:
    """The request's translations, looked up once per request and locale.

    Flask-Babel's own `_()` in templates walks the app context, the locale and the domain
    at every call (about 10 µs; a trainee's track page calls it some fifty times). The
    catalog found is kept on `g` with the locale object it was found for: a language
    switched within the request (`flask_babel.refresh`, `force_locale`) replaces that
    object, and the next call looks again.
    """
    if not has_app_context():
        return get_translations()
    app_globals = g._get_current_object()  # type: ignore[attr-defined]
    babel_context = getattr(app_globals, "_flask_babel", None)
    locale = getattr(babel_context, "babel_locale", None)
    cached = getattr(app_globals, "_portal_translations", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]  # type: ignore[no-any-return]
    translations = get_translations()
    locale = getattr(getattr(app_globals, "_flask_babel", None), "babel_locale", None)
    if locale is not None:
        app_globals._portal_translations = (locale, translations)
    return translations


@pass_context
def template_gettext(context: Context, string: str, /, **variables: Any) -> str:
    """Templates' `_()`: what Jinja's new-style `gettext` does (the translation, escaped
    when autoescaping, always %-formatted with the keyword arguments), in one call instead
    of three (its `_` looks `gettext` up and calls it, which calls the translation)."""
    translated = request_translations().ugettext(string)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)
    return translated % variables  # type: ignore[no-any-return]


def _install_gettext(app: Flask) -> None:
    """Templates' `_()`, `ngettext()` and friends through `request_translations` (the same
    catalogs and the same new-style, autoescaped formatting Flask-Babel installs)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["_"] = template_gettext


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
    _install_gettext(app)  # after Flask-Babel's init_app, which installs its own
    register(app, functions={"points": points}, filters={"pts": points, "clock_time": clock_time})
