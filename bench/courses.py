"""Course pages under concurrent load: throughput and latency as ratios to a bare endpoint.

One run sets up a throwaway instance (a temporary SQLite database migrated to head, the
tracks from courses/ imported, the demo data loaded), serves it with a real
multi-threaded WSGI server on loopback (gunicorn, or werkzeug's threaded server if
gunicorn is unavailable), signs in as demo-trainee with a real session cookie and CSRF
token, then loads three endpoints one after another with the same number of concurrent
clients for the same time:

    bare     /healthz                                    one SELECT 1, no session, no template
    track    /                                           the trainee's track page
    module   /tracks/new-hire/modules/company-culture    a module page (it also records the visit)

Every response must be 200 and contain the expected text (the module's title, the
track's title); anything else is counted as an error. Absolute numbers depend on the
machine, so what it reports are ratios to the bare endpoint measured in the same run.
Nothing here asserts on timing.
"""
from __future__ import annotations

import argparse
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
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from markupsafe import escape

from portal.config import PROJECT_ROOT

DEMO_TRAINEE = "demo-trainee"
TRACK_KEY = "new-hire"
MODULE_KEY = "company-culture"
HOST = "127.0.0.1"

# The app as in production, except that nothing throttles the benchmark's clients.
APP_CONFIG: dict[str, object] = {
    "TESTING": False,
    "WTF_CSRF_ENABLED": True,
    "RATELIMIT_ENABLED": False,
}

DEFAULT_CONCURRENCY = 16
DEFAULT_SECONDS = 5.0
MAX_SECONDS = 120.0
READY_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    expected: bytes  # must appear in every 200 response body


@dataclass(frozen=True)
class Options:
    concurrency: int = DEFAULT_CONCURRENCY
    seconds: float = DEFAULT_SECONDS
    max_requests: int | None = None  # per endpoint; the time limit always applies too
    rounds: int = 1  # bare, track, module, again: the time is split evenly between rounds
    warmup: int = 3  # unmeasured requests per client before each endpoint
    server: str = "auto"  # auto | gunicorn | werkzeug
    workers: int = 2
    threads: int = 4

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if not 0 < self.seconds <= MAX_SECONDS:
            raise ValueError(f"seconds must be in (0, {MAX_SECONDS:g}]")
        if self.max_requests is not None and self.max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if self.rounds < 1:
            raise ValueError("rounds must be at least 1")
        if self.warmup < 0:
            raise ValueError("warmup must not be negative")
        if self.server not in ("auto", "gunicorn", "werkzeug"):
            raise ValueError("server must be auto, gunicorn or werkzeug")
        if self.workers < 1 or self.threads < 1:
            raise ValueError("workers and threads must be at least 1")


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


@dataclass(frozen=True)
class Report:
    server: str
    options: Options
    results: list[EndpointResult]
    ratios: list[Ratio]
    server_exceptions: Counter[str] = field(default_factory=Counter)  # from the server's log

    @property
    def error_count(self) -> int:
        return sum(r.error_count for r in self.results)


@dataclass(frozen=True)
class Target:
    host: str
    port: int

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)


# -- statistics ---------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _divide(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def ratios(results: Sequence[EndpointResult], *, bare: str = "bare") -> list[Ratio]:
    base = next(r for r in results if r.endpoint.name == bare)
    return [
        Ratio(f"{r.endpoint.name}/{bare}", _divide(r.throughput, base.throughput),
              _divide(r.p95, base.p95))
        for r in results if r is not base
    ]


# -- the instance -------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    folder: Path
    database_url: str
    secret_key: str
    endpoints: list[Endpoint]


def prepare_instance(folder: Path) -> Instance:
    """A fresh SQLite database at head with the courses imported and the demo data loaded."""
    from portal import create_app
    from portal.content.loader import load_content
    from portal.courses.services import import_content
    from portal.db import utcnow
    from portal.demo import load_demo_data
    from portal.migrate import upgrade

    database_url = f"sqlite:///{folder / 'portal.sqlite3'}"
    secret_key = secrets.token_hex(32)
    upgrade(database_url)
    content = load_content(PROJECT_ROOT / "courses")
    if content.problems:
        raise RuntimeError("courses/ has problems: " + "; ".join(map(str, content.problems)))
    app = create_app({**APP_CONFIG, "DATABASE_URL": database_url, "SECRET_KEY": secret_key})
    try:
        with app.extensions["portal.sessionmaker"]() as session:
            import_content(session, content=content, actor_id=None, now=utcnow())
            load_demo_data(session, now=utcnow())
            session.commit()
    finally:
        app.extensions["portal.engine"].dispose()
    track = next(t for t in content.tracks if t.key == TRACK_KEY)
    module = next(m for m in track.modules if m.key == MODULE_KEY)
    endpoints = [
        Endpoint("bare", "/healthz", b"ok"),
        Endpoint("track", "/", _html(track.title)),
        Endpoint("module", f"/tracks/{TRACK_KEY}/modules/{MODULE_KEY}", _html(module.title)),
    ]
    return Instance(folder, database_url, secret_key, endpoints)


