"""Users, their roles, and the hiring batches (cohorts) they belong to."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow


class Role(StrEnum):
    TRAINEE = "trainee"
    TRAINER = "trainer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# Staff roles that are attached to cohorts to follow them.
COHORT_STAFF_ROLES = (Role.TRAINER, Role.SUPERVISOR)


cohort_staff = sa.Table(
    "cohort_staff",
    Base.metadata,
    sa.Column("cohort_id", sa.ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Cohort(Base):
    """A hiring batch that starts onboarding together on one track."""

    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    start_date: Mapped[date]
    track_key: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trainees: Mapped[list[User]] = relationship(
        back_populates="cohort", foreign_keys="User.cohort_id", order_by="User.employee_no"
    )
    staff: Mapped[list[User]] = relationship(
        secondary=cohort_staff, back_populates="staffed_cohorts", order_by="User.employee_no"
    )


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e],
                create_constraint=True, name="role")
    )
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohort.id", ondelete="SET NULL"), index=True
    )
    hire_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Bumped on log-out, deactivation and password changes: every cookie that
    # carries an older version stops working at once (checked by the user loader).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None]

    cohort: Mapped[Cohort | None] = relationship(back_populates="trainees", foreign_keys=[cohort_id])
    staffed_cohorts: Mapped[list[Cohort]] = relationship(
        secondary=cohort_staff, back_populates="staff", order_by="Cohort.start_date.desc()"
    )

    # flask-login protocol, kept free of Flask imports.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class RateLimitCounter(Base):
    """One fixed-window counter of the log-in throttle (`portal.auth.throttle`): `count`
    hits of `key` in the window that ends at `expires_at`. Every process serving the
    portal counts in these rows, so a limit holds across processes and machines."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the cleanup's scan
