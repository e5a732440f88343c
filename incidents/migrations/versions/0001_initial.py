"""The first incident-log schema: incidents, drill runs with their metrics and
samples, findings, action items, deploys and imports.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drill_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(64), nullable=False),
        sa.Column("scenario", sa.String(200), nullable=False),
        sa.Column("scenario_title", sa.Text),
        sa.Column("scenario_kind", sa.String(40)),
        sa.Column("severity", sa.String(40)),
        sa.Column("services", sa.Text, nullable=False),
        sa.Column("team", sa.String(200)),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("seed", sa.Integer),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("verdict", sa.String(1)),
        sa.Column("objectives_missed", sa.Integer),
        sa.Column("recorded_at", sa.Float, nullable=False),
        sa.Column("report_path", sa.Text),
        sa.Column("summary", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_drill_runs"),
        sa.UniqueConstraint("uid", name="uq_drill_runs_uid"),
    )
    op.create_table(
        "drill_metrics",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("metric", sa.String(60), nullable=False),
        sa.Column("median", sa.Float),
        sa.Column("p90", sa.Float),
        sa.Column("p99", sa.Float),
        sa.Column("reached", sa.Integer, nullable=False),
        sa.Column("missed", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "metric", name="pk_drill_metrics"),
        sa.ForeignKeyConstraint(["run_id"], ["drill_runs.id"], name="fk_drill_metrics_run_id_drill_runs", ondelete="CASCADE"),
    )
    op.create_table(
        "drill_samples",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("metric", sa.String(60), nullable=False),
        sa.Column("value", sa.Float),
        sa.ForeignKeyConstraint(["run_id"], ["drill_runs.id"], name="fk_drill_samples_run_id_drill_runs", ondelete="CASCADE"),
    )
    op.create_index("ix_drill_samples_run_id_metric", "drill_samples", ["run_id", "metric"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("service", sa.String(200)),
        sa.Column("severity", sa.String(40)),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("detected_at", sa.Float),
        sa.Column("acknowledged_at", sa.Float),
        sa.Column("mitigated_at", sa.Float),
        sa.Column("resolved_at", sa.Float),
        sa.Column("utc_offset", sa.Integer, nullable=False),
        sa.Column("root_cause", sa.String(200)),
        sa.Column("summary", sa.Text),
        sa.Column("deploy_related", sa.Boolean),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("drill_run_id", sa.Integer),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sa.UniqueConstraint("source", "external_id", name="uq_incidents_source_external_id"),
        sa.ForeignKeyConstraint(["drill_run_id"], ["drill_runs.id"], name="fk_incidents_drill_run_id_drill_runs",
                                ondelete="SET NULL"),
    )
    op.create_index("ix_incidents_started_at", "incidents", ["started_at"])
    op.create_index("ix_incidents_service_started_at", "incidents", ["service", "started_at"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("drill_run_id", sa.Integer),
        sa.Column("incident_id", sa.Integer),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("recommendation", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
        sa.ForeignKeyConstraint(["drill_run_id"], ["drill_runs.id"], name="fk_findings_drill_run_id_drill_runs", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], name="fk_findings_incident_id_incidents", ondelete="CASCADE"),
    )
    op.create_index("ix_findings_drill_run_id", "findings", ["drill_run_id"])
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("due", sa.Date),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("severity", sa.String(20)),
        sa.Column("finding_id", sa.Integer),
        sa.Column("incident_id", sa.Integer),
        sa.Column("drill_run_id", sa.Integer),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("closed_at", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_action_items"),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"], name="fk_action_items_finding_id_findings", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], name="fk_action_items_incident_id_incidents", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["drill_run_id"], ["drill_runs.id"], name="fk_action_items_drill_run_id_drill_runs",
                                ondelete="SET NULL"),
    )
    op.create_index("ix_action_items_status_due", "action_items", ["status", "due"])
    op.create_table(
        "deploys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("utc_offset", sa.Integer, nullable=False),
        sa.Column("version", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_deploys"),
        sa.UniqueConstraint("source", "external_id", name="uq_deploys_source_external_id"),
    )
    op.create_index("ix_deploys_service_at", "deploys", ["service", "at"])
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("what", sa.String(20), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )


def downgrade() -> None:
    for table in ("imports", "deploys", "action_items", "findings", "incidents", "drill_samples", "drill_metrics",
                  "drill_runs"):
        op.drop_table(table)
