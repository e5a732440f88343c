import math
from bisect import bisect_left

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


def test_the_binomial_tail_the_median_interval_uses_is_the_hand_computed_one():
    # P(X >= k) for X ~ binomial(n, p), against the sum of the terms by hand, and
    # against scipy's bdtrc (P(X > k - 1)) where n is too large for that: what
    # median_interval computed before it did without importing scipy
    from scipy.special import bdtrc

    from scoring.stats import binomial_at_least

    for n in range(1, 30):
        for k in range(1, n + 1):
            at_least = binomial_at_least(n, k)
            for p in (0.0, 0.02, 0.3, 0.5, 0.77, 0.999, 1.0):
                hand = sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j) for j in range(k, n + 1))
                assert at_least(p) == pytest.approx(hand, abs=1e-13)
    rng = np.random.default_rng(3)
    for n in [*rng.integers(2, 20_000, 200), 1_000_000]:
        n = int(n)
        for k in (1, int(rng.integers(1, n + 1)), math.ceil(n / 2), n):
            at_least = binomial_at_least(n, k)
            for p in [*rng.random(16), k / n, (k - 0.5) / n, 1e-9, 1 - 1e-9]:
                # the log n-choose-i loses digits as n grows: 4e-11 at 10,000, 5e-9 at a million
                assert at_least(float(p)) == pytest.approx(bdtrc(k - 1, n, p), rel=1e-14 * n, abs=1e-12), (n, k, p)


def test_the_binomial_tail_refuses_a_k_outside_the_draws():
    from scoring.stats import binomial_at_least

    for n, k in ((5, 0), (5, 6), (0, 0)):
        with pytest.raises(ValueError):
            binomial_at_least(n, k)


@pytest.mark.parametrize("n", [2, 3, 101, 1000, 10_000, 100_001])
def test_median_interval_is_the_one_scipys_binomial_tail_gives(n):
    # the interval as it was computed with scipy.special.bdtrc, an independent tail
    from scipy.special import bdtrc

    from scoring.stats import median_interval

    rng = np.random.default_rng(n)
    for trial in range(3):
        v = np.round(rng.lognormal(6.0, 1.0, n), trial)  # ties at 0 decimals, fewer at 1 and 2
        v[rng.random(n) < 0.1 * trial] = INF
        order = np.sort(v)
        at_most = np.searchsorted(order, order, side="right")
        k = math.ceil(n / 2)
        cdf = lambda j: bdtrc(k - 1, n, at_most[j] / n)  # noqa: E731
        low = order[min(bisect_left(range(n), 0.025, key=cdf), n - 1)]
        high = order[min(bisect_left(range(n), 0.975, key=cdf), n - 1)]
        ci = median_interval(v)
        assert (ci.low, ci.high) == (low, high)


@pytest.mark.parametrize("n, missed, ties", [(2, 0, False), (5, 1, False), (9, 0, True), (14, 6, True), (23, 0, False)])
def test_median_interval_is_the_binomial_tail_summed_by_hand(n, missed, ties):
    from scoring.stats import median_interval

    rng = np.random.default_rng(n)
    v = rng.lognormal(6.0, 1.0, n)
    v = np.append(np.round(v / 200) * 200 if ties else v, [INF] * missed)
    size, k = v.size, math.ceil(v.size / 2)
    order = np.sort(v)

    def at_or_below(j):  # P(a resample's median <= order[j]): at least k of its draws are
        p = np.count_nonzero(v <= order[j]) / size
        return sum(math.comb(size, i) * p ** i * (1 - p) ** (size - i) for i in range(k, size + 1))

    low = next(order[j] for j in range(size) if at_or_below(j) >= 0.025 - 1e-12)
    high = next(order[j] for j in range(size) if at_or_below(j) >= 0.975 - 1e-12)
    ci = median_interval(v)
    assert (ci.low, ci.high) == (low, high)


def test_summarising_a_batch_leaves_scipy_unloaded():
    # scoring a batch computes median intervals only; scipy.stats takes most of a
    # second to import and scipy.special a quarter: they are for the commands that
    # test hypotheses
    import subprocess
    import sys

    probe = ("import numpy as np, sys\nfrom scoring.stats import summarize\n"
             "summarize(np.array([1.0, 2.0, 3.0, float('inf')]))\n"
             "print('scipy.special' in sys.modules, 'scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


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
