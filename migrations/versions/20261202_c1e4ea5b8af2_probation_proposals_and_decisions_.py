"""probation: proposals and decisions, append-only

Both tables are only ever inserted into. A trigger refuses UPDATE and DELETE, and TRUNCATE
on PostgreSQL, for every role, the owner included. On PostgreSQL, UPDATE, DELETE and
TRUNCATE are revoked from PUBLIC, and when an application role is named (`-x app_role=NAME`
or PORTAL_DB_APP_ROLE; none by default) it is granted only SELECT and INSERT on these tables
(and USAGE on their id sequences and the schema). See docs/probation.md.

Revision ID: c1e4ea5b8af2
Revises: 5da51e24607e
Create Date: 2026-12-02 04:07:13.544883
"""
from __future__ import annotations

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

import portal.db


revision: str = 'c1e4ea5b8af2'
down_revision: str | Sequence[str] | None = '5da51e24607e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("probation_proposal", "probation_decision")
ROLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
MESSAGE = "probation trail rows are append-only"


def app_role() -> str | None:
    """The application's database role named for this run, if any (checked: a bare name)."""
    name = (context.get_x_argument(as_dictionary=True).get("app_role")
            or os.environ.get("PORTAL_DB_APP_ROLE", "")).strip()
    if not name:
        return None
    if not ROLE_RE.match(name):
        raise RuntimeError(f"PORTAL_DB_APP_ROLE {name!r} is not a plain role name")
    return name


def _sqlite_walls() -> None:
    for table in TABLES:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def _postgres_walls() -> None:
    op.execute(f"""CREATE FUNCTION probation_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
        END $$""")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION probation_refuse_change()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION probation_refuse_change()")
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC")
    role = app_role()
    if role is None:
        return
    bind = op.get_bind()
    op.execute(f'GRANT USAGE ON SCHEMA "{bind.scalar(sa.text("SELECT current_schema()"))}" '
               f'TO "{role}"')
    for table in TABLES:
        op.execute(f'REVOKE ALL ON {table} FROM "{role}"')
        op.execute(f'GRANT SELECT, INSERT ON {table} TO "{role}"')
        sequence = bind.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})
        op.execute(f'GRANT USAGE, SELECT ON SEQUENCE {sequence} TO "{role}"')


def upgrade() -> None:
    op.create_table('probation_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('confirm', 'extend', 'do_not_confirm', name='probation_outcome', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recommendation', sa.JSON(), nullable=False),
    sa.Column('policy_hash', sa.String(length=64), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['corrects_id'], ['probation_proposal.id'], name=op.f('fk_probation_proposal_corrects_id_probation_proposal')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_probation_proposal_proposed_by_id_user')),
    sa.ForeignKeyConstraint(['trainee_id'], ['user.id'], name=op.f('fk_probation_proposal_trainee_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_probation_proposal'))
    )
    with op.batch_alter_table('probation_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_probation_proposal_trainee_id'), ['trainee_id'], unique=False)

    op.create_table('probation_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.Enum('confirm', 'extend', 'do_not_confirm', name='probation_outcome', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_probation_decision_decided_by_id_user')),
    sa.ForeignKeyConstraint(['proposal_id'], ['probation_proposal.id'], name=op.f('fk_probation_decision_proposal_id_probation_proposal')),
    sa.ForeignKeyConstraint(['trainee_id'], ['user.id'], name=op.f('fk_probation_decision_trainee_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_probation_decision')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_probation_decision_proposal_id'))
    )
    with op.batch_alter_table('probation_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_probation_decision_trainee_id'), ['trainee_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _postgres_walls()
    else:
        _sqlite_walls()


def downgrade() -> None:
    # Dropping the tables drops their triggers (and their rows: a downgrade is a reset).
    with op.batch_alter_table('probation_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_probation_decision_trainee_id'))

    op.drop_table('probation_decision')
    with op.batch_alter_table('probation_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_probation_proposal_trainee_id'))

    op.drop_table('probation_proposal')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS probation_refuse_change()")
