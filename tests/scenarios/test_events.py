"""The typed event vocabulary: what the simulator writes passes the producers' strict
check and dumps back to the same bytes; the checks refuse what the vocabulary does not
hold; typed reads see what the data says."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scenarios import builtin_scenarios, load_runbook, load_scenario, load_team, yaml_files
from scenarios import events as ev
from scenarios.timeline import EVENT_KINDS, Timeline, TimelineError

ROOT = Path(__file__).resolve().parents[2]
TEAM = ROOT / "examples" / "team.yaml"
RUNBOOKS = ROOT / "examples" / "runbooks"
SCENARIOS = builtin_scenarios()


def _bytes(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_every_kind_has_one_payload_type():
    assert tuple(ev.PAYLOADS) == EVENT_KINDS


@pytest.fixture(scope="module")
def example():
    return load_team(TEAM), [load_runbook(p) for p in yaml_files(RUNBOOKS)]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_simulated_events_pass_the_producer_check_and_dump_to_the_same_bytes(path, example):
    from simulator import simulate_many

    tm, runbooks = example
    sc = load_scenario(path)
    seen = set()
    for seed in (1, 7, 2026):
        start = datetime(2026, 11, 2, tzinfo=timezone.utc)
        for tl in simulate_many(sc, tm, runbooks, runs=3, seed=seed, start=start, window=28 * 86400, horizon=14 * 86400):
            for e in tl.events:
                typed = ev.check_payload(e.kind, e.data)
                assert _bytes(ev.dump(typed)) == _bytes(e.data), (e.kind, e.data)
                assert e.payload == ev.payload_of(e.kind, e.data)
                seen.add(e.kind)
    assert {"drill_started", "page_sent", "drill_ended"} <= seen


def _page(**changes) -> dict:
    data = {"page": 3, "to": "alice", "purpose": "incident", "target": "rotation:primary", "channel": None,
            "delivered_after": None, "period": "asleep", "timezone": "Europe/Berlin", "away": False, "level": 1}
    data.update(changes)
    return data


def test_checked_event_keeps_nulls_that_are_written_and_leaves_out_unset_optionals():
    e = ev.checked_event(12.3456, "page_sent", "paging", "alice", _page())
    assert e.t == 12.346
    assert e.data == _page()  # channel and delivered_after stay, as null; policy, round, … absent
    assert "policy" not in e.data and e.data["channel"] is None
    assert e.payload.purpose is ev.Purpose.INCIDENT and e.payload.level == 1


def test_checked_event_takes_a_payload_object():
    p = ev.StatusUpdate(phase=ev.Phase.MONITORING, public=True, n=2)
    e = ev.checked_event(60, "status_update", "alice", "sc", p)
    assert e.data == {"phase": "monitoring", "public": True, "n": 2}
    assert type(e.data["phase"]) is str


@pytest.mark.parametrize("change, field", [
    ({"purpose": "incidnt"}, "data.purpose"),
    ({"channel": 5}, "data.channel"),
    ({"away": "no"}, "data.away"),
    ({"pager": 1}, "data.pager"),
    ({"level": 1.5}, "data.level"),
])
def test_the_producer_check_names_the_field(change, field):
    with pytest.raises(ev.EventError) as info:
        ev.checked_event(1.0, "page_sent", "paging", "alice", _page(**change))
    assert field in str(info.value)
    assert isinstance(info.value, ev.DrillbitError)


def test_the_producer_check_wants_every_required_field():
    data = _page()
    del data["period"]
    with pytest.raises(ev.EventError, match="data.period"):
        ev.checked_event(1.0, "page_sent", "paging", "alice", data)


def test_the_producer_check_refuses_an_unknown_kind_and_a_bad_time():
    with pytest.raises(ev.EventError, match="kind"):
        ev.checked_event(1.0, "page_snt", "paging", "alice", {})
    with pytest.raises(ev.EventError, match="t:"):
        ev.checked_event(-1.0, "recovered", "system", "sc", {})


def test_a_number_keeps_its_type():
    e = ev.checked_event(5, "step_finished", "alice", "x", {"runbook": "r", "step": 0, "attempt": 1, "ok": True, "took": 90})
    assert type(e.data["took"]) is int


def test_words_equal_their_strings():
    assert ev.Purpose.INCIDENT == "incident" and json.dumps(ev.MissReason.NO_ANSWER) == '"no-answer"'
    assert [g.value for g in ev.Gap][0] == "no-runbook" and ev.Gap.UNDETECTED == "undetected"


def _line(data: dict, kind: str = "page_sent") -> str:
    return json.dumps({"schema": 1, "scenario": "s", "mode": "live", "started_at": "2026-11-02T03:00:00+01:00",
                       "events": [{"t": 1, "kind": kind, "actor": "paging", "subject": "alice", "data": data}]})


def test_a_reader_ignores_an_unknown_field_and_writes_it_back():
    line = _line(_page(mood="sleepy"))
    tl = Timeline.from_json_line(line)
    assert tl.events[0].payload.to == "alice" and not hasattr(tl.events[0].payload, "mood")
    assert json.loads(tl.to_json_line())["events"][0]["data"]["mood"] == "sleepy"


def test_a_reader_reads_a_missing_field_as_none():
    tl = Timeline.from_json_line(_line({"purpose": "severity"}))
    assert tl.events[0].payload.purpose == ev.Purpose.SEVERITY and tl.events[0].payload.to is None


@pytest.mark.parametrize("data, words", [
    ({"purpose": "incidnt"}, ["events[0].data.purpose: expected one of", "did you mean 'incident'"]),
    ({"away": 1}, ["events[0].data.away"]),
    ({"to": "x" * 20_000}, ["events[0].data.to", "10000"]),
])
def test_a_reader_refuses_a_known_field_of_the_wrong_type(data, words):
    with pytest.raises(TimelineError) as info:
        Timeline.from_json_line(_line(data))
    for w in words:
        assert w in str(info.value)


def test_a_reader_names_an_unknown_kind():
    with pytest.raises(TimelineError, match=r"events\[0\]\.kind: expected one of .*did you mean 'page_sent'"):
        Timeline.from_json_line(_line({}, kind="page_snt"))


def test_the_payload_is_built_once():
    tl = Timeline.from_json_line(_line(_page()))
    assert tl.events[0].payload is tl.events[0].payload
    assert tl.events[0] == Timeline.from_json_line(_line(_page())).events[0]  # the cache is not part of equality


def test_a_copy_with_other_data_reads_its_own_payload():
    e = Timeline.from_json_line(_line(_page())).events[0]
    assert e.payload.to == "alice"
    assert e.model_copy(update={"data": _page(to="bob")}).payload.to == "bob"
    assert e.payload.to == "alice"
