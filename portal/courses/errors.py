"""Errors of the courses domain."""
from __future__ import annotations

from portal.errors import Conflict, DomainError, Forbidden, NotFound


class ContentInvalid(DomainError):
    status = 422


class StageLocked(Forbidden):
    pass


class ModuleNotFound(NotFound):
    pass


class AlreadyCompleted(Conflict):
    pass


class ChecklistIncomplete(DomainError):
    status = 409
