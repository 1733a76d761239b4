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
