"""The faults benchmark, tiny: kill -9 of the whole server and a restart, a killed worker, a
PostgreSQL restart, a short soak; every check it prints must pass (no timing thresholds)."""
from __future__ import annotations

import os

import pytest

from bench import __main__ as bench_cli
from bench import faults
from bench.databases import PG_BIN
from bench.support import gunicorn_available
from tests.postgres_support import IN_CI, POSTGRES_URL_VAR, unavailable

TINY = {"trainees": 4, "interval": 1.0, "think": 0.02}


def _needs_gunicorn() -> None:
    if not gunicorn_available():
        unavailable("gunicorn is not importable (pip install -e '.[test]') or this is not POSIX")


def _run(options: faults.Options) -> list[faults.Outcome]:
    outcomes = faults.run(options)
    report = faults.format_report(options, outcomes)
    print(report)
    for outcome in outcomes:
        assert outcome.ok, report
        assert outcome.after is not None and outcome.after.saves.acknowledged > 0, report
    return outcomes


def test_kill_9_of_the_whole_server_loses_no_acknowledged_save() -> None:
    _needs_gunicorn()
    [outcome] = _run(faults.Options(scenarios=("restart",), kills=1, **TINY))
    assert outcome.after is not None
    assert outcome.after.resumed == 4 and outcome.after.submitted.once == 4
    assert any("kill -9 #1" in event for event in outcome.events)


def test_a_killed_worker_leaves_the_others_serving_and_a_soak_reports_its_memory() -> None:
    _needs_gunicorn()
    worker, soak = _run(faults.Options(scenarios=("worker", "soak"), soak_seconds=2.0,
                                       samples=2, **TINY))
    assert any("kill -9 of worker" in event for event in worker.events)
    assert len(soak.rss) == 2 and all(len(values) == 2 for _, values in soak.rss)
    assert soak.tally is not None and not soak.tally.failed_requests


def test_a_postgresql_restart_is_503_with_retry_after_and_the_pool_reconnects() -> None:
    if not (os.environ.get(POSTGRES_URL_VAR) or IN_CI):
        pytest.skip(f"{POSTGRES_URL_VAR} is not set and CI is not true")
    if not (PG_BIN / "initdb").exists():
        unavailable(f"{PG_BIN / 'initdb'} is missing (apt-get install postgresql)")
    _needs_gunicorn()
    [outcome] = _run(faults.Options(scenarios=("postgres",), outage_seconds=1.0, **TINY))
    assert outcome.tally is not None and outcome.tally.of_status("503") > 0
    assert outcome.tally.server_errors == 0


def test_what_the_clients_saw_is_classified_as_the_checks_read_it() -> None:
    tally = faults.Tally()
    for what in ("save 503", "page 503", "save 500", "save ConnectionRefusedError",
                 "page 502", "save 503-without-Retry-After"):
        tally.count(what)
    tally.ack()
    assert tally.of_status("503") == 2
    assert tally.server_errors == 2  # the 500 and the 502, never a 503
    assert tally.connection_errors == 2  # refused, and a 503 the page could not trust
    assert tally.failed_requests == 6


def test_growth_is_per_worker_from_the_first_sample_to_the_last() -> None:
    samples = [(0.0, [100.0, 120.0]), (5.0, [140.0, 121.0]), (10.0, [101.5, 119.0])]
    assert faults.soak_growth(samples) == [1.5, -1.0]
    assert faults.soak_growth(samples[:1]) == []


def test_options_are_checked_and_faults_is_not_in_the_default_run() -> None:
    assert "faults" not in bench_cli.QUICK and "faults" in bench_cli.BENCHMARKS
    with pytest.raises(ValueError):
        faults.Options(scenarios=("restart", "meteor"))
    with pytest.raises(ValueError):
        faults.Options(scenarios=("worker",), workers=1)
    with pytest.raises(SystemExit):
        faults.parse_args(["--trainees", "0"])
    assert faults.parse_args(["--scenarios", "restart,soak", "--soak-seconds", "60"]) == \
        faults.Options(scenarios=("restart", "soak"), soak_seconds=60.0)
