"""The scenario player's replay and the matcher tester's explanation, as pure functions."""
from __future__ import annotations

from functools import cache

import pytest

from portal.chat import files
from portal.chat.engine import RouteKind
from portal.chat.files import ChatContent
from portal.chat.player import PlayedReply, PlayerInvalid, Speaker, advance_clock, play
from portal.chat.scenario import (
    AnyOf,
    Ending,
    FuzzyMatcher,
    Item,
    NotMatcher,
    PhraseMatcher,
    Ref,
    RegexMatcher,
)
from portal.chat.tester import HitFate, SegmentKind, explain
from tests.chat import chat_web_fixtures, staff_fixtures


@cache
def _content() -> ChatContent:
    content = files.load_folder(chat_web_fixtures.CHATS)
    assert not content.problems
    return content


def _yunda():  # type: ignore[no-untyped-def]
    scenario = _content().scenario("yunda")
    assert scenario is not None
    return scenario


def _play(replies: list[tuple[float, str]], clock: float):  # type: ignore[no-untyped-def]
    return play(_yunda(), _content().rules, [PlayedReply(at, text) for at, text in replies],
                clock=clock)


def test_the_customer_speaks_on_the_script_s_timing() -> None:
    start = _play([], 0)
    assert [(line.speaker, line.text, line.at) for line in start.lines] == [
        (Speaker.CUSTOMER, "你好，能给我发韵达吗？", 0.0)]
    assert (start.pending, start.next_at, start.wait_seconds) == (1, 4.0, 4.0)
    later = _play([], 4)
    assert [line.text for line in later.lines][-1] == "别的快递都送不到家"
    assert later.next_at == 64.0  # the nudge, 60 s after the customer's last message


def test_a_reply_takes_a_route_with_its_evidence_in_the_reply() -> None:
    played = _play([(10, staff_fixtures.GOOD)], 10)
    reply = played.lines[-1]
    assert reply.speaker is Speaker.TRAINER and reply.response_seconds == 10.0
    assert reply.route is not None and reply.route.kind is RouteKind.ROUTE
    assert (reply.route.from_state, reply.route.goto, reply.route.index) == ("ask", "explained", 1)
    assert [staff_fixtures.GOOD[h.start:h.end] for h in reply.route.hits] == ["申通", "中通",
                                                                             "圆通"]
    assert played.pending == 1 and not played.ended
    ended = _play([(10, staff_fixtures.GOOD)], 15)
    assert ended.ended and ended.ending is Ending.SATISFIED and ended.next_at is None
    assert {i.item: i.points for i in ended.score.items} == {
        Item.GREETING: 1, Item.TIMELINESS: 2, Item.ACCURACY: 3}


def test_replies_are_read_together_until_the_customer_speaks_and_the_fallback_fires() -> None:
    played = _play([(5, "亲"), (6, "在的"), (7, "稍等哦")], 7)
    assert [line.unmatched for line in played.lines if line.speaker is Speaker.TRAINER] == [
        True, True, False]
    third = played.lines[-1]
    assert third.route is not None and third.route.kind is RouteKind.FALLBACK
    assert third.route.goto == "explained" and third.route.hits == ()
    # Evidence of a route that read two replies is shown in the reply that completed it.
    joined = _play([(5, "亲您好"), (6, "给您韵达可以的")], 6)
    route = joined.lines[-1].route
    assert route is not None and route.replies_read == 2 and route.goto == "promised"
    assert [(h.start, h.end) for h in route.hits] == [(0, 4)]


def test_a_critical_violation_is_scored_with_its_evidence() -> None:
    played = _play([(3, staff_fixtures.PROMISE)], 3)
    (violation,) = played.score.violations
    assert violation.id.value == "false_promise" and violation.seq == played.lines[-1].seq


@pytest.mark.parametrize(("replies", "clock"), [
    ([(5, "早到的回复")], 4),  # after the clock
    ([(5, "后"), (4, "前")], 6),  # out of order
    ([(1, " ")], 2),  # empty
    ([(1, "长" * 1001)], 2),
    ([], -1), ([], float("nan")), ([], 10 ** 9),
])
def test_a_play_no_page_could_send_is_refused(replies: list[tuple[float, str]],
                                              clock: float) -> None:
    with pytest.raises(PlayerInvalid):
        _play(replies, clock)


def test_no_reply_after_the_customer_has_ended() -> None:
    with pytest.raises(PlayerInvalid, match="买家已经结束了会话"):
        _play([(3, staff_fixtures.GOOD), (30, "还有别的问题吗")], 30)


