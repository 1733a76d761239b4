"""Errors as full pages for normal requests and as alert fragments for htmx."""
from __future__ import annotations

import logging

from flask import Flask
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

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
    }


def _explanations() -> dict[int, str]:
    return {
        401: gettext("登录已失效，请刷新页面后重新登录。"),
        403: gettext("你的账号没有访问此页面的权限。如有需要，请联系管理员。"),
        404: gettext("你要找的页面不存在，可能已被移动或删除。"),
        413: gettext("上传的文件超过了大小限制。"),
        429: gettext("请稍后再试。"),
        500: gettext("出错的操作没有保存任何更改。请稍后重试；如果问题持续，请联系管理员。"),
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


def register(app: Flask) -> None:
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
        log.error("unhandled error", exc_info=getattr(error, "original_exception", None))
        try:
            return error_response(500)
        except Exception:  # noqa: BLE001 - the error page itself failed, whatever the cause: answer plainly
            return Response(PLAIN_500, 500, mimetype="text/plain")


# Both languages, untranslated: used only when rendering the error page itself failed.
PLAIN_500 = "500 服务器出错了 / Internal Server Error"


__all__ = ["error_response", "register", "translate"]
