"""Faults under a classroom load: the server killed, a worker killed, PostgreSQL restarted,
and a long soak; every acknowledged save must be in the database afterwards.

One scenario is one throwaway instance (the exams benchmark's bank and exam, N trainees
signed in through the log-in form, one attempt each started over HTTP) served by gunicorn on
loopback, with a steady load: every trainee's client saves answers with rising revisions
(the htmx request the attempt page sends) and now and then reloads the attempt page. A save
that fails (connection refused or reset, a 5xx) stays pending and is sent again, with a new
revision, after a back-off, as the page's own retry does (portal/web/static/portal.js, here
four times quicker). A save counts as acknowledged when a 200 with the receipt came back.

restart   kill -9 of gunicorn's whole process group (master and workers) mid-load, then a
          restart on the same database and port; `--kills` times in a row.
worker    kill -9 of one worker mid-load: the other workers keep serving, the master starts
          a new one, the pending saves land when retried.
postgres  a throwaway PostgreSQL cluster with durable commits, crashed (immediate stop) and
          kept down `--outage-seconds` mid-load: requests in the outage get 503 with
          Retry-After (never a 500), the pool reconnects without restarting the server.
soak      `--soak-seconds` of the load; the RSS of every worker is printed at intervals.

After each scenario: every acknowledged save is stored (the stored revision at least the
highest acknowledged one, the same answer when equal), every pending save was acknowledged
in the end, every attempt page opens again with its saved answers, and submitting every
attempt twice submits each exactly once (one audit record). Any failed check: exit status 1.
Bounded in time, loopback only; nothing asserts on timing.
"""
from __future__ import annotations

