"""A small scenario and team for the tabletop tests, a fake wall clock, and helpers."""

from __future__ import annotations

from datetime import datetime, timezone

from scenarios.tabletop import parse_action
from simkit import runbook, scenario, team
from simulator.tabletop import Tabletop

MONDAY = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)

#: web.up drops at 30s; WebDown is checked every 1m and needs 2m of it: the first tick
#: that sees it is at 60s, so it fires (and detects, and pages) at 60 + 120 = 180s.
WEB_DOWN = """
id: web-down
title: The web shop is down
kind: outage
severity: P1
services: [web]
injects:
  - at: 0s
    fault: {kind: crash, service: web}
  - at: 30s
    signal: {metric: web.up, value: 0}
  - at: 10m
    card:
      title: Customers call
      body: The phone lines light up.
      facilitator: Ask who talks to support.
      questions: [Who tells support?]
  - when: {not_acknowledged_by: 15m}
    card: {title: Still nobody, facilitator: Nudge the on-call.}
  - when: {updated_by: 20m}
    card: {title: The press read your update}
  - when: {not_updated_by: 20m}
    card: {title: Silence on the status page}
monitoring:
  - alert: WebDown
    signal: web.up
    below: 1
    for: 2m
    every: 1m
mitigation: {improvised: 10m}
recovery: {after_mitigation: 10m}
"""
DETECTED = 180.0

#: alice is primary, bob secondary and the incident commander; pages arrive at once.
TEAM = """
team: web-team
timezone: UTC
members:
  - id: alice
    name: Alice
    timezone: UTC
    ack: {working: 1m, evening: 1m, asleep: 1m}
  - id: bob
    name: Bob
    timezone: UTC
    ack: {working: 1m, evening: 1m, asleep: 1m}
  - id: carol
    name: Carol
    timezone: UTC
    ack: {working: 1m, evening: 1m, asleep: 1m}
roles:
  incident-commander: [bob]
  leadership: [carol]
rotations:
  primary:
    layers: [{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [alice]}]
  secondary:
    layers: [{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [bob]}]
escalation:
  default:
    levels:
      - {notify: rotation:primary, timeout: 10m}
      - {notify: rotation:secondary}
paging:
  push: {delay: 0s, fails: 0}
severity:
  P1: {definition: major, page: always, also_page: [role:incident-commander], update_every: 30m}
  P0: {definition: critical, page: always, also_page: [role:incident-commander, role:leadership], public_update: true}
"""

RESTART = """
id: restart-web
title: Restart the web tier
triggers: {alerts: [WebDown]}
mitigates: true
steps:
  - {do: Drain the load balancer, takes: 2m}
  - {do: Restart the web pods, takes: 5m, mitigates: true}
  - {do: Check the error rate, takes: 2m}
"""


class FakeClock:
    """A monotonic clock that moves only when told (wall seconds)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def wait(self, seconds: float) -> None:
        self.t += seconds


def act(**fields):
    return parse_action(fields)


def session(sc_text: str = WEB_DOWN, runbooks=(RESTART,), *, speed: int = 1, seed: int = 3,
            clock: FakeClock | None = None) -> tuple[Tabletop, FakeClock]:
    clock = clock or FakeClock()
    tt = Tabletop(scenario(sc_text), team(TEAM), [runbook(r) for r in runbooks], start=MONDAY, seed=seed,
                  speed=speed, monotonic=clock)
    return tt, clock


def started(**kw) -> tuple[Tabletop, FakeClock]:
    tt, clock = session(**kw)
    tt.act(act(action="start"), facilitator=True)
    return tt, clock


def run_to(tt: Tabletop, clock: FakeClock, drill_t: float) -> None:
    """Move the wall clock so that the drill clock reads ``drill_t``, then tick."""
    clock.wait((drill_t - tt.now) / tt._clock.speed)
    tt.tick()
    assert tt.now == drill_t


def kinds(tt: Tabletop) -> list[str]:
    return [e.kind for e in tt.timeline().events]