def _html(text: str) -> bytes:
    return str(escape(text)).encode()


# -- the server ---------------------------------------------------------------------------


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


@contextmanager
def serve(instance: Instance, options: Options) -> Iterator[Server]:
    """Serve the instance on loopback until the block ends."""
    kind = options.server
    if kind == "auto":
        kind = "gunicorn" if gunicorn_available() else "werkzeug"
    if kind == "gunicorn":
        with _serve_gunicorn(instance, options) as server:
            yield server
    else:
        with _serve_werkzeug(instance) as server:
            yield server


def _gunicorn_command(options: Options, port: int) -> list[str]:
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
def _serve_gunicorn(instance: Instance, options: Options) -> Iterator[Server]:
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
            status, _, _ = _request(target, "GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer on {target.host}:{target.port} in time")


# -- HTTP ---------------------------------------------------------------------------------


def _request(target: Target, method: str, path: str, *, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, list[str], bytes]:
    """One request on its own connection: status, Set-Cookie headers, body."""
    conn = target.connect()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers.get_all("Set-Cookie") or [], response.read()
    finally:
        conn.close()


def _cookies(jar: dict[str, str], set_cookies: list[str]) -> dict[str, str]:
    for header in set_cookies:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()
    return jar


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


CSRF_INPUT = re.compile(rb"<input[^>]*name=\"csrf_token\"[^>]*>")
VALUE_ATTR = re.compile(rb"value=\"([^\"]+)\"")


