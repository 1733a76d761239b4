"""One writer at a time for a SQLite file, handed on at once.

SQLite lets one transaction write at a time. A writer that finds the lock taken does not
wait in a queue: its busy handler sleeps 1, 2, 5, 10, … ms and tries again. A reply or an
autosave holds the lock for well under a millisecond, so under load the lock stood free most
of the time while the writers slept: in the chat bench's profile (py-spy, 100 trainees,
2 workers x 4 threads) 70 % of a reply's time was `BEGIN IMMEDIATE` waiting.

Here the writers of one database file queue before they begin: the threads of a process on
a lock, the processes of the machine on an exclusive `flock` of a small file beside the
database. Both wake the next writer as soon as the last one has committed or rolled back, so
SQLite's own busy wait is left for writers from outside the portal (another program on the
file). Nothing here replaces SQLite's locking: the queue only orders writers that would
otherwise poll. `flock` is released by the kernel when a process dies, so a killed worker
cannot block the others.

The queue is entered in the engine's `begin` event for a writing transaction
(`BEGIN IMMEDIATE`) and left by the connection's own `commit`, `rollback` or `close`, after
SQLite has ended the transaction (`QueuedConnection`, the connections' class).
"""
from __future__ import annotations

import os
import sqlite3
import threading

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: the threads of a process still queue
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = "-writers"  # the file beside the database that the processes lock


class WriterQueue:
    """The writers of one database file in this process: a lock for its threads (entered
    again by the thread that holds it, as a nested write would) and, while any of them
    writes, an exclusive `flock` for the other processes."""

    def __init__(self, database: str | None) -> None:
        self.path = None if database is None else database + LOCK_SUFFIX
        self._threads = threading.Lock()  # not an RLock: the pool may close from elsewhere
        self._owner: int | None = None
        self._depth = 0
        self._fd: int | None = None

    def enter(self, timeout: float) -> bool:
        """Wait for this thread's turn (at most `timeout` seconds for the other threads,
        then for the other processes as long as they write); False if not queued."""
        me = threading.get_ident()
        if self._owner == me:  # a nested write in the same thread: SQLite's busy wait decides
            self._depth += 1
            return True
        if not self._threads.acquire(timeout=timeout):
            return False  # SQLite's busy handler decides (and times out the same way)
        try:
            if self.path is not None and fcntl is not None:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)  # waits without the GIL
        except OSError:
            self._threads.release()  # no lock file (read-only folder): SQLite's wait alone
            return False
        self._owner, self._depth = me, 1
        return True

    def leave(self) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        self._owner = None
        try:
            if self._fd is not None and fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


_queues: dict[tuple[int, str | None], WriterQueue] = {}
_queues_lock = threading.Lock()


def queue_for(database: str | None) -> WriterQueue:
    """The queue of `database` (a path; None for a private in-memory database) in this
    process: a process forked from another gets its own (a `flock` is shared with the
    parent through an inherited descriptor, so it must not be reused)."""
    key = (os.getpid(), None if database is None else os.path.abspath(database))
    with _queues_lock:
        queue = _queues.get(key)
        if queue is None:
            queue = _queues[key] = WriterQueue(key[1])
        return queue


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection that leaves its writer queue once its transaction has ended."""

    portal_queue: WriterQueue | None = None

    def enter_queue(self, queue: WriterQueue, timeout: float) -> None:
        if self.portal_queue is None and queue.enter(timeout):
            self.portal_queue = queue

    def leave_queue(self) -> None:
        queue, self.portal_queue = self.portal_queue, None
        if queue is not None:
            queue.leave()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:  # a COMMIT that failed busy leaves it open
                self.leave_queue()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_queue()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leave_queue()