import argparse
import html
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bench import exams
from bench.databases import DatabaseOptions, DatabaseUnavailable, bench_database
from bench.support import (
    APP_CONFIG,
    FORM,
    HOST,
    READY_TIMEOUT,
    REQUEST_TIMEOUT,
    Browser,
    Instance,
    Target,
    add_server_arguments,
    database,
    final_exceptions,
    gunicorn_available,
    in_parallel,
    machine,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

SCENARIOS = ("restart", "worker", "postgres", "soak")
DEFAULT_TRAINEES = 20
MAX_TRAINEES = 200
SETUP_WORKERS = 8
DRAIN_SECONDS = 60.0  # after the load: how long pending saves are retried before giving up
PAGE_EVERY = 10  # every tenth request of a client reloads the attempt page
RETRY_BASE = 0.25  # the page waits 1 s, 2 s, ... at most 10 s; the bench four times less
RETRY_MAX = 2.5


@dataclass(frozen=True)
class Options:
    scenarios: tuple[str, ...] = SCENARIOS
    trainees: int = DEFAULT_TRAINEES
    kills: int = 5  # restart: kill -9 of the whole server this many times
    worker_kills: int = 1
    pg_restarts: int = 1
    interval: float = 3.0  # seconds of load before, between and after the faults
    outage_seconds: float = 3.0  # postgres: how long the database stays down
    soak_seconds: float = 600.0
    samples: int = 10  # soak: RSS samples (evenly spread)
    max_growth_mb: float = 32.0  # soak: more growth per worker than this fails
    think: float = 0.05  # seconds a client waits between two requests
    database: str = "sqlite"  # for restart, worker and soak (postgres always uses postgres)
    workers: int = 2
    threads: int = 4

    def __post_init__(self) -> None:
        unknown = set(self.scenarios) - set(SCENARIOS)
        if unknown or not self.scenarios:
            raise ValueError(f"scenarios are some of {', '.join(SCENARIOS)}")
        if not 1 <= self.trainees <= MAX_TRAINEES:
            raise ValueError(f"trainees must be between 1 and {MAX_TRAINEES}")
        if not (1 <= self.kills <= 20 and 1 <= self.worker_kills <= 20
                and 1 <= self.pg_restarts <= 20):
            raise ValueError("kills, worker kills and PostgreSQL restarts: between 1 and 20")
        if not 0.5 <= self.interval <= 120 or not 0 <= self.outage_seconds <= 60:
            raise ValueError("interval must be in [0.5, 120] s, the outage in [0, 60] s")
        if not 1 <= self.soak_seconds <= 3600 or not 2 <= self.samples <= 100:
            raise ValueError("soak seconds in [1, 3600], samples in [2, 100]")
        if not 0 <= self.think <= 5:
            raise ValueError("think must be in [0, 5] s")
        if self.database not in ("sqlite", "postgres"):
            raise ValueError("database must be sqlite or postgres")
        if not (1 <= self.workers <= 16 and 1 <= self.threads <= 32):
            raise ValueError("workers in [1, 16], threads in [1, 32]")
        if "worker" in self.scenarios and self.workers < 2:
            raise ValueError("the worker scenario needs at least 2 workers")


# -- the server: gunicorn in its own process group ----------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return sorted(found)


def rss_mb(pid: int) -> float:
    """The resident set size of a process, in MB (NaN when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Gunicorn:
    """gunicorn serving an instance on a fixed loopback port, in a process group of its own
    so that one kill -9 reaches the master and every worker at once."""

    def __init__(self, instance: Instance, *, workers: int, threads: int) -> None:
        self.instance = instance
        self.workers = workers
        self.threads = threads
        self.target = Target(HOST, _free_port())
        self.log_path = instance.folder / "gunicorn.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def command(self) -> list[str]:
        from gunicorn.config import KNOWN_SETTINGS

        factory = f"portal:create_app({APP_CONFIG!r})"
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                   "--threads", str(self.threads), "--bind", f"{HOST}:{self.target.port}",
                   "--log-level", "warning", "--timeout", "60", "--graceful-timeout", "5",
                   "--keep-alive", "5"]
        if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
            command.append("--no-control-socket")
        return [*command, factory]

    def start(self) -> float:
        """Start and wait until /healthz answers and every worker is up; returns seconds."""
        began = time.perf_counter()
        env = {**os.environ, "PORTAL_DATABASE_URL": self.instance.database_url,
               "PORTAL_SECRET_KEY": self.instance.secret_key,
               "PORTAL_INSTANCE_PATH": str(self.instance.folder / "instance")}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=_project_root(), env=env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: "
                                   f"{self.log_path.read_text(errors='replace')[-2000:]}")
            if len(self.worker_pids()) == self.workers and _healthy(self.target):
                return time.perf_counter() - began
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer on port {self.target.port} in time")

    @property
    def master_pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> list[int]:
        return _children(self.master_pid) if self.process is not None else []

    def kill_all(self) -> None:
        """kill -9 of the process group: master and workers die at once, nothing is told."""
        assert self.process is not None
        with suppress(ProcessLookupError):
            os.killpg(self.master_pid, signal.SIGKILL)
        self.process.wait(timeout=REQUEST_TIMEOUT)
        self._wait_group_gone()

    def kill_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_for_workers(self, old: Sequence[int]) -> float:
        """After a worker was killed: seconds until the master has all its workers again."""
        began = time.perf_counter()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == self.workers and set(pids) != set(old):
                return time.perf_counter() - began
            time.sleep(0.05)
        raise RuntimeError("the master did not replace the killed worker in time")

    def _wait_group_gone(self) -> None:
        deadline = time.monotonic() + REQUEST_TIMEOUT
        while time.monotonic() < deadline:
            try:
                os.killpg(self.master_pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        raise RuntimeError("gunicorn's processes outlived kill -9")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            if self.process is not None:
                with suppress(ProcessLookupError):
                    os.killpg(self.master_pid, signal.SIGKILL)  # orphaned workers, if any
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        with suppress(ProcessLookupError):
            os.killpg(self.master_pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def exceptions(self) -> Counter[str]:
        if not self.log_path.exists():
            return Counter()
        return final_exceptions(self.log_path.read_text(errors="replace"))


def _project_root() -> Path:
    from portal.config import PROJECT_ROOT

    return PROJECT_ROOT


def _healthy(target: Target) -> bool:
    conn = target.connect()
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


@contextmanager
def served(instance: Instance, options: Options) -> Iterator[Gunicorn]:
    server = Gunicorn(instance, workers=options.workers, threads=options.threads)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# -- the instance and the trainees --------------------------------------------------------


@dataclass
class Trainee(exams.Trainee):
    """One trainee's tab, as in the exams bench (what it sent, what the server acknowledged),
    and the save it has sent but not yet seen acknowledged."""

    pending: tuple[int, dict[str, list[str]]] | None = None  # a save not yet acknowledged


# -- the load ------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw, for one scenario (one lock: the counts are small)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: Counter[str] = field(default_factory=Counter)  # "save 200", "page 503", ...
    acks_at: list[float] = field(default_factory=list)  # perf_counter of each acknowledgement
    problems: list[str] = field(default_factory=list)

    def count(self, what: str) -> None:
        with self.lock:
            self.outcomes[what] += 1

    def ack(self) -> None:
        with self.lock:
            self.outcomes["save 200"] += 1
            self.acks_at.append(time.perf_counter())

    def problem(self, text: str) -> None:
        with self.lock:
            if len(self.problems) < 50:
                self.problems.append(text)

    def acks_between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(1 for t in self.acks_at if start <= t < end)

    @property
    def failed_requests(self) -> int:
        return sum(n for k, n in self.outcomes.items() if not k.endswith(" 200"))

    @property
    def server_errors(self) -> int:
        """5xx other than 503 (a stack trace's 500 among them)."""
        return sum(n for k, n in self.outcomes.items()
                   if k.split()[-1].isdigit() and k.split()[-1].startswith("5")
                   and not k.endswith(" 503"))

    @property
    def connection_errors(self) -> int:
        return sum(n for k, n in self.outcomes.items() if not k.split()[-1].isdigit())

    def of_status(self, status: str) -> int:
        return sum(n for k, n in self.outcomes.items() if k.endswith(f" {status}"))


class Load:
    """One client thread per trainee, from start() until stop(); pending saves are retried
    until acknowledged (or DRAIN_SECONDS after the stop)."""

    def __init__(self, target: Target, trainees: Sequence[Trainee],
                 views: dict[int, Any], *, think: float) -> None:
        self.target = target
        self.trainees = trainees
        self.views = views
        self.think = think
        self.tally = Tally()
        self._stop = threading.Event()
        self._drain_deadline = 0.0
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._client, args=(t,), daemon=True,
                                          name=f"faults-client-{i}")
                         for i, t in enumerate(self.trainees)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._drain_deadline = time.monotonic() + DRAIN_SECONDS
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=DRAIN_SECONDS + 2 * REQUEST_TIMEOUT)

    def _client(self, trainee: Trainee) -> None:
        positions = sorted(self.views)
        conn = self.target.connect()
        failures = 0
        requests = 0
        try:
            while True:
                if self._stop.is_set() and (trainee.pending is None
                                            or time.monotonic() > self._drain_deadline):
                    return
                requests += 1
                if trainee.pending is None and requests % PAGE_EVERY == 0:
                    conn, ok = self._page(conn, trainee)
                else:
                    if trainee.pending is None:
                        trainee.sent += 1
                        position = positions[trainee.sent % len(positions)]
                        trainee.pending = (position, exams.answer_form(self.views[position],
                                                                       trainee.sent))
                    conn, ok = self._save(conn, trainee)
                if ok:
                    failures = 0
                    if self.think:
                        time.sleep(self.think)
                else:  # the page's back-off: 1, 2, 4, 8, 10 s (here a quarter of that)
                    failures += 1
                    time.sleep(min(RETRY_MAX, RETRY_BASE * 2 ** min(failures - 1, 4)))
        finally:
            conn.close()

    def _send(self, conn: http.client.HTTPConnection, what: str, method: str, path: str,
              body: bytes | None, headers: dict[str, str]
              ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse | None, bytes]:
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.tally.count(f"{what} {type(exc).__name__}")
            conn.close()
            return self.target.connect(), None, b""
        if response.will_close:
            conn.close()
            conn = self.target.connect()
        if response.status == 503 and response.getheader("Retry-After") is None:
            self.tally.count(f"{what} 503-without-Retry-After")
            return conn, None, data
        return conn, response, data

    def _save(self, conn: http.client.HTTPConnection, trainee: Trainee
              ) -> tuple[http.client.HTTPConnection, bool]:
        assert trainee.pending is not None
        position, form = trainee.pending
        # Every send is a new revision, a retry too (htmx:configRequest counts on each time).
        revision = trainee.revisions.get(position, 0) + 1
        trainee.revisions[position] = revision
        body = urlencode({**form, "revision": [str(revision)]}, doseq=True).encode()
        conn, response, data = self._send(
            conn, "save", "POST", f"/attempts/{trainee.attempt_id}/answers/{position}", body,
            trainee.headers(**{"HX-Request": "true", "Content-Type": FORM}))
        if response is None:
            return conn, False
        if response.status == 200 and f'id="nav-{position}"'.encode() in data:
            trainee.acked[position] = (revision, exams.expected_answer(self.views[position], form))
            trainee.ack_count += 1
            trainee.pending = None
            self.tally.ack()
            return conn, True
        self.tally.count(f"save {response.status}")
        if response.status < 500:  # the page retries only 5xx and lost connections
            self.tally.problem(f"attempt {trainee.attempt_id} question {position}: save "
                               f"answered {response.status}")
            trainee.pending = None
        return conn, False

    def _page(self, conn: http.client.HTTPConnection, trainee: Trainee
              ) -> tuple[http.client.HTTPConnection, bool]:
        conn, response, data = self._send(conn, "page", "GET", f"/attempts/{trainee.attempt_id}",
                                          None, {"Cookie": trainee.browser.cookie})
        if response is None:
            return conn, False
        if response.status == 200 and b"data-autosave" in data:
            self.tally.count("page 200")
            return conn, True
        self.tally.count(f"page {response.status}")
        return conn, False


