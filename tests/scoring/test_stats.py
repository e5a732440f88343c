import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from scoring.compare import compare
from scoring.stats import quantile, share_interval, summarize

INF = math.inf


def test_missed_runs_count_as_never_not_zero():
    s = summarize(np.array([60, 120, 180, INF, INF]))
    assert s.reached == 3 and s.missed == 2
    assert s.median == 180
    assert s.p90 == INF and s.max == INF
    assert s.mean_of_reached == 120


def test_median_is_never_when_most_runs_missed():
    assert summarize(np.array([60, INF, INF])).median == INF


def test_quantiles_are_observed_values():
    assert quantile(np.array([1.0, 2.0, 3.0, 4.0]), 0.5) == 2.0


def test_median_interval_covers_the_true_median_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    hits = sum(
        (ci := summarize(rng.lognormal(0.0, 1.0, 101)).median_ci).low <= 1.0 <= ci.high
        for _ in range(300)
    )
    # binomial(300, 0.95) stays above 0.90 with overwhelming probability
    assert hits / 300 >= 0.90


@pytest.mark.parametrize("n, missed", [(101, 0), (60, 25), (7, 0)])
def test_exact_median_interval_is_the_percentile_bootstrap(n, missed):
    from scipy import stats

    from scoring.stats import _quantile, median_interval

    rng = np.random.default_rng(n)
    v = np.append(rng.lognormal(6.0, 1.0, n), [INF] * missed)
    exact = median_interval(v)
    with np.errstate(invalid="ignore"):  # scipy's standard error of resamples holding inf
        boot = stats.bootstrap((v,), lambda x, axis: _quantile(x, 0.5, axis=axis), vectorized=True, n_resamples=20_000,
                               method="percentile", rng=rng).confidence_interval
    # both bounds are order statistics; 20,000 resamples land on the same ones
    assert (exact.low, exact.high) == (boot.low, boot.high)


def test_share_interval_is_honest_at_the_edges():
    ci = share_interval(20, 20)
    assert ci.high == 1.0 and 0.8 < ci.low < 0.85  # 20 of 20 does not prove 100 %
    assert share_interval(0, 20).low == 0.0


@given(st.integers(min_value=1, max_value=500), st.data())
def test_share_interval_contains_the_observed_share(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    ci = share_interval(k, n)
    assert ci.low <= k / n <= ci.high


def test_compare_calls_a_real_difference_and_admits_noise():
    rng = np.random.default_rng(1)
    before = rng.lognormal(np.log(600), 1.0, 400)
    assert compare(before, before * 0.6).verdict == "improved"
    assert compare(before, before * 1.5).verdict == "worse"
    same = compare(before, rng.lognormal(np.log(600), 1.0, 400))
    assert same.verdict == "not distinguishable from noise"
    assert "not distinguishable from noise at 400 vs 400 runs" in same.sentence("TTR")


def test_compare_with_too_few_runs_says_so():
    assert compare(np.array([1.0]), np.array([2.0, 3.0])).verdict == "not comparable"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=1, max_value=1e5), min_size=3, max_size=40))
def test_a_sample_is_never_different_from_itself(values):
    a = np.array(values)
    assert compare(a, a).verdict == "not distinguishable from noise"
