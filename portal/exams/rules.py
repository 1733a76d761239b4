"""Pure exam rules: drawing questions, proving blueprints, deadlines, attempts, saves,
scores, review."""
from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from portal.assessments.rules import StartCheck
from portal.assessments.rules import can_start as can_start_again
from portal.messages import N_, Message, msg


@dataclass(frozen=True)
class Candidate:
    """A question an exam may draw: what picks filter on."""

    ref: str  # "bank/question-id"
    tags: frozenset[str]
    difficulty: str
    kind: str = ""


@dataclass(frozen=True)
class RandomPick:
    """Draw `count` questions carrying every tag in `tags` (and, when `kinds` is given, of
    one of those kinds), optionally split by difficulty."""

    count: int
    tags: tuple[str, ...] = ()
    difficulty: dict[str, int] = field(default_factory=dict)  # per difficulty; empty = any
    kinds: tuple[str, ...] = ()  # question kinds; empty = any
    line: int | None = None  # in the exam file (not stored)

    def draws(self) -> list[tuple[str | None, int]]:
        """The separate draws this pick makes: (difficulty, or None for any; how many)."""
        if self.difficulty:
            return sorted(self.difficulty.items())
        return [(None, self.count)]

    def takes(self, candidate: Candidate) -> bool:
        """Whether the question is in this pick's pool (before any is drawn)."""
        return set(self.tags) <= candidate.tags and (
            not self.kinds or candidate.kind in self.kinds)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"count": self.count, "tags": list(self.tags),
                                "difficulty": dict(self.difficulty)}
        if self.kinds:
            data["kinds"] = list(self.kinds)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RandomPick:
        return cls(count=data["count"], tags=tuple(data.get("tags", ())),
                   difficulty=dict(data.get("difficulty") or {}),
                   kinds=tuple(data.get("kinds", ())))


class Dimension(StrEnum):
    """What a blueprint counts: questions of a kind, or questions carrying a tag."""

    KIND = "kinds"
    TAG = "tags"


@dataclass(frozen=True)
class Requirement:
    """Every attempt must hold at least `minimum` questions of this kind or with this tag."""

    dimension: Dimension
    value: str  # a kind's name or a tag
    minimum: int
    line: int | None = None  # in the exam file (not stored)

    def matches(self, candidate: Candidate) -> bool:
        if self.dimension is Dimension.KIND:
            return candidate.kind == self.value
        return self.value in candidate.tags


class Selection(Protocol):
    """What drawing and proving need of an exam (`definitions.ExamDefinition` has it)."""

    @property
    def fixed(self) -> list[str]: ...
    @property
    def random(self) -> list[RandomPick]: ...
    @property
    def require(self) -> tuple[Requirement, ...]: ...
    @property
    def shuffle_questions(self) -> bool: ...


class ReviewPolicy(Protocol):
    @property
    def review_when(self) -> str: ...
    @property
    def review_show(self) -> list[str]: ...


class SelectionError(Exception):
    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


def _too_few(pick: RandomPick, level: str | None, have: int, need: int) -> Message:
    tags = ", ".join(sorted(pick.tags))
    if pick.kinds:
        kinds = ", ".join(pick.kinds)
        if level is not None:
            return msg(N_("标签 %(tags)s、题型 %(kinds)s 下难度为 %(level)s 的题目只有 %(have)d 道，需要 %(need)d 道"),
                       tags=tags or "-", kinds=kinds, level=level, have=have, need=need)
        return msg(N_("标签 %(tags)s、题型 %(kinds)s 下的题目只有 %(have)d 道，需要 %(need)d 道"),
                   tags=tags or "-", kinds=kinds, have=have, need=need)
    if level is not None:
        return msg(N_("标签 %(tags)s 下难度为 %(level)s 的题目只有 %(have)d 道，需要 %(need)d 道"),
                   tags=tags, level=level, have=have, need=need)
    return msg(N_("标签 %(tags)s 下的题目只有 %(have)d 道，需要 %(need)d 道"),
               tags=tags, have=have, need=need)


