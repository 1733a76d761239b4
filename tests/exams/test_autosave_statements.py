"""The autosave (the exam's hot request) and the submission: their SQL is pinned so it
cannot creep."""
from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.db import write_intent
from portal.errors import NotFound
from portal.exams import services
from portal.exams.models import Attempt, AttemptStatus, Response
from portal.exams.services import attempts as attempt_services
from tests.factories import (
    HX,
    counting_statements,
    login,
    make_user,
    start_demo_attempt,
    statement_kind,
)


def test_an_autosave_reads_in_few_plain_selects_and_writes_one_conditional_update(
        app: Flask, client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    client.get(f"/attempts/{attempt_id}")
    with counting_statements(app) as statements:
        response = client.post(f"/attempts/{attempt_id}/answers/1",
                               data={"answer": "a", "revision": "1"}, headers=HX)
    assert response.status_code == 200 and "已保存" in response.get_data(as_text=True)
    # Kept from creeping (9 statements, all under the write lock, before the rework): the
    # user, then the attempt with its question in one plain read; then the one conditional
    # UPDATE (a newer revision, the attempt open and within its time) under the lock.
    kinds = [statement_kind(s) for s in statements]
    assert [k for k in kinds if not k.startswith("BEGIN")] == [
        "SELECT user", "SELECT attempt", "UPDATE response"], statements
    if app.config["DATABASE_URL"].startswith("sqlite"):  # SQLite's BEGINs are statements
        # Signed in and read in a deferred transaction; the write lock for the write alone.
        assert kinds == ["BEGIN", "SELECT user", "SELECT attempt", "BEGIN IMMEDIATE",
                         "UPDATE response"], kinds


def test_saving_a_question_again_reads_nothing_but_the_user_before_it_writes(
        app: Flask, client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    assert client.post(f"/attempts/{attempt_id}/answers/1",
                       data={"answer": "a", "revision": "1"}, headers=HX).status_code == 200
    with counting_statements(app) as statements:
        response = client.post(f"/attempts/{attempt_id}/answers/1",
                               data={"answer": "b", "revision": "2"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "已保存" in body and 'id="nav-1"' in body
    assert response.headers["X-Revision"] == "2"
    # What a save needs of its question was kept from the first save (it never changes);
    # the UPDATE checks the owner and the question again and says whether it is flagged.
    kinds = [statement_kind(s) for s in statements]
    assert [k for k in kinds if not k.startswith("BEGIN")] == [
        "SELECT user", "UPDATE response"], statements
    if app.config["DATABASE_URL"].startswith("sqlite"):
        assert kinds == ["BEGIN", "SELECT user", "BEGIN IMMEDIATE", "UPDATE response"], kinds
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'value="b" checked' in page


def test_a_stale_autosave_reads_back_the_kept_answer_and_writes_nothing(
        app: Flask, client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    assert client.post(f"/attempts/{attempt_id}/answers/1",
                       data={"answer": "b", "revision": "5"}, headers=HX).status_code == 200
    with counting_statements(app) as statements:
        response = client.post(f"/attempts/{attempt_id}/answers/1",
                               data={"answer": "a", "revision": "3"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "没有保存" in body and 'value="b" checked' in body
    assert response.headers["X-Revision"] == "5"
    assert 0 < int(response.headers["X-Seconds-Left"]) <= 1800
    kinds = [statement_kind(s) for s in statements]
    # The refused UPDATE, then one read of why (a newer revision), still under the lock.
    assert [k for k in kinds if not k.startswith("BEGIN")] == [
        "SELECT user", "UPDATE response", "SELECT attempt"], statements


def test_a_save_to_a_submitted_attempt_is_refused_and_changes_nothing(
        client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    client.post(f"/attempts/{attempt_id}/answers/1", data={"answer": "a", "revision": "1"})
    assert client.post(f"/attempts/{attempt_id}/submit").status_code == 303
    response = client.post(f"/attempts/{attempt_id}/answers/1",
                           data={"answer": "b", "revision": "2"}, headers=HX)
    assert response.status_code == 409 and "试卷已交" in response.get_data(as_text=True)
    page = client.get(f"/attempts/{attempt_id}/result")
    assert page.status_code == 200


def test_a_save_to_a_question_the_attempt_does_not_have_is_404(
        client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    response = client.post(f"/attempts/{attempt_id}/answers/99",
                           data={"answer": "a", "revision": "1"}, headers=HX)
    assert response.status_code == 404


def test_a_submission_grades_before_the_write_lock_and_holds_it_for_the_writes(
        app: Flask, client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    client.post(f"/attempts/{attempt_id}/answers/1", data={"answer": "a", "revision": "1"},
                headers=HX)
    with counting_statements(app) as statements:
        assert client.post(f"/attempts/{attempt_id}/submit").status_code == 303
    # Kept from creeping (21 statements before: a read and an UPDATE per question, the
    # attempt updated three times; then 8, all under the write lock; then 6 under it): the
    # user, the attempt with its saved answers in one plain read, graded in a deferred
    # transaction (the questions' and the exam's versions read once and kept); under the
    # lock, plain statements only: the attempt locked, its responses' revisions (unchanged,
    # so nothing is graded again), the grades (one executemany), the attempt's result, the
    # audit record.
    kinds = [statement_kind(s) for s in statements]
    reads = ["SELECT user", "SELECT attempt", "SELECT exam_version", "SELECT question_version"]
    locked = ["SELECT attempt", "SELECT response", "UPDATE response", "UPDATE attempt",
              "INSERT audit_event"]
    assert [k for k in kinds if not k.startswith("BEGIN")] == reads + locked, "|".join(kinds)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        assert kinds == ["BEGIN", *reads, "BEGIN IMMEDIATE", *locked], "|".join(kinds)
    with counting_statements(app) as statements:
        assert client.post(f"/attempts/{attempt_id}/submit").status_code == 303
    # Submitting again writes nothing and takes no lock: two plain reads.
    kinds = [statement_kind(s) for s in statements]
    assert [k for k in kinds if not k.startswith("BEGIN")] == [
        "SELECT user", "SELECT attempt"], "|".join(kinds)
    assert "BEGIN IMMEDIATE" not in kinds


def test_an_answer_saved_after_the_grading_read_is_graded_again_under_the_lock(
        app: Flask, client: FlaskClient, signed_in_trainee: User, session: Session,
        now: datetime) -> None:
    attempt_id = start_demo_attempt(client)
    client.post(f"/attempts/{attempt_id}/answers/1", data={"answer": "b", "revision": "1"},
                headers=HX)  # wrong
    graded = services.grade_saved(session, user_id=signed_in_trainee.id,
                                  attempt_id=attempt_id, now=now)
    session.rollback()
    assert graded is not None and graded.grades[1][1].points == 0
    # Between the grading read and the submission's lock, the right answer is saved.
    assert client.post(f"/attempts/{attempt_id}/answers/1",
                       data={"answer": "a", "revision": "2"}, headers=HX).status_code == 200
    token = write_intent.set(True)
    try:
        with counting_statements(app) as statements:
            services.submit_graded(session, user_id=signed_in_trainee.id,
                                   attempt_id=attempt_id, now=now, graded=graded)
        session.commit()
    finally:
        write_intent.reset(token)
    first = session.scalars(sa.select(Response).where(Response.attempt_id == attempt_id,
                                                      Response.position == 1)).one()
    assert first.answer == "a" and first.points == first.max_points > 0
    # The changed answer (its revision newer than the one graded) was graded again, under
    # the lock, from its question's kept definition; the others kept their grades.
    kinds = [statement_kind(s) for s in statements]
    assert kinds.count("UPDATE response") == 1, kinds  # all the grades: one executemany
    attempt = session.get(Attempt, attempt_id)
    assert attempt is not None and attempt.status is AttemptStatus.GRADED
    assert attempt.points == sum(r.points or 0 for r in attempt.responses)


def test_a_kept_save_target_lets_no_other_trainee_write_and_follows_the_flag(
        client: FlaskClient, signed_in_trainee: User, session: Session) -> None:
    attempt_id = start_demo_attempt(client)
    assert client.post(f"/attempts/{attempt_id}/answers/1",
                       data={"answer": "a", "revision": "1"}, headers=HX).status_code == 200
    client.post(f"/attempts/{attempt_id}/flags/1", data={"flagged": "1"}, headers=HX)
    receipt = client.post(f"/attempts/{attempt_id}/answers/1",
                          data={"answer": "b", "revision": "2"}, headers=HX)
    # The flag set after the first save shows in the receipt of the next one.
    assert "nav-item--flagged" in receipt.get_data(as_text=True)
    client.post("/logout")
    other = make_user(session)
    session.commit()
    login(client, other)
    assert client.post(f"/attempts/{attempt_id}/answers/1",
                       data={"answer": "c", "revision": "3"}, headers=HX).status_code == 404
    session.rollback()
    stored = session.scalars(sa.select(Response).where(Response.attempt_id == attempt_id,
                                                       Response.position == 1)).one()
    assert (stored.answer, stored.revision) == ("b", 2)


def test_a_kept_target_that_no_longer_matches_its_response_writes_nothing_and_is_dropped(
        app: Flask, client: FlaskClient, signed_in_trainee: User, session: Session,
        now: datetime) -> None:
    attempt_id = start_demo_attempt(client)
    target = attempt_services.save_target(session, user_id=signed_in_trainee.id,
                                          attempt_id=attempt_id, position=1)
    session.rollback()
    wrong = dataclasses.replace(target, question_version_id=target.question_version_id + 999)
    token = write_intent.set(True)
    try:
        with pytest.raises(NotFound):
            attempt_services.write_answer(session, target=wrong, answer="a", revision=1,
                                          now=now)
        session.rollback()
    finally:
        write_intent.reset(token)
    # Dropped: the next save reads its target again (and finds the right one).
    assert attempt_services.save_target(session, user_id=signed_in_trainee.id,
                                        attempt_id=attempt_id, position=1) == target
    assert session.scalar(sa.select(Response.revision).where(
        Response.attempt_id == attempt_id, Response.position == 1)) == 0


def test_the_attempt_page_is_one_read_without_the_write_lock(
        app: Flask, client: FlaskClient, signed_in_trainee: User) -> None:
    attempt_id = start_demo_attempt(client)
    client.post(f"/attempts/{attempt_id}/answers/1", data={"answer": "b", "revision": "1"},
                headers=HX)
    client.get(f"/attempts/{attempt_id}")
    with counting_statements(app) as statements:
        page = client.get(f"/attempts/{attempt_id}")
    assert page.status_code == 200 and 'value="b" checked' in page.get_data(as_text=True)
    # Every trainee in the room reloads it now and then: the user, then the attempt with
    # its responses in one plain read (the exam's and the questions' versions never change
    # and are kept; 12 statements under the write lock before, an ORM load per question).
    kinds = [statement_kind(s) for s in statements]
    assert [k for k in kinds if not k.startswith("BEGIN")] == ["SELECT user", "SELECT attempt"]
    assert "BEGIN IMMEDIATE" not in kinds, kinds
