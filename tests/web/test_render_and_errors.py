"""Full page or fragment, error pages and alerts, security headers, CSRF, htmx asset."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role
from portal.web.access import signed_in
from portal.web.render import render
from tests.factories import HX, login, make_user


@pytest.fixture
def admin_client(client: FlaskClient, session: Session) -> FlaskClient:
    user = make_user(session, role=Role.ADMIN)
    session.commit()
    login(client, user)
    return client


def test_same_url_gives_full_page_or_fragment(admin_client: FlaskClient) -> None:
    full = admin_client.get("/admin/users?q=admin")
    part = admin_client.get("/admin/users?q=admin", headers=HX)
    assert "<html" in full.get_data(as_text=True)
    body = part.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="results"')
    for response in (full, part):
        assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("extra", [{"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}])
def test_boosted_and_history_restore_get_full_page(admin_client: FlaskClient,
                                                   extra: dict[str, str]) -> None:
    response = admin_client.get("/admin/users", headers={**HX, **extra})
    assert "<html" in response.get_data(as_text=True)


def test_404_is_a_full_page_or_an_alert(admin_client: FlaskClient) -> None:
    page = admin_client.get("/no/such/page")
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert "<html" in text and "页面不存在" in text and "返回首页" in text
    alert = admin_client.get("/no/such/page", headers=HX)
    assert alert.status_code == 404
    assert alert.headers["HX-Retarget"] == "#alerts" and alert.headers["HX-Reswap"] == "innerHTML"
    assert 'role="alert"' in alert.get_data(as_text=True)
    assert "<html" not in alert.get_data(as_text=True)


def test_500_is_a_friendly_page_and_rolls_back(app: Flask, session: Session) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    @signed_in
    def boom() -> str:
        raise RuntimeError("kaboom")

    client = app.test_client()
    user = make_user(session)
    session.commit()
    login(client, user)
    response = client.get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "服务器出错了" in text and "kaboom" not in text
    alert = client.get("/boom", headers=HX)
    assert alert.status_code == 500 and alert.headers["HX-Retarget"] == "#alerts"


def test_render_helper_sets_vary_even_for_pages_without_a_block(app: Flask) -> None:
    with app.test_request_context("/", headers=HX):
        response = render("web/error.html", title="t", detail="d", code=418)
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" in response.get_data(as_text=True)


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_scripts_and_configure_htmx_safely(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '<script src="/vendor/htmx.min.js"' in page
    assert "<script>" not in page and " style=" not in page
    assert '"allowEval":false' in page and '"includeIndicatorStyles":false' in page


def test_htmx_is_served_from_our_own_origin(client: FlaskClient) -> None:
    response = client.get("/vendor/htmx.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"htmx" in response.data and len(response.data) > 10_000


def test_health_check(client: FlaskClient) -> None:
    assert client.get("/healthz").get_data(as_text=True) == "ok"


class TestCsrf:
    @pytest.fixture
    def app_config(self) -> dict[str, object]:
        return {"WTF_CSRF_ENABLED": True}

    def _token(self, client: FlaskClient) -> str:
        page = client.get("/login").get_data(as_text=True)
        return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]

    def test_form_post_without_token_is_refused_and_changes_nothing(
            self, client: FlaskClient, session: Session) -> None:
        user = make_user(session)
        session.commit()
        response = client.post("/login", data={"employee_no": user.employee_no,
                                               "password": "correct-horse-42"})
        assert response.status_code == 400
        assert "页面已过期" in response.get_data(as_text=True)
        assert client.get("/").status_code == 302

    def test_htmx_post_with_header_token_is_accepted(self, client: FlaskClient,
                                                     session: Session) -> None:
        user = make_user(session)
        session.commit()
        token = self._token(client)
        response = client.post("/login", data={"employee_no": user.employee_no,
                                               "password": "correct-horse-42", "csrf_token": token})
        assert response.status_code == 303
        page = client.get("/account/password").get_data(as_text=True)
        header_token = page.split('hx-headers=\'{"X-CSRFToken": "')[1].split('"')[0]
        refused = client.post("/logout", headers=HX)
        assert refused.status_code == 400 and refused.headers["HX-Retarget"] == "#alerts"
        accepted = client.post("/logout", headers={**HX, "X-CSRFToken": header_token})
        assert accepted.status_code == 200 and accepted.headers["HX-Redirect"] == "/login"

    def test_token_does_not_expire(self, app: Flask) -> None:
        assert app.config["WTF_CSRF_TIME_LIMIT"] is None
