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
import math
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import escape

from bench.databases import DatabaseOptions, add_arguments, bench_database, options_from
from bench.support import (
    MAX_SECONDS,
    Endpoint,
    EndpointResult,
    Instance,
    Ratio,
    ServerOptions,
    add_server_arguments,
    combine,
    database,
    final_exceptions,
    fmt,
    gunicorn_available,
    machine,
    measure,
    new_instance,
    percentile,
    problem_lines,
    ratios,
    serve,
    sign_in,
)
from portal.config import PROJECT_ROOT

# Re-exported: the smoke test and older callers use them from here.
__all__ = ["Endpoint", "EndpointResult", "Options", "Ratio", "Report", "combine",
           "final_exceptions", "format_report", "gunicorn_available", "main", "parse_args",
           "percentile", "ratios", "run"]

DEMO_TRAINEE = "demo-trainee"
TRACK_KEY = "new-hire"
MODULE_KEY = "company-culture"

DEFAULT_CONCURRENCY = 16
DEFAULT_SECONDS = 5.0


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
    database: DatabaseOptions = field(default_factory=DatabaseOptions)

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
        ServerOptions(self.server, self.workers, self.threads)  # checks those three

    @property
    def server_options(self) -> ServerOptions:
        return ServerOptions(self.server, self.workers, self.threads)


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


# -- the instance -------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseInstance(Instance):
    endpoints: list[Endpoint]


def prepare_instance(folder: Path, database_url: str | None = None) -> CourseInstance:
    """A fresh database at head (SQLite in `folder` by default) with the courses imported and
    the demo data loaded."""
    from portal.content.loader import load_content
    from portal.courses.services import import_content
    from portal.db import utcnow
    from portal.demo import load_demo_data

    base = new_instance(folder, database_url)
    content = load_content(PROJECT_ROOT / "courses")
    if content.problems:
        raise RuntimeError("courses/ has problems: " + "; ".join(map(str, content.problems)))
    with database(base) as sessions, sessions() as session:
        import_content(session, content=content, actor_id=None, now=utcnow())
        load_demo_data(session, now=utcnow())
        session.commit()
    track = next(t for t in content.tracks if t.key == TRACK_KEY)
    module = next(m for m in track.modules if m.key == MODULE_KEY)
    endpoints = [
        Endpoint("bare", "/healthz", b"ok"),
        Endpoint("track", "/", _html(track.title)),
        Endpoint("module", f"/tracks/{TRACK_KEY}/modules/{MODULE_KEY}", _html(module.title)),
    ]
    return CourseInstance(base.folder, base.database_url, base.secret_key, endpoints)


def _html(text: str) -> bytes:
    return str(escape(text)).encode()


def run(options: Options) -> Report:
    """The whole benchmark: instance, server, sign-in, each endpoint in turn, ratios."""
    from portal.demo import DEMO_PASSWORD

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp, \
            bench_database(options.database, Path(tmp)) as databases:
        instance = prepare_instance(Path(tmp), databases.new_database())
        with serve(instance, options.server_options) as server:
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


def format_report(report: Report) -> str:
    o = report.options
    limit = f"{o.seconds:g} s" + (f" or {o.max_requests} requests" if o.max_requests else "")
    rounds = f" (in {o.rounds} interleaved rounds)" if o.rounds > 1 else ""
    clients = (f"{o.concurrency} concurrent keep-alive clients (threads in one process), "
               f"{limit} per endpoint{rounds}, signed in as {DEMO_TRAINEE}")
    header = (f"{'endpoint':<8} {'path':<42} {'ok':>7} {'errors':>6} {'req/s':>8} "
              f"{'p50 ms':>8} {'p95 ms':>8}")
    lines = [
        "Course pages under concurrent load (python -m bench courses)",
        f"server:  {report.server} on loopback, demo data",
        f"database: {o.database.describe()}",
        f"clients: {clients}",
        f"machine: {machine()}",
        "",
        header,
    ]
    for r in report.results:
        lines.append(
            f"{r.endpoint.name:<8} {r.endpoint.path:<42} {r.ok:>7} {r.error_count:>6} "
            f"{fmt(r.throughput, '.1f'):>8} {fmt(r.p50 * 1000, '.1f'):>8} "
            f"{fmt(r.p95 * 1000, '.1f'):>8}")
    lines.append("")
    lines.append("ratios to the bare endpoint, same run "
                 "(throughput: 1.00 = as fast as /healthz; p95: 1.00 = as quick):")
    for ratio in report.ratios:
        lines.append(f"  {ratio.name:<12} throughput {fmt(ratio.throughput, '.2f'):>6}"
                     f"    p95 latency {fmt(ratio.p95, '.2f'):>6}x")
    lines += problem_lines(report.results, report.server_exceptions)
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
    add_server_arguments(parser)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return Options(concurrency=args.concurrency, seconds=args.seconds,
                       max_requests=args.max_requests, rounds=args.rounds, warmup=args.warmup,
                       server=args.server,
                       workers=args.workers, threads=args.threads,
                       database=options_from(args))
    except ValueError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print; the exit status is 1 if any response was an error."""
    report = run(parse_args(argv))
    print(format_report(report))
    return 1 if report.error_count else 0
