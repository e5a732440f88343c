"""Two things the post-mortem and ``--explain`` say about a scenario as written: events
the scenario places before the drill (``at: -23h37m``) at that offset and wall time,
and customer impact only for services customers see (a fault's ``impact``: none means
an internal system)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from drillbit.app import score_timelines
from drillbit.resolve import Inputs
from reports import render_report
from reports.explain import explain
from scenarios import Scenario, loads
from simulator import Assumptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "simulator"))  # the simulator tests' team
from simkit import TWO_LEVEL_TEAM, run, team  # noqa: E402

NOW = datetime(2026, 1, 10, 9, 0, tzinfo=timezone.utc)

# The drill starts Monday 5 Jan 2026 12:00 UTC (simkit's MONDAY).
BEFORE = """
id: config-then-crash
title: A config change the day before, then a crash
kind: outage
severity: P1
services: [api]
injects:
  - at: -23h37m
    fault: {kind: config-push, service: api, impact: none}
  - at: -2h
    card: {title: The change was approved without review}
  - at: 0s
    fault: {kind: crash, service: api}
  - at: 0s
    signal: {metric: api.up, value: 0}
monitoring:
  - {alert: ApiDown, signal: api.up, below: 1, every: 10s}
"""

LAPTOP = """
id: laptop-stolen
title: A developer laptop is compromised
kind: breach
severity: P1
services: [dev-laptop, source-repo]
injects:
  - at: 0s
    fault: {kind: malware, service: dev-laptop, impact: none}
  - at: 0s
    fault: {kind: credential-leaked, service: dev-laptop, impact: none}
  - at: 1m
    signal: {kind: security, text: EDR flags the laptop}
monitoring:
  - {alert: Edr, on: security}
"""


def _scenario(text: str) -> Scenario:
    return loads(text, Scenario, "scenario.yaml")


def _postmortem(sc: Scenario, folder: Path) -> str:
    tm = team(TWO_LEVEL_TEAM)
    (folder / "team.yaml").write_text(TWO_LEVEL_TEAM, encoding="utf-8")  # the drill records its inputs' hashes
    tl = run(sc, tm, assumptions=Assumptions.instant())
    drill = score_timelines([tl], Inputs(sc, tm, [], folder / "team.yaml", None), now=NOW)
    return render_report(drill.result, "postmortem", scenario=sc, team=tm, timeline=drill.timeline, now=NOW)


def test_explain_shows_events_before_the_drill_at_their_offset_and_wall_time():
    sc, tm = _scenario(BEFORE), team(TWO_LEVEL_TEAM)
    tl = run(sc, tm, assumptions=Assumptions.instant())
    # the engine delivers them at the start (a run has no clock before it)
    assert [e.t for e in tl.events if e.kind == "fault_applied" and e.data["fault"] == "config-push"] == [0.0]
    lines = explain(tl, tm, scenario=sc)
    assert lines[1] == "-offset = before the drill started, as the scenario writes it; the run applies it at +0s"
    # 12:00 UTC on Monday less 23h37m is Sunday 12:23; less 2h, Monday 10:00. Both come
    # before the drill's first line, each under its own day.
    assert lines[2:7] == [
        "-- Sun 4 Jan 2026 --",
        "12:23 -23h37m Fault config-push on api (no customer-visible impact) (before the drill; in effect from +0s)",
        "-- Mon 5 Jan 2026 --",
        "10:00 -2h Scenario card shown to the team: The change was approved without review (before the drill; in effect from +0s)",
        "12:00 +0s Drill starts: config-then-crash (P1 outage) for team two-levels",
    ]
    assert "12:00 +0s Fault crash on api (outage)" in lines


def test_without_the_scenario_explain_keeps_the_engines_clock():
    sc, tm = _scenario(BEFORE), team(TWO_LEVEL_TEAM)
    lines = explain(run(sc, tm, assumptions=Assumptions.instant()), tm)
    assert "12:00 +0s Fault config-push on api (no customer-visible impact)" in lines
    assert all(line.split(" ")[1].startswith("+") for line in lines[1:] if not line.startswith("--"))


def test_the_postmortem_shows_events_before_the_drill_at_their_offset(tmp_path):
    text = _postmortem(_scenario(BEFORE), tmp_path)
    assert "A negative offset is a moment the scenario places before the drill started" in text
    rows = [line for line in text.splitlines() if line.startswith("| Sun 4 Jan 2026") or "| -2h |" in line]
    assert rows[0].startswith("| Sun 4 Jan 2026 | 12:23:00 | -23h37m | Customer impact | Fault config-push on api")
    assert rows[1].startswith("| Mon 5 Jan 2026 | 10:00:00 | -2h | Customer impact | Scenario card shown")
    # the milestones stay on the engine's clock: impact began at the drill start
    assert "| Customer impact began | Mon 5 Jan 2026, 12:00 UTC | +0s |" in text


def test_the_postmortem_names_internal_systems_as_such_and_each_service_once(tmp_path):
    text = _postmortem(_scenario(LAPTOP), tmp_path)
    # two faults on the laptop, both impact none: one row, marked internal
    assert text.count("| dev-laptop |") == 1
    assert "| dev-laptop | none (internal system) |" in text
    assert "customers experienced" not in text
    assert ("a security incident affected internal systems (dev-laptop); no customer-facing service was interrupted."
            in text)
    assert "| Impact on internal systems began |" in text


def test_the_customer_summary_names_customer_facing_services_only(tmp_path):
    text = _postmortem(_scenario(BEFORE), tmp_path)
    # api has the crash (impact outage, the default); the config push on it said none,
    # but one customer-visible fault makes the service customer-facing
    assert "customers experienced an outage of api." in text
    assert text.count("| api |") == 1
