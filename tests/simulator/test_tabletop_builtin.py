"""Every built-in scenario, played as a tabletop with the example team and runbooks by a
room that does what a reasonable team would (acknowledge, start the suggested runbook
or diagnose, work the steps, post updates, contain, notify, restore, mitigate, recover,
resolve), reaches ``resolved``; its journal replays to the same timeline."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from scenarios.loader import builtin_scenarios, load_runbook, load_scenario, load_team
from scenarios.tabletop import parse_action
from scenarios.timeline import Timeline
from simulator.tabletop import Tabletop

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 3, 10, 0, tzinfo=timezone.utc)  # a Tuesday morning in Berlin
#: A minute of the drill between the room's looks at what the model waits for.
LOOK_EVERY = 60.0


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def team_and_runbooks():
    return (load_team(ROOT / "examples/team.yaml"),
            [load_runbook(p) for p in sorted((ROOT / "examples/runbooks").glob("*.yaml"))])


def room_turn(tt: Tabletop) -> list[dict]:
    """What the room does now, given what the model waits for (at most one of each)."""
    state = tt.state(facilitator=True)
    waiting = {}
    for w in state["waiting"]:
        waiting.setdefault(w["kind"], w)
    updates = state["status_page"]["updates"]
    todo = []
    if "acknowledge" in waiting:
        todo.append({"action": "acknowledge"})
    if "runbook" in waiting:
        suggested = next((d for d in tt._run.decisions if d.open and d.kind == "runbook")).details["suggested"]
        todo.append({"action": "runbook", "runbook": suggested} if suggested else {"action": "diagnosed"})
    if "step" in waiting:
        d = next(d for d in tt._run.decisions if d.open and d.kind == "step")
        todo.append({"action": "step", "runbook": d.details["runbook"], "step": d.details["step"] + 1, "ok": True})
    if "update" in waiting and (not updates or state["clock"]["t"] - updates[-1]["t"] >= 1200):
        phase = "investigating" if state["milestones"]["diagnosed"] is None else "identified"
        todo.append({"action": "update", "phase": phase, "text": "We are working on it."})
    for kind, action in (("contain", "contained"), ("restore", "restored"), ("diagnosis", "diagnosed"),
                         ("mitigation", "mitigated"), ("recovery", "recovered")):
        if kind in waiting:
            todo.append({"action": action})
    if "notify" in waiting:
        todo.append({"action": "notify", "party": waiting["notify"]["subject"]})
    m = state["milestones"]
    # (not the first resolution: a stage found later re-opens the incident, to be resolved again)
    if m["recovered"] is not None and not tt._run.resolved and not {"contain", "notify"} & set(waiting):
        todo.append({"action": "resolved", "text": "All clear."})
    return todo


def play(path: Path, team, runbooks) -> Tabletop:
    clock = Clock()
    tt = Tabletop(load_scenario(path), team, runbooks, start=START, seed=11, speed=10, monotonic=clock)
    tt.act(parse_action({"action": "start"}), facilitator=True)
    for _ in range(100000):
        # a minute of the drill; with nothing to do, on to the model's next moment (a fast-forward)
        idle = not any(d.open for d in tt._run.decisions)
        step = max(LOOK_EVERY, tt._run.env.peek() - tt.now) if idle else LOOK_EVERY
        # a breach found after weeks, or a stage of it found after the rest was resolved:
        # on to the next scripted moment
        if idle and (not tt._run.detected or tt._run.resolved):
            fallback = tt.scenario.detection_fallback
            moments = [i.at for i in tt.scenario.injects if i.at is not None and i.at > tt.now]
            if fallback and tt._run.impact_t is not None and tt._run.impact_t + fallback.after > tt.now:
                moments.append(tt._run.impact_t + fallback.after)
            step = max(step, min(moments, default=step) - tt.now)
        clock.t += step / 10
        tt.tick()
        for action in ([] if idle and not any(d.open for d in tt._run.decisions) else room_turn(tt)):
            tt.act(parse_action(action))
        if tt._run.finished:
            break
    tt.act(parse_action({"action": "end"}), facilitator=True)
    tt.act(parse_action({"action": "hotwash", "kind": "strength", "text": "We kept talking."}))
    tt.act(parse_action({"action": "finish"}), facilitator=True)
    return tt


@pytest.mark.parametrize("path", builtin_scenarios(), ids=lambda p: p.stem)
def test_a_builtin_scenario_played_by_a_reasonable_room_is_resolved(path, team_and_runbooks):
    team, runbooks = team_and_runbooks
    tt = play(path, team, runbooks)
    tl = tt.timeline()
    sc = load_scenario(path)
    assert tl.mode == "tabletop"
    ended = tl.events[-1]
    assert (ended.kind, ended.data) == ("drill_ended", {"reason": "resolved"})
    for milestone in ("detected", "acknowledged", "diagnosed", "mitigated", "recovered", "resolved"):
        assert tl.milestone(milestone) is not None, milestone
    if sc.kind == "breach" or sc.breach is not None:
        assert tl.first("contained") is not None
        assert {e.data["who"] for e in tl.events if e.kind == "notified"} == {n.who for n in sc.breach.notify}
    if any(b.works for b in sc.backups):
        assert tl.first("restored_data") is not None
    # every event is what the vocabulary says, and the line reads back the same
    from scenarios.events import check_payload
    for e in tl.events:
        check_payload(e.kind, e.data)
    assert Timeline.from_json_line(tl.to_json_line()) == tl
    assert tt.phase == "finished" and tt.hotwash()[0]["text"] == "We kept talking."

    again = Tabletop.resume(tt.header(), tt.entries(), sc, team, runbooks, monotonic=Clock())
    assert again.timeline().events == tl.events
    assert again.phase == "finished"
