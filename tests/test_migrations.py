"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL.

Also: the migrations run backwards, the PostgreSQL build serves the app, and SQLite is
set up for several request threads writing at once.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError

from portal.db import SQLITE_BUSY_TIMEOUT_MS, Base, import_models, make_engine, write_intent
from portal.migrate import alembic_config, downgrade, upgrade
from tests.postgres_support import fresh_postgres_schema, postgres_url

import_models()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        with fresh_postgres_schema(postgres_url()) as url:
            yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    with fresh_postgres_schema(postgres_url()) as url:
        yield url


def schema_differences(url: str) -> list[object]:
    """What autogenerate would put in a new migration (the options of migrations/env.py)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def describe(difference: object) -> str:
    """One line per difference, e.g. "add_table track" or "modify_type user.role: ..."."""
    if isinstance(difference, list):  # column modifications come grouped
        return "; ".join(describe(d) for d in difference)
    if not isinstance(difference, tuple) or not difference:
        return repr(difference)
    op, *args = difference
    if op.startswith("modify_"):
        _schema, table, column, _info, old, new = args
        return f"{op} {table}.{column}: database {old!r}, models {new!r}"
    parts = []
    for arg in args:
        if isinstance(arg, sa.Table):
            parts.append(arg.name)
        elif isinstance(arg, sa.Column):
            parts.append(f"{arg.table.name}.{arg.name}" if arg.table is not None else arg.name)
        elif isinstance(arg, (sa.Index, sa.Constraint)):
            table = getattr(arg, "table", None)
            where = f" on {table.name}" if table is not None else ""
            parts.append(f"{type(arg).__name__} {arg.name}{where}")
        elif arg is not None:
            parts.append(repr(arg))
    return f"{op} {' '.join(parts)}"


def assert_models_match(url: str) -> None:
    diff = schema_differences(url)
    assert not diff, (
        "models and migrations disagree; write a migration (flask --app portal db revision "
        "-m ... --autogenerate) and review it:\n" + "\n".join(f"  - {describe(d)}" for d in diff))


def test_upgrade_from_empty_to_head_matches_the_models(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    assert current_revision(empty_database_url) == head_revision()
    assert_models_match(empty_database_url)


def test_migrations_are_reversible(empty_database_url: str) -> None:
    url = empty_database_url
    upgrade(url)
    downgrade(url, "base")
    assert current_revision(url) is None
    assert table_names(url) <= {"alembic_version"}, "downgrade to base left tables behind"
    upgrade(url)
    assert_models_match(url)


def test_each_migration_steps_down_and_up_again(empty_database_url: str) -> None:
    """Every revision's downgrade undoes exactly its upgrade (the "stairway" test)."""
    url = empty_database_url
    script = ScriptDirectory.from_config(alembic_config(url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]
    for revision in revisions:
        upgrade(url, revision)
        downgrade(url, "-1")
        upgrade(url, revision)
        assert current_revision(url) == revision
    assert_models_match(url)


@pytest.mark.postgres
def test_app_runs_on_postgres_with_demo_data(tmp_path: Path, empty_postgres_url: str) -> None:
    from portal.db import utcnow
    from portal.demo import DEMO_ACCOUNTS, DEMO_COHORT, DEMO_PASSWORD, load_demo_data
    from tests.factories import HX, make_test_app

    upgrade(empty_postgres_url)
    app = make_test_app(tmp_path=tmp_path, database_url=empty_postgres_url)
    try:
        with app.extensions["portal.sessionmaker"]() as session:
            load_demo_data(session, now=utcnow())
            session.commit()
            assert load_demo_data(session, now=utcnow()) == []  # loading twice changes nothing
        client = app.test_client()
        response = client.post("/login", data={"employee_no": "demo-admin",
                                               "password": DEMO_PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        response = client.get("/", follow_redirects=True)
        assert response.request.path == "/admin/users"
        page = response.get_data(as_text=True)
        for account in DEMO_ACCOUNTS:
            assert account.employee_no in page and account.display_name in page
        assert DEMO_COHORT in page
        # The search uses ILIKE: check it finds Chinese names case-insensitively on PostgreSQL.
        fragment = client.get("/admin/users?q=演示管理", headers=HX).get_data(as_text=True)
        assert "demo-admin" in fragment and "demo-trainee" not in fragment
        fragment = client.get("/admin/users?q=DEMO-TRAINER", headers=HX).get_data(as_text=True)
        assert "demo-trainer" in fragment
    finally:
        app.extensions["portal.engine"].dispose()


# --- SQLite under concurrent requests ---------------------------------------------------------


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'concurrency.sqlite3'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO counter (n) VALUES (0)")
    yield engine
    engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(
        sqlite_engine: sa.Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert SQLITE_BUSY_TIMEOUT_MS >= 1000


def _read_then_write_in_two_threads(engine: sa.Engine, *, intent: bool) -> list[BaseException]:
    """Two transactions that each read the counter, pause, then write it back plus one."""
    start = threading.Barrier(2)
    both_read = threading.Event()
    readers = threading.Semaphore(0)
    errors: list[BaseException] = []

    def work() -> None:
        write_intent.set(intent)  # a thread starts from a fresh context
        try:
            start.wait(timeout=5)
            with engine.begin() as conn:
                n = conn.exec_driver_sql("SELECT n FROM counter").scalar_one()
                readers.release()
                # Deferred transactions both hold a read snapshot here; IMMEDIATE ones
                # have queued up at BEGIN, so the second read only happens later.
                both_read.wait(timeout=0.5)
                time.sleep(0.05)
                conn.exec_driver_sql(f"UPDATE counter SET n = {n + 1}")
        except Exception as exc:  # noqa: BLE001 -- reported to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    if readers.acquire(timeout=5) and readers.acquire(timeout=1):
        both_read.set()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a transaction hung"
    return errors


def test_concurrent_read_then_write_transactions_with_write_intent_both_succeed(
        sqlite_engine: sa.Engine) -> None:
    errors = _read_then_write_in_two_threads(sqlite_engine, intent=True)
    assert not errors, f"a writer failed: {errors!r}"
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar_one() == 2  # no lost update


def test_without_write_intent_the_same_transactions_collide(sqlite_engine: sa.Engine) -> None:
    """The control for the test above: deferred BEGIN is what "database is locked" comes from."""
    errors = _read_then_write_in_two_threads(sqlite_engine, intent=False)
    assert len(errors) == 1 and isinstance(errors[0], OperationalError), errors
    assert "database is locked" in str(errors[0])
