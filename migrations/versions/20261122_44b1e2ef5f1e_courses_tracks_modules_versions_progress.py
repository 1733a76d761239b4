"""courses: tracks, modules, versions, progress

Revision ID: 44b1e2ef5f1e
Revises: a139872d50ce
Create Date: 2026-11-22 11:39:52.385667
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db


revision: str = '44b1e2ef5f1e'
down_revision: str | Sequence[str] | None = 'a139872d50ce'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('track',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_track')),
    sa.UniqueConstraint('key', name=op.f('uq_track_key'))
    )
    op.create_table('module',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['track_id'], ['track.id'], name=op.f('fk_module_track_id_track'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module')),
    sa.UniqueConstraint('track_id', 'key', name=op.f('uq_module_track_id'))
    )
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_track_id'), ['track_id'], unique=False)

    op.create_table('module_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('first_opened_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_opened_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seconds_spent', sa.Integer(), nullable=False),
    sa.Column('last_anchor', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_module_progress_module_id_module'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_module_progress_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_progress')),
    sa.UniqueConstraint('user_id', 'module_id', name=op.f('uq_module_progress_user_id'))
    )
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_progress_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_module_progress_user_id'), ['user_id'], unique=False)

    op.create_table('module_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('toc_html', sa.Text(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_module_version_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_module_version_module_id_module'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_version')),
    sa.UniqueConstraint('module_id', 'number', name=op.f('uq_module_version_module_id'))
    )
    with op.batch_alter_table('module_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_version_module_id'), ['module_id'], unique=False)

    op.create_table('stage_completion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('track_key', sa.String(length=64), nullable=False),
    sa.Column('stage_key', sa.String(length=64), nullable=False),
    sa.Column('completed_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_stage_completion_by_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_stage_completion_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_completion')),
    sa.UniqueConstraint('user_id', 'track_key', 'stage_key', name=op.f('uq_stage_completion_user_id'))
    )
    with op.batch_alter_table('stage_completion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_completion_user_id'), ['user_id'], unique=False)

    op.create_table('track_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('stages', sa.JSON(), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_track_version_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['track_id'], ['track.id'], name=op.f('fk_track_version_track_id_track'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_track_version')),
    sa.UniqueConstraint('track_id', 'number', name=op.f('uq_track_version_track_id'))
    )
    with op.batch_alter_table('track_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_track_version_track_id'), ['track_id'], unique=False)

    # The "current version" links point back at the version tables: added once both exist.
    for table in ("track", "module"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_current_version_id_{table}_version"), f"{table}_version",
                ["current_version_id"], ["id"], ondelete="SET NULL", use_alter=True)


def downgrade() -> None:
    for table in ("track", "module"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_current_version_id_{table}_version"), type_="foreignkey")
    with op.batch_alter_table('track_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_track_version_track_id'))

    op.drop_table('track_version')
    with op.batch_alter_table('stage_completion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_completion_user_id'))

    op.drop_table('stage_completion')
    with op.batch_alter_table('module_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_version_module_id'))

    op.drop_table('module_version')
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_progress_user_id'))
        batch_op.drop_index(batch_op.f('ix_module_progress_module_id'))

    op.drop_table('module_progress')
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_track_id'))

    op.drop_table('module')
    op.drop_table('track')
