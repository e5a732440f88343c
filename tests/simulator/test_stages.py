"""Incidents in stages against timelines worked out by hand (fixed durations throughout).

The team: alice alone, on call all week, who answers every page after exactly 1m;
Assumptions.instant() makes engagement, triage and the first update take no time.
The scenario: stage ``laptop`` (a fault and an EDR signal at 0s), stage ``vault`` (its
fault at 10d, the cloud signal that gives it away at 20d); each ``on:`` rule is checked
every minute; diagnosis 1h, mitigation 1h, recovery 1h after mitigation; containment
30m (the vault's own: 2h); customers (about the vault) told 1d after it starts."""

from __future__ import annotations

import pytest

from simkit import run, scenario, team
from scenarios.events import check_payload
from scoring.metrics import measure
from simulator import Assumptions

DAY = 86400.0
HORIZON = 30 * DAY
INSTANT = Assumptions.instant()

TEAM = """
team: one
timezone: UTC
members:
  - {id: alice, name: Alice, timezone: UTC, ack: {working: {fixed: 1m}, evening: {fixed: 1m}, asleep: {fixed: 1m}}}
rotations:
  primary:
    layers: [{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [alice]}]
escalation:
  P1:
    levels: [{notify: rotation:primary}]
paging:
  push: {delay: 0s, fails: 0}
severity:
  P1: {definition: test, page: always}
"""

TWO_STAGES = """
id: two-stage
title: A laptop, then the vault
kind: breach
severity: P1
services: [laptop, storage]
stages:
  - {id: laptop, title: A laptop}
  - {id: vault, title: The vault backups, survives_containment: true, contain: 2h}
injects:
  - at: 0s
    fault: {kind: malware, service: laptop, impact: none}
  - at: 0s
    signal: {kind: security, source: edr, text: odd process}
  - at: VAULT_AT
    stage: vault
    fault: {kind: exfiltration, service: storage, impact: none}
  - at: 20d
    stage: vault
    signal: {kind: security, source: cloudtrail, text: role assumed}
monitoring:
  - {alert: EdrAlert, on: security, source: edr, every: 1m}
  - {alert: CloudAlert, on: security, source: cloudtrail, every: 1m}
diagnosis: {takes: 1h}
mitigation: {improvised: 1h}
recovery: {after_mitigation: 1h}
breach:
  contain: 30m
  notify:
    - {who: customers, within: 3d, takes: 1d, stage: vault}
"""

# Stage laptop, the same in every case below: detected by EdrAlert at its first tick
# (0s); alice paged at 0s, acknowledges and engages at 1m; containment 30m -> 31m
# (1860s); diagnosis 1h -> 1h1m (3660s); mitigation 1h -> 7260s; recovery 1h -> 10860s.
LAPTOP_CONTAINED, DIAGNOSED, RECOVERED = 1860.0, 3660.0, 10860.0


def play(text: str, vault_at: str = "10d", **kw):
    sc = scenario(text.replace("VAULT_AT", vault_at))
    tl = run(sc, team(TEAM), assumptions=INSTANT, horizon=HORIZON, **kw)
    for e in tl.events:
        check_payload(e.kind, e.data)  # every event fits the vocabulary
    return sc, tl


def kinds(tl, kind, **match):
    return [e for e in tl.events if e.kind == kind and all(e.data.get(k) == v for k, v in match.items())]


def test_a_surviving_stage_plays_on_after_the_first_is_contained_and_reopens_the_incident():
    sc, tl = play(TWO_STAGES)
    # the incident's detection is the first stage's, as before
    assert tl.milestone("detected") == 0.0
    assert [(e.t, e.data["stage"]) for e in kinds(tl, "stage_started")] == [(0.0, "laptop"), (10 * DAY, "vault")]
    assert [(e.t, e.data["stage"]) for e in kinds(tl, "contained")] == [
        (LAPTOP_CONTAINED, "laptop"),
        # vault: detected at 20d (CloudAlert's tick at the signal); the incident was
        # resolved at 10860s, so it re-opens: alice is paged at 20d, engages at 20d+1m,
        # and contains the vault in its own 2h
        (20 * DAY + 60 + 7200, "vault")]
    detected = kinds(tl, "stage_detected")
    assert [(e.t, e.data["stage"], e.data.get("reopened")) for e in detected] == [(0.0, "laptop", None),
                                                                                  (20 * DAY, "vault", True)]
    assert [e.t for e in kinds(tl, "page_sent", purpose="incident")] == [0.0, 20 * DAY]
    assert [e.t for e in kinds(tl, "resolved")] == [RECOVERED, 20 * DAY + 60 + 7200]
    # customers are told about the vault only after it was found: 1d after 20d
    (told,) = kinds(tl, "notified", who="customers")
    assert told.t == 21 * DAY and told.data["stage"] == "vault"
    assert tl.events[-1].t == 21 * DAY and tl.events[-1].data == {"reason": "resolved"}


