"""What the PostgreSQL and browser tests need from the machine: fail under CI, skip locally.

Locally a missing PostgreSQL server or Chromium skips those tests with one line saying
why; with CI=true it fails them, so CI can never go green by silently skipping them.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
import sqlalchemy as sa

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
