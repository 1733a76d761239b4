"""Two starts of the same exam at once (a second tab, a double click) give one attempt on
PostgreSQL; before the upsert the later start failed on the attempt's unique number. A save
and a submission of one attempt happen one after the other: a save acknowledged first is
graded, a save that comes second is refused."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from portal.auth.models import User
from portal.exams import services
from portal.exams.errors import AttemptClosed
from portal.exams.models import Attempt, AttemptStatus, Response
from portal.exams.services import attempts as attempt_services
from tests.factories import import_demo_exam, make_user
from tests.postgres_support import interleave, migrated_postgres_database


@pytest.fixture
def database_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


def test_two_starts_at_once_give_one_attempt(app: Flask, session: Session,
                                             now: datetime) -> None:
    import_demo_exam(session, now=now)
    trainee = make_user(session)
    session.commit()
    sessions: sessionmaker[Session] = app.extensions["portal.sessionmaker"]

    def start(s: Session) -> tuple[int, int]:
        user = s.get(User, trainee.id)
        assert user is not None
        attempt = services.start_attempt(s, user=user, exam_key="demo-exam", now=now, seed=1)
        return attempt.id, len(attempt.responses)

    first, second = interleave(sessions, start, start)
    assert first.error is None and second.error is None, (first.error, second.error)
    assert first.value == second.value and first.value is not None
    assert first.value[1] > 0  # the later start sees the earlier one's questions
    session.rollback()
    attempts = session.scalars(sa.select(Attempt).where(Attempt.user_id == trainee.id)).all()
    assert [(a.number, a.status) for a in attempts] == [(1, AttemptStatus.IN_PROGRESS)]


@pytest.fixture
def started(app: Flask, session: Session, now: datetime) -> tuple[User, int]:
    import_demo_exam(session, now=now)
    trainee = make_user(session)
    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now, seed=1)
    session.commit()
    return trainee, attempt.id


def _answer_1(session: Session, attempt_id: int) -> object:
    session.rollback()
    return session.scalar(sa.select(Response.answer).where(Response.attempt_id == attempt_id,
                                                           Response.position == 1))


def test_a_save_acknowledged_while_a_submission_waits_is_graded(
        app: Flask, session: Session, now: datetime, started: tuple[User, int]) -> None:
    trainee, attempt_id = started
    sessions: sessionmaker[Session] = app.extensions["portal.sessionmaker"]

    def save(s: Session) -> object:
        target = attempt_services.save_target(s, user_id=trainee.id, attempt_id=attempt_id,
                                              position=1)
        return attempt_services.write_answer(s, target=target, answer="a", revision=1, now=now)

    def submit(s: Session) -> object:
        user = s.get(User, trainee.id)
        assert user is not None
        return services.submit_attempt(s, user=user, attempt_id=attempt_id, now=now).id

    saved, submitted = interleave(sessions, save, submit, reached=lambda sql: "FOR UPDATE" in sql,
                                  then_wait_for_a_lock=True)
    assert saved.error is None and submitted.error is None, (saved.error, submitted.error)
    assert _answer_1(session, attempt_id) == "a"
    graded = session.scalar(sa.select(Response.points).where(Response.attempt_id == attempt_id,
                                                             Response.position == 1))
    assert graded is not None and graded > 0  # the submission saw the acknowledged save


def test_a_save_acknowledged_while_a_graded_submission_waits_is_graded_again(
        app: Flask, session: Session, now: datetime, started: tuple[User, int]) -> None:
    # The web's submission grades before it takes the lock; a save that commits while it
    # waits for the attempt's lock must still be what is graded.
    trainee, attempt_id = started
    sessions: sessionmaker[Session] = app.extensions["portal.sessionmaker"]
    with sessions() as s:
        graded = services.grade_saved(s, user_id=trainee.id, attempt_id=attempt_id, now=now)
    assert graded is not None and graded.grades[1][1].points == 0  # nothing saved yet

    def save(s: Session) -> object:
        target = attempt_services.save_target(s, user_id=trainee.id, attempt_id=attempt_id,
                                              position=1)
        return attempt_services.write_answer(s, target=target, answer="a", revision=1, now=now)

    def submit(s: Session) -> object:
        services.submit_graded(s, user_id=trainee.id, attempt_id=attempt_id, now=now,
                               graded=graded)
        return attempt_id

    saved, submitted = interleave(sessions, save, submit, reached=lambda sql: "FOR UPDATE" in sql,
                                  then_wait_for_a_lock=True)
    assert saved.error is None and submitted.error is None, (saved.error, submitted.error)
    graded_points = session.scalar(sa.select(Response.points).where(
        Response.attempt_id == attempt_id, Response.position == 1))
    assert graded_points is not None and graded_points > 0


def test_a_save_that_meets_a_submission_is_refused_and_changes_nothing(
        app: Flask, session: Session, now: datetime, started: tuple[User, int]) -> None:
    trainee, attempt_id = started
    sessions: sessionmaker[Session] = app.extensions["portal.sessionmaker"]

    def submit(s: Session) -> object:
        user = s.get(User, trainee.id)
        assert user is not None
        return services.submit_attempt(s, user=user, attempt_id=attempt_id, now=now).id

    def save(s: Session) -> object:
        target = attempt_services.save_target(s, user_id=trainee.id, attempt_id=attempt_id,
                                              position=1)
        return attempt_services.write_answer(s, target=target, answer="a", revision=1, now=now)

    submitted, saved = interleave(sessions, submit, save,
                                  reached=lambda sql: "UPDATE response" in sql,
                                  then_wait_for_a_lock=True)
    assert submitted.error is None, submitted.error
    assert isinstance(saved.error, AttemptClosed), saved.error
    assert _answer_1(session, attempt_id) is None
