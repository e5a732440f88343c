"""Every gap rule has an input that triggers it and one that does not."""

from __future__ import annotations

import re

import pytest

from scenarios import Runbook, loads
from scoring import GAP_RULES, find_gaps, score_many

from scoring_timelines import RUNBOOK, SCENARIO, START, TEAM, ev, full_run, scenario, team, timeline

def runbook(text: str = RUNBOOK) -> Runbook:
    return loads(text, Runbook, "runbook.yaml")


def rules_found(sc=None, tm=None, rbs=None, timelines=None) -> set[str]:
    sc, tm = sc or scenario(), tm or team()
    rbs = [runbook()] if rbs is None else rbs
    batch = score_many(timelines, sc, tm) if timelines else None
    return {f.rule for f in find_gaps(sc, tm, rbs, start=START, batch=batch)}


def test_the_clean_baseline_has_no_findings():
    assert rules_found(timelines=[full_run()]) == set()


CASES = {
    # rule: (what to change, in words) -> keyword arguments for rules_found
    "escalation-timeout-over-ack-target": dict(tm=team(TEAM.replace("timeout: 5m}\n      - {notify: role", "timeout: 10m}\n      - {notify: role"))),
    "rotation-coverage-gap": dict(tm=team(TEAM.replace("members: [ana, ben]}]", "members: [ana, ben], only: Mon-Fri}]"))),
    "skill-missing-on-call": dict(rbs=[runbook(RUNBOOK.replace("needs: api", "needs: dba"))],
                                  tm=team(TEAM.replace("skills: [api]}\n  - {id: ben", "skills: [api, dba]}\n  - {id: ben"))),
    # START is Wednesday 25 Nov; the rotation starting on Monday 30 Nov has not yet
    "rotation-not-started": dict(tm=team(TEAM.replace("start: 2026-11-02T00:00:00+00:00", "start: 2026-11-30T00:00:00+00:00"))),
    # ana holds the daily turn of 26 Nov (even days from 2 Nov)
    "away-while-on-call": dict(tm=team(TEAM.replace("skills: [api]}\n  - {id: ben",
                                                    "skills: [api], away: [{from: 2026-11-26, to: 2026-11-26}]}\n  - {id: ben"))),
    # ana, already the only incident commander, becomes the only one with skill dba
    "single-point-of-failure": dict(tm=team(TEAM.replace("skills: [api]}\n  - {id: ben", "skills: [api, dba]}\n  - {id: ben"))),
    "alert-without-runbook": dict(rbs=[runbook(RUNBOOK.replace("alerts: [ApiErrors]", "services: [api]"))]),
    "no-runbook-for-scenario": dict(rbs=[]),
    "expected-runbook-missing": dict(sc=scenario(SCENARIO.replace("services: [api]", "services: [api]\nrunbooks: [restart-api, failover-api]", 1))),
    "no-alert-sees-scenario": dict(sc=scenario(SCENARIO.replace("above: 0.05", "above: 0.95"))),
    "unrouted-alert": dict(sc=scenario(SCENARIO.replace("service: api}\nobjectives", "service: api}\n  - {alert: Quiet, signal: api.error_rate, above: 0.5, routed: false}\nobjectives"))),
    "for-exceeds-detect-target": dict(sc=scenario(SCENARIO.replace("for: 1m", "for: 10m"))),
    "no-working-backup": dict(sc=scenario(SCENARIO.replace("kind: outage", "kind: data-loss") + "backups: [{kind: dump, every: 1d, last_success: -2h, restore_time: 1h, works: false}]\n")),
    "backup-interval-over-rpo": dict(sc=scenario(SCENARIO.replace("recover: 2h}", "recover: 2h, rpo: 1h}") + "backups: [{kind: dump, every: 1d, last_success: -2h, restore_time: 1h}]\n")),
    "restore-slower-than-rto": dict(sc=scenario(SCENARIO.replace("recover: 2h}", "recover: 2h, rto: 30m}") + "backups: [{kind: dump, every: 1d, last_success: -2h, restore_time: 1h}]\n")),
    # the only alert that sees the error rate runs on telemetry, which the scenario takes down
    "monitoring-depends-on-impacted-service": dict(sc=scenario(
        SCENARIO.replace("services: [api]", "services: [api, telemetry]")
        .replace("  - {at: 30s,", "  - {at: 0s, fault: {kind: dependency-down, service: telemetry}}\n  - {at: 30s,")
        .replace("service: api}\nobjectives", "service: api, depends_on: [telemetry]}\nobjectives"))),
    "data-not-covered-by-backup": dict(sc=scenario(SCENARIO.replace("kind: outage", "kind: data-loss") + "backups: [{kind: dump, every: 1d, last_success: -2h, restore_time: 1h, covers: 0.6}]\n")),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_static_rule_triggers_on_its_case_only(rule):
    assert rule in rules_found(**CASES[rule])
    assert rule not in rules_found()


def _without(kind: str, **match):
    return [e for e in full_run().events if not (e.kind == kind and all(e.data.get(k) == v for k, v in match.items()))]


def _shift(kind: str, t: float):
    return [e if e.kind != kind else ev(t, e.kind, e.subject, e.actor, **e.data) for e in full_run().events]


def _night_run():
    """The full run with the page at 02:00 Berlin and its acknowledgement 20 minutes late."""
    events = [e for e in full_run().events if e.kind not in ("page_sent", "acknowledged")]
    events += [ev(130, "page_sent", "ana", "paging", page=1, to="ana", purpose="incident", timezone="Europe/Berlin"),
               ev(130 + 1500, "acknowledged", "ana", "ana", by="ana", page=1, purpose="incident")]
    from datetime import datetime, timezone
    return timeline(*events, start=datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc))


