"""What the post-mortem and ``--explain`` say about monitoring that went blind and about
a backup that covered part of the data, worked out from the inputs by hand."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from drillbit.app import score_timelines
from drillbit.resolve import Inputs
from reports import render_report
from reports.explain import explain
from scenarios import Scenario, format_duration, loads
from simulator import Assumptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "simulator"))  # the simulator tests' team
from simkit import TWO_LEVEL_TEAM, run, team  # noqa: E402
from test_simulator_closed_form import DATA_LOSS  # noqa: E402

NOW = datetime(2026, 1, 10, 9, 0, tzinfo=timezone.utc)

BLIND = """
id: blind
title: The API fails while telemetry is down
kind: outage
severity: P1
services: [api, telemetry]
injects:
  - {at: 0s, fault: {kind: crash, service: api}}
  - {at: 0s, signal: {metric: api.error_rate, value: 0.9}}
  - {at: 10m5s, fault: {kind: dependency-down, service: telemetry}}
monitoring:
  - {alert: ApiErrors, signal: api.error_rate, above: 0.5, for: 1m, every: 30s, depends_on: [telemetry]}
"""

PARTIAL = DATA_LOSS.format(loss="0s", backups="  - {kind: snapshot, every: 24h, last_success: -6h, restore_time: 2h, covers: 0.6}")


def _drill(text: str, folder: Path):
    sc = loads(text, Scenario, "scenario.yaml")
    tm = team(TWO_LEVEL_TEAM)
    (folder / "team.yaml").write_text(TWO_LEVEL_TEAM, encoding="utf-8")
    tl = run(sc, tm, assumptions=Assumptions.instant())
    drill = score_timelines([tl], Inputs(sc, tm, [], folder / "team.yaml", None), now=NOW)
    return sc, tm, tl, render_report(drill.result, "postmortem", scenario=sc, team=tm, timeline=drill.timeline, now=NOW)


def test_explain_and_the_postmortem_tell_the_blind_stretch(tmp_path):
    sc, tm, tl, text = _drill(BLIND, tmp_path)
    lines = explain(tl, tm)
    # fires at tick 2 (1m); blind at 10m05s; stale at the first tick at or after it, 10m30s
    assert "12:01 +1m Alert ApiErrors fired (P1), routed to policy P1" in lines
    assert "12:10 +10m5s Alert ApiErrors is blind: it depends on telemetry, which is down" in lines
    assert "12:10 +10m30s Alert ApiErrors resolved for want of data: its monitoring is blind" in lines
    recovered = tl.milestone("recovered")
    back = [line for line in lines if "sees again" in line]
    assert back == [back[0]] and back[0].endswith(
        f"Alert ApiErrors sees again: it was blind for {format_duration(round(recovered - 605, 3))} while telemetry was down")
    assert "| Monitoring & paging | Alert ApiErrors is blind: it depends on telemetry, which is down |" in text


def test_the_postmortem_says_what_is_lost_for_good(tmp_path):
    sc, tm, tl, text = _drill(PARTIAL, tmp_path)
    # RPO: the snapshot's copy 6h before the loss, for the 60% it brings back; 40% in no backup
    assert "- Data lost (RPO): 6h" in text
    assert "- Data lost for good (in no working backup): 40%" in text
    assert "**The snapshot backup covers only 60% of the data**" in text
    assert "it holds 60% of the data, so 40% is lost for good" in text
