"""User-facing messages from domain code, translated later by the web layer.

Domain code may not import Flask-Babel, so it marks its texts with `N_` (for
extraction) and hands the web layer a `Message`, which is translated at display
time in the user's language. Source texts are zh-CN, the portal's default.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(text: str) -> str:
    """Mark a text for translation without translating it now."""
    return text


@dataclass(frozen=True)
class Message:
    text: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text % self.params if self.params else self.text


def msg(text: str, **params: Any) -> Message:
    return Message(text, params)
