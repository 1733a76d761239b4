"""The observation domain's errors (their messages are Chinese msgids)."""
from __future__ import annotations

from portal.errors import DomainError


class ObservationInvalid(DomainError):
    """An entry refused for what it says (score, item, note): nothing was saved."""

    status = 422


class ImportInvalid(DomainError):
    status = 422
