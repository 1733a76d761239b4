"""What the benchmarks share: a throwaway instance, a real server on loopback, real sign-ins
through the log-in form, keep-alive load clients, and the statistics they report.

Everything here is bounded: servers start within READY_TIMEOUT, every request has
REQUEST_TIMEOUT, every load loop stops at its deadline (at most MAX_SECONDS) or budget.
Nothing asserts on timing.
"""
from __future__ import annotations

import http.client
import importlib.util
import logging
import math
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from portal.config import PROJECT_ROOT

if TYPE_CHECKING:
    import argparse

    from sqlalchemy.orm import Session, sessionmaker

HOST = "127.0.0.1"

# The app as in production, except that nothing throttles the benchmark's clients.
APP_CONFIG: dict[str, object] = {
    "TESTING": False,
    "WTF_CSRF_ENABLED": True,
    "RATELIMIT_ENABLED": False,
}

MAX_SECONDS = 120.0
READY_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
SERVERS = ("auto", "gunicorn", "werkzeug")

T = TypeVar("T")
R = TypeVar("R")


# -- results and statistics ---------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    expected: bytes  # must appear in every 200 response body


@dataclass(frozen=True)
class EndpointResult:
    endpoint: Endpoint
    ok: int  # 200 responses with the expected content
    errors: Counter[str]
    elapsed: float  # seconds, from the first request to the last response
    latencies: Sequence[float] = field(repr=False)  # seconds, successful requests only

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def throughput(self) -> float:
        """Successful requests per second."""
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)


@dataclass(frozen=True)
class Ratio:
    name: str  # e.g. "track/bare"
    throughput: float  # page req/s ÷ bare req/s: 1.0 means as fast as the bare endpoint
    p95: float  # page p95 ÷ bare p95: 1.0 means as quick as the bare endpoint


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def divide(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def ratio(result: EndpointResult, base: EndpointResult) -> Ratio:
    return Ratio(f"{result.endpoint.name}/{base.endpoint.name}",
                 divide(result.throughput, base.throughput), divide(result.p95, base.p95))


def ratios(results: Sequence[EndpointResult], *, bare: str = "bare") -> list[Ratio]:
    base = next(r for r in results if r.endpoint.name == bare)
    return [ratio(r, base) for r in results if r is not base]


def combine(parts: Sequence[EndpointResult]) -> EndpointResult:
    """One endpoint's rounds as one result: counts and times add up."""
    errors: Counter[str] = Counter()
    for part in parts:
        errors.update(part.errors)
    return EndpointResult(parts[0].endpoint, sum(p.ok for p in parts), errors,
                          sum(p.elapsed for p in parts),
                          [t for p in parts for t in p.latencies])


def problem_lines(results: Sequence[EndpointResult], server_exceptions: Counter[str]) -> list[str]:
    """The errors clients saw and the exceptions the server logged, for a report's tail."""
    lines = [f"error: {r.endpoint.name} {r.endpoint.path}: {n} x {kind}"
             for r in results for kind, n in r.errors.most_common()]
    lines += [f"server log: {line} (logged {n} times, warm-up included)"
              for line, n in server_exceptions.most_common(5)]
    return lines


def fmt(value: float, spec: str) -> str:
    return "n/a" if math.isnan(value) else format(value, spec)


def machine() -> str:
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}")


# -- the instance -------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    folder: Path
    database_url: str
    secret_key: str


def new_instance(folder: Path, database_url: str | None = None) -> Instance:
    """An empty database migrated to head (by default SQLite in `folder`; see
    bench/databases.py for PostgreSQL) and a fresh secret key."""
    from portal.migrate import upgrade

    database_url = database_url or f"sqlite:///{folder / 'portal.sqlite3'}"
    upgrade(database_url)
    return Instance(folder, database_url, secrets.token_hex(32))


@contextmanager
def database(instance: Instance) -> Iterator[sessionmaker[Session]]:
    """The app's own sessionmaker for the instance (its engine settings, disposed after)."""
    from portal import create_app

    app = create_app({**APP_CONFIG, "DATABASE_URL": instance.database_url,
                      "SECRET_KEY": instance.secret_key})
    try:
        yield app.extensions["portal.sessionmaker"]
    finally:
        app.extensions["portal.engine"].dispose()


# -- the server ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerOptions:
    server: str = "auto"  # auto | gunicorn | werkzeug
    workers: int = 2
    threads: int = 4

    def __post_init__(self) -> None:
        if self.server not in SERVERS:
            raise ValueError("server must be auto, gunicorn or werkzeug")
        if self.workers < 1 or self.threads < 1:
            raise ValueError("workers and threads must be at least 1")


