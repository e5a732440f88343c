"""The tables of the incident log (SQLAlchemy Core), shared by the store and the
migrations.

Times are stored as float seconds since the Unix epoch (UTC) plus the UTC offset, in
minutes, the incident's start was written with: arithmetic on them (durations,
windows after a deploy, hour of day) is then the same plain SQL on SQLite and
PostgreSQL, and the original wall-clock reading is kept. A missing time is NULL.
Missed values of per-run drill metrics are NULL too, never zero.
"""

from __future__ import annotations

from itertools import islice
from typing import Iterable

from sqlalchemy import (BigInteger, Boolean, Column, Date, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint, false)

#: The Alembic revision this code writes; the store migrates any older log to it.
HEAD = "0004"

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

drill_runs = Table(
    "drill_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(64), nullable=False, unique=True),
    Column("scenario", String(200), nullable=False),
    Column("scenario_title", Text),
    Column("scenario_kind", String(40)),
    Column("severity", String(40)),
    Column("services", Text, nullable=False, default=""),  # comma-separated
    Column("team", String(200)),
    Column("mode", String(20), nullable=False),
    # 0..2**63 - 1 (simulator.MAX_SEED); SQLite's INTEGER already holds 64 bits.
    Column("seed", BigInteger().with_variant(Integer, "sqlite")),
    Column("runs", Integer, nullable=False),
    Column("verdict", String(1)),
    Column("objectives_missed", Integer),
    Column("recorded_at", Float, nullable=False),
    Column("report_path", Text),
    Column("summary", Text, nullable=False),  # the scoring summary document, JSON
    Column("schedule_reason", Text),  # schema 0004: why a scheduled drill ran (NULL: run by hand)
)

drill_metrics = Table(
    "drill_metrics", metadata,
    Column("run_id", Integer, ForeignKey("drill_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("metric", String(60), primary_key=True),
    Column("median", Float), Column("p90", Float), Column("p99", Float),
    Column("reached", Integer, nullable=False), Column("missed", Integer, nullable=False),
)

#: One value per simulated run and metric, for calibration (NULL = missed).
drill_samples = Table(
    "drill_samples", metadata,
    Column("run_id", Integer, ForeignKey("drill_runs.id", ondelete="CASCADE"), nullable=False),
    Column("metric", String(60), nullable=False),
    Column("value", Float),
    Index(None, "run_id", "metric"),
)

incidents = Table(
    "incidents", metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("kind", String(10), nullable=False),  # real | drill
    Column("title", Text, nullable=False),
    Column("service", String(200)),
    Column("severity", String(40)),
    Column("started_at", Float, nullable=False),
    Column("detected_at", Float),
    Column("acknowledged_at", Float),
    Column("mitigated_at", Float),
    Column("resolved_at", Float),
    Column("utc_offset", Integer, nullable=False, default=0),  # minutes
    Column("root_cause", String(200)),
    Column("summary", Text),
    Column("deploy_related", Boolean),
    Column("tags", Text, nullable=False, default=""),  # comma-separated, sorted
    Column("drill_run_id", Integer, ForeignKey("drill_runs.id", ondelete="SET NULL")),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("paged_at", Float),  # schema 0002: when the first page went out (TTA's start)
    UniqueConstraint("source", "external_id"),
    Index(None, "started_at"),
    Index(None, "service", "started_at"),
)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True),
    Column("drill_run_id", Integer, ForeignKey("drill_runs.id", ondelete="CASCADE")),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE")),
    Column("rule", String(100), nullable=False),
    Column("title", Text, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("evidence", Text, nullable=False, default=""),
    Column("recommendation", Text, nullable=False, default=""),
    Column("owner", String(200), nullable=False, default=""),
    Column("subject", Text, nullable=False, default=""),
    Index(None, "drill_run_id"),
)

action_items = Table(
    "action_items", metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("due", Date),
    Column("status", String(10), nullable=False, default="open"),  # open | done | dropped
    Column("severity", String(20)),
    Column("finding_id", Integer, ForeignKey("findings.id", ondelete="SET NULL")),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="SET NULL")),
    Column("drill_run_id", Integer, ForeignKey("drill_runs.id", ondelete="SET NULL")),
    Column("note", Text),
    Column("created_at", Float, nullable=False),
    Column("closed_at", Float),
    # Schema 0002: a finding that recurs updates its item instead of adding another.
    # The key is the finding's identity (scenario, rule, subject; see drills.finding_key),
    # NULL for items added by hand and for duplicates merged by the upgrade.
    Column("finding_key", Text),
    Column("times_seen", Integer, nullable=False, default=1, server_default="1"),
    Column("last_seen", Float),
    Column("regression", Boolean, nullable=False, default=False, server_default=false()),
    Column("reopened_at", Float),
    Index(None, "status", "due"),
    Index(None, "finding_key", unique=True),
)

