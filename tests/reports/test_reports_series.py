"""scoring.series: the per-run values behind the charts agree with the batch summary,
and the histogram and ECDF account for every run (missed runs included)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.series import RunSeries, distribution
from scoring.stats import quantile


def test_series_agree_with_the_result(batch_case):
    s = batch_case.series
    assert s.runs == batch_case.result.runs
    for name in s.metrics:
        m = batch_case.result.metrics[name]
        values = np.array(s.values[name])
        median = quantile(values, 0.5)
        assert (None if math.isinf(median) else round(median, 3)) == m.median
        assert int(np.isfinite(values).sum()) == m.reached


def test_distribution_counts_every_run():
    d = distribution("tta", [5.0, 5.0, 10.0, 60.0, math.inf, math.inf])
    assert d.runs == 6 and d.reached == 4 and d.missed == 2
    assert sum(d.counts) == 4 and len(d.edges) == len(d.counts) + 1
    assert d.steps_x == (5.0, 10.0, 60.0)  # one step per distinct value, at its last rank
    assert d.steps_y == pytest.approx((2 / 6, 3 / 6, 4 / 6))


def test_identical_values_make_one_bin():
    d = distribution("ttd", [150.0] * 10)
    assert d.counts == (10,) and d.steps_x == (150.0,) and d.steps_y == (1.0,)


def test_many_runs_are_thinned_but_keep_the_ends():
    rng = np.random.default_rng(1)
    values = list(rng.lognormal(5, 1, 10_000))
    d = distribution("ttr", values, max_steps=400, max_bins=40)
    assert len(d.steps_x) <= 400 and len(d.counts) <= 40
    assert d.steps_x[-1] == max(values) and d.steps_y[-1] == 1.0
    assert all(a < b for a, b in zip(d.steps_x, d.steps_x[1:]))


def test_no_run_reached_it():
    d = distribution("ttm", [math.inf, math.inf])
    assert d.reached == 0 and d.counts == () and d.steps_x == ()


def test_from_values_reads_none_as_missed():
    s = RunSeries.from_values({"ttd": [1.0, None]})
    assert s.values["ttd"] == [1.0, math.inf] and s.runs == 2
    with pytest.raises(ValueError):
        RunSeries(["no-such-metric"])
