"""No acknowledged save is lost: concurrent tabs, late revisions, a restarted server."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.exams.models import Response
from tests.factories import HX, PASSWORD, import_demo_exam, make_test_app, make_user


@pytest.fixture
def trainee(session: Session, now: datetime) -> User:
    import_demo_exam(session, now=now)
    user = make_user(session)
    session.commit()
    return user


def _client(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"employee_no": user.employee_no,
                                       "password": PASSWORD}).status_code == 303
    return client


def _stored(app: Flask, attempt_id: int, position: int) -> tuple[object, int]:
    with app.extensions["portal.sessionmaker"]() as s:
        row = s.execute(sa.select(Response.answer, Response.revision).where(
            Response.attempt_id == attempt_id, Response.position == position)).one()
        return row[0], row[1]


def test_two_tabs_saving_at_once_keep_the_newest_revision(app: Flask, trainee: User) -> None:
    tab_a, tab_b = _client(app, trainee), _client(app, trainee)
    attempt_id = int(tab_a.post("/exams/demo-exam/attempts").headers["Location"].split("/")[2])
    acknowledged: list[tuple[int, str]] = []
    lock = threading.Lock()

    def save(args: tuple[FlaskClient, int]) -> None:
        client, revision = args
        answer = "abc"[revision % 3]
        response = client.post(f"/attempts/{attempt_id}/answers/1", headers=HX,
                               data={"answer": answer, "revision": str(revision)})
        assert response.status_code == 200
        with lock:
            acknowledged.append((revision, answer))

    jobs = [(tab_a if r % 2 else tab_b, r) for r in range(1, 41)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(save, jobs))
    answer, revision = _stored(app, attempt_id, 1)
    best = max(acknowledged)
    assert revision == best[0] == 40 and answer == best[1]


def test_a_late_save_from_an_old_tab_does_not_overwrite(app: Flask, trainee: User) -> None:
    tab = _client(app, trainee)
    attempt_id = int(tab.post("/exams/demo-exam/attempts").headers["Location"].split("/")[2])
    tab.post(f"/attempts/{attempt_id}/answers/5", headers=HX, data={"answer": "300", "revision": "7"})
    late = tab.post(f"/attempts/{attempt_id}/answers/5", headers=HX,
                    data={"answer": "299", "revision": "6"})
    assert late.status_code == 200
    assert _stored(app, attempt_id, 5) == ("300", 7)


def test_saves_survive_a_server_restart(tmp_path: Path, database_url: str, app: Flask,
                                        trainee: User) -> None:
    tab = _client(app, trainee)
    attempt_id = int(tab.post("/exams/demo-exam/attempts").headers["Location"].split("/")[2])
    assert tab.post(f"/attempts/{attempt_id}/answers/1", headers=HX,
                    data={"answer": "a", "revision": "1"}).status_code == 200
    # The process dies: its engine and every pooled connection go away without a goodbye.
    app.extensions["portal.engine"].dispose()
    restarted = make_test_app(tmp_path=tmp_path / "second", database_url=database_url)
    try:
        tab2 = _client(restarted, trainee)
        page = tab2.get(f"/attempts/{attempt_id}").get_data(as_text=True)
        assert 'value="a" checked' in page
        assert tab2.post(f"/attempts/{attempt_id}/answers/2", headers=HX,
                         data={"answer": ["a", "b"], "revision": "1"}).status_code == 200
        assert _stored(restarted, attempt_id, 1) == ("a", 1)
        assert _stored(restarted, attempt_id, 2) == (["a", "b"], 1)
    finally:
        restarted.extensions["portal.engine"].dispose()
