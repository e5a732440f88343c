"""What one run models, case by case: routing, noise, experts, failures, business
hours, absence, communication, breach, conditional injects, the horizon."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from simkit import API_DOWN, MONDAY, TWO_LEVEL_TEAM, run, runbook, scenario, team
from scenarios import Dist
from simulator import Assumptions, SimulationError, simulate

INSTANT = Assumptions.instant()

SOLO = """
team: solo
timezone: UTC
members:
  - {{id: alice, name: Alice, timezone: UTC, skills: [{skills}], ack: {{working: 1m, evening: 1m, asleep: 1m}}}}
  - {{id: bob, name: Bob, timezone: Asia/Singapore, skills: [postgres], ack: {{working: 2m, evening: 3m, asleep: 20m}}}}
  - {{id: carol, name: Carol, timezone: America/New_York, skills: [postgres], ack: {{working: 4m, evening: 5m, asleep: 30m}}}}
roles: {{incident-commander: [carol]}}
rotations:
  primary: {{layers: [{{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [alice]}}]}}
escalation:
  P0: {{levels: [{{notify: rotation:primary, timeout: 2h}}]}}
  P1: {{levels: [{{notify: rotation:primary, timeout: 2h}}]}}
  P2: {{levels: [{{notify: rotation:primary, timeout: 2h}}]}}
paging:
  push: {{delay: 0s, fails: 0}}
severity:
  P0: {{definition: critical, update_every: 30m, also_page: [role:incident-commander], public_update: true}}
  P1: {{definition: major, update_every: 1h}}
  P2: {{definition: minor, page: business-hours}}
"""


def solo(skills: str = "") -> object:
    return team(SOLO.format(skills=skills))


def test_an_unrouted_alert_pages_nobody_and_the_fallback_detects():
    sc = scenario(API_DOWN.replace("every: 10s", "every: 10s\n    routed: false")
                  + "detection_fallback: {after: 45m, via: customer-report}\n")
    tl = run(sc, team(TWO_LEVEL_TEAM), assumptions=INSTANT)
    fired = tl.first("alert_fired")
    assert fired.t == 0.0 and fired.data["routed"] is False and fired.data["policy"] is None
    assert tl.first("note", gap="unrouted-alert") is not None
    detected = tl.first("detected")
    assert detected.t == 2700.0 and detected.data == {"via": "customer-report", "fallback": True}
    assert tl.first("signal", fallback=True).t == 2700.0
    assert tl.first("page_sent").t == 2700.0  # the first page follows the report


def test_nothing_detects_without_rules_or_fallback():
    sc = scenario(API_DOWN.replace("every: 10s", "every: 10s\n    routed: false"))
    tl = run(sc, team(TWO_LEVEL_TEAM), horizon=3600)
    assert tl.first("detected") is None and tl.first("page_sent") is None
    assert tl.first("note", gap="undetected") is not None
    assert tl.events[-1].t == 3600.0 and tl.events[-1].data == {"reason": "horizon"}


def test_noise_pages_and_keeps_the_responder_busy():
    sc = scenario(API_DOWN.replace("at: 0s", "at: 6h") + """
  - alert: Flappy
    signal: never.set
    above: 1
    false_positives_per_week: 60
""")
    busy = Assumptions.instant().but(noise_triage=Dist(fixed=1800.0))
    tm = solo()
    delayed = 0
    for seed in range(150):
        tl = run(sc, tm, seed=seed, assumptions=busy)
        noise_acks = [e.t for e in tl.find("acknowledged", purpose="noise")]
        assert all(tl.first("alert_fired", noise=True) for _ in noise_acks)
        page = tl.first("page_sent", purpose="incident")
        ack = tl.first("acknowledged", purpose="incident")
        busy_until = max([t + 1800 for t in noise_acks if t <= page.t], default=0.0)
        assert ack.t == pytest.approx(max(page.t + 60, busy_until), abs=2e-3)
        delayed += busy_until > page.t + 60
    assert delayed > 5  # noise did cost attention in some runs


PG_RUNBOOK = """
id: pg
title: Postgres
triggers: {{alerts: [ApiDown]}}
mitigates: true
steps:
  - {{do: Look at the database, takes: 10m, needs: postgres, succeeds: {p}, on_failure: {{retry: 1, then: {then}}}}}
  - {{do: Tell people, takes: 5m}}
