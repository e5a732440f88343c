"""The engine against answers worked out by hand, not numbers copied from its output."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from simkit import API_DOWN, TWO_LEVEL_TEAM, run, runbook, scenario, team
from simulator import Assumptions

INSTANT = Assumptions.instant()


def test_exponential_ack_with_one_escalation_level():
    """Ack ~ Exp(mean m), level timeout T: P(escalate) = exp(-T/m) and
    E[ack delay | ack before T] = m - T e^(-T/m) / (1 - e^(-T/m))."""
    tm, sc = team(TWO_LEVEL_TEAM), scenario(API_DOWN)
    m, T, n = 300.0, 600.0, 3000
    escalated, delays = 0, []
    for seed in range(n):
        tl = run(sc, tm, seed=seed, assumptions=INSTANT)
        page = tl.first("page_sent", purpose="incident")
        assert page is not None and page.t == 0.0 and page.data["to"] == "alice"
        if tl.first("escalated") is not None:
            escalated += 1
            assert tl.first("page_missed", to="alice") is not None
            assert tl.first("acknowledged", purpose="incident").data["by"] == "bob"
        else:
            ack = tl.first("acknowledged", purpose="incident")
            assert ack.data["by"] == "alice"
            delays.append(ack.t - ack.data["page_t"])
    p = math.exp(-T / m)
    assert abs(escalated / n - p) < 4 * math.sqrt(p * (1 - p) / n)
    expected = m - T * p / (1 - p)
    # Var[X | X < T] <= m^2, so 4 standard errors are at most 4 m / sqrt(k).
    mean = sum(delays) / len(delays)
    assert abs(mean - expected) < 4 * m / math.sqrt(len(delays))
    assert max(delays) < T


ROTATION_TEAM = """
team: shifts
timezone: UTC
members:
  - {id: alice, name: Alice, timezone: UTC, ack: {working: {fixed: 1m, miss: 1}, evening: {fixed: 1m, miss: 1}, asleep: {fixed: 1m, miss: 1}}}
  - {id: bob, name: Bob, timezone: UTC, ack: {working: 1m, evening: 1m, asleep: 1m}}
  - {id: carol, name: Carol, timezone: UTC, ack: {working: 1m, evening: 1m, asleep: 1m}}
rotations:
  primary:
    layers: [{start: 2026-01-05T00:00:00+00:00, turn: 8h, members: [alice, bob, carol]}]
escalation:
  P1:
    levels: [{notify: rotation:primary, timeout: 5m}]
    repeat: 1
paging:
  push: {delay: 0s, fails: 0}
severity:
  P1: {definition: test, page: always}
"""


@pytest.mark.parametrize("start, paged", [
    (datetime(2026, 1, 5, 7, 59, 59, tzinfo=timezone.utc), "alice"),
    (datetime(2026, 1, 5, 8, 0, 0, tzinfo=timezone.utc), "bob"),
    (datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone(timedelta(hours=1))), "bob"),  # the same instant, as +01:00
    (datetime(2026, 1, 5, 15, 59, 59, tzinfo=timezone.utc), "bob"),
    (datetime(2026, 1, 5, 16, 0, 0, tzinfo=timezone.utc), "carol"),
    (datetime(2026, 1, 6, 0, 0, 0, tzinfo=timezone.utc), "alice"),
])
def test_rotation_handoff_decides_who_is_paged(start, paged):
    tl = run(scenario(API_DOWN), team(ROTATION_TEAM), start=start, assumptions=INSTANT)
    assert tl.first("page_sent", purpose="incident").data["to"] == paged


def test_a_repeat_that_crosses_the_handoff_pages_the_next_shift():
    """Alice never answers; the repeat 5 minutes later falls after the 08:00 handoff."""
    start = datetime(2026, 1, 5, 7, 57, tzinfo=timezone.utc)
    tl = run(scenario(API_DOWN), team(ROTATION_TEAM), start=start, assumptions=INSTANT)
    pages = tl.find("page_sent", purpose="incident")
    assert [(p.t, p.data["to"], p.data["round"]) for p in pages] == [(0.0, "alice", 0), (300.0, "bob", 1)]
    assert tl.first("page_missed", to="alice").t == 300.0
    assert tl.first("acknowledged", purpose="incident").t == 360.0


STEP_SIGNAL = """
id: step
title: A step signal
kind: outage
severity: P1
services: [api]
injects:
  - at: 0s
    fault: {{kind: crash, service: api}}
  - at: {t0}s
    signal: {{metric: api.errors, value: 1}}
