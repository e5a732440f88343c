"""A run's score, kept apart from its timeline (what a worker hands back), adds up to
the same batch as scoring the timelines directly; its JSON form, and the JSON form of
what a fold has counted (what a drill keeps in scores.json.gz), lose nothing the batch
uses."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from scenarios.loader import load_runbook, load_scenario, load_team
from scoring import score_many
from scoring.batch import BatchFold
from scoring.run_score import RunScore, RunScorer
from simulator import simulate_many

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 6, 13, 0, tzinfo=timezone.utc)
BOOKS = sorted((ROOT / "examples" / "runbooks").glob("*.yaml"))


def _runs(name: str, runs: int = 40):
    sc = load_scenario(ROOT / "scenarios" / "library" / f"{name}.yaml")
    team = load_team(ROOT / "examples" / "team.yaml")
    books = [load_runbook(p) for p in BOOKS]
    return sc, team, list(simulate_many(sc, team, books, runs=runs, seed=15, start=START, window=7 * 86400.0))


# An outage, a staged breach whose monitoring goes blind, a breach whose containment
# causes an outage, and a data loss: between them every per-run fact is exercised.
@pytest.mark.parametrize("name", ["config-push-global-outage", "coordination-service-stall",
                                  "permissions-script-access-cut", "db-primary-data-deleted"])
def test_folding_kept_scores_read_back_from_json_gives_the_same_batch(name):
    sc, team, timelines = _runs(name)
    direct = score_many(timelines, sc, team)
    scorer = RunScorer(sc, team)
    fold = BatchFold(scorer)
    for i, tl in enumerate(timelines):
        line = scorer(tl).to_json()
        assert "\n" not in line
        fold.add(RunScore.from_json(line), scorer.card(tl) if i == 0 else None)
    again = fold.result()
    assert again.runs == len(timelines)
    _same_batch(again, direct)


def _same_batch(again, direct) -> None:
    assert again.runs == direct.runs
    assert again.metrics == direct.metrics and again.counts == direct.counts
    assert again.objectives == direct.objectives and again.ratings == direct.ratings
    assert again.verdicts == direct.verdicts
    assert again.evidence == direct.evidence
    for name in vars(direct.evidence):  # in the same order too: what the gap rules list follows it
        value = getattr(direct.evidence, name)
        if isinstance(value, dict):
            assert list(getattr(again.evidence, name).items()) == list(value.items()), name
    assert list(again.samples) == list(direct.samples)
    for name_, values in direct.samples.items():
        np.testing.assert_array_equal(again.samples[name_], values)


def _json(state: dict) -> str:
    """The state as JSON, each metric's and count's column of doubles a list with null for inf."""
    def listed(columns: dict) -> dict:
        return {k: [None if math.isinf(v) else v for v in col] for k, col in columns.items()}

    return json.dumps({**state, "values": listed(state["values"]), "counts": listed(state["counts"])}, allow_nan=False)


def test_a_fold_restored_from_its_json_state_gives_the_same_batch():
    exercised = set()
    for name in ("config-push-global-outage", "coordination-service-stall", "permissions-script-access-cut",
                 "db-primary-data-deleted", "password-vault-backups-stolen"):
        sc, team, timelines = _runs(name)
        direct = score_many(timelines, sc, team)
        scorer = RunScorer(sc, team)
        fold = BatchFold(scorer)
        for i, tl in enumerate(timelines):
            fold.add(scorer(tl), scorer.card(tl) if i == 0 else None)
        state = json.loads(_json(fold.state()))
        _same_batch(BatchFold.restore(scorer, state, scorer.card(timelines[0])).result(), direct)
        exercised |= {k for k, v in vars(direct.evidence).items() if v}
    # between them, each fact was there to lose
    assert {"collateral", "blind_runs", "stage_started", "late_ack_by_hour", "night_pages_by"} <= exercised, exercised


def test_a_fold_state_of_other_objectives_or_runs_is_refused():
    sc, team, timelines = _runs("config-push-global-outage", runs=3)
    scorer = RunScorer(sc, team)
    fold = BatchFold(scorer)
    for i, tl in enumerate(timelines):
        fold.add(scorer(tl), scorer.card(tl) if i == 0 else None)
    card = scorer.card(timelines[0])
    fold.evidence.worst_overrun = (125.5, "investigating", 1800.0)  # no built-in run overruns; the shape must survive
    assert BatchFold.restore(scorer, json.loads(_json(fold.state())), card).evidence == fold.evidence
    fewer = {**fold.state(), "met": fold.state()["met"][:-1]}
    with pytest.raises(ValueError, match="other objectives"):
        BatchFold.restore(scorer, fewer, card)
    state = fold.state()
    state["values"]["ttr"] = state["values"]["ttr"][:2]
    with pytest.raises(ValueError, match="another number of values"):
        BatchFold.restore(scorer, state, card)


def test_the_facts_the_gap_rules_cite_are_really_there():
    # Against what the timelines say by themselves, not against the scorer.
    sc, team, timelines = _runs("coordination-service-stall")
    scorer = RunScorer(sc, team)
    kept = [scorer(tl) for tl in timelines]
    for tl, run in zip(timelines, kept):
        assert {alert for alert, _ in run.blind} == {e.subject for e in tl.find("monitoring_blind")}
        assert {stage for stage, _ in run.stages} <= {s.id for s in sc.stages}
        assert run.started_at == tl.started_at
        assert run.nobody_acknowledged == (tl.first("page_sent") is not None and tl.first("acknowledged") is None)
    assert any(run.blind for run in kept), "the scenario's monitoring depends on the stalled service"


def test_a_missed_milestone_is_null_in_json_and_inf_in_the_batch():
    sc, team, timelines = _runs("config-push-global-outage", runs=3)
    scorer = RunScorer(sc, team)
    run = scorer(timelines[0])
    missed = RunScore(**{**run.__dict__, "values": {**run.values, "ttr": math.inf, "tta": None}})
    doc = json.loads(missed.to_json())
    assert doc["values"]["ttr"] is None and doc["values"]["tta"] is None
    fold = BatchFold(scorer)
    fold.add(RunScore.from_json(missed.to_json()), scorer.card(timelines[0]))
    batch = fold.result()
    assert math.isinf(batch.samples["ttr"][0]) and math.isinf(batch.samples["tta"][0])
    assert batch.metrics["ttr"].reached == 0


def test_the_first_run_needs_its_scorecard():
    sc, team, timelines = _runs("config-push-global-outage", runs=1)
    scorer = RunScorer(sc, team)
    with pytest.raises(ValueError, match="scorecard"):
        BatchFold(scorer).add(scorer(timelines[0]))
    with pytest.raises(ValueError, match="no runs"):
        BatchFold(scorer).result()
