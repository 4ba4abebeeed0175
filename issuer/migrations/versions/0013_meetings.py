"""shareholder meetings passed through: meetings, holders of record, signed ballots

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicekit.sql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'meetings',
        sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('symbol', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('status_reason', sa.Text(), nullable=True),
        sa.Column('meeting_date', sa.Date(), nullable=False),
        sa.Column('record_date', sa.Date(), nullable=False),
        sa.Column('cutoff', servicekit.sql.UTCDateTime(), nullable=False),
        sa.Column('deadline', servicekit.sql.UTCDateTime(), nullable=False),
        sa.Column('proposals', sa.JSON(), nullable=False),
        sa.Column('unvoted_policy', sa.String(length=8), nullable=False),
        sa.Column('record_block', sa.BigInteger(), nullable=True),
        sa.Column('multiplier', sa.String(length=80), nullable=True),
        sa.Column('entitled_shares', servicekit.sql.ExactDecimal(length=64), nullable=True),
        sa.Column('root', sa.String(length=66), nullable=True),
        sa.Column('custody_shares', servicekit.sql.ExactDecimal(length=64), nullable=True),
        sa.Column('instruction', sa.JSON(), nullable=True),
        sa.Column('instruction_hash', sa.String(length=66), nullable=True),
        sa.Column('broker_instruction_id', sa.String(length=36), nullable=True),
        sa.Column('results', sa.JSON(), nullable=True),
        sa.Column('created_at', servicekit.sql.UTCDateTime(), nullable=False),
        sa.Column('updated_at', servicekit.sql.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'ballots',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('meeting_id', sa.String(length=36), nullable=False),
        sa.Column('voter', sa.String(length=42), nullable=False),
        sa.Column('nonce', sa.BigInteger(), nullable=False),
        sa.Column('votes', sa.JSON(), nullable=False),
        sa.Column('digest', sa.String(length=66), nullable=False),
        sa.Column('signature', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', servicekit.sql.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('meeting_id', 'voter', 'nonce'),
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index('ix_ballots_meeting_id', ['meeting_id'], unique=False)
    op.create_table(
        'meeting_entitlements',
        sa.Column('meeting_id', sa.String(length=36), nullable=False),
        sa.Column('holder', sa.String(length=42), nullable=False),
        sa.Column('raw', sa.String(length=80), nullable=False),
        sa.Column('units', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id']),
        sa.PrimaryKeyConstraint('meeting_id', 'holder'),
    )


def downgrade() -> None:
    op.drop_table('meeting_entitlements')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index('ix_ballots_meeting_id')
    op.drop_table('ballots')
    op.drop_table('meetings')
