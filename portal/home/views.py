"""The landing page: each role sees its own home."""
from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.auth.models import Role
from portal.courses import services as courses_services
from portal.db import utcnow
from portal.home import services
from portal.placement import services as placement_services
from portal.probation import services as probation
from portal.progress import results as progress_results
from portal.web.access import signed_in
from portal.web.db import db_session, writes
from portal.web.render import render

bp = Blueprint("home", __name__, template_folder="templates")


@bp.get("/")
@signed_in
@writes  # a trainee's exam whose time is up is submitted before its result is shown
def index() -> ResponseReturnValue:
    role = current_user.role
    if role is Role.ADMIN:
        return redirect(url_for("admin.users"))
    if role is Role.TRAINEE:
        session = db_session()
        view = courses_services.track_for_trainee(session, user=current_user)
        results = progress_results.my_results(session, user=current_user, now=utcnow())
        placement = placement_services.my_placement(session, trainee=current_user)
        return render("home/trainee.html", cohort=current_user.cohort, view=view,
                      results=results, track_key=view.track.key if view else None,
                      probation_outcome=probation.my_outcome(session, trainee=current_user),
                      placement=placement)
    home = services.staff_home(db_session(), actor=current_user, now=utcnow())
    return render("home/staff.html", cohorts=home.cohorts, waiting=home.waiting,
                  track_titles=home.track_titles, bank_warnings=home.bank_warnings)
