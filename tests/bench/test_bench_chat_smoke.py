"""The chat benchmark runs end to end, checks what it claims to check, and returns numbers
(no timing thresholds)."""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from bench import chat
from bench.support import Browser, Target, gunicorn_available
from portal.chat import engine
from tests.postgres_support import unavailable


def test_each_reply_plan_walks_its_shipped_customer_to_a_satisfied_ending() -> None:
    """Sent back to back (as the benchmark sends them), the plan's replies take the script's
    routes, never its fallback, and end the conversation well; so the conversation keeps
    taking replies for the farewell window instead of closing on a customer who left."""
    content = chat.load_chats()
    plans = chat.reply_plans(content)
    drill = content.drill(chat.DRILL_KEY)
    assert drill is not None and len(plans) == 2
    for slot, plan in plans.items():
        scenario = content.scenario(drill.customers[slot].scenario)
        assert scenario is not None
        at = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
        conv = engine.open_conversation(scenario, arrives_at=at).conversation
        since: list[str] = []
        for text in plan:
            at += timedelta(seconds=1)
            since.append(text)
            step = engine.on_reply(scenario, conv, since, now=at)
            assert step.route is not None and step.route.kind is engine.RouteKind.ROUTE, (
                scenario.key, text, conv.state)
            conv = step.conversation
            since = []
            if conv.ended:
                break
        assert conv.ended and conv.ending is not None and conv.ending.value == "satisfied", (
            scenario.key, conv.state)


def test_replies_take_turns_and_repeat_the_goodbye() -> None:
    trainee = chat.Trainee("t", 1, Browser(Target("127.0.0.1", 1)))
    plans = {0: ("a", "b"), 1: ("x",)}
    picked = []
    for _ in range(6):
        slot, text = chat.next_reply(trainee, plans)
        trainee.sent.append(chat.Sent(slot, text, acked=True))
        picked.append((slot, text))
    assert picked == [(0, "a"), (1, "x"), (0, "b"), (1, "x"), (0, "b"), (1, "x")]


def test_a_lost_duplicated_or_reordered_reply_is_reported() -> None:
    sent = {1: [chat.Sent(0, "a", True), chat.Sent(1, "b", True), chat.Sent(0, "a", True)],
            2: [chat.Sent(0, "c", True), chat.Sent(0, "d", False)]}
    good = chat.compare_replies(sent, {1: [(0, "a"), (1, "b"), (0, "a")], 2: [(0, "c")]})
    assert good.ok and (good.posted, good.acknowledged, good.stored) == (5, 4, 4)
    # The unacknowledged reply may have landed: that is no loss and no duplicate.
    assert chat.compare_replies(sent, {1: [(0, "a"), (1, "b"), (0, "a")],
                                       2: [(0, "c"), (0, "d")]}).ok
    lost = chat.compare_replies(sent, {1: [(0, "a"), (1, "b")], 2: [(0, "c")]})
    assert not lost.ok and lost.lost == ["attempt 1 customer 0: 2 acknowledged 'a', 1 stored"]
    twice = chat.compare_replies(sent, {1: [(0, "a"), (1, "b"), (0, "a")],
                                        2: [(0, "c"), (0, "c")]})
    assert not twice.ok and len(twice.duplicated) == 1 and not twice.lost
    moved = chat.compare_replies(sent, {1: [(1, "b"), (0, "a"), (0, "a")], 2: [(0, "c")]})
    assert not moved.ok and moved.out_of_order == ["attempt 1: stored in another order"]
    elsewhere = chat.compare_replies(sent, {1: [(1, "a"), (1, "b"), (0, "a")], 2: [(0, "c")]})
    assert elsewhere.lost and elsewhere.duplicated


def test_a_poll_that_changed_anything_is_reported() -> None:
    when = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
    before = chat.Snapshot({1: 3, 2: 4}, {1: 3, 2: 3}, 9, when)
    assert chat.compare_snapshots(before, before) == []
    after = chat.Snapshot({1: 3, 2: 5}, {1: 3, 2: 4}, 10, when)
    assert chat.compare_snapshots(before, after) == [
        "attempt 2: last seq 4 -> 5", "attempt 2: delivered messages 3 -> 4", "messages 9 -> 10"]
    late = chat.PollCheck(2, quiet_until=when, ended_at=when + timedelta(seconds=1), changed=[])
    assert not late.ok  # polls after something fell due prove nothing


def test_the_poller_url_is_read_from_the_console() -> None:
    body = (b'<div id="chat-poller" hx-get="/chat/attempts/7/poll?c=1&amp;seen=12" '
            b'hx-trigger="every 1.5s">')
    assert chat.poller_path(body) == "/chat/attempts/7/poll?c=1&seen=12"
    trainee = chat.Trainee("t", 1, Browser(Target("127.0.0.1", 1)), poll_path="/p?c=1&seen=12")
    assert trainee.seen == 12
    assert chat.poller_path(b"<p>no poller</p>") is None


def test_the_command_line_refuses_unbounded_or_empty_runs() -> None:
    for args in (["--trainees", "0"], ["--trainees", "100000"], ["--seconds", "0"],
                 ["--seconds", "60"], ["--passes", "0"], ["--warmup", "-1"],
                 ["--workers", "0"]):
        with pytest.raises(SystemExit):
            chat.parse_args(args)
    assert chat.parse_args(["--trainees", "20", "--seconds", "5"]).trainees == 20


def test_a_tiny_run_polls_empty_replies_scores_and_loses_nothing() -> None:
    if not gunicorn_available():
        # gunicorn is a dependency of the portal: without it the install is broken.
        unavailable("gunicorn is not importable (pip install -e '.[test]') or this is not POSIX")
    report = chat.run(chat.Options(trainees=3, seconds=0.3, warmup=1, passes=1,
                                   server="gunicorn"))

    for result in report.results:
        assert result.ok > 0, f"{result.endpoint.name}: no successful response {result.errors}"
        assert result.error_count == 0, f"{result.endpoint.name}: {result.errors}"
        assert result.elapsed > 0 and result.throughput > 0
        assert 0 < result.p50 <= result.p95
    assert report.customers == 2

    assert report.poll_check.ok and report.poll_check.attempts == 3
    assert report.poll_check.quiet_until > report.poll_check.ended_at
    rc = report.reply_check
    assert rc.ok and not rc.lost and rc.acknowledged == rc.posted == rc.stored
    assert rc.acknowledged >= report.reply.ok + 3  # the measured replies and one warm-up each

    sc = report.scoring
    assert sc.replies >= 200 and len(sc.score_times) == len(sc.regex_times) == sc.replies
    assert all(t > 0 for t in sc.score_times) and all(t > 0 for t in sc.regex_times)
    assert sc.critical > 0  # the labelled set has violating replies

    assert not report.failed
    for r in report.ratios:
        assert math.isfinite(r.throughput) and r.throughput > 0
        assert math.isfinite(r.p95) and r.p95 > 0
    text = chat.format_report(report)
    assert "reply/bare" in text and "empty-poll/bare" in text and "lost replies: 0" in text
    assert "score_reply/re.search" in text
