"""A tiny classroom run (a few trainees, one short step) on SQLite, and on PostgreSQL when
PORTAL_TEST_POSTGRES_URL is given: the checks pass and the numbers are there. No timing."""
from __future__ import annotations

import math
import os

import pytest

from bench import classroom
from bench.databases import DatabaseOptions
from tests.postgres_support import fresh_postgres_schema

pytest.importorskip("aiohttp")


def _run(database: DatabaseOptions) -> classroom.Report:
    options = classroom.Options(steps=(12,), step_seconds=4, warmup=1, workers=1, threads=4,
                                database=database)
    return classroom.run(options)


def _check(report: classroom.Report) -> None:
    assert len(report.steps) == 1
    step = report.steps[0]
    assert (step.trainees, step.written, step.chats) == (12, 11, 1)
    assert step.requests > 0 and step.throughput > 0
    assert step.p50 > 0 and step.p95 >= step.p50
    assert "save" in step.by_kind and "poll" in step.by_kind
    assert not step.errors, step.errors
    assert step.client_cpu >= 0
    assert math.isnan(step.server_cpu) or step.server_cpu >= 0
    assert report.saves.ok and report.saves.acknowledged > 0
    assert not report.failed
    text = classroom.format_report(report)
    assert "largest N held" in text and "lost 0" in text


def test_classroom_on_sqlite() -> None:
    _check(_run(DatabaseOptions("sqlite")))


@pytest.mark.skipif(not os.environ.get("PORTAL_TEST_POSTGRES_URL"),
                    reason="PORTAL_TEST_POSTGRES_URL is not set")
def test_classroom_on_postgres() -> None:
    # A schema of its own: the bench needs an empty database, and the given one is shared.
    with fresh_postgres_schema(os.environ["PORTAL_TEST_POSTGRES_URL"]) as url:
        _check(_run(DatabaseOptions("postgres", url)))


def test_steps_must_rise() -> None:
    with pytest.raises(ValueError):
        classroom.Options(steps=(500, 250))


def test_split_puts_one_in_ten_in_chat() -> None:
    assert classroom.split(1000) == (900, 100)
    assert classroom.split(12) == (11, 1)


def test_a_classroom_trainee_answers_each_customer_up_to_the_goodbye_once() -> None:
    from bench import chat

    plans = {0: ("a1", "a2", "bye"), 1: ("b1", "bye")}
    trainee = chat.Trainee(employee_no="x", user_id=1, browser=None)  # type: ignore[arg-type]
    sent = []
    while (found := classroom.next_reply(trainee, plans)) is not None:
        sent.append(found)
        trainee.sent.append(chat.Sent(*found, acked=True))
    assert sent == [(0, "a1"), (1, "b1"), (0, "a2")]
