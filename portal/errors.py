"""The base of every domain error; web/ maps them to HTTP responses in one place."""
from __future__ import annotations

from typing import Any

from portal.messages import Message


class DomainError(Exception):
    """A rule of the domain was broken; `message` is safe to show to the user.

    `status` is the HTTP status a web request should answer with.
    """

    status = 400

    def __init__(self, message: str | Message, **params: Any) -> None:
        self.message = message if isinstance(message, Message) else Message(message, params)
        super().__init__(str(self.message))


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class NothingChanged(DomainError):
    """An edit that changes nothing: no new version is made."""

    status = 422


class VersionChanged(Conflict):
    """Someone published a newer version while this edit was being made."""

    def __init__(self, message: str | Message, *, current_number: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.current_number = current_number
