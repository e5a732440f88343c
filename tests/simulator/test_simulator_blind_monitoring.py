"""Monitoring that depends on a service goes blind while it has an outage; backups that
cover part of the data lose the rest for good. Every expected instant is worked out by
hand on the rule's tick grid (ticks at k*every, a condition must hold for ``for``)."""

from __future__ import annotations

import pytest

from scenarios.events import check_payload
from simkit import TWO_LEVEL_TEAM, run, scenario, team
from test_simulator_closed_form import DATA_LOSS  # a deletion at {loss}, seen by RowsGone; {backups}
from simulator import Assumptions

INSTANT = Assumptions.instant()

BLIND = """
id: blind
title: The API fails while telemetry is down
kind: outage
severity: P1
services: [api, telemetry]
injects:
  - at: {down}
    fault: {{kind: dependency-down, service: telemetry, impact: {impact}}}
  - at: 0s
    fault: {{kind: crash, service: api}}
  - at: {seen}
    signal: {{metric: api.error_rate, value: 0.9}}
  - at: 5m
    signal: {{kind: log, source: api, text: "connection refused"}}
monitoring:
  - {{alert: ApiErrors, signal: api.error_rate, above: 0.5, for: {for_}, every: {every}, depends_on: [{deps}]}}
  - {{alert: ApiLogs, on: log, source: api, depends_on: [{deps}]}}
detection_fallback: {{after: 45m, via: customer-report}}
"""


def blind(down="0s", impact="outage", seen="20s", for_="1m", every="30s", deps="telemetry"):
    return scenario(BLIND.format(down=down, impact=impact, seen=seen, for_=for_, every=every, deps=deps))


def fired(tl, alert):
    return [e for e in tl.find("alert_fired") if e.subject == alert]


def test_a_rule_blind_before_the_condition_never_fires_and_people_detect_it():
    # telemetry is down from 0s; the error rate crosses at 20s and the log line comes at
    # 5m, but neither rule sees anything: the fallback report at 45m detects it.
    tl = run(blind(), team(TWO_LEVEL_TEAM), assumptions=INSTANT)
    assert fired(tl, "ApiErrors") == [] and fired(tl, "ApiLogs") == []
    blinded = [(e.t, e.subject, e.data["service"]) for e in tl.find("monitoring_blind")]
    assert blinded == [(0.0, "ApiErrors", "telemetry"), (0.0, "ApiLogs", "telemetry")]
    detected = tl.first("detected")
    assert detected.t == 45 * 60 and detected.data["via"] == "customer-report"


def test_without_the_outage_the_same_rule_fires_on_the_grid():
    # The control: the error rate at 20s is first seen at tick 1 (30s) and must hold for
    # 1m = 2 ticks: it fires at 30s + 60s = 90s. A degraded dependency leaves it seeing.
    for sc in (blind(deps=""), blind(impact="degraded")):
        tl = run(sc, team(TWO_LEVEL_TEAM), assumptions=INSTANT)
        assert fired(tl, "ApiErrors")[0].t == 90.0
        assert tl.find("monitoring_blind") == []


def test_a_firing_alert_goes_stale_at_the_first_tick_of_the_blind_stretch():
    # The rate is seen at tick 0 and fires at tick 2 (60s); telemetry goes down at
    # 10m05s = 605s; the first tick at or after it is ceil(605/30) = 21 -> 630s, where
    # the rule finds no data and its alert resolves as stale. Detection (60s) stands.
    tl = run(blind(down="10m5s", seen="0s"), team(TWO_LEVEL_TEAM), assumptions=INSTANT)
    assert fired(tl, "ApiErrors")[0].t == 60.0
    assert tl.first("detected").t == 60.0
    assert tl.first("monitoring_blind", service="telemetry").t == 605.0
    stale = next(e for e in tl.find("alert_resolved") if e.subject == "ApiErrors")
    assert stale.t == 630.0 and stale.data == {"noise": False, "stale": True}
    # the log rule fired at 5m (tick 5 of its 1m grid), before the outage; it goes stale
    # at its first tick at or after 605s: ceil(605/60) = 11 -> 660s
    assert fired(tl, "ApiLogs")[0].t == 300.0
    assert next(e for e in tl.find("alert_resolved") if e.subject == "ApiLogs").t == 660.0


