"""Every built-in scenario against the example team and runbooks: runs, and makes sense."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from scenarios import builtin_scenarios, load_runbook, load_scenario, load_team, yaml_files
from scenarios.timeline import Timeline
from reports.explain import explain
from simulator import simulate_many

ROOT = Path(__file__).resolve().parents[2]
TEAM = ROOT / "examples" / "team.yaml"
RUNBOOKS = ROOT / "examples" / "runbooks"
SCENARIOS = builtin_scenarios()

pytestmark = pytest.mark.skipif(not (TEAM.exists() and SCENARIOS), reason="example team or scenario library not there yet")


@pytest.fixture(scope="module")
def example():
    runbooks = [load_runbook(p) for p in yaml_files(RUNBOOKS)] if RUNBOOKS.exists() else []
    return load_team(TEAM), runbooks


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_builtin_scenario_simulates_sensibly(path, example):
    tm, runbooks = example
    sc = load_scenario(path)
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    runs = list(simulate_many(sc, tm, runbooks, runs=25, seed=3, start=start, window=28 * 86400, horizon=14 * 86400))
    assert [tl.run for tl in runs] == list(range(25))
    acknowledged = resolved = pages = 0
    for tl in runs:
        times = [e.t for e in tl.events]
        assert times == sorted(times) and times[-1] <= 14 * 86400
        assert tl.events[0].kind == "drill_started" and tl.events[-1].kind == "drill_ended"
        assert tl.milestone("impact") is not None
        m = tl.milestones()
        if m["acknowledged"] is not None:
            assert m["detected"] is not None and m["paged"] <= m["acknowledged"]
            acknowledged += 1
        if m["resolved"] is not None:
            assert m["mitigated"] is not None and m["recovered"] is not None
            resolved += 1
        for e in tl.find("page_sent"):
            assert e.data["to"] in {member.id for member in tm.members}
            pages += 1
        assert Timeline.from_json_line(tl.to_json_line()) == tl
        assert explain(tl, tm)
    # the conditional checks above ran: some runs were paged and acknowledged, and
    # (but for the breaches, none of whose runs resolves within the horizon) resolved
    assert acknowledged and pages, (acknowledged, pages)
    assert resolved or sc.kind == "breach", resolved
    # a scenario meant to be detected is detected in most runs (given two weeks)
    if sc.detection_fallback is not None and sc.detection_fallback.after < 7 * 86400:
        assert sum(tl.milestone("detected") is not None for tl in runs) >= 20
