"""Question banks and exams as imported versions; attempts and the responses in them."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.exams import kinds
from portal.exams.definitions import ExamDefinition
from portal.versioning import LAST, Version, Versioned, version_of


class QuestionBank(Base):
    __tablename__ = "question_bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    source_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    # `bank.file_hash` of the file the bank was last imported from, exactly as it is stored
    # now; NULL when it was not (an edit in the portal, GIFT, Moodle XML): see
    # services.imports.known_bank_files.
    file_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[Question]] = relationship(back_populates="bank", order_by="Question.qid")


class Question(Versioned, Base):
    """A question with a stable id in its bank; its text and key live in versions."""

    __tablename__ = "question"
    __table_args__ = (sa.UniqueConstraint("bank_id", "qid"),)

    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_bank.id", ondelete="CASCADE"),
                                         index=True)
    qid: Mapped[str] = mapped_column(sa.String(64))
    # Removed from the bank file: kept for old attempts, never drawn again.
    retired: Mapped[bool] = mapped_column(default=False, sort_order=LAST + 1)

    bank: Mapped[QuestionBank] = relationship(back_populates="questions")


class QuestionVersion(Version, Base):
    """One text of a question, with its answer key; attempts point at the version they got."""

    __tablename__ = "question_version"
    hash_attribute = "content_hash"

    question_id: Mapped[int] = version_of("question")
    kind: Mapped[str] = mapped_column(sa.String(32))
    difficulty: Mapped[str] = mapped_column(sa.String(16))
    points: Mapped[float]
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # The whole definition as validated (prompt, options, key, explanation, rubric ...).
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    content_hash: Mapped[str] = mapped_column(sa.String(64))

    question: Mapped[Question] = relationship(foreign_keys=[question_id])

    @property
    def definition(self) -> kinds.QuestionDef:
        """The typed definition of `data` (graders, pages and exports take this)."""
        return kinds.load(self.data)


class Exam(Versioned, Base):
    __tablename__ = "exam"

    key: Mapped[str] = mapped_column(sa.String(64), unique=True)


class ExamVersion(Version, Base):
    __tablename__ = "exam_version"

    exam_id: Mapped[int] = version_of("exam")
    title: Mapped[str] = mapped_column(sa.String(200))
    track_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    stage_key: Mapped[str | None] = mapped_column(sa.String(64))
    # The definition as validated: rules, selection, blueprint, review policy, placement
    # areas (`ExamDefinition.to_data()`, in the column named "definition").
    data: Mapped[dict[str, Any]] = mapped_column("definition", sa.JSON)
    source_hash: Mapped[str] = mapped_column(sa.String(64))

    exam: Mapped[Exam] = relationship(foreign_keys=[exam_id])

    @property
    def definition(self) -> ExamDefinition:
        """The typed definition of `data` (rules, services and pages take this)."""
        return ExamDefinition.from_data(self.data)


class ExamOverride(Base):
    """Extra time or attempts granted to one trainee by a trainer (audited)."""

    __tablename__ = "exam_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(sa.Text)
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"  # some items wait for a trainer
    GRADED = "graded"  # final score


class SubmittedBy(StrEnum):
    """Who ended an attempt: the trainee's own submission, or the server at the deadline."""

    TRAINEE = "trainee"
    DEADLINE = "deadline"


class Attempt(Base):
    __tablename__ = "attempt"
    __table_args__ = (sa.UniqueConstraint("user_id", "exam_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    exam_version_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_version.id"))
    number: Mapped[int]
    status: Mapped[AttemptStatus] = mapped_column(
        sa.Enum(AttemptStatus, native_enum=False, length=16,
                values_callable=lambda e: [m.value for m in e], create_constraint=True,
                name="attempt_status"), default=AttemptStatus.IN_PROGRESS, index=True)
    started_at: Mapped[datetime]
    deadline_at: Mapped[datetime] = mapped_column(index=True)
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(sa.String(16))  # a SubmittedBy
    points: Mapped[float | None]
    max_points: Mapped[float | None]
    score: Mapped[float | None]  # 0-100
    passed: Mapped[bool | None]

    exam: Mapped[Exam] = relationship()
    exam_version: Mapped[ExamVersion] = relationship()
    responses: Mapped[list[Response]] = relationship(back_populates="attempt",
                                                     order_by="Response.position")


class Response(Base):
    """One question of an attempt and the trainee's answer to it (saved as it changes)."""

    __tablename__ = "response"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempt.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int]
    question_version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_version.id"))
    # The order the options were shown in, when shuffled (option ids).
    option_order: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    answer: Mapped[Any | None] = mapped_column(sa.JSON)
    # The client's revision of the last saved answer: an older revision never overwrites.
    revision: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime | None]
    flagged: Mapped[bool] = mapped_column(default=False)
    points: Mapped[float | None]
    max_points: Mapped[float]
    needs_manual: Mapped[bool] = mapped_column(default=False)
    feedback: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    graded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None]
    grader_comment: Mapped[str] = mapped_column(sa.Text, default="")
    locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime | None]

    attempt: Mapped[Attempt] = relationship(back_populates="responses")
    question_version: Mapped[QuestionVersion] = relationship()
