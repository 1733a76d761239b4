"""The observation grid for trainers and supervisors: a cohort × a form, edited cell by cell."""
from __future__ import annotations

import re

from flask import Blueprint, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from portal.auth.models import Role
from portal.db import utcnow
from portal.observations import services
from portal.observations.errors import ObservationInvalid
from portal.observations.rules import MAX_NOTE_CHARS
from portal.web.access import roles
from portal.web.db import db_session
from portal.web.errors import translate
from portal.web.render import redirect_after_post, render, wants_fragment

bp = Blueprint("observations", __name__, template_folder="templates", static_folder="static",
               static_url_path="/observations/static")

STAFF = (Role.TRAINER, Role.SUPERVISOR)
POSITION_RE = re.compile(r"^[0-9]{1,4}-[0-9]{1,3}$")  # row-column of a cell in the grid


def cell_id(trainee_id: int, item: str) -> str:
    return f"cell-{trainee_id}-{item}"


def _grid_page(*, cohort_id: int | None, form_key: str, errors: dict[str, str] | None = None,
               entered: dict[str, dict[str, str]] | None = None,
               status: int = 200) -> ResponseReturnValue:
    session = db_session()
    cohorts = services.cohort_choices(session, actor=current_user)
    forms = services.form_choices(session)
    if cohort_id is None and cohorts:
        cohort_id = cohorts[0].id
    if not form_key and forms:
        form_key = forms[0].key
    grid = None
    if cohort_id is not None and forms:
        grid = services.cohort_grid(session, actor=current_user, cohort_id=cohort_id,
                                    form_key=form_key)
    return render("observations/grid.html", grid=grid, cohorts=cohorts, forms=forms,
                  cohort_id=cohort_id, form_key=form_key, errors=errors or {},
                  entered=entered or {}, cell_id=cell_id, note_max=MAX_NOTE_CHARS, saved=False,
                  status=status)


@bp.get("/observations")
@roles(*STAFF)
def grid() -> ResponseReturnValue:
    cohort = request.args.get("cohort", "")
    cohort_id = int(cohort) if cohort.isascii() and cohort.isdigit() and len(cohort) < 10 else None
    return _grid_page(cohort_id=cohort_id, form_key=request.args.get("form", "")[:64])


@bp.post("/observations/trainees/<int:trainee_id>/<form_key>/<item>")
@roles(*STAFF)
def cell_save(trainee_id: int, form_key: str, item: str) -> ResponseReturnValue:
    session = db_session()
    score = request.form.get("score", "")[:8]
    note = request.form.get("note", "")[: MAX_NOTE_CHARS + 1]
    try:
        services.record_entry(session, actor=current_user, trainee_id=trainee_id,
                              form_key=form_key, item=item, score=score, note=note, now=utcnow())
    except ObservationInvalid as exc:
        session.rollback()  # nothing of a refused entry stays
        return _cell(trainee_id, form_key, item, error=translate(exc.message),
                     entered={"score": score, "note": note}, status=422)
    if wants_fragment():
        return _cell(trainee_id, form_key, item, saved=True)
    trainee = services.cell_history(session, actor=current_user, trainee_id=trainee_id,
                                    form_key=form_key, item=item).trainee
    flash(gettext("已保存 %(name)s 的观察记录。", name=trainee.display_name), "success")
    return redirect_after_post(url_for("observations.grid", cohort=trainee.cohort_id,
                                       form=form_key) + "#" + cell_id(trainee_id, item))


def _cell(trainee_id: int, form_key: str, item: str, *, error: str | None = None,
          entered: dict[str, str] | None = None, saved: bool = False,
          status: int = 200) -> ResponseReturnValue:
    """One cell for htmx; the whole grid page (with the cell's error) for a plain form."""
    session = db_session()
    key = cell_id(trainee_id, item)
    if not wants_fragment():
        trainee = services.cell_history(session, actor=current_user, trainee_id=trainee_id,
                                        form_key=form_key, item=item).trainee
        return _grid_page(cohort_id=trainee.cohort_id, form_key=form_key,
                          errors={key: error} if error else None,
                          entered={key: entered} if entered else None, status=status)
    row, form, observed = services.grid_cell(session, actor=current_user, trainee_id=trainee_id,
                                             form_key=form_key, item=item)
    position = request.form.get("position", "")
    position = position if POSITION_RE.match(position) else "0-0"  # the cell's place, for the keys
    return render("observations/grid.html", block="cell", row=row, item=observed, form=form,
                  errors={key: error} if error else {}, entered={key: entered} if entered else {},
                  saved=saved, cell_id=cell_id, note_max=MAX_NOTE_CHARS, position=position,
                  status=status)


@bp.get("/observations/trainees/<int:trainee_id>/<form_key>/<item>/history")
@roles(*STAFF)
def cell_history(trainee_id: int, form_key: str, item: str) -> ResponseReturnValue:
    history = services.cell_history(db_session(), actor=current_user, trainee_id=trainee_id,
                                    form_key=form_key, item=item)
    return render("observations/history.html", history=history, form_key=form_key,
                  block="history")

