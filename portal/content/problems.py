"""A problem found in a content file (where, and what in Chinese), and how many are listed."""
from __future__ import annotations

from dataclasses import dataclass

from portal.messages import N_, Message, msg


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: Message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


MAX_PROBLEMS = 100  # listed per file; the rest are counted


def capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS problems, then one line saying how many more there are."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [Problem(problems[MAX_PROBLEMS].path, None, msg(
        N_("另有 %(count)d 处问题未列出，请先改正上面这些"), count=more))]
