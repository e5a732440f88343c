"""Partial impact, staged recovery and impact the response causes, against hand
calculations on fixed durations (no draws: every time below is worked out in the
comments from the scenario's own numbers)."""

from __future__ import annotations

import math

import pytest

from scoring import find_gaps, measure, score_many
from simkit import run, scenario, team
from simulator import Assumptions
from scoring.impact import affected, weighted

INSTANT = Assumptions.instant()

#: One person, answering every page after exactly 1m; pages arrive at once.
ONE = """
team: one
timezone: UTC
members:
  - {id: bob, name: Bob, timezone: UTC, ack: {working: 1m, evening: 1m, asleep: 1m}}
rotations:
  primary:
    layers: [{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [bob]}]
escalation:
  P1:
    levels: [{notify: rotation:primary}]
paging:
  push: {delay: 0s, fails: 0}
severity:
  P1: {definition: test, page: always}
"""

# Detected at 0s (the alert's first tick), acknowledged at 1m, engaged at once (INSTANT),
# diagnosed 9m later (10m), mitigated 50m after that: mitigation at exactly 1h.
BASE = """
id: partial
title: Part of the API is down
kind: outage
severity: P1
services: [api, auth]
injects:
  - at: 0s
    fault: {kind: crash, service: api, share: 0.4, of: tenants}
  - at: 0s
    signal: {metric: api.up, value: 0}
monitoring:
  - {alert: ApiDown, signal: api.up, below: 1, every: 10s}
diagnosis: {improvised: 9m}
"""

STAGED = BASE + """
mitigation: {improvised: 50m}
recovery:
  stages:
    - {after: 2h, share: 0.75}
    - {after: 4h, share: 1.0}
"""


def _t(tl, kind, **match):
    e = tl.first(kind, **match)
    assert e is not None, kind
    return e.t


def test_staged_recovery_events_and_the_weighted_outage_by_hand():
    sc = scenario(STAGED)
    tl = run(sc, team(ONE), assumptions=INSTANT)
    assert _t(tl, "mitigated") == 3600.0
    start = tl.first("impact_started")
    assert start.data["share"] == 0.4 and start.data["of"] == "tenants"
    # stage 1: 2h after mitigation (3h); the last stage is recovery, 4h after it (5h)
    stage = tl.first("impact_restored")
    assert (stage.t, stage.data["restored"], stage.data["stage"], stage.data["stages"], stage.data["of"]) == \
        (3 * 3600.0, 0.75, 1, 2, "tenants")
    assert len(tl.find("impact_restored")) == 1
    assert _t(tl, "recovered") == 5 * 3600.0
    # 0.4 of the tenants out from 0 to 3h, then 0.4 x (1 - 0.75) = 0.1 until 5h:
    # 0.4 x 3h + 0.1 x 2h = 1.4 customer-hours = 5,040 s
    assert affected(tl, "outage") == [(0.0, 0.4), (10800.0, pytest.approx(0.1)), (18000.0, 0.0)]
    values = measure(tl, sc).values
    assert values["weighted_outage"] == pytest.approx(1.4 * 3600)
    assert values["ttr"] == 5 * 3600.0  # ttr still counts to the last share back
    assert "weighted_degraded" not in values  # nothing was degraded


def test_a_stage_drawn_before_the_previous_one_comes_with_it():
    """Stage times are drawn in order and never earlier than the stage before: a second
    stage written as 1h after a first of 3h is back at 3h too."""
    sc = scenario(BASE + """
mitigation: {improvised: 50m}
recovery:
  stages:
    - {after: 3h, share: 0.5}
    - {after: 1h, share: 1.0}
""")
    tl = run(sc, team(ONE), assumptions=INSTANT)
    assert _t(tl, "impact_restored") == 4 * 3600.0 and _t(tl, "recovered") == 4 * 3600.0


CAUSED_FOR = BASE + """
mitigation:
  improvised: 50m
  causes: [{service: auth, impact: outage, share: 0.5, for: 3h, note: sessions revoked}]
recovery: {after_mitigation: 1h}
"""


def test_impact_the_mitigation_causes_is_counted_and_holds_recovery_back():
    sc = scenario(CAUSED_FOR)
    tl = run(sc, team(ONE), assumptions=INSTANT)
    caused = tl.first("impact_started", caused_by="response")
    assert (caused.t, caused.subject, caused.actor, caused.data["action"], caused.data["share"]) == \
        (3600.0, "auth", "bob", "mitigation", 0.5)
    # The recovery time alone ends at 2h; the auth outage lasts 3h from mitigation (4h):
    # the incident recovers only once it is over.
    assert _t(tl, "impact_restored", service="auth") == 4 * 3600.0
    assert _t(tl, "recovered") == 4 * 3600.0
    # api: 0.4 from 0 to 4h; auth: 0.5 from 1h to 4h. The larger share counts where they
    # overlap: 0.4 x 1h + 0.5 x 3h = 1.9 customer-hours.
    assert measure(tl, sc).values["weighted_outage"] == pytest.approx(1.9 * 3600)


