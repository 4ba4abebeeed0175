"""dividend entitlements of creations and redemptions in flight at the record date, the
residue split into owed and free, the broker moment a corporate action takes effect

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicekit.sql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

DECIMALS = ('owed_creations', 'owed_redemptions', 'redeemers_paid', 'residue_owed',
            'residue_free')


def upgrade() -> None:
    with op.batch_alter_table('corporate_actions', schema=None) as batch_op:
        for name in DECIMALS:
            batch_op.add_column(sa.Column(name, servicekit.sql.ExactDecimal(length=64),
                                          nullable=True))
        batch_op.add_column(sa.Column('effective_broker_at', servicekit.sql.UTCDateTime(),
                                      nullable=True))
    op.create_table(
        'dividend_entitlements',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('action_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('lifecycle_id', sa.String(length=36), nullable=False),
        sa.Column('qty', servicekit.sql.ExactDecimal(length=64), nullable=False),
        sa.Column('raw', sa.String(length=80), nullable=True),
        sa.Column('amount', servicekit.sql.ExactDecimal(length=64), nullable=True),
        sa.Column('journal_id', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('action_id', 'kind', 'lifecycle_id'),
    )
    with op.batch_alter_table('dividend_entitlements', schema=None) as batch_op:
        batch_op.create_index('ix_dividend_entitlements_action_id', ['action_id'], unique=False)
        batch_op.create_index('ix_dividend_entitlements_lifecycle_id', ['lifecycle_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dividend_entitlements', schema=None) as batch_op:
        batch_op.drop_index('ix_dividend_entitlements_lifecycle_id')
        batch_op.drop_index('ix_dividend_entitlements_action_id')
    op.drop_table('dividend_entitlements')
    with op.batch_alter_table('corporate_actions', schema=None) as batch_op:
        for name in ('effective_broker_at', *DECIMALS[::-1]):
            batch_op.drop_column(name)
