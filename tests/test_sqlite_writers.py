"""SQLite's writers queue before BEGIN IMMEDIATE and are handed the lock as soon as the last
writer's transaction ends, across threads and processes (portal/sqlite_writers.py).

The tests turn SQLite's own busy wait off (`PRAGMA busy_timeout = 0` on the waiting side):
without the queue, a second writer then fails at once with "database is locked"."""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.db import make_engine, write_intent
from portal.sqlite_writers import LOCK_SUFFIX, QueuedConnection, WriterQueue, queue_for

HOLD = 0.3  # how long the first writer keeps its transaction open


def _engine(path: Path) -> sa.Engine:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    return engine


def _no_busy_wait(conn: sa.Connection) -> None:
    """SQLite's busy wait off for this connection (set in a reading transaction, which
    neither queues nor locks)."""
    token = write_intent.set(False)
    try:
        conn.exec_driver_sql("PRAGMA busy_timeout = 0")
        conn.commit()
    finally:
        write_intent.reset(token)


def test_a_writer_waits_for_another_threads_commit_instead_of_failing(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "db.sqlite3")
    first_began, order, errors = threading.Event(), [], []

    def first() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            first_began.set()
            time.sleep(HOLD)
            order.append("first commits")

    def second() -> None:
        first_began.wait(5)
        with engine.connect() as conn:
            _no_busy_wait(conn)
            try:
                with conn.begin():
                    order.append("second writes")
                    conn.exec_driver_sql("INSERT INTO t VALUES (2)")
            except sa.exc.OperationalError as error:  # pragma: no cover - the failure shown
                errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert order == ["first commits", "second writes"]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t ORDER BY x").scalars().all() == [1, 2]
    engine.dispose()


def _hold_a_write(path: str, began: multiprocessing.synchronize.Event) -> None:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        began.set()
        time.sleep(HOLD)
    engine.dispose()


def test_a_writer_waits_for_another_processs_commit_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    engine = _engine(path)
    context = multiprocessing.get_context("spawn")  # a process of its own, as a worker is
    began = context.Event()
    other = context.Process(target=_hold_a_write, args=(str(path), began))
    other.start()
    try:
        assert began.wait(30), "the other process did not begin its write"
        with engine.connect() as conn:
            _no_busy_wait(conn)
            waited = time.monotonic()
            with conn.begin():  # without the queue: "database is locked" at once
                conn.exec_driver_sql("INSERT INTO t VALUES (2)")
            waited = time.monotonic() - waited
        assert waited > HOLD / 3  # it did wait for the other process's commit
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT x FROM t ORDER BY x").scalars().all() == [1, 2]
    finally:
        other.join(30)
        engine.dispose()
    assert other.exitcode == 0


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_queue_is_left_when_the_transaction_ends(tmp_path: Path, end: str) -> None:
    engine = _engine(tmp_path / "db.sqlite3")
    queue = queue_for(str(tmp_path / "db.sqlite3"))
    conn = engine.connect()
    conn.begin()
    conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    raw = conn.connection.dbapi_connection
    assert isinstance(raw, QueuedConnection) and raw.portal_queue is queue
    getattr(conn, end)()
    assert raw.portal_queue is None
    # Another thread gets in at once (it would wait the whole timeout if the queue were held).
    got: list[bool] = []
    helper = threading.Thread(target=lambda: got.append(queue.enter(timeout=0.5)))
    helper.start()
    helper.join(5)
    assert got == [True]
    queue.leave()  # the helper's turn, ended here (any thread may end it)
    assert (tmp_path / f"db.sqlite3{LOCK_SUFFIX}").exists()
    conn.close()
    engine.dispose()


def test_reads_do_not_queue(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "db.sqlite3")
    token = write_intent.set(False)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
            assert conn.connection.dbapi_connection.portal_queue is None
    finally:
        write_intent.reset(token)
    engine.dispose()


def test_a_nested_write_in_the_same_thread_does_not_wait_for_itself(tmp_path: Path) -> None:
    queue = WriterQueue(str(tmp_path / "db.sqlite3"))
    assert queue.enter(timeout=0.1)
    assert queue.enter(timeout=0.1)  # the same thread again: no deadlock
    queue.leave()
    waiting: list[bool] = []
    helper = threading.Thread(target=lambda: waiting.append(queue.enter(timeout=0.2)))
    helper.start()
    helper.join(5)
    assert waiting == [False]  # still held by the outer write
    queue.leave()


def test_without_a_lock_file_the_writes_still_work(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    (tmp_path / f"db.sqlite3{LOCK_SUFFIX}").mkdir()  # cannot be opened as a file
    engine = _engine(path)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert conn.connection.dbapi_connection.portal_queue is None  # SQLite's wait alone
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
    engine.dispose()


def test_a_forked_process_has_a_queue_of_its_own(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite3")
    mine = queue_for(path)
    assert queue_for(path) is mine
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, b"1" if queue_for(path) is not mine else b"0")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 1) == b"1"
