"""Is B better than A? Differences of medians with an interval, a rank test, and a
verdict in words that admits when the answer is noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .stats import CONFIDENCE, RESAMPLES, Interval, _quantile

Verdict = Literal["improved", "worse", "not distinguishable from noise", "not comparable"]


@dataclass(frozen=True)
class Comparison:
    """B against A for one metric (seconds; lower is better)."""

    runs_a: int
    runs_b: int
    median_a: float
    median_b: float
    difference: float  # median_b - median_a; negative means B is faster
    interval: Interval | None
    p_value: float | None  # two-sided Mann-Whitney U
    verdict: Verdict

    def sentence(self, metric: str) -> str:
        """The verdict in words, with the numbers behind it."""
        if self.verdict == "not comparable":
            return f"{metric}: not comparable (a side has too few runs that reached it)"
        if self.verdict == "not distinguishable from noise":
            return f"{metric}: not distinguishable from noise at {self.runs_a} vs {self.runs_b} runs (p = {self.p_value:.2f})"
        return f"{metric}: {self.verdict} (p = {self.p_value:.3g})"


def compare(a: np.ndarray, b: np.ndarray, *, alpha: float = 0.05, seed: int = 0,
            confidence: float = CONFIDENCE) -> Comparison:
    """Compare two samples of durations (``inf`` = not reached).

    A difference is called only when the rank test rejects at ``alpha`` *and* the
    bootstrap interval for the difference of medians excludes zero.
    """
    from scipy import stats  # here, not at the top: importing scipy.stats takes most of a second

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    med_a, med_b = float(_quantile(a, 0.5)), float(_quantile(b, 0.5)) if b.size else float("nan")
    if a.size < 2 or b.size < 2:
        return Comparison(a.size, b.size, med_a, med_b, med_b - med_a, None, None, "not comparable")
    # Missed runs rank last, which is what they are: slower than every reached one.
    p = float(stats.mannwhitneyu(np.nan_to_num(a, posinf=np.finfo(float).max),
                                 np.nan_to_num(b, posinf=np.finfo(float).max),
                                 alternative="two-sided").pvalue)
    interval = _difference_interval(a, b, seed=seed, confidence=confidence)
    diff = med_b - med_a if np.isfinite(med_a) or np.isfinite(med_b) else 0.0
    excludes_zero = interval is not None and (interval.low > 0 or interval.high < 0)
    if p < alpha and excludes_zero:
        verdict: Verdict = "improved" if diff < 0 else "worse"
    else:
        verdict = "not distinguishable from noise"
    return Comparison(a.size, b.size, med_a, med_b, diff, interval, p, verdict)


def _difference_interval(a: np.ndarray, b: np.ndarray, *, seed: int, confidence: float) -> Interval | None:
    from scipy import stats

    def stat(x, y, axis):
        with np.errstate(invalid="ignore"):
            return _quantile(y, 0.5, axis=axis) - _quantile(x, 0.5, axis=axis)

    with np.errstate(invalid="ignore"):
        res = stats.bootstrap((a, b), stat, vectorized=True, n_resamples=RESAMPLES, method="percentile",
                              batch=max(1, min(RESAMPLES, 4_000_000 // max(a.size + b.size, 1))),
                              confidence_level=confidence, rng=np.random.default_rng(seed))
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if np.isnan(low) or np.isnan(high):
        return None
    return Interval(low, high, confidence)
