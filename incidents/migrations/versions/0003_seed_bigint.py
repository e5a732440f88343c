"""Drill seeds are 64-bit: drillbit picks seeds in 0..2**63 - 1, which PostgreSQL's
INTEGER (32-bit) cannot hold. SQLite's INTEGER already holds 64 bits, and rebuilding
the table there would cascade-delete the runs' metrics, so SQLite is left as it is.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("drill_runs", "seed", type_=sa.BigInteger, existing_type=sa.Integer, existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("drill_runs", "seed", type_=sa.Integer, existing_type=sa.BigInteger, existing_nullable=True)
