"""The onboarding, training and exam portal: the application factory (wiring only)."""
from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, session
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as portal_config


def select_locale() -> str:
    from flask import current_app

    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@functools.cache
def _locale_object(identifier: str) -> Any:
    from babel import Locale

    return Locale.parse(identifier)


def _babel_locale() -> Any:
    """Flask-Babel's locale of the request: `select_locale`'s, parsed once per process (a
    Locale is returned as it is; parsing the identifier cost every request ~20 µs)."""
    return _locale_object(select_locale())


@functools.cache
def _timezone_object(name: str) -> Any:
    import pytz

    return pytz.timezone(name)


def _babel_timezone() -> Any:
    """The configured timezone, looked up once per process (Flask-Babel's default looks the
    name up again on every request that shows a time)."""
    from flask_babel import get_babel

    return _timezone_object(get_babel().default_timezone)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the portal. `config` overrides the environment (tests pass theirs here)."""
    app = Flask(__name__, instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or None)
    instance = Path(app.instance_path)
    app.config.update(portal_config.defaults(instance))
    app.config.update(portal_config.from_environment())
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = portal_config.instance_secret(instance)
    if app.config["DATABASE_URL"].startswith("sqlite:///") and ":memory:" not in app.config[
        "DATABASE_URL"
    ]:
        Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.config.setdefault("RATELIMIT_ENABLED", True)

    from portal.db import import_models

    import_models()
    from portal.web import routing

    routing.register(app)  # before any route: every <int:…> in a path is bounded
    _init_extensions(app)
    from portal.analytics import templating as analytics_templating
    from portal.exams import templating as exam_templating
    from portal.web import templating

    templating.init_app(app)
    exam_templating.init_app(app)  # question kinds' helpers: every page showing a question
    analytics_templating.init_app(app)  # the words of flags and warnings
    _register_blueprints(app)
    _register_assessments()
    from portal.web import layout

    layout.register(app)  # after the blueprints: it loads their templates
    _register_cli(app)
    logging.getLogger("portal").setLevel(logging.INFO)
    return app


def _init_extensions(app: Flask) -> None:
    from portal.auth import services as auth_services
    from portal.extensions import babel, csrf, htmx, limiter, login_manager
    from portal.web import db as web_db
    from portal.web import errors, security, sessions
    from portal.web.access import enforce_access
    from portal.web.render import is_htmx

    htmx.init_app(app)
    csrf.init_app(app)  # a forged or stale form is refused before the throttle counts it
    # The throttle before the request's session: Flask runs after_request hooks in reverse,
    # so the limiter's (which counts a failed log-in, in portal-db:// in a transaction of
    # its own) runs after the request's commit and never waits for this request's own
    # SQLite write lock (a signed-in user's page holds it while it renders).
    limiter.init_app(app)
    web_db.init_app(app)
    babel.init_app(app, locale_selector=_babel_locale, timezone_selector=_babel_timezone,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    sessions.init_app(app)  # the signed cookie, re-issued every few minutes
    login_manager.init_app(app)
    login_manager.session_protection = None  # the session version does this job, across devices
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def _load_user(token: str) -> Any:
        from flask import request

        if getattr(app.view_functions.get(request.endpoint or ""), "principal_only", False):
            return auth_services.load_principal(web_db.db_session(), token)
        return auth_services.load_user(web_db.db_session(), token)

    app.before_request(enforce_access)
    errors.register(app)
    security.register(app)

    @app.context_processor
    def _layout_context() -> dict[str, Any]:
        return {"current_locale": select_locale(), "languages": app.config["LANGUAGES"],
                "htmx_request": is_htmx()}


def _register_assessments() -> None:
    """Assessment domains tell courses which of their assessments are online, and progress
    where a trainee stands with them (one way: courses never imports those domains)."""
    from portal.chat.services import attempts as chat_attempts
    from portal.courses import services as courses
    from portal.exams import services as exams
    from portal.progress import results as progress_results

    courses.register_assessment_catalog(courses.AssessmentSource.EXAM, exams.ONLINE_EXAM_KEYS)
    courses.register_assessment_catalog(courses.AssessmentSource.CHAT_EXAM,
                                        chat_attempts.ONLINE_DRILL_KEYS)
    courses.register_assessment_standings(progress_results.assessment_standings)


def _register_blueprints(app: Flask) -> None:
    from portal.admin.views import bp as admin_bp
    from portal.analytics.chat_views import bp as analytics_chat_bp
    from portal.analytics.cohort_views import bp as analytics_cohorts_bp
    from portal.analytics.views import bp as analytics_bp
    from portal.auth.views import bp as auth_bp
    from portal.authoring.views import bp as authoring_bp
    from portal.banks.views import bp as banks_bp
    from portal.chat.staff_views import bp as chat_staff_bp
    from portal.chat.views import bp as chat_bp
    from portal.cohorts.views import bp as cohorts_bp
    from portal.courses.views import bp as courses_bp
    from portal.exams.staff_views import bp as exam_staff_bp
    from portal.exams.views import bp as exams_bp
    from portal.home.views import bp as home_bp
    from portal.observations.views import bp as observations_bp
    from portal.placement.views import bp as placement_bp
    from portal.probation.views import bp as probation_bp
    from portal.progress.views import bp as progress_bp
    from portal.web.views import bp as web_bp

    for bp in (web_bp, auth_bp, home_bp, courses_bp, admin_bp, progress_bp, authoring_bp, exams_bp,
               exam_staff_bp, banks_bp, chat_bp, chat_staff_bp, observations_bp, probation_bp,
               placement_bp, cohorts_bp, analytics_bp, analytics_cohorts_bp,
               analytics_chat_bp):
        app.register_blueprint(bp)


def _register_cli(app: Flask) -> None:
    from portal.cli import register

    register(app)
