"""Placement in the database: trainees' role preferences (every change kept), a cohort's
staffing plan, the proposals (the solver's result pinned with the fits and explanations as
they were), the supervisor's changes with their reasons, and the confirmation."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base
from portal.messages import N_
from portal.placement.rules import PlacementRole


def _enum(enum: type[StrEnum], name: str, length: int = 16) -> sa.Enum:
    return sa.Enum(enum, native_enum=False, length=length,
                   values_callable=lambda e: [m.value for m in e], create_constraint=True,
                   name=name)


class PlanMethod(StrEnum):
    DIRECT = "direct"  # capacities typed in
    FORMULA = "formula"  # pre-sales from the Double-11 formula, after-sales typed in


class ChangeReason(StrEnum):
    """Why a supervisor changed a proposed placement (the list on the change form)."""

    BUSINESS_NEED = "business_need"
    PREFERENCE = "preference"
    OBSERVED = "observed"
    EVIDENCE = "evidence"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CHANGE_REASON_LABELS[self]


CHANGE_REASON_LABELS: dict[ChangeReason, str] = {
    ChangeReason.BUSINESS_NEED: N_("岗位需要"),
    ChangeReason.PREFERENCE: N_("尊重本人意向"),
    ChangeReason.OBSERVED: N_("现场带教观察"),
    ChangeReason.EVIDENCE: N_("门户外的考核或面谈结果"),
    ChangeReason.OTHER: N_("其他（请在说明里写明）"),
}


class PlacementPreference(Base):
    """A trainee's stated role preference; a change is a new row (the latest is current)."""

    __tablename__ = "placement_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"),
                                            index=True)
    role: Mapped[PlacementRole] = mapped_column(_enum(PlacementRole, "placement_role"))
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    set_at: Mapped[datetime]


class PlacementPlan(Base):
    """A cohort's staffing plan: each role's capacity, and how it was reached."""

    __tablename__ = "placement_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"),
                                           unique=True)
    capacities: Mapped[dict[str, int]] = mapped_column(sa.JSON)  # role value -> capacity
    method: Mapped[PlanMethod] = mapped_column(_enum(PlanMethod, "placement_plan_method"))
    # The formula's inputs as entered (decimal strings), for showing the steps again.
    formula: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    saved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime]


class PlacementProposal(Base):
    """One run of the solver for a cohort, pinned; the latest is current. Confirmed once."""

    __tablename__ = "placement_proposal"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"),
                                           index=True)
    number: Mapped[int]
    capacities: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    preference_bonus: Mapped[float]
    missing: Mapped[str] = mapped_column(sa.String(16))  # the policy's fits.Missing
    policy_hash: Mapped[str] = mapped_column(sa.String(64))
    total_fit: Mapped[float]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None]

    rows: Mapped[list[PlacementRow]] = relationship(back_populates="proposal",
                                                    order_by="PlacementRow.position")


class PlacementRow(Base):
    """One trainee of a proposal: the fits and the explanation as they were, the proposed
    role, and the current role (the proposed one until a change)."""

    __tablename__ = "placement_row"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("placement_proposal.id", ondelete="CASCADE"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int]
    preference: Mapped[PlacementRole | None] = mapped_column(
        _enum(PlacementRole, "placement_row_preference"))
    proposed_role: Mapped[PlacementRole] = mapped_column(
        _enum(PlacementRole, "placement_row_proposed"))
    role: Mapped[PlacementRole] = mapped_column(_enum(PlacementRole, "placement_row_role"))
    preference_cost: Mapped[float | None]
    total_if_preferred: Mapped[float | None]
    # Per role value: {"fit", "solver_fit", "excluded", "parts": [...], "missing": [...]}.
    fits: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    proposal: Mapped[PlacementProposal] = relationship(back_populates="rows")


class PlacementChange(Base):
    """A supervisor's change of one placement, with its reason; never changed itself."""

    __tablename__ = "placement_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    row_id: Mapped[int] = mapped_column(sa.ForeignKey("placement_row.id", ondelete="CASCADE"),
                                        index=True)
    from_role: Mapped[PlacementRole] = mapped_column(_enum(PlacementRole, "placement_change_from"))
    to_role: Mapped[PlacementRole] = mapped_column(_enum(PlacementRole, "placement_change_to"))
    reason: Mapped[ChangeReason] = mapped_column(_enum(ChangeReason, "placement_change_reason"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime]
