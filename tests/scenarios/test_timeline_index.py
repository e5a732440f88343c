"""Timeline.by_kind_and_milestones: the events by kind and the milestones of one pass,
the same as grouping the events and finding each milestone's first event one by one."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.timeline import MILESTONES, Timeline, new_event, new_timeline

KINDS = sorted({k for kinds, _ in MILESTONES.values() for k in ((kinds,) if isinstance(kinds, str) else kinds)}
               | {"note", "signal"})
event = st.builds(new_event, st.floats(0, 1e5), st.sampled_from(KINDS), st.just("a"), st.just("s"),
                  st.fixed_dictionaries({}, optional={"purpose": st.sampled_from(["incident", "noise", "severity"]),
                                                      "role": st.sampled_from(["responder", "expert"])}))


def timeline(events):
    return new_timeline("s", "simulated", 1, 0, datetime(2026, 11, 2, tzinfo=timezone.utc), "t", tuple(events))


@settings(max_examples=500, deadline=None)
@given(st.lists(event, max_size=30))  # in any order: the first in the record counts, as before
def test_one_pass_agrees_with_the_definitions(events):
    tl = timeline(events)
    kinds, ms = tl.by_kind_and_milestones()
    for kind in KINDS:
        assert kinds[kind] == [e for e in events if e.kind == kind]
    assert ms == {name: tl.milestone(name) for name in MILESTONES}
    assert tl.milestones() == ms and tl.milestones() is not ms
    assert tl.by_kind_and_milestones() is tl.by_kind_and_milestones()  # made once


def test_the_index_goes_with_its_timeline():
    from scenarios import timeline as module
    tl = timeline([new_event(1.0, "detected", "m", "s", {})])
    tl.by_kind_and_milestones()
    key = id(tl)
    assert key in module._INDEXES
    del tl
    assert key not in module._INDEXES
