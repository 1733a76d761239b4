"""Pure exam rules: drawing questions, deadlines, attempts, saves, scores, review."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from portal.assessments.rules import StartCheck
from portal.assessments.rules import can_start as can_start_again
from portal.messages import N_, Message, msg


@dataclass(frozen=True)
class Candidate:
    ref: str  # "bank/question-id"
    tags: frozenset[str]
    difficulty: str


class SelectionError(Exception):
    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


def select_questions(definition: dict[str, Any], pool: list[Candidate],
                     rng: random.Random) -> list[str]:
    """The questions of one attempt: the fixed ones, then each random pick, then shuffled."""
    by_ref = {c.ref: c for c in pool}
    chosen: list[str] = []
    for ref in definition.get("fixed", []):
        if ref not in by_ref:
            raise SelectionError(msg(N_("考试引用的题目 %(ref)s 不存在或已停用"), ref=ref))
        chosen.append(ref)
    for pick in definition.get("random", []):
        tags = set(pick["tags"])
        eligible = sorted((c for c in pool if tags <= c.tags and c.ref not in chosen),
                          key=lambda c: c.ref)
        wanted = pick.get("difficulty") or {}
        if wanted:
            for level, count in sorted(wanted.items()):
                group = [c.ref for c in eligible if c.difficulty == level]
                if len(group) < count:
                    raise SelectionError(msg(
                        N_("标签 %(tags)s 下难度为 %(level)s 的题目只有 %(have)d 道，需要 %(need)d 道"),
                        tags=", ".join(sorted(tags)), level=level, have=len(group), need=count))
                chosen.extend(rng.sample(group, count))
        else:
            group = [c.ref for c in eligible]
            if len(group) < pick["count"]:
                raise SelectionError(msg(
                    N_("标签 %(tags)s 下的题目只有 %(have)d 道，需要 %(need)d 道"),
                    tags=", ".join(sorted(tags)), have=len(group), need=pick["count"]))
            chosen.extend(rng.sample(group, pick["count"]))
    if definition.get("shuffle_questions", True):
        rng.shuffle(chosen)
    return chosen


def option_order(option_ids: list[Any], *, shuffle: bool, rng: random.Random) -> list[Any]:
    order = list(option_ids)
    if shuffle:
        rng.shuffle(order)
    return order


def deadline(started_at: datetime, *, minutes: int, extra_minutes: int = 0) -> datetime:
    return started_at + timedelta(minutes=minutes + extra_minutes)


def seconds_left(deadline_at: datetime, now: datetime) -> int:
    return max(0, int((deadline_at - now).total_seconds()))


def can_start(*, attempts_allowed: int, extra_attempts: int, finished: list[tuple[datetime, bool]],
              wait_minutes: int, now: datetime) -> StartCheck:
    """Whether a new attempt may start. `finished` holds (submitted_at, passed) per attempt;
    the rule itself is the one all assessments share (`portal.assessments.rules`)."""
    return can_start_again(attempts_allowed=attempts_allowed, extra_attempts=extra_attempts,
                           finished=[at for at, _ in finished], wait_minutes=wait_minutes,
                           now=now)


def score(points: float, max_points: float) -> float:
    return round(100 * points / max_points, 1) if max_points else 0.0


def counted(attempts: list[tuple[int, float | None]], counts: str) -> float | None:
    """The score that counts: the highest or the last of the finished attempts (number, score)."""
    scored = [(n, s) for n, s in attempts if s is not None]
    if not scored:
        return None
    if counts == "last":
        return max(scored)[1]
    return max(s for _, s in scored)


def review_visible(policy: dict[str, Any], *, submitted: bool, deadline_at: datetime,
                   now: datetime) -> set[str]:
    """What the trainee may see of a finished attempt now."""
    if not submitted:
        return set()
    when = policy.get("review_when", "after-submit")
    show = set(policy.get("review_show", ["score"]))
    if when == "after-submit" or (when == "after-close" and now >= deadline_at):
        return show
    # "never", "after-close" before the deadline, and any policy this code does not know
    # (a stored exam version is data): the score at most.
    return show & {"score"}
