"""ITN requests: the broker date a mint's shares arrived in custody (its dividend entitlement
and split units), when a redemption started waiting for the broker (its timeout) and the raw
dust below the broker's 9 decimals a redemption returns to the AP

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 04:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicekit.sql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('itn_requests') as batch_op:
        batch_op.add_column(sa.Column('arrived_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('pending_since', servicekit.sql.UTCDateTime(),
                                          nullable=True))
        batch_op.add_column(sa.Column('dust_raw', sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('itn_requests') as batch_op:
        batch_op.drop_column('dust_raw')
        batch_op.drop_column('pending_since')
        batch_op.drop_column('arrived_on')
