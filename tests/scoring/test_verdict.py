"""A batch is rated by what the required share of runs achieved; the worst run is a tail
beside it. Batches are built by hand so every expected rating follows from the rule
(README, "Capability ratings") by hand."""

from __future__ import annotations

from datetime import date

import pytest

from scoring import score, score_many, summarise
from scoring.objectives import Objective, Outcome
from scoring.ratings import rate_outcome, share_rating
from scoring.result import WorstRun

from scoring_timelines import ev, full_run, scenario, team, timeline

TODAY = date(2026, 12, 1)


def never_recovered():
    """full_run without recovery (and so without resolution): TTR is never."""
    return timeline(*(e for e in full_run().events if e.kind not in ("recovered", "resolved")))


def acked_at(t: float):
    """full_run with the page (sent at 130s) acknowledged at ``t``."""
    return timeline(*(e if e.kind != "acknowledged" else ev(t, "acknowledged", "ana", "ana", by="ana", page=1, purpose="incident")
                      for e in full_run().events))


def result_of(timelines, require_share=0.9):
    sc, tm = scenario(), team()
    return summarise(score_many(timelines, sc, tm), sc, tm.team, [], TODAY, require_share)


def objective(result, key):
    return next(o for o in result.objectives if o.key == key)


@pytest.fixture(scope="module")
def one_in_a_thousand():
    """999 runs that recover in 1h (target 2h) and one that never recovers."""
    return result_of([full_run()] * 999 + [never_recovered()])


def test_one_run_that_never_recovered_does_not_decide_the_verdict(one_in_a_thousand):
    result = one_in_a_thousand
    # 999 of 1,000 runs (99.9% >= 90%) met every objective: P. The one run rated U is the tail.
    assert result.verdict == "P"
    assert result.worst_run == WorstRun(rating="U", runs=1, text="1 of 1,000 runs never recovered")
    recover = objective(result, "recover")
    assert recover.rating == "P" and recover.runs_by_rating == {"P": 999, "S": 0, "M": 0, "U": 1}
    assert recover.worst_run.text == "1 of 1,000 runs never recovered"
    assert result.capabilities["recovery"].rating == "P"
    assert result.capabilities["recovery"].worst_run.rating == "U"
    assert result.ratings["recovery"] == {"P": 999, "S": 0, "M": 0, "U": 1}  # runs by their own rating, unchanged
    assert result.objectives_missed == 0


@pytest.mark.parametrize("require_share, rating", [
    # 70 runs acknowledged at 5m (met: P), 15 at 7m (1.4x: S), 15 at 15m (3x: M).
    (0.9, "M"),   # P 70% and P-or-S 85% are below 90%; P-or-S-or-M is 100%: M
    (0.85, "S"),  # P-or-S is exactly 85%: the boundary counts as achieved, S
    (0.86, "M"),  # one percent more and it is not
    (0.7, "P"),   # exactly 70% met: P
])
def test_an_objective_is_rated_at_the_required_share_of_runs(require_share, rating):
    runs = [acked_at(130 + 300)] * 70 + [acked_at(130 + 420)] * 15 + [acked_at(130 + 900)] * 15
    result = result_of(runs, require_share)
    ack = objective(result, "acknowledge")
    assert ack.runs_by_rating == {"P": 70, "S": 15, "M": 15, "U": 0}
    assert ack.rating == rating
    assert result.capabilities["mobilisation"].rating == rating
    # Every other objective was met in every run, so mobilisation decides the drill.
    assert result.verdict == rating
    assert result.worst_run == WorstRun(rating="M", runs=15, text=(
        "15 of 100 runs missed time to acknowledge within 5m by more than 1.5x (over 7m30s)"))
    assert ack.worst_run.text == "15 of 100 runs took over 1.5x the target (over 7m30s)"
    # An objective counts as missed exactly when it is not rated P.
    assert (result.objectives_missed == 0) == (rating == "P")