def add_server_arguments(parser: argparse.ArgumentParser, *, choose_server: bool = True) -> None:
    """--server (unless the bench always runs gunicorn), --workers and --threads: the fields
    of ServerOptions, with its defaults."""
    defaults = ServerOptions()
    if choose_server:
        parser.add_argument("--server", choices=SERVERS, default=defaults.server,
                            help="WSGI server (default: gunicorn if installed, else werkzeug)")
    parser.add_argument("--workers", type=int, default=defaults.workers,
                        help=f"gunicorn workers (default {defaults.workers})")
    parser.add_argument("--threads", type=int, default=defaults.threads,
                        help=f"gunicorn threads per worker (default {defaults.threads})")


@dataclass(frozen=True)
class Target:
    host: str
    port: int

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)


def gunicorn_available() -> bool:
    return importlib.util.find_spec("gunicorn") is not None and os.name == "posix"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception)\b.*")
CHAINED = ("The above exception", "During handling of the above exception")


class _ExceptionCounter(logging.Handler):
    """Counts the exceptions the app logs (in-process server): one line per kind."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
            self.seen[_one_line(f"{kind}: {exc}")] += 1


def _one_line(text: str) -> str:
    return text.strip().splitlines()[0][:160] if text.strip() else text


@dataclass
class Server:
    target: Target
    description: str
    log_path: Path | None = None
    counter: _ExceptionCounter | None = None

    def exceptions(self) -> Counter[str]:
        """The exceptions the server logged, by kind (read it after the server stopped)."""
        if self.counter is not None:
            return Counter(self.counter.seen)
        if self.log_path is None or not self.log_path.exists():
            return Counter()
        return final_exceptions(self.log_path.read_text(errors="replace"))


def final_exceptions(log: str) -> Counter[str]:
    """The last exception line of each logged traceback (not the ones it was chained from)."""
    lines = [line for line in log.splitlines() if line.strip()]
    found: Counter[str] = Counter()
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if EXCEPTION_LINE.match(line) and not following.startswith(CHAINED):
            found[_one_line(line)] += 1
    return found


def server_kind(options: ServerOptions) -> str:
    if options.server == "auto":
        return "gunicorn" if gunicorn_available() else "werkzeug"
    return options.server


@contextmanager
def serve(instance: Instance, options: ServerOptions) -> Iterator[Server]:
    """Serve the instance on loopback until the block ends."""
    if server_kind(options) == "gunicorn":
        with _serve_gunicorn(instance, options) as server:
            yield server
    else:
        with _serve_werkzeug(instance) as server:
            yield server


def _gunicorn_command(options: ServerOptions, port: int) -> list[str]:
    from gunicorn.config import KNOWN_SETTINGS

    factory = f"portal:create_app({APP_CONFIG!r})"  # gunicorn parses literal arguments
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(options.workers), "--threads", str(options.threads),
        "--bind", f"{HOST}:{port}", "--log-level", "warning",
        "--timeout", "60", "--graceful-timeout", "5", "--keep-alive", "5",
    ]
    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        command.append("--no-control-socket")  # gunicorn >= 25 opens one in ~ otherwise
    return [*command, factory]


@contextmanager
def _serve_gunicorn(instance: Instance, options: ServerOptions) -> Iterator[Server]:
    port = _free_port()
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": instance.database_url,
        "PORTAL_SECRET_KEY": instance.secret_key,
        "PORTAL_INSTANCE_PATH": str(instance.folder / "instance"),
    }
    log_path = instance.folder / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(_gunicorn_command(options, port), cwd=PROJECT_ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    target = Target(HOST, port)
    try:
        _wait_until_ready(target, process, log_path)
        yield Server(target, f"gunicorn (subprocess, {options.workers} workers "
                             f"x {options.threads} threads)", log_path=log_path)
    finally:
        process.terminate()  # gunicorn's master stops its workers on SIGTERM
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _quiet_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass  # one line per request would drown the report

    return QuietHandler


@contextmanager
def _serve_werkzeug(instance: Instance) -> Iterator[Server]:
    from werkzeug.serving import make_server

    from portal import create_app

    # Counted instead of printed: with a handler in place Flask adds no traceback printer.
    counter = _ExceptionCounter()
    app_logger = logging.getLogger("portal")
    app_logger.addHandler(counter)
    try:
        app = create_app({**APP_CONFIG, "DATABASE_URL": instance.database_url,
                          "SECRET_KEY": instance.secret_key})
        httpd = make_server(HOST, 0, app, threaded=True, request_handler=_quiet_handler())
        thread = threading.Thread(target=httpd.serve_forever, name="bench-server", daemon=True)
        thread.start()
        try:
            target = Target(HOST, httpd.server_port)
            _wait_until_ready(target, None, None)
            yield Server(target, "werkzeug make_server(threaded=True) (in this process)",
                         counter=counter)
        finally:
            httpd.shutdown()
            thread.join(timeout=10)
            httpd.server_close()
            app.extensions["portal.engine"].dispose()
    finally:
        app_logger.removeHandler(counter)


def _wait_until_ready(target: Target, process: subprocess.Popen[bytes] | None,
                      log_path: Path | None) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            log = log_path.read_text(errors="replace")[-2000:] if log_path else ""
            raise RuntimeError(f"the server exited with status {process.returncode}:\n{log}")
        try:
            status, _, _ = request(target, "GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer on {target.host}:{target.port} in time")


# -- HTTP ---------------------------------------------------------------------------------


def request(target: Target, method: str, path: str, *, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, list[str], bytes]:
    """One request on its own connection: status, Set-Cookie headers, body."""
    conn = target.connect()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers.get_all("Set-Cookie") or [], response.read()
    finally:
        conn.close()


def update_cookies(jar: dict[str, str], set_cookies: list[str]) -> dict[str, str]:
    for header in set_cookies:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()
    return jar


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


CSRF_INPUT = re.compile(rb"<input[^>]*name=\"csrf_token\"[^>]*>")
VALUE_ATTR = re.compile(rb"value=\"([^\"]+)\"")
FORM = "application/x-www-form-urlencoded"


def csrf_token(body: bytes) -> str | None:
    """The CSRF token of the first form in a page."""
    tag = CSRF_INPUT.search(body)
    value = VALUE_ATTR.search(tag.group(0)) if tag else None
    return value.group(1).decode() if value else None


@dataclass
class Browser:
    """One user's cookies, carried from request to request (one connection per request)."""

    target: Target
    jar: dict[str, str] = field(default_factory=dict)

    @property
    def cookie(self) -> str:
        return cookie_header(self.jar)

    def get(self, path: str) -> tuple[int, bytes]:
        status, set_cookies, body = request(self.target, "GET", path,
                                            headers={"Cookie": self.cookie})
        update_cookies(self.jar, set_cookies)
        return status, body

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str, bytes]:
        """POST a form; returns status, Location (or ""), body."""
        conn = self.target.connect()
        try:
            conn.request("POST", path, body=urlencode(fields).encode(),
                         headers={"Content-Type": FORM, "Cookie": self.cookie})
            response = conn.getresponse()
            body = response.read()
            update_cookies(self.jar, response.headers.get_all("Set-Cookie") or [])
            return response.status, response.headers.get("Location", ""), body
        finally:
            conn.close()

    def sign_in(self, employee_no: str, password: str) -> None:
        """Sign in through the real form (CSRF token and all)."""
        status, body = self.get("/login")
        if status != 200:
            raise RuntimeError(f"GET /login answered {status}")
        token = csrf_token(body)
        if token is None:
            raise RuntimeError("no CSRF token on the log-in page")
        status, _, _ = self.post_form("/login", {"csrf_token": token, "employee_no": employee_no,
                                                 "password": password, "next": ""})
        if status != 303:
            raise RuntimeError(f"signing in as {employee_no} answered {status}, not 303")


