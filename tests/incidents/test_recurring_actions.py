"""Action items of recurring findings: the same finding in another drill of the same
scenario updates its item (times seen, last seen) instead of adding one; a finding
that comes back after its item was done reopens it as a regression. And a log made by
schema 0001, duplicates and all, upgrades in place without losing a row."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import text

import incidents
from incidents import IncidentLog, close_action, get_run, list_actions, normalize_url, open_store, record_drill
from incident_log_helpers import drill_summary, run_cli
from incident_log_helpers import result_with as summary

T1 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
T2 = datetime(2026, 11, 9, 9, 0, tzinfo=timezone.utc)
T3 = datetime(2026, 11, 16, 9, 0, tzinfo=timezone.utc)


def record(store, doc, at, scenario="s1"):  # noqa: ANN001, ANN201
    return record_drill(store, doc, scenario=scenario, team="t", mode="simulated", seed=1, recorded_at=at)


def test_the_same_findings_twice_keep_one_item_each_seen_twice(store):
    doc = summary(("no-runbook-for-scenario", "s1", "high"), ("unrouted-alert", "db-errors", "medium"))
    record(store, doc, T1)
    second = record(store, doc, T2)
    items = list_actions(store, status=None)
    assert len(items) == 2
    assert all(a.times_seen == 2 and a.last_seen == T2 for a in items)
    assert all(a.created == T1 and a.status == "open" and not a.regression for a in items)
    _, _, of_second = get_run(store, second)  # the second run lists the items it saw again
    assert sorted(a.id for a in of_second) == sorted(a.id for a in items)


def test_a_built_in_drill_recorded_twice_adds_its_items_once(store):
    drill, scenario = drill_summary(12)
    distinct = {(a.rule, a.subject) for a in drill.result.action_items}
    assert distinct, "the drill must have findings for this test to mean anything"
    for at in (T1, T2):
        record_drill(store, drill.result, scenario=scenario, team=drill.result.team, mode="simulated", seed=3,
                     recorded_at=at)
    assert len(list_actions(store, status=None)) == len(distinct)


def test_another_scenario_or_subject_is_another_finding(store):
    record(store, summary(("unrouted-alert", "db-errors", "medium")), T1)
    record(store, summary(("unrouted-alert", "api-errors", "medium")), T2)
    record(store, summary(("unrouted-alert", "db-errors", "medium")), T2, scenario="s2")
    assert len(list_actions(store, status=None)) == 3


def test_a_finding_back_after_its_item_was_done_reopens_it_as_a_regression(store, capsys, log_url):
    doc = summary(("no-runbook-for-scenario", "s1", "high"), ("noisy-alert", "cpu", "low"))
    record(store, doc, T1)
    fixed, wontfix = sorted(list_actions(store), key=lambda a: a.title)
    fixed, wontfix = (fixed, wontfix) if "no-runbook" in fixed.title else (wontfix, fixed)
    close_action(store, fixed.id)
    close_action(store, wontfix.id, status="dropped")
    record(store, summary(("no-runbook-for-scenario", "s1", "high"), ("noisy-alert", "cpu", "low"), due="2027-01-15"), T3)
    items = {a.id: a for a in list_actions(store, status=None)}
    assert len(items) == 2
    back = items[fixed.id]
    assert (back.status, back.regression, back.times_seen, back.reopened, back.closed) == ("open", True, 2, T3, None)
    assert back.due == date(2027, 1, 15)  # a new deadline for the fix that did not hold
    assert (items[wontfix.id].status, items[wontfix.id].regression, items[wontfix.id].times_seen) == ("dropped", False, 2)
    code, out, _ = run_cli(capsys, "log", "--db", log_url, "actions")
    assert code == 0 and "open (regression)" in out and "1 regressed" in out
    row = next(line for line in out.splitlines() if "regression" in line and "Fix" in line)
    assert "2, last 2026-11-16" in row


# -- upgrading a log of schema 0001 -------------------------------------------------

def _log_at_0001(url: str) -> IncidentLog:
    from alembic import command

    log = IncidentLog(normalize_url(url))
    log.write(lambda conn: command.upgrade(incidents.store._alembic_config(conn), "0001"))
    return log


OLD_ROWS = """
INSERT INTO drill_runs (id, uid, scenario, services, mode, runs, recorded_at, summary)
  VALUES (1, 'u1', 's1', 'api', 'simulated', 5, 1000, '{}'), (2, 'u2', 's1', 'api', 'simulated', 5, 2000, '{}');
