"""Database plumbing: declarative base, engine set-up, and one session per request."""
from __future__ import annotations

import contextvars
import sqlite3
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from portal.sqlite_writers import QueuedConnection, queue_for

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no time zones, so a naive value read back is taken as UTC; a naive
    value written is refused, because it is a bug (whose clock was it?).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


# Whether the current unit of work may write. On SQLite a transaction that reads
# first and writes later can fail with "database is locked" when another writer
# got in between; beginning writing transactions IMMEDIATE takes the write lock up
# front (waiting up to the busy timeout) so that never happens. Safe requests
# (GET/HEAD) read in ordinary deferred transactions and never block each other.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)

SQLITE_BUSY_TIMEOUT_MS = 15_000


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    # Writers queue before BEGIN IMMEDIATE and are handed the lock at once, instead of
    # polling in SQLite's busy handler (portal/sqlite_writers.py); not for a private
    # in-memory database, which no one else writes.
    database = engine.url.database
    queue = queue_for(database) if database not in (None, "", ":memory:") else None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if not write_intent.get():
            conn.exec_driver_sql("BEGIN")
            return
        dbapi_connection = conn.connection.dbapi_connection
        queued = queue is not None and isinstance(dbapi_connection, QueuedConnection)
        if queued:
            dbapi_connection.enter_queue(queue, SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queued:
                dbapi_connection.leave_queue()
            raise

    @event.listens_for(engine, "handle_error")
    def _drop_connection_when_unavailable(context: sa.engine.ExceptionContext) -> None:
        # A COMMIT that failed busy leaves SQLite's transaction open on the connection, and
        # the pool, believing it ended, would hand it on ("cannot start a transaction within
        # a transaction" for every later request). Treat the error as a disconnect: the
        # connection is closed (rolling back) and the pool opens a fresh one next time.
        if is_database_unavailable(context.original_exception):
            context.is_disconnect = True


def make_engine(url: str, **kwargs: Any) -> Engine:
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        connect_args.setdefault("factory", QueuedConnection)
        engine = sa.create_engine(sa_url, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = sa.create_engine(sa_url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine)
    return engine


# A pooled PostgreSQL connection is checked with a round trip before use only when it has
# been idle this long: under load connections go back and forth within milliseconds, and
# SQLAlchemy's pool_pre_ping would add a round trip to every request (a fifth of a busy
# server's time in the classroom bench's profile). A connection that died while in use or
# just after (a restart during the load) fails its next statement instead: that request is
# answered 503 like any other in the outage, and the disconnect invalidates the whole pool,
# so the requests after it reconnect.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["portal_checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("portal_checked_in")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool closes this connection and checks out another (a fresh one if need be).
            raise sa.exc.DisconnectionError(str(error)) from error


# SQLite errors that mean "try again shortly", not "this request is wrong": the write lock
# stayed taken past the busy timeout, or the file could not be opened (a volume away).
_SQLITE_UNAVAILABLE = ("database is locked", "database is busy", "unable to open database file")
# PostgreSQL SQLSTATE classes for a lost or refused connection: 08 (connection exception) and
# 57P (operator intervention: admin/crash shutdown, cannot connect now). Other operational
# errors (a statement timeout, a deadlock) are about the request, not the server.
_POSTGRES_UNAVAILABLE_SQLSTATES = ("08", "57P")


def is_database_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database is briefly unreachable (a restart, terminated
    connections, SQLite's lock still busy), so the request may simply be retried.

    Programming, integrity and data errors are never that, whatever their connection state.
    """
    if isinstance(error, sa.exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if not isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError)):
            return False
        error = error.orig
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return any(message.startswith(text) for text in _SQLITE_UNAVAILABLE)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite-only installs
        return False
    if isinstance(error, psycopg.InterfaceError):
        return True  # "the connection is closed" and the like
    if isinstance(error, psycopg.OperationalError):
        sqlstate = getattr(error, "sqlstate", None)
        # No SQLSTATE: the client could not reach the server at all (refused, reset).
        return sqlstate is None or sqlstate.startswith(_POSTGRES_UNAVAILABLE_SQLSTATES)
    return False


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def insert_ignore(session: Session, model: type[Base], values: Mapping[str, Any], *,
                  index_elements: Sequence[str]) -> bool:
    """`INSERT … ON CONFLICT (index_elements) DO NOTHING`: True if this call inserted the row.

    The get-or-create of a request: two requests that both found no row (a second tab, a
    double click) would otherwise collide on the unique constraint and the loser would
    fail. On PostgreSQL the loser waits for the winner's transaction and then inserts
    nothing; select the row afterwards to get it, whoever wrote it.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(model)
    elif dialect == "sqlite":
        stmt = sqlite.insert(model)
    else:  # pragma: no cover - the portal runs on these two only
        raise NotImplementedError(f"insert_ignore is not written for {dialect}")
    # RETURNING tells whether a row was written (rowcount is -1 for this on psycopg).
    primary_key = sa.inspect(model).primary_key
    stmt = (stmt.values(dict(values)).on_conflict_do_nothing(index_elements=list(index_elements))
            .returning(*primary_key))
    return session.execute(stmt).first() is not None


def import_models() -> None:
    """Import every domain's models so that Base.metadata is complete."""
    from portal.audit import models as _audit  # noqa: F401
    from portal.auth import models as _auth  # noqa: F401
    from portal.chat import models as _chat  # noqa: F401
    from portal.courses import models as _courses  # noqa: F401
    from portal.exams import models as _exams  # noqa: F401
    from portal.observations import models as _observations  # noqa: F401
    from portal.placement import models as _placement  # noqa: F401
    from portal.probation import models as _probation  # noqa: F401


_Kept = TypeVar("_Kept")


def per_engine(session: Session, kept: weakref.WeakKeyDictionary[Any, _Kept],
               make: Callable[[], _Kept]) -> _Kept:
    """What `kept` holds for the session's database (its engine), made on first use: the
    in-process stores of content that never changes under its key (a version's text, a
    response's save target, a console) are kept per database, so that two apps on two
    databases in one process (the tests) never see each other's."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    found = kept.get(engine)
    if found is None:
        found = kept.setdefault(engine, make())
    return found
