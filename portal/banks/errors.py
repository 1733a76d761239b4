"""Errors of bank management in the browser (imports and the question editor)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.errors import Conflict, DomainError, NothingChanged, VersionChanged  # noqa: F401 (shared)
from portal.messages import Message

if TYPE_CHECKING:
    from portal.banks.services import QuestionProblem, UploadCheck


class UploadRefused(DomainError):
    """The files have problems: nothing was imported."""

    status = 422

    def __init__(self, message: str | Message, check: UploadCheck, **params: Any) -> None:
        super().__init__(message, **params)
        self.check = check


class PlanChanged(Conflict):
    """What confirming would import is no longer what the trainer reviewed (the files, the
    keys chosen for them, or the banks in the database changed): nothing was imported."""

    def __init__(self, message: str | Message, check: UploadCheck, **params: Any) -> None:
        super().__init__(message, **params)
        self.check = check


class QuestionInvalid(DomainError):
    """The edited question breaks the bank's rules; nothing was saved."""

    status = 422

    def __init__(self, message: str | Message, problems: list[QuestionProblem],
                 **params: Any) -> None:
        super().__init__(message, **params)
        self.problems = problems
