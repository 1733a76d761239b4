"""Probation services: evidence (read through the assessment domains), cases and the trail."""
from __future__ import annotations

from pathlib import Path

from portal.messages import N_
from portal.probation.errors import PolicyInvalid
from portal.probation.files import POLICY_PATH, read_policy
from portal.probation.rules import Policy
from portal.probation.services.trail import (
    Case,
    CohortCases,
    MyOutcome,
    TrailEntry,
    cohort_cases,
    cohort_choices,
    decide,
    get_proposal,
    may_decide,
    may_propose,
    my_outcome,
    propose,
    trail_of,
    trainee_case,
)

__all__ = ["Case", "CohortCases", "MyOutcome", "TrailEntry", "cohort_cases", "cohort_choices",
           "current_policy",
           "decide", "get_proposal", "may_decide", "may_propose", "my_outcome", "propose",
           "trail_of", "trainee_case"]


def current_policy(path: Path = POLICY_PATH) -> Policy:
    """The policy file as it is now; its first problem (file and line) when it is invalid."""
    found = read_policy(path)
    if found.policy is None:
        first = found.problems[0]
        raise PolicyInvalid(N_("转正规则文件有误（%(where)s）：%(problem)s"),
                            where=f"{first.path}:{first.line}" if first.line else first.path,
                            problem=str(first.message))
    return found.policy
