"""The prediction beside the measure: hand-made results whose percentiles, bands and
words are worked out by hand below (quantiles as scoring takes them: the smallest
observed value at or past the quantile, a run that never got there above every
value)."""

from __future__ import annotations

import json
import math

import pytest

from scoring import DrillResult, compare_prediction
from scoring.result import Prediction

RULES = [{"rating": "P", "meaning": "performed without challenges", "rule": "every objective met"}]


def _metric(label: str, value: float | None, runs: int = 1) -> dict:
    return {"label": label, "median": value, "median_ci": None, "p90": value, "p99": value, "min": value,
            "max": value, "reached": runs if value is not None else 0, "missed": 0 if value is not None else runs}


def _objective(key: str, metric: str, target: float, source: str, *, met: int = 0, runs: int = 1,
               status: str | None = None, value: float | None = None) -> dict:
    tail = {"rating": "P", "runs": runs, "text": "every run met it"}
    return {"key": key, "metric": metric, "label": f"{metric} within {target:g}s", "target": target, "source": source,
            "met": met, "runs": runs, "share": met / runs, "share_ci": [0.0, 1.0], "status": status, "value": value,
            "rating": "P", "runs_by_rating": {"P": runs, "S": 0, "M": 0, "U": 0}, "worst_run": tail}


def _result(runs: int, metrics: dict, objectives: list, seed: int | None = None) -> DrillResult:
    doc = {"version": 1, "scenario": {"id": "api-down", "title": "API down", "kind": "outage", "severity": "P0"},
           "team": "t", "runs": runs, "require_share": 0.9, "verdict": "P", "worst_run": None, "objectives_missed": 0,
           "metrics": metrics, "objectives": objectives, "capabilities": {}, "ratings": {}, "rating_rules": RULES,
           "batch_rating_rule": "the rating the share achieved", "counts": {}, "findings": [], "action_items": []}
    if seed is not None:
        doc["reproduce"] = {"seed": seed, "start": "2026-11-25T12:00:00+00:00", "window": None, "horizon": 3600.0,
                            "runs": runs, "command": f"drillbit simulate api-down --seed {seed}"}
    return DrillResult.model_validate(doc)


#: Five simulated runs: detection at 1m, 2m, 3m, 4m and once never.
TTD = [60.0, 120.0, 180.0, 240.0, None]
#: Ten simulated runs: acknowledgement at 100s, 200s, … 1000s.
TTA = [100.0 * i for i in range(1, 11)]
#: Recovery after 10m in every run.
TTR = [600.0] * 5 + [600.0] * 5


def _predicted() -> DrillResult:
    metrics = {"ttd": {**_metric("time to detect", 180.0, 5), "p90": None, "max": None, "reached": 4, "missed": 1},
               "tta": {**_metric("time to acknowledge", 500.0, 10), "p90": 900.0},
               "ttr": _metric("time to recover", 600.0, 10)}
    objectives = [_objective("detect", "ttd", 150.0, "scenario", met=2, runs=5),
                  _objective("acknowledge", "tta", 300.0, "scenario", met=3, runs=10),
                  _objective("severity.ack", "tta", 600.0, "severity P0", met=6, runs=10)]
    return _result(10, metrics, objectives, seed=7)


SAMPLES = {"ttd": TTD, "tta": TTA, "ttr": TTR}


def _measured(ttd: float | None, tta: float | None, ttr: float | None, *, ttd_status: str = "met") -> DrillResult:
    metrics = {"ttd": _metric("time to detect", ttd), "tta": _metric("time to acknowledge", tta),
               "ttr": _metric("time to recover", ttr)}
    objectives = [_objective("detect", "ttd", 150.0, "scenario", status=ttd_status, value=ttd)]
    return _result(1, metrics, objectives)


def _row(prediction: Prediction, metric: str):
    return next(m for m in prediction.metrics if m.metric == metric)


def test_a_measure_inside_the_band_is_as_predicted_with_its_percentile():
    p = compare_prediction(_predicted(), _measured(150.0, 500.0, 600.0), samples=SAMPLES)
    ttd = _row(p, "ttd")
    # 2 of 5 runs detected before 150s: the 40th percentile. p10 of five runs is the
    # first (60s); p90 the fifth, which never detected: "never" (None).
    assert (ttd.measured, ttd.status, ttd.percentile, ttd.word) == (150.0, "measured", 40.0, "as predicted")
    assert (ttd.p10, ttd.median, ttd.p90) == (60.0, 180.0, None)
    assert (ttd.objective, ttd.source, ttd.share_met) == (150.0, "scenario", 0.4)
    tta = _row(p, "tta")
    # 4 runs below 500s and one equal to it: (4 + 0.5) / 10.
    assert (tta.percentile, tta.word, tta.p10, tta.p90) == (45.0, "as predicted", 100.0, 900.0)
    # Every run took exactly 600s: the measure ties all ten, the 50th percentile.
    ttr = _row(p, "ttr")
    assert (ttr.percentile, ttr.word, ttr.objective, ttr.share_met) == (50.0, "as predicted", None, None)
    assert (p.runs, p.seed) == (10, 7)
    assert [m.metric for m in p.metrics] == ["ttd", "tta", "ttr"]


