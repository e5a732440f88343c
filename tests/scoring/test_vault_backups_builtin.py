"""The built-in two-stage breach (password-vault-backups-stolen, modelled on LastPass's
2022 incidents) against the example team and the SEV-named team: its simulated medians
are within a factor of two of what LastPass's public notices say.

The public figures (see the scenario's ``reported.note``): the first intrusion's activity
lasted four days before the security team detected it (8 to 12 August 2022: ttd 4d);
the second ran from 12 August to 26 October, when the cloud provider's threat detection
flagged it (a dwell time of 75 days for the second stage); customers were first told of
it on 30 November, 35 days after that detection."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from scenarios.loader import builtin_scenarios, load_runbook, load_scenario, load_team
from scoring.metrics import measure
from simulator import horizon_for, simulate_many

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0
PUBLIC = {"ttd": 4 * DAY, "stage_dwell_cloud_backups": 75 * DAY, "notify_customers": 35 * DAY}
START = datetime(2026, 11, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def scenario():
    (path,) = [p for p in builtin_scenarios() if p.stem == "password-vault-backups-stolen"]
    return load_scenario(path)


def test_the_reported_figures_are_the_public_ones(scenario):
    assert scenario.reported.ttd == PUBLIC["ttd"]
    assert scenario.reported.notify_customers == PUBLIC["notify_customers"]
    assert [s.id for s in scenario.stages] == ["dev-environment", "cloud-backups"]
    assert scenario.stages[1].survives_containment


@pytest.mark.parametrize("team_file", ["examples/team.yaml", "tests/data/teams/sev-team.yaml"])
def test_simulated_medians_are_within_a_factor_of_two_of_the_public_figures(scenario, team_file):
    team = load_team(ROOT / team_file)
    runbooks = [load_runbook(p) for p in sorted((ROOT / "examples/runbooks").glob("*.yaml"))]
    tls = list(simulate_many(scenario, team, runbooks, runs=40, seed=14, start=START, window=4 * 7 * DAY,
                             horizon=horizon_for(scenario, runbooks)))
    values = [measure(tl, scenario, team).values for tl in tls]
    for metric, public in PUBLIC.items():
        got = [v[metric] for v in values if v.get(metric) is not None]
        median = float(np.median(np.array(got, dtype=float)))  # a run that never did it counts as never (inf)
        assert 0.5 <= median / public <= 2.0, (metric, median / DAY)
    for tl in tls:
        # customers are never told about the backups before that stage was detected
        found = next((e.t for e in tl.events if e.kind == "stage_detected" and e.data["stage"] == "cloud-backups"), None)
        told = next((e.t for e in tl.events if e.kind == "notified" and e.data["who"] == "customers"), None)
        assert told is None or (found is not None and told >= found)
        # the first stage's containment never stops the second
        assert any(e.kind == "stage_started" and e.data["stage"] == "cloud-backups" for e in tl.events)
