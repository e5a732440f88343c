"""What the YAML reader keeps that plain yaml.safe_load loses."""

import datetime as dt

from scenarios import parse_yaml


def test_scalars_follow_yaml_1_2_so_times_and_words_stay_text():
    doc = parse_yaml("handoff: 17:30\nfeature: on\nanswer: no\nflag: true\nn: 0x1f\nx: 1.5e3\n", "t.yaml")
    assert doc.data == {"handoff": "17:30", "feature": "on", "answer": "no", "flag": True, "n": 31, "x": 1500.0}


def test_timestamps_keep_their_offset():
    doc = parse_yaml("start: 2026-11-02T09:00:00+01:00\nday: 2026-12-22\n", "t.yaml")
    assert doc.data["start"].utcoffset() == dt.timedelta(hours=1)
    assert doc.data["day"] == dt.date(2026, 12, 22)


def test_positions_of_keys_and_values_are_one_based():
    doc = parse_yaml("a:\n  b: [x, y]\n", "t.yaml")
    assert doc.key_marks[("a", "b")] == (2, 3)
    assert doc.marks[("a", "b")] == (2, 6)
    assert doc.marks[("a", "b", 1)] == (2, 10)
    assert doc.position(("a", "b", 7, "deeper")) == (2, 6)  # deepest part that exists


def test_anchors_and_merge_keys_work_and_explicit_keys_win():
    doc = parse_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "t.yaml")
    assert doc.data["use"] == {"x": 1, "y": 3}


def test_numeric_keys_are_kept_as_written():
    doc = parse_yaml("1: a\n", "t.yaml")
    assert doc.data == {"1": "a"}


# ------------------------------------------------ what is read, and how much

import os
import sys
import threading

import pytest

import scenarios.yamlsource as yamlsource
from scenarios import InputError, read_yaml


def _only_message(path) -> str:
    with pytest.raises(InputError) as caught:
        read_yaml(path)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_with_no_writer_is_refused_at_once(tmp_path):
    fifo = tmp_path / "team.yaml"
    os.mkfifo(fifo)
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(_only_message(fifo)), daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert result == ["this is a named pipe (FIFO), not a regular file; drillbit reads YAML from regular files only"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_a_device_that_never_ends_is_refused_without_reading_it():
    assert _only_message("/dev/zero") == "this is a device, not a regular file; drillbit reads YAML from regular files only"


def test_a_folder_given_as_a_file_is_one_clear_line(tmp_path):
    assert _only_message(tmp_path) == "this is a folder, not a regular file; drillbit reads YAML from regular files only"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_the_size_limit_holds_while_reading_not_only_by_the_reported_size(monkeypatch):
    # /proc files report a size of 0 and hold more: only a read that stops at the
    # limit notices.
    assert os.stat("/proc/self/status").st_size == 0
    monkeypatch.setattr(yamlsource, "MAX_BYTES", 100)
    assert _only_message("/proc/self/status").startswith("the file grew past 0 MB while it was read")


def test_a_file_exactly_at_the_limit_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlsource, "MAX_BYTES", 12)
    (tmp_path / "a.yaml").write_bytes(b"id: abcdefg\n")
    assert read_yaml(tmp_path / "a.yaml").data == {"id": "abcdefg"}


# ------------------------------------------------ tags and numbers

@pytest.mark.parametrize("text, message", [
    ("a: !!bool maybe", "cannot read 'maybe' as !!bool: expected true or false"),
    ("a: !!timestamp 2026", "cannot read '2026' as !!timestamp: expected a date such as 2026-03-01 or a date-time such as 2026-03-01T09:00:00+01:00"),
    ('a: !!float ""', "cannot read '' as !!float: expected a number such as 1.5, 2e3 or .inf"),
    ("a: !!int abc", "cannot read 'abc' as !!int: expected a whole number such as 42, 0x2a or 0o52"),
    ("a: !!null x", "cannot read 'x' as !!null: expected nothing (null, ~ or an empty value)"),
    ("a: !!binary aGk=", "unsupported YAML tag !!binary; drillbit reads plain YAML values only"),
    ("a: 0x" + "f" * 4000, "cannot read '0xfffffffffffffffffffffffffffffffffff...' as a whole number: it has more than 30 digits"),
    ("a: !!int " + "1" * 5000, "cannot read '1111111111111111111111111111111111111...' as a whole number: it has more than 30 digits"),
    ("a: !!int '" + "1" * 5000 + "'", "cannot read '1111111111111111111111111111111111111...' as !!int: expected a whole number such as 42, 0x2a or 0o52 (it has more than 30 digits)"),
])
def test_a_tag_that_does_not_fit_its_value_says_what_it_expects(text, message):
    with pytest.raises(InputError) as caught:
        parse_yaml(text, "t.yaml")
    assert [str(p) for p in caught.value.problems] == [f"t.yaml:1:4: a: {message}"]


def test_explicit_tags_that_fit_give_their_values():
    doc = parse_yaml("a: !!bool 'true'\nb: !!int '0x1f'\nc: !!float '-.inf'\nd: !!null ''\ne: !!str 12\nf: !!int 0000000000000000000000000000000000000007\n", "t.yaml")
    assert doc.data == {"a": True, "b": 31, "c": float("-inf"), "d": None, "e": "12", "f": 7}


# ------------------------------------------------ positions: only \n, \r\n and \r end a line

@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_separators_move_no_position(separator):
    text = f'title: "a{separator}b{separator}c"\nplain: x{separator}y\nflag: !!bool maybe\n'
    with pytest.raises(InputError) as caught:
        parse_yaml(text, "t.yaml")
    assert [(p.line, p.col) for p in caught.value.problems] == [(3, 7)]


def test_positions_of_errors_found_before_parsing_count_a_lone_cr_as_a_line_end():
    with pytest.raises(InputError) as caught:
        parse_yaml(b"a: 1\rb: 2\r\nc: \x00", "t.yaml")
    assert (caught.value.problems[0].line, caught.value.problems[0].col) == (3, 4)
