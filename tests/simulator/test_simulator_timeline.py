"""The Timeline: JSON lines that are byte-identical for the same content, streaming
files, and the queries the scorer uses."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

import scenarios.timeline as timeline_module
from scenarios.timeline import (EVENT_KINDS, MILESTONES, SCHEMA_VERSION, Event, Timeline, TimelineError, read_jsonl,
                                write_jsonl)

START = datetime(2026, 11, 2, 3, 0, tzinfo=timezone(timedelta(hours=1)))


def make(run: int = 0, events=None) -> Timeline:
    return Timeline(scenario="s", mode="simulated", seed=7, run=run, started_at=START, team="t", events=events or (
        Event(t=0, kind="drill_started", actor="system", subject="s"),
        Event(t=10.0, kind="impact_started", actor="crash", subject="api", data={"impact": "outage"}),
        Event(t=70.5, kind="page_sent", actor="paging", subject="alice",
              data={"page": 1, "to": "alice", "purpose": "incident", "level": 1, "value": 0.000123, "away": False}),
        Event(t=100.25, kind="acknowledged", actor="alice", subject="alice", data={"by": "alice", "page": 1, "purpose": "incident"}),
        Event(t=100.25, kind="note", actor="system", subject="x", data={"gap": "no-runbook", "list": [1, "a", None]}),
        Event(t=200.0, kind="drill_ended", actor="system", subject="s", data={"reason": "resolved"}),
    ))


def test_json_line_is_compact_sorted_and_round_trips():
    tl = make()
    line = tl.to_json_line()
    assert "\n" not in line and ": " not in line
    doc = json.loads(line)
    assert list(doc) == sorted(doc) and doc["schema"] == SCHEMA_VERSION
    assert all(list(e) == sorted(e) for e in doc["events"])
    assert doc["started_at"] == "2026-11-02T03:00:00+01:00"
    back = Timeline.from_json_line(line)
    assert back == tl and back.to_json_line() == line
    assert isinstance(back.events[2].data["level"], int) and back.events[2].data["away"] is False
    assert back.events[2].data["value"] == 0.000123  # values in data keep their precision


def test_same_content_same_bytes_and_times_rounded_to_milliseconds():
    a = make(events=(Event(t=1.23456, kind="note", actor="a", subject="b"),))
    b = make(events=(Event(t=1.2346, kind="note", actor="a", subject="b"),))
    assert a.to_json_line() == b.to_json_line()
    assert json.loads(a.to_json_line())["events"][0]["t"] == 1.235
    assert make().to_json_line() == make().to_json_line()


def test_bad_lines_raise_timeline_error():
    with pytest.raises(TimelineError, match="invalid JSON"):
        Timeline.from_json_line("{nope")
    with pytest.raises(TimelineError, match="schema"):
        Timeline.from_json_line(json.dumps({"schema": 999}))
    doc = json.loads(make().to_json_line())
    doc["events"][0]["kind"] = "exploded"
    with pytest.raises(TimelineError, match="not a valid timeline"):
        Timeline.from_json_line(json.dumps(doc))
    doc = json.loads(make().to_json_line())
    doc["started_at"] = "2026-11-02T03:00:00"  # no offset
    with pytest.raises(TimelineError):
        Timeline.from_json_line(json.dumps(doc))


def test_jsonl_files_stream_both_ways(tmp_path):
    path = tmp_path / "runs.jsonl"
    produced = []

    def lazily():
        for i in range(5):
            produced.append(i)
            yield make(run=i)

    assert write_jsonl(path, lazily()) == 5
    reader = read_jsonl(path)
    assert inspect.isgenerator(reader)
    first = next(reader)
    assert first.run == 0
    assert [tl.run for tl in reader] == [1, 2, 3, 4]
    path.write_text(make().to_json_line() + "\n\n{broken\n")
    with pytest.raises(TimelineError, match=r"runs.jsonl:3"):
        list(read_jsonl(path))


def test_queries_for_the_scorer():
    tl = make()
    assert tl.first("page_sent").subject == "alice"
    assert tl.first("page_sent", purpose="incident", level=1).t == 70.5
    assert tl.first("page_sent", purpose="noise") is None
    assert tl.at("acknowledged", by="alice") == 100.25
    assert tl.first("drill_started", absent=None) is not None  # an absent key reads as None
    assert [e.kind for e in tl.find(t_missing=None)][:2] == ["drill_started", "impact_started"]
    assert tl.last("note").data["gap"] == "no-runbook"
    m = tl.milestones()
    assert m["impact"] == 10.0 and m["paged"] == 70.5 and m["acknowledged"] == 100.25
    assert m["mitigated"] is None and m["ended"] == 200.0
    assert all(tl.milestone(k) == v for k, v in m.items())
    with pytest.raises(KeyError):
        tl.milestone("lunch")


def test_every_event_kind_and_milestone_is_documented():
    doc = timeline_module.__doc__
    for kind in EVENT_KINDS:
        assert f"``{kind}``" in doc, kind
    for name in MILESTONES:
        assert name in doc
    assert "detected" in EVENT_KINDS


def test_the_timeline_does_not_load_the_simulator():
    code = "import sys, scenarios.timeline; assert 'simpy' not in sys.modules and 'simulator' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
