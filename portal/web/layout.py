"""What the base layout needs: navigation by role and role names."""
from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from portal.auth.models import Role
from portal.web.errors import translate
from portal.web.templating import request_translations

ROLE_LABELS = {
    Role.TRAINEE: _l("新客服"),
    Role.TRAINER: _l("培训组长"),
    Role.SUPERVISOR: _l("客服主管"),
    Role.ADMIN: _l("管理员"),
}


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


# (label, endpoint, roles that see it, endpoint prefix that marks it current)
NAV = [
    (_l("我的培训"), "home.index", {Role.TRAINEE}, "home."),
    (_l("我的批次"), "home.index", {Role.TRAINER, Role.SUPERVISOR}, "home."),
    (_l("我的成绩"), "progress.my_results", {Role.TRAINEE}, "progress.my_results"),
    (_l("搜索课程"), "courses.search", {Role.TRAINEE, Role.TRAINER, Role.SUPERVISOR}, "courses.search"),
    (_l("课程编辑"), "authoring.modules", {Role.TRAINER}, "authoring."),
    (_l("题库"), "banks.index", {Role.TRAINER}, "banks."),
    (_l("评分"), "exam_staff.queue", {Role.TRAINER}, "exam_staff.queue"),
    (_l("考试成绩"), "exam_staff.exam_list", {Role.TRAINER, Role.SUPERVISOR}, "exam_staff.exam_"),
    (_l("数据分析"), "analytics.index", {Role.TRAINER, Role.SUPERVISOR}, "analytics"),
    (_l("观察表"), "observations.grid", {Role.TRAINER, Role.SUPERVISOR}, "observations."),
    (_l("转正"), "probation.cohort", {Role.TRAINER, Role.SUPERVISOR}, "probation."),
    (_l("岗位意向"), "placement.my_preference", {Role.TRAINEE}, "placement.my_"),
    (_l("岗位安排"), "placement.cohorts", {Role.TRAINER, Role.SUPERVISOR, Role.ADMIN},
     "placement.cohort"),
    (_l("对话复核"), "chat_staff.review_queue", {Role.TRAINER, Role.SUPERVISOR, Role.ADMIN},
     "chat_staff.review_"),
    (_l("对话剧本"), "chat_staff.script_player", {Role.TRAINER}, "chat_staff.script_"),
    (_l("用户"), "admin.users", {Role.ADMIN}, "admin.user"),
    (_l("批次"), "admin.cohorts", {Role.ADMIN}, "admin.cohort"),
    (_l("审计日志"), "admin.audit_log", {Role.ADMIN}, "admin.audit"),
]


# The navigation depends only on the role, the page's endpoint, the language and where the
# app is mounted: built once per combination and process (a handful of each).
_NAV_BUILT: dict[tuple[Any, ...], tuple[NavItem, ...]] = {}


def nav_items() -> tuple[NavItem, ...]:
    if not current_user.is_authenticated:
        return ()
    endpoint = request.endpoint or ""
    role = current_user.role  # once: each look-up goes through the request's proxies
    # The translations object stands for the language (one per locale, kept alive by the key).
    key = (role, endpoint, request.script_root, request_translations())
    found = _NAV_BUILT.get(key)
    if found is None:
        found = _NAV_BUILT[key] = tuple(
            NavItem(str(label), url_for(target), endpoint.startswith(prefix))
            for label, target, roles, prefix in NAV
            if role in roles)
    return found


def role_label(role: Role | str) -> str:
    return str(ROLE_LABELS[Role(role)])


@lru_cache(maxsize=4096)
def _rendered(text: str) -> str:
    from portal.content.rendering import render_markdown

    return render_markdown(text).html


def markdown_filter(text: str | None) -> Markup:
    """Question prompts and explanations: the same sanitised Markdown as course modules.

    Cached by text, so each question version is rendered once per process.
    """
    return Markup(_rendered(text or ""))


# The track outline (`courses/_track.html`'s `track_steps`) is a pure function of what it is
# given: the track view (its version by id: a version never changes), the standings, the
# language, the time zone and where the app is mounted. It is kept per process and database
# under all of that, so a page whose reads found exactly the same state as an earlier page
# reuses its HTML, and any change (a new version imported, a module read, a stage passed,
# a tick, a score) makes another key; nothing here can go stale when another process
# writes. Outlines with a form (a checklist to tick carries the request's CSRF token) or
# with staff controls (a caller) are rendered each time.
TRACK_STEPS_KEPT = 512  # outlines per process and database (a few KB each)
_TRACK_STEPS: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[Any, ...], Markup]] = \
    weakref.WeakKeyDictionary()
_TRACK_STEPS_LOCK = threading.Lock()


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _track_steps_key(view: Any, manage: bool, standings: dict[Any, Any]) -> tuple[Any, ...]:
    parts: list[Any] = [manage, _frozen(standings), str(get_timezone()), request.script_root,
                        request_translations()]
    for f in dataclasses.fields(view):
        value = getattr(view, f.name)
        parts.append(value.id if f.name == "version" else _frozen(value))  # a version by id
    return tuple(parts)


def cached_track_steps(macro: Any) -> Any:
    def track_steps(view: Any, manage: bool = False, standings: Any = None,
                    **kwargs: Any) -> Markup:
        standings = {} if standings is None else standings
        if kwargs:  # a call block's caller: staff controls, rendered each time
            return macro(view, manage=manage, standings=standings, **kwargs)  # type: ignore[no-any-return]
        key = _track_steps_key(view, manage, standings)
        engine = current_app.extensions["portal.engine"]
        with _TRACK_STEPS_LOCK:
            kept = _TRACK_STEPS.get(engine)
            if kept is None:
                kept = _TRACK_STEPS[engine] = OrderedDict()
            found = kept.get(key)
            if found is not None:
                kept.move_to_end(key)
                return found
        html = Markup(macro(view, manage=manage, standings=standings))
        if generate_csrf() not in html:
            with _TRACK_STEPS_LOCK:
                kept[key] = html
                while len(kept) > TRACK_STEPS_KEPT:
                    kept.popitem(last=False)
        return html

    return track_steps


def register(app: Flask) -> None:
    # The form macros are globals so that a block rendered alone (an htmx fragment)
    # can use them without a template-level import, which block rendering skips.
    with app.app_context():
        forms = app.jinja_env.get_template("web/_forms.html").module
        track = app.jinja_env.get_template("courses/_track.html").module
    app.jinja_env.globals.update(field=forms.field, form_error=forms.form_error,
                                 track_steps=cached_track_steps(track.track_steps),
                                 translate=translate)
    app.jinja_env.filters["markdown"] = markdown_filter

    @app.context_processor
    def _layout() -> dict[str, Any]:
        return {"nav_items": nav_items, "role_label": role_label}
