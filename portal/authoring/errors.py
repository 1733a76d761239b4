"""Errors of module authoring."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.errors import Conflict, DomainError
from portal.messages import Message

if TYPE_CHECKING:
    from portal.authoring.services import DraftProblem


class DraftInvalid(DomainError):
    """The draft breaks the content rules; nothing was written."""

    status = 422

    def __init__(self, message: str | Message, problems: list[DraftProblem], **params: Any) -> None:
        super().__init__(message, **params)
        self.problems = problems


class NothingChanged(DomainError):
    """The draft is the current version again: no new version is made."""

    status = 422


class VersionChanged(Conflict):
    """Someone published a newer version while the trainer was editing."""

    def __init__(self, message: str | Message, *, current_number: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.current_number = current_number
