"""A tabletop played by a script through the real session (simulator.tabletop), scored
and rendered: what the room did at the script's times reaches the reports in its own
words. Expectations are the script's texts and times (the page goes out at 3m: the
alert sees web.up at 0 from its first check at 1m and needs 2m of it)."""

from __future__ import annotations

from datetime import datetime, timezone
from textwrap import dedent

import pytest

from drillbit.app import score_timelines
from drillbit.resolve import Inputs
from reports import render_report
from scenarios import Runbook, Scenario, Team, loads
from scenarios.tabletop import parse_action
from simulator.tabletop import Tabletop

NOW = datetime(2026, 1, 6, 9, 0, tzinfo=timezone.utc)
MONDAY = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
PAGED = 180.0

SCENARIO = """
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
monitoring:
  - alert: WebDown
    signal: web.up
    below: 1
    for: 2m
    every: 1m
mitigation: {improvised: 10m}
recovery: {after_mitigation: 10m}
"""
TEAM = """
team: web-team
timezone: UTC
members:
  - {id: alice, name: Alice Liddell, timezone: UTC, ack: {working: 1m, evening: 1m, asleep: 1m}}
  - {id: bob, name: Bob Cratchit, timezone: UTC, ack: {working: 1m, evening: 1m, asleep: 1m}}
  - {id: carol, name: Carol Danvers, timezone: UTC, ack: {working: 1m, evening: 1m, asleep: 1m}}
roles:
  incident-commander: [bob]
  leadership: [carol]
rotations:
  primary: {layers: [{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [alice]}]}
escalation:
  default: {levels: [{notify: rotation:primary, timeout: 30m}]}
paging:
  push: {delay: 0s, fails: 0}
severity:
  P1: {definition: major, page: always, also_page: [role:incident-commander], update_every: 30m}
  P0: {definition: critical, page: always, also_page: [role:incident-commander]}
"""
UPDATE = "The shop is down for everyone; we are restarting the web tier"
NOTE = "We could not find the <b>status page</b> login"
WELL = "Alice took the page and the lead at once"
BETTER = "# Write down who may post to the status page"
SCRIPT = [
    (0.0, {"action": "start"}),
    (PAGED + 240.0, {"action": "acknowledge", "by": "alice"}),  # the room acknowledges 4m after the page
    (460.0, {"action": "escalate", "to": "role:leadership", "by": "alice"}),
    (500.0, {"action": "severity", "level": "P0", "by": "alice"}),
    (600.0, {"action": "update", "phase": "investigating", "text": UPDATE, "by": "alice"}),
    (620.0, {"action": "note", "text": NOTE, "by": "bob"}),
    (680.0, {"action": "diagnosed", "by": "alice"}),
    (700.0, {"action": "mitigated", "by": "alice"}),
    (900.0, {"action": "end"}),
    (900.0, {"action": "hotwash", "kind": "strength", "text": WELL, "by": "bob"}),
    (900.0, {"action": "hotwash", "kind": "improvement", "text": BETTER, "by": "carol"}),
    (900.0, {"action": "finish"}),
]


def _load(text: str, model, name: str):
    return loads(dedent(text), model, name)


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    scenario: Scenario = _load(SCENARIO, Scenario, "scenario.yaml")
    team: Team = _load(TEAM, Team, "team.yaml")
    runbooks: list[Runbook] = []
    tt = Tabletop(scenario, team, runbooks, start=MONDAY, seed=3)
    tt.schedule([(t, parse_action(a)) for t, a in SCRIPT])
    tt.play_through()
    assert tt.phase == "finished"
    team_file = tmp_path_factory.mktemp("tabletop") / "team.yaml"
    team_file.write_text(dedent(TEAM), encoding="utf-8")
    inputs = Inputs(scenario, team, runbooks, team_file, None)
    drill = score_timelines([tt.timeline()], inputs, now=NOW)
    result = drill.result.recorded(hotwash=tt.hotwash())
    return result, scenario, team, drill.timeline


def _render(played, fmt: str) -> str:
    result, scenario, team, timeline = played
    return render_report(result, fmt, scenario=scenario, team=team, timeline=timeline, now=NOW)


def test_the_session_s_record_is_scored_as_the_room_acted(played):
    result = played[0]
    # Paged at 3m, acknowledged by the room at 7m.
    assert result.metrics["tta"].median == 240.0
    assert [(n.kind, n.text, n.by) for n in result.hotwash] == [("strength", WELL, "bob"), ("improvement", BETTER, "carol")]


def test_the_drafts_carry_the_room_s_words(played):
    pm = _render(played, "postmortem")
    assert f"| 1 | 12:10:00 | +10m | investigating | internal | once | {UPDATE} |" in pm
    assert "- +10m20s: We could not find the \\<b\\>status page\\</b\\> login _(Bob Cratchit)_" in pm
    assert "- \\# Write down who may post to the status page _(Carol Danvers)_" in pm
    assert f"- {WELL} _(Bob Cratchit)_" in pm
    for words in ("Severity declared P0 by Alice Liddell (was P1)", "Carol Danvers paged by hand (role leadership)",
                  "Drill ends (the facilitator ended the drill)", f"investigating — “{UPDATE}”"):
        assert words in pm, words
    aar = _render(played, "aar")
    hot = aar[aar.index("## Hot wash"):aar.index("### Observations")]
    assert [line for line in hot.splitlines() if line.startswith("- ")] == [
        f"- {WELL} _(Bob Cratchit)_", "- \\# Write down who may post to the status page _(Carol Danvers)_"]
