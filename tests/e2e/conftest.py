"""Browser fixtures: the real app served on a free port, and Chromium driven by Playwright.

Each test module gets its own server and database (a migrated SQLite file with the demo
data); each test gets a fresh browser context (no cookies) whose console is watched.
"""
from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from portal.db import utcnow
from portal.demo import load_demo_data
from tests.e2e.support import REPORT_CSP_VIOLATIONS, ConsoleWatch, LiveServer
from tests.factories import make_test_app
from tests.postgres_support import chromium_path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory,
                migrated_template: Path) -> Iterator[LiveServer]:
    """The real app as in production: CSRF on, rate limits on (generous), not TESTING."""
    tmp = tmp_path_factory.mktemp("live")
    database = tmp / "portal.sqlite3"
    shutil.copyfile(migrated_template, database)
    app = make_test_app(
        tmp_path=tmp, database_url=f"sqlite:///{database}",
        TESTING=False,
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
        LOGIN_LIMIT_ACCOUNT="100 per minute",
        LOGIN_LIMIT_ADDRESS="300 per minute")
    with app.extensions["portal.sessionmaker"]() as session:
        load_demo_data(session, now=utcnow())
        session.commit()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["portal.engine"].dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    chromium_path()  # fails under CI=true, skips otherwise (before starting Playwright)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                         args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def new_context(browser: Browser, live_server: LiveServer,
                console: ConsoleWatch) -> Iterator:
    """Makes browser contexts on the live server (e.g. a phone-sized one); closed afterwards."""
    contexts: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=live_server.url, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", console.on_console)
        context.on("weberror", lambda web_error: console.on_page_error(web_error.error))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    # Whatever a test did not check itself is still reported.
    console.assert_clean("a page of this test")


@pytest.fixture
def context(new_context) -> BrowserContext:  # type: ignore[no-untyped-def]
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
