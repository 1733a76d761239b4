"""The trainee's chat exam: the start page, the console (poll, reply), quick phrases, the result."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import click
from flask import Blueprint, current_app, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.auth.models import Role
from portal.chat.models import ChatAttempt, ChatAttemptStatus
from portal.chat.services import attempts as services
from portal.chat.services import console as presenting
from portal.chat.services import phrases as phrase_services
from portal.chat.services.errors import AttemptClosed
from portal.courses import services as courses
from portal.courses.errors import StageLocked
from portal.db import utcnow, write_intent
from portal.errors import DomainError
from portal.web.access import principal_only, roles
from portal.web.db import db_session, reads_first, write_phase, writes
from portal.web.errors import translate
from portal.web.render import is_htmx, redirect_after_post, render, wants_fragment

bp = Blueprint("chat", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/chat")


@bp.record_once
def _warm_up(state: BlueprintSetupState) -> None:
    # A serving process builds the segmenter before its first request, not inside the
    # first reply's write transaction. Tests (TESTING) and CLI commands (a click context)
    # skip it: they start many apps, or need no segmenter, or build it when they use it.
    if not state.app.testing and click.get_current_context(silent=True) is None:
        services.warm_up()

# A reply planned without the lock is planned again if the attempt moved meanwhile, at
# most this often; then it takes the attempt's lock.
REPLY_TRIES = 3


def now() -> datetime:
    """The server's clock (a test may set `CHAT_CLOCK` to drive the whole server's time)."""
    clock: Callable[[], datetime] | None = current_app.config.get("CHAT_CLOCK")
    return clock() if clock else utcnow()


def _locked(exc: StageLocked) -> ResponseReturnValue:
    """The courses' page of a locked stage (what opens it), as for the written exams."""
    lock = courses.stage_lock(db_session(), user=current_user,
                              track_key=current_user.cohort.track_key if current_user.cohort
                              else "", stage_key=exc.stage_key)
    if lock is None:
        raise exc
    return render("courses/locked.html", lock=lock, status=403)


@bp.get("/chat/drills/<drill_key>")
@roles(Role.TRAINEE)
@writes
def drill_show(drill_key: str) -> ResponseReturnValue:
    try:
        status = services.drill_status(db_session(), user=current_user, drill_key=drill_key,
                                       now=now())
    except StageLocked as exc:
        return _locked(exc)
    return render("chat/start.html", drill_status=status, drill=status.definition)


@bp.post("/chat/drills/<drill_key>/attempts")
@roles(Role.TRAINEE)
def attempt_start(drill_key: str) -> ResponseReturnValue:
    try:
        attempt = services.start_attempt(db_session(), user=current_user, drill_key=drill_key,
                                         now=now())
    except StageLocked as exc:
        return _locked(exc)
    return redirect_after_post(url_for("chat.console", attempt_id=attempt.id))


