"""observations: forms and their versions; the append-only entries staff record

Revision ID: 5da51e24607e
Revises: fc1311d3bd8b
Create Date: 2026-12-02 01:55:38.517846
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db


revision: str = '5da51e24607e'
down_revision: str | Sequence[str] | None = 'fc1311d3bd8b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('observation_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation_form')),
    sa.UniqueConstraint('key', name=op.f('uq_observation_form_key'))
    )
    op.create_table('observation_form_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('observation_form_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_observation_form_version_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['observation_form_id'], ['observation_form.id'], name=op.f('fk_observation_form_version_observation_form_id_observation_form'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation_form_version')),
    sa.UniqueConstraint('observation_form_id', 'number', name=op.f('uq_observation_form_version_observation_form_id'))
    )
    with op.batch_alter_table('observation_form_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observation_form_version_observation_form_id'), ['observation_form_id'], unique=False)

    # Entries are only ever inserted: a change is a new row, the latest row is current.
    op.create_table('observation_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score >= 1 AND score <= 5', name=op.f('ck_observation_entry_score_range')),
    sa.ForeignKeyConstraint(['form_version_id'], ['observation_form_version.id'], name=op.f('fk_observation_entry_form_version_id_observation_form_version'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_observation_entry_recorded_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trainee_id'], ['user.id'], name=op.f('fk_observation_entry_trainee_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation_entry'))
    )
    with op.batch_alter_table('observation_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observation_entry_form_version_id'), ['form_version_id'], unique=False)
        batch_op.create_index('ix_observation_entry_trainee_item', ['trainee_id', 'item'], unique=False)

    # The "current version" link points back at the version table: added once both exist.
    with op.batch_alter_table('observation_form', schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f('fk_observation_form_current_version_id_observation_form_version'),
            'observation_form_version', ['current_version_id'], ['id'], ondelete='SET NULL',
            use_alter=True)


def downgrade() -> None:
    with op.batch_alter_table('observation_form', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_observation_form_current_version_id_observation_form_version'),
            type_='foreignkey')
    with op.batch_alter_table('observation_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_observation_entry_trainee_item')
        batch_op.drop_index(batch_op.f('ix_observation_entry_form_version_id'))

    op.drop_table('observation_entry')
    with op.batch_alter_table('observation_form_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observation_form_version_observation_form_id'))

    op.drop_table('observation_form_version')
    op.drop_table('observation_form')