def test_the_scenarios_objective_comes_before_the_severity_policys():
    tta = _row(compare_prediction(_predicted(), _measured(150.0, 500.0, 600.0), samples=SAMPLES), "tta")
    assert (tta.objective, tta.source, tta.share_met) == (300.0, "scenario", 0.3)


@pytest.mark.parametrize(("tta", "percentile", "word"), [
    (50.0, 0.0, "better"),          # below p10 (100s): faster than every simulated run
    (100.0, 5.0, "as predicted"),   # exactly p10: the band is inclusive; 0.5 of 10 runs below
    (900.0, 85.0, "as predicted"),  # exactly p90: 8 below, 1 tie
    (950.0, 90.0, "worse"),         # above p90: 9 of 10 runs were faster
    (2000.0, 100.0, "worse"),
])
def test_better_and_worse_lie_outside_p10_to_p90(tta, percentile, word):
    row = _row(compare_prediction(_predicted(), _measured(150.0, tta, 600.0), samples=SAMPLES), "tta")
    assert (row.percentile, row.word) == (percentile, word)


def test_a_measure_that_never_came_is_missed_and_one_never_started_not_applicable():
    measured = _measured(None, math.inf, None, ttd_status="not reached")
    p = compare_prediction(_predicted(), measured, samples=SAMPLES)
    ttd, tta, ttr = (_row(p, m) for m in ("ttd", "tta", "ttr"))
    # The detection objective was not reached (impact never started): nothing to place.
    assert (ttd.status, ttd.measured, ttd.percentile, ttd.word) == ("not applicable", None, None, None)
    # No objective says why recovery has no value: read as never recovered.
    assert (ttr.status, ttr.percentile, ttr.word) == ("missed", None, "missed")
    assert (tta.status, tta.word) == ("missed", "missed")


def test_the_measured_runs_own_values_decide_missed_from_not_applicable():
    p = compare_prediction(_predicted(), _measured(150.0, None, None), samples=SAMPLES,
                           measured_values={"ttd": 150.0, "tta": None, "ttr": math.inf})
    assert _row(p, "tta").status == "not applicable"
    assert _row(p, "ttr").word == "missed"


def test_a_metric_the_game_day_does_not_have_is_not_applicable():
    measured = _measured(150.0, 500.0, 600.0)
    measured = measured.model_copy(update={"metrics": {k: v for k, v in measured.metrics.items() if k != "ttr"}})
    assert _row(compare_prediction(_predicted(), measured, samples=SAMPLES), "ttr").status == "not applicable"


def test_a_batch_is_not_a_measure_and_every_predicted_metric_needs_samples():
    with pytest.raises(ValueError, match="one run"):
        compare_prediction(_predicted(), _predicted(), samples=SAMPLES)
    with pytest.raises(ValueError, match="'tta'"):
        compare_prediction(_predicted(), _measured(1.0, 2.0, 3.0), samples={"ttd": TTD, "ttr": TTR})


def test_the_prediction_is_recorded_in_summary_json_version_1_and_read_back():
    measured = _measured(150.0, 950.0, None)
    plain = json.loads(measured.to_json())
    assert "prediction" not in plain and plain["version"] == 1
    result = measured.recorded(prediction=compare_prediction(_predicted(), measured, samples=SAMPLES))
    doc = json.loads(result.to_json())
    assert doc["version"] == 1
    assert doc["prediction"]["runs"] == 10 and doc["prediction"]["seed"] == 7
    tta = next(m for m in doc["prediction"]["metrics"] if m["metric"] == "tta")
    assert tta == {"metric": "tta", "label": "time to acknowledge", "objective": 300.0, "source": "scenario",
                   "share_met": 0.3, "median": 500.0, "p10": 100.0, "p90": 900.0, "measured": 950.0,
                   "status": "measured", "percentile": 90.0, "word": "worse"}
    assert DrillResult.from_json(result.to_json()) == result
    assert DrillResult.from_json(result.to_json()).to_json() == result.to_json()
