"""The trainer's side of exams: grading queue, grading a response, results, overrides, regrade."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.auth.models import Role
from portal.db import utcnow
from portal.exams import errors, forms, grading
from portal.exams.errors import ManualScoreInvalid
from portal.web.access import roles
from portal.web.db import db_session, writes
from portal.web.errors import translate
from portal.web.render import redirect_after_post, render
from portal.web.templating import points

bp = Blueprint("exam_staff", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/exam-staff")

EXAM_KEY_MAX = 64


@bp.context_processor
def _staff_context() -> dict[str, object]:
    return {"may_grade": current_user.is_authenticated
            and current_user.role is Role.TRAINER}


class OverrideForm(FlaskForm):
    """Extra time and/or attempts for one trainee; the reason is required (audited)."""

    extra_minutes = IntegerField(
        _l("加时（分钟）"), default=0,
        validators=[Optional(), NumberRange(min=0, max=grading.MAX_EXTRA_MINUTES)],
        render_kw={"min": 0, "max": grading.MAX_EXTRA_MINUTES, "inputmode": "numeric"})
    extra_attempts = IntegerField(
        _l("补考次数"), default=0,
        validators=[Optional(), NumberRange(min=0, max=grading.MAX_EXTRA_ATTEMPTS)],
        render_kw={"min": 0, "max": grading.MAX_EXTRA_ATTEMPTS, "inputmode": "numeric"})
    reason = TextAreaField(
        _l("原因"), validators=[DataRequired(_l("请填写原因")),
                               Length(max=grading.MAX_REASON_CHARS)],
        render_kw={"rows": 2, "maxlength": grading.MAX_REASON_CHARS})

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not (self.extra_minutes.data or self.extra_attempts.data):
            self.extra_minutes.errors = [gettext("请填写加时分钟数或补考次数")]
            ok = False
        return ok


def _override_form(trainee_id: int, *, formdata: Any = None) -> OverrideForm:
    # A prefix per trainee: every form on the results page has its own field ids.
    return OverrideForm(prefix=f"t{trainee_id}", formdata=formdata)


# --- the queue ----------------------------------------------------------------------------


@bp.get("/grading")
@roles(Role.TRAINER)
def queue() -> ResponseReturnValue:
    exam_key = request.args.get("exam", "")[:EXAM_KEY_MAX]
    waiting = grading.grading_queue(db_session(), actor=current_user, exam_key=exam_key,
                                    now=utcnow())
    return render("exams/staff/queue.html", queue=waiting, block="queue")


# --- grading one response ------------------------------------------------------------------


@bp.get("/grading/responses/<int:response_id>")
@roles(Role.TRAINER)
def response_grade(response_id: int) -> ResponseReturnValue:
    """The grading page; opening it locks nothing (the lock comes with the first score)."""
    page = grading.grading_page(db_session(), actor=current_user, response_id=response_id,
                                now=utcnow())
    return render("exams/staff/grade.html", page=page, entered={}, comment=None,
                  block="grading")


@bp.post("/grading/responses/<int:response_id>/claim")
@roles(Role.TRAINER)
def response_claim(response_id: int) -> ResponseReturnValue:
    """The grader starts scoring ("开始评分", or the first score typed): the lock is taken
    or renewed. htmx gets the lock's status line; a plain form the page again."""
    page = grading.claim_response(db_session(), actor=current_user, response_id=response_id,
                                  now=utcnow())
    return render("exams/staff/grade.html", page=page, entered={}, comment=None,
                  block="lock_status" if request.form.get("status") else "grading")


@bp.post("/grading/responses/<int:response_id>/release")
@roles(Role.TRAINER)
def response_release(response_id: int) -> ResponseReturnValue:
    """The grader leaves without saving (the page's beacon, or "放弃评分"): the lock is
    given up at once."""
    grading.release_response(db_session(), actor=current_user, response_id=response_id)
    if request.form.get("beacon"):
        return "", 204
    return redirect_after_post(url_for("exam_staff.queue"))


@bp.post("/grading/responses/<int:response_id>")
@roles(Role.TRAINER)
def response_grade_save(response_id: int) -> ResponseReturnValue:
    session = db_session()
    now = utcnow()
    page = grading.grading_page(session, actor=current_user, response_id=response_id, now=now,
                                claim=False)
    response = page.response
    scores = forms.scores_from_form(page.sections, request.form)
    comment = request.form.get("comment", "")[: grading.MAX_COMMENT_CHARS + 1]
    try:
        grading.grade_response(session, actor=current_user, response_id=response_id,
                               scores=scores, comment=comment, now=now)
    except (ManualScoreInvalid, errors.GradeInvalid) as exc:
        return _refused(response_id, exc, status=422, comment=comment)
    except (errors.LockHeld, errors.AlreadyGraded) as exc:
        return _refused(response_id, exc, status=409, comment=comment)
    attempt = response.attempt
    if attempt.score is not None:
        flash(gettext("已保存评分。%(name)s 的最终成绩：%(score)s 分（%(result)s）。",
                      name=page.trainee.display_name, score=points(attempt.score),
                      result=gettext("通过") if attempt.passed else gettext("未通过")), "success")
    else:
        flash(gettext("已保存评分。%(name)s 的这次作答还有题目待评分。",
                      name=page.trainee.display_name), "success")
    return redirect_after_post(url_for("exam_staff.queue"))


