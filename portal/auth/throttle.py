"""The log-in throttle's counters in the portal's own database: a storage for `limits`.

Flask-Limiter counts through a `limits` storage. The in-memory one counts per process, so
with several gunicorn workers each worker would allow the whole limit. `DatabaseStorage`
keeps fixed-window counters in `rate_limit_counter` instead: every process on one machine
(SQLite) or on several (PostgreSQL) counts in the same rows, and nothing beyond the
database is needed. The portal registers it as `portal-db://` (portal/extensions.py).

Each call runs in a short transaction of its own on a connection of its own, never in the
request's session. An increment is one `INSERT … ON CONFLICT (key) DO UPDATE … RETURNING
count`, which restarts an expired window in the same statement; on SQLite the transaction
begins IMMEDIATE (writes are serialised), on PostgreSQL the conflicting row is locked, so
two processes incrementing one key at once each get a count of their own. Each write also
removes up to CLEANUP_BATCH expired rows.

Only the fixed-window strategy (Flask-Limiter's default, the one the portal uses) works
with this storage; the moving and sliding window strategies refuse it at start-up.
"""
from __future__ import annotations

import hashlib
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from portal.auth.models import RateLimitCounter
from portal.db import write_intent

CLEANUP_BATCH = 100  # expired rows removed per write, at most
MAX_KEY_CHARS = 255  # the key column's size
_DIGEST_MARK = "#sha256:"
_KEPT_CHARS = MAX_KEY_CHARS - len(_DIGEST_MARK) - 64

EngineSource = Engine | Callable[[], Engine]
_counter = RateLimitCounter.__table__


def stored_key(key: str) -> str:
    """The row's key for a `limits` key: the key itself when it fits the column and is
    printable, otherwise its printable start and the SHA-256 of the whole. (An account's
    key holds whatever was typed as the employee number: its length is the visitor's.)"""
    if len(key) <= MAX_KEY_CHARS and key.isprintable():
        return key
    start = "".join(c for c in key[:_KEPT_CHARS] if c.isprintable())
    return start + _DIGEST_MARK + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class DatabaseStorage(Storage):
    """A `limits` storage whose fixed-window counters are rows of `rate_limit_counter`.

    `engine` is the portal's engine, or a callable that returns it at each call (the
    portal passes one returning the current app's); `clock` gives the time in seconds
    since the epoch (`time.time` unless a test passes its own).
    """

    STORAGE_SCHEME = None  # registered as portal-db:// by portal/extensions.py

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *,
                 engine: EngineSource | None = None, clock: Callable[[], float] = time.time,
                 **options: Any) -> None:
        if engine is None:
            raise ConfigurationError("the portal-db:// storage needs the portal's engine")
        if options:
            raise ConfigurationError(f"unknown portal-db:// storage options: {sorted(options)}")
        if uri is not None:
            parsed = urllib.parse.urlsplit(uri)
            if parsed.netloc or parsed.path or parsed.query:
                raise ConfigurationError(
                    f"{uri!r}: portal-db:// takes nothing after the scheme; it counts in the "
                    "portal's own database (PORTAL_DATABASE_URL)")
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._engine = engine
        self._clock = clock

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sa.exc.SQLAlchemyError

    def _engine_now(self) -> Engine:
        return self._engine if isinstance(self._engine, Engine) else self._engine()

    @contextmanager
    def _transaction(self, *, writes: bool) -> Iterator[sa.Connection]:
        """A short transaction on a connection of its own. Writes take SQLite's write lock
        at BEGIN (IMMEDIATE, see portal/db.py); reads begin deferred and never wait."""
        token = write_intent.set(writes)
        try:
            with self._engine_now().begin() as conn:
                yield conn
        finally:
            write_intent.reset(token)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the key's count, starting a window of `expiry` seconds when it
        has none or its window has ended; the count after this increment."""
        now = self._clock()
        start, end = _at(now), _at(now + expiry)
        with self._transaction(writes=True) as conn:
            insert = _upsert(conn)(_counter).values(key=stored_key(key), count=amount,
                                                    expires_at=end)
            ended = _counter.c.expires_at <= start
            statement = insert.on_conflict_do_update(
                index_elements=[_counter.c.key],
                set_={"count": sa.case((ended, insert.excluded.count),
                                       else_=_counter.c.count + insert.excluded.count),
                      "expires_at": sa.case((ended, insert.excluded.expires_at),
                                            else_=_counter.c.expires_at)},
            ).returning(_counter.c.count)
            count = conn.execute(statement).scalar_one()
            _remove_expired(conn, start)
        return int(count)

    def get(self, key: str) -> int:
        """The key's count in its current window (0 when it has none)."""
        now = _at(self._clock())
        with self._transaction(writes=False) as conn:
            count = conn.execute(sa.select(_counter.c.count).where(
                _counter.c.key == stored_key(key), _counter.c.expires_at > now)).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        """When the key's current window ends (seconds since the epoch; now if it has none)."""
        now = self._clock()
        with self._transaction(writes=False) as conn:
            expires_at = conn.execute(sa.select(_counter.c.expires_at).where(
                _counter.c.key == stored_key(key), _counter.c.expires_at > _at(now))).scalar()
        return expires_at.timestamp() if expires_at is not None else now

    def clear(self, key: str) -> None:
        with self._transaction(writes=True) as conn:
            conn.execute(sa.delete(_counter).where(_counter.c.key == stored_key(key)))

    def reset(self) -> int | None:
        """Remove every counter; how many there were."""
        with self._transaction(writes=True) as conn:
            return conn.execute(sa.delete(_counter)).rowcount

    def check(self) -> bool:
        """Whether the database answers and has the counters' table."""
        try:
            with self._transaction(writes=False) as conn:
                conn.execute(sa.select(_counter.c.key).limit(1)).all()
        except sa.exc.SQLAlchemyError:
            return False
        return True


def _upsert(conn: sa.Connection) -> Any:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the portal-db:// storage is not written for {dialect}")


def _remove_expired(conn: sa.Connection, now: datetime) -> None:
    """Delete up to CLEANUP_BATCH rows whose window ended, oldest first. On PostgreSQL rows
    another transaction holds are skipped (SKIP LOCKED): two writers never wait for each
    other here, and the outer condition is checked again on the row as it is now."""
    ended = _counter.c.expires_at <= now
    batch = sa.select(_counter.c.key).where(ended).order_by(_counter.c.expires_at).limit(
        CLEANUP_BATCH)
    if conn.dialect.name == "postgresql":
        batch = batch.with_for_update(skip_locked=True)
    conn.execute(sa.delete(_counter).where(_counter.c.key.in_(batch), ended))
