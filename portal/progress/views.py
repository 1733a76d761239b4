"""The cohort progress grid and the trainee timeline for staff; a trainee's own results."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.auth.models import Role
from portal.db import utcnow
from portal.progress import results, services
from portal.progress.rules import ScheduleFilter
from portal.web.access import roles
from portal.web.db import db_session, writes
from portal.web.render import render

bp = Blueprint("progress", __name__, template_folder="templates")

QUERY_MAX = 50


def _timezone() -> ZoneInfo:
    # "Today" and day boundaries are those of the portal's working time zone.
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.get("/cohorts/<int:cohort_id>/progress")
@roles(Role.TRAINER, Role.SUPERVISOR, Role.ADMIN)
def cohort_grid(cohort_id: int) -> ResponseReturnValue:
    filters = services.GridFilters(stage=request.args.get("stage", "")[:64],
                                   status=request.args.get("status", ""),
                                   query=request.args.get("q", "").strip()[:QUERY_MAX])
    grid = services.cohort_grid(db_session(), actor=current_user, cohort_id=cohort_id,
                                filters=filters, now=utcnow(), tz=_timezone())
    return render("progress/cohort_grid.html", grid=grid, schedule_filters=list(ScheduleFilter),
                  query_max=QUERY_MAX, block="grid")


@bp.get("/trainees/<int:trainee_id>/timeline")
@roles(Role.TRAINER, Role.SUPERVISOR, Role.ADMIN)
@writes  # reading the trainee's attempts submits one whose time is up
def trainee_timeline(trainee_id: int) -> ResponseReturnValue:
    timeline = services.trainee_timeline(db_session(), actor=current_user, trainee_id=trainee_id,
                                         now=utcnow(), tz=_timezone())
    return render("progress/trainee_timeline.html", timeline=timeline)


@bp.get("/my/results")
@roles(Role.TRAINEE)
@writes  # an attempt whose time is up is submitted first
def my_results() -> ResponseReturnValue:
    return render("progress/my_results.html",
                  results=results.my_results(db_session(), user=current_user, now=utcnow()))
