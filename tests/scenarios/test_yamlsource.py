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