def test_the_play_s_clock_follows_the_server_within_limits() -> None:
    assert advance_clock(10, rendered_at=1000.0, now=1004.5) == 14.5
    assert advance_clock(10, rendered_at=1000.0, now=900.0) == 10  # never backwards
    assert advance_clock(10, rendered_at=0.0, now=10 ** 6) == 3610  # at most an hour
    assert advance_clock(10, rendered_at=float("nan"), now=5.0) == 10


# --- the matcher tester ---------------------------------------------------------------------


def _explain(name: str, sample: str):  # type: ignore[no-untyped-def]
    return explain(name, Ref(name), sample, _yunda().matchers)


def test_a_match_is_highlighted_on_the_original_text() -> None:
    report = _explain("promise-yunda", "ＯＫ的亲，給您韻達~")
    assert report.matched and not report.flipped
    assert [(s.text, s.kind) for s in report.segments] == [
        ("ＯＫ的亲，", SegmentKind.PLAIN), ("給您韻達", SegmentKind.MATCH), ("~", SegmentKind.PLAIN)]
    (leaf,) = report.leaves
    assert leaf.path == ("promise-yunda",) and leaf.form == "phrases" and leaf.matched
    assert [(h.text, h.fate, h.clause) for h in leaf.hits] == [
        ("給您韻達", HitFate.COUNTS, "給您韻達")]


def test_a_negation_cue_that_flips_a_phrase_is_named() -> None:
    report = _explain("promise-yunda", "亲，没法给您韵达哦，可以发中通")
    assert not report.matched and report.flipped
    (hit,) = report.leaves[0].hits
    assert (hit.text, hit.fate, hit.cues, hit.clause) == (
        "给您韵达", HitFate.NEGATED, ("没法",), "没法给您韵达哦")
    assert report.clauses == ("亲", "没法给您韵达哦", "可以发中通")
    assert [s.kind for s in report.segments if s.text == "给您韵达"] == [SegmentKind.BLOCKED]


def test_composite_matchers_are_explained_leaf_by_leaf() -> None:
    registry = {
        "hello": PhraseMatcher(phrases=("您好",)),
        "warm": FuzzyMatcher(examples=("亲，您好，欢迎光临",), threshold=90),
        "greets": AnyOf(matchers=(Ref("hello"), Ref("warm"))),
        "silent": NotMatcher(matcher=Ref("hello")),
        "wechat": RegexMatcher(pattern="加(个)?微信", exclude=("不要加",)),
    }
    report = explain("greets", Ref("greets"), "亲，您好呀", registry)
    assert report.matched
    assert [(leaf.path, leaf.form, leaf.matched) for leaf in report.leaves] == [
        (("greets", "hello"), "phrases", True), (("greets", "warm"), "examples", False)]
    warm = report.leaves[1]
    assert warm.threshold == 90 and warm.best_score is not None and warm.best_score < 90
    inverted = explain("silent", Ref("silent"), "亲，您好呀", registry)
    assert not inverted.matched and inverted.leaves[0].inverted
    excluded = explain("wechat", Ref("wechat"), "不要加微信哦", registry)
    assert not excluded.matched
    assert [h.fate for h in excluded.leaves[0].hits] == [HitFate.EXCLUDED]
    assert excluded.leaves[0].exclude == ("不要加",)


def test_a_matcher_summary_reads_as_its_phrases_and_a_state_as_its_line(
        sample_chats: ChatContent) -> None:
    from portal.chat.player import state_label
    from portal.chat.scenario import AllOf, NotMatcher, PhraseMatcher, Ref, RegexMatcher
    from portal.chat.tester import SummaryWords, summary

    words = SummaryWords()
    registry = {"carriers": PhraseMatcher(phrases=("申通", "中通", "圆通", "韵达")),
                "loop": Ref("loop")}
    assert summary(Ref("carriers"), registry, words) == "「申通」「中通」「圆通」等 4 种说法"
    both = AllOf(matchers=(PhraseMatcher(phrases=("亲",)), NotMatcher(Ref("carriers"))))
    assert summary(both, registry, words) == "「亲」 且 不含 「申通」「中通」「圆通」等 4 种说法"
    assert summary(Ref("loop"), registry, words) == "…"  # a cycle ends, it does not recurse
    # Patterns differ by what they look for: the pattern, shortened, tells them apart.
    assert summary(RegexMatcher(pattern="(给您|帮您)(改|调)(价|价格)"), registry, words) == (
        "符合规则式「(给您|帮您)(改|调)(价|价格)」")
    carrier = sample_chats.scenario("carrier-promise")
    assert carrier is not None
    start = carrier.states[carrier.start]
    assert state_label(carrier, carrier.start) == start.say[0].text[:14] + (
        "…" if len(start.say[0].text) > 14 else "")
    assert state_label(carrier, "no-such-state") == ""