RUN_CASES = {
    "nobody-acknowledged": [timeline(*_without("acknowledged"))],
    "detected-by-customers": [timeline(*[e if e.kind != "detected" else ev(120, "detected", "customer-report", via="customer-report")
                                         for e in full_run().events])],
    "updates-slower-than-cadence": [timeline(*_without("status_update", n=2))],
    "no-public-update": [timeline(*_without("status_update"))],
    "noisy-alert": [timeline(*full_run().events, ev(10, "alert_fired", "Noise", noise=True), ev(20, "alert_fired", "Noise", noise=True))],
    "slow-night-acknowledgement": [_night_run()] * 5,
    "night-load-concentrated": [timeline(*full_run().events, *[ev(40000 + i, "page_sent", "ana", "paging", to="ana", purpose="expert",
                                                                   timezone="Europe/Berlin") for i in range(10)])],
}


@pytest.mark.parametrize("rule", sorted(RUN_CASES))
def test_run_rule_triggers_on_its_runs_only(rule):
    assert rule in rules_found(timelines=RUN_CASES[rule])
    assert rule not in rules_found(timelines=[full_run()] * 5)


BREACH = """
id: leak
title: Leak
kind: breach
severity: P0
services: [api]
injects: [{at: 0s, fault: {kind: exfiltration, service: api, impact: none}}, {at: 1m, signal: {kind: security, text: odd}}]
monitoring: [{alert: Odd, on: security}]
breach:
  notify: [{who: regulator, within: 72h}]
"""


def test_breach_notification_at_risk():
    sc = scenario(BREACH)
    on_time = timeline(ev(0, "impact_started", "api"), ev(60, "detected", "Odd", via="alert"),
                       ev(3600, "notified", "regulator", who="regulator"), scenario_id="leak")
    late = timeline(ev(0, "impact_started", "api"), ev(60, "detected", "Odd", via="alert"), scenario_id="leak")
    assert "breach-notification-at-risk" in rules_found(sc=sc, timelines=[on_time, late])
    assert "breach-notification-at-risk" not in rules_found(sc=sc, timelines=[on_time])


def test_every_registered_rule_is_tested():
    # collateral-impact: tests/simulator/test_impact_shares.py, on runs worked out by hand;
    # stage-undetected: tests/scoring/test_stage_figures.py
    tested = set(CASES) | set(RUN_CASES) | {"breach-notification-at-risk", "collateral-impact", "stage-undetected"}
    assert tested == set(GAP_RULES)


def test_findings_come_in_a_deterministic_order_with_all_fields():
    kwargs = dict(sc=scenario(SCENARIO.replace("for: 1m", "for: 10m")), rbs=[])
    a = find_gaps(kwargs["sc"], team(), [], start=START)
    b = find_gaps(kwargs["sc"], team(), [], start=START)
    assert a == b
    order = ["critical", "high", "medium", "low"]
    assert [order.index(f.severity) for f in a] == sorted(order.index(f.severity) for f in a)
    assert all(f.rule and f.title and f.evidence and f.recommendation and f.owner and f.capability for f in a)


def test_a_step_needing_access_nobody_on_call_has_is_found():
    tm = team(TEAM.replace("skills: [api]}\n  - {id: ben", "skills: [api], access: [prod-db]}\n  - {id: ben"))
    rb = runbook(RUNBOOK.replace("needs: api", "needs: api, access: prod-db"))
    found = [f for f in find_gaps(scenario(), tm, [rb], start=START) if f.rule == "skill-missing-on-call"]
    assert [f.subject for f in found] == ["access:prod-db"]
    assert "needs access prod-db" in found[0].evidence and "grant prod-db access" in found[0].recommendation


@pytest.mark.parametrize("restore_time, takes", [
    ("{median: 14h, p90: 20h}", "takes median 14h, p90 20h;"),
    ("1h30m", "takes 1h30m;"),
    # triangular median: 6h - sqrt((6h - 1h)(6h - 2h) / 2) = 6h - sqrt(10)h = 10,215.8 s
    ("{min: 1h, mode: 2h, max: 6h}", "takes min 1h, mode 2h, max 6h (median 2h50m16s);"),
])
def test_evidence_writes_durations_as_drillbit_does_never_as_yaml(restore_time, takes):
    sc = scenario(SCENARIO.replace("kind: outage", "kind: data-loss").replace("recover: 2h}", "recover: 2h, rto: 30m}")
                  + f"backups: [{{kind: dump, every: 1d, last_success: -2h, restore_time: {restore_time}}}]\n")
    never_restored = full_run()  # a data-loss drill whose runs never restore the data: RTO is never in every run
    batch = score_many([never_restored] * 3, sc, team())
    found = {f.rule: f for f in find_gaps(sc, team(), [runbook()], start=START, batch=batch)}
    evidence = found["restore-slower-than-rto"].evidence
    assert takes in evidence and "{" not in evidence
    # The median of runs that never restored is no duration: say how many never did.
    assert evidence.endswith("; in 3 runs, 3 never restored the data") and "was never" not in evidence
    assert not re.search(r"\d\.\d+s?\b|\d{4,}", evidence), evidence  # no float or raw seconds


def test_the_readme_gap_table_lists_every_rule():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z-]+)` \| ", readme, flags=re.M))
    assert set(GAP_RULES) <= listed