def test_a_pending_condition_is_cleared_and_never_fires():
    # for 5m on a 1m grid: pending at tick 0, due at tick 5 (300s); telemetry goes down at
    # 150s, so the tick at 180s finds no data and nothing ever fires: the fallback detects.
    tl = run(blind(down="2m30s", seen="0s", for_="5m", every="1m"), team(TWO_LEVEL_TEAM), assumptions=INSTANT)
    assert fired(tl, "ApiErrors") == []
    assert tl.first("detected").t == 45 * 60


def test_an_outage_on_a_tick_blinds_that_tick():
    # Going down at exactly 60s, the tick at 60s (which would have fired: pending at 0,
    # for 1m) already finds no data.
    tl = run(blind(down="1m", seen="0s"), team(TWO_LEVEL_TEAM), assumptions=INSTANT)
    assert fired(tl, "ApiErrors") == []


def test_sight_returns_at_recovery_with_how_long_it_was_blind():
    tl = run(blind(), team(TWO_LEVEL_TEAM), assumptions=INSTANT)
    recovered = tl.milestone("recovered")
    assert recovered is not None
    back = tl.find("monitoring_restored")
    assert [e.subject for e in back] == ["ApiErrors", "ApiLogs"]
    for e in back:
        assert e.t == recovered and e.data == {"service": "telemetry", "blind_for": recovered - 0.0}
    for e in [*tl.find("monitoring_blind"), *back, *tl.find("alert_resolved")]:
        check_payload(e.kind, e.data)  # the strict producer check live and tabletop runs pass


def test_a_blind_rule_has_no_false_positives():
    # A rule on a metric the incident never moves fires only spuriously: 200 a week, one
    # every 50m on average, so over 10 runs of hours each the seeing rule makes some; the
    # same rule blind from 0s makes none.
    def flaky(deps):
        return scenario(BLIND.format(down="0s", impact="outage", seen="20s", for_="1m", every="30s", deps="telemetry")
                        .replace("detection_fallback", f"  - {{alert: Flaky, signal: disk.free, below: 0.1, "
                                                       f"false_positives_per_week: 200, depends_on: [{deps}]}}\ndetection_fallback"))

    def noise(sc):
        return sum(1 for s in range(10) for e in run(sc, team(TWO_LEVEL_TEAM), seed=s).find("alert_fired") if e.data["noise"])

    assert noise(flaky("")) > 0
    assert noise(flaky("telemetry")) == 0


# -- backups that cover part of the data ---------------------------------------------------



