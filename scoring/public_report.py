"""The simulated runs beside what the public report of the real incident says.

A built-in scenario modelled on a public post-mortem carries ``reported:`` (the
durations the report gives, under the metrics' names). A model whose medians come
out far shorter than what really happened flatters every team it is run against, so
each batch sets its median (and p10–p90) beside the public figure, with the ratio
simulated / reported and a plain word for it: within a factor of two either way,
faster than half (the model flatters), or slower than double. A run that never
reached a metric counts as slower than any figure, as everywhere in scoring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from scenarios import Scenario

from .metrics import metric_label
from .result import BesideReport, ReportedMetric, ReportedWord
from .stats import quantile

#: The factor either way within which a simulated median counts as telling the truth.
FACTOR = 2.0
#: The metrics a ``reported:`` section may give, in report order.
REPORTED_METRICS = ("ttd", "tta", "ttm", "ttr", "contain", "rpo", "rto", "notify_customers", "notify_regulator")


def reported_figures(scenario: Scenario) -> dict[str, float]:
    """The scenario's public figures in seconds, by metric, in report order (empty
    without ``reported``)."""
    rep = scenario.reported
    if rep is None:
        return {}
    return {name: float(getattr(rep, name)) for name in REPORTED_METRICS if getattr(rep, name) is not None}


def word_for(ratio: float) -> ReportedWord:
    """Where ``ratio`` (simulated / reported) falls: ``within 2x`` from 1/2 to 2
    inclusive, else ``flatters: faster than half`` or ``slower than double``."""
    if ratio < 1.0 / FACTOR:
        return "flatters: faster than half"
    if ratio > FACTOR:
        return "slower than double"
    return "within 2x"


def beside_report(scenario: Scenario, samples: Mapping[str, Sequence[float] | np.ndarray], runs: int,
                  measured: Mapping[str, float | None] | None = None) -> BesideReport | None:
    """The scenario's ``reported`` figures beside the runs, or None when it has none.

    ``samples`` holds each metric's value in every run, in seconds (``inf``: the run
    never got there; ``BatchScore.samples``); a metric without samples did not apply
    to these runs and gets no median and no word. ``measured`` is one run's values
    (``RunMetrics.values``: None where the metric's start never happened) and is
    given for a single-run drill, whose row then shows that value."""
    figures = reported_figures(scenario)
    if not figures:
        return None
    rows = []
    for name, figure in figures.items():
        values = np.asarray(samples.get(name, ()), dtype=float)
        if values.size == 0:
            rows.append(ReportedMetric(metric=name, label=metric_label(name), reported=figure, median=None, p10=None,
                                       p90=None, measured=None, reached=0, ratio=None, word=None))
            continue
        median, p10, p90 = (quantile(values, q) for q in (0.5, 0.1, 0.9))
        value = None if measured is None else measured.get(name)
        rows.append(ReportedMetric(
            metric=name, label=metric_label(name), reported=figure,
            median=_finite(median), p10=_finite(p10), p90=_finite(p90),
            measured=_finite(value) if value is not None else None,
            reached=int(np.count_nonzero(np.isfinite(values))),
            ratio=_ratio(median, figure), word=_word(median, figure)))
    rep = scenario.reported
    assert rep is not None  # figures came from it
    return BesideReport(source=None if rep.source is None else str(rep.source), note=rep.note, runs=runs,
                        metrics=tuple(rows))


def _ratio(median: float, figure: float) -> float | None:
    if math.isinf(median) or figure <= 0:
        return None
    return round(median / figure, 3)


def _word(median: float, figure: float) -> ReportedWord:
    if math.isinf(median):
        return "slower than double"  # never is slower than any figure
    if figure <= 0:  # a report of nothing lost: only nothing lost matches it
        return "within 2x" if median <= 0 else "slower than double"
    return word_for(median / figure)


def _finite(x: float | None) -> float | None:
    return None if x is None or math.isinf(x) else round(x, 3)


def lede(report: BesideReport) -> str:
    """What the section shows, in one paragraph."""
    if report.runs == 1:
        return ("This scenario is modelled on a real incident. Its public report gives the durations below; each is "
                "set beside what this run measured, with the ratio measured / reported: within 2x either way the "
                "model told the truth, under half it flatters the team, over double it is slower than what really "
                "happened.")
    return (f"This scenario is modelled on a real incident. Its public report gives the durations below; each is "
            f"set beside the median (and p10–p90) of the {report.runs:,} simulated runs, with the ratio simulated / "
            "reported: within 2x either way the model told the truth, under half it flatters the team, over double "
            "it is slower than what really happened. A run that never got there counts as slower than any figure.")


def ratio_text(ratio: float | None) -> str:
    """``0.814`` -> ``0.81x``; None -> ``—``."""
    return "—" if ratio is None else f"{ratio:.2f}x"

