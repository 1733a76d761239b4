"""The course-pages benchmark runs end to end and returns numbers (no timing thresholds)."""
from __future__ import annotations

import math
from collections import Counter

import pytest

from bench import courses
from bench.__main__ import main as bench_main
from tests.postgres_support import unavailable


def _result(name: str, ok: int, elapsed: float, latencies: list[float]) -> courses.EndpointResult:
    return courses.EndpointResult(courses.Endpoint(name, f"/{name}", b""), ok, Counter(), elapsed,
                                  latencies)


def test_percentile_is_the_nearest_rank() -> None:
    values = [0.5, 0.1, 0.4, 0.2, 0.3]
    assert courses.percentile(values, 50) == 0.3
    assert courses.percentile(values, 95) == 0.5
    assert math.isnan(courses.percentile([], 50))


def test_ratios_divide_each_page_by_the_bare_endpoint() -> None:
    bare = _result("bare", 100, 1.0, [0.01] * 100)
    track = _result("track", 25, 1.0, [0.04] * 25)
    (ratio,) = courses.ratios([bare, track])
    assert ratio.name == "track/bare"
    assert ratio.throughput == pytest.approx(0.25)
    assert ratio.p95 == pytest.approx(4.0)


def test_rounds_of_one_endpoint_add_up() -> None:
    first = _result("track", 10, 0.5, [0.02] * 10)
    second = courses.EndpointResult(first.endpoint, 30, Counter({"HTTP 500": 2}), 1.5,
                                    [0.04] * 30)
    combined = courses.combine([first, second])
    assert (combined.ok, combined.error_count, combined.elapsed) == (40, 2, 2.0)
    assert combined.throughput == pytest.approx(20.0)
    assert combined.p95 == pytest.approx(0.04)


def test_a_page_with_no_successful_response_has_no_ratio() -> None:
    (ratio,) = courses.ratios([_result("bare", 10, 1.0, [0.01] * 10),
                               _result("module", 0, 1.0, [])])
    assert ratio.throughput == 0.0
    assert math.isnan(ratio.p95)


def test_the_command_line_refuses_unbounded_or_empty_runs(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--concurrency", "0"], ["--seconds", "0"], ["--seconds", "1000"],
                 ["--rounds", "0"]):
        with pytest.raises(SystemExit):
            courses.parse_args(args)
    assert bench_main(["nonesuch"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err


def test_only_the_last_exception_of_a_chained_traceback_is_counted() -> None:
    log = (
        "Traceback (most recent call last):\n"
        "sqlite3.OperationalError: database is locked\n\n"
        "The above exception was the direct cause of the following exception:\n\n"
        "Traceback (most recent call last):\n"
        "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked\n"
    )
    assert courses.final_exceptions(log) == Counter(
        {"sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked": 1})


@pytest.mark.parametrize("server", ["gunicorn", "werkzeug"])
def test_a_tiny_run_measures_every_endpoint_and_prints_positive_ratios(server: str) -> None:
    if server == "gunicorn" and not courses.gunicorn_available():
        # gunicorn is a dependency of the portal: without it the install is broken.
        unavailable("gunicorn is not importable (pip install -e '.[test]') or this is not POSIX")
    report = courses.run(courses.Options(concurrency=2, seconds=0.3, warmup=1, server=server))

    by_name = {r.endpoint.name: r for r in report.results}
    assert list(by_name) == ["bare", "track", "module"]
    for result in report.results:
        assert result.ok > 0, f"{result.endpoint.path}: no successful response {result.errors}"
        assert result.elapsed > 0 and result.throughput > 0
        assert 0 < result.p50 <= result.p95
    # Pages that only read must never fail, whatever the load.
    assert by_name["bare"].error_count == 0
    assert by_name["track"].error_count == 0

    assert [r.name for r in report.ratios] == ["track/bare", "module/bare"]
    for ratio in report.ratios:
        assert math.isfinite(ratio.throughput) and ratio.throughput > 0
        assert math.isfinite(ratio.p95) and ratio.p95 > 0

    text = courses.format_report(report)
    assert "track/bare" in text and "module/bare" in text
    assert "/tracks/new-hire/modules/company-culture" in text
