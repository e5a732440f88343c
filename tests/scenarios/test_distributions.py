import math

import numpy as np
import pytest

from scenarios import Dist, InputError, loads
from scenarios.runbook import Runbook

N = 40_000


def d(value) -> Dist:
    return Dist.model_validate(value, context={"from_file": True})


@pytest.mark.parametrize("value, shape", [
    ("2m", "fixed"), ({"min": "1m", "max": "3m"}, "uniform"), ({"min": "1m", "mode": "2m", "max": "5m"}, "triangular"),
    ({"median": "4m", "p90": "12m"}, "lognormal"), ({"mean": "5m"}, "exponential"),
])
def test_each_way_of_estimating_is_understood(value, shape):
    assert d(value).shape == shape


@pytest.mark.parametrize("value", [
    "2m", {"min": "1m", "max": "3m"}, {"min": "1m", "mode": "2m", "max": "5m"},
    {"median": "4m", "p90": "12m"}, {"mean": "5m"},
])
def test_samples_match_the_stated_quantiles_and_mean(value):
    dist = d(value)
    rng = np.random.default_rng(12345)
    draws = np.array([dist.sample(rng) for _ in range(N)])
    for q in (0.5, 0.9):
        # the sample quantile's standard error is far below 3% of the value at this N
        assert np.quantile(draws, q) == pytest.approx(dist.quantile(q), rel=0.03)
    assert draws.mean() == pytest.approx(dist.expected(), rel=0.03)


def test_lognormal_is_fixed_by_median_and_p90():
    dist = d({"median": "4m", "p90": "12m"})
    assert dist.quantile(0.5) == pytest.approx(240)
    assert dist.quantile(0.9) == pytest.approx(720)


def test_exponential_quantile_is_closed_form():
    assert d({"mean": "10m"}).quantile(0.5) == pytest.approx(600 * math.log(2))


@pytest.mark.parametrize("value, message", [
    ({"median": "4m"}, "got {median}"),
    ({"median": "12m", "p90": "4m"}, "expected 0 < median < p90"),
    ({"min": "5m", "max": "1m"}, "expected min <= mode <= max"),
    ({}, "got an empty mapping"),
])
def test_incomplete_or_inverted_estimates_are_rejected(value, message):
    with pytest.raises(Exception, match=message):
        d(value)


def test_a_runbook_step_accepts_both_forms_and_round_trips():
    rb = loads("""
id: rb
title: t
triggers: {tags: [x]}
steps:
  - {do: a, takes: 2m}
  - {do: b, takes: {median: 3h, p90: 8h}}
""", Runbook)
    assert rb.steps[0].takes.fixed == 120
    dumped = rb.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    assert dumped["steps"][1]["takes"] == {"median": "3h", "p90": "8h"}
    assert dumped["steps"][0]["takes"] == "2m"


def test_a_bare_number_in_a_file_is_an_error_with_a_fix():
    with pytest.raises(InputError) as info:
        loads("id: rb\ntitle: t\ntriggers: {tags: [x]}\nsteps:\n  - {do: a, takes: 90}\n", Runbook, "rb.yaml")
    assert str(info.value) == (
        "rb.yaml:5:20: steps[0].takes: expected a duration such as '90s', '5m', '1h30m' or '2d', "
        "got the bare number 90; did you mean '90s', '90m' or '90h'?"
    )


def test_only_a_restoring_step_may_leave_out_its_duration():
    ok = loads("id: rb\ntitle: t\ntriggers: {tags: [x]}\nsteps:\n  - {do: Restore, restores: true}\n", Runbook)
    assert ok.steps[0].takes is None
    with pytest.raises(InputError) as info:
        loads("id: rb\ntitle: t\ntriggers: {tags: [x]}\nsteps:\n  - {do: Restore}\n", Runbook, "rb.yaml")
    assert str(info.value).startswith("rb.yaml:5:5: steps[0]: missing required key 'takes' (only a step with 'restores: true'")
