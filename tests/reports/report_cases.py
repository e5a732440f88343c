"""Drills the report tests render (the fixtures are in conftest.py): built-in scenarios
against the example team, with a fixed seed, fixed start instants and a fixed clock, so
every report is reproducible."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from examples import EXAMPLES
from reports import render_report
from scenarios import Runbook, Scenario, Team, find_builtin, load_runbook, load_scenario, load_team, yaml_files
from scenarios.timeline import Timeline
from drillbit.app import score_timelines
from drillbit.resolve import Inputs
from scoring.result import DrillResult
from scoring.series import RunSeries
from simulator import simulate_many

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden"
#: The fixed clock: the reports' generation time and the action items' start date.
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
TODAY = date(2026, 12, 1)
REQUIRE_SHARE = 0.9


@dataclass
class Case:
    """A scored drill, ready to render."""

    name: str
    result: DrillResult
    scenario: Scenario
    team: Team
    runbooks: list[Runbook]
    timeline: Timeline
    series: RunSeries
    timelines: list[Timeline]  # every run, for expectations computed from the events

    def render(self, fmt: str, **overrides: Any) -> str:
        kw = dict(scenario=self.scenario, team=self.team, timeline=self.timeline, series=self.series, now=NOW,
                  require_share=REQUIRE_SHARE)
        kw.update(overrides)
        return render_report(self.result, fmt, **kw)


def make_case(name: str, scenario_id: str, *, runs: int, seed: int, start: str, window: float | None = None) -> Case:
    builtin = find_builtin(scenario_id)
    assert builtin is not None, scenario_id
    scenario = load_scenario(builtin)
    team = load_team(EXAMPLES / "team.yaml")
    books = yaml_files(EXAMPLES / "runbooks")
    runbooks = [load_runbook(f) for f in books]
    timelines = list(simulate_many(scenario, team, runbooks, runs=runs, seed=seed,
                                   start=datetime.fromisoformat(start), window=window))
    inputs = Inputs(scenario, team, runbooks, EXAMPLES / "team.yaml", None, builtin, EXAMPLES / "runbooks", tuple(books))
    drill = score_timelines(timelines, inputs, now=NOW, require_share=REQUIRE_SHARE)
    return Case(name, drill.result, scenario, team, runbooks, drill.timeline, RunSeries.of_score(drill.batch), timelines)
