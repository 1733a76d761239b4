"""log-in throttle counters in the portal's own database (portal-db://)

One row per rate-limit key and fixed window (portal/auth/throttle.py): every process
serving the portal counts in these rows. Nothing else refers to them; downgrading loses
only counts of failed log-ins.

On PostgreSQL with a separate application role (docs/probation.md), that role needs
SELECT, INSERT, UPDATE and DELETE on rate_limit_counter: grant them after this upgrade
("ON ALL TABLES" grants cover only the tables that exist when they run).

Revision ID: 1514e0b3395e
Revises: f4ba606eb23f
Create Date: 2026-12-02 16:13:33
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db


revision: str = '1514e0b3395e'
down_revision: str | Sequence[str] | None = 'f4ba606eb23f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rate_limit_counter',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counter'))
    )
    with op.batch_alter_table('rate_limit_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counter_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rate_limit_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counter_expires_at'))

    op.drop_table('rate_limit_counter')
