"""Inline teams, scenarios and runbooks for the simulator tests (no example files)."""

from __future__ import annotations

from datetime import datetime, timezone
from textwrap import dedent

import numpy as np

from scenarios import Runbook, Scenario, Team, loads
from simulator import Assumptions, simulate

MONDAY = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)  # a Monday, noon UTC


def team(text: str) -> Team:
    return loads(dedent(text), Team, "team.yaml")


def scenario(text: str) -> Scenario:
    return loads(dedent(text), Scenario, "scenario.yaml")


def runbook(text: str) -> Runbook:
    return loads(dedent(text), Runbook, "runbook.yaml")


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def run(sc: Scenario, tm: Team, runbooks=(), *, start: datetime = MONDAY, seed: int = 0,
        assumptions: Assumptions | None = None, horizon: float = 72 * 3600.0):
    return simulate(sc, tm, list(runbooks), start, rng(seed), assumptions=assumptions, horizon=horizon, seed=seed)


#: Two people, one per rotation, exponential answers with mean 5m; pages arrive at once.
TWO_LEVEL_TEAM = """
team: two-levels
timezone: UTC
members:
  - id: alice
    name: Alice
    timezone: Europe/Berlin
    ack: {working: {mean: 5m}, evening: {mean: 5m}, asleep: {mean: 5m}}
  - id: bob
    name: Bob
    timezone: UTC
    ack: {working: 1m, evening: 1m, asleep: 1m}
rotations:
  primary:
    layers: [{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [alice]}]
  secondary:
    layers: [{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [bob]}]
escalation:
  P1:
    levels:
      - {notify: rotation:primary, timeout: 10m}
      - {notify: rotation:secondary}
paging:
  push: {delay: 0s, fails: 0}
severity:
  P1: {definition: test, page: always}
"""

#: An outage that an alert sees at once: api.up drops to 0 at 0s; checked every 10s.
API_DOWN = """
id: api-down
title: The API is down
kind: outage
severity: P1
services: [api]
injects:
  - at: 0s
    fault: {kind: crash, service: api}
  - at: 0s
    signal: {metric: api.up, value: 0}
monitoring:
  - alert: ApiDown
    signal: api.up
    below: 1
    every: 10s
"""