def sign_in(target: Target, employee_no: str, password: str) -> str:
    """Sign in through the real form (CSRF token and all); returns the Cookie header."""
    status, set_cookies, body = _request(target, "GET", "/login")
    if status != 200:
        raise RuntimeError(f"GET /login answered {status}")
    jar = _cookies({}, set_cookies)
    tag = CSRF_INPUT.search(body)
    value = VALUE_ATTR.search(tag.group(0)) if tag else None
    if value is None:
        raise RuntimeError("no CSRF token on the log-in page")
    form = urlencode({"csrf_token": value.group(1).decode(), "employee_no": employee_no,
                      "password": password, "next": ""}).encode()
    status, set_cookies, _ = _request(target, "POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(jar)})
    if status != 303:
        raise RuntimeError(f"signing in as {employee_no} answered {status}, not 303")
    return _cookie_header(_cookies(jar, set_cookies))


# -- load ---------------------------------------------------------------------------------


class _Budget:
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
class _ClientTally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    finished: float = 0.0


def _client(target: Target, endpoint: Endpoint, headers: dict[str, str], start: threading.Barrier,
            seconds: float, budget: _Budget, tally: _ClientTally) -> None:
    """One keep-alive client: request after request until the time or the budget runs out."""
    conn = target.connect()
    start.wait()
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline and budget.take():
            began = time.perf_counter()
            try:
                conn.request("GET", endpoint.path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                tally.errors[type(exc).__name__] += 1
                conn.close()
                conn = target.connect()
                continue
            took = time.perf_counter() - began
            if response.status != 200:
                tally.errors[f"HTTP {response.status}"] += 1
            elif endpoint.expected not in body:
                tally.errors["200 without the expected content"] += 1
            else:
                tally.latencies.append(took)
            if response.will_close:
                conn.close()
                conn = target.connect()
    finally:
        tally.finished = time.perf_counter()
        conn.close()


def measure(target: Target, endpoint: Endpoint, *, cookie: str, concurrency: int,
            seconds: float, max_requests: int | None = None) -> EndpointResult:
    """Load one endpoint with `concurrency` clients for `seconds` (or `max_requests`)."""
    headers = {"Cookie": cookie} if cookie else {}
    barrier = threading.Barrier(concurrency + 1)
    budget = _Budget(max_requests)
    tallies = [_ClientTally() for _ in range(concurrency)]
    threads = [
        threading.Thread(target=_client, name=f"bench-client-{i}", daemon=True,
                         args=(target, endpoint, headers, barrier, seconds, budget, tally))
        for i, tally in enumerate(tallies)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(seconds + 2 * REQUEST_TIMEOUT)
    elapsed = max((t.finished for t in tallies), default=began) - began
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    for tally in tallies:
        errors.update(tally.errors)
        latencies.extend(tally.latencies)
    return EndpointResult(endpoint, len(latencies), errors, max(elapsed, 0.0), latencies)


def combine(parts: Sequence[EndpointResult]) -> EndpointResult:
    """One endpoint's rounds as one result: counts and times add up."""
    errors: Counter[str] = Counter()
    for part in parts:
        errors.update(part.errors)
    return EndpointResult(parts[0].endpoint, sum(p.ok for p in parts), errors,
                          sum(p.elapsed for p in parts),
                          [t for p in parts for t in p.latencies])


def run(options: Options) -> Report:
    """The whole benchmark: instance, server, sign-in, each endpoint in turn, ratios."""
    from portal.demo import DEMO_PASSWORD

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        instance = prepare_instance(Path(tmp))
        with serve(instance, options) as server:
            target = server.target
            cookie = sign_in(target, DEMO_TRAINEE, DEMO_PASSWORD)
            if options.warmup:  # first hits compile templates in every worker
                for endpoint in instance.endpoints:
                    measure(target, endpoint, cookie=cookie, concurrency=options.concurrency,
                            seconds=MAX_SECONDS,
                            max_requests=options.warmup * options.concurrency)
            parts: dict[str, list[EndpointResult]] = {e.name: [] for e in instance.endpoints}
            seconds = options.seconds / options.rounds
            budget = (math.ceil(options.max_requests / options.rounds)
                      if options.max_requests else None)
            for _ in range(options.rounds):  # interleaved: a slow moment hits every endpoint
                for endpoint in instance.endpoints:
                    parts[endpoint.name].append(measure(
                        target, endpoint, cookie=cookie, concurrency=options.concurrency,
                        seconds=seconds, max_requests=budget))
            results = [combine(p) for p in parts.values()]
        server_exceptions = server.exceptions()  # the server has stopped: its log is complete
    return Report(server.description, options, results, ratios(results), server_exceptions)


# -- output -------------------------------------------------------------------------------


def _fmt(value: float, spec: str) -> str:
    return "n/a" if math.isnan(value) else format(value, spec)


def format_report(report: Report) -> str:
    o = report.options
    limit = f"{o.seconds:g} s" + (f" or {o.max_requests} requests" if o.max_requests else "")
    rounds = f" (in {o.rounds} interleaved rounds)" if o.rounds > 1 else ""
    machine = (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
               f"Python {platform.python_version()}")
    clients = (f"{o.concurrency} concurrent keep-alive clients (threads in one process), "
               f"{limit} per endpoint{rounds}, signed in as {DEMO_TRAINEE}")
    header = (f"{'endpoint':<8} {'path':<42} {'ok':>7} {'errors':>6} {'req/s':>8} "
              f"{'p50 ms':>8} {'p95 ms':>8}")
    lines = [
        "Course pages under concurrent load (python -m bench courses)",
        f"server:  {report.server} on loopback, SQLite, demo data",
        f"clients: {clients}",
        f"machine: {machine}",
        "",
        header,
    ]
    for r in report.results:
        lines.append(
            f"{r.endpoint.name:<8} {r.endpoint.path:<42} {r.ok:>7} {r.error_count:>6} "
            f"{_fmt(r.throughput, '.1f'):>8} {_fmt(r.p50 * 1000, '.1f'):>8} "
            f"{_fmt(r.p95 * 1000, '.1f'):>8}")
    lines.append("")
    lines.append("ratios to the bare endpoint, same run "
                 "(throughput: 1.00 = as fast as /healthz; p95: 1.00 = as quick):")
    for ratio in report.ratios:
        lines.append(f"  {ratio.name:<12} throughput {_fmt(ratio.throughput, '.2f'):>6}"
                     f"    p95 latency {_fmt(ratio.p95, '.2f'):>6}x")
    for r in report.results:
        for kind, n in r.errors.most_common():
            lines.append(f"error: {r.endpoint.name} {r.endpoint.path}: {n} x {kind}")
    for line, n in report.server_exceptions.most_common(5):
        lines.append(f"server log: {line} (logged {n} times, warm-up included)")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench courses",
        description="Serve a module page and the track page under concurrent load and print "
                    "their throughput as ratios to /healthz measured in the same run.")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                        help=f"concurrent clients (default {DEFAULT_CONCURRENCY})")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                        help=f"measured time per endpoint (default {DEFAULT_SECONDS:g}, "
                             f"at most {MAX_SECONDS:g})")
    parser.add_argument("--requests", type=int, default=None, dest="max_requests",
                        help="stop an endpoint after this many requests (the time limit "
                             "still applies)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure bare, track, module this many times in turn, splitting "
                             "the time (steadier ratios on a busy machine; default 1)")
    parser.add_argument("--warmup", type=int, default=3,
                        help="unmeasured requests per client before each endpoint (default 3)")
    parser.add_argument("--server", choices=("auto", "gunicorn", "werkzeug"), default="auto",
                        help="WSGI server (default: gunicorn if installed, else werkzeug)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4,
                        help="gunicorn threads per worker (default 4)")
    args = parser.parse_args(argv)
    try:
        return Options(concurrency=args.concurrency, seconds=args.seconds,
                       max_requests=args.max_requests, rounds=args.rounds, warmup=args.warmup,
                       server=args.server,
                       workers=args.workers, threads=args.threads)
    except ValueError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print; the exit status is 1 if any response was an error."""
    report = run(parse_args(argv))
    print(format_report(report))
    return 1 if report.error_count else 0
