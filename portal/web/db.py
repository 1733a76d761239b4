"""The request's database session: opened on first use, committed once at the end."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from portal.db import is_database_unavailable, make_engine, make_sessionmaker, write_intent

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session() -> Session:
    if "db_session" not in g:
        session = current_app.extensions["portal.sessionmaker"](info={"web": True})
        g.db_session = session
        if current_app.extensions["portal.reads_outside_transactions"] and not write_intent.get():
            reads_outside_transaction(session)
    return g.db_session


def reads_outside_transaction(session: Session) -> None:
    """PostgreSQL: a request's reads before it writes run as single statements (the
    connection in autocommit), not in a transaction of their own.

    Under READ COMMITTED every statement sees its own snapshot, in a transaction or not, so
    a run of reads is no more consistent inside one; but each transaction costs two more
    round trips (psycopg's BEGIN before the first statement, the COMMIT or ROLLBACK after the
    last), which on the hot requests (an empty poll, a page, the sign-in check of a save)
    were as many as their statements. A write never runs this way: a guard refuses a
    write outside a declared write (`_refuse_undeclared_*`), and `write_phase` (or the end
    of the transaction, on any rollback) gets the next statements a connection in a real
    transaction. Only for a session that has not used a connection yet. Not on SQLite,
    whose read transaction is one snapshot across statements (a page relies on that)."""
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


class UndeclaredWrite(RuntimeError):
    """A safe (GET) request wrote without declaring it with @writes."""


def _refuse_undeclared_writes(session: Session, flush_context: Any, instances: Any) -> None:
    # A write inside a deferred SQLite transaction fails with "database is locked" as soon
    # as another process commits first; a view that writes must say so (@writes) so that its
    # transaction takes the write lock up front. Caught here, every time, not under load.
    if session.info.get("web") and not write_intent.get() and (
            session.new or session.dirty or session.deleted):
        raise UndeclaredWrite(f"{request.method} {request.endpoint} writes to the database "
                              "without @writes")


_WRITING_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _refuse_undeclared_statement_writes(conn: Any, cursor: Any, statement: str,
                                        parameters: Any, context: Any,
                                        executemany: bool) -> None:
    # The same rule for writes that no flush sees: prepared Core statements on the hot paths
    # (a reply's, an autosave's). Only inside a request that has not declared a write (the
    # flag is on everywhere else: commands, imports, the sweep).
    if not write_intent.get() and _WRITING_STATEMENT.match(statement) and has_request_context():
        raise UndeclaredWrite(f"{request.method} {request.endpoint} writes to the database "
                              "without @writes")


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["portal.engine"] = engine
    app.extensions["portal.sessionmaker"] = make_sessionmaker(engine)
    app.extensions["portal.reads_outside_transactions"] = engine.dialect.name == "postgresql"
    event.listen(app.extensions["portal.sessionmaker"], "before_flush", _refuse_undeclared_writes)
    event.listen(engine, "before_cursor_execute", _refuse_undeclared_statement_writes)

    @app.before_request
    def _declare_write_intent() -> None:
        view = app.view_functions.get(request.endpoint or "")
        writes = (request.method not in SAFE_METHODS and not getattr(view, "reads_first", False)
                  or getattr(view, "writes", False))
        g.write_intent_token = write_intent.set(writes)

    @app.after_request
    def _commit(response: Response) -> Response:
        # One commit at the request boundary; any error status rolls back.
        session = g.pop("db_session", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    try:
                        session.commit()
                    except sa.exc.DBAPIError as error:
                        if not is_database_unavailable(error):
                            raise
                        # The database went away at the commit (a PostgreSQL restart, SQLite's
                        # lock): the same 503 as in a view, not an unhandled error's traceback.
                        from portal.web.errors import database_unavailable

                        return database_unavailable(error)
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
        token = g.pop("write_intent_token", None)
        if token is not None:
            write_intent.reset(token)


def writes(view: Any) -> Any:
    """Mark a GET view that may write (e.g. finalising an attempt whose time is up), so its
    transaction takes SQLite's write lock up front like any POST."""
    view.writes = True
    return view


@contextmanager
def read_phase() -> Iterator[Session]:
    """Run slow read-only work (a password check) without holding SQLite's write lock.

    The request's transaction so far is ended first (it must not have written), the work
    reads in a deferred transaction, and the request's later writes begin a fresh one.
    """
    session = db_session()
    session.rollback()
    token = write_intent.set(False)
    try:
        yield session
    finally:
        session.rollback()
        write_intent.reset(token)


def reads_first(view: Any) -> Any:
    """Mark a POST view that reads (the user, the permission checks) in a deferred
    transaction and writes only inside `write_phase()`, so that SQLite's write lock is held
    for the write alone (a hot request: a chat reply). A GET view that writes only now and
    then (a module page recording a trainee's first visit) is marked the same way: it reads
    in a deferred transaction like any GET, and writes, when it must, in `write_phase()`;
    the guard refuses a write outside it."""
    view.reads_first = True
    return view


@contextmanager
def write_phase() -> Iterator[Session]:
    """The one writing transaction of a @reads_first view: the reads so far end, the write
    lock is taken at the first statement, and the block's writes are committed at its end
    (before the answer renders; an exception rolls them back). Objects stay loaded after
    the commit; later reads begin a deferred transaction, and writing again needs another
    block."""
    session = db_session()
    session.rollback()
    token = write_intent.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        write_intent.reset(token)
