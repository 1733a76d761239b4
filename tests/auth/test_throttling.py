"""Log-in throttling per account and per address, with a clear message."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_user


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT_ACCOUNT": "3 per 15 minutes",
            "LOGIN_LIMIT_ADDRESS": "6 per 15 minutes"}


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
