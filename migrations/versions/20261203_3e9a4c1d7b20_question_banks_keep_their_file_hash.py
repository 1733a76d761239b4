"""question banks keep the hash of the file they were imported from

Revision ID: 3e9a4c1d7b20
Revises: 1514e0b3395e
Create Date: 2026-12-03 15:50:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3e9a4c1d7b20'
down_revision: str | Sequence[str] | None = '1514e0b3395e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for every bank imported before: the next import of its file reads it in full once.
    with op.batch_alter_table('question_bank', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_question_bank_file_hash'), ['file_hash'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('question_bank', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_bank_file_hash'))
        batch_op.drop_column('file_hash')
