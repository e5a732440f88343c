"""The simulation's prediction beside a game day's or a tabletop's measure, per metric.

A game day or a tabletop runs once; the simulation of the same scenario runs many times. Where the
one measured value falls among the simulated runs says whether the model of the team
(its rotation, paging, runbooks and habits) described what happened: inside the
simulated runs' p10–p90 it went "as predicted", below p10 "better" (every metric is a
duration or a span of data: lower is better), above p90 "worse", and a milestone that
never happened is "missed". A simulated run that never reached a metric counts as
slower than any measure, as everywhere in scoring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from scenarios import format_duration

from .result import DrillResult, MeasuredIn, MetricPrediction, ObjectiveResult, Prediction, PredictionWord
from .definitions import NOTIFY_PREFIX
from .stats import quantile

#: The predicted band a measure must fall in to count as predicted.
BAND = (0.1, 0.9)


def compare_prediction(predicted: DrillResult, measured: DrillResult, *,
                       samples: Mapping[str, Sequence[float | None]],
                       measured_values: Mapping[str, float | None] | None = None,
                       mode: MeasuredIn = "live") -> Prediction:
    """Each metric of ``predicted`` (a simulated batch) beside ``measured`` (one run).

    ``samples`` holds each metric's value in every simulated run, in seconds (None:
    the run never got there; ``Drill.samples``). ``measured_values`` are the measured
    run's values as :func:`scoring.measure` gives them (``inf``: its end never
    happened; None: its start never happened); without them they are read from
    ``measured`` (an objective's ``not reached`` is not applicable, a missing median
    missed). ``mode`` is the measured drill's (``live``, or ``tabletop``: the reports
    then say "the room acknowledged in 4m"). Raises ValueError for a measured result
    of more than one run, or a metric of ``predicted`` without samples."""
    if measured.runs != 1:
        raise ValueError(f"a measure is one run, got a result of {measured.runs} runs")
    values = dict(measured_values) if measured_values is not None else _values_of(measured)
    rows = []
    for name, stats in predicted.metrics.items():
        if name not in samples:
            raise ValueError(f"no simulated samples of metric {name!r}")
        runs = np.array([math.inf if v is None else float(v) for v in samples[name]], dtype=float)
        if runs.size == 0:
            raise ValueError(f"no simulated runs of metric {name!r}")
        objective = next((o for o in predicted.objectives if o.metric == name), None)
        value = values.get(name)
        p10, p90 = quantile(runs, BAND[0]), quantile(runs, BAND[1])
        status, percentile, word = _place(value, runs, p10, p90)
        rows.append(MetricPrediction(
            metric=name, label=stats.label,
            objective=objective.target if objective else None, source=objective.source if objective else None,
            share_met=objective.share if objective else None,
            median=stats.median, p10=_finite(p10), p90=_finite(p90),
            measured=_finite(value) if value is not None else None, status=status, percentile=percentile, word=word))
    seed = predicted.reproduce.seed if predicted.reproduce is not None else None
    return Prediction(runs=predicted.runs, seed=seed, metrics=tuple(rows), mode=mode)


def _place(value: float | None, runs: np.ndarray, p10: float,
           p90: float) -> tuple[str, float | None, PredictionWord | None]:
    """The measure's status, its percentile among the runs and the word for it."""
    if value is None:
        return "not applicable", None, None
    if math.isinf(value):
        return "missed", None, "missed"
    below = int(np.count_nonzero(runs < value))
    ties = int(np.count_nonzero(runs == value))
    percentile = round(100.0 * (below + 0.5 * ties) / runs.size, 1)
    word: PredictionWord = "better" if value < p10 else "worse" if value > p90 else "as predicted"
    return "measured", percentile, word


def _finite(x: float | None) -> float | None:
    return None if x is None or math.isinf(x) else round(x, 3)


def _values_of(measured: DrillResult) -> dict[str, float | None]:
    """A one-run result's metric values: an objective that was not reached is not
    applicable, a value that never came is missed."""
    by_metric: dict[str, ObjectiveResult] = {}
    for o in measured.objectives:
        by_metric.setdefault(o.metric, o)
    out: dict[str, float | None] = {}
    for name, m in measured.metrics.items():
        o = by_metric.get(name)
        if o is not None and o.status == "not reached":
            out[name] = None
        else:
            out[name] = math.inf if m.median is None else m.median
    return out


#: What the room did, for the metrics whose end is an act of the people in a tabletop
#: ("the room acknowledged in 4m"); notifications are told by their party. Detection is
#: monitoring's (or a signal's) in a tabletop too, so it is not the room's to claim.
ROOM_VERBS = {"tta": "acknowledged", "engage": "engaged", "ttm": "mitigated", "ttr": "recovered",
              "first_update": "posted the first update", "contain": "contained the breach", "rto": "restored the data"}
#: Who measured, by the measured drill's mode.
SUBJECTS = {"live": "the game day", "tabletop": "the room"}


def in_words(row: MetricPrediction, mode: MeasuredIn = "live") -> str | None:
    """One metric's measure beside its prediction, as a sentence without its capital:
    for a tabletop ``the room acknowledged in 4m; the model predicts a median 2m (p90
    9m)``, for a game day ``the game day measured time to acknowledge 4m; …``. The
    median and p90 are the row's (over the simulated runs; "never" where they fall
    among runs that never got there). None for a metric that does not apply."""
    if row.status == "not applicable":
        return None
    subject = SUBJECTS[mode]
    took = None if row.measured is None else format_duration(row.measured)
    if mode == "tabletop" and row.metric == "ttd":
        did = f"the incident was detected in {took}" if row.status == "measured" else "the incident was never detected"
    elif mode == "tabletop":
        verb = ROOM_VERBS.get(row.metric)
        if verb is None and row.metric.startswith(NOTIFY_PREFIX):
            verb = "notified " + row.metric[len(NOTIFY_PREFIX):].replace("_", " ")
        if verb is not None:
            did = f"{subject} {verb} in {took}" if row.status == "measured" else f"{subject} never {verb}"
        else:
            did = f"{subject}'s {row.label} was {took}" if row.status == "measured" else f"{subject}'s {row.label} never ended"
    else:
        did = f"{subject} measured {row.label} {took}" if row.status == "measured" else f"{subject} measured {row.label}: missed"
    median = "never" if row.median is None else format_duration(row.median)
    p90 = "never" if row.p90 is None else format_duration(row.p90)
    return f"{did}; the model predicts a median {median} (p90 {p90})"
