"""An open run: advanced step by step or in real time, watched by subscribers, with
some of the responder's decisions made by hand; and the same bytes as a closed run."""

from __future__ import annotations

import math
import time
from datetime import timedelta

import numpy as np
import pytest

from byte_cases import CASES, START, case_sha256, case_sha256_without_updates, inputs, jsonl_sha256, without_updates
from simkit import API_DOWN, MONDAY, TWO_LEVEL_TEAM, rng, runbook, scenario, simulate, team
from scenarios.timeline import Timeline
from scoring import score
from simulator import (AskingResponder, DecisionError, OpenRun, Plan, SimulatedResponder, SimulationError,
                       run_generator)

#: sha256 of the JSON Lines of each batch in byte_cases.CASES without their status
#: updates. The digests of whole runs were first produced by the untouched engine of
#: commit 80495a3 (before the open run existed), then again on purpose as issue 14
#: changed the model: people on the incident are not paged for it again, and the
#: response model (recovery from mitigation alongside the runbook, missing skills that
#: cost time, diagnosis as its own work). These are produced by the engine of that
#: state, before updates followed the phase cadence:
#:     cd <checkout of 6f5c454> && PYTHONPATH=. python tests/simulator/byte_cases.py
#: (this file's byte_cases.py, copied there). The updates themselves now follow the
#: phase cadence (tests/simulator/test_cadence.py); everything else in a run must be
#: what that engine made of it.
EXPECTED = {
    "outage": "7bba4cb7243ea4c3910749465e18b8dff1a2bc4527329873a589c134ade953b2",
    "outage-window": "d6bc1732bc2e629e81fe5f73efcddee570a60010f6f7b4d1de5971da194907ae",
    "outage-improvised": "5a6c92af37f660b06ad0f0accd4291e4e6907235b31256d12aca9b044f8941e3",
    "data-loss-window": "51637301900bb218c41e4891b78c60bdd48866def5251e470e96ff004863e479",
    "data-loss-improvised": "ecd578766f948d10c11566372d27514fd22d6cbdfbf97057835ca1fad23dd28b",
    "breach-window": "4be6e362da27a53411ead5d02c770ffebc67cb14ac420ce11c213d6c5b2d0219",
    "ransomware-two-workers": "ca792f4abb69380ebf7b10f78d4d8420fbb9f62407312900adebf7a81d1a5665",
    "waf-two-workers": "5ba912654273b544cf543e7996a1c682d9b15efc8022c5a108cb252e2865471e",
}

IMPROVISED = API_DOWN + """
diagnosis: {improvised: 20m}
mitigation: {improvised: 40m}
recovery: {after_mitigation: 1h}
"""

PG_RUNBOOK = """
id: pg
title: Postgres
triggers: {alerts: [ApiDown]}
mitigates: true
steps:
  - {do: Fail over the database, takes: 10m, succeeds: 0.5, on_failure: {retry: 1, then: abort}}
"""


def open_(sc_text: str = IMPROVISED, runbooks=(), *, seed: int = 4, asks=None, **kw) -> OpenRun:
    responder = AskingResponder(asks) if asks is not None else None
    return OpenRun(Plan(scenario(sc_text), team(TWO_LEVEL_TEAM), list(runbooks)), MONDAY, rng(seed),
                   responder=responder, **kw)


def kinds(events) -> list[str]:
    return [e.kind for e in events]


def advance_until_asked(run: OpenRun, kind: str, step: float = 60.0):
    while not run.done:
        asked = [d for d in run.pending() if d.kind == kind]
        if asked:
            return asked
        run.advance(to=run.now + step)
    raise AssertionError(f"the run ended without asking for {kind}")


