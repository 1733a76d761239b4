"""Fit per role from a trainee's evidence and the placement policy (pure, no database).

The evidence is what the assessment domains report, already one number per key: written
exam area scores, chat exam area and rubric item scores (0-100, each the mean over the
exams or drills that report it) and observation items (the latest score, 1-5, scaled to
0-100 as (score - 1) × 25). A role's fit is the weighted mean of the evidence its policy
names, 0-100. Evidence that is missing is never given a score: with `missing: reweigh` it is
left out and the mean is over the evidence present (listed as missing in the explanation);
with `missing: exclude` a trainee missing any of it is not proposed for the role. A role
with no evidence at all has no fit (shown as 无证据); the solver then counts it as 0, so any
evidence beats none, unless the policy excludes it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from portal.messages import N_
from portal.placement.rules import PlacementRole

OBSERVATION_MIN, OBSERVATION_MAX = 1, 5


class Source(StrEnum):
    """Where a piece of evidence comes from."""

    EXAM = "exams"  # a written exam area score
    CHAT = "chat"  # a chat exam area score
    CHAT_ITEM = "chat_items"  # a chat exam rubric (table 2) item score
    OBSERVATION = "observations"  # an observation item, "form/item"

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


SOURCE_LABELS: dict[Source, str] = {
    Source.EXAM: N_("笔试"),
    Source.CHAT: N_("聊天考核"),
    Source.CHAT_ITEM: N_("聊天考核项目"),
    Source.OBSERVATION: N_("观察表"),
}

# The areas exams and drills report (portal.exams.areas.Area, portal.chat.scenario.Area).
AREA_LABELS: dict[str, str] = {
    "pre-sales": N_("售前"),
    "after-sales": N_("售后"),
    "general": N_("通用"),
}


class Missing(StrEnum):
    """What a policy does with evidence a trainee does not have yet."""

    REWEIGH = "reweigh"  # leave it out: the mean is over the evidence present
    EXCLUDE = "exclude"  # do not propose the trainee for the role


@dataclass(frozen=True)
class Weight:
    source: Source
    key: str  # an area, a rubric item, or "form/item"
    weight: float


@dataclass(frozen=True)
class RolePolicy:
    role: PlacementRole
    weights: tuple[Weight, ...]

    @property
    def counted(self) -> tuple[Weight, ...]:
        """The weights above 0 (a weight of 0 leaves its evidence out altogether)."""
        return tuple(w for w in self.weights if w.weight > 0)


@dataclass(frozen=True)
class PlacementPolicy:
    roles: tuple[RolePolicy, ...]
    preference_bonus: float = 0.0
    missing: Missing = Missing.REWEIGH
    content_hash: str = ""

    def role(self, role: PlacementRole) -> RolePolicy | None:
        return next((r for r in self.roles if r.role is role), None)


@dataclass(frozen=True)
class Evidence:
    """One trainee's evidence, one number per key (see the module docstring)."""

    exams: Mapping[str, float] = field(default_factory=dict)
    chat: Mapping[str, float] = field(default_factory=dict)
    chat_items: Mapping[str, float] = field(default_factory=dict)
    observations: Mapping[str, int] = field(default_factory=dict)  # "form/item" -> 1-5

    def value(self, source: Source, key: str) -> float | None:
        """The 0-100 value of one key, or None when the trainee has no such evidence."""
        if source is Source.OBSERVATION:
            score = self.observations.get(key)
            return None if score is None else observation_percent(score)
        found = {Source.EXAM: self.exams, Source.CHAT: self.chat,
                 Source.CHAT_ITEM: self.chat_items}[source].get(key)
        return None if found is None else float(found)


def observation_percent(score: int) -> float:
    """An observation score 1-5 on the 0-100 scale of the other evidence (1 → 0, 5 → 100)."""
    clamped = min(max(score, OBSERVATION_MIN), OBSERVATION_MAX)
    return (clamped - OBSERVATION_MIN) * 100 / (OBSERVATION_MAX - OBSERVATION_MIN)


@dataclass(frozen=True)
class Part:
    """One piece of evidence counted in a fit."""

    source: Source
    key: str
    weight: float
    value: float  # 0-100


@dataclass(frozen=True)
class RoleFit:
    """A trainee's fit for one role and how it was reached."""

    role: PlacementRole
    fit: float | None  # None: no evidence at all, or excluded
    parts: tuple[Part, ...]
    missing: tuple[Weight, ...]  # weighted evidence the trainee does not have
    excluded: bool = False  # the policy says: missing evidence, not proposed for this role

    @property
    def solver_fit(self) -> float | None:
        """What the solver sees: None (cannot go there) when excluded, 0 without evidence."""
        if self.excluded:
            return None
        return 0.0 if self.fit is None else self.fit


def role_fit(policy: RolePolicy, evidence: Evidence, *, missing: Missing) -> RoleFit:
    """The weighted mean (0-100, two decimals) of the evidence `policy` names."""
    parts: list[Part] = []
    absent: list[Weight] = []
    for weight in policy.counted:
        value = evidence.value(weight.source, weight.key)
        if value is None:
            absent.append(weight)
        else:
            parts.append(Part(weight.source, weight.key, weight.weight, value))
    if absent and missing is Missing.EXCLUDE:
        return RoleFit(policy.role, None, tuple(parts), tuple(absent), excluded=True)
    total = sum(p.weight for p in parts)
    fit = round(sum(p.weight * p.value for p in parts) / total, 2) if total > 0 else None
    return RoleFit(policy.role, fit, tuple(parts), tuple(absent))


def fits(policy: PlacementPolicy, evidence: Evidence) -> tuple[RoleFit, ...]:
    """The trainee's fit for each role of the policy, in the policy's order."""
    return tuple(role_fit(r, evidence, missing=policy.missing) for r in policy.roles)


def mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None
