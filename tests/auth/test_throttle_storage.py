"""The log-in throttle's counters in the portal's database (portal-db://): what `limits`
asks of a storage (counts, fixed windows, clear, reset, check), expired rows cleaned up,
increments that hold under concurrency, on SQLite and PostgreSQL."""
from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from limits import parse
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.orm import Session

from portal.auth.models import Cohort, RateLimitCounter
from portal.auth.throttle import CLEANUP_BATCH, MAX_KEY_CHARS, DatabaseStorage, stored_key
from portal.db import make_engine, utcnow, write_intent
from portal.extensions import PortalDatabaseStorage
from tests.postgres_support import fresh_postgres_schema, migrated_postgres_database, postgres_url

T0 = 1_800_000_000.0  # 2027-01-15 08:00 UTC, seconds since the epoch


class Clock:
    """The storage's clock, moved by the test."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path,
           migrated_template: Path) -> Iterator[sa.Engine]:
    """The portal's engine on a database migrated to head (SQLite file or PostgreSQL schema)."""
    if request.param == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copyfile(migrated_template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    with migrated_postgres_database() as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def storage(engine: sa.Engine, clock: Clock) -> DatabaseStorage:
    return DatabaseStorage(engine=engine, clock=clock)


def rows(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(RateLimitCounter.key, RateLimitCounter.count)).all())


