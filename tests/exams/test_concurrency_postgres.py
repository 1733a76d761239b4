"""Two starts of the same exam at once (a second tab, a double click) give one attempt on
PostgreSQL; before the upsert the later start failed on the attempt's unique number. A save
and a submission of one attempt happen one after the other: a save acknowledged first is
graded, a save that comes second is refused."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

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
from tests.postgres_support import Outcome, interleave, migrated_postgres_database

T = TypeVar("T")


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


def _until_someone_waits_for_a_lock(sessions: sessionmaker[Session], *,
                                    done: threading.Event, timeout: float) -> None:
    """Poll (not a timed assertion: it only orders the two threads) until a backend of this
    database waits for a lock, or the other thread has finished without waiting."""
    with sessions() as s:
        for _ in range(int(timeout / 0.01)):
            waiting = s.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))
            s.rollback()
            if waiting or done.is_set():
                return
            done.wait(0.01)


def _overlap(sessions: sessionmaker[Session], first: Callable[[Session], T],
             second: Callable[[Session], T], *, when: str, timeout: float = 10.0
             ) -> tuple[Outcome[T], Outcome[T]]:
    """`first` runs and keeps its transaction open; `second` starts, and `first` commits
    once `second` has sent a statement containing `when` and waits for a lock (or has
    finished): whatever `second` read before, it must not have decided on it."""
    first_ran, second_reached = threading.Event(), threading.Event()
    second_done = threading.Event()
    outcomes: list[Outcome[T]] = [Outcome(), Outcome()]

    def run_first() -> None:
        with sessions() as s:
            try:
                outcomes[0].value = first(s)
                s.flush()
                first_ran.set()
                second_reached.wait(timeout)
                _until_someone_waits_for_a_lock(sessions, done=second_done, timeout=timeout)
                s.commit()
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                first_ran.set()
                s.rollback()
                outcomes[0].error = exc

    def run_second() -> None:
        first_ran.wait(timeout)
        with sessions() as s:
            connection = s.connection()

            @sa.event.listens_for(connection, "before_cursor_execute")
            def _on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                if when in statement:
                    second_reached.set()

            try:
                outcomes[1].value = second(s)
                s.commit()
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                s.rollback()
                outcomes[1].error = exc
            finally:
                second_reached.set()
                second_done.set()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout * 3)
    assert not any(t.is_alive() for t in threads), "the overlapping requests hung"
    return outcomes[0], outcomes[1]


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
        return attempt_services.write_answer(s, attempt_id=attempt_id, position=1,
                                             answer="a", revision=1, now=now)

    def submit(s: Session) -> object:
        user = s.get(User, trainee.id)
        assert user is not None
        return services.submit_attempt(s, user=user, attempt_id=attempt_id, now=now).id

    saved, submitted = _overlap(sessions, save, submit, when="FOR UPDATE")
    assert saved.error is None and submitted.error is None, (saved.error, submitted.error)
    assert _answer_1(session, attempt_id) == "a"
    graded = session.scalar(sa.select(Response.points).where(Response.attempt_id == attempt_id,
                                                             Response.position == 1))
    assert graded is not None and graded > 0  # the submission saw the acknowledged save


def test_a_save_that_meets_a_submission_is_refused_and_changes_nothing(
        app: Flask, session: Session, now: datetime, started: tuple[User, int]) -> None:
    trainee, attempt_id = started
    sessions: sessionmaker[Session] = app.extensions["portal.sessionmaker"]

    def submit(s: Session) -> object:
        user = s.get(User, trainee.id)
        assert user is not None
        return services.submit_attempt(s, user=user, attempt_id=attempt_id, now=now).id

    def save(s: Session) -> object:
        return attempt_services.write_answer(s, attempt_id=attempt_id, position=1,
                                             answer="a", revision=1, now=now)

    submitted, saved = _overlap(sessions, submit, save, when="UPDATE response")
    assert submitted.error is None, submitted.error
    assert isinstance(saved.error, AttemptClosed), saved.error
    assert _answer_1(session, attempt_id) is None
