"""Matchers: phrases with synonyms and whole words, regexes with exclusions, fuzzy examples,
all/any/not, and negation by clause, with evidence on the original text."""
from __future__ import annotations

import pytest

from portal.chat.matchers import (
    UnknownMatcher,
    clauses,
    evaluate,
    negation_cues,
    regex_problem,
)
from portal.chat.normalize import normalize
from portal.chat.scenario import (
    AllOf,
    AnyOf,
    FuzzyMatcher,
    NotMatcher,
    PhraseMatcher,
    Polarity,
    Ref,
    RegexMatcher,
    Synonym,
)

YUNDA = PhraseMatcher(phrases=("发韵达", "韵达发", "走韵达", "给您韵达"),
                      synonyms=(Synonym("韵达", ("韵达快递",)),))
PRICE = ("改价", "调价", "改价格", "改一下价")
AGREE_PRICE = PhraseMatcher(phrases=PRICE)
REFUSE_PRICE = PhraseMatcher(phrases=PRICE, polarity=Polarity.NEGATED)
TRANSFER = RegexMatcher(pattern="(加|私)(个)?(微信|vx|v信|qq)|转账到|支付宝转",
                        exclude=("不要(加|私)", "平台外"))
APOLOGY = FuzzyMatcher(examples=("亲，非常抱歉让您久等了", "实在不好意思给您添麻烦了"), threshold=75)


@pytest.mark.parametrize("reply", [
    "可以给您发韵达", "亲 可以给您发韵达的~", "好的亲，韵达发货哦", "發不了申通，可以給您發韻達",
    "不好意思久等了，我们可以发韵达", "没问题，给您发韵达", "别的快递不行，发韵达可以",
    "不是不能发韵达哦", "对不起让您久等，走韵达吧",
])
def test_a_promise_is_affirmed(reply: str) -> None:
    assert evaluate(YUNDA, reply, {}) is not None


@pytest.mark.parametrize("reply", [
    "韵达我们发不了哦", "韻達我們發不了哦", "我们这边暂时不发韵达", "亲，发韵达是不可以的",
    "韵达发不到您那边", "没法发韵达哦", "我们不能发韵达，可以发中通",
    "我们合作的是申通中通圆通",
])
def test_a_refusal_is_not_a_promise(reply: str) -> None:
    assert evaluate(YUNDA, reply, {}) is None


def test_contrast_words_end_the_clause() -> None:
    assert evaluate(YUNDA, "申通发不了但是可以给您发韵达", {}) is not None
    assert evaluate(YUNDA, "可以发中通不过发韵达不行", {}) is None


def test_negated_polarity_and_false_cues() -> None:
    assert evaluate(AGREE_PRICE, "不能改价", {}) is None
    assert evaluate(REFUSE_PRICE, "不能改价", {}) is not None
    assert evaluate(AGREE_PRICE, "没问题，可以改价", {}) is not None
    assert evaluate(REFUSE_PRICE, "没问题，可以改价", {}) is None
    assert evaluate(REFUSE_PRICE, "改价是不可以的哦亲", {}) is not None
    assert evaluate(AGREE_PRICE, "能不能改价我问问", {}) is not None  # a question, not a cue
    anyway = PhraseMatcher(phrases=PRICE, polarity=Polarity.ANY)
    assert evaluate(anyway, "不能改价", {}) is not None


def test_a_hit_points_at_the_original_text_and_says_what_matched() -> None:
    typed = "亲~ 可以給您發 韵达快递的"
    found = evaluate(YUNDA, typed, {}, name="promise-yunda")
    assert found is not None and found.matcher == "promise-yunda"
    (hit,) = found.hits
    assert typed[hit.start:hit.end] == hit.text == "發 韵达快递"
    assert hit.rule == "发韵达" and hit.form == "phrases" and not hit.negated
    assert found.spans == ((hit.start, hit.end),)


def test_a_negated_hit_carries_its_cues() -> None:
    found = evaluate(REFUSE_PRICE, "这个价格改不了哦，不能改价", {})
    assert found is not None
    assert [h.cues for h in found.hits] == [("不能",)]