# -- checks after a scenario ---------------------------------------------------------------


@dataclass(frozen=True)
class Afterwards:
    saves: Any  # exams.SaveCheck
    never_acknowledged: int  # saves still pending when the retries gave up
    resumed: int  # attempt pages that open with their saved answers
    resume_problems: list[str]
    submitted: Any  # exams.SubmitCheck after submitting every attempt twice
    submit_answers: Counter[str]

    @property
    def ok(self) -> bool:
        return (self.saves.ok and not self.never_acknowledged and not self.resume_problems
                and self.submitted.ok and set(self.submit_answers) == {"303"})


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def resume_problem(trainee: Trainee, views: dict[int, Any]) -> str | None:
    """The attempt page opens (200, the autosaving form) and shows the text of every
    acknowledged fill-in answer (typed text, so it can be found in the page)."""
    status, body = trainee.browser.get(f"/attempts/{trainee.attempt_id}")
    if status != 200 or b"data-autosave" not in body:
        return f"attempt {trainee.attempt_id}: the page answered {status}"
    page = body.decode("utf-8", errors="replace")
    for position, (_, answer) in sorted(trainee.acked.items()):
        if views[position].kind != "fill-in":
            continue
        for text in _texts(answer):
            if f'value="{html.escape(text, quote=True)}"' not in page:
                return (f"attempt {trainee.attempt_id} question {position}: the saved answer "
                        f"{text!r} is not on the page")
    return None


