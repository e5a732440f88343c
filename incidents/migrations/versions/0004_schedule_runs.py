"""Scheduled drills: each due instant of a schedule entry is claimed in
``schedule_runs`` (unique on entry and instant, so two processes sharing the log run
it once), ``schedule_cursors`` remembers up to when each entry was looked at, and a
drill run keeps the reason the schedule ran it. Existing data is kept.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("drill_runs", sa.Column("schedule_reason", sa.Text))
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entry", sa.String(80), nullable=False),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("utc_offset", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("scenario", sa.String(200)),
        sa.Column("rule", sa.String(20)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("drill_run_id", sa.Integer, sa.ForeignKey("drill_runs.id", ondelete="SET NULL")),
        sa.Column("claimed_by", sa.String(200), nullable=False),
        sa.Column("claimed_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.UniqueConstraint("entry", "due_at", name="uq_schedule_runs_entry_due_at"),
    )
    op.create_table(
        "schedule_cursors",
        sa.Column("entry", sa.String(80), primary_key=True),
        sa.Column("checked_until", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("schedule_cursors")
    op.drop_table("schedule_runs")
    with op.batch_alter_table("drill_runs") as batch:
        batch.drop_column("schedule_reason")
