"""Measures taken from played chat exams that are evidence for other forms, not scores.

Pure: typed messages in, typed measures out (the services read the rows).

Typing speed: the characters of the trainee's replies (whitespace not counted) per minute of
the time spent on them. A reply's time runs from the later of the customer's latest message
delivered to the trainee's browser and the trainee's own previous reply, to the server's
receipt of the reply. So a trainee answering one question in two messages is timed from the
first message to the second for the second, not twice from the question. Replies with no
customer message before them in their conversation, and replies received in the same instant
as the moment they are timed from, are left out. The time includes reading the customer's
message, so the figure is a lower bound of the pure typing speed.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Turn:
    """One message of a conversation as the trainee saw it: the customer's (when delivered)
    or the trainee's (when received)."""

    from_customer: bool
    text: str
    at: datetime


@dataclass(frozen=True)
class TypingSpeed:
    """Characters per minute over `replies` timed replies."""

    characters: int
    seconds: float
    replies: int

    @property
    def per_minute(self) -> int:
        return round(self.characters * 60 / self.seconds)


def _length(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def typing_speed(conversations: Iterable[Sequence[Turn]]) -> TypingSpeed | None:
    """The typing speed over every timed reply of the conversations (each in the order the
    trainee saw it), or None when no reply could be timed."""
    characters = 0
    seconds = 0.0
    replies = 0
    for turns in conversations:
        since: datetime | None = None  # the customer's latest message or the trainee's last
        heard = False  # a customer message has been delivered in this conversation
        for turn in turns:
            if turn.from_customer:
                heard = True
                since = turn.at if since is None or turn.at > since else since
                continue
            if heard and since is not None:
                spent = (turn.at - since).total_seconds()
                length = _length(turn.text)
                if spent > 0 and length > 0:
                    characters += length
                    seconds += spent
                    replies += 1
            since = turn.at
    if replies == 0:
        return None
    return TypingSpeed(characters=characters, seconds=seconds, replies=replies)
