"""Admin pages: users, cohorts, the trainee import and the audit log."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from portal.admin import services
from portal.admin.errors import InvalidTraineeImport
from portal.admin.forms import (
    TEMPORARY_PASSWORD_HINT,
    CohortForm,
    ImportConfirmForm,
    ImportUploadForm,
    ResetPasswordForm,
    UserCreateForm,
    UserEditForm,
    action_label,
    audit_details,
    audit_target,
    choice,
    track_choices,
    track_label,
)
from portal.auth import services as auth_services
from portal.auth.errors import DuplicateCohortName, DuplicateEmployeeNo, InvalidAccountData
from portal.auth.models import Cohort, Role, User
from portal.db import utcnow
from portal.web.access import roles
from portal.web.db import db_session
from portal.web.errors import translate
from portal.web.layout import role_label
from portal.web.render import redirect_after_post, render

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

STATUS_FILTERS = {"active": True, "inactive": False}


@bp.context_processor
def _admin_context() -> dict[str, Any]:
    return {"track_label": track_label, "action_label": action_label, "translate": translate,
            "audit_target": audit_target, "audit_details": audit_details,
            "password_hint": TEMPORARY_PASSWORD_HINT}


def _form_status() -> int:
    return 422 if request.method == "POST" else 200


# --- users -------------------------------------------------------------------

@bp.get("/users")
@roles(Role.ADMIN)
def users() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    status = request.args.get("status", "")
    role_filter = Role(role) if role in {r.value for r in Role} else None
    found = auth_services.list_users(db_session(), query=q, role=role_filter,
                                     active=STATUS_FILTERS.get(status))
    filters = {"q": q, "role": role_filter.value if role_filter else "",
               "status": status if status in STATUS_FILTERS else ""}
    return render("admin/users.html", users=found, filters=filters, roles=list(Role),
                  block="results")


@bp.route("/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_new() -> ResponseReturnValue:
    session = db_session()
    # A link from a cohort's page can preset the role and the cohort.
    form = UserCreateForm(role=request.args.get("role", Role.TRAINEE.value),
                          cohort_id=request.args.get("cohort_id", type=int))
    form.set_cohorts(auth_services.list_cohorts(session))
    error = None
    if form.validate_on_submit():
        try:
            user = auth_services.create_user(
                session, actor_id=current_user.id, employee_no=form.employee_no.data,
                display_name=form.display_name.data, role=form.role.data,
                password=form.password.data, cohort_id=form.cohort_id.data,
                hire_date=form.hire_date.data, must_change_password=True, now=utcnow())
        except DuplicateEmployeeNo as exc:
            form.employee_no.errors.append(translate(exc.message))
        except InvalidAccountData as exc:
            error = translate(exc.message)
        else:
            flash(gettext("已创建用户 %(name)s（%(no)s）。首次登录时需修改初始密码。",
                          name=user.display_name, no=user.employee_no), "success")
            return redirect_after_post(url_for("admin.user_edit", user_id=user.id))
    return render("admin/user_new.html", form=form, error=error, status=_form_status(),
                  block="user_form")


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_edit(user_id: int) -> ResponseReturnValue:
    session = db_session()
    user = auth_services.get_user(session, user_id)
    form = UserEditForm(obj=user)
    error = None
    form.set_cohorts(auth_services.list_cohorts(session))
    if form.validate_on_submit():
        try:
            auth_services.update_user(
                session, actor_id=current_user.id, user_id=user.id,
                display_name=form.display_name.data, role=form.role.data,
                cohort_id=form.cohort_id.data, hire_date=form.hire_date.data, now=utcnow())
        except InvalidAccountData as exc:
            error = translate(exc.message)
        else:
            flash(gettext("已保存 %(name)s 的资料。", name=user.display_name), "success")
            return redirect_after_post(url_for("admin.user_edit", user_id=user.id))
    return _user_page(user, form=form, error=error, status=_form_status(), block="user_form")


@bp.post("/users/<int:user_id>/password")
@roles(Role.ADMIN)
def user_reset_password(user_id: int) -> ResponseReturnValue:
    session = db_session()
    user = auth_services.get_user(session, user_id)
    password_form = ResetPasswordForm()
    if password_form.validate_on_submit():
        try:
            auth_services.reset_password(session, actor_id=current_user.id, user_id=user.id,
                                         new_password=password_form.new_password.data,
                                         now=utcnow())
        except InvalidAccountData as exc:
            password_form.new_password.errors.append(translate(exc.message))
        else:
            flash(gettext("已重置 %(name)s 的密码。请把临时密码当面告诉本人；"
                          "其已登录的设备会退出，下次登录时必须设置新密码。",
                          name=user.display_name), "success")
            return redirect_after_post(url_for("admin.user_edit", user_id=user.id))
    return _user_page(user, password_form=password_form, status=422, block="password_form")


@bp.post("/users/<int:user_id>/deactivate")
@roles(Role.ADMIN)
def user_deactivate(user_id: int) -> ResponseReturnValue:
    # Deactivating oneself raises InvalidAccountData: left to the global error handler.
    user = auth_services.set_active(db_session(), actor_id=current_user.id, user_id=user_id,
                                    active=False, now=utcnow())
    flash(gettext("已停用 %(name)s 的账号，该账号已无法登录。", name=user.display_name), "success")
    return redirect_after_post(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/reactivate")
@roles(Role.ADMIN)
def user_reactivate(user_id: int) -> ResponseReturnValue:
    user = auth_services.set_active(db_session(), actor_id=current_user.id, user_id=user_id,
                                    active=True, now=utcnow())
    flash(gettext("已恢复 %(name)s 的账号，可以重新登录。", name=user.display_name), "success")
    return redirect_after_post(url_for("admin.user_edit", user_id=user.id))


def _user_page(user: User, *, form: UserEditForm | None = None,
               password_form: ResetPasswordForm | None = None, error: str | None = None,
               status: int = 200, block: str | None = None) -> ResponseReturnValue:
    """The user's page with its three forms; the one that was not posted starts fresh."""
    if form is None:
        form = UserEditForm(formdata=None, obj=user)
        form.set_cohorts(auth_services.list_cohorts(db_session()))
    password_form = password_form or ResetPasswordForm(formdata=None)
    return render("admin/user_edit.html", user=user, form=form, password_form=password_form,
                  error=error, status=status, block=block)


