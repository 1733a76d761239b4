"""Database plumbing: UTC timestamps, SQLite settings."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import User
from tests.factories import make_user


def test_timestamps_come_back_timezone_aware_utc(session: Session) -> None:
    user = make_user(session)
    shanghai = timezone(timedelta(hours=8))
    user.last_login_at = datetime(2026, 11, 23, 17, 0, tzinfo=shanghai)
    session.commit()
    session.expire_all()
    loaded = session.get(User, user.id)
    assert loaded.last_login_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert loaded.last_login_at.tzinfo is not None


def test_naive_datetimes_are_refused(session: Session) -> None:
    user = make_user(session)
    user.last_login_at = datetime(2026, 11, 23, 9, 0)
    with pytest.raises(sa.exc.StatementError):
        session.flush()


def test_sqlite_pragmas(session: Session) -> None:
    assert session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    assert session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    assert session.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000


def test_insert_ignore_writes_once_and_says_whether_it_wrote(session: Session) -> None:
    from portal.courses.models import StageCompletion
    from portal.db import insert_ignore, utcnow

    user = make_user(session)
    values = {"user_id": user.id, "track_key": "new-hire", "stage_key": "basics",
              "completed_at": utcnow(), "source": "exam", "reason": "第一次"}
    keys = ("user_id", "track_key", "stage_key")
    assert insert_ignore(session, StageCompletion, values, index_elements=keys) is True
    assert insert_ignore(session, StageCompletion, {**values, "source": "manual",
                                                    "reason": "第二次"},
                         index_elements=keys) is False
    rows = session.scalars(sa.select(StageCompletion).where(
        StageCompletion.user_id == user.id)).all()
    assert [(r.source, r.reason) for r in rows] == [("exam", "第一次")]
