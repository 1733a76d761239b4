"""Chat scenarios and drills as imported versions; attempts, their conversations and messages,
reviewers' scores and the trainee's quick phrases.

Time is the server's: a customer message is a row with `due_at`, written when the script
schedules it; a poll at or after `due_at` delivers it, stamping `delivered_at` and giving it
the attempt's next `seq` (so `seq` is the order the trainee saw things in, and a message not
yet delivered has none). A trainee's reply gets its `seq` when it is received.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.messages import N_
from portal.versioning import Version, Versioned, version_of


def _enum(enum: type[StrEnum], name: str, length: int = 16) -> sa.Enum:
    return sa.Enum(enum, native_enum=False, length=length,
                   values_callable=lambda e: [m.value for m in e], create_constraint=True,
                   name=name)


# --- content: scenarios and drills --------------------------------------------------


class ChatScenario(Versioned, Base):
    """One scripted customer (`scenarios/<key>.yaml`); its script lives in versions."""

    __tablename__ = "chat_scenario"

    key: Mapped[str] = mapped_column(sa.String(64), unique=True)


class ChatScenarioVersion(Version, Base):
    """One validated text of a scenario; a conversation pins the version it was played from."""

    __tablename__ = "chat_scenario_version"

    chat_scenario_id: Mapped[int] = version_of("chat_scenario")
    title: Mapped[str] = mapped_column(sa.String(200))
    # The scenario as validated, with the shared matchers and rules it uses resolved into
    # it, so that an old conversation can always be replayed and scored as it was.
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    source_hash: Mapped[str] = mapped_column(sa.String(64))

    scenario: Mapped[ChatScenario] = relationship(foreign_keys=[chat_scenario_id])


class ChatDrill(Versioned, Base):
    """A chat exam (`drills/<key>.yaml`): which customers arrive when, and its pass mark."""

    __tablename__ = "chat_drill"

    key: Mapped[str] = mapped_column(sa.String(64), unique=True)


class ChatDrillVersion(Version, Base):
    __tablename__ = "chat_drill_version"

    chat_drill_id: Mapped[int] = version_of("chat_drill")
    title: Mapped[str] = mapped_column(sa.String(200))
    track_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    stage_key: Mapped[str | None] = mapped_column(sa.String(64))
    # The drill as validated: instructions, time limit, pass mark, attempts, wait, areas,
    # customers (scenario key, arrival second) and the shared rules (timing bands).
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    source_hash: Mapped[str] = mapped_column(sa.String(64))

    drill: Mapped[ChatDrill] = relationship(foreign_keys=[chat_drill_id])


# --- attempts -----------------------------------------------------------------------


class ChatAttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"  # scored by the engine


class ChatEndedBy(StrEnum):
    """Why an attempt ended."""

    SCRIPTS = "scripts"  # every customer's script ended
    TRAINEE = "trainee"  # the trainee ended it
    DEADLINE = "deadline"  # the time limit passed


class ChatAttempt(Base):
    __tablename__ = "chat_attempt"
    __table_args__ = (sa.UniqueConstraint("user_id", "chat_drill_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    chat_drill_id: Mapped[int] = mapped_column(sa.ForeignKey("chat_drill.id", ondelete="CASCADE"),
                                               index=True)
    chat_drill_version_id: Mapped[int] = mapped_column(sa.ForeignKey("chat_drill_version.id"))
    number: Mapped[int]
    status: Mapped[ChatAttemptStatus] = mapped_column(
        _enum(ChatAttemptStatus, "chat_attempt_status"), default=ChatAttemptStatus.IN_PROGRESS,
        index=True)
    started_at: Mapped[datetime]
    deadline_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[ChatEndedBy | None] = mapped_column(_enum(ChatEndedBy, "chat_ended_by"))
    # The earliest moment something happens without the trainee (a message falls due, a
    # nudge, a customer leaves, the deadline): a poll before it with nothing new is empty.
    next_event_at: Mapped[datetime | None] = mapped_column(index=True)
    # The seq of the last message delivered or received in this attempt.
    last_seq: Mapped[int] = mapped_column(default=0)
    # The engine's scoring as stored at the end (per conversation checks and evidence,
    # per item points, response times); reviewers' scores live in ChatReview, apart.
    auto_result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    score: Mapped[float | None]  # 0-100
    passed: Mapped[bool | None]
    # The critical violation that failed the attempt (a Violation id), if any.
    fail_reason: Mapped[str | None] = mapped_column(sa.String(32))

    drill: Mapped[ChatDrill] = relationship()
    drill_version: Mapped[ChatDrillVersion] = relationship()
    conversations: Mapped[list[ChatConversation]] = relationship(
        back_populates="attempt", order_by="ChatConversation.slot")


class ChatConversation(Base):
    """One customer of an attempt and the engine's state of their script."""

    __tablename__ = "chat_conversation"
    __table_args__ = (sa.UniqueConstraint("chat_attempt_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_attempt.id", ondelete="CASCADE"), index=True)
    slot: Mapped[int]  # position in the drill's customer list, from 0
    chat_scenario_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_scenario_version.id"))
    arrives_at: Mapped[datetime]
    # The engine's Conversation, column by column (portal/chat/engine.py).
    state: Mapped[str] = mapped_column(sa.String(64))
    entered_at: Mapped[datetime]
    unmatched: Mapped[int] = mapped_column(default=0)
    nudges_sent: Mapped[int] = mapped_column(default=0)
    waiting_since: Mapped[datetime]  # when the customer's turn began (the engine's rule)
    ended: Mapped[bool] = mapped_column(default=False)
    ending: Mapped[str | None] = mapped_column(sa.String(16))  # an Ending
    ended_at: Mapped[datetime | None]
    # The highest seq the trainee has seen in this customer's pane (for unread counts).
    read_seq: Mapped[int] = mapped_column(default=0)

    attempt: Mapped[ChatAttempt] = relationship(back_populates="conversations")
    scenario_version: Mapped[ChatScenarioVersion] = relationship()
    messages: Mapped[list[ChatMessage]] = relationship(
        back_populates="conversation", order_by="ChatMessage.id")