# --- cohorts -----------------------------------------------------------------

@bp.get("/cohorts")
@roles(Role.ADMIN)
def cohorts() -> ResponseReturnValue:
    return render("admin/cohorts.html", cohorts=auth_services.list_cohorts(db_session()))


@bp.route("/cohorts/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def cohort_new() -> ResponseReturnValue:
    return _cohort_form(None)


@bp.get("/cohorts/<int:cohort_id>")
@roles(Role.ADMIN)
def cohort_show(cohort_id: int) -> ResponseReturnValue:
    cohort = auth_services.get_cohort(db_session(), cohort_id)
    return render("admin/cohort.html", cohort=cohort)


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def cohort_edit(cohort_id: int) -> ResponseReturnValue:
    return _cohort_form(auth_services.get_cohort(db_session(), cohort_id))


def _cohort_form(cohort: Cohort | None) -> ResponseReturnValue:
    session = db_session()
    if cohort is None:
        form = CohortForm()
    else:
        form = CohortForm(obj=cohort, staff_ids=[u.id for u in cohort.staff])
    form.track_key.choices = track_choices(cohort.track_key if cohort else None)
    form.staff_ids.choices = [
        choice(u.id, _staff_label(u))
        for u in services.staff_candidates(session, cohort_id=cohort.id if cohort else None)
    ]
    error = None
    if form.validate_on_submit():
        try:
            saved = auth_services.save_cohort(
                session, actor_id=current_user.id, cohort_id=cohort.id if cohort else None,
                name=form.name.data, start_date=form.start_date.data,
                track_key=form.track_key.data, staff_ids=form.staff_ids.data, now=utcnow())
        except DuplicateCohortName as exc:
            form.name.errors.append(translate(exc.message))
        except InvalidAccountData as exc:
            error = translate(exc.message)
        else:
            flash(gettext("已保存批次“%(name)s”。", name=saved.name), "success")
            return redirect_after_post(url_for("admin.cohort_show", cohort_id=saved.id))
    return render("admin/cohort_form.html", form=form, cohort=cohort, error=error,
                  status=_form_status(), block="cohort_form")


def _staff_label(user: User) -> str:
    label = f"{user.display_name}（{user.employee_no}）· {role_label(user.role)}"
    if not user.active:
        label += " · " + gettext("已停用")
    return label


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@roles(Role.ADMIN)
def cohort_import(cohort_id: int) -> ResponseReturnValue:
    """Step 1: upload and preview (writes nothing). Step 2: confirm, and all rows are created."""
    session = db_session()
    cohort = auth_services.get_cohort(session, cohort_id)
    upload = ImportUploadForm()
    page: dict[str, Any] = {"cohort": cohort, "upload": upload, "checked": None,
                            "confirm": None, "imported": None, "error": None}
    status = 200
    if request.method == "POST" and request.form.get("step") == "confirm":
        confirm = ImportConfirmForm()
        text = confirm.text() if confirm.validate_on_submit() else None
        if text is None:
            page["error"] = gettext("确认的数据无效或已丢失，没有导入任何人。请重新上传文件。")
            status = 422
        else:
            try:
                actor_id, cohort_id = current_user.id, cohort.id
                # End the request's transaction (it only read) before the slow hashing,
                # so SQLite's write lock is not held while passwords are hashed.
                session.rollback()
                prepared = services.prepare_trainee_import(text)
                page["imported"] = services.import_trainees(
                    session, actor_id=actor_id, cohort_id=cohort_id, text=text,
                    prepared=prepared, now=utcnow())
            except InvalidTraineeImport as exc:
                page["checked"] = exc.checked
                page["error"] = translate(exc.message)
                status = 422
    elif request.method == "POST":
        if upload.validate_on_submit():
            checked = services.preview_trainee_import(session, cohort_id=cohort.id,
                                                      data=upload.file.data.read())
            page["checked"] = checked
            if checked.valid:
                page["confirm"] = ImportConfirmForm(formdata=None,
                                                    content=ImportConfirmForm.pack(checked.text))
            else:
                status = 422
        else:
            status = 422
    # Success is rendered, not redirected: generated passwords are shown this once and
    # must not travel through the session cookie as a flash message would.
    return render("admin/cohort_import.html", status=status, block="import_area", **page)


# --- audit log ---------------------------------------------------------------

@bp.get("/audit")
@roles(Role.ADMIN)
def audit_log() -> ResponseReturnValue:
    session = db_session()
    action = request.args.get("action", "").strip()
    page = request.args.get("page", 1, type=int)
    listing = services.audit_page(session, action=action or None, page=page)
    return render("admin/audit_log.html", listing=listing, action=action,
                  actions=services.audit_actions(session), block="results")
