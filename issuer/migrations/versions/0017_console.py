"""The operator console's sessions (console_sessions) and the workers' heartbeats
(worker_heartbeats)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicekit.sql

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_sessions',
        sa.Column('id', sa.String(64), primary_key=True),
        sa.Column('api_key_id', sa.String(36), sa.ForeignKey('api_keys.id'), nullable=False),
        sa.Column('csrf', sa.String(64), nullable=False),
        sa.Column('created_at', servicekit.sql.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', servicekit.sql.UTCDateTime(), nullable=False))
    op.create_index('ix_console_sessions_api_key_id', 'console_sessions', ['api_key_id'])
    op.create_table(
        'worker_heartbeats',
        sa.Column('worker', sa.String(120), primary_key=True),
        sa.Column('passes', sa.BigInteger(), nullable=False),
        sa.Column('last_pass_at', servicekit.sql.UTCDateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_table('worker_heartbeats')
    op.drop_index('ix_console_sessions_api_key_id', table_name='console_sessions')
    op.drop_table('console_sessions')
