"""When an assessment may be taken again: the rule every assessment domain shares.

Written exams and simulated-chat exams both allow a number of attempts (a trainer may grant
more) with a wait between them; both ask this one function. Pure: no session, no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from portal.messages import N_, Message, msg


@dataclass(frozen=True)
class StartCheck:
    allowed: bool
    reason: Message | None
    attempts_left: int
    next_allowed_at: datetime | None = None


def can_start(*, attempts_allowed: int, finished: list[datetime], wait_minutes: int,
              now: datetime, extra_attempts: int = 0) -> StartCheck:
    """Whether a new attempt may start; `finished` holds when each earlier attempt ended."""
    left = max(0, attempts_allowed + extra_attempts - len(finished))
    if left == 0:
        return StartCheck(False, msg(N_("作答次数已用完")), 0)
    if finished and wait_minutes:
        ready = max(finished) + timedelta(minutes=wait_minutes)
        if now < ready:
            return StartCheck(False, msg(N_("两次作答之间需间隔 %(n)d 分钟"), n=wait_minutes),
                              left, ready)
    return StartCheck(True, None, left)
