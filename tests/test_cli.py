"""The `flask --app portal` commands."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from portal.auth.models import Cohort, Role, User
from portal.config import gunicorn_workers, problems
from tests.factories import make_test_app


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


def test_config_check_says_where_the_log_in_counters_live(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["config", "check"])
    assert result.exit_code == 0, result.output
    assert "rate limits:   portal-db:// (in the portal's database: shared by every process)" in (
        result.output)


def test_config_check_hides_a_password_in_the_throttles_storage_uri(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = "redis://:s3cret-pw@cache.internal:6379/0"
    result = app.test_cli_runner().invoke(args=["config", "check"])
    assert result.exit_code == 0, result.output  # a shared store: nothing to warn about
    assert "redis://:***@cache.internal:6379/0" in result.output
    assert "s3cret-pw" not in result.output


def test_config_check_warns_when_gunicorn_workers_would_each_count_alone(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    result = app.test_cli_runner().invoke(args=["config", "check"])
    assert result.exit_code == 0, result.output  # one process: memory:// is right
    assert "memory:// (in each process alone: right for one process only)" in result.output
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    result = app.test_cli_runner().invoke(args=["config", "check"])
    assert result.exit_code == 1
    assert ("problem: RATELIMIT_STORAGE_URI is memory:// and gunicorn is set to start 4 workers"
            in result.output)
    assert "each process keeps its own log-in counters" in result.output


def test_config_check_finds_the_counters_table_missing(tmp_path: Path) -> None:
    app = make_test_app(tmp_path=tmp_path, database_url=f"sqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        result = app.test_cli_runner().invoke(args=["config", "check"])
    finally:
        app.extensions["portal.engine"].dispose()
    assert result.exit_code == 1
    assert "rate_limit_counter) is missing: run `flask --app portal db upgrade`" in result.output


@pytest.mark.parametrize(("environ", "workers"), [
    ({}, None),
    ({"WEB_CONCURRENCY": "3"}, 3),
    ({"GUNICORN_CMD_ARGS": "--bind 0.0.0.0:8000 --workers 5"}, 5),
    ({"GUNICORN_CMD_ARGS": "-w 2 --timeout 120"}, 2),
    ({"GUNICORN_CMD_ARGS": "--workers=6"}, 6),
    ({"GUNICORN_CMD_ARGS": "-w7"}, 7),
    ({"GUNICORN_CMD_ARGS": "--workers 2", "WEB_CONCURRENCY": "8"}, 2),  # the arguments win
    ({"GUNICORN_CMD_ARGS": "--timeout 120", "WEB_CONCURRENCY": "8"}, 8),
    ({"GUNICORN_CMD_ARGS": "--workers lots", "WEB_CONCURRENCY": "x"}, None),
    ({"GUNICORN_CMD_ARGS": "--name 'unclosed"}, None),
])
def test_gunicorn_workers_as_far_as_the_environment_says(environ: dict[str, str],
                                                         workers: int | None) -> None:
    assert gunicorn_workers(environ) == workers


SQLITE_FILE = "sqlite:////srv/portal/portal.sqlite3"
POSTGRES = "postgresql+psycopg://portal@db.internal/portal"


@pytest.mark.parametrize(("storage", "database", "environ", "expected"), [
    ("memory://", POSTGRES, {}, "a PostgreSQL deployment usually runs several processes"),
    ("memory://", SQLITE_FILE, {"WEB_CONCURRENCY": "4"}, "gunicorn is set to start 4 workers"),
    ("memory://", SQLITE_FILE, {"GUNICORN_CMD_ARGS": "-w 2"}, "gunicorn is set to start 2 workers"),
    ("memory://", SQLITE_FILE, {}, None),  # flask run, or one worker: one process counts
    ("memory://", SQLITE_FILE, {"WEB_CONCURRENCY": "1"}, None),
    ("memory://", "sqlite:///:memory:", {"WEB_CONCURRENCY": "4"}, None),  # one process anyway
    ("portal-db://", POSTGRES, {"WEB_CONCURRENCY": "4"}, None),
    ("portal-db://", SQLITE_FILE, {"WEB_CONCURRENCY": "4"}, None),
    ("redis://cache.internal:6379/0", POSTGRES, {"WEB_CONCURRENCY": "4"}, None),
])
def test_memory_counters_are_a_problem_only_where_several_processes_count(
        storage: str, database: str, environ: dict[str, str], expected: str | None) -> None:
    config = {"RATELIMIT_STORAGE_URI": storage, "DATABASE_URL": database, "SECRET_KEY": "k" * 40,
              "SESSION_COOKIE_SECURE": True}
    found = problems(config, environ)
    if expected is None:
        assert found == []
        return
    (problem,) = found
    assert problem.startswith(f"RATELIMIT_STORAGE_URI is memory:// and {expected}")
    assert "each process keeps its own log-in counters" in problem
    assert "portal-db://" in problem and "redis://" in problem  # what to use instead
