"""Errors as full pages for normal requests and as alert fragments for htmx."""
from __future__ import annotations

import logging
from contextlib import suppress

import sqlalchemy as sa
from flask import Flask, current_app, g
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from portal.db import is_database_unavailable
from portal.errors import DomainError
from portal.messages import Message
from portal.web.render import is_htmx, render

log = logging.getLogger(__name__)


def translate(message: Message | str) -> str:
    """Translate a domain message into the user's language."""
    if isinstance(message, Message):
        return gettext(message.text, **message.params)
    return gettext(message)


def _titles() -> dict[int, str]:
    return {
        400: gettext("请求有误"),
        401: gettext("请先登录"),
        403: gettext("没有权限"),
        404: gettext("页面不存在"),
        405: gettext("不支持该操作"),
        409: gettext("操作冲突"),
        413: gettext("文件太大"),
        422: gettext("内容有误"),
        429: gettext("操作过于频繁"),
        500: gettext("服务器出错了"),
        503: gettext("数据库暂时不可用"),
    }


def _explanations() -> dict[int, str]:
    return {
        401: gettext("登录已失效，请刷新页面后重新登录。"),
        403: gettext("你的账号没有访问此页面的权限。如有需要，请联系管理员。"),
        404: gettext("你要找的页面不存在，可能已被移动或删除。"),
        413: gettext("上传的文件超过了大小限制。"),
        429: gettext("请稍后再试。"),
        500: gettext("出错的操作没有保存任何更改。请稍后重试；如果问题持续，请联系管理员。"),
        503: gettext("数据库暂时无法连接（可能正在重启），刚才的操作没有保存任何内容。请稍等片刻后重试。"),
    }


def error_response(status: int, detail: str | None = None) -> Response:
    title = _titles().get(status, gettext("出错了"))
    detail = detail or _explanations().get(status, "")
    if is_htmx():
        # An alert swapped into the page's alert area, whatever the request targeted.
        return render(
            "web/_alert.html", status=status, level="error", title=title, detail=detail,
            headers={"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"},
        )
    response = render("web/error.html", status=status, title=title, detail=detail, code=status)
    return response


# Seconds a client is told to wait after a 503: a PostgreSQL restart or failover takes a few.
RETRY_AFTER_SECONDS = 5


def database_unavailable(error: BaseException) -> Response:
    """The 503 for a request that failed because the database was unreachable or locked.

    Nothing of the request was committed: its session is rolled back and dropped here (the
    pool replaces connections that died), and the page renders without the signed-in user
    (loading them would ask the database again).
    """
    cause = getattr(error, "orig", None) or error
    first_line = (str(cause).strip().splitlines() or [""])[0]
    log.warning("database unavailable, answered 503: %s: %s", type(cause).__name__, first_line)
    session = g.pop("db_session", None)
    if session is not None:
        with suppress(sa.exc.DBAPIError):
            session.rollback()
        with suppress(sa.exc.DBAPIError):
            session.close()
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    try:
        response = error_response(503)
    except Exception:  # noqa: BLE001 - the error page itself failed, whatever the cause: answer plainly
        response = Response(PLAIN_503, 503, mimetype="text/plain")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register(app: Flask) -> None:
    @app.errorhandler(sa.exc.DBAPIError)
    def database_error(error: sa.exc.DBAPIError) -> Response:
        if is_database_unavailable(error):
            return database_unavailable(error)
        raise error  # a programming or integrity error: the 500 path, as any other bug


    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response:
        return error_response(400, gettext("页面已过期或表单无效，请刷新页面后重试。"))

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Response:
        return error_response(error.status, translate(error.message))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if error.code is None or error.code < 400:
            return error  # type: ignore[return-value]
        response = error_response(error.code)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> Response:
        original = getattr(error, "original_exception", None)
        if original is not None and is_database_unavailable(original):
            # Raised outside the view (the commit after it), so not seen by database_error.
            return database_unavailable(original)
        log.error("unhandled error", exc_info=original)
        try:
            return error_response(500)
        except Exception:  # noqa: BLE001 - the error page itself failed, whatever the cause: answer plainly
            return Response(PLAIN_500, 500, mimetype="text/plain")


# Both languages, untranslated: used only when rendering the error page itself failed.
PLAIN_500 = "500 服务器出错了 / Internal Server Error"
PLAIN_503 = "503 数据库暂时不可用，请稍后重试 / Database briefly unavailable, please retry"


__all__ = ["RETRY_AFTER_SECONDS", "database_unavailable", "error_response", "register", "translate"]