monitoring:
  - alert: Errors
    signal: api.errors
    above: 0.5
    for: {f}s
    every: {e}s
"""


def _detected_at(t0: float, f: float, e: float) -> float:
    tl = run(scenario(STEP_SIGNAL.format(t0=t0, f=f, e=e)), team(TWO_LEVEL_TEAM), assumptions=INSTANT)
    return tl.first("detected").t


@pytest.mark.parametrize("t0, e, f", [(120, 30, 180), (130, 30, 180), (0, 60, 120), (7, 15, 45), (61, 60, 600)])
def test_for_delays_detection_by_exactly_its_length(t0, e, f):
    assert _detected_at(t0, f, e) - _detected_at(t0, 0, e) == f


@pytest.mark.parametrize("t0, e, f", [(120, 30, 180), (130, 30, 100), (1, 60, 0), (59.5, 20, 25)])
def test_tick_semantics_closed_form(t0, e, f):
    """Pending at the first tick >= t0; fires ceil(for/every) ticks later."""
    expected = math.ceil(t0 / e) * e + math.ceil(f / e) * e
    assert _detected_at(t0, f, e) == pytest.approx(expected, abs=1e-3)


FLAPPING = """
id: flap
title: A blip between two evaluations
kind: outage
severity: P1
services: [api]
injects:
  - at: 0s
    fault: {kind: crash, service: api}
  - at: 65s
    signal: {metric: api.errors, value: 1}
  - at: 80s
    signal: {metric: api.errors, value: 0}
  - at: 100s
    signal: {metric: api.errors, value: 1}
  - at: 130s
    signal: {metric: api.errors, value: 0}
  - at: 200s
    signal: {metric: api.errors, value: 1}
monitoring:
  - alert: Errors
    signal: api.errors
    above: 0.5
    for: 60s
    every: 30s
"""


def test_evaluation_sees_only_ticks_and_a_false_tick_clears_pending():
    # Ticks at 60, 90, 120, 150, 180, 210 …: the blip at 65-80 is never seen; 100-130 is
    # seen true at 120, false at 150; 200 onwards is pending at 210 and fires at 270.
    tl = run(scenario(FLAPPING), team(TWO_LEVEL_TEAM), assumptions=INSTANT)
    assert [e.t for e in tl.find("alert_fired")] == [270.0]


RUNBOOK = """
id: restart-api
title: Restart the API
triggers: {{alerts: [ApiDown]}}
mitigates: {mitigates}
steps:
  - {{do: Drain traffic, takes: 2m}}
  - {{do: Restart the pods, takes: 10m, mitigates: {step_mitigates}}}
  - {{do: Check dashboards, takes: 3m}}
"""


@pytest.mark.parametrize("runbook_mitigates, step_mitigates, after", [(False, True, 720.0), (True, False, 900.0)])
def test_a_runbook_of_fixed_steps_mitigates_after_their_sum(runbook_mitigates, step_mitigates, after):
    rb = runbook(RUNBOOK.format(mitigates=str(runbook_mitigates).lower(), step_mitigates=str(step_mitigates).lower()))
    sc, tm = scenario(API_DOWN), team(TWO_LEVEL_TEAM)
    for seed in range(20):  # answer times vary; the runbook's own length never does
        tl = run(sc, tm, [rb], seed=seed)
        started = tl.first("runbook_started")
        assert started is not None and started.subject == "restart-api"
        assert tl.first("mitigated").t - started.t == pytest.approx(after, abs=1e-3)
        assert tl.first("mitigated").data == ({"how": "runbook", "runbook": "restart-api", "step": 1} if step_mitigates
                                              else {"how": "runbook", "runbook": "restart-api"})


DATA_LOSS = """
id: lost
title: Data deleted
kind: data-loss
severity: P1
services: [db]
injects:
  - at: {loss}
    fault: {{kind: data-deleted, service: db}}
  - at: {loss}
    signal: {{metric: db.rows, value: 0}}
