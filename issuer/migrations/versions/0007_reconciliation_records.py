"""reconciliation records

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 14:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicekit.sql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reconciliations',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('symbol', sa.String(length=16), nullable=False),
        sa.Column('block', sa.BigInteger(), nullable=False),
        sa.Column('broker_time', servicekit.sql.UTCDateTime(), nullable=False),
        sa.Column('raw_supply', sa.String(length=80), nullable=False),
        sa.Column('multiplier', sa.String(length=80), nullable=False),
        *(sa.Column(name, servicekit.sql.ExactDecimal(length=64), nullable=False) for name in (
            'economic_supply', 'custody_qty', 'custody_settled', 'custody_pending',
            'allowed_pending', 'surplus')),
        sa.Column('holds', sa.Boolean(), nullable=False),
        sa.Column('split_adjusted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('reconciliations', schema=None) as batch_op:
        batch_op.create_index('ix_reconciliations_symbol_block', ['symbol', 'block'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reconciliations', schema=None) as batch_op:
        batch_op.drop_index('ix_reconciliations_symbol_block')
    op.drop_table('reconciliations')