@pytest.mark.parametrize("backups, chosen, rpo, covers, lost", [
    # one snapshot of 60% of the data taken 6h before: 40% is lost for good, 6h of the rest
    (["{kind: snapshot, every: 24h, last_success: -6h, restore_time: 2h, covers: 0.6}"], "snapshot", 6 * 3600, 0.6, 0.4),
    # nested shares: a fresher dump of 30% and an older full snapshot -> the snapshot
    # (it covers the most), so nothing is lost for good and RPO is its 14h
    (["{kind: dump, every: 1h, last_success: -30m, restore_time: 1h, covers: 0.3}",
      "{kind: snapshot, every: 24h, last_success: -14h, restore_time: 2h}"], "snapshot", 14 * 3600, None, None),
    # the one covering more does not work: the 30% dump is restored, 70% lost for good,
    # RPO 30m (the newest dump, every hour from -30m, before the loss at 0s)
    (["{kind: dump, every: 1h, last_success: -30m, restore_time: 1h, covers: 0.3}",
      "{kind: snapshot, every: 24h, last_success: -14h, restore_time: 2h, works: false}"], "dump", 30 * 60, 0.3, 0.7),
    # equal shares: the newer copy, as with full backups
    (["{kind: a, every: 24h, last_success: -9h, restore_time: 1h, covers: 0.75}",
      "{kind: b, every: 24h, last_success: -3h, restore_time: 1h, covers: 0.75}"], "b", 3 * 3600, 0.75, 0.25),
])
def test_a_restore_brings_back_only_what_its_backup_covers(backups, chosen, rpo, covers, lost):
    text = "\n".join(f"  - {b}" for b in backups)
    tl = run(scenario(DATA_LOSS.format(loss="0s", backups=text)), team(TWO_LEVEL_TEAM), seed=1)
    restored = tl.first("restored_data")
    assert restored.data["backup"] == chosen and restored.data["rpo"] == rpo
    assert restored.data.get("covers") == covers and restored.data.get("lost") == lost
    check_payload("restored_data", restored.data)
    note = tl.first("note", gap="data-not-covered")
    assert (note is not None) == (lost is not None)


def test_the_scorecard_counts_the_share_lost_for_good():
    from scoring import score

    sc = scenario(DATA_LOSS.format(loss="0s", backups="  - {kind: snapshot, every: 24h, last_success: -6h, restore_time: 2h, covers: 0.6}"))
    card = score(run(sc, team(TWO_LEVEL_TEAM), seed=1), sc)
    assert card.metrics.counts["percent_of_data_lost_for_good"] == 40.0  # 100% - 60% covered
    assert card.metrics.values["rpo"] == 6 * 3600  # RPO: the span lost of the 60% restored
    full = scenario(DATA_LOSS.format(loss="0s", backups="  - {kind: snapshot, every: 24h, last_success: -6h, restore_time: 2h}"))
    assert "percent_of_data_lost_for_good" not in score(run(full, team(TWO_LEVEL_TEAM), seed=1), full).metrics.counts


CAUSED = """
id: drained
title: Mitigation drains the telemetry cluster for an hour
kind: outage
severity: P1
services: [api, telemetry]
injects:
  - {at: 0s, fault: {kind: crash, service: api}}
  - {at: 0s, signal: {metric: api.error_rate, value: 0.9}}
monitoring:
  - {alert: ApiErrors, signal: api.error_rate, above: 0.5, for: 1m, every: 30s, depends_on: [telemetry]}
diagnosis: {takes: 5m}
mitigation:
  improvised: 10m
  causes: [{service: telemetry, impact: outage, for: 1h}]
recovery: {after_mitigation: 3h}
"""


def test_an_outage_the_response_causes_blinds_the_rule_until_it_ends():
    # Fires at 60s (tick 0 pending, tick 2 due). Mitigation at m causes a telemetry outage
    # for 1h: blind at m, stale at the first tick at or after m; at m + 1h it sees again,
    # the error rate still holds (the series clear only at recovery, m + 3h), so it goes
    # pending at the next tick k and fires again at k + 60s.
    tl = run(scenario(CAUSED), team(TWO_LEVEL_TEAM), assumptions=INSTANT, seed=4)
    m = tl.milestone("mitigated")
    tick = lambda t: -(-round(t, 3) // 30) * 30  # noqa: E731  (ceil to the 30s grid)
    assert tl.first("monitoring_blind").t == m
    stale = next(e for e in tl.find("alert_resolved") if e.data.get("stale"))
    assert stale.t == tick(m)
    back = tl.first("monitoring_restored")
    assert back.t == pytest.approx(m + 3600, abs=1e-3) and back.data["blind_for"] == pytest.approx(3600, abs=1e-3)
    again = fired(tl, "ApiErrors")
    assert [e.t for e in again][0] == 60.0
    assert again[1].t == pytest.approx(tick(back.t) + 60, abs=1e-3)
