"""A corporate action's supply at completion, a figure of its own: ``supply_raw`` stays what
the schedule's reference hashed.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('corporate_actions') as batch:
        batch.add_column(sa.Column('final_supply_raw', sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('corporate_actions') as batch:
        batch.drop_column('final_supply_raw')
