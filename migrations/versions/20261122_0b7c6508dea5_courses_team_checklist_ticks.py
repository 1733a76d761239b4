"""courses: team checklist ticks

Revision ID: 0b7c6508dea5
Revises: 44b1e2ef5f1e
Create Date: 2026-11-22 12:01:36.846685
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db


revision: str = '0b7c6508dea5'
down_revision: str | Sequence[str] | None = '44b1e2ef5f1e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('checklist_tick',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('track_key', sa.String(length=64), nullable=False),
    sa.Column('stage_key', sa.String(length=64), nullable=False),
    sa.Column('item_key', sa.String(length=64), nullable=False),
    sa.Column('ticked_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_checklist_tick_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_tick')),
    sa.UniqueConstraint('user_id', 'track_key', 'stage_key', 'item_key', name=op.f('uq_checklist_tick_user_id'))
    )
    with op.batch_alter_table('checklist_tick', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_tick_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('checklist_tick', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_tick_user_id'))

    op.drop_table('checklist_tick')
