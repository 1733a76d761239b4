"""Taking an exam over HTTP: pages, autosave fragments, submit, result, no key before submit."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.exams.models import Attempt, Response
from tests.exams.exam_fixtures import SENTINEL
from tests.factories import HX, import_demo_exam, login, make_user, start_demo_attempt

FORMS = {1: {"answer": "a"}, 2: {"answer": ["a", "b"]}, 3: {"answer": "true"},
         4: {"blank-1": "红"}, 5: {"answer": "300"},
         6: {"field-reason": f"地址变更 {SENTINEL}", "field-staff_id": "KF0123"}}


def test_no_response_during_an_attempt_carries_a_key_or_explanation(
        client: FlaskClient, signed_in_trainee: User) -> None:
    seen = [client.get("/exams/demo-exam")]
    attempt_id = start_demo_attempt(client)
    seen.append(client.get(f"/attempts/{attempt_id}"))
    seen.append(client.get(f"/attempts/{attempt_id}", headers=HX))
    for position, form in FORMS.items():
        if position == 6:
            continue  # the trainee's own answer to 6 contains the sentinel text on purpose
        for headers in ({}, HX):
            seen.append(client.post(f"/attempts/{attempt_id}/answers/{position}",
                                    data={**form, "revision": "1" if not headers else "2"},
                                    headers=headers))
        seen.append(client.post(f"/attempts/{attempt_id}/flags/{position}", data={"flagged": "1"},
                                headers=HX))
    seen.append(client.get(f"/attempts/{attempt_id}/submit"))
    seen.append(client.get(f"/attempts/{attempt_id}?q=3"))
    for response in seen:
        assert response.status_code in (200, 303), response.status_code
        assert SENTINEL not in response.get_data(as_text=True)
    # After submission the review shows the explanations.
    client.post(f"/attempts/{attempt_id}/submit")
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "解析" in result and SENTINEL in result


def test_autosave_answers_with_a_receipt_and_the_time_left(
        client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    response = client.post(f"/attempts/{attempt_id}/answers/1", data={"answer": "a", "revision": "1"},
                           headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "已保存" in body and "<html" not in body
    assert 'id="nav-1"' in body and 'hx-swap-oob="true"' in body and "nav-item--answered" in body
    assert 0 < int(response.headers["X-Seconds-Left"]) <= 1800
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'value="a" checked' in page  # resuming shows the saved answer


def test_plain_form_save_redirects_back_to_the_question(
        client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    response = client.post(f"/attempts/{attempt_id}/answers/5", data={"answer": "300",
                                                                       "revision": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("#q5")


def test_submit_confirmation_lists_unanswered(
        client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    client.post(f"/attempts/{attempt_id}/answers/1", data={"answer": "a", "revision": "1"})
    page = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert "还有 5 道题没有作答" in page
    for _ in range(2):
        assert client.post(f"/attempts/{attempt_id}/submit").status_code == 303
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "未通过" in result and "16.7" in result


def test_saves_after_the_deadline_get_a_clear_409(
        client: FlaskClient, signed_in_trainee: User, session: Session) -> None:
    attempt_id = start_demo_attempt(client)
    attempt = session.get(Attempt, attempt_id)
    attempt.deadline_at = attempt.started_at - timedelta(seconds=1)
    session.commit()
    response = client.post(f"/attempts/{attempt_id}/answers/1",
                           data={"answer": "a", "revision": "1"}, headers=HX)
    assert response.status_code == 409 and "时间已到" in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#alerts"
    session.expire_all()
    assert session.scalars(sa.select(Response).where(Response.attempt_id == attempt_id,
                                                     Response.position == 1)).one().answer is None
    assert client.get(f"/attempts/{attempt_id}").headers["Location"].endswith("/result")


def test_other_trainees_get_404_on_every_attempt_url(
        client: FlaskClient, signed_in_trainee: User, session: Session) -> None:
    attempt_id = start_demo_attempt(client)
    client.post("/logout")
    other = make_user(session)
    session.commit()
    login(client, other)
    for method, url in (("GET", f"/attempts/{attempt_id}"),
                        ("POST", f"/attempts/{attempt_id}/answers/1"),
                        ("POST", f"/attempts/{attempt_id}/flags/1"),
                        ("GET", f"/attempts/{attempt_id}/submit"),
                        ("POST", f"/attempts/{attempt_id}/submit"),
                        ("GET", f"/attempts/{attempt_id}/result")):
        assert client.open(url, method=method, data={"answer": "a"}).status_code == 404, url


def test_one_question_per_page_layout(client: FlaskClient, session: Session, now: datetime) -> None:
    from tests.exams.exam_fixtures import EXAM

    import_demo_exam(session, now=now, exam=EXAM.replace("shuffle_options: false",
                                                     "shuffle_options: false\nlayout: one-per-page"))
    user = make_user(session)
    session.commit()
    login(client, user)
    attempt_id = start_demo_attempt(client)
    page = client.get(f"/attempts/{attempt_id}?q=2").get_data(as_text=True)
    assert 'id="q2"' in page and 'id="q1"' not in page and 'id="q3"' not in page
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert f'href="/attempts/{attempt_id}?q=5"' in page  # the navigation panel links pages


def test_flagging_a_question_shows_in_the_panel(
        client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    response = client.post(f"/attempts/{attempt_id}/flags/3", data={"flagged": "1"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'aria-pressed="true"' in body
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "nav-item--flagged" in page and "，已标记" in page
    confirm = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert "你标记了这些题" in confirm
