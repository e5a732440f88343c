"""TTA counts from the first paging attempt, in a scorecard and in the incident log
alike: a level that found nobody on call is an attempt, so a later page does not
shorten acknowledgement. The timeline here is written by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from incidents import incidents_of_run, record_drill
from incident_log_helpers import drill_summary
from scenarios.timeline import Event, Timeline
from scoring import measure

START = datetime(2026, 3, 2, 4, 0, tzinfo=timezone.utc)
ROUTE = {"policy": "P1", "level": 1, "round": 0}


def hand_timeline() -> Timeline:
    # Detected at 20s; level 1 of P1 finds nobody on call at 20s; a page goes out at
    # 80s (say a person re-paged by hand through the policy) and is acknowledged at
    # 200s. TTA = 200 - 20 = 180s (from the attempt), not 200 - 80 = 120s.
    ev = [
        Event(t=0, kind="drill_started", actor="system", subject="s"),
        Event(t=0, kind="impact_started", actor="f", subject="api", data={"fault": "f", "service": "api", "impact": "outage"}),
        Event(t=20, kind="detected", actor="monitoring", subject="ApiDown", data={"via": "alert", "fallback": False}),
        Event(t=20, kind="page_missed", actor="paging", subject="rotation:primary",
              data={"purpose": "incident", "target": "rotation:primary", "reason": "nobody-on-call", **ROUTE}),
        Event(t=80, kind="page_sent", actor="paging", subject="bob",
              data={"page": 1, "to": "bob", "purpose": "incident", "target": "rotation:secondary", "channel": "push",
                    "delivered_after": 0.0, "period": "working", "timezone": "UTC", "away": False, **ROUTE, "level": 2}),
        Event(t=200, kind="acknowledged", actor="bob", subject="bob",
              data={"by": "bob", "page": 1, "page_t": 80.0, "purpose": "incident", "period": "working", **ROUTE, "level": 2}),
        Event(t=500, kind="mitigated", actor="bob", subject="s", data={"how": "improvised"}),
        Event(t=800, kind="recovered", actor="system", subject="s"),
        Event(t=900, kind="drill_ended", actor="system", subject="s", data={"reason": "resolved"}),
    ]
    return Timeline(scenario="s", mode="simulated", seed=1, run=None, started_at=START, events=tuple(ev))


def test_tta_counts_from_the_level_that_found_nobody():
    tl = hand_timeline()
    assert tl.milestone("paged") == 20.0 and tl.milestones()["paged"] == 20.0
    assert measure(tl).values["tta"] == 180.0


def test_the_incident_log_keeps_the_same_start_of_tta(store):
    drill, scenario = drill_summary(1)
    tl = hand_timeline()
    run_id = record_drill(store, drill.result, scenario=scenario, team=drill.result.team, mode="simulated", seed=1,
                          timeline=tl)
    (inc,) = incidents_of_run(store, run_id)
    assert inc.paged == START + timedelta(seconds=20)
    assert inc.metrics()["tta"] == 180.0