def test_stage_figures_and_a_deadline_counted_from_the_stage_s_detection():
    sc, tl = play(TWO_STAGES)
    v = measure(tl, sc).values
    assert v["ttd"] == 0.0 and v["contain"] == LAPTOP_CONTAINED  # the incident's own, as before
    assert v["stage_dwell_laptop"] == 0.0
    assert v["stage_dwell_vault"] == 10 * DAY  # started at 10d, detected at 20d
    assert v["stage_contain_laptop"] == LAPTOP_CONTAINED
    assert v["stage_contain_vault"] == 60 + 7200.0  # from 20d to 20d+2h1m
    # from the vault's detection (20d), not the incident's (0s): 1d, within the 3d deadline
    assert v["notify_customers"] == DAY


def test_containing_the_first_stage_cancels_a_stage_that_does_not_survive_it():
    sc, tl = play(TWO_STAGES.replace("survives_containment: true", "survives_containment: false"))
    # the laptop is contained at 1860s, so the vault's injects (10d, 20d) never play
    assert [e.data["stage"] for e in kinds(tl, "stage_started")] == ["laptop"]
    assert not kinds(tl, "fault_applied", service="storage") and not kinds(tl, "signal", source="cloudtrail")
    # nothing holds the run: it ends at resolution; the vault's customers are never told
    assert tl.events[-1].t == RECOVERED and tl.events[-1].data == {"reason": "resolved"}
    assert not kinds(tl, "notified")
    v = measure(tl, sc).values
    assert v["stage_dwell_vault"] is None and v["notify_customers"] is None  # not reached: it never started


def test_a_stage_nobody_detects_keeps_the_drill_going_until_its_injects_have_played():
    sc, tl = play(TWO_STAGES.replace("  - {alert: CloudAlert, on: security, source: cloudtrail, every: 1m}\n", ""))
    # resolved at 10860s as before; the vault's last inject is at 20d, and the slowest
    # rule (every 1m, for 0s) has had a minute to see it, plus a second: the end
    assert [e.t for e in kinds(tl, "resolved")] == [RECOVERED]
    assert tl.events[-1].t == 20 * DAY + 61 and tl.events[-1].data == {"reason": "resolved"}
    assert kinds(tl, "note", gap="stage-undetected")[0].subject == "vault"
    v = measure(tl, sc).values
    # the vault started and was never found: its dwell and its customers' notice are missed
    assert v["stage_dwell_vault"] == float("inf") and v["notify_customers"] == float("inf")


def test_a_stage_found_while_the_incident_is_open_is_contained_and_notified_at_once():
    # the vault's signal at 1h instead of 20d (its fault at 30m)
    sc, tl = play(TWO_STAGES.replace("at: 20d", "at: 1h"), vault_at="30m")
    det = kinds(tl, "stage_detected", stage="vault")[0]
    assert det.t == 3600.0 and "reopened" not in det.data  # the incident is still open
    assert len(kinds(tl, "page_sent", purpose="incident")) == 1  # nobody is paged again
    # alice is engaged already: the vault's 2h containment runs from 1h
    assert [e.t for e in kinds(tl, "contained", stage="vault")] == [3600.0 + 7200]
    # notifications start once the cause is known (3660s) and the stage is detected (3600s)
    (told,) = kinds(tl, "notified", who="customers")
    assert told.t == DIAGNOSED + DAY
    # resolution waits for the vault's containment (3h) only until recovery (10860s) is later
    assert [e.t for e in kinds(tl, "resolved")] == [RECOVERED]
    assert measure(tl, sc).values["notify_customers"] == DIAGNOSED + DAY - 3600.0


@pytest.mark.parametrize("seed", range(20))
def test_a_stage_notification_is_never_sent_before_its_stage_is_detected(seed):
    # random answers (exponential, mean 5m) and a random containment: the order holds
    text = TWO_STAGES.replace("{fixed: 1m}", "{mean: 5m}").replace("contain: 30m", "contain: {median: 1h, p90: 3h}")
    _, tl = play(text, seed=seed)
    (det,) = kinds(tl, "stage_detected", stage="vault")
    (told,) = kinds(tl, "notified", who="customers")
    assert told.t >= det.t + DAY - 1e-6


def test_a_scenario_without_stages_records_no_stage_events():
    sc, tl = play(TWO_STAGES.replace("""stages:
  - {id: laptop, title: A laptop}
  - {id: vault, title: The vault backups, survives_containment: true, contain: 2h}
""", "").replace("    stage: vault\n", "").replace(", stage: vault", ""))
    assert not kinds(tl, "stage_started") and not kinds(tl, "stage_detected")
    assert all("stage" not in e.data for e in tl.events)
    assert not any(k.startswith("stage_") for k in measure(tl, sc).values)


def test_the_first_stage_s_containment_causes_what_the_breach_s_containment_causes():
    # cutting the laptop's network while the storage is copied: an outage of the laptop
    # for 2h, from the first containment (1860s) only; the vault's containment adds none
    text = TWO_STAGES.replace("  contain: 30m\n", "  contain: 30m\n  contain_causes:\n"
                              "    - {service: laptop, impact: outage, for: {fixed: 2h}}\n")
    _, tl = play(text)
    caused = [e for e in tl.events if e.kind == "impact_started" and e.data.get("caused_by") == "response"]
    assert [(e.t, e.subject, e.data["action"]) for e in caused] == [(LAPTOP_CONTAINED, "laptop", "containment")]
