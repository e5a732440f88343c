"""Per-run series for charts: the values behind a distribution that :class:`BatchScore`
summarises but does not keep, and the figures a chart draws from them (histogram bins,
ECDF steps).

A :class:`RunSeries` holds the value of each charted metric per run, taken from the
samples :func:`scoring.score_many` keeps (:meth:`RunSeries.of_score`), so the runs
are read and measured once. Values are seconds; a run that never reached a metric
counts as missed (``inf``), as in the batch summary. Missed runs stay in every
denominator: an ECDF of a metric some runs never reached ends below 100%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np

from .definitions import WEIGHTED_DEFINITIONS
from .metrics import METRICS

if TYPE_CHECKING:
    from .batch import BatchScore

#: The headline metrics, charted whether or not an objective judges them.
SERIES_METRICS: tuple[str, ...] = ("ttd", "tta", "ttm", "ttr")
#: Most bins a histogram gets (Freedman-Diaconis picks fewer for small batches).
MAX_BINS = 40
#: Most steps an ECDF keeps; larger batches are thinned to evenly spaced ranks.
MAX_STEPS = 400


@dataclass(frozen=True)
class Distribution:
    """What a chart of one metric over runs draws. Seconds throughout.

    ``edges`` and ``counts`` are the histogram of the runs that reached the metric
    (``len(edges) == len(counts) + 1``); ``steps_x``/``steps_y`` are the ECDF over all
    runs (share of runs with a value at most x, so it ends at ``reached / runs``).
    """

    metric: str
    runs: int
    reached: int
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    steps_x: tuple[float, ...]
    steps_y: tuple[float, ...]

    @property
    def missed(self) -> int:
        return self.runs - self.reached


class RunSeries:
    """Per-run values of a few metrics, gathered while timelines stream past."""

    def __init__(self, metrics: Sequence[str] = SERIES_METRICS) -> None:
        # A breach names its notification metrics per party (notify_regulator, ...), an
        # incident in stages its stage metrics per stage (stage_dwell_vault, ...).
        # Partial impact adds its weighted figures (scoring.impact).
        unknown = [m for m in metrics if m not in METRICS and m not in WEIGHTED_DEFINITIONS
                   and not m.startswith(("notify_", "stage_dwell_", "stage_contain_"))]
        if unknown:
            raise ValueError(f"not a metric: {', '.join(unknown)}")
        self.metrics: tuple[str, ...] = tuple(metrics)
        self.values: dict[str, list[float]] = {m: [] for m in self.metrics}

    @classmethod
    def of_score(cls, batch: "BatchScore", metrics: Sequence[str] | None = None) -> "RunSeries":
        """Per-run values of ``metrics`` (default: every metric the batch measured, so
        a report can chart any metric an objective judges) of a scored batch."""
        names = tuple(batch.samples) if metrics is None else metrics
        return cls.from_values({m: batch.samples[m] for m in names if m in batch.samples})

    @classmethod
    def from_values(cls, values: Mapping[str, Iterable[float | None]]) -> "RunSeries":
        """A series from given values (None or inf: missed), for tests and imports."""
        s = cls(tuple(values))
        for m, vs in values.items():
            s.values[m] = [math.inf if v is None else float(v) for v in vs]
        return s

    @property
    def runs(self) -> int:
        return len(self.values[self.metrics[0]]) if self.metrics else 0

    def distribution(self, metric: str, *, max_bins: int = MAX_BINS, max_steps: int = MAX_STEPS) -> Distribution:
        """Histogram and ECDF of one metric. Raises KeyError for a metric not collected
        and ValueError when no run was observed."""
        return distribution(metric, self.values[metric], max_bins=max_bins, max_steps=max_steps)


def distribution(metric: str, values: Sequence[float], *, max_bins: int = MAX_BINS,
                 max_steps: int = MAX_STEPS) -> Distribution:
    """Histogram (Freedman-Diaconis bins, at most ``max_bins``) of the reached values
    and ECDF over all runs (``inf`` = missed), thinned to at most ``max_steps`` steps.
    Raises ValueError for no values."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValueError("no runs to chart")
    reached = np.sort(v[np.isfinite(v)])
    if reached.size:
        if reached[0] == reached[-1]:
            edges = np.histogram_bin_edges(reached, bins=1)
        else:
            edges = np.histogram_bin_edges(reached, bins="fd")
            if edges.size - 1 > max_bins:
                edges = np.histogram_bin_edges(reached, bins=max_bins)
        counts, edges = np.histogram(reached, bins=edges)
        n = reached.size
        idx = np.arange(n) if n <= max_steps else np.unique(np.linspace(0, n - 1, max_steps).round().astype(int))
        # At a run of equal values the step belongs to the last of them.
        last = np.searchsorted(reached, reached[idx], side="right") - 1
        idx = np.unique(last)
        xs, ys = reached[idx], (idx + 1) / v.size
    else:
        edges, counts, xs, ys = np.array([]), np.array([], dtype=int), np.array([]), np.array([])
    return Distribution(
        metric=metric, runs=int(v.size), reached=int(reached.size),
        edges=tuple(float(e) for e in edges), counts=tuple(int(c) for c in counts),
        steps_x=tuple(float(x) for x in xs), steps_y=tuple(round(float(y), 6) for y in ys),
    )