def test_a_capability_takes_its_worst_objective_and_the_drill_its_worst_capability():
    # 10 runs: 9 met everything; 1 acknowledged at 3x and never recovered.
    worst = timeline(*(e for e in acked_at(130 + 900).events if e.kind not in ("recovered", "resolved")))
    result = result_of([full_run()] * 9 + [worst])
    # 9 of 10 = 90% met each objective: every rating P, and so the verdict.
    assert {c.rating for c in result.capabilities.values()} == {"P"} and result.verdict == "P"
    assert result.capabilities["mobilisation"].worst_run.rating == "M"
    assert result.worst_run == WorstRun(rating="U", runs=1, text="1 of 10 runs never recovered")
    # One run fewer met: 8 of 10 is below 90%, and the 10% at 3x make acknowledgement M.
    result = result_of([full_run()] * 8 + [acked_at(130 + 900), worst])
    assert objective(result, "acknowledge").rating == "M" and objective(result, "recover").rating == "P"
    assert result.capabilities["mobilisation"].rating == "M" and result.verdict == "M"
    assert result.worst_run.rating == "U"


def test_a_tail_names_each_reason_when_runs_fail_in_different_ways():
    result = result_of([full_run()] * 97 + [never_recovered()] * 2 + [acked_at(130 + 900)])
    # The overall worst is U (2 runs); acknowledgement at 3x is M, not part of that tail.
    assert result.worst_run == WorstRun(rating="U", runs=2, text="2 of 100 runs never recovered")
    tail = result.capabilities["mobilisation"].worst_run
    assert tail.rating == "M" and tail.runs == 1


def test_one_run_is_rated_by_itself_at_any_required_share():
    result = result_of([never_recovered()], require_share=0.5)
    assert result.verdict == "U" and objective(result, "recover").rating == "U"
    assert result.worst_run.text == "the run never recovered"


def test_a_metric_that_could_not_start_is_told_apart_from_one_that_never_ended():
    never_detected = timeline(ev(0, "impact_started", "api", fault="crash", service="api", impact="outage"),
                              ev(600, "drill_ended", "api-down", reason="horizon"))
    result = result_of([full_run()] * 3 + [never_detected])
    ack = objective(result, "acknowledge")
    assert ack.worst_run.text == "1 of 4 runs never paged anyone, so time to acknowledge could not start"
    assert objective(result, "detect").worst_run.text == "1 of 4 runs never detected the incident"


@pytest.mark.parametrize("by, share, expected", [
    ({"P": 999, "U": 1}, 0.9, "P"),
    ({"P": 9, "U": 1}, 0.9, "P"),           # exactly 90%
    ({"P": 8, "S": 1, "U": 1}, 0.9, "S"),   # P 80%, P-or-S 90%
    ({"P": 8, "U": 2}, 0.9, "U"),           # P 80%, and the next rating any run got is U
    ({"P": 1, "U": 9}, 1.0, "U"),           # every run required: the worst run decides
    ({"P": 55, "S": 45}, 0.55, "P"),        # 0.55 * 100 is 55.00000000000001 in floating point; 55/100 is 0.55
    ({}, 0.9, None),
])
def test_share_rating_is_the_rating_at_the_required_share_quantile(by, share, expected):
    assert share_rating(by, share) == expected


def test_a_missed_zero_target_whose_milestone_happened_is_major_not_unable():
    zero = Objective("detect", "ttd", 0.0, "scenario")
    assert rate_outcome(Outcome(zero, 5.0, "missed")) == "M"
    assert rate_outcome(Outcome(zero, float("inf"), "missed")) == "U"
    assert rate_outcome(Outcome(zero, 0.0, "met")) == "P"


def test_a_single_scorecard_agrees_with_the_result_of_one_run():
    card = score(never_recovered(), scenario(), team())
    result = result_of([never_recovered()])
    assert result.verdict == card.verdict == "U"
    assert {c: v.rating for c, v in result.capabilities.items()} == {r.capability: r.rating for r in card.ratings}