"""


@pytest.mark.parametrize("start, expert", [
    (datetime(2026, 1, 5, 3, 0, tzinfo=timezone.utc), "bob"),     # 11:00 in Singapore, 22:00 in New York
    (datetime(2026, 1, 5, 16, 0, tzinfo=timezone.utc), "carol"),  # 00:00 in Singapore (asleep), 11:00 in New York
])
def test_a_step_needing_a_skill_pages_the_best_placed_expert(start, expert):
    sc = scenario(API_DOWN.replace("severity: P1", "severity: P1"))
    tl = run(sc, solo(), [runbook(PG_RUNBOOK.format(p=1, then="escalate"))], start=start, assumptions=INSTANT)
    page = tl.first("page_sent", purpose="expert")
    assert page.data["to"] == expert and page.data["skill"] == "postgres" and page.data["period"] == "working"
    step = tl.first("step_started", step=0)
    assert step.actor == expert and tl.first("responder_engaged", role="expert").data["by"] == expert
    assert tl.first("step_started", step=1).actor == "alice"


def test_a_responder_with_the_skill_pages_nobody():
    tl = run(scenario(API_DOWN), solo("postgres"), [runbook(PG_RUNBOOK.format(p=1, then="escalate"))], assumptions=INSTANT)
    assert tl.first("page_sent", purpose="expert") is None
    assert tl.first("step_started", step=0).actor == "alice"


def test_abort_after_retries_falls_back_to_improvising():
    rb = runbook(PG_RUNBOOK.format(p=0, then="abort"))
    tl = run(scenario(API_DOWN), solo("postgres"), [rb], assumptions=INSTANT)
    attempts = [e.data["attempt"] for e in tl.find("step_finished", step=0)]
    assert attempts == [1, 2] and not any(e.data["ok"] for e in tl.find("step_finished"))
    assert tl.first("note", gap="runbook-aborted").data["step"] == 0
    assert tl.first("step_started", step=1) is None
    assert tl.first("mitigated").data == {"how": "improvised"}


def test_escalate_hands_the_step_to_an_expert_with_the_same_tries():
    rb = runbook(PG_RUNBOOK.format(p=0, then="escalate"))
    tl = run(scenario(API_DOWN), solo("postgres"), [rb], assumptions=INSTANT)
    by = [(e.actor, e.data["attempt"]) for e in tl.find("step_finished", step=0)]
    assert by[:2] == [("alice", 1), ("alice", 2)]
    assert {a for a, _ in by[2:]} <= {"bob", "carol"} and [n for _, n in by[2:]] == [3, 4]
    assert tl.first("note", gap="runbook-aborted") is not None


def test_skip_goes_on_to_the_next_step():
    tl = run(scenario(API_DOWN), solo("postgres"), [runbook(PG_RUNBOOK.format(p=0, then="skip"))], assumptions=INSTANT)
    assert tl.first("step_finished", step=1, ok=True) is not None
    assert tl.first("mitigated").data == {"how": "runbook", "runbook": "pg"}


def test_without_a_runbook_the_gap_is_recorded_and_the_scenario_phases_apply():
    sc = scenario(API_DOWN + """
