"""The typing speed measured from played conversations (portal.chat.stats), with explicit
times: what is timed from when, and what is left out."""
from __future__ import annotations

from datetime import datetime, timedelta

from portal.chat.stats import Turn, TypingSpeed, typing_speed

T0 = datetime(2026, 12, 1, 9, 0, 0)


def _customer(seconds: float, text: str = "在吗？") -> Turn:
    return Turn(from_customer=True, text=text, at=T0 + timedelta(seconds=seconds))


def _reply(seconds: float, text: str) -> Turn:
    return Turn(from_customer=False, text=text, at=T0 + timedelta(seconds=seconds))


def test_a_reply_is_timed_from_the_customers_message() -> None:
    speed = typing_speed([[_customer(0), _reply(10, "亲，您好，在的哦")]])
    assert speed == TypingSpeed(characters=8, seconds=10.0, replies=1)
    assert speed.per_minute == 48


def test_a_second_reply_is_timed_from_the_first_and_whitespace_is_not_counted() -> None:
    speed = typing_speed([[_customer(0), _reply(6, "您好 亲"), _reply(12, "请问 有什么可以帮您")]])
    # 3 characters in 6 s, then 9 characters in 6 s (from the first reply, not the question)
    assert speed == TypingSpeed(characters=12, seconds=12.0, replies=2)
    assert speed.per_minute == 60


def test_the_latest_customer_message_starts_the_clock() -> None:
    speed = typing_speed([[_customer(0), _customer(20, "发什么快递"), _reply(30, "申通中通")]])
    assert speed == TypingSpeed(characters=4, seconds=10.0, replies=1)


def test_conversations_are_summed_not_averaged() -> None:
    speed = typing_speed([[_customer(0), _reply(60, "一" * 30)],
                          [_customer(0), _reply(30, "二" * 30)]])
    assert speed is not None and speed.per_minute == 40  # 60 characters in 90 s


def test_replies_that_cannot_be_timed_are_left_out() -> None:
    assert typing_speed([]) is None
    assert typing_speed([[_reply(5, "您好")]]) is None  # nothing from the customer before it
    assert typing_speed([[_customer(5), _reply(5, "您好")]]) is None  # the same instant
    assert typing_speed([[_customer(0), _reply(5, "   ")]]) is None  # nothing typed
    speed = typing_speed([[_reply(3, "您好"), _customer(4), _reply(9, "好的亲")]])
    assert speed == TypingSpeed(characters=3, seconds=5.0, replies=1)
