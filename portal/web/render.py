"""One helper decides whether a view answers with a full page or an htmx fragment."""
from __future__ import annotations

from typing import Any

from flask import current_app, make_response
from flask.typing import ResponseReturnValue
from htmx_flask import request
from werkzeug.wrappers import Response


def is_htmx() -> bool:
    """Was this request made by htmx? The one place the portal asks (htmx-flask's request.htmx)."""
    return bool(request.htmx)


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page (not a boosted navigation or history restore)."""
    return is_htmx() and not request.htmx.boosted and not request.htmx.history_restore_request


def render_block(template_name: str, block: str, **context: Any) -> str:
    """Render one named block of a page template: the page is the fragment's single source."""
    env = current_app.jinja_env
    template = env.get_or_select_template(template_name)
    current_app.update_template_context(context)
    ctx = template.new_context(context)
    return env.concat(template.blocks[block](ctx))  # type: ignore[attr-defined]


def render(
    template_name: str,
    *,
    block: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """Render `template_name` whole, or only `block` for an htmx fragment request.

    Views name the block they would return to htmx; a direct visit, a boosted
    request or a history restore always gets the full page.
    """
    from flask import render_template

    if block is not None and wants_fragment():
        body = render_block(template_name, block, **context)
    else:
        body = render_template(template_name, **context)
    response = make_response(body, status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.vary.add("HX-Request")
    return response


def redirect_after_post(location: str) -> ResponseReturnValue:
    """After a successful POST: HX-Redirect for htmx, 303 See Other for a plain form.

    HX-Redirect (a full navigation) rather than HX-Location: the target page must
    be rendered whole, and an HX-Location request would look like a fragment request.
    """
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = location
    else:
        response = make_response("", 303)
        response.headers["Location"] = location
    response.vary.add("HX-Request")
    return response
