"""Reading modules, marking them done, and trainers opening stages by hand."""
from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from portal.auth.models import Role, User
from portal.courses import services
from portal.courses.errors import ChecklistIncomplete, ContentInvalid, StageLocked
from portal.db import utcnow
from portal.web.access import current_account, principal_only, roles, signed_in
from portal.web.db import db_session, reads_first, write_phase, writes
from portal.web.errors import translate
from portal.web.render import is_htmx, redirect_after_post, render

bp = Blueprint("courses", __name__, template_folder="templates")


@bp.get("/tracks/<track_key>/modules/<module_key>")
@signed_in
@principal_only
@reads_first  # a trainee's visit is written only when it changes something
def module_show(track_key: str, module_key: str) -> ResponseReturnValue:
    session = db_session()
    now = utcnow()
    try:
        page = services.read_module(session, user=current_user, track_key=track_key,
                                    module_key=module_key, now=now)
    except StageLocked as exc:
        lock = services.stage_lock(session, user=current_account(), track_key=track_key,
                                   stage_key=exc.stage_key)
        if lock is None:
            raise
        return locked_page(lock)
    if page.visit_due:
        user_id = current_user.id
        with write_phase() as writing:
            page = services.record_visit(writing, page=page, user_id=user_id, now=now)
    return render("courses/module.html", page=page)


def locked_page(lock: services.StageLock) -> ResponseReturnValue:
    """A locked stage's page explains what unlocks it, with the link that does it (403).
    Other domains' views (an exam of a locked stage) answer with it too."""
    return render("courses/locked.html", lock=lock, status=403)


@bp.post("/tracks/<track_key>/modules/<module_key>/done")
@roles(Role.TRAINEE)
def module_done(track_key: str, module_key: str) -> ResponseReturnValue:
    done = request.form.get("done", "1") == "1"
    page = services.set_module_done(db_session(), user=current_user, track_key=track_key,
                                    module_key=module_key, done=done, now=utcnow())
    if is_htmx():
        return render("courses/module.html", page=page, block="done_control")
    flash(gettext("已标记为完成。") if done else gettext("已取消完成标记。"), "success")
    return redirect_after_post(url_for("courses.module_show", track_key=track_key,
                                       module_key=module_key))


@bp.post("/tracks/<track_key>/modules/<module_key>/reading")
@roles(Role.TRAINEE)
def module_reading(track_key: str, module_key: str) -> ResponseReturnValue:
    try:
        seconds = int(request.form.get("seconds", "0"))
    except ValueError:
        abort(400)
    services.record_reading(db_session(), user=current_user, track_key=track_key,
                            module_key=module_key, seconds=seconds,
                            anchor=request.form.get("anchor") or None, now=utcnow())
    return "", 204


@bp.get("/trainees/<int:trainee_id>/track")
@roles(Role.TRAINER, Role.SUPERVISOR)
@writes  # reading a trainee's results submits an exam whose time is up
def trainee_track(trainee_id: int) -> ResponseReturnValue:
    trainee, view = services.trainee_track(db_session(), actor=current_user, trainee_id=trainee_id)
    return render("courses/trainee_track.html", trainee=trainee, view=view, error=None,
                  standings=_standings(trainee, view))


def _standings(trainee: User, view: services.TrackView | None) -> services.Standings:
    if view is None:
        return {}
    return services.assessment_standings(db_session(), user=trainee, now=utcnow())


@bp.post("/trainees/<int:trainee_id>/stages/<stage_key>/complete")
@roles(Role.TRAINER, Role.SUPERVISOR)
def stage_complete(trainee_id: int, stage_key: str) -> ResponseReturnValue:
    session = db_session()
    trainee, view = services.trainee_track(session, actor=current_user, trainee_id=trainee_id)
    if view is None:
        abort(404)
    try:
        services.complete_stage_manually(session, actor=current_user, trainee_id=trainee_id,
                                         track_key=view.track.key, stage_key=stage_key,
                                         reason=request.form.get("reason", ""), now=utcnow())
    except ContentInvalid as exc:
        return render("courses/trainee_track.html", trainee=trainee, view=view,
                      standings=_standings(trainee, view), error=translate(exc.message),
                      error_stage=stage_key, status=422, block="stages")
    flash(gettext("已标记该阶段考核通过，下一阶段已为其开放。"), "success")
    return redirect_after_post(url_for("courses.trainee_track", trainee_id=trainee_id))


@bp.get("/search")
@signed_in
def search() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:100]
    results = services.search_modules(db_session(), user=current_user, query=query) if query else []
    return render("courses/search.html", query=query, results=results, block="results")


@bp.post("/tracks/<track_key>/stages/<stage_key>/checklist/<item_key>")
@roles(Role.TRAINEE)
def checklist_tick(track_key: str, stage_key: str, item_key: str) -> ResponseReturnValue:
    view = services.tick_checklist_item(db_session(), user=current_user, track_key=track_key,
                                        stage_key=stage_key, item_key=item_key,
                                        ticked=request.form.get("ticked") == "1", now=utcnow())
    if is_htmx():
        stage = next(s for s in view.statuses if s.key == stage_key)
        return render("courses/checklist_tick.html", stage=stage,
                      checklist=view.checklists[stage_key])
    flash(gettext("清单已保存。"), "success")
    return redirect_after_post(url_for("home.index") + f"#stage-{stage_key}")


@bp.post("/trainees/<int:trainee_id>/stages/<stage_key>/confirm")
@roles(Role.SUPERVISOR)
def checklist_confirm(trainee_id: int, stage_key: str) -> ResponseReturnValue:
    session = db_session()
    try:
        services.confirm_checklist(session, actor=current_user, trainee_id=trainee_id,
                                   stage_key=stage_key, now=utcnow())
    except ChecklistIncomplete as exc:
        trainee, view = services.trainee_track(session, actor=current_user, trainee_id=trainee_id)
        return render("courses/trainee_track.html", trainee=trainee, view=view,
                      standings=_standings(trainee, view), error=translate(exc.message),
                      error_stage=stage_key, status=422, block="stages")
    flash(gettext("已确认该新客服融入团队，下一阶段已为其开放。"), "success")
    return redirect_after_post(url_for("courses.trainee_track", trainee_id=trainee_id))