def test_synonyms_and_whole_words() -> None:
    price = PhraseMatcher(phrases=("改价",), synonyms=(Synonym("改价", ("调价", "改价格")),))
    assert evaluate(price, "可以帮您调价", {}) is not None
    carrier = PhraseMatcher(phrases=("中通",), word=True)
    assert evaluate(carrier, "我们发中通", {}) is not None
    assert evaluate(carrier, "集中通知一下", {}) is None  # 中通 inside other words
    assert evaluate(PhraseMatcher(phrases=("中通",)), "集中通知一下", {}) is not None


def test_regex_with_exclusions_case_and_polarity() -> None:
    found = evaluate(TRANSFER, "亲加个VX吧", {})
    assert found is not None and found.hits[0].text == "加个VX"
    assert evaluate(TRANSFER, "亲不要加微信哦", {}) is None
    assert evaluate(TRANSFER, "平台外转账到卡上是不安全的", {}) is None
    negated = RegexMatcher(pattern="退款", polarity=Polarity.NEGATED)
    assert evaluate(negated, "现在没法退款", {}) is not None
    assert evaluate(negated, "马上给您退款", {}) is None


def test_fuzzy_examples_with_a_threshold() -> None:
    found = evaluate(APOLOGY, "亲亲 实在抱歉让您久等啦", {})
    assert found is not None and found.hits[0].score is not None
    assert found.hits[0].score >= 75 and found.hits[0].rule == "亲，非常抱歉让您久等了"
    assert evaluate(APOLOGY, "好", {}) is None  # a short reply is not "inside" an example
    assert evaluate(APOLOGY, "您的快递明天到", {}) is None
    strict = FuzzyMatcher(examples=APOLOGY.examples, threshold=95)
    assert evaluate(strict, "亲亲 实在抱歉让您久等啦", {}) is None


def test_all_any_not_and_refs() -> None:
    registry = {"yunda": YUNDA, "carrier": PhraseMatcher(phrases=("申通", "中通"))}
    offer = AllOf((Ref("carrier"), NotMatcher(Ref("yunda"))))
    assert evaluate(offer, "我们可以发申通", registry) is not None
    assert evaluate(offer, "申通不行，可以给您发韵达", registry) is None
    either = AnyOf((Ref("yunda"), Ref("carrier")))
    found = evaluate(either, "可以发中通", registry, name="either")
    assert found is not None and found.matcher == "either" and found.matched == ("中通",)
    assert evaluate(Ref("yunda"), "可以发韵达", registry).matcher == "yunda"  # type: ignore[union-attr]
    with pytest.raises(UnknownMatcher):
        evaluate(Ref("missing"), "好的", registry)


def test_clause_splitting() -> None:
    norm = normalize("申通发不了，但是可以发韵达 好的")
    parts = [norm.text[a:b] for a, b in clauses(norm)]
    assert parts == ["申通发不了", "可以发韵达", "好的"]


def test_a_space_after_a_number_keeps_it_with_its_unit() -> None:
    norm = normalize("发票开 556 元超过了实付 好的")
    assert [norm.text[a:b] for a, b in clauses(norm)] == ["发票开", "556元超过了实付", "好的"]


def test_the_buyers_complaint_is_not_a_negation() -> None:
    exchange = PhraseMatcher(phrases=("给您换",))
    assert evaluate(exchange, "不合适给您换41码", {}) is not None
    assert evaluate(exchange, "亲，不满意的话给您换一件", {}) is not None
    assert evaluate(exchange, "这个没法给您换", {}) is None


def test_negation_cues_count_each_cue_once() -> None:
    text = "不是不能发"
    assert [text[a:b] for a, b in negation_cues(text, 0, len(text))] == ["不", "不能"]
    text = "不好意思没问题"
    assert negation_cues(text, 0, len(text)) == []


@pytest.mark.parametrize("pattern", ["(a+)+", "(a*)*b", "(\\d+)*", "(a|ab)*", "(a|)+"])
def test_patterns_that_backtrack_catastrophically_are_refused(pattern: str) -> None:
    assert regex_problem(pattern) is not None


def test_good_and_broken_patterns() -> None:
    assert regex_problem("(加|私)(个)?(微信|vx)") is None
    assert regex_problem("(abc") is not None
    assert regex_problem("a" * 600) is not None


def test_a_long_reply_is_bounded_and_still_fast() -> None:
    reply = "亲" + "可以给您发韵达" * 2000
    found = evaluate(YUNDA, reply, {})
    assert found is not None and max(h.end for h in found.hits) <= 2000
