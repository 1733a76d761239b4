"""Scoring with evidence: checks, items within 0..max, timeliness from the bands and the
reply rate, response-time statistics, critical violations that fail the attempt."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from portal.chat.files import ChatContent
from portal.chat.scenario import Area, Item, Scenario, Timing, Violation
from portal.chat.scoring import (
    AttemptScore,
    Author,
    CheckOutcome,
    ConversationScore,
    TranscriptMessage,
    score_attempt,
    score_conversation,
    score_reply,
)

T0 = datetime(2026, 11, 11, 20, 0, tzinfo=UTC)


def chat(*lines: tuple[str, float, str, str]) -> list[TranscriptMessage]:
    """(author, seconds, state, text) lines as a transcript."""
    return [TranscriptMessage(seq, Author(author), text, T0 + timedelta(seconds=secs), state)
            for seq, (author, secs, state, text) in enumerate(lines, 1)]


GOOD = chat(
    ("customer", 0, "ask", "你好，我刚拍的四件套能给我发韵达吗？"),
    ("customer", 4, "ask", "我们这边别的快递都送不到家"),
    ("trainee", 20, "ask", "亲，您好，欢迎光临~"),
    ("trainee", 35, "ask", "我们合作的是申通、中通和圆通，您看哪家方便？"),
    ("customer", 40, "explained", "好吧，那就中通吧，谢谢"),
    ("trainee", 60, "explained", "好的亲，祝您生活愉快"),
)


def test_a_good_conversation_earns_every_item_with_evidence(carrier: Scenario,
                                                            sample_chats: ChatContent) -> None:
    result = score_conversation(carrier, GOOD, sample_chats.rules)
    items = {i.item: i.points for i in result.items}
    assert items == {Item.GREETING: 1, Item.NEED: 2, Item.TIMELINESS: 2, Item.ACCURACY: 3,
                     Item.FAREWELL: 1}
    assert result.points == result.max_points == 9
    greets = next(c for c in result.checks if c.check == "greets-first")
    assert greets.outcome is CheckOutcome.AWARDED and greets.seq == 3
    assert [h.text for h in greets.hits] == ["您好", "欢迎光临"]
    assert all(GOOD[2].text[h.start:h.end] == h.text for h in greets.hits)
    promise = next(c for c in result.checks if c.check == "no-unkept-promise")
    assert promise.outcome is CheckOutcome.AVOIDED and promise.points == 0
    assert result.violations == ()
    # From the first unanswered customer message of each turn to the first reply.
    assert result.response.times == (20.0, 20.0)
    slow = score_conversation(carrier, [*GOOD[:5], GOOD[5].__class__(
        6, Author.TRAINEE, "好的亲，祝您生活愉快", T0 + timedelta(seconds=100), "explained")],
        sample_chats.rules).response
    assert (slow.first, slow.mean, slow.slowest) == (20, 40, 60)
    assert result.response.reply_rate == 1


def test_a_false_promise_deducts_and_fails_with_its_reason(carrier: Scenario,
                                                           sample_chats: ChatContent) -> None:
    transcript = chat(
        ("customer", 0, "ask", "能给我发韵达吗？"),
        ("trainee", 10, "ask", "亲~可以給您發韻達的"),
        ("customer", 13, "promised", "好的，那我等韵达，谢谢~"),
    )
    result = score_conversation(carrier, transcript, sample_chats.rules)
    items = {i.item: i.points for i in result.items}
    assert items[Item.ACCURACY] == 0  # 3 - 3, never below 0
    assert items[Item.GREETING] == 0 and items[Item.FAREWELL] == 0
    missed = next(c for c in result.checks if c.check == "greets-first")
    assert missed.outcome is CheckOutcome.MISSED and missed.tip and missed.example
    (violation,) = result.violations
    assert violation.id is Violation.FALSE_PROMISE and violation.seq == 2
    assert violation.hits[0].text == "發韻達" and violation.reason == Violation.FALSE_PROMISE.reason
    attempt = score_attempt([result], pass_mark=10)
    assert attempt.passed is False and attempt.fail_reason == violation.reason


def test_items_outside_the_rubric_are_left_out_of_the_maximum(carrier: Scenario,
                                                              sample_chats: ChatContent) -> None:
    result = score_conversation(carrier, GOOD, sample_chats.rules)
    assert {i.item for i in result.items} == set(carrier.rubric)
    assert Item.BARGAINING not in {i.item for i in result.items}
    assert result.max_points == carrier.max_points == 9


def test_timeliness_follows_the_bands_and_the_reply_rate(carrier: Scenario,
                                                         sample_chats: ChatContent) -> None:
    def timeliness(reply_after: float | None) -> float:
        lines = [("customer", 0.0, "ask", "能发韵达吗？")]
        if reply_after is not None:
            lines.append(("trainee", reply_after, "ask", "亲，我们发申通中通圆通"))
            lines.append(("customer", reply_after + 5, "explained", "好吧"))
        result = score_conversation(carrier, chat(*lines), sample_chats.rules)
        return next(i.points for i in result.items if i.item is Item.TIMELINESS)

    assert timeliness(25) == 2  # good
    assert timeliness(55) == 1.2  # normal: 60 %
    assert timeliness(80) == 0.6  # between: 30 %
    assert timeliness(120) == 0  # poor
    assert timeliness(None) == 0  # never answered: reply rate 0
    result = score_conversation(carrier, chat(("customer", 0, "ask", "在吗"),
                                              ("trainee", 10, "ask", "在的亲"),
                                              ("customer", 20, "ask", "能发韵达吗"),
                                              ("customer", 80, "ask", "在吗？")), sample_chats.rules)
    assert result.response.turns == 2 and result.response.answered == 1
    assert result.response.reply_rate == 0.5
    assert next(i.points for i in result.items if i.item is Item.TIMELINESS) == 1


def test_the_bands_are_configurable() -> None:
    timing = Timing(good=10, normal=20, poor=40)
    assert [timing.credit(s) for s in (10, 11, 20, 39, 40)] == [1, 0.6, 0.6, 0.3, 0]


def test_an_unanswered_closing_message_is_not_required(carrier: Scenario,
                                                       sample_chats: ChatContent) -> None:
    transcript = GOOD[:-1]
    result = score_conversation(carrier, transcript, sample_chats.rules)
    assert result.response.turns == 1 and result.response.reply_rate == 1
    farewell = next(c for c in result.checks if c.check == "says-goodbye")
    assert farewell.outcome is CheckOutcome.MISSED


def test_score_reply_on_one_reply(carrier: Scenario, sample_chats: ChatContent) -> None:
    result = score_reply(carrier, "ask", "亲，您好，韵达我们发不了哦，可以发中通", sample_chats.rules)
    assert result.critical == ()
    assert result.items == {Item.GREETING: 1, Item.ACCURACY: 0, Item.NEED: 2, Item.FAREWELL: 0}
    later = score_reply(carrier, "ask", "亲，您好", sample_chats.rules, first=False)
    assert "greets-first" not in {c.check for c in later.checks}
    elsewhere = score_reply(carrier, "explained", "申通可以的", sample_chats.rules)
    assert "offers-carriers" not in {c.check for c in elsewhere.checks}  # scoped to ask states
    rude = score_reply(carrier, "ask", "爱买不买", sample_chats.rules)
    assert rude.critical == (Violation.RUDE,)
    payment = score_reply(carrier, "ask", "亲可以加个vx转账哦", sample_chats.rules)
    assert payment.critical == (Violation.OFF_PLATFORM_PAYMENT,)
    data = json.loads(json.dumps(rude.as_output(), ensure_ascii=False))
    assert set(data) == {"critical", "items", "checks"} and data["critical"] == ["rude"]


def test_a_critical_rule_with_its_own_message(sample_chats: ChatContent) -> None:
    scenario = sample_chats.scenario("price-plus-one")
    assert scenario is not None
    result = score_reply(scenario, "ask", "好的亲，给您改价", sample_chats.rules)
    assert result.violations[0].reason == "答应了把价格改高。"
    assert score_reply(scenario, "ask", "亲，不能改价哦", sample_chats.rules).critical == ()


def test_the_attempt_adds_the_customers_up_out_of_100(carrier: Scenario,
                                                     sample_chats: ChatContent) -> None:
    price = sample_chats.scenario("price-plus-one")
    assert price is not None
    good = score_conversation(carrier, GOOD, sample_chats.rules)
    refused = score_conversation(price, chat(("customer", 0, "ask", "帮我改高一块钱"),
                                             ("trainee", 70, "ask", "亲，价格不能改高哦"),
                                             ("customer", 72, "refused", "那算了吧")),
                                 sample_chats.rules)
    attempt = score_attempt([good, refused], pass_mark=70)
    # 9/9 + bargaining 2/2 + timeliness 0.3/1
    assert attempt.score == round(100 * 11.3 / 12, 2) and attempt.passed is True
    assert [i.item for i in attempt.items] == [Item.GREETING, Item.NEED, Item.TIMELINESS,
                                               Item.ACCURACY, Item.BARGAINING, Item.FAREWELL]
    drill = sample_chats.drill("peak")
    assert drill is not None
    assert attempt.area_scores(drill.areas) == {Area.PRE_SALES: 100.0, Area.AFTER_SALES: 100.0}
    stored = json.loads(json.dumps(attempt.to_data(), ensure_ascii=False))
    assert AttemptScore.from_data(stored) == attempt
    assert ConversationScore.from_data(stored["conversations"][0]) == good
    assert score_attempt([good]).passed is None
