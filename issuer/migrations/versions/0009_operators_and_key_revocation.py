"""operators own API keys; keys can be revoked; approvals name operators

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicekit.sql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('issued_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', servicekit.sql.UTCDateTime(), nullable=True))
    # a key made before operators existed belongs to an operator of its own name
    op.execute("UPDATE api_keys SET operator = name WHERE operator IS NULL")
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.alter_column('operator', existing_type=sa.String(length=100), nullable=False)
        batch_op.create_index('ix_api_keys_operator', ['operator'], unique=False)
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.alter_column('requested_by', existing_type=sa.String(length=36),
                              type_=sa.String(length=100))
        batch_op.alter_column('decided_by', existing_type=sa.String(length=36),
                              type_=sa.String(length=100))
    with op.batch_alter_table('symbol_halts', schema=None) as batch_op:
        batch_op.alter_column('cleared_by', existing_type=sa.String(length=36),
                              type_=sa.String(length=100))


def downgrade() -> None:
    with op.batch_alter_table('symbol_halts', schema=None) as batch_op:
        batch_op.alter_column('cleared_by', existing_type=sa.String(length=100),
                              type_=sa.String(length=36))
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.alter_column('decided_by', existing_type=sa.String(length=100),
                              type_=sa.String(length=36))
        batch_op.alter_column('requested_by', existing_type=sa.String(length=100),
                              type_=sa.String(length=36))
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_api_keys_operator')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('issued_by')
        batch_op.drop_column('operator')
