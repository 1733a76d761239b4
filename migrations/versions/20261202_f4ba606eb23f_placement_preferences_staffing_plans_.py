"""placement: preferences, staffing plans, proposals, changes and the confirmation

Revision ID: f4ba606eb23f
Revises: c1e4ea5b8af2
Create Date: 2026-12-02 04:13:11.787311
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db


revision: str = 'f4ba606eb23f'
down_revision: str | Sequence[str] | None = 'c1e4ea5b8af2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('placement_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('capacities', sa.JSON(), nullable=False),
    sa.Column('method', sa.Enum('direct', 'formula', name='placement_plan_method', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('formula', sa.JSON(), nullable=True),
    sa.Column('saved_by_id', sa.Integer(), nullable=True),
    sa.Column('saved_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_placement_plan_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['saved_by_id'], ['user.id'], name=op.f('fk_placement_plan_saved_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_plan')),
    sa.UniqueConstraint('cohort_id', name=op.f('uq_placement_plan_cohort_id'))
    )
    op.create_table('placement_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('pre-sales', 'after-sales', name='placement_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_by_id'], ['user.id'], name=op.f('fk_placement_preference_set_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trainee_id'], ['user.id'], name=op.f('fk_placement_preference_trainee_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_preference'))
    )
    with op.batch_alter_table('placement_preference', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placement_preference_trainee_id'), ['trainee_id'], unique=False)

    op.create_table('placement_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('capacities', sa.JSON(), nullable=False),
    sa.Column('preference_bonus', sa.Double(), nullable=False),
    sa.Column('missing', sa.String(length=16), nullable=False),
    sa.Column('policy_hash', sa.String(length=64), nullable=False),
    sa.Column('total_fit', sa.Double(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_placement_proposal_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_placement_proposal_confirmed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_placement_proposal_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_proposal')),
    sa.UniqueConstraint('cohort_id', 'number', name=op.f('uq_placement_proposal_cohort_id'))
    )
    with op.batch_alter_table('placement_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placement_proposal_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('placement_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('preference', sa.Enum('pre-sales', 'after-sales', name='placement_row_preference', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('proposed_role', sa.Enum('pre-sales', 'after-sales', name='placement_row_proposed', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('role', sa.Enum('pre-sales', 'after-sales', name='placement_row_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('preference_cost', sa.Double(), nullable=True),
    sa.Column('total_if_preferred', sa.Double(), nullable=True),
    sa.Column('fits', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['placement_proposal.id'], name=op.f('fk_placement_row_proposal_id_placement_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trainee_id'], ['user.id'], name=op.f('fk_placement_row_trainee_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_row')),
    sa.UniqueConstraint('proposal_id', 'trainee_id', name=op.f('uq_placement_row_proposal_id'))
    )
    with op.batch_alter_table('placement_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placement_row_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placement_row_trainee_id'), ['trainee_id'], unique=False)

    op.create_table('placement_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('from_role', sa.Enum('pre-sales', 'after-sales', name='placement_change_from', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('to_role', sa.Enum('pre-sales', 'after-sales', name='placement_change_to', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('reason', sa.Enum('business_need', 'preference', 'observed', 'evidence', 'other', name='placement_change_reason', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_placement_change_changed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['row_id'], ['placement_row.id'], name=op.f('fk_placement_change_row_id_placement_row'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_change'))
    )
    with op.batch_alter_table('placement_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placement_change_row_id'), ['row_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('placement_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_change_row_id'))

    op.drop_table('placement_change')
    with op.batch_alter_table('placement_row', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_row_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_placement_row_proposal_id'))

    op.drop_table('placement_row')
    with op.batch_alter_table('placement_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_proposal_cohort_id'))

    op.drop_table('placement_proposal')
    with op.batch_alter_table('placement_preference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_preference_trainee_id'))

    op.drop_table('placement_preference')
    op.drop_table('placement_plan')
