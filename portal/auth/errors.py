"""Errors of the accounts domain."""
from __future__ import annotations

from portal.errors import Conflict, DomainError


class InvalidCredentials(DomainError):
    status = 401


class InvalidAccountData(DomainError):
    status = 422


class DuplicateEmployeeNo(Conflict):
    pass


class DuplicateCohortName(Conflict):
    pass
