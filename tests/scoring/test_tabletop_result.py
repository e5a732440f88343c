"""A tabletop's records on the drill result, and its prediction in words.

The hot wash travels as typed records through ``summary.json`` and back; the words
"the room acknowledged in 4m; the model predicts a median 2m (p90 9m)" are checked
against medians and p90s worked out by hand from the given simulated samples, with
the quantile scoring documents (the smallest observed value at or past the quantile:
for n runs sorted, the ceil(q·n)-th; a run that never got there sorts above every
value)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scoring import DrillResult, HotWashNote, compare_prediction, in_words
from scoring.result import ResultError
from scoring.stats import summarize

RULES = [{"rating": "P", "meaning": "performed without challenges", "rule": "every objective met"}]
NOTES = [{"kind": "strength", "text": "We paged the commander at once", "by": "dana", "t": 1500.0},
         {"kind": "improvement", "text": "Nobody owned the status page", "by": None, "t": 1512.5}]


def _result(runs: int, metrics: dict) -> DrillResult:
    doc = {"version": 1, "scenario": {"id": "api-down", "title": "API down", "kind": "outage", "severity": "P0"},
           "team": "t", "runs": runs, "require_share": 0.9, "verdict": "P", "worst_run": None, "objectives_missed": 0,
           "metrics": metrics, "objectives": [], "capabilities": {}, "ratings": {}, "rating_rules": RULES,
           "batch_rating_rule": "the rating the share achieved", "counts": {}, "findings": [], "action_items": []}
    return DrillResult.model_validate(doc)


def _stats(label: str, values: list[float | None]) -> dict:
    """A metric's figures as scoring summarises them (inf: a run that never got there)."""
    s = summarize(np.array([np.inf if v is None else v for v in values]))
    fin = lambda x: None if not np.isfinite(x) else float(x)  # noqa: E731
    return {"label": label, "median": fin(s.median), "median_ci": None, "p90": fin(s.p90), "p99": fin(s.p99),
            "min": fin(s.min), "max": fin(s.max), "reached": s.reached, "missed": s.missed}


def test_the_hot_wash_round_trips_through_summary_json():
    result = _result(1, {}).recorded(hotwash=NOTES, facilitator="helena")
    doc = json.loads(result.to_json())
    assert doc["hotwash"] == NOTES and doc["facilitator"] == "helena"
    back = DrillResult.from_json(result.to_json())
    assert back == result
    assert back.hotwash == (HotWashNote(kind="strength", text="We paged the commander at once", by="dana", t=1500.0),
                            HotWashNote(kind="improvement", text="Nobody owned the status page", by=None, t=1512.5))


def test_a_result_without_a_hot_wash_writes_none():
    doc = json.loads(_result(1, {}).to_json())
    assert "hotwash" not in doc and "facilitator" not in doc
    assert DrillResult.from_json(doc).hotwash == ()


@pytest.mark.parametrize("note", [{"kind": "praise", "text": "x", "by": None, "t": 1.0},
                                  {"kind": "strength", "text": "", "by": None, "t": 1.0},
                                  {"kind": "strength", "text": "x" * 2001, "by": None, "t": 1.0},
                                  {"kind": "strength", "text": "x", "by": None, "t": 1.0, "mood": "good"}])
def test_a_hot_wash_note_of_the_wrong_shape_is_refused(note):
    with pytest.raises(ResultError, match=r"drill result: hotwash\[0\]\."):
        _result(1, {}).recorded(hotwash=[note])
    doc = {**json.loads(_result(1, {}).to_json()), "hotwash": [note]}
    with pytest.raises(ResultError, match=r"summary document: hotwash\[0\]\."):
        DrillResult.from_json(doc)


#: Ten simulated runs' acknowledgement, sorted 30s 60s 90s 100s 120s 180s 210s 300s
#: 540s 600s. Median (q=0.5, ceil(5) = 5th): 120s; p90 (ceil(9) = 9th): 540s.
TTA = [600.0, 30.0, 60.0, 90.0, 540.0, 120.0, 100.0, 180.0, 210.0, 300.0]
#: Five runs' mitigation, two never: sorted 10m, 20m, 30m, never, never. Median
#: (ceil(2.5) = 3rd): 30m; p90 (ceil(4.5) = 5th): never.
TTM = [1800.0, None, 600.0, None, 1200.0]


def _prediction(mode: str, tta: float, ttm: float | None):
    predicted = _result(10, {"tta": _stats("time to acknowledge", TTA), "ttm": _stats("time to mitigate", TTM)})
    measured = _result(1, {"tta": _stats("time to acknowledge", [tta]), "ttm": _stats("time to mitigate", [ttm])})
    return compare_prediction(predicted, measured, samples={"tta": TTA, "ttm": TTM},
                              measured_values={"tta": tta, "ttm": float("inf") if ttm is None else ttm}, mode=mode)


def test_a_tabletop_s_prediction_says_what_the_room_did():
    p = _prediction("tabletop", 240.0, None)
    assert p.mode == "tabletop"
    tta, ttm = p.metrics
    assert in_words(tta, p.mode) == "the room acknowledged in 4m; the model predicts a median 2m (p90 9m)"
    assert in_words(ttm, p.mode) == "the room never mitigated; the model predicts a median 30m (p90 never)"


def test_detection_in_a_tabletop_is_not_the_room_s_to_claim():
    ttd = [60.0, 120.0, 180.0]  # sorted; median ceil(1.5) = 2nd: 2m; p90 ceil(2.7) = 3rd: 3m
    predicted = _result(3, {"ttd": _stats("time to detect", ttd)})
    for value, words in ((90.0, "the incident was detected in 1m30s"), (None, "the incident was never detected")):
        measured = _result(1, {"ttd": _stats("time to detect", [value])})
        p = compare_prediction(predicted, measured, samples={"ttd": ttd}, mode="tabletop",
                               measured_values={"ttd": float("inf") if value is None else value})
        assert in_words(p.metrics[0], "tabletop") == f"{words}; the model predicts a median 2m (p90 3m)"


def test_a_game_day_s_prediction_keeps_saying_what_it_measured():
    p = _prediction("live", 240.0, 900.0)
    assert p.mode == "live"
    tta, ttm = p.metrics
    assert in_words(tta, p.mode) == "the game day measured time to acknowledge 4m; the model predicts a median 2m (p90 9m)"
    assert in_words(ttm, p.mode) == "the game day measured time to mitigate 15m; the model predicts a median 30m (p90 never)"


def test_the_mode_is_kept_in_summary_json_and_an_older_prediction_reads_as_live():
    result = _result(1, {}).recorded(prediction=_prediction("tabletop", 240.0, None))
    assert DrillResult.from_json(result.to_json()).prediction.mode == "tabletop"
    doc = json.loads(_result(1, {}).recorded(prediction=_prediction("live", 240.0, None)).to_json())
    del doc["prediction"]["mode"]  # a game day's summary.json written before tabletops
    assert DrillResult.from_json(doc).prediction.mode == "live"
