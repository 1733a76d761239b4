"""The cohort dashboard and its exports for HR (Excel and CSV)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal.cohorts import exports, rules, services
from portal.db import utcnow
from portal.messages import Message
from portal.web.access import roles
from portal.web.db import db_session, writes
from portal.web.errors import translate
from portal.web.render import render

bp = Blueprint("cohorts", __name__, template_folder="templates", static_folder="static",
               static_url_path="/cohorts/static")


def _timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.get("/cohorts/<int:cohort_id>/dashboard")
@roles(*services.ROLES)
@writes  # exam attempts whose time is up are submitted first
def dashboard(cohort_id: int) -> ResponseReturnValue:
    board = services.cohort_dashboard(db_session(), actor=current_user, cohort_id=cohort_id,
                                      now=utcnow(), tz=_timezone())
    return render("cohorts/dashboard.html", dashboard=board, area_label=services.area_label)


def _export(cohort_id: int) -> tuple[services.CohortExport, list[str], list[list[exports.Value]]]:
    export = services.cohort_export(db_session(), actor=current_user, cohort_id=cohort_id,
                                    now=utcnow(), tz=_timezone())
    headers = [translate(c.header) for c in export.columns]
    rows = [[translate(v) if isinstance(v, Message) else v for v in row] for row in export.rows()]
    return export, headers, rows


def _download(body: bytes, *, mimetype: str, export: services.CohortExport,
              extension: str) -> Response:
    """The file, named after the cohort and the date (with an ASCII name for old clients)."""
    filename = rules.export_filename(export.cohort.name, export.on, extension,
                                     label=_("培训结果"))
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = rules.content_disposition(
        filename, fallback=f"cohort-{export.cohort.id}-{export.on.isoformat()}.{extension}")
    response.headers["Cache-Control"] = "no-store"  # personal data: not kept by proxies
    return response


@bp.get("/cohorts/<int:cohort_id>/export.xlsx")
@roles(*services.ROLES)
@writes
def export_xlsx(cohort_id: int) -> ResponseReturnValue:
    export, headers, rows = _export(cohort_id)
    body = exports.to_xlsx(title=export.cohort.name, headers=headers, rows=rows)
    return _download(body, mimetype=exports.XLSX_TYPE, export=export, extension="xlsx")


@bp.get("/cohorts/<int:cohort_id>/export.csv")
@roles(*services.ROLES)
@writes
def export_csv(cohort_id: int) -> ResponseReturnValue:
    export, headers, rows = _export(cohort_id)
    return _download(exports.to_csv(headers=headers, rows=rows), mimetype=exports.CSV_TYPE,
                     export=export, extension="csv")
