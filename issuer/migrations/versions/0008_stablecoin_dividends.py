"""stablecoin dividends

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicekit.sql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('corporate_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payout', sa.String(length=12), server_default='reinvest', nullable=False))
        batch_op.add_column(sa.Column('distributed', servicekit.sql.ExactDecimal(length=64), nullable=True))
        batch_op.add_column(sa.Column('distribution_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('claim_deadline', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('reclaimed', servicekit.sql.ExactDecimal(length=64), nullable=True))
    op.create_table(
        'dividend_claims',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('action_id', sa.String(length=36), nullable=False),
        sa.Column('wallet', sa.String(length=42), nullable=False),
        sa.Column('raw', sa.String(length=80), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('action_id', 'wallet'),
    )
    with op.batch_alter_table('dividend_claims', schema=None) as batch_op:
        batch_op.create_index('ix_dividend_claims_action_id', ['action_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dividend_claims', schema=None) as batch_op:
        batch_op.drop_index('ix_dividend_claims_action_id')
    op.drop_table('dividend_claims')
    with op.batch_alter_table('corporate_actions', schema=None) as batch_op:
        for name in ('reclaimed', 'claim_deadline', 'distribution_id', 'distributed', 'payout'):
            batch_op.drop_column(name)
