"""Trainers' module editor: the module list, editing with a live preview, and history."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from portal.auth.models import Role
from portal.authoring import rules, services
from portal.authoring.errors import DraftInvalid, NothingChanged, VersionChanged
from portal.authoring.forms import FIELD_LABELS, ROLE_LABELS, ModuleForm
from portal.db import utcnow
from portal.web.access import roles
from portal.web.db import db_session
from portal.web.errors import translate
from portal.web.render import redirect_after_post, render

bp = Blueprint("authoring", __name__, url_prefix="/authoring", template_folder="templates")

EDIT_TEMPLATE = "authoring/module_edit.html"


@bp.context_processor
def _authoring_context() -> dict[str, Any]:
    return {"describe_problem": describe_problem, "field_label": _field_label,
            "content_role_label": _content_role_label, "join_tags": rules.join_tags}


def _field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def _content_role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def describe_problem(problem: services.DraftProblem) -> str:
    """“正文第 12 行：……” or “标题：……”."""
    text = translate(problem.message)
    if problem.line is not None:
        return gettext("%(field)s第 %(line)d 行：%(problem)s", field=_field_label(problem.field),
                       line=problem.line, problem=text)
    return gettext("%(field)s：%(problem)s", field=_field_label(problem.field), problem=text)


@bp.get("/modules")
@roles(Role.TRAINER)
def modules() -> ResponseReturnValue:
    return render("authoring/modules.html", tracks=services.module_overview(db_session()))


@bp.route("/tracks/<track_key>/modules/<module_key>/edit", methods=["GET", "POST"])
@roles(Role.TRAINER)
def module_edit(track_key: str, module_key: str) -> ResponseReturnValue:
    session = db_session()
    target = services.get_editable_module(session, track_key=track_key, module_key=module_key)
    form = ModuleForm()
    if request.method == "GET":
        form.fill_from(services.ModuleDraft.of_version(target.version))
        form.base_version.data = str(target.version.number)
    form.track_key.data, form.module_key.data = track_key, module_key
    draft = form.draft()
    preview = services.preview_draft(session, track_key=track_key, module_key=module_key,
                                     draft=draft)
    if request.method == "GET":
        return _editor(target, form, preview)
    if not form.validate_on_submit():
        # Show the content rules' problems too, not only the form's own.
        _attach(form, preview.problems + services.note_problems(form.note.data or ""))
        return _editor(target, form, preview, status=422,
                       error=gettext("有 %(n)d 处问题，未保存", n=len(_form_errors(form))))
    try:
        version = services.publish_draft(
            session, track_key=track_key, module_key=module_key, draft=draft,
            note=form.note.data or "", base_number=form.base_number(), actor_id=current_user.id,
            now=utcnow())
    except DraftInvalid as exc:
        _attach(form, exc.problems)
        return _editor(target, form, preview, status=422, error=translate(exc.message))
    except NothingChanged as exc:
        return _editor(target, form, preview, status=422, notice=translate(exc.message))
    except VersionChanged as exc:
        # The next save is deliberate: it overwrites the version the trainer was told about.
        form.base_version.data = str(exc.current_number)
        return _editor(target, form, preview, status=422, error=translate(exc.message))
    flash(gettext("已发布“%(title)s”第 %(number)d 版。", title=version.title,
                  number=version.number), "success")
    return redirect_after_post(url_for("authoring.module_history", track_key=track_key,
                                       module_key=module_key))


@bp.post("/preview")
@roles(Role.TRAINER)
def preview() -> ResponseReturnValue:
    """The editor's live preview; without htmx, the editor page with the preview filled in."""
    form = ModuleForm()
    track_key, module_key = form.track_key.data or "", form.module_key.data or ""
    if not track_key or not module_key:
        abort(400)
    session = db_session()
    target = services.get_editable_module(session, track_key=track_key, module_key=module_key)
    result = services.preview_draft(session, track_key=track_key, module_key=module_key,
                                     draft=form.draft())
    return _editor(target, form, result, block="preview")


def _editor(target: services.EditableModule, form: ModuleForm, preview: services.Preview, *,
            status: int = 200, error: str | None = None, notice: str | None = None,
            block: str = "editor") -> ResponseReturnValue:
    return render(EDIT_TEMPLATE, target=target, form=form, preview=preview,
                  preview_html=rules.links_open_elsewhere(preview.html), error=error,
                  notice=notice, errors=_form_errors(form), status=status, block=block)


def _attach(form: ModuleForm, problems: list[services.DraftProblem]) -> None:
    """Show each problem at its field; body problems name the line."""
    for problem in problems:
        field = getattr(form, problem.field, None) or form.body
        text = translate(problem.message)
        if problem.line is not None:
            text = gettext("第 %(line)d 行：%(problem)s", line=problem.line, problem=text)
            if problem.excerpt:
                text = f"{text}（{problem.excerpt}）"
        field.errors = [*field.errors, text]


def _form_errors(form: ModuleForm) -> list[tuple[str, str, str]]:
    """(field id, field label, message) for the summary at the top of the form."""
    return [(field.id, str(field.label.text), str(message))
            for field in form if field.type not in ("HiddenField", "CSRFTokenField")
            for message in field.errors]


@bp.get("/tracks/<track_key>/modules/<module_key>/history")
@roles(Role.TRAINER)
def module_history(track_key: str, module_key: str) -> ResponseReturnValue:
    history = services.module_history(db_session(), track_key=track_key, module_key=module_key)
    return render("authoring/module_history.html", history=history, target=history.target)


@bp.route("/tracks/<track_key>/modules/<module_key>/versions/<int:number>",
          methods=["GET", "POST"])
@roles(Role.TRAINER)
def module_version(track_key: str, module_key: str, number: int) -> ResponseReturnValue:
    """An old version as trainees saw it; POST restores it as the newest version."""
    session = db_session()
    target, version = services.get_version(session, track_key=track_key, module_key=module_key,
                                           number=number)
    if request.method == "POST":
        history_url = url_for("authoring.module_history", track_key=track_key,
                              module_key=module_key)
        try:
            restored = services.restore_version(session, track_key=track_key,
                                                module_key=module_key, number=number,
                                                actor_id=current_user.id, now=utcnow())
        except NothingChanged as exc:
            flash(translate(exc.message), "info")
            return redirect_after_post(history_url)
        except DraftInvalid as exc:
            return render("authoring/module_version.html", target=target, version=version,
                          problems=exc.problems, status=422, block="restore")
        flash(gettext("已恢复到第 %(old)d 版（发布为第 %(new)d 版）。", old=number,
                      new=restored.number), "success")
        return redirect_after_post(history_url)
    return render("authoring/module_version.html", target=target, version=version, problems=[])
