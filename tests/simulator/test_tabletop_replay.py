"""A tabletop rebuilt from its journal records the same events as the original; scripts
are taken exactly at their times; watchers see every change; the state has the shape
both views render."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from scenarios.tabletop import parse_action
from simkit import runbook, scenario, team
from simulator.tabletop import JOURNAL_VERSION, Tabletop, TabletopError
from tabletop_kit import MONDAY, RESTART, TEAM, WEB_DOWN, FakeClock, act, run_to, session, started


def drive(tt: Tabletop, clock: FakeClock, seed: int) -> None:
    """A drill with ticks at irregular wall times and actions between them."""
    rng = np.random.default_rng(seed)
    plan = [
        (0, "facilitator", {"action": "hold", "inject": 2}),
        (0, "facilitator", {"action": "start"}),
        (3, "facilitator", {"action": "speed", "factor": 5}),
        (60, "room", {"action": "acknowledge"}),
        (61, "room", {"action": "update", "phase": "investigating", "text": "Looking"}),
        (62, "facilitator", {"action": "pause"}),
        (90, "room", {"action": "note", "text": "Talked it through while paused"}),
        (95, "facilitator", {"action": "resume"}),
        (100, "room", {"action": "runbook", "runbook": "restart-web"}),
        (130, "room", {"action": "step", "runbook": "restart-web", "step": 1, "ok": True}),
        (150, "facilitator", {"action": "release", "inject": 2}),
        (170, "room", {"action": "step", "runbook": "restart-web", "step": 2, "ok": True}),
        (171, "room", {"action": "severity", "level": "P0"}),
        (200, "room", {"action": "step", "runbook": "restart-web", "step": 3, "ok": True}),
        (260, "room", {"action": "recovered"}),
        (300, "room", {"action": "resolved"}),
        (301, "facilitator", {"action": "end"}),
        (302, "room", {"action": "hotwash", "kind": "improvement", "text": "Page the IC sooner"}),
    ]
    for wall, who, action in plan:
        while clock.t - 1000.0 < wall:  # irregular ticks up to the action's wall second
            clock.wait(float(rng.uniform(0.05, 2.0)))
            if clock.t - 1000.0 >= wall:
                clock.t = 1000.0 + wall
            tt.tick()
        tt.act(parse_action(action), facilitator=who == "facilitator")


@pytest.mark.parametrize("seed", [1, 2])
def test_a_drill_resumed_from_its_journal_records_the_same_events(seed):
    tt, clock = session(seed=seed)
    drive(tt, clock, seed)
    assert tt.phase == "hotwash" and tt.timeline().events[-1].data == {"reason": "resolved"}
    # the journal as a file would hold it: JSON lines
    header = json.loads(json.dumps(tt.header()))
    entries = [json.loads(json.dumps(e)) for e in tt.entries()]
    assert header == {"tabletop": JOURNAL_VERSION, "scenario": "web-down", "team": "web-team", "seed": seed,
                      "start": "2026-01-05T12:00:00+00:00", "speed": 1}
    again = Tabletop.resume(header, entries, scenario(WEB_DOWN), team(TEAM), [runbook(RESTART)], monotonic=FakeClock())
    original, replayed = tt.timeline().events, again.timeline().events
    assert len(replayed) == len(original)
    for a, b in zip(original, replayed):
        assert a == b
    assert again.entries() == tt.entries()
    assert again.hotwash() == tt.hotwash() and again.phase == "hotwash"


def test_a_drill_resumed_mid_way_continues_paused_where_it_was():
    tt, clock = started(speed=2)
    run_to(tt, clock, 240.0)
    tt.act(act(action="acknowledge"))
    run_to(tt, clock, 300.0)  # a checkpoint or two, nothing else
    clock2 = FakeClock()
    again = Tabletop.resume(tt.header(), tt.entries(), scenario(WEB_DOWN), team(TEAM), [runbook(RESTART)], monotonic=clock2)
    last = tt.entries()[-1]["t"]
    assert again.phase == "paused" and again.now == last and again.timeline().events == tt.timeline().events[:len(again.timeline().events)]
    clock2.wait(100)
    assert again.now == last  # paused until the facilitator resumes
    again.act(act(action="resume"), facilitator=True)
    clock2.wait(30)
    again.tick()
    assert again.now == last + 30 * 2  # at the speed of the journal's last speed


def test_a_journal_of_another_drill_is_refused():
    tt, _ = started()
    sc, tm, rbs = scenario(WEB_DOWN), team(TEAM), [runbook(RESTART)]
    with pytest.raises(TabletopError, match="not a tabletop journal"):
        Tabletop.resume({"timeline": 1}, [], sc, tm, rbs)
    with pytest.raises(TabletopError, match="the journal is of scenario 'other', not 'web-down'"):
        Tabletop.resume({**tt.header(), "scenario": "other"}, [], sc, tm, rbs)
    with pytest.raises(TabletopError, match="the journal is of team 'x', not 'web-team'"):
        Tabletop.resume({**tt.header(), "team": "x"}, [], sc, tm, rbs)
    bad = [{"n": 1, "t": 0.0, "wall": "w", "by": "room", "action": {"action": "acknowledge"}}]
    with pytest.raises(TabletopError, match="journal entry 1: the drill has not started"):
        Tabletop.resume(tt.header(), bad, sc, tm, rbs)
    with pytest.raises(TabletopError, match="journal entry 1: unknown action 'dance'"):
        Tabletop.resume(tt.header(), [{"n": 1, "t": 0, "by": "room", "action": {"action": "dance"}}], sc, tm, rbs)


# -- scripts ------------------------------------------------------------------------------
SCRIPT = [(0.0, {"action": "start"}), (240.0, {"action": "acknowledge"}),
          (300.0, {"action": "update", "phase": "investigating", "text": "On it"}),
          (360.0, {"action": "diagnosed"}), (900.0, {"action": "mitigated"}),
          (1500.0, {"action": "recovered"}), (1560.0, {"action": "resolved"}),
          (1600.0, {"action": "end"}), (1600.0, {"action": "finish"})]


def scripted(tt: Tabletop) -> None:
    tt.schedule([(t, parse_action(a)) for t, a in SCRIPT])


def test_play_through_takes_each_scripted_action_at_its_time():
    tt, _ = session()
    scripted(tt)
    tt.play_through()
    tl = tt.timeline()
    assert tl.mode == "tabletop" and tt.phase == "finished"
    assert [tl.milestone(m) for m in ("acknowledged", "first_update", "diagnosed", "mitigated", "recovered", "resolved")] \
        == [240.0, 300.0, 360.0, 900.0, 1500.0, 1560.0]
    assert [(e["t"], e["by"]) for e in tt.entries()] == [(t, "script") for t, _ in SCRIPT]


def test_ticks_take_scripted_actions_exactly_at_their_times_on_the_wall_clock():
    tt, clock = session(speed=10)
    scripted(tt)
    tt.tick()  # the script's start at 0s
    assert tt.phase == "running"
    clock.wait(100)  # drill 1000s: the acknowledgement, the update and the diagnosis were due
    tt.tick()
    tl = tt.timeline()
    assert (tl.milestone("acknowledged"), tl.milestone("first_update"), tl.milestone("diagnosed")) == (240.0, 300.0, 360.0)
    assert tl.milestone("mitigated") == 900.0 and tl.milestone("recovered") is None
    actions = [(e["t"], e["action"]["action"]) for e in tt.entries() if not e.get("clock")]
    assert actions == [(0.0, "start"), (240.0, "acknowledge"), (300.0, "update"), (360.0, "diagnosed"), (900.0, "mitigated")]


def test_the_same_script_played_through_or_ticked_records_the_same_timeline():
    a, _ = session()
    scripted(a)
    a.play_through()
    b, clock = session(speed=5)
    scripted(b)
    for _ in range(400):
        clock.wait(0.9)
        b.tick()
    assert b.phase == "finished" and b.timeline().events == a.timeline().events


def test_a_script_action_in_the_past_is_refused_and_a_bad_one_names_its_time():
    tt, clock = started()
    run_to(tt, clock, 100.0)
    with pytest.raises(TabletopError, match=r"a script action \(acknowledge\) at 50s is in the past: the drill is at 100s"):
        tt.schedule([(50.0, parse_action({"action": "acknowledge"}))])
    tt.schedule([(120.0, parse_action({"action": "acknowledge"}))])
    with pytest.raises(TabletopError, match=r"script action at 120s \(acknowledge\): nothing to acknowledge"):
        tt.play_through()


# -- watching -----------------------------------------------------------------------------
def test_watchers_see_every_event_and_entry_and_wait_for_changes():
    tt, clock = session()
    events, entries = [], []
    unsubscribe = tt.subscribe(on_event=events.append, on_entry=entries.append)
    assert [e.kind for e in events] == ["drill_started"]  # those so far first
    v = tt.version
    woke: list[int] = []
    waiter = threading.Thread(target=lambda: woke.append(tt.wait_changed(v, timeout=10)))
    waiter.start()
    tt.act(act(action="start"), facilitator=True)
    waiter.join(timeout=10)
    assert not waiter.is_alive() and woke and woke[0] > v
    run_to(tt, clock, 240.0)
    tt.act(act(action="acknowledge"))
    assert events == list(tt.timeline().events) and entries == tt.entries()
    assert tt.wait_changed(tt.version, timeout=0) == tt.version  # nothing new: back at once
    unsubscribe()
    tt.act(act(action="note", text="unseen"))
    assert len(events) == len(tt.timeline().events) - 1 and len(entries) == len(tt.entries()) - 1


# -- the state both views render -------------------------------------------------------------
TOP = {"version", "phase", "scenario", "team", "clock", "severity", "injects", "signals", "alerts", "pages", "waiting",
       "runbooks", "status_page", "members", "severities", "parties", "milestones", "record", "hotwash"}
INJECT = {"index", "at", "when", "what", "title", "body", "status", "released_t", "condition", "questions"}


def test_the_state_has_the_documented_shape_and_the_team_view_hides_the_facilitators_part():
    tt, clock = started()
    tt.act(act(action="hold", inject=4), facilitator=True)
    run_to(tt, clock, 700.0)
    tt.act(act(action="acknowledge"))
    fac, room = tt.state(facilitator=True), tt.state(facilitator=False)
    json.dumps(fac), json.dumps(room)
    for view in (fac, room):
        assert set(view) == TOP
        assert set(view["clock"]) == {"t", "speed", "running", "start", "now_wall"}
        assert set(view["scenario"]) == {"id", "title", "kind", "severity", "summary"}
        assert set(view["status_page"]) == {"components", "updates"}
        assert set(view["milestones"]) == {"detected", "acknowledged", "diagnosed", "mitigated", "recovered", "resolved"}
        for key, fields in (("signals", {"t", "kind", "metric", "value", "text", "source"}),
                            ("alerts", {"alert", "severity", "state", "t"}),
                            ("pages", {"page", "to", "name", "purpose", "t", "state"}),
                            ("record", {"n", "t", "kind", "actor", "subject", "text"})):
            assert view[key] and all(set(item) == fields for item in view[key]), key
    assert [(i["index"], i["status"]) for i in fac["injects"]] == [
        (0, "released"), (1, "released"), (2, "released"), (3, "upcoming"), (4, "held"), (5, "upcoming")]
    assert all(set(i) == INJECT | {"facilitator"} for i in fac["injects"])
    assert fac["injects"][2]["facilitator"] == "Ask who talks to support."
    assert [i["index"] for i in room["injects"]] == [1, 2]  # no fault, nothing held or upcoming
    assert all(set(i) == INJECT for i in room["injects"])
    assert fac["waiting"] and room["waiting"] == []
    assert fac["milestones"]["detected"] == 180.0 and fac["milestones"]["acknowledged"] == 700.0
    assert fac["pages"][0] == {"page": 1, "to": "alice", "name": "Alice", "purpose": "incident", "t": 180.0,
                               "state": "acknowledged"}
    assert {p["page"]: p["state"] for p in fac["pages"]}[2] == "open"  # bob, the incident commander
    assert fac["alerts"] == [{"alert": "WebDown", "severity": "P1", "state": "firing", "t": 180.0}]
    assert fac["members"][1] == {"id": "bob", "name": "Bob", "roles": ["incident-commander"]}
    assert fac["severities"] == ["P1", "P0"] and "regulator" in fac["parties"]
    assert any(r["kind"] == "fault_applied" for r in fac["record"])
    assert not any(r["kind"] in ("fault_applied", "impact_started", "detected") for r in room["record"])
    assert fac["runbooks"] == [{"id": "restart-web", "title": "Restart the web tier", "started": False, "steps": [
        {"step": 1, "do": "Drain the load balancer", "state": "pending"},
        {"step": 2, "do": "Restart the web pods", "state": "pending"},
        {"step": 3, "do": "Check the error rate", "state": "pending"}]}]
    assert fac["status_page"] == {"components": [{"service": "web", "status": "operational"}], "updates": []}


def test_a_script_scheduled_again_on_a_resumed_drill_continues_where_it_left_off():
    whole, _ = session()
    scripted(whole)
    whole.play_through()
    tt, clock = session(speed=10)
    scripted(tt)
    tt.tick()
    clock.wait(100)  # drill 1000s: five of the script's actions taken
    tt.tick()
    again = Tabletop.resume(tt.header(), tt.entries(), scenario(WEB_DOWN), team(TEAM), [runbook(RESTART)],
                            monotonic=FakeClock())
    scripted(again)
    again.play_through()
    assert again.phase == "finished" and again.timeline().events == whole.timeline().events
    assert [e["action"]["action"] for e in again.entries() if not e.get("clock")] == [a["action"] for _, a in SCRIPT]