def sign_in(target: Target, employee_no: str, password: str) -> str:
    """Sign in through the real form (CSRF token and all); returns the Cookie header."""
    browser = Browser(target)
    browser.sign_in(employee_no, password)
    return browser.cookie


def in_parallel(function: Callable[[T], R], items: Sequence[T], *, workers: int,
                timeout: float) -> list[R]:
    """function(item) for every item on at most `workers` threads, results in order; the
    first exception is raised; gives up after `timeout` seconds."""
    from concurrent.futures import ThreadPoolExecutor, wait

    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(items) or 1)),
                              thread_name_prefix="bench-setup")
    try:
        futures = [pool.submit(function, item) for item in items]
        _, pending = wait(futures, timeout=timeout)
        if pending:
            raise RuntimeError(f"{len(pending)} of {len(items)} set-up tasks did not finish "
                               f"in {timeout:g} s")
        return [f.result() for f in futures]
    finally:
        # Running tasks end by themselves within REQUEST_TIMEOUT; queued ones never start.
        pool.shutdown(wait=False, cancel_futures=True)


# -- load ---------------------------------------------------------------------------------


class Budget:
    """How many requests may still start (None: no limit but time)."""

    def __init__(self, limit: int | None) -> None:
        self._left = limit
        self._lock = threading.Lock()

    def take(self) -> bool:
        if self._left is None:
            return True
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


