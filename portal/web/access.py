"""Access control in one place.

Every view declares who may reach it with one of the decorators below; a
before-request hook enforces the declaration, and a view that declares nothing
is refused (fail closed). tests/web/test_access.py walks the URL map so that no
route can escape this.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

from portal.auth.models import Role
from portal.web.render import is_htmx

F = TypeVar("F", bound=Callable[..., Any])

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Policy:
    """Who may reach a view: anyone, or signed-in users of some roles."""

    public: bool
    roles: frozenset[Role]
    # Reachable while a password change is pending (the change page and log-out).
    during_password_change: bool = False

    def allows(self, role: Role | None) -> bool:
        return self.public or (role is not None and role in self.roles)


def _declare(policy: Policy) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        view.access_policy = policy  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    """Anyone may reach this view, signed in or not."""
    return _declare(Policy(public=True, roles=ALL_ROLES, during_password_change=True))(view)


def signed_in(view: F) -> F:
    """Any signed-in user may reach this view."""
    return _declare(Policy(public=False, roles=ALL_ROLES))(view)


def signed_in_pending_password(view: F) -> F:
    """Any signed-in user, even one who must change their password first."""
    return _declare(Policy(public=False, roles=ALL_ROLES, during_password_change=True))(view)


def roles(*allowed: Role) -> Callable[[F], F]:
    """Only signed-in users with one of these roles may reach this view."""
    return _declare(Policy(public=False, roles=frozenset(allowed)))


def principal_only(view: F) -> F:
    """The view needs of its user only what a `Principal` holds (id, role, name, pending
    password change): the user loader checks the cookie with one narrow read instead of
    loading the account's ORM object. For the hot requests (a chat poll or reply, an
    autosave); the access policy is enforced the same way."""
    view.principal_only = True  # type: ignore[attr-defined]
    return view


def current_account() -> Any:
    """The signed-in account's ORM `User`: `current_user` itself, or, in a
    `@principal_only` view, loaded for the rare path that needs more than a `Principal`
    (a module page of a locked stage explaining what unlocks it)."""
    from portal.auth.models import User
    from portal.web.db import db_session

    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if isinstance(user, User):
        return user
    return db_session().get(User, user.id)


def policy_of(app: Flask, endpoint: str | None) -> Policy | None:
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return Policy(public=True, roles=ALL_ROLES, during_password_change=True)
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_policy", None)


def enforce_access() -> Any:
    """before_request: apply the view's declared policy (404s are left to routing)."""
    from flask import current_app

    if request.routing_exception is not None:
        return None
    policy = policy_of(current_app, request.endpoint)
    if policy is None:
        abort(403)  # undeclared: fail closed
    if policy.public:
        return None
    if not current_user.is_authenticated:
        if is_htmx():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.must_change_password and not policy.during_password_change:
        if is_htmx():
            abort(403)
        return redirect(url_for("auth.change_password"))
    if not policy.allows(current_user.role):
        abort(403)
    return None