deploys = Table(
    "deploys", metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("service", String(200), nullable=False),
    Column("at", Float, nullable=False),
    Column("utc_offset", Integer, nullable=False, default=0),
    Column("version", String(200)),
    UniqueConstraint("source", "external_id"),
    Index(None, "service", "at"),
)

#: One row per import: what was read and what it changed (an audit trail).
imports = Table(
    "imports", metadata,
    Column("id", Integer, primary_key=True),
    Column("file", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("format", String(20), nullable=False),
    Column("what", String(20), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("skipped", Integer, nullable=False),
    Column("at", Float, nullable=False),
)

#: Schema 0004: one row per due instant of a scheduled entry, claimed before it runs.
#: The unique key is the lock: of two processes (on one machine or many sharing the
#: log) that claim the same instant, the database lets one insert the row.
schedule_runs = Table(
    "schedule_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("entry", String(80), nullable=False),
    Column("due_at", Float, nullable=False),
    Column("utc_offset", Integer, nullable=False, default=0),  # minutes, of the entry's zone at due_at
    Column("mode", String(20), nullable=False),
    Column("scenario", String(200)),
    Column("rule", String(20)),
    Column("reason", Text, nullable=False),  # why it ran, or why it was skipped
    Column("state", String(12), nullable=False),  # running | done | failed | interrupted | skipped
    Column("outcome", Text),
    Column("drill_run_id", Integer, ForeignKey("drill_runs.id", ondelete="SET NULL")),
    Column("claimed_by", String(200), nullable=False),
    Column("claimed_at", Float, nullable=False),
    Column("finished_at", Float),
    UniqueConstraint("entry", "due_at"),
)

#: Schema 0004: up to when each entry's due instants were looked at, so that a due
#: instant nobody ran is seen as missed by the next ``run-due``.
schedule_cursors = Table(
    "schedule_cursors", metadata,
    Column("entry", String(80), primary_key=True),
    Column("checked_until", Float, nullable=False),
)


def insert(conn, table: Table):  # noqa: ANN001, ANN201
    """The INSERT of ``conn``'s dialect (PostgreSQL's or SQLite's), which can skip or
    update a row whose unique key is taken (``on_conflict_do_nothing`` / ``_update``)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)


#: Rows per statement of :func:`insert_many`: what it holds at a time, however many rows come.
INSERT_BATCH = 10_000


def insert_many(conn, table: Table, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:  # noqa: ANN001
    """INSERT ``rows`` (tuples of ``columns``' values, any iterable: taken
    :data:`INSERT_BATCH` at a time, so a million rows never sit in memory at once) into
    ``table``, one statement run many times per batch. On SQLite the statement goes
    straight to the driver: SQLAlchemy's own parameter handling costs more than the
    insert for the ~10 rows a drill keeps of every simulated run (a second on a million
    rows). Other databases take the dialect's insert, whose batching is the fast way there."""
    sql = None
    if conn.dialect.name == "sqlite":
        quote = conn.dialect.identifier_preparer.quote
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
    it = iter(rows)
    while batch := list(islice(it, INSERT_BATCH)):
        if sql is not None:
            conn.exec_driver_sql(sql, batch)
        else:
            conn.execute(insert(conn, table), [dict(zip(columns, row)) for row in batch])
