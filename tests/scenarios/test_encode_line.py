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


# -- the orjson path (scenarios.exact_json): used only where its text is json's ----------
import enum  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from scenarios import exact_json  # noqa: E402

STDLIB = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), text,
                        st.floats(-1e-3, 1e-3), st.sampled_from([1e-4, 9.999e-5, 1e-5, 2.5e-7, 1e16, 1e22, -0.0]))
json_value = st.recursive(json_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                st.dictionaries(text, inner, max_size=3)),
                          max_leaves=8)


def stdlib(obj):
    try:
        return STDLIB.encode(obj)
    except ValueError:
        return None


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(text, json_value, max_size=6))
def test_the_orjson_text_is_json_dumps_byte_for_byte(doc):
    fast = exact_json.dumps(doc)
    assert fast is None or fast == STDLIB.encode(doc)


plain_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64 - 1), text,
                         st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f == 0 or abs(f) >= 1e-4))


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(text, plain_scalar, max_size=8))
def test_a_flat_document_of_plain_scalars_takes_the_orjson_path(doc):
    # (a lone surrogate is the one plain-looking value orjson refuses)
    if any(isinstance(v, str) and any(0xD800 <= ord(c) < 0xE000 for c in v) for v in [*doc, *doc.values()]):
        return
    if not math.isfinite(sum(v for v in doc.values() if type(v) is float)):
        return  # finite floats whose sum passes 1.8e308: refused with NaN and infinities, as documented
    assert exact_json.dumps(doc) == STDLIB.encode(doc)


@settings(max_examples=1000, deadline=None)
@given(st.floats())
def test_floats_take_the_orjson_path_only_where_it_writes_repr(f):
    fast = exact_json.dumps({"x": f})
    if not math.isfinite(f) or (f != 0 and abs(f) < exact_json.SMALLEST_FLOAT):
        assert fast is None
    else:
        assert fast == STDLIB.encode({"x": f})


def test_every_code_point_is_escaped_as_json_escapes_it():
    for cp in range(0x110000):
        s = chr(cp)
        fast = exact_json.dumps({s: s})
        if 0xD800 <= cp < 0xE000:
            assert fast is None  # a lone surrogate: orjson refuses it, json writes it raw
        else:
            assert fast == STDLIB.encode({s: s}), hex(cp)


def test_keys_sort_by_code_point_as_json_sorts_them():
    doc = {"\uffff": 1, "\U00010000": 2, "a": 3, "\u00e9": 4, "Z": 5, "": 6, "\u2028": 7}
    assert exact_json.dumps(doc) == STDLIB.encode(doc)


class _Colour(enum.Enum):
    RED = 1


class _Number(enum.IntEnum):
    ONE = 1


class _Text(str):
    pass


@dataclass
class _Point:
    x: int


@pytest.mark.parametrize("value", [_Colour.RED, _Number.ONE, _Text("x"), uuid.UUID(int=5), _Point(1),
                                   datetime(2026, 1, 1, tzinfo=timezone.utc), 2**64, -2**63 - 1, [1], {"a": 1},
                                   math.nan, math.inf, 1e-5, (1, 2)])
def test_what_orjson_would_write_otherwise_is_left_to_json(value):
    assert exact_json.dumps({"v": value}) is None
    assert exact_json.dumps({_Text("k"): 1}) is None
    assert exact_json.dumps({1: 1}) is None


@settings(max_examples=500, deadline=None)
@given(st.floats(-2**31, 2**31, allow_nan=False))
def test_whole_ms_holds_exactly_for_times_round_leaves_unchanged(x):
    r = round(x, 3)
    assert exact_json.whole_ms([r]) is (abs(r) < 2**30)
    if exact_json.whole_ms([x]):
        assert round(x, 3) == x


@settings(max_examples=300, deadline=None)
@given(st.lists(event, max_size=8), st.one_of(st.none(), st.integers(0, 2**63 - 1)), st.one_of(st.none(), text))
def test_the_orjson_timeline_line_is_the_json_line(events, seed, team):
    start = datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc)
    fast = exact_json.timeline_line("s-1", "simulated", seed, 3, start, team, events, SCHEMA_VERSION, frozenset())
    assert fast is None or fast == expected("s-1", "simulated", seed, 3, start, team, events)


def test_a_simulated_run_takes_the_orjson_path():
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    events = [(0.0, "drill_started", "system", "s", {"severity": "P1", "team": "t"}),
              (90.123, "page_sent", "paging", "amara", {"page": 1, "delivered_after": 2.023, "away": False,
                                                       "alert": None, "purpose": "incident"}),
              (100.0, "note", "system", "s", {"text": "caf\u00e9 \u2014 \"quoted\"\n"})]
    fast = exact_json.timeline_line("s", "simulated", 1, 0, start, "t", events, SCHEMA_VERSION, frozenset())
    assert fast == expected("s", "simulated", 1, 0, start, "t", events)
