"""The landing page: each role sees its own home."""
from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.auth.models import Role, User
from portal.courses import services as courses_services
from portal.db import utcnow
from portal.home import services
from portal.placement import services as placement_services
from portal.probation import services as probation
from portal.progress import results as progress_results
from portal.web.access import current_account, principal_only, signed_in
from portal.web.db import UndeclaredWrite, db_session, reads_first, write_phase
from portal.web.render import render

bp = Blueprint("home", __name__, template_folder="templates")


@bp.get("/")
@signed_in
@principal_only  # a trainee's home needs of the account only what a Principal holds
@reads_first  # a trainee's exam whose time is up is submitted (in write_phase) before its result
def index() -> ResponseReturnValue:
    role = current_user.role
    if role is Role.ADMIN:
        return redirect(url_for("admin.users"))
    if role is Role.TRAINEE:
        session = db_session()
        now = utcnow()
        principal = current_user._get_current_object()  # type: ignore[attr-defined]
        mine = courses_services.my_track(session, user=principal)
        cohort, view = mine.cohort, mine.view
        try:
            results = progress_results.my_results(session, user=principal, now=now,
                                                  view=view)
            session.flush()
        except UndeclaredWrite:
            # An attempt's time is up: the reads are dropped and done again under the
            # write lock, which submits it; the page then renders outside the lock.
            with write_phase() as writing:
                user = writing.get_one(User, principal.id)
                view = courses_services.track_for_trainee(writing, user=user)
                cohort = user.cohort
                results = progress_results.my_results(writing, user=user, now=now, view=view)
        return render("home/trainee.html", cohort=cohort, view=view, results=results,
                      track_key=view.track.key if view else None,
                      probation_outcome=probation.my_outcome(session, trainee=principal),
                      placement=placement_services.my_placement(session, trainee=principal))
    home = services.staff_home(db_session(), actor=current_account(), now=utcnow())
    return render("home/staff.html", cohorts=home.cohorts, waiting=home.waiting,
                  track_titles=home.track_titles, bank_warnings=home.bank_warnings)
