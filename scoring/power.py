"""How many drills or incidents does it take to see an improvement?

The Monte Carlo method of the report "Incident Metrics in SRE" (2021): split the
durations into two equal groups, shorten one group by the improvement, compare, and
repeat. Two answers come out of it: how often a *real* improvement still shows up as
a worse mean, and how often a rank test at the chosen level detects it. The analytic
approximation z = d / sqrt((2/N) sigma^2), with d the improvement in mean time and N
incidents per group, is reported beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

_N = NormalDist()


@dataclass(frozen=True)
class Power:
    """The outcome of shortening one group by ``improvement`` (0.1 = 10 %)."""

    improvement: float
    per_group: int
    trials: int
    looks_worse: float  # share of trials whose improved group had the larger mean
    looks_worse_analytic: float  # Phi(-z)
    z: float
    detected: float  # share of trials where a one-sided rank test rejected at alpha
    alpha: float


def analytic_z(mean: float, sd: float, improvement: float, per_group: int) -> float:
    """z = d / sqrt((2/N) sigma^2) with d = improvement x mean."""
    return improvement * mean / np.sqrt(2.0 / per_group * sd * sd)


def simulate_power(durations: np.ndarray, improvement: float, *, per_group: int | None = None,
                   trials: int = 2000, alpha: float = 0.05, seed: int = 0) -> Power:
    """Split-and-shorten trials over observed ``durations`` (seconds, all reached).

    Without ``per_group`` each trial splits the observations themselves into two
    halves (the report's method); with it, each trial draws ``2 x per_group`` of them
    with replacement, asking what a future sample of that size would show.
    Raises ValueError for fewer than 4 finite durations or an improvement outside (0, 1).
    """
    from scipy import stats  # here, not at the top: importing scipy.stats takes most of a second

    d = np.asarray(durations, dtype=float)
    d = d[np.isfinite(d)]
    if d.size < 4:
        raise ValueError(f"expected at least 4 observed durations, got {d.size}")
    if not 0 < improvement < 1:
        raise ValueError(f"expected an improvement between 0 and 1 (0.1 = 10%), got {improvement}")
    rng = np.random.default_rng(seed)
    n = per_group or d.size // 2
    worse = detected = 0
    for start in range(0, trials, 500):
        k = min(500, trials - start)
        if per_group is None:
            idx = np.argsort(rng.random((k, d.size)), axis=1)[:, : 2 * n]
        else:
            idx = rng.integers(0, d.size, size=(k, 2 * n))
        sample = d[idx]
        base, better = sample[:, :n], sample[:, n:] * (1 - improvement)
        worse += int(np.sum(better.mean(axis=1) > base.mean(axis=1)))
        p = stats.mannwhitneyu(better, base, alternative="less", axis=1).pvalue
        detected += int(np.sum(p < alpha))
    z = analytic_z(d.mean(), d.std(ddof=1), improvement, n)
    return Power(improvement, n, trials, worse / trials, _N.cdf(-z), float(z), detected / trials, alpha)


def runs_needed(durations: np.ndarray, improvement: float, *, power: float = 0.8, alpha: float = 0.05,
                trials: int = 1000, seed: int = 0, limit: int = 1_000_000) -> int | None:
    """The smallest number per group at which the rank test detects the improvement in
    at least ``power`` of trials; None if even ``limit`` per group is not enough."""
    def ok(n: int) -> bool:
        return simulate_power(durations, improvement, per_group=n, trials=trials, alpha=alpha, seed=seed).detected >= power

    low, high = 2, 4
    while not ok(high):
        low, high = high, high * 2
        if high > limit:
            return None
    while high - low > max(1, low // 50):  # within 2 %: the estimate is noisier than that
        mid = (low + high) // 2
        low, high = (low, mid) if ok(mid) else (mid, high)
    return high


def analytic_runs_needed(mean: float, sd: float, improvement: float, *, power: float = 0.8, alpha: float = 0.05) -> int:
    """Per-group size at which a one-sided z-test of means reaches ``power``."""
    z = _N.inv_cdf(1 - alpha) + _N.inv_cdf(power)
    return int(np.ceil(2 * sd * sd * z * z / (improvement * mean) ** 2))
