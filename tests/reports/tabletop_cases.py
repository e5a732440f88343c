"""A tabletop drill made by hand: the events a room's actions would record for the
global config-push outage against the example team, with the room's update texts, a
hostile observation, a severity change, a page sent by hand and the facilitator's end,
scored as any run is. The texts and times below are the expectations of the tests."""

from __future__ import annotations

from datetime import datetime, timezone

from examples import EXAMPLES
from scenarios import find_builtin, load_runbook, load_scenario, load_team, yaml_files
from scenarios.timeline import new_event, new_timeline
from drillbit.app import score_timelines
from drillbit.resolve import Inputs

from report_cases import NOW, REQUIRE_SHARE, Case
from scoring.series import RunSeries

START = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
UPDATE_1 = "Checkout is failing for EU customers; we are on it"
UPDATE_2 = "Fixed: every site is back, we keep watching the edge"
#: A note the room typed: HTML, a Markdown heading and a list marker at its start.
HOSTILE_NOTE = "# Owned <script>alert('x')</script> - [click](http://evil.example) &lt;b&gt; *bold*"
LONG_NOTE = "the-kill-switch-runbook-was-" + "very-" * 400 + "long"
STRENGTHS = ("The incident commander took the bridge within a minute", "Status updates went out on time")
IMPROVEMENTS = ("Nobody knew where the break-glass credentials were kept",
                "## Not a heading: the WAF rule review needs a second pair of eyes")
HOTWASH = ([{"kind": "strength", "text": STRENGTHS[0], "by": "dana", "t": 1200.0},
            {"kind": "improvement", "text": IMPROVEMENTS[0], "by": "amara", "t": 1200.0},
            {"kind": "strength", "text": STRENGTHS[1], "by": None, "t": 1200.0},
            {"kind": "improvement", "text": IMPROVEMENTS[1], "by": "Visiting auditor", "t": 1200.0}])


def _events() -> list:
    e = new_event
    return [
        e(0.0, "drill_started", "system", "config-push-global-outage",
          {"severity": "P0", "scenario_kind": "outage", "team": "payments-sre", "timezone": "Europe/Berlin",
           "local": "2026-11-30T11:00:00+01:00"}),
        e(10.0, "fault_applied", "resource-exhaustion", "edge-proxy",
          {"fault": "resource-exhaustion", "service": "edge-proxy", "impact": "outage", "inject": 1}),
        e(10.0, "impact_started", "resource-exhaustion", "edge-proxy",
          {"fault": "resource-exhaustion", "service": "edge-proxy", "impact": "outage"}),
        e(90.0, "alert_fired", "monitoring", "EdgeHttp5xxHigh",
          {"severity": "P0", "service": "edge-proxy", "routed": True, "policy": "P0", "noise": False, "value": 0.82}),
        e(90.0, "detected", "monitoring", "EdgeHttp5xxHigh", {"via": "alert", "fallback": False, "alert": "EdgeHttp5xxHigh"}),
        e(90.0, "page_sent", "paging", "amara",
          {"page": 1, "to": "amara", "purpose": "incident", "target": "rotation:primary", "channel": "phone",
           "delivered_after": 2.0, "period": "working", "timezone": "Europe/Berlin", "away": False, "policy": "P0",
           "level": 1, "round": 0, "alert": "EdgeHttp5xxHigh"}),
        # The room acknowledged 4m after the page.
        e(330.0, "acknowledged", "amara", "amara",
          {"by": "amara", "page": 1, "page_t": 90.0, "purpose": "incident", "period": "working", "policy": "P0",
           "level": 1, "round": 0, "alert": "EdgeHttp5xxHigh"}),
        e(330.0, "responder_engaged", "amara", "amara", {"by": "amara", "role": "responder", "page": 1}),
        e(400.0, "severity_changed", "amara", "config-push-global-outage", {"severity": "P1", "was": "P0"}),
        e(420.0, "page_sent", "paging", "dana",
          {"page": 2, "to": "dana", "purpose": "manual", "target": "role:incident-commander", "channel": "push",
           "delivered_after": 3.0, "period": "asleep", "timezone": "America/New_York", "away": False}),
        e(480.0, "acknowledged", "dana", "dana",
          {"by": "dana", "page": 2, "page_t": 420.0, "purpose": "manual", "period": "asleep"}),
        e(480.0, "responder_engaged", "dana", "dana", {"by": "dana", "role": "incident-commander", "page": 2}),
        e(600.0, "status_update", "amara", "config-push-global-outage",
          {"phase": "investigating", "public": True, "n": 1, "text": UPDATE_1}),
        e(700.0, "note", "amara", "config-push-global-outage", {"gap": "observation", "text": HOSTILE_NOTE}),
        e(720.0, "note", "dana", "config-push-global-outage", {"gap": "observation", "text": LONG_NOTE}),
        e(900.0, "mitigated", "dana", "config-push-global-outage", {"how": "improvised"}),
        e(1000.0, "recovered", "system", "config-push-global-outage", {}),
        e(1100.0, "status_update", "dana", "config-push-global-outage",
          {"phase": "resolved", "public": True, "n": 2, "text": UPDATE_2}),
        e(1100.0, "resolved", "dana", "config-push-global-outage", {}),
        e(1200.0, "drill_ended", "system", "config-push-global-outage", {"reason": "ended"}),
    ]


def tabletop_timeline():
    return new_timeline("config-push-global-outage", "tabletop", None, None, START, "payments-sre", tuple(_events()))


def make_tabletop_case(*, hotwash=HOTWASH, facilitator: str | None = "helena") -> Case:
    """The hand-made tabletop scored, with its hot wash and facilitator recorded."""
    builtin = find_builtin("config-push-global-outage")
    assert builtin is not None
    scenario = load_scenario(builtin)
    team = load_team(EXAMPLES / "team.yaml")
    books = yaml_files(EXAMPLES / "runbooks")
    runbooks = [load_runbook(f) for f in books]
    inputs = Inputs(scenario, team, runbooks, EXAMPLES / "team.yaml", None, builtin, EXAMPLES / "runbooks", tuple(books))
    tl = tabletop_timeline()
    drill = score_timelines([tl], inputs, now=NOW, require_share=REQUIRE_SHARE)
    result = drill.result.recorded(hotwash=hotwash, facilitator=facilitator)
    return Case("tabletop", result, scenario, team, runbooks, drill.timeline, RunSeries.of_score(drill.batch), [tl])