class ChatSender(StrEnum):
    CUSTOMER = "customer"
    TRAINEE = "trainee"
    SYSTEM = "system"  # "the customer left" and other notices of the console


class ChatMessage(Base):
    __tablename__ = "chat_message"
    # One seq per attempt: two processes can never deliver the same message twice under
    # two numbers, nor give two messages one number.
    __table_args__ = (sa.UniqueConstraint("chat_attempt_id", "seq"),
                      sa.Index("ix_chat_message_due", "chat_attempt_id", "delivered_at", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_attempt.id", ondelete="CASCADE"))
    chat_conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_conversation.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int | None]  # given on delivery (customer) or receipt (trainee)
    sender: Mapped[ChatSender] = mapped_column(_enum(ChatSender, "chat_sender"))
    text: Mapped[str] = mapped_column(sa.Text)
    due_at: Mapped[datetime]  # when the script lets the message appear (a reply: received)
    delivered_at: Mapped[datetime | None]  # first delivered to a browser (server time)
    sent_at: Mapped[datetime | None]  # a trainee's reply: server time received
    state: Mapped[str] = mapped_column(sa.String(64))  # the script's state at the time
    nudge: Mapped[bool] = mapped_column(default=False)  # a customer's "在吗？" on silence

    conversation: Mapped[ChatConversation] = relationship(back_populates="messages")


# --- reviewers ------------------------------------------------------------------------


class ReviewReason(StrEnum):
    """Why a reviewer's points for an item differ from the engine's (a fixed list)."""

    AGREE = "agree"  # the engine's points are right
    MISSED_GOOD = "missed_good"  # a good reply the engine did not credit
    MISSED_BAD = "missed_bad"  # a poor or wrong reply the engine did not catch
    FALSE_MATCH = "false_match"  # the engine matched something that was not there
    CONTEXT = "context"  # right or wrong only in the conversation's context
    OTHER = "other"

    @property
    def label(self) -> str:
        """The Chinese name (a msgid: the web layer translates it)."""
        return _REVIEW_REASON_LABELS[self]


_REVIEW_REASON_LABELS = {
    ReviewReason.AGREE: N_("同意系统评分"),
    ReviewReason.MISSED_GOOD: N_("系统漏算了好的回复"),
    ReviewReason.MISSED_BAD: N_("系统漏判了不当的回复"),
    ReviewReason.FALSE_MATCH: N_("系统误判"),
    ReviewReason.CONTEXT: N_("需结合上下文判断"),
    ReviewReason.OTHER: N_("其他"),
}


class ChatReview(Base):
    """A reviewer's points for one item of an attempt; a new row per change (history kept)."""

    __tablename__ = "chat_review"
    __table_args__ = (sa.Index("ix_chat_review_attempt_item", "chat_attempt_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_attempt.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    item: Mapped[str] = mapped_column(sa.String(32))  # an Item id of table 2
    points: Mapped[float]
    reason: Mapped[ReviewReason] = mapped_column(_enum(ReviewReason, "chat_review_reason"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuickPhrase(Base):
    """A trainee's own quick phrase (快捷短语), kept across attempts."""

    __tablename__ = "quick_phrase"
    __table_args__ = (sa.Index("ix_quick_phrase_user_position", "user_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(sa.Text)
    position: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