INSERT INTO findings (id, drill_run_id, rule, title, severity, evidence, recommendation, owner, subject)
  VALUES (1, 1, 'rule-a', 'A', 'high', '', '', 'sre', 'x'), (2, 1, 'rule-b', 'B', 'low', '', '', 'sre', 'y'),
         (3, 2, 'rule-a', 'A', 'high', '', '', 'sre', 'x'), (4, 2, 'rule-b', 'B', 'low', '', '', 'sre', 'y');
INSERT INTO action_items (id, title, owner, status, finding_id, drill_run_id, created_at, closed_at, note)
  VALUES (1, 'Fix A', 'sre', 'done', 1, 1, 1000, 1500, 'fixed in v2'),
         (2, 'Fix B', 'sre', 'open', 2, 1, 1000, NULL, NULL),
         (3, 'Fix A', 'sre', 'open', 3, 2, 2000, NULL, NULL),
         (4, 'Fix B', 'sre', 'open', 4, 2, 2000, NULL, 'looked at it'),
         (5, 'Buy a pager', 'ops', 'open', NULL, NULL, 2500, NULL, NULL);
INSERT INTO incidents (id, source, external_id, kind, title, started_at, acknowledged_at, utc_offset, tags,
                       created_at, updated_at)
  VALUES (1, 'pagerduty', '77', 'real', 'PD one', 5000, 5120, 0, '', 9000, 9000),
         (2, 'manual', 'm1', 'real', 'by hand', 6000, 6300, 60, 'db', 9000, 9000)
"""


def _count(store: IncidentLog, table: str) -> int:
    return store.read(lambda c: c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_0001_log_with_duplicates_upgrades_in_place_and_keeps_every_row(log_url):
    old = _log_at_0001(log_url)
    assert old.read(incidents.store.current_revision) == "0001"

    def fill(conn):  # noqa: ANN001, ANN202
        for stmt in OLD_ROWS.strip().split(";"):
            conn.execute(text(stmt))
        if conn.dialect.name == "postgresql":  # rows with explicit ids leave the sequences behind
            for table in ("drill_runs", "findings", "action_items", "incidents"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    old.write(fill)
    old.close()

    store, message = open_store(log_url)
    assert message == f"upgraded the incident log at {store.where} from schema 0001 to {incidents.HEAD}; no data was lost"
    assert store.read(incidents.store.current_revision) == incidents.HEAD
    for table, n in (("drill_runs", 2), ("findings", 4), ("action_items", 5), ("incidents", 2)):
        assert _count(store, table) == n, table
    items = {a.id: a for a in list_actions(store, status=None)}
    # rule-a was done after run 1 and came back in run 2: one open item, a regression.
    assert (items[3].status, items[3].regression, items[3].times_seen) == ("open", True, 2)
    assert (items[1].status, items[1].note, items[1].finding_key) == ("done", "fixed in v2", None)
    # rule-b was added twice: the first open item carries it; the copy is dropped, not deleted.
    assert (items[2].status, items[2].times_seen, items[2].regression) == ("open", 2, False)
    assert items[4].status == "dropped" and items[4].note.startswith("looked at it; duplicate of action item 2")
    assert items[5].finding_key is None and items[5].times_seen == 1 and items[5].status == "open"
    pd, manual = incidents.get_incident(store, 1), incidents.get_incident(store, 2)
    assert pd.paged == pd.started and pd.metrics()["tta"] == 120.0  # PagerDuty pages when it creates
    assert manual.paged is None and manual.acknowledged.utcoffset().total_seconds() == 3600
    # A drill after the upgrade finds rule-b again: the merged item counts it.
    record_drill(store, summary(("rule-b", "y", "low")), scenario="s1", team="t", mode="simulated", seed=1,
                 recorded_at=T1)
    assert _count(store, "action_items") == 5
    assert {a.id: a.times_seen for a in list_actions(store, status=None)}[2] == 3
    store.close()


def test_the_upgrade_leaves_the_schema_exactly_as_a_new_log(log_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    _log_at_0001(log_url).close()
    store, _ = open_store(log_url)
    assert store.read(lambda c: compare_metadata(MigrationContext.configure(c), incidents.schema.metadata)) == []
    store.close()
