"""Placement pages: a trainee's role preference, and per cohort the staffing plan, the proposal
with its explanations, changes with a reason and the confirmation (supervisors decide,
trainers and admins see it read-only)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from portal.auth.models import Role
from portal.db import utcnow
from portal.errors import NotFound
from portal.messages import N_, msg
from portal.placement import forms, services
from portal.placement.errors import PlacementError
from portal.placement.fits import PlacementPolicy
from portal.placement.models import CHANGE_REASON_LABELS, ChangeReason
from portal.placement.policy import DEFAULT_PATH, load_policy
from portal.placement.rules import PlacementRole, agents_line, step_line
from portal.web.access import roles
from portal.web.db import db_session
from portal.web.errors import translate
from portal.web.render import redirect_after_post, render, wants_fragment

bp = Blueprint("placement", __name__, template_folder="templates", static_folder="static",
               static_url_path="/placement/static")

STAFF = (Role.TRAINER, Role.SUPERVISOR, Role.ADMIN)


# --- the trainee --------------------------------------------------------------------------------


def _preference_page(*, error: str | None = None, saved: bool = False,
                     status: int = 200) -> ResponseReturnValue:
    mine = services.my_placement(db_session(), trainee=current_user)
    return render("placement/preference.html", block="preference", mine=mine,
                  roles=forms.ROLE_CHOICES, error=error, saved=saved, status=status)


@bp.get("/placement/me")
@roles(Role.TRAINEE)
def my_preference() -> ResponseReturnValue:
    return _preference_page()


@bp.post("/placement/me")
@roles(Role.TRAINEE)
def preference_save() -> ResponseReturnValue:
    session = db_session()
    try:
        services.set_preference(session, trainee=current_user,
                                role=forms.text("role", 32), now=utcnow())
    except PlacementError as exc:
        session.rollback()
        return _preference_page(error=translate(exc.message), status=exc.status)
    if wants_fragment():
        return _preference_page(saved=True)
    flash(gettext("已保存你的岗位意向。"), "success")
    return redirect_after_post(url_for("placement.my_preference"))


# --- staff --------------------------------------------------------------------------------------


@bp.get("/placement")
@roles(*STAFF)
def cohorts() -> ResponseReturnValue:
    choices = services.cohort_choices(db_session(), actor=current_user)
    if len(choices) == 1:
        return redirect(url_for("placement.cohort_show", cohort_id=choices[0].id))
    return render("placement/cohorts.html", choices=choices)


def policy() -> tuple[PlacementPolicy | None, list[str]]:
    """The placement policy file (PLACEMENT_POLICY_PATH, by default the shipped one)."""
    path = Path(current_app.config.get("PLACEMENT_POLICY_PATH") or DEFAULT_PATH)
    found, problems = load_policy(path)
    return found, [f"{p.path}{':' + str(p.line) if p.line else ''}: {translate(p.message)}"
                   for p in problems]


def _cohort_page(cohort_id: int, *, errors: dict[str, str] | None = None,
                 entered: dict[str, str] | None = None, status: int = 200,
                 policy_problems: list[str] | None = None) -> ResponseReturnValue:
    page = services.cohort_placement(db_session(), actor=current_user, cohort_id=cohort_id)
    return render("placement/cohort.html", block="body", page=page, errors=errors or {},
                  entered=entered or {}, policy_problems=policy_problems or [],
                  roles=forms.ROLE_CHOICES, reasons=list(ChangeReason),
                  reason_labels=CHANGE_REASON_LABELS, formula_fields=forms.FORMULA_LABELS,
                  step_line=step_line, agents_line=agents_line, comment_max=services.MAX_COMMENT,
                  status=status)


@bp.get("/placement/cohorts/<int:cohort_id>")
@roles(*STAFF)
def cohort_show(cohort_id: int) -> ResponseReturnValue:
    return _cohort_page(cohort_id)


def _done(cohort_id: int, message: str) -> ResponseReturnValue:
    if wants_fragment():
        return _cohort_page(cohort_id, errors={"saved": message})
    flash(message, "success")
    return redirect_after_post(url_for("placement.cohort_show", cohort_id=cohort_id))


@bp.post("/placement/cohorts/<int:cohort_id>/plan")
@roles(*STAFF)
def plan_save(cohort_id: int) -> ResponseReturnValue:
    session = db_session()
    entered = forms.plan_entered()
    try:
        services.save_plan(session, actor=current_user, cohort_id=cohort_id,
                           method=entered.get("method", ""),
                           capacities={r.value: entered.get(r.value, "") for r in PlacementRole},
                           formula={k: entered.get(k, "") for k in forms.FORMULA_LABELS},
                           now=utcnow())
    except PlacementError as exc:
        session.rollback()
        return _cohort_page(cohort_id, errors={"plan": translate(exc.message)}, entered=entered,
                            status=exc.status)
    return _done(cohort_id, gettext("已保存人员计划。"))


@bp.post("/placement/cohorts/<int:cohort_id>/propose")
@roles(*STAFF)
def propose(cohort_id: int) -> ResponseReturnValue:
    session = db_session()
    found, problems = policy()
    if found is None:
        return _cohort_page(cohort_id, errors={"propose": translate(msg(N_(
            "岗位安排规则文件有问题，请培训组长改正后再生成方案")))}, policy_problems=problems,
            status=422)
    try:
        services.propose(session, actor=current_user, cohort_id=cohort_id, policy=found,
                         now=utcnow())
    except PlacementError as exc:
        session.rollback()
        return _cohort_page(cohort_id, errors={"propose": translate(exc.message)},
                            status=exc.status)
    return _done(cohort_id, gettext("已生成岗位安排方案。"))


@bp.post("/placement/rows/<int:row_id>/change")
@roles(*STAFF)
def row_change(row_id: int) -> ResponseReturnValue:
    session = db_session()
    cohort_id = services.row_cohort_id(session, row_id=row_id)
    if cohort_id is None:
        raise NotFound(N_("找不到这条岗位安排"))
    entered = {"row": str(row_id), "role": forms.text("role", 32),
               "reason": forms.text("reason", 32), "comment": forms.text("comment", 600)}
    try:
        services.change_placement(session, actor=current_user, row_id=row_id,
                                  role=entered["role"], reason=entered["reason"],
                                  comment=entered["comment"], now=utcnow())
    except PlacementError as exc:
        session.rollback()
        return _cohort_page(cohort_id, errors={f"row-{row_id}": translate(exc.message)},
                            entered=entered, status=exc.status)
    return _done(cohort_id, gettext("已调整岗位安排。"))


@bp.post("/placement/proposals/<int:proposal_id>/confirm")
@roles(*STAFF)
def confirm(proposal_id: int) -> ResponseReturnValue:
    session = db_session()
    cohort_id = services.proposal_cohort_id(session, proposal_id=proposal_id)
    if cohort_id is None:
        raise NotFound(N_("找不到这个安排方案"))
    try:
        services.confirm(session, actor=current_user, proposal_id=proposal_id, now=utcnow())
    except PlacementError as exc:
        session.rollback()
        return _cohort_page(cohort_id, errors={"confirm": translate(exc.message)},
                            status=exc.status)
    return _done(cohort_id, gettext("已确认岗位安排，新客服现在可以看到自己的岗位。"))
