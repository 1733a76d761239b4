"""The cohort analytics pages and their tables as CSV files (trainers and supervisors, for
the cohorts they follow)."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal.analytics import cohorts as services
from portal.analytics.views import csv_download
from portal.db import utcnow
from portal.messages import Message
from portal.web.access import roles
from portal.web.db import db_session, writes
from portal.web.render import render

bp = Blueprint("analytics_cohorts", __name__, template_folder="templates")


def _timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _page(cohort_id: int) -> services.CohortAnalytics:
    return services.cohort_analytics(db_session(), actor=current_user, cohort_id=cohort_id,
                                     now=utcnow(), tz=_timezone())


def _overview() -> services.CohortsOverview:
    return services.cohorts_overview(db_session(), actor=current_user, now=utcnow(),
                                     tz=_timezone())


@bp.get("/analytics/cohorts")
@roles(*services.ROLES)
@writes  # exam attempts whose time is up are submitted first
def overview() -> ResponseReturnValue:
    return render("analytics/cohort_overview.html", overview=_overview(),
                  warning_label=services.warning_label, warning_note=services.warning_note)


@bp.get("/analytics/cohorts/<int:cohort_id>")
@roles(*services.ROLES)
@writes
def cohort(cohort_id: int) -> ResponseReturnValue:
    return render("analytics/cohort_detail.html", page=_page(cohort_id),
                  warning_label=services.warning_label, warning_note=services.warning_note,
                  top_modules=services.TOP_MODULES)


def _text(message: Message) -> str:
    """A message in the reader's language, formatted even without parameters (so that a
    literal "%%" in a header is written "%", as a template writes it)."""
    return str(_(message.text) % message.params)


def _csv(table: services.Table, *, name: str, on: date, label: str,
         fallback: str) -> Response:
    """The table as a CSV download named after `name`, `label` and the date (an ASCII
    fallback name for old clients), never kept by a proxy."""
    headers = [_text(h) for h in table.headers]
    rows = [[_text(v) if isinstance(v, Message) else v for v in row] for row in table.rows]
    return csv_download(headers, rows, name=name, label=label, fallback=fallback, on=on)


@bp.get("/analytics/cohorts.csv")
@roles(*services.ROLES)
@writes
def overview_csv() -> ResponseReturnValue:
    found = _overview()
    return _csv(services.overview_table(found), name="", on=found.on, label=_("批次对比"),
                fallback="cohorts")


@bp.get("/analytics/cohorts/<int:cohort_id>/stages.csv")
@roles(*services.ROLES)
@writes
def stages_csv(cohort_id: int) -> ResponseReturnValue:
    page = _page(cohort_id)
    return _csv(services.stages_table(page), name=page.cohort.name, on=page.on,
                label=_("阶段用时"), fallback=f"cohort-{cohort_id}-stages")


@bp.get("/analytics/cohorts/<int:cohort_id>/attempts.csv")
@roles(*services.ROLES)
@writes
def attempts_csv(cohort_id: int) -> ResponseReturnValue:
    page = _page(cohort_id)
    return _csv(services.attempts_table(page), name=page.cohort.name, on=page.on,
                label=_("各次作答通过率"), fallback=f"cohort-{cohort_id}-attempts")


@bp.get("/analytics/cohorts/<int:cohort_id>/modules.csv")
@roles(*services.ROLES)
@writes
def modules_csv(cohort_id: int) -> ResponseReturnValue:
    page = _page(cohort_id)
    return _csv(services.modules_table(page), name=page.cohort.name, on=page.on,
                label=_("答错题目与未打开模块"), fallback=f"cohort-{cohort_id}-modules")
