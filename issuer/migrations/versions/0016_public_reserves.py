"""The public reserve figures served from a cache (public_views) and the signed snapshots
(public_snapshots)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicekit.sql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'public_views',
        sa.Column('symbol', sa.String(16), primary_key=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('refreshed_at', servicekit.sql.UTCDateTime(), nullable=False))
    op.create_table(
        'public_snapshots',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('symbol', sa.String(16), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('ref', sa.String(40), nullable=False),
        sa.Column('block', sa.BigInteger(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('digest', sa.String(66), nullable=False),
        sa.Column('signature', sa.String(132), nullable=False),
        sa.Column('signer', sa.String(42), nullable=False),
        sa.Column('created_at', servicekit.sql.UTCDateTime(), nullable=False),
        sa.UniqueConstraint('symbol', 'kind', 'ref', name='uq_public_snapshot'))
    op.create_index('ix_public_snapshots_symbol', 'public_snapshots', ['symbol', 'id'])


def downgrade() -> None:
    op.drop_index('ix_public_snapshots_symbol', table_name='public_snapshots')
    op.drop_table('public_snapshots')
    op.drop_table('public_views')
