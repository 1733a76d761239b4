"""Signing in and out, and changing one's own password."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_user, logout_user

from portal.auth import services
from portal.auth.errors import InvalidAccountData, InvalidCredentials
from portal.auth.forms import ChangePasswordForm, LoginForm
from portal.db import utcnow
from portal.extensions import limiter
from portal.web.access import public, signed_in_pending_password
from portal.web.db import db_session, read_phase
from portal.web.errors import translate
from portal.web.render import redirect_after_post, render

bp = Blueprint("auth", __name__, template_folder="templates")


def _account_key() -> str:
    return "account:" + request.form.get("employee_no", "").strip().lower()


def _failed(response: object) -> bool:
    return getattr(response, "status_code", 0) != 303


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_ADDRESS"], methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"], key_func=_account_key,
               methods=["POST"], deduct_when=_failed)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated and request.method == "GET":
        return redirect_after_post(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        try:
            with read_phase() as reading:  # argon2 runs without holding the write lock
                user_id = services.check_credentials(reading, employee_no=form.employee_no.data,
                                                     password=form.password.data)
            user = services.record_login(db_session(), user_id=user_id,
                                         password=form.password.data, now=utcnow())
        except InvalidCredentials as exc:
            error = translate(exc.message)
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session at log-in: nothing carries over
            if lang:
                session["lang"] = lang
            login_user(user)
            session.permanent = True
            if user.must_change_password:
                return redirect_after_post(url_for("auth.change_password"))
            return redirect_after_post(_safe_next(form.next.data) or url_for("home.index"))
    status = 422 if request.method == "POST" else 200
    return render("auth/login.html", form=form, error=error, status=status)


@bp.app_errorhandler(RateLimitExceeded)
def too_many_attempts(exc: RateLimitExceeded) -> ResponseReturnValue:
    if request.endpoint != "auth.login":
        from portal.web.errors import error_response

        return error_response(429)
    minutes = max(1, round(exc.limit.limit.get_expiry() / 60))
    form = LoginForm(formdata=None, next=request.form.get("next", ""))
    form.employee_no.data = request.form.get("employee_no", "")
    error = gettext("登录失败次数过多，已暂时锁定。请 %(n)d 分钟后再试，或联系管理员。", n=minutes)
    return render("auth/login.html", form=form, error=error, status=429)


@bp.post("/logout")
@signed_in_pending_password
def logout() -> ResponseReturnValue:
    services.end_sessions(db_session(), user_id=current_user.id)
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(gettext("你已退出登录。"), "info")
    return redirect_after_post(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in_pending_password
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.change_own_password(
                db_session(), user_id=current_user.id, current_password=form.current_password.data,
                new_password=form.new_password.data, now=utcnow())
        except InvalidAccountData as exc:
            error = translate(exc.message)
        else:
            login_user(user)  # the session version changed: re-issue this device's cookie
            flash(gettext("密码已修改。"), "success")
            return redirect_after_post(url_for("home.index"))
    status = 422 if request.method == "POST" else 200
    return render("auth/change_password.html", form=form, error=error, status=status,
                  block="form_area")
