"""Admin pages: users, cohorts and the audit log."""
from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from portal.audit import services as audit_services
from portal.auth import services as auth_services
from portal.auth.models import Role
from portal.web.access import roles
from portal.web.db import db_session
from portal.web.render import render

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/users")
@roles(Role.ADMIN)
def users() -> ResponseReturnValue:
    q = request.args.get("q", "")
    return render("admin/users.html", users=auth_services.list_users(db_session(), query=q), q=q,
                  block="results")


@bp.get("/cohorts")
@roles(Role.ADMIN)
def cohorts() -> ResponseReturnValue:
    return render("admin/cohorts.html", cohorts=auth_services.list_cohorts(db_session()))


@bp.get("/audit")
@roles(Role.ADMIN)
def audit_log() -> ResponseReturnValue:
    return render("admin/audit_log.html", events=audit_services.recent(db_session()))