def _refused(response_id: int, exc: Exception, *, status: int,
             comment: str) -> ResponseReturnValue:
    """The grading page again with what was typed, saying why nothing was saved."""
    db_session().rollback()  # nothing of the refused save stays
    page = grading.grading_page(db_session(), actor=current_user, response_id=response_id,
                                now=utcnow(), claim=False)
    return render("exams/staff/grade.html", page=page, entered=request.form, comment=comment,
                  error=translate(exc.message), status=status,  # type: ignore[attr-defined]
                  block="grading")


# --- results, attempts --------------------------------------------------------------------


@bp.get("/exam-results")
@roles(Role.TRAINER, Role.SUPERVISOR)
def exam_list() -> ResponseReturnValue:
    return render("exams/staff/exams.html",
                  exams=grading.exams_overview(db_session(), actor=current_user))


@bp.get("/exams/<exam_key>/results")
@roles(Role.TRAINER, Role.SUPERVISOR)
@writes  # attempts whose time is up are submitted first
def exam_results(exam_key: str) -> ResponseReturnValue:
    results = grading.exam_results(db_session(), actor=current_user, exam_key=exam_key,
                                   now=utcnow())
    forms = {row.trainee.id: _override_form(row.trainee.id) for row in results.rows}
    return render("exams/staff/results.html", results=results, forms=forms)


@bp.get("/attempts/<int:attempt_id>/review")
@roles(Role.TRAINER, Role.SUPERVISOR)
@writes  # an attempt whose time is up is submitted first
def attempt_review(attempt_id: int) -> ResponseReturnValue:
    review = grading.attempt_review(db_session(), actor=current_user, attempt_id=attempt_id,
                                    now=utcnow())
    only_lost = request.args.get("show") == "lost"
    return render("exams/staff/review.html", review=review, only_lost=only_lost,
                  items=[i for i in review.items if i.lost or not only_lost])


# --- overrides ------------------------------------------------------------------------------


@bp.post("/exams/<exam_key>/trainees/<int:trainee_id>/overrides")
@roles(Role.TRAINER)
def override_create(exam_key: str, trainee_id: int) -> ResponseReturnValue:
    session = db_session()
    now = utcnow()
    # Who may grant what is decided before the form is even read.
    grading.override_target(session, actor=current_user, exam_key=exam_key,
                            trainee_id=trainee_id)
    form = _override_form(trainee_id, formdata=request.form)
    if form.validate_on_submit():
        try:
            result = grading.create_override(
                session, actor=current_user, exam_key=exam_key, trainee_id=trainee_id,
                extra_minutes=form.extra_minutes.data or 0,
                extra_attempts=form.extra_attempts.data or 0, reason=form.reason.data or "",
                now=now)
        except errors.OverrideInvalid as exc:
            form.reason.errors = [translate(exc.message)]
        else:
            message = gettext("已为 %(name)s 记录调整。", name=result.trainee.display_name)
            if result.extended is not None:
                message += " " + gettext("进行中的作答已延长到 %(t)s。",
                                         t=format_datetime(result.extended.deadline_at, "short"))
            flash(message, "success")
            return redirect_after_post(url_for("exam_staff.exam_results", exam_key=exam_key)
                                       + f"#trainee-{trainee_id}")
    # The page (or, for htmx, that trainee's part of it) again, with the errors.
    results = grading.exam_results(session, actor=current_user, exam_key=exam_key, now=now)
    row = next(r for r in results.rows if r.trainee.id == trainee_id)
    forms = {r.trainee.id: _override_form(r.trainee.id) for r in results.rows}
    forms[trainee_id] = form
    return render("exams/staff/results.html", results=results, forms=forms, row=row, form=form,
                  status=422, block="override")


# --- regrade ----------------------------------------------------------------------------------


@bp.get("/questions/<int:question_id>/regrade")
@roles(Role.TRAINER)
def regrade_preview(question_id: int) -> ResponseReturnValue:
    plan = grading.plan_regrade(db_session(), actor=current_user, question_id=question_id,
                                use_current=request.args.get("use_current") == "1")
    return render("exams/staff/regrade.html", plan=plan, block="plan")


@bp.post("/questions/<int:question_id>/regrade")
@roles(Role.TRAINER)
def regrade_apply(question_id: int) -> ResponseReturnValue:
    use_current = request.form.get("use_current") == "1"
    plan = grading.apply_regrade(db_session(), actor=current_user, question_id=question_id,
                                 use_current=use_current,
                                 expected_version_id=request.form.get("version", 0, type=int),
                                 now=utcnow())
    changes = len(plan.changes)
    if changes:
        flash(gettext("已重新评分：%(n)d 份作答有变化，每一处改动都记入了审计日志。", n=changes),
              "success")
    else:
        flash(gettext("重新评分没有改变任何作答。"), "info")
    return redirect_after_post(url_for("exam_staff.regrade_preview", question_id=question_id,
                                       use_current="1" if use_current else None))
