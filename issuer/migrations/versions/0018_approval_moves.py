"""Approvals change status through the lifecycle kernel's ``move`` (audited, logged, a crash
point): they carry the reason and time of their last change like every other machine.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 14:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicekit.sql

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('approvals') as batch:
        batch.add_column(sa.Column('status_reason', sa.Text(), nullable=True))
        batch.add_column(sa.Column('updated_at', servicekit.sql.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('approvals') as batch:
        batch.drop_column('updated_at')
        batch.drop_column('status_reason')
