"""The probation trail: proposals and decisions, append-only.

A trainer or supervisor records a proposal (outcome, date, reason, and the recommendation
as it was, pinned); a different supervisor decides it once (accepting it or deciding
otherwise, with a reason). Nothing updates or deletes either row: a correction is a new
proposal that references the earlier one, decided in turn. Three walls keep it so: the
ORM refuses updates and deletes of these rows (below), a trigger refuses them in the
database (SQLite and PostgreSQL, every role), and on PostgreSQL the application's role is
granted only SELECT and INSERT (migration c1e4ea5b8af2, docs/probation.md).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.auth.models import User
from portal.db import Base
from portal.probation.rules import Outcome

APPEND_ONLY_TABLES = ("probation_proposal", "probation_decision")


def _outcome() -> sa.Enum:
    return sa.Enum(Outcome, native_enum=False, length=16, create_constraint=True,
                   values_callable=lambda e: [m.value for m in e], name="probation_outcome")


class ProbationProposal(Base):
    """What a trainer or supervisor proposes for a trainee, with the recommendation pinned."""

    __tablename__ = "probation_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    outcome: Mapped[Outcome] = mapped_column(_outcome())
    # confirm: the confirmation date; extend: the new end of the observation period;
    # do not confirm: the last day.
    effective_date: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.Text)
    # rules.Recommendation.to_data(): outcome, date, every reason with its evidence.
    recommendation: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    policy_hash: Mapped[str] = mapped_column(sa.String(64))
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    proposed_at: Mapped[datetime]
    # A correction names the earlier (decided) proposal whose decision it replaces.
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("probation_proposal.id"))

    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])


class ProbationDecision(Base):
    """A supervisor's final decision on one proposal (at most one per proposal)."""

    __tablename__ = "probation_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("probation_proposal.id"), unique=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    accepted: Mapped[bool]  # the proposal as proposed, or decided otherwise
    outcome: Mapped[Outcome] = mapped_column(_outcome())
    effective_date: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.Text)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime]

    proposal: Mapped[ProbationProposal] = relationship()
    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])


class AppendOnlyViolation(RuntimeError):
    """Code tried to change or remove a row of the probation trail."""


_MODELS = (ProbationProposal, ProbationDecision)


def _refuse(mapper: Any, connection: Any, target: Any) -> None:
    raise AppendOnlyViolation(f"{type(target).__tablename__} rows are append-only")


for _model in _MODELS:
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: Any) -> None:
    """`update(ProbationDecision)` / `delete(...)` bypass the mapper events: refuse them here."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in APPEND_ONLY_TABLES:
        raise AppendOnlyViolation(f"{table.name} rows are append-only")
