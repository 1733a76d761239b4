"""The `flask --app portal` commands."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from portal.auth.models import Cohort, Role, User


def test_demo_load_is_idempotent_and_prints_the_logins(app: Flask, session: Session) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    for employee_no in ("demo-trainee", "demo-trainer", "demo-supervisor", "demo-supervisor2",
                        "demo-supervisor3", "demo-admin"):
        assert employee_no in first.output
    assert "portal-demo" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "already loaded" in second.output
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 6
    assert session.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 1
    roles = set(session.scalars(sa.select(User.role)))
    assert roles == set(Role)


def test_demo_accounts_can_sign_in(app: Flask) -> None:
    app.test_cli_runner().invoke(args=["demo", "load"])
    client = app.test_client()
    response = client.post("/login", data={"employee_no": "demo-trainee", "password": "portal-demo"})
    assert response.status_code == 303
    assert "演示批次" in client.get("/").get_data(as_text=True)


def test_users_create(app: Flask, session: Session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--employee-no", "boss-1", "--name", "管理员甲",
                                 "--role", "admin", "--password", "a-long-admin-pass"])
    assert result.exit_code == 0, result.output
    user = session.scalars(sa.select(User).where(User.employee_no == "boss-1")).one()
    assert user.role is Role.ADMIN and user.must_change_password
    again = runner.invoke(args=["users", "create", "--employee-no", "boss-1", "--name", "重复",
                                "--role", "admin", "--password", "a-long-admin-pass"])
    assert again.exit_code != 0 and "已存在" in again.output


def test_users_create_rejects_a_weak_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--employee-no", "cs-9", "--name", "甲", "--role", "trainee",
        "--password", "123"])
    assert result.exit_code != 0 and "密码至少" in result.output


def test_config_check(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["config", "check"])
    assert result.exit_code == 0, result.output
    assert "configuration ok" in result.output
    app.config["SECRET_KEY"] = "short"
    result = app.test_cli_runner().invoke(args=["config", "check"])
    assert result.exit_code == 1 and "SECRET_KEY" in result.output
