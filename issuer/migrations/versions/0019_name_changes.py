"""A name change's new symbol, the token name and symbol that follow it, and the calls the
token's owner sends for it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('corporate_actions') as batch:
        batch.add_column(sa.Column('new_symbol', sa.String(16), nullable=True))
        batch.add_column(sa.Column('token_name', sa.String(200), nullable=True))
        batch.add_column(sa.Column('token_symbol', sa.String(32), nullable=True))
        batch.add_column(sa.Column('owner_calls', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('corporate_actions') as batch:
        for column in ('owner_calls', 'token_symbol', 'token_name', 'new_symbol'):
            batch.drop_column(column)
