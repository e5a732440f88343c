"""rate() works in one pass over the outcomes; it rates exactly as the definitions say:
each capability that has an objective, in CAPABILITIES order, by its worst objective
under rate_outcome, with its outcomes in their order. The reference below is the
definition written out, one capability at a time."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.objectives import Objective, Outcome
from scoring.ratings import CAPABILITIES, ORDER, CapabilityRating, rate, rate_outcome


def reference(outcomes):
    rated = []
    for capability, metrics in CAPABILITIES.items():
        mine = tuple(o for o in outcomes if o.objective.metric in metrics)
        if mine:
            rated.append(CapabilityRating(capability, max((rate_outcome(o) for o in mine), key=ORDER.index), mine))
    return rated


metrics = sorted({m for ms in CAPABILITIES.values() for m in ms} | {"weighted_outage", "people_involved"})
outcome = st.builds(
    Outcome,
    objective=st.builds(Objective, key=st.sampled_from(["a", "b"]), metric=st.sampled_from(metrics),
                        target=st.sampled_from([0.0, 60.0, 900.0]), source=st.just("scenario")),
    value=st.one_of(st.none(), st.just(math.inf), st.floats(0, 1e5)),
    status=st.sampled_from(["met", "missed", "not reached"]),
    scale=st.one_of(st.none(), st.floats(1, 1e4)),
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(outcome, max_size=20))
def test_one_pass_rates_as_the_definitions(outcomes):
    assert rate(outcomes) == reference(outcomes)


def test_no_metric_rates_two_capabilities():
    every = [m for ms in CAPABILITIES.values() for m in ms]
    assert len(every) == len(set(every))
