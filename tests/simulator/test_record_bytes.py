"""A simulated run's JSON line is what the standard library writes for its record, and
its Timeline holds the same events, for every built-in scenario: the engine shares the
data its runs write alike (``Plan.data``), and that sharing changes no byte."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scenarios import load_runbook, load_scenario, load_team, yaml_files
from simulator import Plan
from simulator.batch import run_generator
from simulator.engine import execute

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "scenarios" / "library").glob("*.yaml"))


@pytest.mark.parametrize("path", LIBRARY[::3], ids=lambda p: p.stem)
def test_each_line_is_json_dumps_of_the_record(path):
    team = load_team(ROOT / "examples" / "team.yaml")
    plan = Plan(load_scenario(path), team, [load_runbook(p) for p in yaml_files(ROOT / "examples" / "runbooks")])
    start = datetime(2026, 11, 6, 22, 30, tzinfo=timezone.utc)
    lines = []
    for i in range(3):
        r = execute(plan, start, run_generator(5, i), 30 * 86400.0)
        doc = {"schema": 1, "scenario": plan.scenario.id, "mode": "simulated", "seed": 5, "run": i,
               "started_at": start.isoformat(), "team": team.team,
               "events": [{"t": t, "kind": k, "actor": a, "subject": s, "data": d} for t, k, a, s, d in r.events]}
        line = r.json_line(i, 5)
        assert line == json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        tl = r.timeline(i, 5)
        assert [(e.t, e.kind, e.actor, e.subject, e.data) for e in tl.events] == [tuple(x) for x in r.events]
        assert tl.to_json_line() == line
        lines.append(line)
    assert len(set(lines)) == 3  # three different runs, each written from its own record
