"""The probation domain's errors (their messages are Chinese msgids)."""
from __future__ import annotations

from portal.errors import DomainError


class ProposalInvalid(DomainError):
    """A proposal or decision refused for what it says (outcome, date, reason): nothing saved."""

    status = 422


class PolicyInvalid(DomainError):
    """The policy file has problems: no recommendation can be made until it is fixed."""

    status = 500
