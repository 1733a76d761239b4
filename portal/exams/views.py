"""Taking exams: the start page, the attempt with autosave, submitting, the result."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from portal.auth.models import Role
from portal.courses import services as courses
from portal.courses.errors import StageLocked
from portal.db import utcnow
from portal.errors import DomainError
from portal.exams import answers, rules, services
from portal.exams.errors import RevisionInvalid
from portal.exams.models import AttemptStatus
from portal.exams.services import attempts as attempt_services
from portal.web.access import principal_only, roles
from portal.web.db import db_session, reads_first, write_phase, writes
from portal.web.render import is_htmx, redirect_after_post, render

bp = Blueprint("exams", __name__, template_folder="templates")


@bp.get("/exams/<exam_key>")
@roles(Role.TRAINEE)
@writes
def exam_show(exam_key: str) -> ResponseReturnValue:
    session = db_session()
    try:
        exam_status = services.exam_status(session, user=current_user, exam_key=exam_key,
                                           now=utcnow())
    except StageLocked as exc:
        lock = courses.stage_lock(session, user=current_user,
                                  track_key=current_user.cohort.track_key if current_user.cohort
                                  else "", stage_key=exc.stage_key)
        if lock is None:
            raise
        return render("courses/locked.html", lock=lock, status=403)
    return render("exams/start.html", exam_status=exam_status,
                  definition=exam_status.version.definition)


@bp.post("/exams/<exam_key>/attempts")
@roles(Role.TRAINEE)
def attempt_start(exam_key: str) -> ResponseReturnValue:
    attempt = services.start_attempt(db_session(), user=current_user, exam_key=exam_key,
                                     now=utcnow())
    return redirect_after_post(url_for("exams.attempt_show", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@roles(Role.TRAINEE)
@principal_only
@reads_first
def attempt_show(attempt_id: int) -> ResponseReturnValue:
    """Reloaded by every trainee in the room now and then: signed in and the attempt read in
    one deferred transaction (no write lock while the page renders); only an attempt whose
    time is up is submitted, in a write phase of its own, before its result is shown."""
    now = utcnow()
    user_id = current_user.id
    page = attempt_services.attempt_page(db_session(), user_id=user_id,
                                         attempt_id=attempt_id, now=now)
    if page.state is attempt_services.PageState.EXPIRED:
        with write_phase() as session:
            attempt_services.finalize_expired(session, user_id=user_id, attempt_id=attempt_id,
                                              now=now)
    if page.state is not attempt_services.PageState.OPEN:
        return redirect(url_for("exams.attempt_result", attempt_id=attempt_id))
    shown = list(page.questions)
    current = min(max(request.args.get("q", 1, type=int), 1), len(shown))
    assert page.deadline_at is not None
    return render("exams/attempt.html", attempt=page, shown=shown,
                  one_per_page=page.one_per_page, current=current,
                  visible=[s for s in shown if not page.one_per_page or s.position == current],
                  seconds_left=rules.seconds_left(page.deadline_at, now),
                  warning_minutes=page.warning_minutes, is_answered=answers.is_answered)


@bp.post("/attempts/<int:attempt_id>/answers/<int:position>")
@roles(Role.TRAINEE)
@principal_only
@reads_first
def answer_save(attempt_id: int, position: int) -> ResponseReturnValue:
    """The hot request: signed in in a deferred transaction (the question read there too on
    its first save, kept for the next ones), then one conditional UPDATE under the write
    lock, then the receipt renders."""
    target = attempt_services.save_target(db_session(), user_id=current_user.id,
                                          attempt_id=attempt_id, position=position)
    raw_revision = request.form.get("revision", "")
    if not (raw_revision.isascii() and raw_revision.isdigit()):
        raise RevisionInvalid()  # not a whole number (or negative): no page of ours sends that
    answer = answers.answer_from_form(target.question, request.form)
    attempt_services.check_answer(answer, int(raw_revision))
    with write_phase() as session:
        saved = attempt_services.write_answer(session, target=target, answer=answer,
                                              revision=int(raw_revision), now=utcnow())
    # The stored revision: after a stale save the page continues counting from it.
    headers = {"X-Seconds-Left": str(saved.seconds_left), "X-Revision": str(saved.revision)}
    if is_htmx():
        # The receipt, and the navigation item updated out of band; after a stale save also
        # the question's inputs, showing the newer answer that was kept.
        return render("exams/attempt.html", block="receipt", saved_at=saved.saved_at,
                      stale=saved.stale, answered=answers.is_answered(saved.answer),
                      flagged=saved.flagged, position=position, oob=True, attempt=target,
                      question=target.question, answer=saved.answer,
                      one_per_page=target.one_per_page,
                      headers=headers)
    if saved.stale:
        flash(gettext("第 %(n)d 题：另一个窗口已保存了更新的答案，这次的修改没有保存；"
                      "页面显示的是保留下来的答案。", n=position), "warning")
    else:
        flash(gettext("第 %(n)d 题已保存。", n=position), "success")
    return redirect_after_post(url_for("exams.attempt_show", attempt_id=attempt_id,
                                       q=request.args.get("q", position)) + f"#q{position}")


@bp.post("/attempts/<int:attempt_id>/flags/<int:position>")
@roles(Role.TRAINEE)
def flag_toggle(attempt_id: int, position: int) -> ResponseReturnValue:
    response = services.set_flag(db_session(), user=current_user, attempt_id=attempt_id,
                                 position=position, flagged=request.form.get("flagged") == "1",
                                 now=utcnow())
    if is_htmx():
        return render("exams/attempt.html", block="flag", position=position,
                      flagged=response.flagged, attempt=response.attempt,
                      answered=answers.is_answered(response.answer))
    return redirect_after_post(url_for("exams.attempt_show", attempt_id=attempt_id,
                                       q=position) + f"#q{position}")


@bp.get("/attempts/<int:attempt_id>/submit")
@roles(Role.TRAINEE)
@writes
def submit_confirm(attempt_id: int) -> ResponseReturnValue:
    session = db_session()
    attempt = services.get_attempt(session, user=current_user, attempt_id=attempt_id)
    services.finalize_if_expired(session, attempt=attempt, now=utcnow())
    if attempt.status is not AttemptStatus.IN_PROGRESS:
        return redirect(url_for("exams.attempt_result", attempt_id=attempt.id))
    shown = services.shown_questions(attempt)
    return render("exams/submit.html", attempt=attempt,
                  unanswered=[s.position for s in shown if not answers.is_answered(s.answer)],
                  flagged=[s.position for s in shown if s.flagged],
                  seconds_left=rules.seconds_left(attempt.deadline_at, utcnow()))


@bp.post("/attempts/<int:attempt_id>/submit")
@roles(Role.TRAINEE)
@principal_only
@reads_first
def attempt_submit(attempt_id: int) -> ResponseReturnValue:
    """Signed in, the attempt read and its saved answers graded in a deferred transaction;
    under the write lock, the attempt locked, its responses compared with what was graded
    (an answer saved meanwhile is graded again) and the grades written. Handed in already:
    no lock at all."""
    now = utcnow()
    user_id = current_user.id  # read now: the write phase starts a new transaction
    graded = services.grade_saved(db_session(), user_id=user_id, attempt_id=attempt_id, now=now)
    if graded is not None:
        with write_phase() as session:
            services.submit_graded(session, user_id=user_id, attempt_id=attempt_id, now=now,
                                   graded=graded)
    return redirect_after_post(url_for("exams.attempt_result", attempt_id=attempt_id))


@bp.get("/attempts/<int:attempt_id>/result")
@roles(Role.TRAINEE)
@writes
def attempt_result(attempt_id: int) -> ResponseReturnValue:
    session = db_session()
    now = utcnow()
    attempt = services.get_attempt(session, user=current_user, attempt_id=attempt_id)
    services.finalize_if_expired(session, attempt=attempt, now=now)
    if attempt.status is AttemptStatus.IN_PROGRESS:
        return redirect(url_for("exams.attempt_show", attempt_id=attempt.id))
    review = services.review(attempt, now=now)
    only_lost = request.args.get("show") == "lost"
    try:
        record = services.exam_record(session, user=current_user, exam_key=attempt.exam.key,
                                      now=now)
    except DomainError:
        record = None  # no longer the trainee's exam (another track): no retake to offer
    return render("exams/result.html", attempt=attempt, visible=review.visible,
                  review=review, only_lost=only_lost, record=record,
                  graded_at=services.attempt_graded_at(attempt),
                  items=[i for i in review.items if i.lost or not only_lost],
                  definition=attempt.exam_version.definition)