def _slot() -> int | None:
    raw = request.values.get("c", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else None


def _console(attempt_id: int, *, block: str | None, status: int = 200,
             error: str | None = None, seen: int | None = None) -> ResponseReturnValue:
    """Lock the attempt, bring it up to now, show it."""
    at = now()
    attempt = services.get_attempt(db_session(), user=current_user, attempt_id=attempt_id,
                                   lock=True)
    services.advance(db_session(), attempt=attempt, now=at)
    return _show(attempt, at=at, block=block, status=status, error=error, seen=seen)


def _show(attempt: ChatAttempt, *, at: datetime, block: str | None, status: int = 200,
          error: str | None = None, seen: int | None = None) -> ResponseReturnValue:
    """The console of an attempt already brought up to `at`."""
    shown = _prepare(attempt, at=at, block=block, seen=seen)
    return _to_result(attempt.id) if shown is None else shown.render(status=status, error=error)


@dataclass(frozen=True)
class _Shown:
    """The console as it will be rendered (everything read: it renders after a commit)."""

    view: presenting.ConsoleView
    block: str | None
    headers: dict[str, str]

    def render(self, *, status: int = 200, error: str | None = None) -> ResponseReturnValue:
        return render("chat/console.html", block=self.block, status=status, view=self.view,
                      error=error, oob=self.block == "live", headers=self.headers)


def _prepare(attempt: ChatAttempt, *, at: datetime, block: str | None,
             seen: int | None = None) -> _Shown | None:
    """What the console shows of an attempt brought up to `at` (the whole page, or for a
    poll or a reply only the parts that change); None once the attempt has ended. The
    pane shown is marked read."""
    session = db_session()
    if attempt.status is not ChatAttemptStatus.IN_PROGRESS:
        return None
    live = block == "live" and wants_fragment()
    view = presenting.console(session, attempt=attempt, slot=_slot(), now=at, seen_seq=seen,
                              with_phrases=not live)
    services.mark_read(session, attempt=attempt, slot=view.selected_slot)
    headers = {}
    if block == "live" and view.selected_slot != _slot():
        # The open pane changed (the first customer arrived): the whole console is new.
        block = "console"
        headers = {"HX-Retarget": "#chat", "HX-Reswap": "outerHTML"}
        if live:
            view = dataclasses.replace(view, phrases=phrase_services.list_phrases(
                session, user_id=attempt.user_id))
    return _Shown(view, block, headers)


def _to_result(attempt_id: int) -> Response:
    location = url_for("chat.result", attempt_id=attempt_id)
    if is_htmx():
        response = Response("", 200)
        response.headers["HX-Redirect"] = location
        response.vary.add("HX-Request")
        return response
    return redirect(location)  # type: ignore[return-value]


@bp.get("/chat/attempts/<int:attempt_id>")
@roles(Role.TRAINEE)
@writes
def console(attempt_id: int) -> ResponseReturnValue:
    return _console(attempt_id, block="console")


@bp.get("/chat/attempts/<int:attempt_id>/poll")
@roles(Role.TRAINEE)
@principal_only
def poll(attempt_id: int) -> ResponseReturnValue:
    """Every 1.5 s: 204 (no swap) while nothing is new; one row read, nothing written."""
    session = db_session()
    raw = request.args.get("seen", "")
    seen = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else -1
    if services.poll_is_empty(session, user_id=current_user.id, attempt_id=attempt_id,
                              seen_seq=seen, now=now()):
        response = Response(status=204)
        response.vary.add("HX-Request")
        return response
    # Something is due: end the read and write in a transaction that takes the lock first.
    session.rollback()
    write_intent.set(True)  # reset at the request's end
    return _console(attempt_id, block="live", seen=seen)


@bp.post("/chat/attempts/<int:attempt_id>/reply")
@roles(Role.TRAINEE)
@principal_only
@reads_first
def reply(attempt_id: int) -> ResponseReturnValue:
    """The hot request: signed in and checked in a read, then one short write (lock, store,
    route, deliver, mark read, commit), then the console's changed parts render."""
    slot = _slot()
    text = request.form.get("text", "")
    at = now()
    user_id = current_user.id  # read before the write phase (which starts a new transaction)
    done: services.Reply | None = None
    planned: services.PlannedReply | None = None
    try:
        for _ in range(REPLY_TRIES):
            # Read and compute without the lock; write only if the attempt has not moved.
            # The first plan reads in the sign-in's deferred transaction (one BEGIN fewer:
            # the write's guard catches a version that moved since); a later try begins a
            # fresh one (the write phase before it ended its transaction).
            session = db_session()
            try:
                plan = services.plan_reply(session, user_id=user_id, attempt_id=attempt_id,
                                           slot=-1 if slot is None else slot, text=text, now=at)
            except services.NeedsLock:  # the reply ends the attempt: the locked way
                break
            with write_phase() as session:
                written = services.apply_reply(session, plan)
            if written:
                done, planned = plan.reply, plan
                break
            at = now()  # it moved (another tab, a poll): plan again at the new time
        if done is None:
            # The rare cases (an ending; an attempt still moving after every try) take the
            # attempt's lock, which always gets through.
            with write_phase() as session:
                try:
                    done = services.reply(session, user_id=user_id, attempt_id=attempt_id,
                                          slot=-1 if slot is None else slot, text=text, now=at)
                except AttemptClosed:
                    done = None  # it has ended just now (kept): the result next
    except AttemptClosed:
        done = None  # it has ended (maybe just now, which is kept): the result next
    except DomainError as exc:
        if not is_htmx():
            raise
        with write_phase():
            return _console(attempt_id, block="live", status=422,
                            error=translate(exc.message))
    if done is None:
        return _to_result(attempt_id)
    if not is_htmx():
        return redirect(url_for("chat.console", attempt_id=attempt_id, c=slot), 303)
    # Committed: the console is built from the attempt as the reply left it (advanced
    # once, its pane marked read), without the lock; after the optimistic write its objects
    # are detached (planned in a session of their own) and only read.
    shown = _prepare(done.attempt, at=at, block="live")
    if shown is None:
        return _to_result(attempt_id)
    answer = shown.render()
    if planned is not None:  # rendered: nothing reads its objects any more
        services.keep_planned(db_session(), planned)
    return answer


@bp.post("/chat/attempts/<int:attempt_id>/finish")
@roles(Role.TRAINEE)
def finish(attempt_id: int) -> ResponseReturnValue:
    services.finish_attempt(db_session(), user=current_user, attempt_id=attempt_id, now=now())
    return redirect_after_post(url_for("chat.result", attempt_id=attempt_id))


@bp.get("/chat/attempts/<int:attempt_id>/result")
@roles(Role.TRAINEE)
@writes
def result(attempt_id: int) -> ResponseReturnValue:
    session = db_session()
    attempt = services.get_attempt(session, user=current_user, attempt_id=attempt_id)
    if not services.finish_if_expired(session, attempt=attempt, now=now()):
        return redirect(url_for("chat.console", attempt_id=attempt.id))
    return render("chat/result.html", view=presenting.result(session, attempt=attempt))


# --- quick phrases ---------------------------------------------------------------------


def _back() -> str:
    back = request.form.get("back", "")
    # Only a path of this site (never "//host" or a full URL).
    if back.startswith("/") and not back.startswith("//") and "\\" not in back:
        return back
    return url_for("chat.phrases")


def _phrases_answer(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    if is_htmx():
        return render("chat/phrases.html", block="phrases", status=status, error=error,
                      phrases=phrase_services.list_phrases(db_session(), user_id=current_user.id),
                      back=_back(), in_console=request.form.get("console") == "1")
    return redirect(_back(), 303)


@bp.get("/chat/phrases")
@roles(Role.TRAINEE)
def phrases() -> ResponseReturnValue:
    return render("chat/phrases.html", block="phrases", error=None, back=url_for("chat.phrases"),
                  in_console=False,
                  phrases=phrase_services.list_phrases(db_session(), user_id=current_user.id))


def _phrase_error(exc: Exception) -> ResponseReturnValue:
    if not is_htmx():
        raise exc
    db_session().rollback()
    return _phrases_answer(error=translate(getattr(exc, "message", str(exc))), status=422)


@bp.post("/chat/phrases")
@roles(Role.TRAINEE)
def phrase_add() -> ResponseReturnValue:
    try:
        phrase_services.add_phrase(db_session(), user_id=current_user.id,
                                   text=request.form.get("text", ""), now=now())
    except DomainError as exc:
        return _phrase_error(exc)
    return _phrases_answer()


@bp.post("/chat/phrases/<int:phrase_id>/edit")
@roles(Role.TRAINEE)
def phrase_edit(phrase_id: int) -> ResponseReturnValue:
    try:
        phrase_services.edit_phrase(db_session(), user_id=current_user.id, phrase_id=phrase_id,
                                    text=request.form.get("text", ""))
    except DomainError as exc:
        return _phrase_error(exc)
    return _phrases_answer()


@bp.post("/chat/phrases/<int:phrase_id>/delete")
@roles(Role.TRAINEE)
def phrase_delete(phrase_id: int) -> ResponseReturnValue:
    phrase_services.delete_phrase(db_session(), user_id=current_user.id, phrase_id=phrase_id)
    return _phrases_answer()


@bp.post("/chat/phrases/<int:phrase_id>/move")
@roles(Role.TRAINEE)
def phrase_move(phrase_id: int) -> ResponseReturnValue:
    offset = -1 if request.form.get("direction") == "up" else 1
    phrase_services.move_phrase(db_session(), user_id=current_user.id, phrase_id=phrase_id,
                                offset=offset)
    return _phrases_answer()
