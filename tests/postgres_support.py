"""What the PostgreSQL and browser tests need from the machine: fail under CI, skip locally.

Locally a missing PostgreSQL server or Chromium skips those tests with one line saying
why; with CI=true it fails them, so CI can never go green by silently skipping them.
"""
from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, NoReturn, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL_VAR = "PORTAL_TEST_POSTGRES_URL"
CHROMIUM = Path("/usr/bin/chromium")


def unavailable(reason: str) -> NoReturn:
    """Fail (CI=true) or skip (otherwise) the current test, with a one-line reason."""
    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_URL_VAR, "").strip()
    if not url:
        unavailable(f"{POSTGRES_URL_VAR} is not set; .ci/run shows how to start a server")
    return url


APP_URL_VAR = "PORTAL_TEST_POSTGRES_APP_URL"


def app_postgres_url() -> str:
    """A URL for the same server as a restricted application role (no privileges of its
    own: the probation migration grants it what it may do). .ci/run creates one."""
    url = os.environ.get(APP_URL_VAR, "").strip()
    if not url:
        unavailable(f"{APP_URL_VAR} is not set (a restricted role's URL); .ci/run creates one")
    return url


def chromium_path() -> str:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        unavailable(f"{CHROMIUM} is missing: apt-get install chromium fonts-wqy-microhei")
    return str(CHROMIUM)


@contextmanager
def fresh_postgres_schema(server_url: str) -> Iterator[str]:
    """A new, empty schema on the server, as a URL whose search_path is only that schema.

    Creating a schema needs no CREATEDB privilege, so any database the URL's user owns
    will do. The schema and everything in it is dropped afterwards.
    """
    schema = f"test_{uuid.uuid4().hex[:12]}"
    base = sa.make_url(server_url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        admin.dispose()


@contextmanager
def migrated_postgres_database() -> Iterator[str]:
    """A fresh schema upgraded to head, as a URL: the `database_url` of a test module whose
    tests only make sense on PostgreSQL (fails under CI, skips otherwise, without a server)."""
    from portal.migrate import upgrade

    with fresh_postgres_schema(postgres_url()) as url:
        upgrade(url)
        yield url


T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    value: T | None = None
    error: BaseException | None = None


def _is_insert(statement: str) -> bool:
    return statement.lstrip().upper().startswith("INSERT")


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


def interleave(sessions: sessionmaker[Session], first: Callable[[Session], T],
               second: Callable[[Session], T], *,
               reached: Callable[[str], bool] = _is_insert, then_wait_for_a_lock: bool = False,
               timeout: float = 10.0) -> tuple[Outcome[T], Outcome[T]]:
    """Run two requests' work in two threads, each with its own session and connection, in
    the order that makes them collide: `first` runs and keeps its transaction open; `second`
    starts, and `first` commits once `second` sends a statement for which `reached` is true.

    By default that is `second`'s first INSERT, the order that makes a get-or-create collide:
    `second` reads while `first` has written but not committed. With `then_wait_for_a_lock`,
    `first` commits only once a backend then waits for a lock (or `second` has finished):
    whatever `second` read before, it must not have decided on it.

    Each callable is one request: it runs, then its session commits (or rolls back on an
    error, which is returned, not raised).
    """
    first_wrote = threading.Event()
    second_reached = threading.Event()
    second_done = threading.Event()
    outcomes: list[Outcome[T]] = [Outcome(), Outcome()]

    def run_first() -> None:
        with sessions() as session:
            try:
                outcomes[0].value = first(session)
                session.flush()
                first_wrote.set()
                second_reached.wait(timeout)
                if then_wait_for_a_lock:
                    _until_someone_waits_for_a_lock(sessions, done=second_done,
                                                    timeout=timeout)
                session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                first_wrote.set()
                session.rollback()
                outcomes[0].error = exc

    def run_second() -> None:
        first_wrote.wait(timeout)
        with sessions() as session:
            connection = session.connection()

            @sa.event.listens_for(connection, "before_cursor_execute")
            def _on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                if reached(statement):
                    second_reached.set()

            try:
                outcomes[1].value = second(session)
                session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                session.rollback()
                outcomes[1].error = exc
            finally:
                second_reached.set()
                second_done.set()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout * 3)
    assert not any(t.is_alive() for t in threads), "the interleaved requests hung"
    return outcomes[0], outcomes[1]
