"""Observation forms as typed definitions, and the pure rules of an entry (score, note)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from portal.messages import N_, Message, msg

SCORES = (1, 2, 3, 4, 5)
MAX_NOTE_CHARS = 500


class ChatMeasure(StrEnum):
    """What the chat exams can measure for an observation item (evidence, never a score)."""

    TYPING_SPEED = "typing_speed"  # characters per minute of the trainee's replies


@dataclass(frozen=True)
class ObservationItem:
    """One row of a form: what is observed (key, Chinese title), what to look at, and
    whether the probation standard requires it."""

    key: str
    title: str
    hint: str = ""
    required: bool = False
    # The chat exam's rubric item shown beside it, if any: an `Item` id of portal.chat.scenario,
    # checked when the file is read (pure rules do not import another domain).
    chat_item: str = ""
    chat_measure: ChatMeasure | None = None  # measured from the chat exams, shown beside it

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ObservationItem:
        measure = data.get("chat_measure")
        return cls(**{**data, "chat_measure": ChatMeasure(measure) if measure else None})


def _item_data(item: ObservationItem) -> dict[str, Any]:
    """An item as stored; the optional chat links only when set, so forms without them keep
    their content hash."""
    data = asdict(item)
    for name in ("chat_item", "chat_measure"):
        if not data[name]:
            del data[name]
        else:
            data[name] = str(data[name])
    return data


@dataclass(frozen=True)
class ObservationFormDef:
    """A validated form file: its items and the meaning of each level of the 1–5 scale."""

    key: str
    title: str
    description: str
    levels: tuple[str, ...]  # the descriptions of scores 1..5, in order
    items: tuple[ObservationItem, ...]
    path: str = ""  # where it was read from (not part of what it means)

    def item(self, key: str) -> ObservationItem | None:
        return next((i for i in self.items if i.key == key), None)

    def level(self, score: int) -> str:
        return self.levels[score - 1]

    @property
    def required_keys(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.items if i.required)

    def to_data(self) -> dict[str, Any]:
        """The JSON stored in a form version (without the path)."""
        return {"key": self.key, "title": self.title, "description": self.description,
                "levels": list(self.levels), "items": [_item_data(i) for i in self.items]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ObservationFormDef:
        return cls(key=data["key"], title=data["title"], description=data["description"],
                   levels=tuple(data["levels"]),
                   items=tuple(ObservationItem.from_data(i) for i in data["items"]))

    @property
    def content_hash(self) -> str:
        """Changes exactly when what the form means changes (not where its file lives)."""
        text = json.dumps(self.to_data(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def score_problem(raw: str | int | None, *, item: str) -> tuple[int | None, Message | None]:
    """The score 1–5 written in `raw` (a digit from a form, or an int), or why it is not one
    (naming the item's title)."""
    wrong = msg(N_("“%(item)s”的评分应为 1 到 5 之间的整数"), item=item)
    if isinstance(raw, bool):
        return None, wrong
    if isinstance(raw, int):
        value = raw
    else:
        text = (raw or "").strip()
        if not text:
            return None, msg(N_("请填写“%(item)s”的评分（1 到 5）"), item=item)
        if len(text) > 3 or not text.isascii() or not text.isdigit():
            return None, wrong
        value = int(text)
    if value not in SCORES:
        return None, wrong
    return value, None


def clean_note(raw: str | None, *, item: str) -> tuple[str, Message | None]:
    """The note as kept (trimmed), or why it is refused (naming the item's title)."""
    note = (raw or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        return note, msg(N_("“%(item)s”的备注最多 %(n)d 个字"), item=item, n=MAX_NOTE_CHARS)
    return note, None
