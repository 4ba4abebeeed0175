"""the tokenization network: ITN mint and redemption requests, the participant's email and the
account number the broker linked

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicekit.sql

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTERs, no table copy: other tables' foreign keys point at participants
    op.add_column('participants', sa.Column('email', sa.String(length=200), nullable=True))
    op.add_column('participants', sa.Column('itn_account_number', sa.String(length=64),
                                            nullable=True))
    op.create_index('uq_participants_email', 'participants', ['email'], unique=True)
    op.create_table(
        'itn_requests',
        sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('type', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('status_reason', sa.Text(), nullable=True),
        sa.Column('tokenization_request_id', sa.String(length=64), nullable=True),
        sa.Column('issuer_request_id', sa.String(length=140), nullable=False),
        sa.Column('participant_id', sa.String(length=36), nullable=False),
        sa.Column('symbol', sa.String(length=16), nullable=False),
        sa.Column('token_symbol', sa.String(length=32), nullable=False),
        sa.Column('network', sa.String(length=32), nullable=False),
        sa.Column('qty', servicekit.sql.ExactDecimal(length=64), nullable=False),
        sa.Column('wallet', sa.String(length=42), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('raw', sa.String(length=80), nullable=True),
        sa.Column('multiplier', sa.String(length=80), nullable=True),
        sa.Column('mint_batch', sa.String(length=36), nullable=True),
        sa.Column('tx_hash', sa.String(length=66), nullable=True),
        sa.Column('block_number', sa.BigInteger(), nullable=True),
        sa.Column('callback_acknowledged', sa.Boolean(), nullable=False),
        sa.Column('callback_attempts', sa.Integer(), nullable=False),
        sa.Column('broker_status', sa.String(length=12), nullable=True),
        sa.Column('fees', servicekit.sql.ExactDecimal(length=64), nullable=True),
        sa.Column('created_at', servicekit.sql.UTCDateTime(), nullable=False),
        sa.Column('updated_at', servicekit.sql.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tokenization_request_id'),
        sa.UniqueConstraint('issuer_request_id'),
    )
    with op.batch_alter_table('itn_requests', schema=None) as batch_op:
        batch_op.create_index('ix_itn_requests_status', ['status', 'type'], unique=False)
        batch_op.create_index('ix_itn_requests_mint_batch', ['mint_batch'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('itn_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_itn_requests_mint_batch')
        batch_op.drop_index('ix_itn_requests_status')
    op.drop_table('itn_requests')
    op.drop_index('uq_participants_email', table_name='participants')
    op.drop_column('participants', 'itn_account_number')
    op.drop_column('participants', 'email')