def select_questions(definition: Selection, pool: list[Candidate],
                     rng: random.Random) -> list[str]:
    """The questions of one attempt: the fixed ones, then each random pick (its tags, kinds
    and difficulty mix, never a question already chosen), then shuffled."""
    by_ref = {c.ref: c for c in pool}
    chosen: list[str] = []
    for ref in definition.fixed:
        if ref not in by_ref:
            raise SelectionError(msg(N_("考试引用的题目 %(ref)s 不存在或已停用"), ref=ref))
        chosen.append(ref)
    for pick in definition.random:
        taken = set(chosen)
        eligible = sorted((c for c in pool if pick.takes(c) and c.ref not in taken),
                          key=lambda c: c.ref)
        for level, count in pick.draws():
            group = [c.ref for c in eligible if level is None or c.difficulty == level]
            if len(group) < count:
                raise SelectionError(_too_few(pick, level, len(group), count))
            chosen.extend(rng.sample(group, count))
    if definition.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


# --- blueprints -------------------------------------------------------------------------


@dataclass(frozen=True)
class Guarantee:
    """How many matching questions every attempt is sure to hold, and from where."""

    fixed: int  # fixed questions that match
    drawn: int  # the least any draw can bring (see `guaranteed`)

    @property
    def total(self) -> int:
        return self.fixed + self.drawn


def guaranteed(definition: Selection, pool: list[Candidate],
               matches: Callable[[Candidate], bool]) -> Guarantee:
    """The fewest matching questions any successful draw can give, by counting the pools.

    Fixed questions count when they match. A draw of n questions from a pool holding w
    questions that do not match brings at least max(0, n - w) matching ones, however the
    draw goes: n = all of them when the pool holds only matching questions. The pool is the
    pick's whole pool (tags, kinds, difficulty) without the fixed questions; earlier picks
    can only take questions out of it, which never adds a non-matching one. Questions drawn
    by different picks are different questions (a question is never asked twice), so the
    least numbers of the draws add up, overlapping pools included.
    """
    by_ref = {c.ref: c for c in pool}
    fixed = set(definition.fixed)
    from_fixed = sum(1 for ref in definition.fixed if ref in by_ref and matches(by_ref[ref]))
    drawn = 0
    for pick in definition.random:
        eligible = [c for c in pool if pick.takes(c) and c.ref not in fixed]
        for level, count in pick.draws():
            others = sum(1 for c in eligible
                         if (level is None or c.difficulty == level) and not matches(c))
            drawn += max(0, count - others)
    return Guarantee(from_fixed, drawn)


@dataclass(frozen=True)
class Shortfall:
    """A requirement of the blueprint some draw might not meet."""

    requirement: Requirement
    guarantee: Guarantee

    @property
    def missing(self) -> int:
        return self.requirement.minimum - self.guarantee.total


def prove_blueprint(definition: Selection, pool: list[Candidate]) -> list[Shortfall]:
    """The requirements not proved for every draw (empty: every attempt meets them all)."""
    shortfalls = []
    for requirement in definition.require:
        guarantee = guaranteed(definition, pool, requirement.matches)
        if guarantee.total < requirement.minimum:
            shortfalls.append(Shortfall(requirement, guarantee))
    return shortfalls


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
    number = counted_number(attempts, counts)
    return None if number is None else dict(attempts)[number]


def counted_number(attempts: list[tuple[int, float | None]], counts: str) -> int | None:
    """Which finished attempt (number, score) counts: the last scored one, or the highest
    score (the earliest attempt with it, on ties)."""
    scored = [(n, s) for n, s in attempts if s is not None]
    if not scored:
        return None
    if counts == "last":
        return max(scored)[0]
    return min(scored, key=lambda a: (-a[1], a[0]))[0]


def review_visible(policy: ReviewPolicy, *, submitted: bool, deadline_at: datetime,
                   now: datetime) -> set[str]:
    """What the trainee may see of a finished attempt now."""
    if not submitted:
        return set()
    when = policy.review_when
    show = set(policy.review_show)
    if when == "after-submit" or (when == "after-close" and now >= deadline_at):
        return show
    # "never", "after-close" before the deadline, and any policy this code does not know
    # (a stored exam version is data): the score at most.
    return show & {"score"}
