"""Tracks and modules as imported versions, and trainees' progress through them."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.content.rules import Stage, stages_from_data
from portal.db import Base, utcnow
from portal.versioning import Version, Versioned, version_of


class Track(Versioned, Base):
    """An onboarding track; its stages live in the current version's definition."""

    __tablename__ = "track"

    key: Mapped[str] = mapped_column(sa.String(64), unique=True)

    modules: Mapped[list[Module]] = relationship(back_populates="track", order_by="Module.key")


class TrackVersion(Version, Base):
    __tablename__ = "track_version"

    track_id: Mapped[int] = version_of("track")
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    # The stages in order, as stored (`Stage.to_data`); read them typed, as `stages`.
    stages_data: Mapped[list[dict[str, Any]]] = mapped_column("stages", sa.JSON)
    source_text: Mapped[str] = mapped_column(sa.Text)
    source_hash: Mapped[str] = mapped_column(sa.String(64))

    @property
    def stages(self) -> tuple[Stage, ...]:
        """The stages as typed definitions, built once per version (versions never change)."""
        cached = self.__dict__.get("_stages")
        if cached is None or cached[0] is not self.stages_data:
            cached = (self.stages_data, stages_from_data(self.stages_data or []))
            self.__dict__["_stages"] = cached
        return cached[1]

    @stages.setter
    def stages(self, value: Sequence[Stage | Mapping[str, Any]]) -> None:
        self.stages_data = [s.to_data() if isinstance(s, Stage) else dict(s) for s in value]


class Module(Versioned, Base):
    __tablename__ = "module"
    __table_args__ = (sa.UniqueConstraint("track_id", "key"),)

    track_id: Mapped[int] = mapped_column(sa.ForeignKey("track.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))

    track: Mapped[Track] = relationship(back_populates="modules")


class ModuleVersion(Version, Base):
    """One published text of a module, rendered and sanitised once, at creation."""

    __tablename__ = "module_version"

    module_id: Mapped[int] = version_of("module")
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    minutes: Mapped[int]
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    roles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    toc_html: Mapped[str] = mapped_column(sa.Text, default="")
    source_hash: Mapped[str] = mapped_column(sa.String(64))


class ModuleProgress(Base):
    """A trainee's reading of one module (kept across new versions of the module)."""

    __tablename__ = "module_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("module.id", ondelete="CASCADE"), index=True)
    first_opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    seconds_spent: Mapped[int] = mapped_column(default=0)
    # Where the trainee left off: the id of the last heading they reached.
    last_anchor: Mapped[str | None] = mapped_column(sa.String(200))


class StageCompletion(Base):
    """A stage's assessment counted as passed for a trainee (by exam or by a trainer)."""

    __tablename__ = "stage_completion"
    __table_args__ = (sa.UniqueConstraint("user_id", "track_key", "stage_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    track_key: Mapped[str] = mapped_column(sa.String(64))
    stage_key: Mapped[str] = mapped_column(sa.String(64))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(sa.String(16))  # "manual" or "exam"
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")


class ChecklistTick(Base):
    """A trainee's tick on one item of a team-integration checklist (e.g. joined a group)."""

    __tablename__ = "checklist_tick"
    __table_args__ = (sa.UniqueConstraint("user_id", "track_key", "stage_key", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    track_key: Mapped[str] = mapped_column(sa.String(64))
    stage_key: Mapped[str] = mapped_column(sa.String(64))
    item_key: Mapped[str] = mapped_column(sa.String(64))
    ticked_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssessmentPass(Base):
    """One passed assessment of a stage that names several (a written and a chat exam).

    The stage itself completes (a StageCompletion) once every assessment it names has a
    row here; a stage with one assessment completes at its first pass, as always.
    """

    __tablename__ = "assessment_pass"
    __table_args__ = (sa.UniqueConstraint("user_id", "track_key", "stage_key", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    track_key: Mapped[str] = mapped_column(sa.String(64))
    stage_key: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(16))  # an AssessmentSource
    passed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reference: Mapped[str] = mapped_column(sa.Text, default="")
