"""chat: scenarios, drills, attempts, conversations, messages, reviews, quick phrases;
the passes of stages that name several assessments

Revision ID: fc1311d3bd8b
Revises: 8712f4bfd588
Create Date: 2026-12-02 00:49:58.795035
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db


revision: str = 'fc1311d3bd8b'
down_revision: str | Sequence[str] | None = '8712f4bfd588'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A stage that names several assessments (a written and a chat exam) records each pass.
    op.create_table('assessment_pass',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('track_key', sa.String(length=64), nullable=False),
    sa.Column('stage_key', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('passed_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reference', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_assessment_pass_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_pass')),
    sa.UniqueConstraint('user_id', 'track_key', 'stage_key', 'source', name=op.f('uq_assessment_pass_user_id'))
    )
    with op.batch_alter_table('assessment_pass', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_pass_user_id'), ['user_id'], unique=False)

    op.create_table('chat_drill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_drill')),
    sa.UniqueConstraint('key', name=op.f('uq_chat_drill_key'))
    )
    op.create_table('chat_scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_scenario')),
    sa.UniqueConstraint('key', name=op.f('uq_chat_scenario_key'))
    )
    op.create_table('chat_drill_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_drill_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('track_key', sa.String(length=64), nullable=True),
    sa.Column('stage_key', sa.String(length=64), nullable=True),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['chat_drill_id'], ['chat_drill.id'], name=op.f('fk_chat_drill_version_chat_drill_id_chat_drill'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_chat_drill_version_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_drill_version')),
    sa.UniqueConstraint('chat_drill_id', 'number', name=op.f('uq_chat_drill_version_chat_drill_id'))
    )
    with op.batch_alter_table('chat_drill_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_drill_version_chat_drill_id'), ['chat_drill_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_drill_version_track_key'), ['track_key'], unique=False)

    op.create_table('chat_scenario_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_scenario_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['chat_scenario_id'], ['chat_scenario.id'], name=op.f('fk_chat_scenario_version_chat_scenario_id_chat_scenario'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_chat_scenario_version_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_scenario_version')),
    sa.UniqueConstraint('chat_scenario_id', 'number', name=op.f('uq_chat_scenario_version_chat_scenario_id'))
    )
    with op.batch_alter_table('chat_scenario_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_scenario_version_chat_scenario_id'), ['chat_scenario_id'], unique=False)

    op.create_table('quick_phrase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_quick_phrase_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quick_phrase'))
    )
    with op.batch_alter_table('quick_phrase', schema=None) as batch_op:
        batch_op.create_index('ix_quick_phrase_user_position', ['user_id', 'position'], unique=False)

    op.create_table('chat_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('chat_drill_id', sa.Integer(), nullable=False),
    sa.Column('chat_drill_version_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('in_progress', 'finished', name='chat_attempt_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('started_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.Enum('scripts', 'trainee', 'deadline', name='chat_ended_by', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('next_event_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('auto_result', sa.JSON(), nullable=True),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('fail_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['chat_drill_id'], ['chat_drill.id'], name=op.f('fk_chat_attempt_chat_drill_id_chat_drill'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['chat_drill_version_id'], ['chat_drill_version.id'], name=op.f('fk_chat_attempt_chat_drill_version_id_chat_drill_version')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_chat_attempt_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_attempt')),
    sa.UniqueConstraint('user_id', 'chat_drill_id', 'number', name=op.f('uq_chat_attempt_user_id'))
    )
    with op.batch_alter_table('chat_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_attempt_chat_drill_id'), ['chat_drill_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_attempt_deadline_at'), ['deadline_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_attempt_next_event_at'), ['next_event_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_attempt_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_attempt_user_id'), ['user_id'], unique=False)

    op.create_table('chat_conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_attempt_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('chat_scenario_version_id', sa.Integer(), nullable=False),
    sa.Column('arrives_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('entered_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('unmatched', sa.Integer(), nullable=False),
    sa.Column('nudges_sent', sa.Integer(), nullable=False),
    sa.Column('waiting_since', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended', sa.Boolean(), nullable=False),
    sa.Column('ending', sa.String(length=16), nullable=True),
    sa.Column('ended_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('read_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['chat_attempt_id'], ['chat_attempt.id'], name=op.f('fk_chat_conversation_chat_attempt_id_chat_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['chat_scenario_version_id'], ['chat_scenario_version.id'], name=op.f('fk_chat_conversation_chat_scenario_version_id_chat_scenario_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_conversation')),
    sa.UniqueConstraint('chat_attempt_id', 'slot', name=op.f('uq_chat_conversation_chat_attempt_id'))
    )
    with op.batch_alter_table('chat_conversation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_conversation_chat_attempt_id'), ['chat_attempt_id'], unique=False)

    op.create_table('chat_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_attempt_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('points', sa.Double(), nullable=False),
    sa.Column('reason', sa.Enum('agree', 'missed_good', 'missed_bad', 'false_match', 'context', 'other', name='chat_review_reason', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chat_attempt_id'], ['chat_attempt.id'], name=op.f('fk_chat_review_chat_attempt_id_chat_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], name=op.f('fk_chat_review_reviewer_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_review'))
    )
    with op.batch_alter_table('chat_review', schema=None) as batch_op:
        batch_op.create_index('ix_chat_review_attempt_item', ['chat_attempt_id', 'item'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_review_chat_attempt_id'), ['chat_attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_review_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('chat_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_attempt_id', sa.Integer(), nullable=False),
    sa.Column('chat_conversation_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('sender', sa.Enum('customer', 'trainee', 'system', name='chat_sender', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('due_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('nudge', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['chat_attempt_id'], ['chat_attempt.id'], name=op.f('fk_chat_message_chat_attempt_id_chat_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['chat_conversation_id'], ['chat_conversation.id'], name=op.f('fk_chat_message_chat_conversation_id_chat_conversation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_message')),
    sa.UniqueConstraint('chat_attempt_id', 'seq', name=op.f('uq_chat_message_chat_attempt_id'))
    )
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_message_chat_conversation_id'), ['chat_conversation_id'], unique=False)
        batch_op.create_index('ix_chat_message_due', ['chat_attempt_id', 'delivered_at', 'due_at'], unique=False)

    # The "current version" links point back at the version tables: added once both exist.
    for table in ("chat_drill", "chat_scenario"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_current_version_id_{table}_version"), f"{table}_version",
                ["current_version_id"], ["id"], ondelete="SET NULL", use_alter=True)


def downgrade() -> None:
    for table in ("chat_drill", "chat_scenario"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_current_version_id_{table}_version"), type_="foreignkey")
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_message_due')
        batch_op.drop_index(batch_op.f('ix_chat_message_chat_conversation_id'))

    op.drop_table('chat_message')
    with op.batch_alter_table('chat_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_review_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_chat_review_chat_attempt_id'))
        batch_op.drop_index('ix_chat_review_attempt_item')

    op.drop_table('chat_review')
    with op.batch_alter_table('chat_conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_conversation_chat_attempt_id'))

    op.drop_table('chat_conversation')
    with op.batch_alter_table('chat_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_attempt_user_id'))
        batch_op.drop_index(batch_op.f('ix_chat_attempt_status'))
        batch_op.drop_index(batch_op.f('ix_chat_attempt_next_event_at'))
        batch_op.drop_index(batch_op.f('ix_chat_attempt_deadline_at'))
        batch_op.drop_index(batch_op.f('ix_chat_attempt_chat_drill_id'))

    op.drop_table('chat_attempt')
    with op.batch_alter_table('quick_phrase', schema=None) as batch_op:
        batch_op.drop_index('ix_quick_phrase_user_position')

    op.drop_table('quick_phrase')
    with op.batch_alter_table('chat_scenario_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_scenario_version_chat_scenario_id'))

    op.drop_table('chat_scenario_version')
    with op.batch_alter_table('chat_drill_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_drill_version_track_key'))
        batch_op.drop_index(batch_op.f('ix_chat_drill_version_chat_drill_id'))

    op.drop_table('chat_drill_version')
    op.drop_table('chat_scenario')
    op.drop_table('chat_drill')
    with op.batch_alter_table('assessment_pass', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_pass_user_id'))

    op.drop_table('assessment_pass')
