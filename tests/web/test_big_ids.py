"""An id too large for the database in any path is a 404, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule

from portal.auth.models import Role
from portal.migrate import upgrade
from tests.factories import login, make_test_app, make_user
from tests.web.access_fixtures import PUBLIC, expected_for

# Past PostgreSQL's INTEGER, past SQLite's 64 bits, and far past both.
TOO_LARGE = (2**31, 2**63, 2**64, 10**30)
LARGEST = 2**31 - 1  # still an id every database can hold: looked up, found nowhere


@pytest.fixture(params=["sqlite", "postgres"])
def any_db_app(request: pytest.FixtureRequest, tmp_path: Path,
               migrated_template: Path) -> Iterator[Flask]:
    if request.param == "postgres" or os.environ.get("PORTAL_TEST_DB") == "postgres":
        from tests.postgres_support import fresh_postgres_schema, postgres_url

        with fresh_postgres_schema(postgres_url()) as url:
            upgrade(url)
            app = make_test_app(tmp_path=tmp_path, database_url=url)
            yield app
            app.extensions["portal.engine"].dispose()
        return
    path = tmp_path / "portal.sqlite3"
    shutil.copyfile(migrated_template, path)
    app = make_test_app(tmp_path=tmp_path, database_url=f"sqlite:///{path}")
    yield app
    app.extensions["portal.engine"].dispose()


def _int_routes(app: Flask) -> list[tuple[Rule, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if any(isinstance(rule._converters[a], IntegerConverter) for a in rule.arguments):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule, method))
    return found


def _url(app: Flask, rule: Rule, number: int) -> str:
    values: dict[str, object] = {}
    for arg in rule.arguments:
        is_int = isinstance(rule._converters[arg], IntegerConverter)
        values[arg] = number if is_int else "no-such-thing"
    with app.test_request_context():
        return app.url_for(rule.endpoint, **values)


def _clients(app: Flask) -> dict[Role, FlaskClient]:
    clients = {}
    with app.extensions["portal.sessionmaker"]() as session:
        users = {role: make_user(session, role=role) for role in Role}
        session.commit()
        for role, user in users.items():
            clients[role] = app.test_client()
            login(clients[role], user)
    return clients


def test_every_route_with_an_id_answers_404_for_an_id_too_large(any_db_app: Flask) -> None:
    app = any_db_app
    clients = _clients(app)
    routes = _int_routes(app)
    assert len(routes) >= 20  # attempts, banks, questions, trainees, users, cohorts …
    for rule, method in routes:
        expected = expected_for(rule.endpoint)
        role = Role.TRAINEE if expected == PUBLIC else min(expected)  # type: ignore[type-var]
        client = clients[role]
        for number in TOO_LARGE:
            url = _url(app, rule, number)
            response = client.open(url, method=method, data={})
            assert response.status_code == 404, (role, method, url, response.status_code)
            assert "页面不存在" in response.get_data(as_text=True)
        # The largest id the database holds is looked up and found nowhere: never a 500.
        url = _url(app, rule, LARGEST)
        status = client.open(url, method=method, data={}).status_code
        assert status < 500, (role, method, url, status)
