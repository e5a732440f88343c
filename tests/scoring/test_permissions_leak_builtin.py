"""The built-in permissions-leak scenario (Salesforce's Pardot incident, May 2019):
its containment is an outage the scorecard counts, access comes back in its stages,
and the simulated medians are within a factor of two of the public figures the
scenario's ``reported`` section states (the expectation is the public figure)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from scenarios.loader import load_runbook, load_scenario, load_team
from scoring import find_gaps, measure, score_many
from simulator import simulate_many

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "library" / "permissions-script-access-cut.yaml"
START = datetime(2026, 11, 6, 13, 0, tzinfo=timezone.utc)  # a Friday afternoon in Berlin, as in May 2019
RUNS = 150


@pytest.fixture(scope="module", params=["examples/team.yaml", "tests/data/teams/sev-team.yaml"])
def drill(request):
    sc = load_scenario(SCENARIO)
    team = load_team(ROOT / request.param)
    books = [load_runbook(p) for p in sorted((ROOT / "examples" / "runbooks").glob("*.yaml"))]
    timelines = list(simulate_many(sc, team, books, runs=RUNS, seed=2019, start=START, workers=1))
    return sc, team, books, timelines, score_many(timelines, sc, team)


def test_it_says_where_it_comes_from(drill):
    sc = drill[0]
    assert sc.references and sc.reported is not None
    assert sc.reported.contain is not None and sc.reported.ttr is not None and sc.reported.note


@pytest.mark.parametrize("metric", ["contain", "ttr"])
def test_simulated_medians_are_within_a_factor_of_two_of_the_report(drill, metric):
    sc, _, _, _, batch = drill
    public = getattr(sc.reported, metric)
    median = float(np.median(batch.samples[metric]))
    assert 0.5 <= median / public <= 2.0, f"{metric}: simulated median {median:.0f}s vs public {public:.0f}s"


def test_the_containment_is_an_outage_the_scorecard_counts(drill):
    sc, team, books, timelines, batch = drill
    for tl in timelines:
        cut = tl.first("impact_started", caused_by="response")
        assert cut is not None and cut.data["action"] == "containment" and cut.data["impact"] == "outage"
        assert cut.t == tl.first("contained").t
        recovered = tl.first("recovered")
        if recovered is not None:
            # every org out from the cut; the stages bring back 60%, then 85%, then all:
            # the weighted outage lies between the share still out after stage 2 (15%)
            # times the whole cut and the whole cut itself
            stages = tl.find("impact_restored")
            assert [e.data["restored"] for e in stages] == [0.6, 0.85]  # recovered: both came first
            cut_s = recovered.t - cut.t
            assert 0.15 * cut_s <= _weighted(tl, sc) <= cut_s + 1e-6
    # a run that recovered has a finite weighted outage; one that did not, a missed one
    assert np.array_equal(np.isinf(batch.samples["weighted_outage"]), np.isinf(batch.samples["ttr"]))
    found = [f for f in find_gaps(sc, team, books, start=START, batch=batch) if f.rule == "collateral-impact"]
    assert len(found) == 1 and found[0].evidence.startswith("containment caused an outage of salesforce-orgs")


def _weighted(tl, sc):
    v = measure(tl, sc).values["weighted_outage"]
    assert not math.isinf(v)
    return v