def submit(trainee: Trainee) -> str:
    status, location, _ = trainee.browser.post_form(f"/attempts/{trainee.attempt_id}/submit",
                                                    {"csrf_token": trainee.csrf})
    ok = status == 303 and location.endswith(f"/attempts/{trainee.attempt_id}/result")
    return "303" if ok else f"{status} {location}"


def afterwards(sessions: sessionmaker[Session], trainees: Sequence[Trainee],
               views: dict[int, Any]) -> Afterwards:
    saves = exams.check_saves(sessions, trainees)
    never = sum(1 for t in trainees if t.pending is not None)
    budget = max(READY_TIMEOUT, 2.0 * len(trainees))
    resumed = in_parallel(lambda t: resume_problem(t, views), trainees, workers=SETUP_WORKERS,
                          timeout=budget)
    problems = [p for p in resumed if p]
    answers: Counter[str] = Counter()
    for _ in range(2):  # everyone submits, then everyone again: once each in the end
        answers.update(in_parallel(submit, trainees, workers=SETUP_WORKERS, timeout=budget))
    submitted = exams.check_submitted(sessions, [t.attempt_id for t in trainees], by="trainee")
    return Afterwards(saves, never, len(trainees) - len(problems), problems, submitted, answers)


# -- the scenarios --------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    database: str
    seconds: float = 0.0
    events: list[str] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)  # (what, passed)
    tally: Tally | None = None
    after: Afterwards | None = None
    server_exceptions: Counter[str] = field(default_factory=Counter)
    rss: list[tuple[float, list[float]]] = field(default_factory=list)  # soak samples
    error: str = ""

    def check(self, what: str, passed: bool) -> None:
        self.checks.append((what, passed))

    @property
    def ok(self) -> bool:
        return not self.error and all(passed for _, passed in self.checks)


