"""Signing in and out, password changes and the session version, through HTTP."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from tests.factories import HX, PASSWORD, login, make_cohort, make_user


def test_login_page_is_chinese_by_default(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert "工号" in page and "密码" in page


def test_anonymous_is_sent_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/users")


def test_anonymous_htmx_request_gets_401_alert(client: FlaskClient) -> None:
    response = client.get("/", headers=HX)
    assert response.status_code == 401
    assert response.headers["HX-Retarget"] == "#alerts"
    assert "请先登录" in response.get_data(as_text=True)


def test_wrong_password_is_refused_without_saying_which_part(client: FlaskClient,
                                                               session: Session) -> None:
    user = make_user(session)
    session.commit()
    response = client.post("/login", data={"employee_no": user.employee_no, "password": "nope-nope-1"})
    assert response.status_code == 422
    assert "工号或密码不正确" in response.get_data(as_text=True)
    response = client.post("/login", data={"employee_no": "nobody", "password": "nope-nope-1"})
    assert "工号或密码不正确" in response.get_data(as_text=True)


def test_each_role_lands_on_its_own_home(client: FlaskClient, session: Session) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    cohort = make_cohort(session, name="十一月一批", staff=[trainer])
    trainee = make_user(session, role=Role.TRAINEE, cohort=cohort)
    admin = make_user(session, role=Role.ADMIN)
    session.commit()

    login(client, trainee)
    page = client.get("/").get_data(as_text=True)
    assert "我的培训路线" in page and "十一月一批" in page
    client.post("/logout")

    login(client, trainer)
    page = client.get("/").get_data(as_text=True)
    assert "我的批次" in page and "十一月一批" in page
    client.post("/logout")

    login(client, admin)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")


def test_login_redirects_to_safe_next_only(client: FlaskClient, session: Session) -> None:
    user = make_user(session, role=Role.ADMIN)
    session.commit()
    response = client.post("/login", data={"employee_no": user.employee_no, "password": PASSWORD,
                                           "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login", data={"employee_no": user.employee_no, "password": PASSWORD,
                                           "next": "/admin/cohorts"})
    assert response.headers["Location"] == "/admin/cohorts"


def test_login_starts_a_fresh_session(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    session.commit()
    with client.session_transaction() as s:
        s["planted"] = "by-attacker"
    login(client, user)
    with client.session_transaction() as s:
        assert "planted" not in s


def test_logout_makes_an_old_cookie_worthless(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    session.commit()
    login(client, user)
    stolen = client.get_cookie("portal_session").value
    assert client.get("/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    client.set_cookie("portal_session", stolen)
    assert client.get("/").status_code == 302  # back to the login page


def test_deactivation_stops_a_signed_in_user_at_once(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    session.commit()
    login(client, user)
    assert client.get("/").status_code == 200
    session.get(User, user.id).active = False
    session.commit()
    assert client.get("/").status_code == 302


def test_deactivated_account_cannot_sign_in(client: FlaskClient, session: Session) -> None:
    user = make_user(session, active=False)
    session.commit()
    response = client.post("/login", data={"employee_no": user.employee_no, "password": PASSWORD})
    assert response.status_code == 422
    assert "已停用" in response.get_data(as_text=True)


def test_pending_password_change_is_enforced(client: FlaskClient, session: Session) -> None:
    user = make_user(session, must_change_password=True)
    session.commit()
    response = client.post("/login", data={"employee_no": user.employee_no, "password": PASSWORD})
    assert response.headers["Location"] == "/account/password"
    assert client.get("/").headers["Location"] == "/account/password"
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a-brand-new-secret", "confirm": "a-brand-new-secret"})
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    session.expire_all()
    assert session.get(User, user.id).must_change_password is False


def test_password_change_errors_come_back_as_fragment_with_422(client: FlaskClient,
                                                               session: Session) -> None:
    user = make_user(session)
    session.commit()
    login(client, user)
    response = client.post("/account/password", headers=HX, data={
        "current_password": PASSWORD, "new_password": "short", "confirm": "short"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="password-form"' in body
    assert "密码至少 10 个字符" in body
    assert "HX-Request" in response.headers["Vary"]


def test_language_switch_to_english_and_back(client: FlaskClient) -> None:
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 303
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Sign in" in page
    client.post("/language", data={"lang": "zh_CN", "next": "/login"})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_the_password_check_does_not_hold_the_write_lock(client: FlaskClient, session: Session,
                                                         database_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """argon2 is slow on purpose: while it runs, other requests must still be able to write."""
    import sqlite3

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's database-wide write lock; PostgreSQL locks rows")

    from portal.auth import services as auth_services

    user = make_user(session)
    session.commit()
    original = auth_services.verify_password
    probes: list[bool] = []

    def verify_while_probing(password_hash: str | None, password: str) -> bool:
        other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0,
                                isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once if the login holds the lock
            other.execute("ROLLBACK")
            probes.append(True)
        except sqlite3.OperationalError:
            probes.append(False)
        finally:
            other.close()
        return original(password_hash, password)

    monkeypatch.setattr(auth_services, "verify_password", verify_while_probing)
    assert client.post("/login", data={"employee_no": user.employee_no,
                                       "password": PASSWORD}).status_code == 303
    assert probes == [True]
