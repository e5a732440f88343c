"""The tabletop journal: one fsynced JSON line per entry, read back with clear errors."""

from __future__ import annotations

import json
import os

import pytest

from drillbit import tabletop_journal
from drillbit.tabletop_journal import JournalError, JournalWriter, read_journal

HEADER = {"tabletop": 1, "scenario": "s", "team": "t", "seed": 7, "start": "2026-12-01T09:00:00+00:00", "speed": 1}


def entry(n: int, t: float, **action: object) -> dict[str, object]:
    return {"n": n, "t": t, "wall": "2026-12-01T09:00:00+00:00", "by": None, "action": {"action": "note", **action}}


def write(path, *docs) -> None:  # noqa: ANN001
    w = JournalWriter(path, header=HEADER)
    for d in docs:
        w.append(d)
    w.close()


def test_written_entries_read_back_in_order(tmp_path):
    path = tmp_path / "tabletop.jsonl"
    docs = [entry(1, 0.0, text="a"), entry(2, 4.5, text="ünïcode ✓"), {"n": 3, "t": 9.0, "wall": "x", "clock": True}]
    write(path, *docs)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 5  # a header and three entries, each ending in a newline
    assert json.loads(lines[0]) == HEADER
    j = read_journal(path)
    assert j.header == HEADER and j.entries == docs and j.warnings == [] and j.whole_bytes == path.stat().st_size


def test_every_line_is_fsynced_before_append_returns(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(tabletop_journal.os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    path = tmp_path / "tabletop.jsonl"
    w = JournalWriter(path, header=HEADER)
    after_header = len(synced)
    w.append(entry(1, 1.0, text="a"))
    w.append(entry(2, 2.0, text="b"))
    w.close()
    # the header's file and its folder, then one fsync of the file per entry
    assert after_header >= 1 and len(synced) == after_header + 2


def test_torn_last_line_is_dropped_with_a_warning_and_appending_continues_on_its_own_line(tmp_path):
    path = tmp_path / "tabletop.jsonl"
    write(path, entry(1, 1.0, text="a"))
    with open(path, "ab") as f:
        f.write(b'{"n": 2, "t": 3.0, "act')  # killed while writing
    j = read_journal(path)
    assert [e["n"] for e in j.entries] == [1]
    assert len(j.warnings) == 1 and f"{path}:3: dropped a torn last line" in j.warnings[0]
    w = JournalWriter(path, whole_bytes=j.whole_bytes)
    w.append(entry(2, 3.5, text="b"))
    w.close()
    again = read_journal(path)
    assert [e["n"] for e in again.entries] == [1, 2] and again.warnings == []


def test_last_line_whole_but_for_its_newline_is_kept(tmp_path):
    path = tmp_path / "tabletop.jsonl"
    write(path, entry(1, 1.0, text="a"))
    with open(path, "ab") as f:
        f.write(json.dumps(entry(2, 2.0, text="b")).encode())
    j = read_journal(path)
    assert [e["n"] for e in j.entries] == [1, 2] and j.warnings == []
    w = JournalWriter(path, whole_bytes=j.whole_bytes)
    w.append(entry(3, 3.0, text="c"))
    w.close()
    assert [e["n"] for e in read_journal(path).entries] == [1, 2, 3]


@pytest.mark.parametrize("content, where, words", [
    (b"", "", "the journal is empty"),
    (b'{"n": 1, "t": 0}\n', ":1", "expected the journal's header"),
    (json.dumps(HEADER).encode() + b'\n{"n": 1, "t": 0}\nnot json\n{"n": 3, "t": 1}\n', ":3", "not a JSON object"),
    (json.dumps(HEADER).encode() + b'\n[1, 2]\n', ":2", "expected a JSON object, got list"),
    (json.dumps(HEADER).encode() + b'\n\n{"n": 1, "t": 0}\n', ":2", "an empty line"),
    (json.dumps(HEADER).encode() + b'\n{"n": 2, "t": 0}\n{"n": 2, "t": 1}\n', ":3", "entry 2 after entry 2"),
    (json.dumps(HEADER).encode() + b'\n{"t": 0}\n', ":2", "without its number 'n'"),
    (json.dumps(HEADER).encode() + b'\n{"n": 1, "t": "soon"}\n', ":2", "no drill time 't'"),
    (json.dumps(HEADER).encode() + b'\n\xff\xfe{"n": 1}\n', ":2", "not UTF-8 text"),
])
def test_damaged_journals_name_file_and_line(tmp_path, content, where, words):
    path = tmp_path / "tabletop.jsonl"
    path.write_bytes(content)
    with pytest.raises(JournalError) as err:
        read_journal(path)
    assert str(err.value).startswith(f"{path}{where}") and words in str(err.value)


def test_missing_journal_and_existing_one_are_refused_clearly(tmp_path):
    with pytest.raises(JournalError, match="no tabletop journal here"):
        read_journal(tmp_path / "tabletop.jsonl")
    write(tmp_path / "tabletop.jsonl")
    with pytest.raises(JournalError, match="already exists: continue that drill with --resume"):
        JournalWriter(tmp_path / "tabletop.jsonl", header=HEADER)
