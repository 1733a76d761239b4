"""A trainee's quick phrases (快捷短语): add, edit, delete, move; kept across attempts."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.chat.models import QuickPhrase
from portal.errors import DomainError, NotFound
from portal.messages import N_

MAX_PHRASE_CHARS = 500
MAX_PHRASES = 50


def list_phrases(session: Session, *, user_id: int) -> list[QuickPhrase]:
    return list(session.scalars(sa.select(QuickPhrase).where(QuickPhrase.user_id == user_id)
                                .order_by(QuickPhrase.position, QuickPhrase.id)))


def _clean(text: str) -> str:
    text = text.strip()
    if not text:
        raise DomainError(N_("快捷短语不能为空"))
    if len(text) > MAX_PHRASE_CHARS:
        raise DomainError(N_("快捷短语最多 %(n)d 个字"), n=MAX_PHRASE_CHARS)
    return text


def add_phrase(session: Session, *, user_id: int, text: str, now: datetime) -> QuickPhrase:
    """A new phrase at the end of the trainee's list."""
    text = _clean(text)
    phrases = list_phrases(session, user_id=user_id)
    if len(phrases) >= MAX_PHRASES:
        raise DomainError(N_("快捷短语最多保存 %(n)d 条，请先删掉不用的"), n=MAX_PHRASES)
    phrase = QuickPhrase(user_id=user_id, text=text, created_at=now,
                         position=(phrases[-1].position + 1) if phrases else 1)
    session.add(phrase)
    session.flush()
    return phrase


def _own(session: Session, user_id: int, phrase_id: int) -> QuickPhrase:
    phrase = session.get(QuickPhrase, phrase_id)
    if phrase is None or phrase.user_id != user_id:
        raise NotFound(N_("找不到这条快捷短语"))
    return phrase


def edit_phrase(session: Session, *, user_id: int, phrase_id: int, text: str) -> QuickPhrase:
    phrase = _own(session, user_id, phrase_id)
    phrase.text = _clean(text)
    session.flush()
    return phrase


def delete_phrase(session: Session, *, user_id: int, phrase_id: int) -> None:
    session.delete(_own(session, user_id, phrase_id))
    session.flush()


def move_phrase(session: Session, *, user_id: int, phrase_id: int, offset: int) -> list[QuickPhrase]:
    """Move a phrase up (offset -1) or down (+1) in the list; the ends stay where they are."""
    phrases = list_phrases(session, user_id=user_id)
    index = next((i for i, p in enumerate(phrases) if p.id == phrase_id), None)
    if index is None:
        raise NotFound(N_("找不到这条快捷短语"))
    target = min(max(index + offset, 0), len(phrases) - 1)
    phrases.insert(target, phrases.pop(index))
    for position, phrase in enumerate(phrases, start=1):
        phrase.position = position
    session.flush()
    return phrases
