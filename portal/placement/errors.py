"""The placement domain's errors: plans that cannot be solved and staffing input that is wrong."""
from __future__ import annotations

from portal.errors import DomainError


class PlacementError(DomainError):
    status = 422


class InvalidCohort(PlacementError):
    """A cohort's numbers are not usable (a negative capacity, a fit that is not a number …)."""


class InfeasiblePlan(PlacementError):
    """No assignment places every trainee within the capacities."""


class UnknownRole(InfeasiblePlan):
    """A trainee's fit or preference names a role the plan has no capacity entry for."""


class InvalidStaffing(PlacementError):
    """A number of the staffing formula is missing, zero or negative, or a rate above 100%."""


class PlacementInvalid(PlacementError):
    """A preference, plan, change or confirmation refused for what it says; nothing saved."""


class PlacementConfirmed(PlacementError):
    """The cohort's placement is confirmed: preferences, the plan and placements are fixed."""

    status = 409
