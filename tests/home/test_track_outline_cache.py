"""The trainee's track outline is kept per process under everything it shows: a repeat visit
reuses it, and whatever another process writes (a module read, a stage passed, a new version
imported) shows on the next visit at once."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses import services
from portal.courses.models import Module, ModuleProgress, StageCompletion, Track
from portal.web import layout
from tests.factories import login, make_cohort, make_user


@pytest.fixture
def trainee(client: FlaskClient, session: Session, now: datetime) -> User:
    services.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                            actor_id=None, now=now)
    user = make_user(session, cohort=make_cohort(session))
    session.commit()
    login(client, user)
    return user


def _outline(client: FlaskClient) -> str:
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html[html.index('<div id="track">'):html.index("</ol>", html.index('<div id="track">'))]


def _kept(app: Flask) -> int:
    return len(layout._TRACK_STEPS.get(app.extensions["portal.engine"], {}))


def _module(session: Session, key: str) -> Module:
    return session.scalars(sa.select(Module).join(Track).where(
        Track.key == "new-hire", Module.key == key)).one()


def test_a_repeat_visit_reuses_the_outline(app: Flask, client: FlaskClient,
                                           trainee: User) -> None:
    first = _outline(client)
    assert _kept(app) == 1
    assert _outline(client) == first
    assert _kept(app) == 1


def test_a_module_read_elsewhere_shows_at_once(app: Flask, client: FlaskClient,
                                               session: Session, trainee: User,
                                               now: datetime) -> None:
    before = _outline(client)
    assert "已读完" not in before
    session.add(ModuleProgress(user_id=trainee.id, module_id=_module(session, "company-culture").id,
                               first_opened_at=now, last_opened_at=now, completed_at=now))
    session.commit()  # as another process's request would
    after = _outline(client)
    assert after.count("已读完") == 1
    assert _kept(app) == 2


def test_a_stage_passed_elsewhere_shows_at_once(client: FlaskClient, session: Session,
                                                trainee: User, now: datetime) -> None:
    assert 'stage--passed' not in _outline(client)
    session.add(StageCompletion(user_id=trainee.id, track_key="new-hire", stage_key="basics",
                                completed_at=now, source="manual"))
    session.commit()
    after = _outline(client)
    assert 'class="stage stage--passed" id="stage-basics"' in after
    assert 'class="stage stage--open" id="stage-operations"' in after


def test_a_new_version_imported_elsewhere_shows_at_once(client: FlaskClient, session: Session,
                                                        trainee: User, now: datetime) -> None:
    assert "新版企业文化" not in _outline(client)
    services.publish_module_version(
        session, module=_module(session, "company-culture"), track_key="new-hire",
        title="新版企业文化", summary="", minutes=3, tags=[], roles=[],
        body_markdown="新的正文。", source_hash="new", actor_id=None, now=now)
    session.commit()
    assert "新版企业文化" in _outline(client)


def test_an_outline_with_a_form_is_not_kept(app: Flask, client: FlaskClient, session: Session,
                                            trainee: User, now: datetime) -> None:
    for stage in ("basics", "operations"):  # the team checklist opens, its ticks are forms
        session.add(StageCompletion(user_id=trainee.id, track_key="new-hire", stage_key=stage,
                                    completed_at=now, source="manual"))
    session.commit()
    outline = _outline(client)
    assert 'name="csrf_token"' in outline
    assert _kept(app) == 0