monitoring:
  - alert: RowsGone
    signal: db.rows
    below: 1
    every: 10s
backups:
{backups}
"""


@pytest.mark.parametrize("loss, every, last, rpo", [
    ("0s", "24h", "-6h", 6 * 3600),     # the sketch: last snapshot six hours before
    ("0s", "24h", "-30h", 6 * 3600),    # the -30h copy was followed by one at -6h
    ("5h", "4h", "-1h", 2 * 3600),      # copies at -1h, 3h, 7h: the loss at 5h falls back to 3h
    ("3h", "4h", "-1h", 0),             # a copy taken at the very instant of the loss
    ("10m", "1h", "-15m", 25 * 60),
])
def test_rpo_is_the_time_since_the_last_scheduled_backup(loss, every, last, rpo):
    backups = f"  - {{kind: snapshot, every: {every}, last_success: '{last}', restore_time: 2h}}"
    sc = scenario(DATA_LOSS.format(loss=loss, backups=backups))
    tl = run(sc, team(TWO_LEVEL_TEAM), seed=1)
    restored = tl.first("restored_data")
    assert restored is not None
    assert restored.data["rpo"] == pytest.approx(rpo, abs=1e-3)
    impact = tl.milestone("impact")
    assert restored.data["rto"] == pytest.approx(restored.t - impact, abs=2e-3)
    assert restored.t - tl.milestone("diagnosed") == pytest.approx(7200, abs=2e-3)
    assert tl.milestone("recovered") >= restored.t


def test_a_backup_that_does_not_work_is_skipped_and_recorded():
    backups = "\n".join([
        "  - {kind: replica, every: 15m, last_success: -15m, restore_time: 1h, works: false}",
        "  - {kind: tape, every: 24h, last_success: -14h, restore_time: 6h}",
    ])
    tl = run(scenario(DATA_LOSS.format(loss="0s", backups=backups)), team(TWO_LEVEL_TEAM), seed=2)
    assert tl.first("restored_data").data["backup"] == "tape"
    assert tl.first("restored_data").data["rpo"] == 14 * 3600
    assert tl.first("note", gap="backup-broken").data["backup"] == "replica"


def test_no_working_backup_means_no_restore():
    backups = "  - {kind: replica, every: 15m, last_success: -15m, restore_time: 1h, works: false}"
    tl = run(scenario(DATA_LOSS.format(loss="0s", backups=backups)), team(TWO_LEVEL_TEAM), seed=2)
    assert tl.first("restored_data") is None
    assert tl.first("note", gap="no-working-backup") is not None
    assert tl.milestone("recovered") is not None


RESTORE_RUNBOOK = """
id: restore-db
title: Restore the database
triggers: {alerts: [RowsGone]}
steps:
  - {do: Find the newest good copy, takes: 20m}
  - {do: Restore it, restores: true}
  - {do: Verify, takes: 10m}
"""


def test_a_runbook_step_that_restores_takes_the_backups_restore_time_once():
    backups = "  - {kind: snapshot, every: 24h, last_success: -6h, restore_time: 2h}"
    sc = scenario(DATA_LOSS.format(loss="0s", backups=backups))
    tl = run(sc, team(TWO_LEVEL_TEAM), [runbook(RESTORE_RUNBOOK)], seed=3)
    restore_step = next(e for e in tl.find("step_finished") if e.data["step"] == 1)
    restored = tl.first("restored_data")
    assert restore_step.data["took"] == pytest.approx(7200, abs=1e-3)  # the backup's restore_time, not a guess
    assert restored.t == pytest.approx(restore_step.t, abs=1e-3)      # restored when the step ends, once
    assert len(tl.find("restored_data")) == 1
    assert restored.data["rpo"] == pytest.approx(6 * 3600, abs=1e-3)
    diagnosed = tl.milestone("diagnosed")
    assert restored.t - diagnosed == pytest.approx(20 * 60 + 7200, abs=2e-3)  # after the step before it
    assert tl.milestone("recovered") >= restored.t
