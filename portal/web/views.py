"""Routes shared by every page: the pinned htmx file, the language switch, a health check."""
from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, current_app, redirect, request, session, url_for
from flask_babel import refresh
from sqlalchemy import text

from portal.web.access import public
from portal.web.db import db_session

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/portal")

_HTMX = resources.files("js_lib_htmx").joinpath("static/htmx/htmx.min.js")


@bp.get("/vendor/htmx.min.js")
@public
def htmx_js() -> Response:
    """htmx from the pinned package on our own origin: the portal works on a closed intranet."""
    response = Response(_HTMX.read_bytes(), mimetype="text/javascript")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.post("/language")
@public
def set_language() -> Response:
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        refresh()
    target = request.form.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("home.index")
    return redirect(target, code=303)


@bp.get("/healthz")
@public
def healthz() -> Response:
    db_session().execute(text("SELECT 1"))
    return Response("ok", mimetype="text/plain")
