"""JSON with positions: values as Python's json reads them, positions counted by hand."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from scenarios import InputError
from scenarios.chaostoolkit import _Mapper
from scenarios.jsonsource import parse_json_stream


def test_pages_one_after_another_keep_their_own_positions():
    text = '{"a": 1}\n{"incidents": [{"t": "\\ud83d\\ude00 x", "n": 2}], "more": false}\n  [1,\n 2]'
    first, second, third = parse_json_stream(text, "f.json")
    assert first.data == {"a": 1} and first.position(("a",)) == (1, 7)
    # The surrogate pair reads as one character and moves no position after it.
    assert second.data["incidents"][0]["t"] == "\U0001F600 x"
    assert second.position(("incidents", 0, "n")) == (2, 45) and second.position(("more",)) == (2, 58)
    assert third.data == [1, 2] and third.position((1,)) == (4, 2)


def test_duplicate_keys_and_bad_json_are_positioned():
    with pytest.raises(InputError, match=r"g\.json:1:9: a: duplicate key 'a'"):
        parse_json_stream('{"a":1, "a":2}', "g.json")
    with pytest.raises(InputError, match=r"g\.json:2:3: not valid JSON"):
        parse_json_stream('{"a": 1,\n  }', "g.json")
    with pytest.raises(InputError, match="the file is empty"):
        parse_json_stream(" \n", "g.json")


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=12))
def test_any_json_value_reads_back_as_json_reads_it_and_any_experiment_maps_or_raises_input_error(value):
    text = json.dumps(value)
    (doc,) = parse_json_stream(text, "x.json")
    assert doc.data == value
    try:
        _Mapper(doc, "P2").run()
    except InputError:
        pass


_WORDS = st.sampled_from(["title", "description", "method", "rollbacks", "steady-state-hypothesis", "probes", "type",
                          "name", "provider", "path", "arguments", "url", "tolerance", "ref", "configuration",
                          "pauses", "module", "func", "timeout", "method", "action", "probe", "process", "http",
                          "python", "docker", "stop api", "pause", "network disconnect n c", "${x}"])


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.integers(-1, 300) | _WORDS,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_WORDS, inner, max_size=4),
                    max_leaves=25))
def test_experiment_shaped_values_map_or_raise_input_error_only(value):
    (doc,) = parse_json_stream(json.dumps(value), "x.json")
    try:
        _Mapper(doc, "P2").run()
    except InputError:
        pass


@pytest.mark.parametrize("eol", ["\r", "\r\n"])
def test_cr_and_crlf_line_ends_count_as_lines(eol):
    # Counted by hand: line 3 is '  "b": 2' with "b" at column 3, its value 2 at column 8.
    text = eol.join(['{', '  "a": 1,', '  "b": 2', '}', '{"c": 3}'])
    first, second = parse_json_stream(text, "cr.json")
    assert first.position(("b",)) == (3, 8) and second.position(()) == (5, 1)
    # The stray comma ends line 2; json finds the missing key at the '}' of line 3, column 1.
    with pytest.raises(InputError, match=r"cr\.json:3:1: not valid JSON"):
        parse_json_stream(eol.join(['{', '  "a": 1,', '}']), "cr.json")


def test_two_keys_written_as_different_surrogate_pairs_are_not_duplicates():
    doc, = parse_json_stream('{"\\ud800\\udc00": 1, "\\ud800\\udc01": 2}', "s.json")
    assert doc.data == {"\U00010000": 1, "\U00010001": 2}