@contextmanager
def _scenario_instance(options: Options, database_kind: str, folder: Path
                       ) -> Iterator[tuple[Instance, list[tuple[str, int]], Any]]:
    durable = DatabaseOptions(database_kind, durable_commits=database_kind == "postgres",
                              max_connections=100)
    with bench_database(durable, folder) as databases:
        instance, accounts = exams.prepare_instance(folder, options.trainees,
                                                    databases.new_database())
        yield instance, accounts, databases


def _run_scenario(name: str, options: Options, body: Callable[..., None]) -> Outcome:
    kind = "postgres" if name == "postgres" else options.database
    outcome = Outcome(name, kind)
    began = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix=f"portal-bench-faults-{name}-") as tmp, \
                _scenario_instance(options, kind, Path(tmp)) as (instance, accounts, databases), \
                served(instance, options) as server, database(instance) as sessions:
            trainees = [Trainee(no, uid, Browser(server.target)) for no, uid in accounts]
            # As the exams bench does: sign in, open the exam, start an attempt, open it.
            in_parallel(exams._sign_in_and_start, trainees, workers=SETUP_WORKERS,
                        timeout=max(READY_TIMEOUT, 5.0 * len(trainees)))
            views = exams.exam_views(sessions, trainees[0].attempt_id)
            load = Load(server.target, trainees, views, think=options.think)
            outcome.tally = load.tally
            load.start()
            try:
                body(outcome, options, server, load, databases)
            finally:
                load.stop()
            after = afterwards(sessions, trainees, views)
            outcome.after = after
            outcome.check("every acknowledged save is stored", after.saves.ok)
            outcome.check("every pending save was acknowledged when retried",
                          not after.never_acknowledged)
            outcome.check("every attempt resumes with its saved answers",
                          not after.resume_problems)
            outcome.check("submitted twice: each attempt submitted exactly once",
                          after.submitted.ok and set(after.submit_answers) == {"303"})
            outcome.check("no 500 (nor other 5xx but 503)", not load.tally.server_errors)
            outcome.check("no save refused (4xx)", not load.tally.problems)
            server.stop()
            outcome.server_exceptions = server.exceptions()
            outcome.check("no traceback in the server's log", not outcome.server_exceptions)
    except DatabaseUnavailable as exc:
        outcome.error = f"unavailable: {exc}"
    except Exception as exc:  # noqa: BLE001 - reported as a failed scenario, the run goes on
        import traceback

        where = traceback.extract_tb(exc.__traceback__)[-1]
        outcome.error = (f"{type(exc).__name__}: {exc} ({Path(where.filename).name} line "
                         f"{where.lineno})")
    outcome.seconds = time.perf_counter() - began
    return outcome