# -- (a) step by step, decisions by hand ---------------------------------------------------
def test_a_run_driven_by_hand_is_scored_from_the_times_chosen():
    sc, tm = scenario(IMPROVISED), team(TWO_LEVEL_TEAM)
    run = OpenRun(Plan(sc, tm, []), MONDAY, rng(4), responder=AskingResponder({"acknowledge", "mitigation"}))
    first = run.advance(to=60)
    assert run.now == 60.0 and first[0].kind == "drill_started"
    page = next(e for e in first if e.kind == "page_sent")
    assert page.data["to"] == "alice" and page.t <= 60
    [ask] = run.pending()
    assert (ask.kind, ask.who, ask.details["page"], ask.asked_at) == ("acknowledge", "alice", page.data["page"], page.t)

    # nobody answers by themselves: the page waits for the decision
    assert "acknowledged" not in kinds(run.advance(to=250)) and run.pending() == [ask]
    run.decide(ask)  # alice acknowledges at 250s
    acked = next(e for e in run.advance(to=300) if e.kind == "acknowledged")
    assert acked.t == 250.0 and acked.actor == "alice" and not ask.open

    # engagement and the improvised diagnosis are simulated; mitigation is declared by hand
    [mitigation] = advance_until_asked(run, "mitigation")
    assert mitigation.who == "alice" and run.timeline().first("diagnosed").data == {"how": "improvised"}
    declared = float(math.ceil(run.now / 60) * 60 + 600)
    assert "mitigated" not in kinds(run.advance(to=declared))
    run.decide(mitigation.id)
    run.advance()
    assert run.done and run.pending() == []

    tl = run.timeline(seed=4)
    assert tl.first("mitigated").t == declared and tl.first("mitigated").data == {"how": "improvised"}
    values = score(tl, sc, tm).metrics.values
    assert values["tta"] == pytest.approx(250.0 - page.t, abs=1e-9)
    assert values["ttm"] == pytest.approx(declared - 0.0, abs=1e-9)  # impact starts at 0s
    assert tl.milestone("recovered") == pytest.approx(declared + 3600.0, abs=1e-3)  # recovery: 1h after mitigation
    assert Timeline.from_json_line(tl.to_json_line()) == tl


def test_runbook_and_step_outcomes_decided_by_hand():
    run = open_(API_DOWN, [runbook(PG_RUNBOOK)], asks={"runbook", "step"})
    [choice] = advance_until_asked(run, "runbook")
    assert choice.details == {"suggested": "pg", "runbooks": ("pg",)}
    with pytest.raises(DecisionError, match="unknown runbook 'nope'"):
        run.decide(choice, "nope")
    assert choice.open
    run.decide(choice, "pg")

    [first] = advance_until_asked(run, "step")
    lead = run.timeline().first("responder_engaged", role="responder").actor
    assert (first.who, first.subject, first.details) == (lead, "Fail over the database",
                                                        {"runbook": "pg", "step": 0, "attempt": 1})
    failed_at = run.now + 120
    run.advance(to=failed_at)
    run.decide(first, False)
    [second] = advance_until_asked(run, "step")
    assert second.details["attempt"] == 2
    worked_at = run.now + 300
    run.advance(to=worked_at)
    second.answer(True)
    run.advance()
    tl = run.timeline()
    started = tl.find("step_started")
    finished = [(e.t, e.data["attempt"], e.data["ok"], e.data["took"]) for e in tl.find("step_finished")]
    assert finished == [(failed_at, 1, False, round(failed_at - started[0].t, 3)),
                        (worked_at, 2, True, round(worked_at - started[1].t, 3))]
    assert tl.first("mitigated").t == worked_at and tl.first("mitigated").data == {"how": "runbook", "runbook": "pg"}
    with pytest.raises(DecisionError, match="made already"):
        second.answer(True)


def test_a_person_may_improvise_although_a_runbook_matches():
    run = open_(IMPROVISED, [runbook(PG_RUNBOOK)], asks={"runbook"})
    [choice] = advance_until_asked(run, "runbook")
    run.decide(choice, None)
    run.advance()
    tl = run.timeline()
    assert tl.first("runbook_started") is None and tl.first("diagnosed").data == {"how": "improvised"}
    assert tl.first("note", gap="no-runbook") is None  # a runbook matched: a choice, not a gap


def test_a_page_left_unanswered_times_out_and_its_decision_is_withdrawn():
    run = open_(asks={"acknowledge"})
    [alice] = advance_until_asked(run, "acknowledge")
    run.advance(to=alice.asked_at + 600)  # the first level's timeout
    assert not alice.open and alice.withdrawn
    with pytest.raises(DecisionError, match="withdrawn"):
        run.decide(alice)
    [bob] = run.pending()
    assert bob.who == "bob"
    missed = run.timeline().first("page_missed")
    assert (missed.t, missed.data["to"], missed.data["reason"]) == (alice.asked_at + 600, "alice", "no-answer")
    run.decide(bob.id, True)
    run.advance(to=run.now)
    assert run.timeline().first("acknowledged").actor == "bob"


