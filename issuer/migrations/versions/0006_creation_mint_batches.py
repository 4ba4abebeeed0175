"""creation mint batches

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('creations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mint_batch', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_creations_mint_batch', ['mint_batch'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('creations', schema=None) as batch_op:
        batch_op.drop_index('ix_creations_mint_batch')
        batch_op.drop_column('mint_batch')
