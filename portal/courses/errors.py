"""Errors of the courses domain."""
from __future__ import annotations

from typing import Any

from portal.errors import Conflict, DomainError, Forbidden, NotFound


class ContentInvalid(DomainError):
    status = 422


class StageLocked(Forbidden):
    """A trainee asked for something of a stage not open to them yet (`stage_key`)."""

    def __init__(self, message: str, /, *, stage_key: str = "", **params: Any) -> None:
        super().__init__(message, **params)
        self.stage_key = stage_key


class ModuleNotFound(NotFound):
    pass


class AlreadyCompleted(Conflict):
    pass


class ChecklistIncomplete(DomainError):
    status = 409
