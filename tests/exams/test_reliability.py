"""No acknowledged save is lost: concurrent tabs, late revisions, a restarted server."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.exams import services
from portal.exams.errors import RevisionInvalid
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


def test_a_stale_save_reports_the_newer_answer_it_kept(session: Session, trainee: User,
                                                       now: datetime) -> None:
    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    services.save_answer(session, user=trainee, attempt_id=attempt.id, position=5,
                         answer="300", revision=4, now=now)
    late = services.save_answer(session, user=trainee, attempt_id=attempt.id, position=5,
                                answer="299", revision=2, now=now + timedelta(seconds=5))
    assert late.stale and late.answer == "300" and late.revision == 4
    assert late.saved_at == now  # when the kept answer was saved, not when the late one came


@pytest.mark.parametrize("revision", [-1, 0, 10**9 + 1, 2**31, 2**63])
def test_revisions_no_page_sends_are_refused(session: Session, trainee: User, now: datetime,
                                             revision: int) -> None:
    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    with pytest.raises(RevisionInvalid):
        services.save_answer(session, user=trainee, attempt_id=attempt.id, position=1,
                             answer="a", revision=revision, now=now)
    # Nothing was stored, so the next ordinary save from the page is not taken as stale.
    saved = services.save_answer(session, user=trainee, attempt_id=attempt.id, position=1,
                                 answer="b", revision=1, now=now)
    assert not saved.stale and saved.answer == "b"


def test_the_stale_tab_gets_the_newer_answer_swapped_in(app: Flask, trainee: User) -> None:
    tab_a, tab_b = _client(app, trainee), _client(app, trainee)
    attempt_id = int(tab_a.post("/exams/demo-exam/attempts").headers["Location"].split("/")[2])
    assert tab_b.post(f"/attempts/{attempt_id}/answers/1", headers=HX,
                      data={"answer": "b", "revision": "3"}).status_code == 200
    stale = tab_a.post(f"/attempts/{attempt_id}/answers/1", headers=HX,
                       data={"answer": "c", "revision": "1"})
    body = stale.get_data(as_text=True)
    assert stale.status_code == 200
    assert "另一个窗口" in body and "保留下来的答案" in body and "已保存" not in body
    # The question's inputs, out of band, showing the kept answer "b" and not this tab's "c".
    assert '<div class="question__inputs" id="inputs-1" hx-swap-oob="true">' in body
    assert 'value="b" checked' in body and 'value="c" checked' not in body
    assert stale.headers["X-Revision"] == "3"  # the tab counts on from the stored revision
    assert _stored(app, attempt_id, 1) == ("b", 3)
    # Counting on from there, the stale tab's next change is the newer one again.
    again = tab_a.post(f"/attempts/{attempt_id}/answers/1", headers=HX,
                       data={"answer": "c", "revision": "4"})
    assert "已保存" in again.get_data(as_text=True) and "inputs-1" not in again.get_data(as_text=True)
    assert _stored(app, attempt_id, 1) == ("c", 4)


def test_a_stale_plain_form_save_says_the_newer_answer_was_kept(app: Flask,
                                                                trainee: User) -> None:
    tab = _client(app, trainee)
    attempt_id = int(tab.post("/exams/demo-exam/attempts").headers["Location"].split("/")[2])
    tab.post(f"/attempts/{attempt_id}/answers/1", data={"answer": "b", "revision": "2"})
    tab.get(f"/attempts/{attempt_id}")  # the first flash is shown and gone
    response = tab.post(f"/attempts/{attempt_id}/answers/1", data={"answer": "c", "revision": "1"},
                        follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "另一个窗口已保存了更新的答案" in page and "第 1 题已保存" not in page
    assert 'value="b" checked' in page


@pytest.mark.parametrize("revision", ["-1", "0", "abc", "", "1.5", "１", "2147483648",
                                      "1000000001", "9" * 40])
def test_an_absurd_revision_is_refused_with_422(app: Flask, trainee: User, revision: str) -> None:
    tab = _client(app, trainee)
    attempt_id = int(tab.post("/exams/demo-exam/attempts").headers["Location"].split("/")[2])
    refused = tab.post(f"/attempts/{attempt_id}/answers/1", headers=HX,
                       data={"answer": "a", "revision": revision})
    assert refused.status_code == 422
    assert "版本号无效" in refused.get_data(as_text=True)
    assert refused.headers["HX-Retarget"] == "#alerts"
    assert _stored(app, attempt_id, 1) == (None, 0)
    ordinary = tab.post(f"/attempts/{attempt_id}/answers/1", headers=HX,
                        data={"answer": "a", "revision": "1"})
    assert "已保存" in ordinary.get_data(as_text=True)
    assert _stored(app, attempt_id, 1) == ("a", 1)
