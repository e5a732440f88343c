"""Hand-written timelines and inputs for scoring tests."""

from __future__ import annotations

from datetime import datetime, timezone

from scenarios import Scenario, Team, loads
from scenarios.timeline import Event, Timeline

START = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)  # a Wednesday, 13:00 in Berlin

SCENARIO = """
id: api-down
title: API down
kind: outage
severity: P0
services: [api]
injects:
  - {at: 0s, fault: {kind: crash, service: api}}
  - {at: 30s, signal: {metric: api.error_rate, value: 0.9}}
monitoring:
  - {alert: ApiErrors, signal: api.error_rate, above: 0.05, for: 1m, every: 30s, severity: P0, service: api}
objectives: {detect: 5m, acknowledge: 5m, mitigate: 1h, recover: 2h}
"""

TEAM = """
team: t
timezone: Europe/Berlin
members:
  - {id: ana, name: Ana, timezone: Europe/Berlin, skills: [api]}
  - {id: ben, name: Ben, timezone: America/New_York, skills: [api]}
roles: {incident-commander: [ana], leadership: [ben]}
rotations:
  primary:
    layers: [{start: 2026-11-02T00:00:00+00:00, turn: 1d, members: [ana, ben]}]
escalation:
  default:
    levels:
      - {notify: rotation:primary, timeout: 5m}
      - {notify: role:incident-commander, timeout: 5m}
"""

RUNBOOK = """
id: restart-api
title: Restart the API
triggers: {alerts: [ApiErrors]}
mitigates: true
steps:
  - {do: Restart, takes: 5m, needs: api}
"""


def scenario(text: str = SCENARIO) -> Scenario:
    return loads(text, Scenario, "scenario.yaml")


def team(text: str = TEAM) -> Team:
    return loads(text, Team, "team.yaml")


def ev(t: float, kind: str, subject: str = "", actor: str = "system", **data) -> Event:
    return Event(t=t, kind=kind, actor=actor, subject=subject, data=data)


def timeline(*events: Event, scenario_id: str = "api-down", start: datetime = START) -> Timeline:
    return Timeline(scenario=scenario_id, mode="simulated", seed=1, run=0, started_at=start, team="t",
                    events=tuple(sorted(events, key=lambda e: e.t)))


def full_run() -> Timeline:
    """Every milestone, at times easy to subtract by hand."""
    return timeline(
        ev(0, "drill_started", "api-down"),
        ev(0, "impact_started", "api", "crash", fault="crash", service="api", impact="outage"),
        ev(120, "detected", "ApiErrors", "monitoring", via="alert", alert="ApiErrors", fallback=False),
        ev(130, "page_sent", "ana", "paging", page=1, to="ana", purpose="incident", policy="default", level=1,
           timezone="Europe/Berlin", period="working"),
        ev(430, "acknowledged", "ana", "ana", by="ana", page=1, page_t=130, purpose="incident"),
        ev(500, "responder_engaged", "ana", "ana", by="ana", role="responder"),
        ev(700, "status_update", "api-down", "ana", phase="investigating", public=True, n=1),
        ev(1800, "mitigated", "api-down", "ana", how="improvised"),
        ev(2500, "status_update", "api-down", "ana", phase="monitoring", public=True, n=2),
        ev(3600, "recovered", "api-down"),
        ev(3700, "resolved", "api-down", "ana"),
        ev(3700, "status_update", "api-down", "ana", phase="resolved", public=True, n=3),
        ev(3700, "drill_ended", "api-down", reason="resolved"),
    )
