"""explain(): a run as lines a person reads."""

from __future__ import annotations

from simkit import API_DOWN, TWO_LEVEL_TEAM, run, scenario, team
from simulator import Assumptions, explain

NEVER_ANSWERS = TWO_LEVEL_TEAM.replace("ack: {working: {mean: 5m}, evening: {mean: 5m}, asleep: {mean: 5m}}",
                                       "ack: {working: {fixed: 1m, miss: 1}, evening: {fixed: 1m, miss: 1}, asleep: {fixed: 1m, miss: 1}}")


def test_explain_says_who_was_paged_where_and_what_came_of_it():
    tm = team(NEVER_ANSWERS)
    tl = run(scenario(API_DOWN), tm, assumptions=Assumptions.instant())
    lines = explain(tl, tm)
    assert lines[0].startswith("12:00 +0s drill starts: api-down (P1 outage)")  # the team zone, UTC
    # alice's line is on Berlin's clock, bob's on UTC
    assert "13:00 +0s page level 1 to alice (working, Europe/Berlin) via push — no ack, escalated to bob" in lines
    assert "12:10 +10m page level 2 to bob (working, UTC) via push — acknowledged after 1m" in lines
    assert "12:11 +11m bob engaged as responder" in lines
    assert any("gap: no runbook matches" in line for line in lines)
    assert lines[-1].endswith("drill ends (resolved)")
    assert len(lines) < len(tl.events)  # acknowledgements and escalations fold into page lines


def test_explain_without_a_team_uses_the_start_zone():
    tl = run(scenario(API_DOWN), team(TWO_LEVEL_TEAM), assumptions=Assumptions.instant())
    assert explain(tl)[0].startswith("12:00 +0s drill starts")
