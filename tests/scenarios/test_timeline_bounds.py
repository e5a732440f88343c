"""The timeline reader refuses what no drill writes with ``file:LINE: …`` (a TimelineError),
never with a crash, however the file was made: bad bytes, deep nesting, dates outside
the calendar, unknown time zones, non-finite times, oversized fields and lines."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scenarios.timeline import TimelineError, read_jsonl

#: The bounds the README states: lines of 16 MiB, times of ten years.
MAX_LINE = 16 * 1024 * 1024
MAX_T = 10 * 366 * 86400.0


def line(**changes) -> dict:
    """A small valid timeline, written by hand from the shape the module documents."""
    doc = {
        "schema": 1, "scenario": "db-primary-data-deleted", "mode": "simulated", "seed": 7, "run": 0,
        "started_at": "2026-11-02T03:00:00+01:00", "team": "payments-sre",
        "events": [
            {"t": 0.0, "kind": "drill_started", "actor": "system", "subject": "db-primary-data-deleted",
             "data": {"severity": "P0", "timezone": "Europe/Berlin"}},
            {"t": 60.0, "kind": "page_sent", "actor": "paging", "subject": "alice",
             "data": {"page": 1, "purpose": "incident", "timezone": "America/New_York", "delivered_after": 5.0}},
            {"t": 600.0, "kind": "drill_ended", "actor": "system", "subject": "db-primary-data-deleted",
             "data": {"reason": "resolved"}},
        ],
    }
    doc.update(changes)
    return doc


def write(tmp_path: Path, content: bytes | str | dict, name: str = "t.jsonl") -> Path:
    p = tmp_path / name
    if isinstance(content, dict):
        content = json.dumps(content, ensure_ascii=True) + "\n"
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return p


def refused(path: Path, *words: str, at: int = 1) -> str:
    with pytest.raises(TimelineError) as info:
        list(read_jsonl(path))
    text = str(info.value)
    assert text.startswith(f"{path}:{at}: "), text
    for w in words:
        assert w in text, text
    return text


def event_change(i: int, **changes) -> dict:
    doc = line()
    doc["events"][i].update(changes)
    return doc


def data_change(i: int, **changes) -> dict:
    doc = line()
    doc["events"][i]["data"].update(changes)
    return doc


def test_the_hand_written_line_reads(tmp_path):
    (tl,) = read_jsonl(write(tmp_path, line()))
    assert tl.scenario == "db-primary-data-deleted" and [e.t for e in tl.events] == [0.0, 60.0, 600.0]


def test_invalid_utf8_names_the_line_and_byte(tmp_path):
    good = json.dumps(line()) + "\n"
    p = write(tmp_path, good.encode() + b'{"scenario": "\xff"}\n')
    refused(p, "UTF-8", "0xff", at=2)


def test_deep_nesting_is_refused(tmp_path):
    refused(write(tmp_path, "[" * 100_000 + "\n"), "nested too deeply")


def test_a_number_of_thousands_of_digits_is_refused(tmp_path):
    text = json.dumps(line()).replace('"seed": 7', '"seed": ' + "9" * 5000)
    refused(write(tmp_path, text + "\n"), "number")


@pytest.mark.parametrize("started", ["0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00+00:00",
                                     "9999-12-31T23:00:00-05:00", "9999-12-31T23:00:00+00:00",
                                     "1969-12-31T23:59:59+00:00", "2202-01-01T00:00:00+00:00"])
def test_a_start_outside_the_years_drillbit_represents_is_refused(tmp_path, started):
    refused(write(tmp_path, line(started_at=started)), "started_at", "1970")


def test_a_start_late_in_2201_is_still_read(tmp_path):
    # --start may be late in 2199 and a run is drawn up to a window (730d) later.
    (tl,) = read_jsonl(write(tmp_path, line(started_at="2201-12-30T00:00:00+00:00")))
    assert tl.started_at.year == 2201


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "A" * 300, "../../etc/passwd", "", "Europe/\u0000"])
def test_an_unknown_time_zone_in_an_event_is_refused(tmp_path, zone):
    refused(write(tmp_path, data_change(1, timezone=zone)), "events[1].data.timezone", "IANA")


def test_a_time_zone_that_is_not_text_is_refused(tmp_path):
    refused(write(tmp_path, data_change(0, timezone=5)), "events[0].data.timezone")


def test_a_lone_surrogate_is_refused(tmp_path):
    text = json.dumps(line()).replace('"alice"', '"al\\ud800ice"')
    refused(write(tmp_path, text + "\n"), "surrogate")


def test_a_surrogate_pair_is_a_character_and_reads(tmp_path):
    text = json.dumps(line()).replace('"alice"', '"alice \\ud83d\\ude00"')
    (tl,) = read_jsonl(write(tmp_path, text + "\n"))
    assert tl.events[1].subject == "alice \U0001F600"


@pytest.mark.parametrize("t", ["Infinity", "-Infinity", "NaN", "1e308", "1e999", str(MAX_T * 2)])
def test_a_time_that_is_not_finite_or_beyond_ten_years_is_refused(tmp_path, t):
    text = json.dumps(line()).replace('"t": 600.0', f'"t": {t}')
    refused(write(tmp_path, text + "\n"), "events[2].t")


def test_a_time_of_ten_years_is_read(tmp_path):
    (tl,) = read_jsonl(write(tmp_path, event_change(2, t=10 * 365 * 86400.0)))
    assert tl.events[2].t == 315_360_000.0


def test_seconds_inside_data_are_bounded_like_t(tmp_path):
    refused(write(tmp_path, data_change(1, delivered_after=1e308)), "events[1].data.delivered_after")


def test_a_non_finite_number_anywhere_in_data_is_refused(tmp_path):
    text = json.dumps(line()).replace('"page": 1', '"page": NaN')
    refused(write(tmp_path, text + "\n"), "events[1].data.page")


def test_a_5000_character_scenario_is_refused(tmp_path):
    refused(write(tmp_path, line(scenario="a" * 5000)), "scenario", "80")


@pytest.mark.parametrize("name", ["/etc/passwd", "../scenario.yaml", "a b"])
def test_a_scenario_that_is_not_an_id_is_refused(tmp_path, name):
    refused(write(tmp_path, line(scenario=name)), "scenario")


def test_long_text_fields_are_refused(tmp_path):
    refused(write(tmp_path, event_change(1, actor="x" * 5000)), "events[1].actor")
    refused(write(tmp_path, event_change(1, subject="x" * 20_000)), "events[1].subject")
    refused(write(tmp_path, line(team="x" * 5000)), "team")


def test_a_seed_beyond_64_bits_is_refused(tmp_path):
    refused(write(tmp_path, line(seed=2**70)), "seed")


def test_a_line_longer_than_the_bound_is_refused_without_reading_it_whole(tmp_path):
    p = tmp_path / "huge.jsonl"
    with open(p, "wb") as f:
        f.write(b"x" * (MAX_LINE + 10))
    refused(p, "longer than")


def test_a_file_of_another_kind_is_named_as_such(tmp_path):
    manifest = json.dumps({"version": 1, "state": "complete"}, indent=2)
    text = refused(write(tmp_path, manifest), "timelines file")
    assert "simulate --out" in text


def test_a_bad_field_on_the_first_line_gets_no_wrong_kind_hint(tmp_path):
    text = refused(write(tmp_path, line(mode="dreamt")), "mode")
    assert "timelines file" not in text


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "d.jsonl").mkdir()
    refused_msg = pytest.raises(TimelineError, lambda: list(read_jsonl(tmp_path / "d.jsonl")))
    assert "folder" in str(refused_msg.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_instead_of_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(TimelineError, match="not a regular file"):
        list(read_jsonl(fifo))


@pytest.mark.parametrize("value", ["x", [1, "a"], True, {"a": 1}])
def test_seconds_inside_data_must_be_numbers(tmp_path, value):
    # The scorer adds and compares these; text there was an internal error.
    text = refused(write(tmp_path, data_change(1, delivered_after=value)), "events[1].data.delivered_after")
    assert "seconds" in text


def test_an_undelivered_page_has_no_delivery_time_and_reads(tmp_path):
    (tl,) = read_jsonl(write(tmp_path, data_change(1, delivered_after=None)))
    assert tl.events[1].data["delivered_after"] is None


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e999", "-2E+400", "1" + "0" * 400 + ".5"])
def test_a_number_in_event_data_that_json_cannot_hold_is_refused(tmp_path, value):
    # json reads all of these (as inf or nan); JSON has none of them, and drillbit could not write them back
    text = json.dumps(line()).replace('"delivered_after": 5.0', f'"delivered_after": 5.0, "x": {{"y": [1, {value}]}}')
    refused(write(tmp_path, text + "\n"), "events[1].data.x.y[1]", "finite")


@pytest.mark.parametrize("value", ["1e308", "2.5e-300", "1" + "0" * 400, '"NaN Infinity 1e999"'])
def test_large_small_and_long_numbers_that_fit_read(tmp_path, value):
    text = json.dumps(line()).replace('"delivered_after": 5.0', f'"delivered_after": 5.0, "x": {value}')
    (tl,) = read_jsonl(write(tmp_path, text + "\n"))
    assert tl.to_json_line() == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
