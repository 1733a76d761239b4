"""A classroom: N trainees at once, at human cadence, ramped until the server cannot keep up.

Set-up (not measured): one instance on SQLite or PostgreSQL (bench/databases.py) with the
chat content and demo data (chat.prepare_instance) and the bench bank and exam
(exams.add_exam_and_trainees); before each step the trainees it adds are signed in through
the log-in form and start an attempt over HTTP, concurrently: 90 % a written exam (as in
bench/exams.py), 10 % the chat drill (as in bench/chat.py). The written-exam trainees carry
on from step to step; each step's chat trainees are new ones, who start the drill at the end
of its set-up (a trainee in a chat exam serves customers without pause, and over a minute of
set-up with nobody replying an earlier step's customers would give up waiting). A chat
trainee writes no more to a customer the console shows has ended.

Each step is an open-loop load: every virtual trainee fires on its own schedule with a
random phase, whether or not its earlier requests have been answered:

- written exam: an autosave every 10 s (the next question, a rising revision), the attempt
  page every 60 s;
- chat exam: a poll every 1-2 s (the console's poller), a reply every 20 s.

The first `--warmup` seconds of a step are not counted. Per step: N, requests/s, p50, p95,
errors, the server's CPU (the gunicorn processes' CPU time / wall time, from /proc, in cores)
and the load generator's (this process: aiohttp on one asyncio loop). The ramp stops after
the first step whose p95 exceeds 300 ms or that has any error; the largest N held is the last
step before it. Afterwards every acknowledged save is looked up in the database (0 lost).
Nothing here asserts on timing.
"""
from __future__ import annotations

import argparse
import asyncio
import html
import math
import os
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import chat, exams
from bench.databases import DatabaseOptions, add_arguments, bench_database, options_from
from bench.support import (
    FORM,
    REQUEST_TIMEOUT,
    Browser,
    ServerOptions,
    Target,
    add_server_arguments,
    database,
    fmt,
    in_parallel,
    machine,
    percentile,
    serve,
)

DEFAULT_STEPS = (250, 500, 1000, 2000, 4000)
MAX_TRAINEES = 8000
DEFAULT_STEP_SECONDS = 30.0
DEFAULT_WARMUP = 5.0
P95_LIMIT = 0.300  # seconds
CHAT_EVERY = 10  # one trainee in ten is in a chat exam
SAVE_EVERY = 10.0
PAGE_EVERY = 60.0
POLL_EVERY = (1.0, 2.0)
REPLY_EVERY = 20.0
SETUP_WORKERS = 16
# The console's error line in a refused reply's answer (what the trainee would read).
REPLY_ERROR = re.compile(rb'id="chat-reply-error"[^>]*>([^<]*)<')
# A customer the console's list shows as ended (left, escalated, ...): its slot. A trainee
# reads that in the list and does not write to that customer again.
ENDED_CUSTOMER = re.compile(
    rb'<li class="chat__customer [^"]*chat__customer--ended">\s*<a href="[^"]*[?&]c=(\d+)"')


def ended_slots(body: bytes) -> set[int]:
    """The slots the console's customer list (a page or a poll's fragment) shows ended."""
    return {int(slot) for slot in ENDED_CUSTOMER.findall(body)}


@dataclass(frozen=True)
class Options:
    steps: tuple[int, ...] = DEFAULT_STEPS
    step_seconds: float = DEFAULT_STEP_SECONDS
    warmup: float = DEFAULT_WARMUP
    server: str = "auto"
    workers: int = 2
    threads: int = 4
    database: DatabaseOptions = field(default_factory=DatabaseOptions)
    seed: int = 2026

    def __post_init__(self) -> None:
        if not self.steps or any(not 1 <= n <= MAX_TRAINEES for n in self.steps):
            raise ValueError(f"steps must be between 1 and {MAX_TRAINEES} trainees")
        if list(self.steps) != sorted(set(self.steps)):
            raise ValueError("steps must rise")
        if not 1 <= self.step_seconds <= 600:
            raise ValueError("step seconds must be between 1 and 600")
        if not 0 <= self.warmup < self.step_seconds:
            raise ValueError("warm-up must be at least 0 and shorter than a step")
        ServerOptions(self.server, self.workers, self.threads)

    @property
    def server_options(self) -> ServerOptions:
        return ServerOptions(self.server, self.workers, self.threads)


