"""Errors of chat attempts, imports and phrases (mapped to HTTP in one place, portal/web)."""
from __future__ import annotations

from portal.errors import Conflict, DomainError


class CannotStart(Conflict):
    """No new attempt may start now (attempts used up, waiting between attempts)."""


class AttemptClosed(Conflict):
    """The attempt has ended (time up, every customer done, or ended by the trainee)."""


class ConversationClosed(Conflict):
    """This customer's conversation has ended (or not begun): no reply is taken."""


class ImportInvalid(DomainError):
    status = 422