@dataclass
class ClientTally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    finished: float = 0.0


@dataclass(frozen=True)
class Request:
    """One request a client sends."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None


# What a client makes of an answer: None when it is the right one (its latency counts),
# else the label its error is counted under.
Check = Callable[[http.client.HTTPResponse, bytes], str | None]


def request_loop(target: Target, *, start: threading.Barrier, seconds: float, budget: Budget,
                 tally: ClientTally, next_request: Callable[[], Request], check: Check,
                 on_failure: Callable[[], None] | None = None) -> None:
    """One keep-alive client: request after request until the time or the budget runs out.

    The connection is opened before the start (the handshake is not measured) and again
    when the server closes it or a request fails (`on_failure` is told, and the error
    counted by its type)."""
    conn = target.connect()
    try:
        conn.connect()
    except OSError:
        pass  # the first request will say what is wrong
    start.wait()
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline and budget.take():
            request = next_request()
            began = time.perf_counter()
            try:
                conn.request(request.method, request.path, body=request.body,
                             headers=request.headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                if on_failure is not None:
                    on_failure()
                tally.errors[type(exc).__name__] += 1
                conn.close()
                conn = target.connect()
                continue
            took = time.perf_counter() - began
            error = check(response, body)
            if error is None:
                tally.latencies.append(took)
            else:
                tally.errors[error] += 1
            if response.will_close:
                conn.close()
                conn = target.connect()
    finally:
        tally.finished = time.perf_counter()
        conn.close()


def endpoint_result(endpoint: Endpoint, tallies: Sequence[ClientTally],
                    began: float) -> EndpointResult:
    """The clients' tallies of one endpoint, summed, timed from their release (`began`)."""
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    for tally in tallies:
        errors.update(tally.errors)
        latencies.extend(tally.latencies)
    elapsed = max((t.finished for t in tallies), default=began) - began
    return EndpointResult(endpoint, len(latencies), errors, max(elapsed, 0.0), latencies)


def expect_content(endpoint: Endpoint) -> Check:
    """A 200 whose body holds the endpoint's expected content."""
    def check(response: http.client.HTTPResponse, body: bytes) -> str | None:
        if response.status != 200:
            return f"HTTP {response.status}"
        return None if endpoint.expected in body else "200 without the expected content"
    return check


def run_clients(clients: Sequence[Callable[[threading.Barrier], Any]], *,
                seconds: float) -> tuple[float, float]:
    """Start one thread per client, release them together through a barrier, wait for all
    (at most `seconds` plus two request timeouts). Each client calls barrier.wait() once,
    after opening its connection. Returns (released at, all joined at), perf_counter."""
    # The release moment is taken by the barrier's action, before any thread goes on: taken
    # after barrier.wait() returns, a busy machine could run (and finish) every client first.
    released: list[float] = []
    barrier = threading.Barrier(len(clients) + 1, timeout=READY_TIMEOUT,
                                action=lambda: released.append(time.perf_counter()))
    threads = [threading.Thread(target=client, args=(barrier,), name=f"bench-client-{i}",
                                daemon=True) for i, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = released[0]
    limit = time.monotonic() + seconds + 2 * REQUEST_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, limit - time.monotonic()))
    return began, time.perf_counter()


def measure(target: Target, endpoint: Endpoint, *, cookie: str, concurrency: int,
            seconds: float, max_requests: int | None = None) -> EndpointResult:
    """Load one endpoint with `concurrency` clients for `seconds` (or `max_requests`)."""
    headers = {"Cookie": cookie} if cookie else {}
    budget = Budget(max_requests)
    tallies = [ClientTally() for _ in range(concurrency)]
    request = Request("GET", endpoint.path, headers)
    began, _ = run_clients(
        [lambda barrier, tally=tally: request_loop(
            target, start=barrier, seconds=seconds, budget=budget, tally=tally,
            next_request=lambda: request, check=expect_content(endpoint))
         for tally in tallies], seconds=seconds)
    return endpoint_result(endpoint, tallies, began)