def _restart(outcome: Outcome, options: Options, server: Gunicorn, load: Load,
             databases: Any) -> None:
    time.sleep(options.interval)
    for n in range(1, options.kills + 1):
        before = load.tally.outcomes["save 200"]
        server.kill_all()
        killed = time.perf_counter()
        took = server.start()
        outcome.events.append(f"kill -9 #{n} of the process group after {before} acknowledged "
                              f"saves; restarted, answering again in {took:.2f} s")
        time.sleep(options.interval)
        acks = load.tally.acks_between(killed, time.perf_counter())
        outcome.check(f"saves acknowledged after restart #{n}", acks > 0)


def _worker(outcome: Outcome, options: Options, server: Gunicorn, load: Load,
            databases: Any) -> None:
    time.sleep(options.interval)
    for n in range(1, options.worker_kills + 1):
        failed_before = load.tally.failed_requests
        old = server.worker_pids()
        master = server.master_pid
        killed_at = time.perf_counter()
        pid = server.kill_worker()
        replaced = server.wait_for_workers(old)
        time.sleep(options.interval)
        acks = load.tally.acks_between(killed_at, time.perf_counter())
        failed = load.tally.failed_requests - failed_before
        outcome.events.append(f"kill -9 of worker {pid}: {failed} failed requests "
                              f"(retried), {acks} saves acknowledged in the next "
                              f"{options.interval:g} s; replaced in {replaced:.2f} s")
        outcome.check(f"worker kill #{n}: the others kept serving", acks > 0)
        # A killed worker drops its requests and its idle keep-alive connections: each
        # client loses at most one request to it, then reconnects to another worker.
        outcome.check(f"worker kill #{n}: at most one failed request per client "
                      f"({failed} <= {len(load.trainees)})", failed <= len(load.trainees))
        outcome.check(f"worker kill #{n}: the master is the same process",
                      server.master_pid == master and server.process.poll() is None)


def _postgres(outcome: Outcome, options: Options, server: Gunicorn, load: Load,
              databases: Any) -> None:
    workers = server.worker_pids()
    time.sleep(options.interval)
    for n in range(1, options.pg_restarts + 1):
        unavailable_before = load.tally.of_status("503")
        down = time.perf_counter()
        databases.restart(options.outage_seconds)
        up = time.perf_counter()
        time.sleep(options.interval)
        answered_503 = load.tally.of_status("503") - unavailable_before
        acks = load.tally.acks_between(up, time.perf_counter())
        outcome.events.append(f"PostgreSQL crashed (immediate stop) and started again after "
                              f"{up - down:.2f} s: {answered_503} requests answered 503 with "
                              f"Retry-After, {acks} saves acknowledged in the next "
                              f"{options.interval:g} s")
        outcome.check(f"restart #{n}: requests in the outage got 503 with Retry-After",
                      answered_503 > 0)
        outcome.check(f"restart #{n}: the pool reconnected (saves acknowledged after)", acks > 0)
    outcome.check("the server was not restarted (same master, same workers)",
                  server.process is not None and server.process.poll() is None
                  and server.worker_pids() == workers)
    outcome.check("no connection error, no 503 without Retry-After",
                  not load.tally.connection_errors
                  and not load.tally.outcomes["save 503-without-Retry-After"]
                  and not load.tally.outcomes["page 503-without-Retry-After"])


