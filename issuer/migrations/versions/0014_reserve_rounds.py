"""a mint the reserve refused is attested again: the round of each creation and ITN request

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('creations', 'itn_requests'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('reserve_round', sa.Integer(), server_default='0',
                                          nullable=False))


def downgrade() -> None:
    for table in ('creations', 'itn_requests'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('reserve_round')