# -- CPU ----------------------------------------------------------------------------------


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def server_pids(target: Target) -> list[int]:
    """The gunicorn master and workers bound to the target (their command line says so)."""
    bind = f"{target.host}:{target.port}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"gunicorn" in cmdline and bind in cmdline:
            pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: Sequence[int]) -> float:
    """utime + stime of the processes (the ones that ended are left out)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return total / CLOCK_TICKS


# -- the load -----------------------------------------------------------------------------


@dataclass
class Tally:
    measure_from: float
    measure_until: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)

    def counts(self, began: float) -> bool:
        return self.measure_from <= began < self.measure_until

    def ok(self, kind: str, began: float, took: float) -> None:
        if self.counts(began):
            self.latencies.setdefault(kind, []).append(took)

    def error(self, kind: str, began: float, what: str) -> None:
        # An error during the warm-up counts too: nothing may fail.
        self.errors[f"{kind}: {what}"] += 1

    @property
    def all_latencies(self) -> list[float]:
        return [t for values in self.latencies.values() for t in values]


class Load:
    """One step's virtual trainees on one aiohttp session."""

    def __init__(self, base: str, http: Any, tally: Tally, rng: random.Random,
                 views: dict[int, dict[str, Any]], plans: dict[int, tuple[str, ...]]) -> None:
        self.base = base
        self.http = http
        self.tally = tally
        self.rng = rng
        self.views = views
        self.positions = sorted(views)
        self.plans = plans
        self.tasks: set[asyncio.Task[None]] = set()

    def fire(self, coroutine: Any) -> None:
        """Open loop: the request runs on its own; the schedule does not wait for it."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def call(self, kind: str, method: str, path: str, headers: dict[str, str],
                   data: bytes | None = None) -> tuple[int, dict[str, str], bytes] | None:
        began = time.perf_counter()
        try:
            async with self.http.request(method, self.base + path, headers=headers, data=data,
                                         allow_redirects=False) as response:
                body = await response.read()
                return response.status, dict(response.headers), body
        except Exception as exc:  # noqa: BLE001 - every failure is tallied by its kind
            self.tally.error(kind, began, type(exc).__name__)
            return None

    def timed(self, kind: str, began: float) -> None:
        self.tally.ok(kind, began, time.perf_counter() - began)

    # written exam

    async def save(self, trainee: exams.Trainee) -> None:
        trainee.sent += 1
        position = self.positions[trainee.sent % len(self.positions)]
        revision = trainee.revisions.get(position, 0) + 1
        trainee.revisions[position] = revision
        form = exams.answer_form(self.views[position], trainee.sent)
        body = urlencode({**form, "revision": [str(revision)]}, doseq=True).encode()
        began = time.perf_counter()
        answer = await self.call("save", "POST",
                                 f"/attempts/{trainee.attempt_id}/answers/{position}",
                                 trainee.headers(**{"HX-Request": "true", "Content-Type": FORM}),
                                 body)
        if answer is None:
            return
        status, headers, data = answer
        if status != 200:
            self.tally.error("save", began, f"HTTP {status}")
        elif f'id="nav-{position}"'.encode() not in data or "X-Seconds-Left" not in headers:
            self.tally.error("save", began, "200 without the receipt")
        else:
            self.timed("save", began)
            trainee.ack_count += 1
            acked = trainee.acked.get(position)
            if acked is None or acked[0] < revision:
                trainee.acked[position] = (revision,
                                           exams.expected_answer(self.views[position], form))

    async def page(self, trainee: exams.Trainee) -> None:
        began = time.perf_counter()
        answer = await self.call("page", "GET", f"/attempts/{trainee.attempt_id}",
                                 {"Cookie": trainee.browser.cookie})
        if answer is None:
            return
        status, _, data = answer
        if status == 200 and b"data-autosave" in data:
            self.timed("page", began)
        else:
            self.tally.error("page", began, f"HTTP {status}")

    # chat exam

    async def poll(self, trainee: chat.Trainee) -> None:
        began = time.perf_counter()
        answer = await self.call("poll", "GET", trainee.poll_path, chat._poll_headers(trainee))
        if answer is None:
            return
        status, _, data = answer
        if status == 204:
            self.timed("poll", began)
        elif status == 200 and (path := chat.poller_path(data)) is not None:
            trainee.poll_path = path
            trainee.ended |= ended_slots(data)
            self.timed("poll", began)
        else:
            self.tally.error("poll", began, f"HTTP {status}")

    async def reply(self, trainee: chat.Trainee) -> None:
        found = next_reply(trainee, self.plans)
        if found is None:  # both customers served: the trainee only watches the console
            return
        slot, text = found
        body = urlencode({"csrf_token": trainee.csrf, "c": str(slot), "text": text}).encode()
        headers = trainee.headers(**{"Content-Type": FORM, "HX-Target": "chat-poller",
                                     "HX-Trigger": "chat-reply"})
        began = time.perf_counter()
        answer = await self.call("reply", "POST", f"/chat/attempts/{trainee.attempt_id}/reply",
                                 headers, body)
        acked = False
        if answer is not None:
            status, response_headers, data = answer
            if status != 200 or "HX-Redirect" in response_headers:
                why = REPLY_ERROR.search(data)
                self.tally.error("reply", began, f"HTTP {status}" + (
                    f" ({html.unescape(why.group(1).decode())})" if why and why.group(1) else ""))
            elif chat.REPLY.expected not in data:
                self.tally.error("reply", began, "200 without the console")
            else:
                acked = True
                self.timed("reply", began)
                if (path := chat.poller_path(data)) is not None:
                    trainee.poll_path = path
                trainee.ended |= ended_slots(data)
        trainee.sent.append(chat.Sent(slot, text, acked=acked))

    # schedules

    async def every(self, until: float, actions: Sequence[tuple[Any, Any, Any]]) -> None:
        """Run each (period function, coroutine function, trainee) on its own period, with a
        random phase, until `until` (perf_counter)."""
        now = time.perf_counter()
        due = [now + self.rng.uniform(0, period()) for period, _, _ in actions]
        while True:
            i = min(range(len(due)), key=due.__getitem__)
            if due[i] >= until:
                return
            await asyncio.sleep(max(0.0, due[i] - time.perf_counter()))
            period, action, trainee = actions[i]
            self.fire(action(trainee))
            due[i] += period()


async def step_load(target: Target, written: Sequence[exams.Trainee],
                    chats: Sequence[chat.Trainee], views: dict[int, dict[str, Any]],
                    plans: dict[int, tuple[str, ...]], *, seconds: float, warmup: float,
                    seed: int) -> tuple[Tally, float]:
    """One step; returns the tally and the measured wall time."""
    import aiohttp

    rng = random.Random(seed)
    connector = aiohttp.TCPConnector(limit=0, force_close=False, keepalive_timeout=4)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as http:
        start = time.perf_counter()
        tally = Tally(start + warmup, start + seconds)
        load = Load(f"http://{target.host}:{target.port}", http, tally, rng, views, plans)
        until = start + seconds
        schedules = [load.every(until, [(lambda: SAVE_EVERY, load.save, t),
                                        (lambda: PAGE_EVERY, load.page, t)]) for t in written]
        schedules += [load.every(until, [(lambda: rng.uniform(*POLL_EVERY), load.poll, t),
                                         (lambda: REPLY_EVERY, load.reply, t)]) for t in chats]
        await asyncio.gather(*schedules)
        if load.tasks:  # the last requests may still be answered, within the timeout
            await asyncio.wait(list(load.tasks), timeout=REQUEST_TIMEOUT + 5)
    return tally, seconds - warmup


# -- set-up -------------------------------------------------------------------------------


def _start_written(trainee: exams.Trainee) -> None:
    exams._sign_in_and_start(trainee)


def _start_chat(trainee: chat.Trainee) -> None:
    chat._start(trainee)
    chat._settle(trainee)


def split(n: int) -> tuple[int, int]:
    """(written, chat) trainees among n: one in CHAT_EVERY in a chat exam (at least one)."""
    chats = max(1, round(n / CHAT_EVERY)) if n > 1 else 0
    return n - chats, chats


# -- the run ------------------------------------------------------------------------------


def next_reply(trainee: chat.Trainee, plans: dict[int, tuple[str, ...]]) -> tuple[int, str] | None:
    """The next reply of a classroom trainee: the customers take turns, each gets its plan's
    lines up to the goodbye, once (the chat bench's `next_reply` repeats the goodbye inside
    the farewell window; at one reply every 20 s the window has closed by then, and a reply
    to a customer who has gone is refused). A customer the console shows ended (gone
    while the trainee served the others) gets nothing more. None once every plan is done."""
    open_slots = [slot for slot in sorted(plans) if slot not in trainee.ended
                  and trainee.plan_step.get(slot, 0) < len(plans[slot]) - 1]
    if not open_slots:
        return None
    slot = open_slots[len(trainee.sent) % len(open_slots)]
    step = trainee.plan_step.get(slot, 0)
    trainee.plan_step[slot] = step + 1
    return slot, plans[slot][step]


@dataclass(frozen=True)
class Step:
    trainees: int
    written: int
    chats: int
    requests: int
    seconds: float
    p50: float
    p95: float
    by_kind: dict[str, tuple[int, float]]  # kind -> (requests, p95)
    errors: Counter[str]
    server_cpu: float  # cores (CPU seconds per wall second)
    client_cpu: float
    setup_seconds: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def held(self) -> bool:
        return not self.errors and not math.isnan(self.p95) and self.p95 <= P95_LIMIT


@dataclass(frozen=True)
class Report:
    options: Options
    server: str
    steps: list[Step]
    saves: exams.SaveCheck
    replies_acked: int
    server_exceptions: Counter[str]

    @property
    def largest_held(self) -> int:
        held = 0
        for step in self.steps:
            if not step.held:
                break
            held = step.trainees
        return held

    @property
    def failed(self) -> bool:
        return not self.saves.ok or any(s.errors for s in self.steps)


def run(options: Options) -> Report:
    from portal.auth.passwords import hash_password
    from portal.db import utcnow

    most_written = split(options.steps[-1])[0]
    # Each step's chat trainees are new and start their drill at the end of its set-up: a
    # trainee in a chat exam serves customers all the time, and over a set-up pause (a
    # minute with nobody replying) an earlier step's customers would give up waiting.
    most_chats = sum(split(n)[1] for n in options.steps)
    with tempfile.TemporaryDirectory(prefix="portal-bench-classroom-") as tmp:
        folder = Path(tmp)
        with bench_database(options.database, folder) as databases:
            instance, chat_accounts = chat.prepare_instance(folder, most_chats,
                                                            databases.new_database())
            with database(instance) as sessions, sessions() as session:
                written_accounts = exams.add_exam_and_trainees(
                    session, most_written, password_hash=hash_password(exams.PASSWORD),
                    now=utcnow())
            plans = chat.reply_plans(chat.load_chats())
            with serve(instance, options.server_options) as server, \
                    database(instance) as sessions:
                target = server.target
                written = [exams.Trainee(no, uid, Browser(target))
                           for no, uid in written_accounts]
                chats = [chat.Trainee(no, uid, Browser(target)) for no, uid in chat_accounts]
                steps: list[Step] = []
                views: dict[int, dict[str, Any]] = {}
                ready_written = ready_chats = 0
                for number, n in enumerate(options.steps):
                    n_written, n_chats = split(n)
                    began = time.perf_counter()
                    budget = max(60.0, 2.0 * n)
                    in_parallel(_start_written, written[ready_written:n_written],
                                workers=SETUP_WORKERS, timeout=budget)
                    serving = chats[ready_chats:ready_chats + n_chats]
                    in_parallel(chat._sign_in, serving, workers=SETUP_WORKERS, timeout=budget)
                    in_parallel(_start_chat, serving, workers=SETUP_WORKERS, timeout=budget)
                    ready_written = n_written
                    ready_chats += n_chats
                    setup = time.perf_counter() - began
                    if not views and n_written:
                        views = exams.exam_views(sessions, written[0].attempt_id)
                    pids = server_pids(target)
                    server_before, client_before = cpu_seconds(pids), time.process_time()
                    wall_before = time.perf_counter()
                    tally, measured = asyncio.run(step_load(
                        target, written[:n_written], serving, views, plans,
                        seconds=options.step_seconds, warmup=options.warmup,
                        seed=options.seed + number))
                    wall = time.perf_counter() - wall_before
                    server_cpu = (cpu_seconds(pids) - server_before) / wall
                    client_cpu = (time.process_time() - client_before) / wall
                    latencies = tally.all_latencies
                    steps.append(Step(
                        n, n_written, n_chats, len(latencies), measured,
                        percentile(latencies, 50), percentile(latencies, 95),
                        {k: (len(v), percentile(v, 95))
                         for k, v in sorted(tally.latencies.items())},
                        tally.errors, server_cpu if pids else math.nan, client_cpu, setup))
                    if not steps[-1].held:
                        break
                saves = exams.check_saves(sessions, written[:ready_written])
                replies_acked = sum(s.acked for t in chats for s in t.sent)
            exceptions = server.exceptions()
    return Report(options, server.description, steps, saves, replies_acked, exceptions)


# -- output -------------------------------------------------------------------------------


def format_report(report: Report) -> str:
    o = report.options
    lines = [
        "classroom: N simultaneous trainees at human cadence, open loop, ramped",
        f"machine: {machine()}",
        f"server: {report.server}",
        f"database: {o.database.describe()}",
        (f"load: 90 % written exam (save every {SAVE_EVERY:g} s, page every {PAGE_EVERY:g} s), "
        f"10 % chat exam (poll every {POLL_EVERY[0]:g}-{POLL_EVERY[1]:g} s, reply every "
        f"{REPLY_EVERY:g} s); steps of {o.step_seconds:g} s, the first {o.warmup:g} s not "
        f"counted; aiohttp on one asyncio loop"),
        "",
        (f"{'N':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} "
        f"{'server CPU':>10} {'client CPU':>10} {'set-up s':>9}  p95 by kind (ms)"),
    ]
    for s in report.steps:
        kinds = ", ".join(f"{k} {fmt(p * 1000, '.0f')}" for k, (_, p) in s.by_kind.items())
        lines.append(
            f"{s.trainees:>6} {s.throughput:>8.1f} {fmt(s.p50 * 1000, '.1f'):>8} "
            f"{fmt(s.p95 * 1000, '.1f'):>8} {sum(s.errors.values()):>7} "
            f"{fmt(s.server_cpu, '.2f'):>10} {fmt(s.client_cpu, '.2f'):>10} "
            f"{s.setup_seconds:>9.1f}  {kinds}")
    lines.append("(CPU in cores: CPU seconds per wall second; server = the gunicorn processes, "
                 "client = this process)")
    lines.append("")
    lines.append(f"largest N held (p95 <= {P95_LIMIT * 1000:.0f} ms, no error): "
                 f"{report.largest_held}")
    sv = report.saves
    lines.append(f"saves: {sv.acknowledged} acknowledged over {sv.answers} answers; "
                 f"lost {len(sv.lost)}, differing {len(sv.differs)}"
                 + (" - OK" if sv.ok else " - FAILED"))
    lines += [f"  {p}" for p in (sv.lost + sv.differs)[:5]]
    lines.append(f"chat replies acknowledged: {report.replies_acked}")
    for s in report.steps:
        lines += [f"error at N={s.trainees}: {n} x {kind}" for kind, n in s.errors.most_common(5)]
    lines += [f"server log: {line} (logged {n} times)"
              for line, n in report.server_exceptions.most_common(5)]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench classroom",
        description="N simultaneous trainees at human cadence (open loop), ramped in steps "
                    "until p95 exceeds 300 ms or a request fails.")
    parser.add_argument("--steps", default=",".join(map(str, DEFAULT_STEPS)),
                        help="trainees per step, rising, comma-separated (default "
                             f"{','.join(map(str, DEFAULT_STEPS))})")
    parser.add_argument("--step-seconds", type=float, default=DEFAULT_STEP_SECONDS,
                        help=f"duration of each step (default {DEFAULT_STEP_SECONDS:g})")
    parser.add_argument("--warmup", type=float, default=DEFAULT_WARMUP,
                        help=f"seconds at the start of each step not counted "
                             f"(default {DEFAULT_WARMUP:g})")
    add_server_arguments(parser)
    parser.add_argument("--seed", type=int, default=2026, help="the schedules' random seed")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        steps = tuple(int(x) for x in args.steps.split(",") if x.strip())
        return Options(steps, args.step_seconds, args.warmup, args.server, args.workers,
                       args.threads, options_from(args), args.seed)
    except ValueError as exc:
        parser.error(str(exc))
        raise


def main(argv: Sequence[str] | None = None) -> int:
    report = run(parse_args(argv))
    print(format_report(report))
    return 1 if report.failed else 0
