"""The log-in throttle holds across processes: two portal processes (gunicorn, one worker
each, on two ports) serve one database in the shipped configuration, and failed log-ins
through both together are refused once the limit is reached, with the page's Chinese
message. The control: with memory:// each process counts alone and the same attempts
get through."""
from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest

from portal.config import PROJECT_ROOT
from tests.factories import PASSWORD, make_test_app, make_user
from tests.postgres_support import migrated_postgres_database

HOST = "127.0.0.1"
READY_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
LIMITS = {"PORTAL_LOGIN_LIMIT_ACCOUNT": "3 per 15 minutes",
          "PORTAL_LOGIN_LIMIT_ADDRESS": "100 per 15 minutes"}  # the account's limit decides
LOCKED = "登录失败次数过多，已暂时锁定。请 15 分钟后再试，或联系管理员。"


@dataclass
class Portal:
    """One portal process on a port of its own."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Visitor:
    """One browser: its cookies and its log-in form's CSRF token, good on either process
    (both sign with the same secret key)."""

    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""

    def request(self, portal: Portal, method: str, path: str,
                form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(HOST, portal.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            return response.status, response.read().decode("utf-8")
        finally:
            conn.close()

    def open_login(self, portal: Portal) -> None:
        status, page = self.request(portal, "GET", "/login")
        assert status == 200
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page)
        assert found, "the log-in form has no CSRF token"
        self.token = found.group(1)

    def log_in(self, portal: Portal, employee_no: str, password: str) -> tuple[int, str]:
        return self.request(portal, "POST", "/login", {
            "csrf_token": self.token, "employee_no": employee_no, "password": password})


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _gunicorn(port: int) -> list[str]:
    from gunicorn.config import KNOWN_SETTINGS

    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "2",
               "--bind", f"{HOST}:{port}", "--log-level", "warning", "--graceful-timeout", "5"]
    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        command.append("--no-control-socket")  # gunicorn >= 25 opens one in ~ otherwise
    return [*command, "portal:create_app()"]


@contextmanager
def two_portals(folder: Path, database_url: str, storage: str | None) -> Iterator[list[Portal]]:
    """Two gunicorn processes serving `database_url` as deployed: the shipped configuration
    (CSRF on, throttle on, its storage the default unless `storage` is given) plus the
    deployment's variables. Both are stopped when the block ends."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PORTAL_") and k not in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS")}
    env.update(LIMITS, PORTAL_DATABASE_URL=database_url, PORTAL_SECRET_KEY=secrets.token_hex(32),
               PORTAL_INSTANCE_PATH=str(folder / "instance"))
    if storage is not None:
        env["PORTAL_RATELIMIT_STORAGE_URI"] = storage
    with ExitStack() as stack:
        portals = []
        for name in ("a", "b"):
            port, log_path = _free_port(), folder / f"portal-{name}.log"
            with open(log_path, "wb") as log:
                process = subprocess.Popen(_gunicorn(port), cwd=PROJECT_ROOT, env=env,
                                           stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            stack.callback(_stop, process)
            portals.append(Portal(port, process, log_path))
        for portal in portals:
            _wait_until_ready(portal)
        yield portals


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # gunicorn's master stops its worker on SIGTERM
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _wait_until_ready(portal: Portal) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if portal.process.poll() is not None:
            raise AssertionError(f"the portal exited with status {portal.process.returncode}:\n"
                                 + portal.log.read_text(errors="replace")[-3000:])
        try:
            conn = http.client.HTTPConnection(HOST, portal.port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    raise AssertionError(f"the portal on port {portal.port} did not answer in time")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                 migrated_template: Path) -> Iterator[str]:
    """The database both processes serve: one SQLite file, or one PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copyfile(migrated_template, path)
        yield f"sqlite:///{path}"
        return
    with migrated_postgres_database() as url:
        yield url


@pytest.fixture
def employee_no(tmp_path: Path, database_url: str) -> str:
    """An account in the database, with the factories' password."""
    app = make_test_app(tmp_path=tmp_path / "arrange", database_url=database_url)
    try:
        with app.extensions["portal.sessionmaker"]() as session:
            user = make_user(session)
            session.commit()
            return user.employee_no
    finally:
        app.extensions["portal.engine"].dispose()


def test_failed_log_ins_through_two_processes_together_are_refused_after_the_limit(
        tmp_path: Path, database_url: str, employee_no: str) -> None:
    with two_portals(tmp_path, database_url, storage=None) as (a, b):
        visitor = Visitor()
        visitor.open_login(a)
        # Three failures, the account's limit, split between the processes: 2 on a, 1 on b.
        for portal in (a, b, a):
            status, page = visitor.log_in(portal, employee_no, "wrong-password-1")
            assert status == 422, page[-2000:]
            assert "工号或密码不正确" in page
        # Neither process alone has seen three; together they have: both refuse now, even
        # the right password, with the message the log-in page shows.
        for portal in (b, a):
            status, page = visitor.log_in(portal, employee_no, PASSWORD)
            assert status == 429, page[-2000:]
            assert LOCKED in unescape(page)
            assert f'value="{employee_no}"' in page  # the form keeps the employee number


def test_with_memory_counters_each_process_counts_alone(
        tmp_path: Path, database_url: str, employee_no: str) -> None:
    """The control for the test above: the same three failures leave each process below
    the limit, so the right password still gets in on b."""
    with two_portals(tmp_path, database_url, storage="memory://") as (a, b):
        visitor = Visitor()
        visitor.open_login(a)
        for portal in (a, b, a):
            assert visitor.log_in(portal, employee_no, "wrong-password-1")[0] == 422
        status, page = visitor.log_in(b, employee_no, PASSWORD)
        assert status == 303, page[-2000:]  # b has seen one failure of three
