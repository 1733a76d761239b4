"""Probation pages for trainers and supervisors: a cohort's recommendations, one trainee's
case (reasons with evidence links, the proposal form, the decision form, the trail)."""
from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from portal.auth.models import Role
from portal.db import utcnow
from portal.probation import services
from portal.probation.errors import ProposalInvalid
from portal.probation.rules import EvidenceKind, Outcome
from portal.probation.services.trail import MAX_REASON_CHARS
from portal.web.access import roles
from portal.web.db import db_session, writes
from portal.web.errors import translate
from portal.web.render import redirect_after_post, render, wants_fragment

bp = Blueprint("probation", __name__, template_folder="templates")

STAFF = (Role.TRAINER, Role.SUPERVISOR)


def _context() -> dict[str, object]:
    return {"tr": translate, "Outcome": Outcome, "EvidenceKind": EvidenceKind,
            "reason_max": MAX_REASON_CHARS, "may_decide": services.may_decide}


def _id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@bp.get("/probation")
@roles(*STAFF)
@writes  # reading an exam's attempts submits one whose time ran out
def cohort() -> ResponseReturnValue:
    session = db_session()
    choices = services.cohort_choices(session, actor=current_user)
    cohort_id = _id(request.args.get("cohort", ""))
    if cohort_id is None and choices:
        cohort_id = choices[0].id
    cases = None
    if cohort_id is not None:
        cases = services.cohort_cases(session, actor=current_user, cohort_id=cohort_id,
                                      policy=services.current_policy(), now=utcnow())
    return render("probation/cohort.html", cohorts=choices, cohort_id=cohort_id, cases=cases,
                  **_context())


def _case_page(trainee_id: int, *, errors: dict[str, str] | None = None,
               entered: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    case = services.trainee_case(db_session(), actor=current_user, trainee_id=trainee_id,
                                 policy=services.current_policy(), now=utcnow())
    return render("probation/case.html", block="case", case=case, errors=errors or {},
                  entered=entered or {}, status=status, **_context())


@bp.get("/probation/trainees/<int:trainee_id>")
@roles(*STAFF)
@writes  # reading an exam's attempts submits one whose time ran out
def case(trainee_id: int) -> ResponseReturnValue:
    return _case_page(trainee_id)


@bp.post("/probation/trainees/<int:trainee_id>/proposals")
@roles(*STAFF)
def propose(trainee_id: int) -> ResponseReturnValue:
    session = db_session()
    form = {k: request.form.get(k, "")[: MAX_REASON_CHARS + 1]
            for k in ("outcome", "effective_date", "reason", "corrects")}
    try:
        services.propose(session, actor=current_user, trainee_id=trainee_id,
                         outcome=form["outcome"], effective_date=form["effective_date"],
                         reason=form["reason"], corrects_id=_id(form["corrects"]),
                         policy=services.current_policy(), now=utcnow())
    except ProposalInvalid as exc:
        session.rollback()
        return _case_page(trainee_id, errors={"proposal": translate(exc.message)},
                          entered=form, status=422)
    return _after_post(trainee_id, gettext("提议已记录，等待另一位客服主管决定。"))


@bp.post("/probation/proposals/<int:proposal_id>/decision")
@roles(*STAFF)
def decide(proposal_id: int) -> ResponseReturnValue:
    session = db_session()
    proposal = services.get_proposal(session, actor=current_user, proposal_id=proposal_id)
    trainee_id = proposal.trainee_id
    form = {k: request.form.get(k, "")[: MAX_REASON_CHARS + 1]
            for k in ("choice", "outcome", "effective_date", "reason")}
    try:
        services.decide(session, actor=current_user, proposal_id=proposal_id,
                        accept=form["choice"] != "otherwise", outcome=form["outcome"],
                        effective_date=form["effective_date"], reason=form["reason"],
                        now=utcnow())
    except ProposalInvalid as exc:
        session.rollback()
        return _case_page(trainee_id, errors={"decision": translate(exc.message)},
                          entered=form, status=422)
    return _after_post(trainee_id, gettext("决定已记录。决定不能修改，如需更正请提出新的提议。"))


def _after_post(trainee_id: int, notice: str) -> ResponseReturnValue:
    if wants_fragment():
        session = db_session()
        session.flush()
        case = services.trainee_case(session, actor=current_user, trainee_id=trainee_id,
                                     policy=services.current_policy(), now=utcnow())
        return render("probation/case.html", block="case", case=case, errors={}, entered={},
                      notice=notice, **_context())
    flash(notice, "success")
    return redirect_after_post(url_for("probation.case", trainee_id=trainee_id))