diagnosis: {improvised: 20m}
mitigation: {improvised: 40m}
recovery: {after_mitigation: 1h}
""")
    tl = run(sc, solo(), assumptions=INSTANT)
    engaged = tl.milestone("engaged")
    assert tl.first("note", gap="no-runbook") is not None
    assert tl.milestone("diagnosed") - engaged == 1200.0
    assert tl.milestone("mitigated") - engaged == 3600.0
    assert tl.milestone("recovered") - engaged == 7200.0
    assert tl.milestone("resolved") == tl.milestone("recovered")
    assert tl.events[-1].kind == "drill_ended" and tl.events[-1].data["reason"] == "resolved"


def test_business_hours_severity_waits_for_monday_morning():
    sc = scenario(API_DOWN.replace("severity: P1", "severity: P2"))
    saturday = datetime(2026, 1, 10, 22, 0, tzinfo=timezone.utc)
    tl = run(sc, solo(), start=saturday, assumptions=INSTANT)
    assert tl.first("detected").t == 0.0
    assert tl.first("note", gap="not-paged") is not None
    page = tl.first("page_sent")
    assert tl.started_at + timedelta(seconds=page.t) == datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)


def test_someone_away_is_paged_but_never_answers():
    tm = team(TWO_LEVEL_TEAM.replace("    ack: {working: {mean: 5m}",
                                     "    away: [{from: 2026-01-01, to: 2026-01-31}]\n    ack: {working: {mean: 5m}"))
    tl = run(scenario(API_DOWN), tm, assumptions=INSTANT)
    first = tl.first("page_sent")
    assert first.data["to"] == "alice" and first.data["away"] is True
    assert tl.first("page_missed", to="alice").data["reason"] == "away"
    assert tl.first("acknowledged", purpose="incident").data["by"] == "bob"
    assert tl.first("escalated").t == 600.0


def test_undelivered_pages_escalate():
    tm = team(TWO_LEVEL_TEAM.replace("push: {delay: 0s, fails: 0}", "push: {delay: 0s, fails: 1}"))
    tl = run(scenario(API_DOWN), tm, assumptions=INSTANT, horizon=7200)
    assert [e.data["reason"] for e in tl.find("page_missed")] == ["undelivered"]
    assert tl.first("page_sent", to="bob").data["channel"] is None
    assert tl.first("note", gap="nobody-acknowledged") is not None
    assert tl.first("acknowledged") is None


def test_status_updates_follow_the_severity_cadence_and_p0_pages_the_commander():
    sc = scenario(API_DOWN.replace("severity: P1", "severity: P0")
                  + "diagnosis: {improvised: 45m}\nmitigation: {improvised: 3h}\nrecovery: {after_mitigation: 2h}\n")
    tl = run(sc, solo(), assumptions=INSTANT)
    assert tl.first("page_sent", purpose="severity").data["to"] == "carol"
    assert tl.first("responder_engaged", role="incident-commander") is not None
    updates = tl.find("status_update")
    assert updates[0].t == tl.milestone("engaged")
    assert updates[0].data == {"phase": "investigating", "public": True, "n": 1}
    # By hand, from engagement E (the first update is instant): investigating every 30m
    # (E, E+30m); the diagnosis at E+45m is posted at once and identified keeps P0's 30m
    # (update_identified unset) for 3h, well under the 5h (30m / stretch 0.1) before any
    # stretching, so E+45m+30m*k for k = 1..5; mitigation at E+3h45m (= E+45m+30m*6) is
    # posted at once, then monitoring every 1h (twice the identified cadence) until the
    # resolution 2h later. The old fixed cadence posted every 30m throughout.
    e = tl.milestone("engaged")
    d, m = e + 2700, e + 2700 + 10800
    expected = [e, e + 1800, d, *(d + 1800 * k for k in range(1, 6)), m, m + 3600, m + 7200]
    assert [u.t for u in updates] == expected
    assert (tl.milestone("diagnosed"), tl.milestone("mitigated"), tl.milestone("resolved")) == (d, m, m + 7200)
    assert updates[-1].data["phase"] == "resolved" and updates[-1].t == tl.milestone("resolved")
    assert [u.data["n"] for u in updates] == list(range(1, len(updates) + 1))
    phases = [u.data["phase"] for u in updates]
    assert phases.index("identified") < phases.index("monitoring") < phases.index("resolved")


BREACH = """
id: leak
title: Keys leaked
kind: breach
severity: P1
services: [api]
injects:
  - at: 0s
    fault: {kind: credential-leaked, service: api, impact: none}
  - at: 1m
    signal: {kind: security, text: odd logins}
monitoring:
  - {alert: OddLogins, on: security, every: 1m}
diagnosis: {improvised: 1h}
mitigation: {improvised: 1h}
recovery: {after_mitigation: 30m}
breach:
  contain: 5h
  notify:
    - {who: regulator, within: 72h, takes: 10h}
    - {who: customers, within: 1w, takes: 2h}
"""


def test_breach_contains_then_resolves_and_notifies_before_the_end():
    tl = run(scenario(BREACH), solo(), assumptions=INSTANT)
    assert tl.milestone("impact") == 0.0 and tl.first("impact_started").data["impact"] == "none"
    assert tl.first("alert_fired").t == 60.0  # the first tick at or after the signal
    engaged, diagnosed = tl.milestone("engaged"), tl.milestone("diagnosed")
    assert tl.milestone("contained") - engaged == 5 * 3600
    assert tl.milestone("resolved") == tl.milestone("contained")  # recovery came earlier; containment gates it
    assert tl.at("notified", who="customers") - diagnosed == 2 * 3600
    assert tl.at("notified", who="regulator") - diagnosed == 10 * 3600
    assert tl.first("notified", who="regulator").data["within"] == 72 * 3600
    assert tl.events[-1].t == tl.at("notified", who="regulator")


def test_on_rules_respect_sensitivity():
    never = scenario(BREACH.replace("{alert: OddLogins, on: security, every: 1m}",
                                    "{alert: OddLogins, on: security, every: 1m, sensitivity: 0}"))
    tl = run(never, solo(), assumptions=INSTANT, horizon=3600)
    assert tl.first("alert_fired") is None


CONDITIONAL = API_DOWN.replace("monitoring:", """  - when: {not_mitigated_by: 30m}
    card: {title: Still broken}
  - when: {not_detected_by: 1m}
    card: {title: Nobody noticed}
