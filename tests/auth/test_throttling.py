"""Log-in throttling per account and per address, with a clear message: counted in the
portal's database (portal-db://, the shipped default) and, for one process, in memory."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import RateLimitCounter
from portal.config import defaults
from tests.factories import PASSWORD, make_user


@pytest.fixture(params=["portal-db://", "memory://"])
def app_config(request: pytest.FixtureRequest) -> dict[str, object]:
    return {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT_ACCOUNT": "3 per 15 minutes",
            "LOGIN_LIMIT_ADDRESS": "6 per 15 minutes", "RATELIMIT_STORAGE_URI": request.param}


def _counters(session: Session) -> dict[str, int]:
    session.rollback()  # a fresh read: the app committed since
    return dict(session.execute(sa.select(RateLimitCounter.key, RateLimitCounter.count)).all())


def _attempt(client: FlaskClient, employee_no: str, password: str = "wrong-password-1",
             addr: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"employee_no": employee_no, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


def test_an_account_is_locked_after_repeated_failures(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    session.commit()
    for _ in range(3):
        assert _attempt(client, user.employee_no).status_code == 422
    locked = _attempt(client, user.employee_no, password=PASSWORD, addr="10.0.0.2")
    assert locked.status_code == 429
    text = locked.get_data(as_text=True)
    assert "登录失败次数过多" in text and "15 分钟" in text
    assert 'value="' + user.employee_no + '"' in text  # the form is kept


def test_an_address_is_limited_across_accounts(client: FlaskClient, session: Session) -> None:
    for i in range(6):
        assert _attempt(client, f"nobody-{i}").status_code == 422
    assert _attempt(client, "nobody-x").status_code == 429


def test_successful_logins_do_not_count(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    session.commit()
    for _ in range(5):
        assert _attempt(client, user.employee_no, password=PASSWORD).status_code == 303
        client.post("/logout", environ_base={"REMOTE_ADDR": "10.0.0.1"})


def test_the_shipped_configuration_counts_in_the_portals_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert defaults(tmp_path)["RATELIMIT_STORAGE_URI"] == "portal-db://"


def test_failed_log_ins_are_rows_of_the_apps_database_with_portal_db(
        app: Flask, client: FlaskClient, session: Session) -> None:
    for _ in range(2):
        assert _attempt(client, "E1001").status_code == 422
    counters = _counters(session)
    if app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        assert counters == {}  # memory:// keeps them in this process only
        return
    # One row per limit: the account's and the address's, each failed twice.
    assert counters == {"LIMITER/account:e1001/auth.login/3/15/minute": 2,
                        "LIMITER/10.0.0.1/auth.login/6/15/minute": 2}


def test_a_signed_in_user_who_fails_a_log_in_gets_the_form_back_and_it_counts(
        client: FlaskClient, session: Session) -> None:
    """Their page reads their account while it renders, which on SQLite holds the request's
    write lock; the failure is counted after the request's commit, so it does not wait for
    that lock (it did: 15 s, then "database is locked")."""
    user = make_user(session)
    session.commit()
    assert _attempt(client, user.employee_no, password=PASSWORD).status_code == 303
    for _ in range(3):
        assert _attempt(client, user.employee_no).status_code == 422
    locked = _attempt(client, user.employee_no)
    assert locked.status_code == 429 and "登录失败次数过多" in locked.get_data(as_text=True)