def _soak(outcome: Outcome, options: Options, server: Gunicorn, load: Load,
          databases: Any) -> None:
    workers = server.worker_pids()
    began = time.perf_counter()
    step = options.soak_seconds / (options.samples - 1)
    for i in range(options.samples):
        if i:
            time.sleep(max(0.0, began + i * step - time.perf_counter()))
        outcome.rss.append((time.perf_counter() - began, [rss_mb(pid) for pid in workers]))
    outcome.check("the same workers throughout (none crashed or was restarted)",
                  server.worker_pids() == workers)
    outcome.check("no failed request", not load.tally.failed_requests)
    growth = soak_growth(outcome.rss)
    outcome.check(f"RSS growth per worker at most {options.max_growth_mb:g} MB "
                  f"(largest {max(growth, default=0.0):.1f} MB)",
                  all(g <= options.max_growth_mb for g in growth))


def soak_growth(samples: Sequence[tuple[float, list[float]]]) -> list[float]:
    """Per worker: its last RSS minus its first (the first sample is after set-up)."""
    if len(samples) < 2:
        return []
    first, last = samples[0][1], samples[-1][1]
    return [b - a for a, b in zip(first, last, strict=True)]


BODIES: dict[str, Callable[..., None]] = {
    "restart": _restart, "worker": _worker, "postgres": _postgres, "soak": _soak,
}


def run(options: Options) -> list[Outcome]:
    if not gunicorn_available():
        return [Outcome(name, "", error="unavailable: gunicorn is not importable or this is "
                                        "not POSIX") for name in options.scenarios]
    return [_run_scenario(name, options, BODIES[name]) for name in options.scenarios]


# -- output --------------------------------------------------------------------------------