monitoring:""") + "diagnosis: {improvised: 1m}\nmitigation: {improvised: MITIGATE}\n"


@pytest.mark.parametrize("mitigate, shown", [("2h", True), ("1m", False)])
def test_conditional_injects_fire_only_when_their_condition_holds(mitigate, shown):
    tl = run(scenario(CONDITIONAL.replace("MITIGATE", mitigate)), solo(), assumptions=INSTANT)
    card = tl.first("inject", what="card")
    assert (card is not None) == shown
    if shown:
        assert card.t == 1800.0 and card.subject == "Still broken" and card.data["condition"] == "not_mitigated_by 30m"


def test_naive_start_is_refused():
    with pytest.raises(SimulationError):
        run(scenario(API_DOWN), solo(), start=datetime(2026, 1, 5, 12, 0))


def test_simulate_records_seed_and_run():
    import numpy as np

    tl = simulate(scenario(API_DOWN), solo(), [], MONDAY, np.random.default_rng(3), run=4, seed=3)
    assert (tl.seed, tl.run, tl.mode, tl.team, tl.scenario) == (3, 4, "simulated", "solo", "api-down")
    assert tl.started_at == MONDAY


def test_a_rule_with_a_source_ignores_signals_from_other_sources():
    from datetime import datetime, timezone

    import numpy as np

    from scenarios import Scenario, Team, loads
    from simulator import simulate

    team = loads("""
team: t
members: [{id: ana, name: Ana, timezone: UTC}]
rotations: {primary: {layers: [{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [ana]}]}}
escalation: {default: {levels: [{notify: rotation:primary}]}}
""", Team)
    text = """
id: s
title: s
kind: breach
severity: P1
services: [api]
injects:
  - {at: 0s, fault: {kind: intrusion, service: api, impact: none}}
  - {at: 1m, signal: {kind: security, text: odd login, source: sso}}
  - {at: 2h, signal: {kind: security, text: canary file touched, source: canary}}
monitoring: [{alert: Canary, on: security, source: canary}]
"""
    tl = simulate(loads(text, Scenario), team, [], datetime(2026, 11, 25, 12, tzinfo=timezone.utc), np.random.default_rng(0))
    fired = tl.first("alert_fired")
    assert fired is not None and fired.t >= 7200


def test_the_default_horizon_leaves_room_for_a_slow_restore():
    from simkit import TWO_LEVEL_TEAM, run, scenario, team

    from simulator import DEFAULT_HORIZON, horizon_for

    sc = scenario("""
id: slow-restore
title: Restores take weeks
kind: data-loss
severity: P1
services: [db]
injects:
  - {at: 0s, fault: {kind: data-deleted, service: db}}
  - {at: 0s, signal: {metric: db.rows, value: 0}}
monitoring: [{alert: RowsGone, signal: db.rows, below: 1, every: 10s}]
backups: [{kind: tape, every: 1w, last_success: -2d, restore_time: 12d}]
""")
    horizon = horizon_for(sc)
    assert horizon >= DEFAULT_HORIZON + 12 * 86400
    tl = run(sc, team(TWO_LEVEL_TEAM), seed=1, horizon=horizon)
    assert tl.first("restored_data") is not None and tl.milestone("recovered") is not None
    cut = run(sc, team(TWO_LEVEL_TEAM), seed=1, horizon=DEFAULT_HORIZON)
    assert cut.first("restored_data") is None  # what a flat 72h horizon would have reported


def test_the_teams_own_response_times_replace_the_assumed_ones():
    import pytest
    from simkit import API_DOWN, TWO_LEVEL_TEAM, run, runbook, scenario, team

    habits = TWO_LEVEL_TEAM + "response:\n  engage: {working: 4m, evening: 4m, asleep: 4m}\n  triage: 30m\n  first_update: 7m\n"
    rb = runbook("id: fix\ntitle: Fix\ntriggers: {alerts: [ApiDown]}\nsteps: [{do: Restart, takes: 1m}]\n")
    for seed in range(5):
        tl = run(scenario(API_DOWN), team(habits), [rb], seed=seed)
        acked, engaged = tl.milestone("acknowledged"), tl.milestone("engaged")
        assert engaged - acked == pytest.approx(240, abs=1e-3)
        assert tl.milestone("diagnosed") - engaged == pytest.approx(1800, abs=1e-3)
        assert tl.milestone("first_update") - engaged == pytest.approx(420, abs=1e-3)
