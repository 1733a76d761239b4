"""The trainee's hot pages stay cheap: their SQL is pinned, and a module page writes (and
takes SQLite's write lock) only when a visit changes something."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses import rules, services
from portal.courses.models import ModuleProgress
from portal.db import utcnow
from tests.factories import counting_statements, login, make_cohort, make_user

MODULE = "/tracks/new-hire/modules/company-culture"
WRITES = ("INSERT", "UPDATE", "DELETE")


def _sql(app: Flask, statements: list[str]) -> list[str]:
    """The statements without SQLite's BEGINs (PostgreSQL's driver begins by itself), after
    checking on SQLite that the request began deferred and took the write lock only to write."""
    if app.extensions["portal.engine"].dialect.name == "sqlite":
        assert statements[0] == "BEGIN", statements
        assert ("BEGIN IMMEDIATE" in statements) == bool(_writes(statements)), statements
    return [s for s in statements if not s.startswith("BEGIN")]


@pytest.fixture
def trainee_client(client: FlaskClient, session: Session, now: datetime) -> FlaskClient:
    services.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                            actor_id=None, now=now)
    trainee = make_user(session, cohort=make_cohort(session))
    session.commit()
    login(client, trainee)
    return client


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(WRITES)]


def _progress(session: Session) -> ModuleProgress:
    session.expire_all()
    return session.scalars(sa.select(ModuleProgress)).one()


def test_module_page_first_visit_writes_once_and_a_repeat_visit_writes_nothing(
        app: Flask, trainee_client: FlaskClient, session: Session) -> None:
    with counting_statements(app) as first:
        assert trainee_client.get(MODULE).status_code == 200
    first = _sql(app, first)
    # user, track + module (their versions' ids) + progress + passed stages + cohort's
    # track, the versions' content (the first page of these versions in this process);
    # then, in the write phase: progress, its upsert, progress again. The user is a
    # Principal (@principal_only): nothing of it expires at the commit, nothing is re-read.
    assert len(first) == 6, first
    assert len(_writes(first)) == 1, first  # the upsert of the progress
    progress = _progress(session)
    opened = progress.last_opened_at
    assert progress.first_opened_at == opened and progress.completed_at is None

    with counting_statements(app) as again:
        assert trainee_client.get(MODULE).status_code == 200
    again = _sql(app, again)
    assert len(again) == 2, again  # user, track + module + progress + passed stages
    assert _writes(again) == []
    assert _progress(session).last_opened_at == opened


def test_a_module_page_shows_the_version_in_use_after_another_process_publishes_one(
        app: Flask, trainee_client: FlaskClient, session: Session, now: datetime) -> None:
    from portal.courses.models import Module, Track

    assert b"company-culture" in trainee_client.get(MODULE).data  # its content now kept
    module = session.scalars(sa.select(Module).join(Track).where(
        Track.key == "new-hire", Module.key == "company-culture")).one()
    services.publish_module_version(  # as an import in another process would
        session, module=module, track_key="new-hire", title="新版企业文化", summary="",
        minutes=3, tags=[], roles=[], body_markdown="新的正文。", source_hash="new",
        actor_id=None, now=now)
    session.commit()
    with counting_statements(app) as statements:
        page = trainee_client.get(MODULE).get_data(as_text=True)
    assert "新版企业文化" in page and "新的正文。" in page
    assert len(_sql(app, statements)) == 3, statements  # the new version's content read once
    with counting_statements(app) as again:
        assert "新的正文。" in trainee_client.get(MODULE).get_data(as_text=True)
    assert len(_sql(app, again)) == 2, again


def test_a_visit_after_a_while_moves_last_opened(app: Flask, trainee_client: FlaskClient,
                                                 session: Session) -> None:
    assert trainee_client.get(MODULE).status_code == 200
    progress = _progress(session)
    earlier = progress.last_opened_at - rules.LAST_SEEN_STEP - timedelta(seconds=1)
    progress.first_opened_at = progress.last_opened_at = earlier
    session.commit()
    with counting_statements(app) as statements:
        assert trainee_client.get(MODULE).status_code == 200
    assert [s.split()[0] for s in _writes(_sql(app, statements))] == ["UPDATE"], statements
    progress = _progress(session)
    assert progress.first_opened_at == earlier and progress.last_opened_at > earlier


def test_visit_due_rule() -> None:
    now = utcnow()
    assert rules.visit_due(None, now)
    assert not rules.visit_due(now - rules.LAST_SEEN_STEP + timedelta(seconds=1), now)
    assert rules.visit_due(now - rules.LAST_SEEN_STEP, now)


def test_track_page_reads_only_in_a_pinned_number_of_statements(
        app: Flask, trainee_client: FlaskClient) -> None:
    assert trainee_client.get(MODULE).status_code == 200
    with counting_statements(app) as statements:
        page = trainee_client.get("/")
    assert page.status_code == 200
    statements = _sql(app, statements)
    assert _writes(statements) == []
    # user, cohort + track + version, modules + versions + progress, passed stages + ticks
    # + the online exams and drills, attempted exams, placement, probation
    assert len(statements) == 7, statements
    # The user is a Principal (@principal_only): its narrow read, not the account's row;
    # the cohort as its columns, not an ORM object.
    assert "password_hash" not in statements[0], statements[0]
    assert "cohort.created_at" not in statements[1], statements[1]


def test_a_trainee_whose_cohort_has_no_track_sees_the_cohort(
        app: Flask, client: FlaskClient, session: Session) -> None:
    cohort = make_cohort(session, track_key="not-imported")
    trainee = make_user(session, cohort=cohort)
    session.commit()
    login(client, trainee)
    page = client.get("/").get_data(as_text=True)
    assert cohort.name in page and "not-imported" in page


def test_a_plain_signed_in_request_loads_the_user_in_one_statement(
        app: Flask, trainee_client: FlaskClient) -> None:
    with counting_statements(app) as statements:
        assert trainee_client.get("/search?q=").status_code == 200
    assert len(_sql(app, statements)) <= 2, statements


def test_track_page_submits_an_attempt_whose_time_is_up_under_the_write_lock(
        app: Flask, client: FlaskClient, session: Session, now: datetime) -> None:
    from portal.exams.models import Attempt, AttemptStatus
    from tests.factories import import_demo_exam

    import_demo_exam(session, now=now)
    trainee = make_user(session)
    session.commit()
    login(client, trainee)
    started = client.post("/exams/demo-exam/attempts")
    assert started.status_code == 303
    attempt = session.scalars(sa.select(Attempt)).one()
    attempt.deadline_at = attempt.started_at - timedelta(seconds=1)
    session.commit()
    with counting_statements(app) as statements:
        assert client.get("/").status_code == 200
    assert _writes(_sql(app, statements))  # in the write phase, after the deferred reads
    session.expire_all()
    assert session.get(Attempt, attempt.id).status is not AttemptStatus.IN_PROGRESS
    with counting_statements(app) as again:
        assert client.get("/").status_code == 200
    assert _writes(_sql(app, again)) == []
