"""encode_line writes exactly what json.dumps writes for the same document (sorted keys,
compact, ``t`` rounded to milliseconds), whatever the values: the simulator's records and
lines read from elsewhere go through the same function."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.timeline import SCHEMA_VERSION, FixedData, encode_line


def expected(scenario, mode, seed, run, started_at, team, events) -> str:
    """The line as the standard library writes the document, built independently."""
    def ms(t):
        r = round(t, 3)
        return r + 0.0 if r else 0.0
    doc = {"schema": SCHEMA_VERSION, "scenario": scenario, "mode": mode, "seed": seed, "run": run,
           "started_at": started_at.isoformat(), "team": team,
           "events": [{"t": ms(t), "kind": k, "actor": a, "subject": s, "data": d} for t, k, a, s, d in events]}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


text = st.text(max_size=12)  # any code point: quotes, backslashes, controls, non-ASCII
scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                   st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.0, -0.0, 1.0, 1, True]), text)
value = st.one_of(scalar, st.lists(scalar, max_size=3))
data = st.dictionaries(st.one_of(text, st.sampled_from(["t", "n", "page", "value", "noise"])), value, max_size=6)
event = st.tuples(st.floats(-1e6, 1e9, allow_nan=False), st.sampled_from(["signal", "note", "page_sent"]),
                  text, text, data)


@settings(max_examples=300, deadline=None)
@given(st.lists(event, max_size=8), st.one_of(st.none(), st.integers(0, 2**63 - 1)), st.one_of(st.none(), text),
       st.integers(-14 * 60, 14 * 60))
def test_same_bytes_as_json_dumps(events, seed, team, offset):
    start = datetime(2026, 11, 2, 3, 0, tzinfo=timezone(timedelta(minutes=offset)))
    args = ("s-1", "simulated", seed, 3, start, team, events)
    assert encode_line(*args) == expected(*args)


def test_repeated_events_give_the_same_bytes_each_time():
    # The same (kind, actor, subject) with other data and times, twice over.
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    events = [(0.0, "signal", "a", "b", {"x": 1}), (1.0004, "signal", "a", "b", {"x": 1.0}),
              (-0.0001, "signal", "a", "b", {"x": True, "a": [1, "\u2028"]}), (2.5, "note", "a", "b", {})]
    for _ in range(2):
        assert encode_line("s", "simulated", 1, 0, start, None, events) == expected("s", "simulated", 1, 0, start, None, events)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(bad):
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        encode_line("s", "simulated", 1, 0, start, None, [(0.0, "signal", "a", "b", {"value": bad})])
    with pytest.raises(ValueError):
        encode_line("s", "simulated", 1, 0, start, None, [(bad, "signal", "a", "b", {})])
    # and a refusal leaves nothing behind that changes the next line
    ok = [(0.0, "signal", "a", "b", {"value": 1.5})]
    assert encode_line("s", "simulated", 1, 0, start, None, ok) == expected("s", "simulated", 1, 0, start, None, ok)


def test_data_a_producer_fixed_is_written_as_json_dumps_writes_it():
    fixed = FixedData()
    shared = fixed.fix({"b": 1.0, "a": "x\n", "n": -0.0})
    fixed.fix({"bad": math.nan})  # refused later by encode_line, not here
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    events = [(0.0, "signal", "a", "b", shared), (1.0, "signal", "a", "b", {"b": 1}), (2.0, "note", "c", "d", shared)]
    assert encode_line("s", "simulated", 1, 0, start, "t", events, fixed) == expected("s", "simulated", 1, 0, start, "t", events)
