"""A timelines file may be gzip-compressed (one member, or one per chunk of runs), known
by its first bytes whatever its name: it reads as the plain file does, with the same
``file:LINE: …`` messages counted in the decompressed text, and a file cut short or
damaged is a message naming the file and line, never a traceback."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest

from scenarios.timeline import Timeline, TimelineError, count_timelines, read_jsonl, write_jsonl


def doc(run: int, **changes) -> dict:
    """A small valid timeline, written by hand from the shape the module documents."""
    d = {
        "schema": 1, "scenario": "db-primary-data-deleted", "mode": "simulated", "seed": 7, "run": run,
        "started_at": "2026-11-02T03:00:00+01:00", "team": "payments-sre",
        "events": [
            {"t": 0.0, "kind": "drill_started", "actor": "system", "subject": "db-primary-data-deleted",
             "data": {"severity": "P0", "timezone": "Europe/Berlin"}},
            {"t": 60.0 + run, "kind": "page_sent", "actor": "paging", "subject": "alice",
             "data": {"page": 1, "purpose": "incident", "timezone": "America/New_York", "delivered_after": 5.0}},
            {"t": 600.0, "kind": "drill_ended", "actor": "system", "subject": "db-primary-data-deleted",
             "data": {"reason": "resolved"}},
        ],
    }
    d.update(changes)
    return d


def text(*docs: dict) -> bytes:
    return "".join(json.dumps(d) + "\n" for d in docs).encode("utf-8")


def members(*chunks: bytes) -> bytes:
    """A gzip file of one member per chunk, as a writer appending chunks of runs leaves it."""
    return b"".join(gzip.compress(c, mtime=0) for c in chunks)


def put(tmp_path: Path, data: bytes, name: str) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def refused(path: Path) -> str:
    with pytest.raises(TimelineError) as info:
        list(read_jsonl(path))
    return str(info.value)


def test_one_member_and_many_read_as_the_plain_file(tmp_path):
    plain = text(doc(0), doc(1), doc(2), doc(3))
    expected = [(tl.run, tl.events[1].t) for tl in read_jsonl(put(tmp_path, plain, "t.jsonl"))]
    assert expected == [(0, 60.0), (1, 61.0), (2, 62.0), (3, 63.0)]
    one = put(tmp_path, gzip.compress(plain), "one.jsonl.gz")
    many = put(tmp_path, members(text(doc(0)), text(doc(1), doc(2)), b"", text(doc(3))), "many.jsonl.gz")
    for path in (one, many):
        assert [(tl.run, tl.events[1].t) for tl in read_jsonl(path)] == expected
        assert count_timelines(path) == 4


def test_gzip_is_known_by_its_bytes_not_its_name(tmp_path):
    disguised = put(tmp_path, gzip.compress(text(doc(0), doc(1))), "timelines.jsonl")
    assert [tl.run for tl in read_jsonl(disguised)] == [0, 1]
    plain_named_gz = put(tmp_path, text(doc(5)), "plain.jsonl.gz")
    assert [tl.run for tl in read_jsonl(plain_named_gz)] == [5]
    assert count_timelines(disguised) == 2 and count_timelines(plain_named_gz) == 1


def test_blank_lines_are_skipped_and_not_counted_in_both(tmp_path):
    data = b"\n" + text(doc(0)) + b"  \n\n" + text(doc(1))
    for path in (put(tmp_path, data, "t.jsonl"), put(tmp_path, gzip.compress(data), "t.jsonl.gz")):
        assert [tl.run for tl in read_jsonl(path)] == [0, 1]
        assert count_timelines(path) == 2


def test_a_bad_line_inside_a_gzip_file_names_its_decompressed_line(tmp_path):
    bad = doc(2)
    bad["events"][1]["kind"] = "paged"
    data = text(doc(0)) + b"\n" + text(doc(1), bad)  # the bad timeline is line 4 of the text
    plain = refused(put(tmp_path, data, "t.jsonl"))
    path = put(tmp_path, members(data[:10], data[10:]), "t.jsonl.gz")  # a member boundary inside line 1
    message = refused(path)
    assert message.startswith(f"{path}:4: not a valid timeline: events[1].kind: ")
    assert message.removeprefix(str(path)) == plain.removeprefix(str(tmp_path / "t.jsonl"))


def test_a_compressed_file_of_another_kind_gets_the_same_hint(tmp_path):
    path = put(tmp_path, gzip.compress(b'{"version": 1, "state": "complete"}\n'), "drill.json.gz")
    message = refused(path)
    assert message.startswith(f"{path}:1: expected timeline schema 1, got None; is this a timelines file")


def test_a_gzip_file_cut_short_is_a_message_at_the_line_it_ends_in(tmp_path):
    data = text(*(doc(i) for i in range(300)))
    whole = gzip.compress(data)
    path = put(tmp_path, whole[: len(whole) // 2], "t.jsonl.gz")
    runs = []
    with pytest.raises(TimelineError) as info:
        for tl in read_jsonl(path):
            runs.append(tl.run)
    message = str(info.value)
    assert runs == list(range(len(runs))) and 0 < len(runs) < 300
    assert message == (f"{path}:{len(runs) + 1}: the gzip-compressed data ends early: the file was cut short "
                       "(an interrupted copy?); restore the file, or simulate the drill again")
    with pytest.raises(TimelineError) as counted:
        count_timelines(path)
    assert "ends early" in str(counted.value) and str(counted.value).startswith(f"{path}:")


def test_a_gzip_file_cut_inside_its_header_is_a_message(tmp_path):
    path = put(tmp_path, gzip.compress(text(doc(0)))[:5], "t.jsonl.gz")
    assert refused(path).startswith(f"{path}:1: the gzip-compressed data ")


def test_damaged_deflate_data_is_a_message_naming_the_file(tmp_path):
    data = bytearray(gzip.compress(text(*(doc(i) for i in range(50)))))
    for i in range(20, 60):
        data[i] ^= 0xFF
    path = put(tmp_path, bytes(data), "t.jsonl.gz")
    message = refused(path)
    assert message.startswith(f"{path}:")
    assert "the gzip-compressed data is damaged (" in message


def test_a_wrong_checksum_is_damage(tmp_path):
    data = bytearray(gzip.compress(text(doc(0), doc(1))))
    data[-8] ^= 0x01  # the member's CRC32 of the decompressed text
    path = put(tmp_path, bytes(data), "t.jsonl.gz")
    message = refused(path)
    assert message.startswith(f"{path}:") and "damaged" in message and "CRC" in message


def test_bytes_after_the_last_member_that_are_no_member_are_damage(tmp_path):
    path = put(tmp_path, gzip.compress(text(doc(0))) + b"\x1f\x8bnot gzip at all", "t.jsonl.gz")
    assert "the gzip-compressed data is damaged" in refused(path)


def test_only_the_two_magic_bytes_is_a_message(tmp_path):
    path = put(tmp_path, b"\x1f\x8b", "t.jsonl")
    assert refused(path).startswith(f"{path}:1: the gzip-compressed data ")


def test_write_jsonl_compresses_for_a_gz_name_and_reads_back(tmp_path):
    runs = list(read_jsonl(put(tmp_path, text(doc(0), doc(1)), "src.jsonl")))
    out = tmp_path / "out.jsonl.gz"
    assert write_jsonl(out, runs) == 2
    raw = out.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    lines = zlib.decompress(raw, 31).decode("utf-8").splitlines()  # any gzip reader reads it
    assert [json.loads(line)["run"] for line in lines] == [0, 1]
    assert [tl.to_json_line() for tl in read_jsonl(out)] == [tl.to_json_line() for tl in runs]
    plain = tmp_path / "out.jsonl"
    write_jsonl(plain, runs)
    assert plain.read_bytes().splitlines() == [line.encode() for line in lines]


def test_trusted_lines_read_as_validated_ones(tmp_path):
    path = put(tmp_path, gzip.compress(text(doc(0), doc(1))), "t.jsonl.gz")
    checked = list(read_jsonl(path))
    trusted = list(read_jsonl(path, trusted=True))
    assert trusted == checked
    assert [tl.started_at.isoformat() for tl in trusted] == ["2026-11-02T03:00:00+01:00"] * 2


def test_a_trusted_line_missing_a_field_is_validated_to_say_which(tmp_path):
    d = doc(0)
    del d["team"]
    del d["events"][0]["subject"]
    tl = Timeline.from_json_line(json.dumps(d), trusted=True)
    assert tl.team is None and tl.events[0].subject == ""
    broken = doc(0)
    del broken["events"]
    with pytest.raises(TimelineError, match=r"^not a valid timeline: events: "):
        Timeline.from_json_line(json.dumps(broken), trusted=True)
