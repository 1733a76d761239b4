"""Walk the whole URL map: every endpoint declares its access, and it holds for every role.

A new route that declares nothing is refused at run time (fail closed) and fails
here; a route whose declared roles differ from the expectations below fails here
too, so widening access is always a visible, reviewed change.
"""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter, Rule

from portal.auth.models import Role
from portal.web.access import policy_of
from tests.factories import HX, login, make_user
from tests.web.access_fixtures import PUBLIC, expected_for


def sample_url(app: Flask, rule: Rule) -> str:
    values = {}
    for arg in rule.arguments:
        is_int = isinstance(rule._converters[arg], IntegerConverter)
        values[arg] = 999999 if is_int else "no-such-thing"
    with app.test_request_context():
        return app.url_for(rule.endpoint, **values)


def routes(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, sample_url(app, rule)))
    return found


def test_every_endpoint_declares_its_access_and_matches_expectations(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        policy = policy_of(app, rule.endpoint)
        assert policy is not None, f"{rule.endpoint} declares no access policy"
        expected = expected_for(rule.endpoint)
        if expected == PUBLIC:
            assert policy.public, f"{rule.endpoint} should be public"
        else:
            assert not policy.public, f"{rule.endpoint} must not be public"
            assert policy.roles == expected, f"{rule.endpoint}: {sorted(policy.roles)} != {sorted(expected)}"


def _call(client: FlaskClient, method: str, url: str, htmx: bool = False):  # type: ignore[no-untyped-def]
    return client.open(url, method=method, headers=HX if htmx else {}, data={})


def test_anonymous_reaches_only_public_endpoints(app: Flask, client: FlaskClient) -> None:
    for endpoint, method, url in routes(app):
        if expected_for(endpoint) == PUBLIC:
            continue
        response = _call(client, method, url)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/login"), (endpoint, method)
        assert _call(client, method, url, htmx=True).status_code == 401, (endpoint, method)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_what_it_may(app: Flask, client: FlaskClient, session: Session,
                                               role: Role) -> None:
    user = make_user(session, role=role)
    session.commit()
    login(client, user)
    for endpoint, method, url in routes(app):
        if endpoint == "auth.logout":
            continue  # would end the session the walk is using; covered in tests/auth
        expected = expected_for(endpoint)
        response = _call(client, method, url)
        allowed = expected == PUBLIC or role in expected  # type: ignore[operator]
        if allowed:
            assert response.status_code not in (401, 403), (role, endpoint, method,
                                                             response.status_code)
            location = response.headers.get("Location", "")
            assert not location.startswith("/login"), (role, endpoint, method)
        else:
            assert response.status_code == 403, (role, endpoint, method, response.status_code)
            # and the refusal comes back as an alert fragment to htmx
            hx = _call(client, method, url, htmx=True)
            assert hx.status_code == 403 and hx.headers.get("HX-Retarget") == "#alerts"


def test_user_with_pending_password_change_reaches_only_the_change_page(
        app: Flask, client: FlaskClient, session: Session) -> None:
    user = make_user(session, role=Role.ADMIN, must_change_password=True)
    session.commit()
    login(client, user)
    for endpoint, method, url in routes(app):
        policy = policy_of(app, endpoint)
        assert policy is not None
        if policy.during_password_change or endpoint == "auth.logout":
            continue
        response = _call(client, method, url)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"] == "/account/password"


def test_an_undeclared_view_is_refused(app: Flask, session: Session) -> None:
    @app.get("/undeclared-test-route")
    def undeclared() -> str:
        return "should never be served"

    user = make_user(session, role=Role.ADMIN)
    session.commit()
    client = app.test_client()
    login(client, user)
    assert client.get("/undeclared-test-route").status_code == 403


def test_only_the_hot_requests_get_a_principal_instead_of_the_account(app: Flask) -> None:
    # A principal holds the id, role and name only: a view that needs more of its user
    # would fail on it; adding one to this list is a reviewed change.
    marked = {rule.endpoint for rule in app.url_map.iter_rules()
              if getattr(app.view_functions[rule.endpoint], "principal_only", False)}
    assert marked == {"chat.poll", "chat.reply", "courses.module_show", "exams.answer_save",
                      "exams.attempt_show", "exams.attempt_submit", "home.index"}
