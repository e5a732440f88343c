"""Every seed drillbit can pick (0..2**63 - 1) is stored and read back exactly, on
SQLite and PostgreSQL, in a new log and in one created by the first schema."""

from __future__ import annotations

from sqlalchemy import select, text

import incidents
from incidents import IncidentLog, migrate, normalize_url, open_store
from incidents import schema as s
from incidents.store import _alembic_config
from incident_log_helpers import drill_summary

BIGGEST = 2**63 - 1  # the largest signed 64-bit integer


def _stored_seed(log: IncidentLog, run_id: int) -> int:
    return log.read(lambda conn: conn.execute(select(s.drill_runs.c.seed).where(s.drill_runs.c.id == run_id)).scalar_one())


def test_the_largest_seed_is_stored_exactly(store):
    drill, scenario = drill_summary(1)
    run_id = incidents.record_drill(store, drill.result, scenario=scenario, team="payments-sre", mode="simulated", seed=BIGGEST)
    assert _stored_seed(store, run_id) == BIGGEST


def test_a_log_of_the_first_schema_is_upgraded_to_hold_64_bit_seeds(log_url):
    from alembic import command

    log = IncidentLog(normalize_url(log_url))
    log.write(lambda conn: command.upgrade(_alembic_config(conn), "0001"))
    assert log.read(lambda conn: conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()) == "0001"
    assert migrate(log).changed
    drill, scenario = drill_summary(1)
    run_id = incidents.record_drill(log, drill.result, scenario=scenario, team="payments-sre", mode="simulated", seed=BIGGEST)
    assert _stored_seed(log, run_id) == BIGGEST
    log.close()
    again, message = open_store(log_url)
    assert message is None
    again.close()
