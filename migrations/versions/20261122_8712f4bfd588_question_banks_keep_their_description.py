"""question banks keep their description

Revision ID: 8712f4bfd588
Revises: 2bc1d1be6fb7
Create Date: 2026-11-22 13:03:22.150331
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db


revision: str = '8712f4bfd588'
down_revision: str | Sequence[str] | None = '2bc1d1be6fb7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('question_bank', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('question_bank', schema=None) as batch_op:
        batch_op.drop_column('description')

