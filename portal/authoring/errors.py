"""Errors of module authoring."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.errors import DomainError, NothingChanged, VersionChanged  # noqa: F401 (shared)
from portal.messages import Message

if TYPE_CHECKING:
    from portal.authoring.services import DraftProblem


class DraftInvalid(DomainError):
    """The draft breaks the content rules; nothing was written."""

    status = 422

    def __init__(self, message: str | Message, problems: list[DraftProblem], **params: Any) -> None:
        super().__init__(message, **params)
        self.problems = problems
