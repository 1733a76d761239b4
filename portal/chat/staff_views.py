"""The trainers' side of chat exams: the review queue, a replay with reviewers' scores,
agreement per drill, the scenario player and the matcher tester."""
from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.auth.models import Role
from portal.chat.agreement import KappaBand
from portal.chat.models import ReviewReason
from portal.chat.scenario import Item
from portal.chat.services import review
from portal.db import utcnow
from portal.web.access import roles
from portal.web.db import db_session
from portal.web.errors import translate
from portal.web.render import redirect_after_post, render, wants_fragment

bp = Blueprint("chat_staff", __name__, url_prefix="/chat/staff", template_folder="templates",
               static_folder="static/chat_staff", static_url_path="/static")

STAFF = (Role.TRAINER, Role.SUPERVISOR, Role.ADMIN)
DRILL_KEY_MAX = 64

KAPPA_LABELS = {
    KappaBand.POOR: _l("低于随机水平"),
    KappaBand.SLIGHT: _l("极低"),
    KappaBand.FAIR: _l("一般"),
    KappaBand.MODERATE: _l("中等"),
    KappaBand.SUBSTANTIAL: _l("较高"),
    KappaBand.ALMOST_PERFECT: _l("几乎完全一致"),
}


@bp.app_template_global()
def chat_item_label(item: Item | str) -> str:
    """A table-2 item's Chinese name in the reader's language."""
    try:
        return gettext(Item(item).label)
    except ValueError:
        return gettext("未知评分项")


@bp.app_template_global()
def chat_reason_label(reason: ReviewReason | str) -> str:
    return gettext(review.reason_label(reason))


@bp.app_template_global()
def kappa_label(band: KappaBand | None) -> str:
    return str(KAPPA_LABELS[band]) if band is not None else gettext("无法计算")


# --- the review queue ---------------------------------------------------------------------


@bp.get("/reviews")
@roles(*STAFF)
def review_queue() -> ResponseReturnValue:
    drill_key = request.args.get("drill", "")[:DRILL_KEY_MAX]
    pending = request.args.get("pending") == "1"
    queue = review.review_queue(db_session(), actor=current_user, drill_key=drill_key,
                                pending_only=pending)
    return render("chat/staff/queue.html", queue=queue, may_review=review.may_review(
        current_user), block="queue")


# --- one attempt: replay and reviewers' scores -------------------------------------------


@bp.get("/reviews/<int:attempt_id>")
@roles(*STAFF)
def review_attempt(attempt_id: int) -> ResponseReturnValue:
    replay = review.attempt_replay(db_session(), actor=current_user, attempt_id=attempt_id)
    return render("chat/staff/review.html", replay=replay, reasons=list(ReviewReason),
                  errors={}, entered={})


@bp.post("/reviews/<int:attempt_id>/items/<item>")
@roles(Role.TRAINER, Role.SUPERVISOR)
def review_item_save(attempt_id: int, item: str) -> ResponseReturnValue:
    session = db_session()
    entry = review.ReviewInput(item=item, points=request.form.get("points", "")[:20],
                               reason=request.form.get("reason", "")[:32],
                               comment=request.form.get("comment", "")[
                                   : review.MAX_COMMENT_CHARS + 1])
    try:
        saved = review.record_review(session, actor=current_user, attempt_id=attempt_id,
                                     entry=entry, now=utcnow())
    except review.ReviewInvalid as exc:
        session.rollback()  # nothing of a refused score stays
        return _item_row(attempt_id, item, error=translate(exc.message), entered=request.form,
                         status=422)
    message = gettext("已保存你对「%(item)s」的复核：%(points)s 分。",
                      item=chat_item_label(saved.item), points=f"{saved.points:g}")
    if wants_fragment():
        return _item_row(attempt_id, item, saved_message=message)
    flash(message, "success")
    return redirect_after_post(url_for("chat_staff.review_attempt", attempt_id=attempt_id)
                               + f"#item-{saved.item.value}")


def _item_row(attempt_id: int, item: str, *, error: str | None = None,
              entered: object = None, saved_message: str | None = None,
              status: int = 200) -> ResponseReturnValue:
    """The review page, or for htmx one item's row, after a save or a refused one."""
    replay = review.attempt_replay(db_session(), actor=current_user, attempt_id=attempt_id)
    row = next((r for r in replay.items if r.engine.item.value == item), None)
    errors = {item: error} if error else {}
    if row is None or not wants_fragment():
        return render("chat/staff/review.html", replay=replay, reasons=list(ReviewReason),
                      errors=errors, entered={item: entered} if entered else {},
                      status=status)
    return render("chat/staff/review.html", block="item_row", replay=replay, row=row,
                  reasons=list(ReviewReason), errors=errors,
                  entered={item: entered} if entered else {}, saved_message=saved_message,
                  status=status)


# --- agreement ------------------------------------------------------------------------------


@bp.get("/agreement")
@roles(*STAFF)
def review_agreement() -> ResponseReturnValue:
    drills = review.drill_agreement(db_session(), actor=current_user)
    return render("chat/staff/agreement.html", drills=drills)
