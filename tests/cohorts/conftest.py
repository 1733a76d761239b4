"""The cohort tests' world: the shipped content and a finished demo cohort of three trainees
(strong, weak, one critical chat violation), generated through the services once and shared
read-only by a module's tests (a copy of one SQLite file, or one PostgreSQL schema)."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cohorts.cohort_fixtures import NOW, FinishedWorld
from tests.factories import build_finished_cohort, make_test_app


def _build(url: str, tmp: Path) -> FinishedWorld:
    app = make_test_app(tmp_path=tmp, database_url=url)
    try:
        with app.extensions["portal.sessionmaker"]() as session:
            made = build_finished_cohort(session, now=NOW)
            world = FinishedWorld(url=url, cohort_id=made.cohort.id, cohort_name=made.cohort.name,
                                  trainer_id=made.trainer.id, supervisor_id=made.supervisor.id,
                                  trainee_ids=tuple(t.id for t in made.trainees))
            session.commit()
    finally:
        app.extensions["portal.engine"].dispose()
    return world


@pytest.fixture(scope="session")
def finished_template(tmp_path_factory: pytest.TempPathFactory,
                      migrated_template: Path) -> FinishedWorld:
    tmp = tmp_path_factory.mktemp("finished")
    path = tmp / "portal.sqlite3"
    shutil.copyfile(migrated_template, path)
    return _build(f"sqlite:///{path}", tmp)


@pytest.fixture(scope="module")
def finished_world(tmp_path_factory: pytest.TempPathFactory,
                   request: pytest.FixtureRequest) -> Iterator[FinishedWorld]:
    if os.environ.get("PORTAL_TEST_DB") == "postgres":
        from portal.migrate import upgrade
        from tests.postgres_support import fresh_postgres_schema, postgres_url

        with fresh_postgres_schema(postgres_url()) as url:
            upgrade(url)
            yield _build(url, tmp_path_factory.mktemp("finished-pg"))
        return
    template: FinishedWorld = request.getfixturevalue("finished_template")
    path = tmp_path_factory.mktemp("finished-copy") / "portal.sqlite3"
    shutil.copyfile(template.url.removeprefix("sqlite:///"), path)
    yield FinishedWorld(**{**template.__dict__, "url": f"sqlite:///{path}"})


@pytest.fixture
def database_url(finished_world: FinishedWorld) -> str:
    """Every cohort test runs on the finished world (the tests only read it)."""
    return finished_world.url
