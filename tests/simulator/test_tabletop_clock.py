"""The drill clock of a tabletop: speed, pause, injects on the clock, conditional injects,
hold and release; the scorer's view of what the room did (hand-computed times)."""

from __future__ import annotations

import pytest

from scoring import score
from simkit import scenario, team
from simulator.tabletop import CHECKPOINT_EVERY, TabletopError
from tabletop_kit import DETECTED, TEAM, WEB_DOWN, act, kinds, run_to, session, started


def cards(tt) -> dict[str, tuple[float, str | None]]:
    return {e.subject: (e.t, e.data.get("condition")) for e in tt.timeline().events if e.kind == "inject"}


def test_at_speed_5_an_inject_at_10m_arrives_after_120_wall_seconds_and_not_before():
    tt, clock = session(speed=5)
    tt.act(act(action="start"), facilitator=True)
    clock.wait(119.9)
    tt.tick()
    assert tt.now == pytest.approx(599.5) and "Customers call" not in cards(tt)
    clock.wait(0.1)
    tt.tick()
    assert tt.now == 600.0 and cards(tt)["Customers call"] == (600.0, None)


def test_the_drill_clock_runs_at_the_speed_and_pause_freezes_it():
    tt, clock = started(speed=2)
    clock.wait(50)
    assert tt.now == 100.0 and tt.phase == "running"
    tt.tick()
    tt.act(act(action="pause"), facilitator=True)
    events = len(tt.timeline().events)
    clock.wait(500)
    assert tt.now == 100.0 and tt.tick() == [] and len(tt.timeline().events) == events
    tt.act(act(action="resume"), facilitator=True)
    clock.wait(10)
    assert tt.now == 120.0
    tt.act(act(action="speed", factor=10), facilitator=True)
    clock.wait(10)
    assert tt.now == 220.0
    state = tt.state(facilitator=False)["clock"]
    assert state["speed"] == 10 and state["running"] and state["t"] == 220.0
    assert state["now_wall"] == "2026-01-05T12:03:40+00:00"


def test_nothing_moves_before_the_start():
    tt, clock = session()
    clock.wait(3600)
    assert tt.now == 0.0 and tt.tick() == [] and tt.phase == "ready"
    assert kinds(tt) == ["drill_started"]


def test_acknowledged_at_240s_scores_tta_from_the_page_at_detection():
    tt, clock = started()
    run_to(tt, clock, 240.0)
    tl = tt.timeline()
    page = tl.first("page_sent")
    assert page.t == DETECTED and tl.first("detected").t == DETECTED  # 60s first tick + 2m 'for'
    tt.act(act(action="acknowledge"))
    tl = tt.timeline()
    ack = tl.first("acknowledged")
    assert (ack.t, ack.data["by"], ack.data["purpose"]) == (240.0, "alice", "incident")
    assert tl.first("responder_engaged").t == 240.0  # whoever acknowledges is in the room
    values = score(tl, scenario(WEB_DOWN), team(TEAM)).metrics.values
    assert values["tta"] == pytest.approx(240.0 - DETECTED)
    assert values["ttd"] == pytest.approx(DETECTED - 0.0)  # the fault (impact) is at 0s


@pytest.mark.parametrize("ack_at, fires", [(240.0, False), (899.0, False), (None, True)])
def test_a_not_acknowledged_by_15m_inject_fires_iff_nobody_acknowledged_by_900s(ack_at, fires):
    tt, clock = started()
    if ack_at is not None:
        run_to(tt, clock, ack_at)
        tt.act(act(action="acknowledge"))
    run_to(tt, clock, 899.999)
    assert "Still nobody" not in cards(tt)
    run_to(tt, clock, 900.0)
    assert ("Still nobody" in cards(tt)) is fires
    if fires:
        assert cards(tt)["Still nobody"] == (900.0, "not_acknowledged_by 15m")
        assert tt.state(facilitator=True)["injects"][3]["status"] == "released"
    else:
        assert tt.state(facilitator=True)["injects"][3]["status"] == "skipped"


@pytest.mark.parametrize("update_at", [300.0, None])
def test_updated_by_and_not_updated_by_fire_on_whether_an_update_was_posted(update_at):
    tt, clock = started()
    run_to(tt, clock, 240.0)
    tt.act(act(action="acknowledge"))
    if update_at is not None:
        run_to(tt, clock, update_at)
        tt.act(act(action="update", phase="investigating", text="Checkout is down; we are on it"))
    run_to(tt, clock, 1200.0)
    got = cards(tt)
    if update_at is None:
        assert got["Silence on the status page"] == (1200.0, "not_updated_by 20m")
        assert "The press read your update" not in got
    else:
        assert got["The press read your update"] == (1200.0, "updated_by 20m")
        assert "Silence on the status page" not in got
        update = tt.timeline().first("status_update")
        assert (update.t, update.actor) == (300.0, "alice")
        assert update.data == {"phase": "investigating", "public": False, "n": 1, "text": "Checkout is down; we are on it"}


def test_a_held_inject_is_not_delivered_at_its_time_and_release_delivers_it_then_once():
    tt, clock = session()
    tt.act(act(action="hold", inject=2), facilitator=True)  # before the start: held from the outset
    tt.act(act(action="start"), facilitator=True)
    run_to(tt, clock, 700.0)
    assert "Customers call" not in cards(tt)
    assert tt.state(facilitator=True)["injects"][2]["status"] == "held"
    # the team sees the delivered signal, not the fault (what broke is the room's to find out)
    assert [i["index"] for i in tt.state(facilitator=False)["injects"]] == [1]
    tt.act(act(action="release", inject=2), facilitator=True)
    assert cards(tt)["Customers call"] == (700.0, "released by the facilitator")
    with pytest.raises(TabletopError, match="inject 2 was delivered already"):
        tt.act(act(action="release", inject=2), facilitator=True)
    run_to(tt, clock, 1000.0)
    assert [e.t for e in tt.timeline().events if e.kind == "inject" and e.subject == "Customers call"] == [700.0]
    [item] = [i for i in tt.state(facilitator=False)["injects"] if i["index"] == 2]
    assert (item["index"], item["status"], item["released_t"], item["questions"]) == (2, "released", 700.0, ["Who tells support?"])
    assert "facilitator" not in item


def test_a_held_conditional_inject_waits_for_its_release():
    tt, clock = started()
    tt.act(act(action="hold", inject=3), facilitator=True)
    run_to(tt, clock, 1000.0)
    assert "Still nobody" not in cards(tt)
    tt.act(act(action="release", inject=3), facilitator=True)
    assert cards(tt)["Still nobody"] == (1000.0, "released by the facilitator")


def test_release_delivers_an_inject_before_its_time():
    tt, clock = started()
    run_to(tt, clock, 60.0)
    tt.act(act(action="release", inject=2), facilitator=True)
    run_to(tt, clock, 900.0)
    assert [e.t for e in tt.timeline().events if e.kind == "inject" and e.subject == "Customers call"] == [60.0]


def test_checkpoints_are_journaled_every_few_wall_seconds_while_running():
    tt, clock = started()
    for _ in range(4):
        clock.wait(CHECKPOINT_EVERY / 2)
        tt.tick()
    checkpoints = [e for e in tt.entries() if e.get("clock")]
    assert [e["t"] for e in checkpoints] == [CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY]
    assert [e["n"] for e in tt.entries()] == [1, 2, 3]