def test_every_decision_can_be_asked_and_the_run_still_ends():
    run = OpenRun(Plan(scenario(API_DOWN), team(TWO_LEVEL_TEAM), [runbook(PG_RUNBOOK)]), MONDAY, rng(1),
                  responder=AskingResponder())
    asked: list[str] = []
    while not run.done:
        for d in run.pending():
            asked.append(d.kind)
            d.answer("pg" if d.kind == "runbook" else None)
        run.advance(to=run.now + 30)
        assert run.now < 86400, "the run should end once every decision is made"
    assert {"acknowledge", "engage", "runbook", "triage", "step", "update", "recovery"} <= set(asked)
    assert run.timeline().events[-1].data == {"reason": "resolved"}


def test_bad_calls_are_refused():
    with pytest.raises(DecisionError, match="unknown decision kinds ack"):
        AskingResponder({"ack"})
    with pytest.raises(SimulationError, match="speed factor above 0"):
        open_(speed=0)
    run = open_()
    run.advance(to=100)
    with pytest.raises(SimulationError, match="from 100.0s on"):
        run.advance(to=50)
    with pytest.raises(DecisionError, match="no decision 1"):
        run.decide(1)


# -- (b) the same bytes as before the open run ---------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_many_runs_give_the_bytes_of_the_closed_engine(name):
    assert case_sha256_without_updates(name) == EXPECTED[name]


@pytest.mark.parametrize("name", ["outage-window", "data-loss-improvised", "breach-window"])
def test_an_open_run_advanced_in_steps_gives_the_same_bytes(name):
    stem, runs, seed, window, _, with_runbooks = CASES[name]
    sc, tm, rbs = inputs(stem, with_runbooks=with_runbooks)
    plan = Plan(sc, tm, rbs)
    lines = []
    for i in range(runs):
        g = run_generator(seed, i)
        start = START + timedelta(seconds=math.floor(g.uniform(0.0, window)))
        # alternate: the simulated responder given or by default, a responder that asks
        # nothing, a subscriber or none; irregular steps, some landing on event times
        responder = [None, SimulatedResponder(), AskingResponder(())][i % 3]
        run = OpenRun(plan, start, g, responder=responder, horizon=72 * 3600.0)
        if i % 2:
            run.subscribe(lambda e: None)
        to = 0.0
        while not run.done:
            run.advance(to=to)
            to += [15.0, 7.5, 60.0, 1234.5][i % 4]
        lines.append(run.json_line(i, seed))
    assert jsonl_sha256(without_updates(line) for line in lines) == EXPECTED[name]
    assert jsonl_sha256(lines) == case_sha256(name)  # and the updates are those of the closed engine


def test_an_open_run_to_the_end_equals_simulate():
    sc, tm, rbs = inputs("config-push-global-outage")
    run = OpenRun(Plan(sc, tm, rbs), START, np.random.default_rng(99))
    run.advance()
    assert run.json_line(0, 99) == simulate(sc, tm, rbs, START, np.random.default_rng(99), run=0, seed=99).to_json_line()


# -- (c) real time ------------------------------------------------------------------------------
def test_the_real_time_clock_takes_wall_time_in_proportion():
    speed = 3600.0 * 4  # four simulated hours per wall-clock second
    live = open_(speed=speed, seed=7)
    marks = []
    t0 = time.monotonic()
    for to in (1800.0, 5400.0):  # 0.125 s, then 0.25 s more
        live.advance(to=to)
        marks.append(time.monotonic() - t0)
    assert marks[0] >= 1800.0 / speed - 0.01 and marks[1] >= 5400.0 / speed - 0.01
    assert marks[1] < 5400.0 / speed + 2.0  # loose: a busy machine may lag, never run ahead
    # the same events as on the virtual clock
    virtual = open_(seed=7)
    virtual.advance(to=5400.0)
    assert live.timeline().events == virtual.timeline().events


# -- (d) subscribers ----------------------------------------------------------------------------
def test_subscribers_see_every_event_in_order():
    run = open_(API_DOWN, [runbook(PG_RUNBOOK)], seed=2)
    early, late, stopped = [], [], []
    run.subscribe(early.append)  # drill_started is recorded already: it is replayed first
    unsubscribe = run.subscribe(stopped.append)
    returned = run.advance(to=300)
    unsubscribe()
    run.subscribe(late.append)
    while not run.done:
        returned += run.advance(to=run.now + 900)
    events = list(run.timeline().events)
    assert early == events and late == events and returned == events
    assert stopped == events[:len(stopped)] and len(stopped) < len(events)
    assert kinds(events)[0] == "drill_started" and kinds(events)[-1] == "drill_ended"
