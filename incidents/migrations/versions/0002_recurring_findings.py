"""Recurring findings and page times: an action item knows the finding it tracks
(scenario, rule, subject), how often and when it was last seen, and whether it came
back after being closed; an incident knows when its first page went out.

Existing data is kept. Items of the same finding that earlier drills added again
are merged into one: the first open one carries the finding with its count, and the
other open copies are marked dropped with a note naming it (none is deleted).
PagerDuty incidents were paged when they were created, which is when they start.

Revision ID: 0002
Revises: 0001
"""

import json
import time

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_items = sa.table("action_items", sa.column("id", sa.Integer), sa.column("status", sa.String),
                  sa.column("finding_id", sa.Integer), sa.column("note", sa.Text), sa.column("created_at", sa.Float),
                  sa.column("closed_at", sa.Float), sa.column("finding_key", sa.Text),
                  sa.column("times_seen", sa.Integer), sa.column("last_seen", sa.Float),
                  sa.column("regression", sa.Boolean))
_findings = sa.table("findings", sa.column("id", sa.Integer), sa.column("drill_run_id", sa.Integer),
                     sa.column("rule", sa.String), sa.column("subject", sa.Text))
_runs = sa.table("drill_runs", sa.column("id", sa.Integer), sa.column("scenario", sa.String))
_incidents = sa.table("incidents", sa.column("source", sa.String), sa.column("started_at", sa.Float),
                      sa.column("paged_at", sa.Float))


def _key(scenario: str, rule: str, subject: str) -> str:
    # Frozen copy of incidents.records.finding_key as of this revision.
    return json.dumps([scenario, rule, subject], separators=(",", ":"), ensure_ascii=False)


def upgrade() -> None:
    op.add_column("incidents", sa.Column("paged_at", sa.Float))
    op.add_column("action_items", sa.Column("finding_key", sa.Text))
    op.add_column("action_items", sa.Column("times_seen", sa.Integer, nullable=False, server_default="1"))
    op.add_column("action_items", sa.Column("last_seen", sa.Float))
    op.add_column("action_items", sa.Column("regression", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("action_items", sa.Column("reopened_at", sa.Float))
    conn = op.get_bind()
    conn.execute(sa.update(_incidents).where(_incidents.c.source == "pagerduty")
                 .values(paged_at=_incidents.c.started_at))
    conn.execute(sa.update(_items).values(last_seen=_items.c.created_at))
    rows = conn.execute(
        sa.select(_items.c.id, _items.c.status, _items.c.note, _items.c.created_at, _runs.c.scenario, _findings.c.rule,
                  _findings.c.subject)
        .join(_findings, _findings.c.id == _items.c.finding_id)
        .join(_runs, _runs.c.id == _findings.c.drill_run_id)
        .order_by(_items.c.created_at, _items.c.id)
    ).all()
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(_key(r.scenario, r.rule, r.subject), []).append(r)
    now = time.time()
    for key, group in groups.items():
        open_ = [r for r in group if r.status == "open"]
        keeper = open_[0] if open_ else group[-1]
        regression = bool(open_) and any(r.status == "done" and r.created_at <= open_[0].created_at for r in group)
        conn.execute(sa.update(_items).where(_items.c.id == keeper.id).values(
            finding_key=key, times_seen=len(group), last_seen=max(r.created_at for r in group), regression=regression))
        for r in open_[1:]:
            note = f"duplicate of action item {keeper.id} (merged on upgrading the log to schema 0002)"
            conn.execute(sa.update(_items).where(_items.c.id == r.id).values(
                status="dropped", closed_at=now, note=f"{r.note}; {note}" if r.note else note))
    op.create_index("ix_action_items_finding_key", "action_items", ["finding_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_action_items_finding_key", "action_items")
    for column in ("reopened_at", "regression", "last_seen", "times_seen", "finding_key"):
        op.drop_column("action_items", column)
    op.drop_column("incidents", "paged_at")