def format_report(options: Options, outcomes: Sequence[Outcome]) -> str:
    o = options
    lines = [
        "Faults under a classroom load (python -m bench faults)",
        (f"server:  gunicorn, {o.workers} workers x {o.threads} threads, on loopback, in its "
         f"own process group"),
        (f"clients: {o.trainees} trainees, one thread each: autosaves with rising revisions, "
         f"every {PAGE_EVERY}th request the attempt page, {o.think * 1000:g} ms between "
         f"requests; a failed save is retried with a new revision after "
         f"{RETRY_BASE:g}-{RETRY_MAX:g} s"),
        f"machine: {machine()}",
    ]
    for outcome in outcomes:
        lines += ["", f"{outcome.name} ({outcome.database}, {outcome.seconds:.1f} s)"]
        if outcome.error:
            lines.append(f"  FAILED: {outcome.error}")
            continue
        lines += [f"  {event}" for event in outcome.events]
        tally = outcome.tally
        if tally is not None:
            seen = ", ".join(f"{k} x{n}" for k, n in sorted(tally.outcomes.items()))
            lines.append(f"  responses: {seen}")
            lines += [f"  PROBLEM: {p}" for p in tally.problems[:5]]
        if outcome.rss:
            lines.append("  RSS per worker (MB): " + "  ".join(
                f"{t:.0f}s " + "/".join(f"{v:.1f}" for v in values)
                for t, values in outcome.rss))
            growth = soak_growth(outcome.rss)
            lines.append("  growth from first to last sample: "
                         + ", ".join(f"{g:+.1f} MB" for g in growth))
        after = outcome.after
        if after is not None:
            s = after.saves
            lines.append(f"  acknowledged saves: {s.acknowledged} ({s.answers} latest answers) "
                         f"- lost {len(s.lost)}, answer differs {len(s.differs)}, stored newer "
                         f"than acknowledged {s.newer}; still pending {after.never_acknowledged}")
            lines += [f"  LOST: {p}" for p in (s.lost + s.differs)[:5]]
            lines.append(f"  resumed {after.resumed}/{o.trainees}; submitted exactly once "
                         f"{after.submitted.once}/{after.submitted.attempts} after submitting "
                         f"twice ({', '.join(f'{k} x{n}' for k, n in after.submit_answers.items())})")
            lines += [f"  PROBLEM: {p}" for p in (after.resume_problems
                                                  + after.submitted.problems)[:5]]
        lines += [f"  server log: {line} (x{n})"
                  for line, n in outcome.server_exceptions.most_common(5)]
        width = max((len(what) for what, _ in outcome.checks), default=10)
        for what, passed in outcome.checks:
            lines.append(f"  {what:<{width}}  {'ok' if passed else 'FAILED'}")
    lines += ["", (f"{'scenario':<10} {'database':<9} {'acked':>7} {'failed req':>10} "
                  f"{'503':>5} {'500':>5} {'lost':>5} {'resumed':>8} {'once':>6}  result")]
    for outcome in outcomes:
        t, a = outcome.tally, outcome.after
        lost = len(a.saves.lost) + len(a.saves.differs) if a else 0
        lines.append(
            f"{outcome.name:<10} {outcome.database:<9} "
            f"{(a.saves.acknowledged if a else 0):>7} {(t.failed_requests if t else 0):>10} "
            f"{(t.of_status('503') if t else 0):>5} {(t.server_errors if t else 0):>5} "
            f"{lost:>5} {(f'{a.resumed}/{o.trainees}' if a else '-'):>8} "
            f"{(f'{a.submitted.once}/{a.submitted.attempts}' if a else '-'):>6}  "
            f"{'ok' if outcome.ok else 'FAILED'}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench faults",
        description="kill -9 of the server, of a worker, a PostgreSQL restart and a soak, "
                    "under a classroom load; every acknowledged save must survive.")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated, some of {','.join(SCENARIOS)} (default all)")
    parser.add_argument("--trainees", type=int, default=DEFAULT_TRAINEES,
                        help=f"simulated trainees, one client each (default {DEFAULT_TRAINEES})")
    parser.add_argument("--kills", type=int, default=5,
                        help="restart: kill -9 of the whole server this many times (default 5)")
    parser.add_argument("--worker-kills", type=int, default=1,
                        help="worker: workers killed one after the other (default 1)")
    parser.add_argument("--pg-restarts", type=int, default=1,
                        help="postgres: restarts of PostgreSQL (default 1)")
    parser.add_argument("--interval", type=float, default=3.0,
                        help="seconds of load before, between and after faults (default 3)")
    parser.add_argument("--outage-seconds", type=float, default=3.0,
                        help="postgres: seconds PostgreSQL stays down (default 3)")
    parser.add_argument("--soak-seconds", type=float, default=600.0,
                        help="soak: seconds of load (default 600)")
    parser.add_argument("--samples", type=int, default=10,
                        help="soak: RSS samples, evenly spread (default 10)")
    parser.add_argument("--max-growth-mb", type=float, default=32.0,
                        help="soak: the RSS growth per worker that fails (default 32 MB)")
    parser.add_argument("--think", type=float, default=0.05,
                        help="seconds each client waits between requests (default 0.05)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                        help="database of restart, worker and soak (default sqlite; postgres: "
                             "a throwaway cluster); the postgres scenario always uses one")
    add_server_arguments(parser, choose_server=False)  # always gunicorn
    args = parser.parse_args(argv)
    try:
        return Options(
            scenarios=tuple(s.strip() for s in args.scenarios.split(",") if s.strip()),
            trainees=args.trainees, kills=args.kills, worker_kills=args.worker_kills,
            pg_restarts=args.pg_restarts, interval=args.interval,
            outage_seconds=args.outage_seconds, soak_seconds=args.soak_seconds,
            samples=args.samples, max_growth_mb=args.max_growth_mb, think=args.think,
            database=args.database, workers=args.workers, threads=args.threads)
    except ValueError as exc:
        parser.error(str(exc))
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scenarios asked for and print; exit status 1 if any check failed."""
    options = parse_args(argv)
    outcomes = run(options)
    print(format_report(options, outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