def test_containment_that_cuts_access_is_an_outage_until_the_staged_recovery():
    """A breach whose leak customers do not see: the only outage is the response's."""
    sc = scenario("""
id: leak
title: Permissions leak
kind: breach
severity: P1
services: [app, orgs]
injects:
  - at: 0s
    fault: {kind: privilege-escalation, service: app, impact: none}
  - at: 0s
    signal: {kind: security, text: permissions changed}
monitoring:
  - {alert: PermChange, on: security}
diagnosis: {improvised: 9m}
mitigation: {improvised: 50m}
recovery:
  stages:
    - {after: 1h, share: 0.5}
    - {after: 3h, share: 1.0}
breach:
  contain: 29m
  contain_causes: [{service: orgs, of: orgs}]
""")
    tl = run(sc, team(ONE), assumptions=INSTANT)
    # engaged at 1m, contained 29m later (30m); mitigated at 1h; stages at 2h and 4h
    assert _t(tl, "contained") == 1800.0
    assert _t(tl, "impact_started", caused_by="response") == 1800.0
    assert _t(tl, "impact_restored") == 2 * 3600.0 and _t(tl, "recovered") == 4 * 3600.0
    # every org out from 30m to 2h (1.5h), half of them until 4h (2h x 0.5): 2.5 customer-hours
    assert measure(tl, sc).values["weighted_outage"] == pytest.approx(2.5 * 3600)
    batch = score_many([tl, tl], sc, team(ONE))
    found = [f for f in find_gaps(sc, team(ONE), [], start=tl.started_at, batch=batch) if f.rule == "collateral-impact"]
    assert len(found) == 1
    # The cut lasted from 30m to the last org back at 4h: 3h30m, in both runs.
    assert found[0].evidence.startswith("containment caused an outage of orgs (every one of its orgs) in 100% of 2 runs; "
                                        "it lasted a median 3h30m")
    assert found[0].subject == "containment:orgs"


def test_a_runbook_step_that_causes_impact():
    from simkit import runbook
    rb = runbook("""
id: drain
title: Drain the region
triggers: {alerts: [ApiDown]}
mitigates: true
steps:
  - do: Drain traffic from the broken region
    takes: 20m
    causes: [{service: auth, impact: degraded, share: 0.25, of: regions, for: 1h}]
  - do: Restart the API
    takes: 10m
""")
    sc = scenario(BASE + "runbooks: [drain]\nrecovery: {after_mitigation: 10m}\n")
    tl = run(sc, team(ONE), [rb], assumptions=INSTANT)
    # the step finishes at 1m + 20m = 21m; degraded auth for a quarter of the regions until 1h21m
    caused = tl.first("impact_started", caused_by="response")
    assert caused.t == 21 * 60.0 and caused.data["action"] == "step 1 of drain (Drain traffic from the broken region)"
    assert _t(tl, "impact_restored", service="auth") == 81 * 60.0
    # the runbook ends (mitigates) at 31m; recovery 10m later would be 41m, held until 1h21m
    assert _t(tl, "mitigated") == 31 * 60.0 and _t(tl, "recovered") == 81 * 60.0
    values = measure(tl, sc).values
    assert values["weighted_degraded"] == pytest.approx(0.25 * 3600)  # 0.25 x 1h
    assert values["weighted_outage"] == pytest.approx(0.4 * 81 * 60)  # the api's 0.4 until 1h21m


def test_a_run_that_never_recovers_has_no_finite_weighted_outage():
    sc = scenario(STAGED)
    tl = run(sc, team(ONE), assumptions=INSTANT, horizon=2 * 3600.0)
    assert tl.first("recovered") is None
    assert math.isinf(weighted(tl, "outage"))


def test_full_share_writes_what_it_always_wrote():
    """share 1.0 (the default) adds nothing to the impact event: byte-identical runs."""
    sc = scenario(BASE.replace("share: 0.4, of: tenants", "share: 1.0") + "mitigation: {improvised: 50m}\n")
    tl = run(sc, team(ONE), assumptions=INSTANT)
    assert tl.first("impact_started").data == {"fault": "crash", "service": "api", "impact": "outage"}
    assert "weighted_outage" not in measure(tl, sc).values
