"""Shared fixtures: an app on a real SQLite database migrated to head, clients, sessions."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.db import write_intent
from portal.migrate import upgrade
from tests.factories import make_test_app

FIXED_NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database upgraded to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "portal.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: Path) -> Iterator[str]:
    """A database migrated to head: a copy of the SQLite template, or with
    PORTAL_TEST_DB=postgres a fresh PostgreSQL schema (`make test` runs the service and
    view suites that matter most a second time that way)."""
    if os.environ.get("PORTAL_TEST_DB") == "postgres":
        from tests.postgres_support import fresh_postgres_schema, postgres_url

        with fresh_postgres_schema(postgres_url()) as url:
            upgrade(url)
            yield url
        return
    path = tmp_path / "portal.sqlite3"
    shutil.copyfile(migrated_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def app_config() -> dict[str, object]:
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(tmp_path: Path, database_url: str, app_config: dict[str, object]) -> Iterator[Flask]:
    application = make_test_app(tmp_path=tmp_path, database_url=database_url, **app_config)
    yield application
    application.extensions["portal.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the test database for arranging and checking state (commit to share).

    Its transactions begin deferred, so a test that only reads never holds SQLite's
    write lock while the app under test (same thread) serves a request.
    """
    token = write_intent.set(False)
    s: Session = app.extensions["portal.sessionmaker"]()
    try:
        yield s
    finally:
        s.rollback()
        s.close()
        write_intent.reset(token)


@pytest.fixture
def now() -> datetime:
    return FIXED_NOW