def test_counts_add_up_per_key(storage: DatabaseStorage, engine: sa.Engine) -> None:
    assert storage.get("account:e1") == 0
    assert [storage.incr("account:e1", 900) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("account:e1", 900, amount=2) == 5  # 3 + 2
    assert storage.get("account:e1") == 5
    assert storage.get("account:e2") == 0
    assert storage.incr("account:e2", 900) == 1
    assert rows(engine) == {"account:e1": 5, "account:e2": 1}


def test_a_window_is_fixed_from_its_first_hit_and_ends_after_its_expiry(
        storage: DatabaseStorage, clock: Clock) -> None:
    storage.incr("k", 60)
    assert storage.get_expiry("k") == pytest.approx(T0 + 60)
    clock.now = T0 + 30
    assert storage.incr("k", 60) == 2
    assert storage.get_expiry("k") == pytest.approx(T0 + 60)  # a later hit does not move it
    clock.now = T0 + 59.5
    assert storage.get("k") == 2
    clock.now = T0 + 60  # the window [T0, T0 + 60) is over
    assert storage.get("k") == 0
    assert storage.get_expiry("k") == pytest.approx(T0 + 60)  # "now", as limits expects
    assert storage.incr("k", 60) == 1  # a new window, counted from this hit
    assert storage.get_expiry("k") == pytest.approx(T0 + 120)


def test_the_fixed_window_strategy_refuses_after_the_limit_until_the_window_ends(
        storage: DatabaseStorage, clock: Clock) -> None:
    limiter = FixedWindowRateLimiter(storage)
    five = parse("5 per 15 minutes")
    assert [limiter.hit(five, "account:e1") for _ in range(6)] == [True] * 5 + [False]
    assert not limiter.test(five, "account:e1")
    assert limiter.test(five, "account:e2")
    clock.now = T0 + 15 * 60
    assert limiter.hit(five, "account:e1")


def test_clear_forgets_one_key_and_reset_every_key(storage: DatabaseStorage,
                                                    engine: sa.Engine) -> None:
    for key in ("a", "a", "b", "c"):
        storage.incr(key, 60)
    storage.clear("a")
    assert storage.get("a") == 0
    assert rows(engine) == {"b": 1, "c": 1}
    storage.clear("never-counted")
    assert storage.reset() == 2
    assert rows(engine) == {}


def test_expired_rows_are_removed_on_write_a_batch_at_a_time(storage: DatabaseStorage,
                                                              engine: sa.Engine,
                                                              clock: Clock) -> None:
    for i in range(CLEANUP_BATCH + 50):
        storage.incr(f"old-{i}", 10)  # each write may clean, but nothing has expired yet
    clock.now = T0 + 5
    storage.incr("live", 60)  # its window ends at T0 + 65
    clock.now = T0 + 10  # the 150 old windows end now
    storage.incr("fresh", 60)
    # 150 expired, 100 removed by this write: 50 left, plus "live" and "fresh".
    found = rows(engine)
    assert len(found) == 52 and found["live"] == 1 and found["fresh"] == 1
    storage.incr("fresh", 60)
    assert rows(engine) == {"live": 1, "fresh": 2}  # the other 50 went with the next write


def test_keys_of_any_length_and_content_have_counters_of_their_own(
        storage: DatabaseStorage, engine: sa.Engine) -> None:
    typed = "x" * 10_000  # an employee number is whatever the visitor typed
    long_a, long_b = f"account:{typed}a", f"account:{typed}b"
    assert [storage.incr(long_a, 60), storage.incr(long_a, 60), storage.incr(long_b, 60)] == [1, 2, 1]
    assert storage.get(long_a) == 2 and storage.get(long_b) == 1
    assert storage.incr("account:nul\x00byte", 60) == 1  # PostgreSQL text cannot hold NUL
    assert storage.get("account:nul\x00byte") == 1 and storage.get("account:nulbyte") == 0
    assert storage.incr("account:张三", 60) == 1  # a readable key is stored as it is
    found = rows(engine)
    assert len(found) == 4 and found["account:张三"] == 1
    assert all(len(key) <= MAX_KEY_CHARS and "\x00" not in key for key in found)
    assert stored_key(long_a).startswith("account:xxx") and stored_key(long_a) != stored_key(long_b)


def test_check_says_whether_the_counters_table_answers(storage: DatabaseStorage,
                                                        engine: sa.Engine,
                                                        tmp_path: Path) -> None:
    assert storage.check()
    with ExitStack() as stack:
        if engine.dialect.name == "sqlite":
            empty_url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        else:
            empty_url = stack.enter_context(fresh_postgres_schema(postgres_url()))
        empty = make_engine(empty_url)
        stack.callback(empty.dispose)
        assert not DatabaseStorage(engine=empty).check()  # not migrated: no table


def test_concurrent_increments_each_get_a_count_of_their_own(storage: DatabaseStorage) -> None:
    """8 threads, each with its own connection, increment one new key 25 times at once:
    the counts handed out are exactly 1 … 200, none lost and none given twice."""
    threads, each = 8, 25
    start = threading.Barrier(threads)
    counts: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            start.wait(timeout=10)
            mine = [storage.incr("account:rush", 900) for _ in range(each)]
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
            return
        with lock:
            counts.extend(mine)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(w.is_alive() for w in workers), "an increment hung"
    assert not errors, errors
    assert sorted(counts) == list(range(1, threads * each + 1))
    assert storage.get("account:rush") == threads * each


def test_a_count_commits_on_its_own_never_with_the_callers_transaction(
        storage: DatabaseStorage, engine: sa.Engine) -> None:
    """The storage never joins an open transaction of the caller: its count stays when the
    caller rolls back, and the caller's unfinished work is not committed with it."""
    token = write_intent.set(False)  # on SQLite a caller holding the write lock would
    try:                             # make the count wait: the app counts after its commit
        with Session(engine) as session:
            session.execute(sa.select(Cohort.id)).all()  # the caller's transaction is open
            if engine.dialect.name == "postgresql":
                session.add(Cohort(name="未提交的批次", start_date=date(2027, 1, 15),
                                   track_key="new-hire", created_at=utcnow()))
                session.flush()
            assert storage.incr("account:e1", 900) == 1
            session.rollback()
    finally:
        write_intent.reset(token)
    assert rows(engine) == {"account:e1": 1}
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Cohort)).scalar() == 0


def test_the_portal_db_scheme_takes_nothing_but_the_portals_engine(engine: sa.Engine) -> None:
    assert isinstance(storage_from_string("portal-db://", engine=engine), PortalDatabaseStorage)
    with pytest.raises(ConfigurationError, match="takes nothing after the scheme"):
        storage_from_string("portal-db://db.internal/portal", engine=engine)
    with pytest.raises(ConfigurationError, match="unknown portal-db:// storage options"):
        storage_from_string("portal-db://", engine=engine, pool_size=5)
    with pytest.raises(ConfigurationError, match="needs the portal's engine"):
        DatabaseStorage("portal-db://")
