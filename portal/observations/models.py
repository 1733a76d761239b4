"""Observation forms as imported versions, and the append-only entries staff record.

An entry is one score (1–5) with a note for one item of one form version, for one trainee,
by one staff member at one time. Nothing updates or deletes an entry: a change is a new
row, and the current value of a cell is its latest row (highest id).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db import Base
from portal.versioning import Version, Versioned, version_of


class ObservationForm(Versioned, Base):
    """One form file (`question_banks/observations/<key>.yaml`); its content lives in versions."""

    __tablename__ = "observation_form"

    key: Mapped[str] = mapped_column(sa.String(64), unique=True)


class ObservationFormVersion(Version, Base):
    """One validated text of a form; an entry pins the version it was recorded against."""

    __tablename__ = "observation_form_version"

    observation_form_id: Mapped[int] = version_of("observation_form")
    title: Mapped[str] = mapped_column(sa.String(200))
    # `ObservationFormDef.to_data()`: levels and items as they were when recorded.
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    source_hash: Mapped[str] = mapped_column(sa.String(64))

    form: Mapped[ObservationForm] = relationship(foreign_keys=[observation_form_id])


class ObservationEntry(Base):
    """One recorded score and note for (trainee, form version, item); never changed."""

    __tablename__ = "observation_entry"
    __table_args__ = (
        sa.CheckConstraint("score >= 1 AND score <= 5", name="score_range"),
        # The grid reads a cohort's entries of one form; the history one cell's.
        sa.Index("ix_observation_entry_trainee_item", "trainee_id", "item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    form_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("observation_form_version.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(sa.String(64))
    score: Mapped[int] = mapped_column()
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column()

    form_version: Mapped[ObservationFormVersion] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
