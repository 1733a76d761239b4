"""Two starts of the same exam at once (a second tab, a double click) give one attempt on
PostgreSQL; before the upsert the later start failed on the attempt's unique number."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from portal.auth.models import User
from portal.exams import services
from portal.exams.models import Attempt, AttemptStatus
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
