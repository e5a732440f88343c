"""Properties every run must have, over many seeds and start instants."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.common import split_target
from scenarios.timeline import Timeline
from simkit import rng, runbook, scenario, team
from simulator import simulate, simulate_many

#: Short shifts, sleep, people away, a coverage gap every night, flaky channels,
#: misses, an escalation that repeats, roles, noise.
MESSY_TEAM = """
team: messy
timezone: Europe/Berlin
members:
  - id: amara
    name: Amara
    timezone: Europe/Berlin
    skills: [postgres]
    ack: {working: {median: 1m, p90: 5m}, evening: {median: 4m, p90: 12m, miss: 0.2}, asleep: {median: 9m, p90: 30m, miss: 0.4}}
    away: [{from: 2026-03-10, to: 2026-03-12}]
  - id: luis
    name: Luis
    timezone: America/New_York
    skills: [networking]
    channels: [phone]
    ack: {working: {mean: 3m}, evening: {mean: 6m, miss: 0.1}, asleep: {mean: 12m, miss: 0.3}}
  - id: kenji
    name: Kenji
    timezone: Asia/Singapore
    skills: [postgres, networking]
    ack: {working: {min: 30s, max: 4m}, evening: {min: 1m, mode: 3m, max: 20m}, asleep: {median: 10m, p90: 40m, miss: 0.5}}
    away: [{from: "2026-03-03T00:00:00+00:00", to: "2026-03-05T00:00:00+00:00"}]
  - id: dana
    name: Dana
    timezone: America/New_York
    skills: [incident-command]
roles:
  incident-commander: [dana, amara]
rotations:
  primary:
    layers:
      - start: 2026-03-02T00:00:00+00:00
        turn: 5h
        members: [amara, luis, kenji]
        only: "daily 06:00-02:00"
    overrides:
      - {member: luis, from: "2026-03-06T10:00:00+00:00", to: "2026-03-06T20:00:00+00:00"}
  secondary:
    layers: [{start: 2026-03-02T09:00:00+01:00, turn: 1d, members: [kenji, amara, luis]}]
escalation:
  P0:
    levels:
      - {notify: rotation:primary, timeout: 5m}
      - {notify: rotation:secondary, timeout: 10m}
      - {notify: [role:incident-commander, person:luis], timeout: 10m}
    repeat: 2
  default:
    levels:
      - {notify: rotation:primary, timeout: 15m}
      - {notify: rotation:secondary, timeout: 15m}
paging:
  push: {delay: {median: 5s, p90: 2m}, fails: 0.2}
  phone: {delay: {median: 20s, p90: 1m}, fails: 0.1}
"""

MESSY_SCENARIO = """
id: messy
title: Several things at once
kind: outage
severity: P0
tags: [database]
services: [api, db]
injects:
  - at: 0s
    fault: {kind: crash, service: db}
  - at: 40s
    fault: {kind: dependency-down, service: api, impact: degraded}
  - at: 50s
    signal: {metric: api.errors, value: 0.4}
  - at: 3m
    signal: {metric: api.errors, value: 0.01}
  - at: 4m
    signal: {metric: api.errors, value: 0.6}
  - at: 5m
    signal: {kind: log, text: connection refused}
  - when: {not_acknowledged_by: 20m}
    card: {title: Nobody has answered}
  - when: {not_mitigated_by: 1h}
    signal: {kind: customer-report, text: still down}
monitoring:
  - alert: ApiErrors
    signal: api.errors
    above: 0.3
    for: 2m
    every: 30s
    sensitivity: 0.7
    false_positives_per_week: 20
  - alert: DbLogErrors
    on: log
    sensitivity: 0.5
    service: db
  - alert: Reports
    on: customer-report
    routed: false
detection_fallback: {after: 25m, via: customer-report}
"""

MESSY_RUNBOOK = """
id: db-failover
title: Fail the database over
triggers: {tags: [database]}
steps:
  - {do: Check replication, takes: {min: 1m, max: 5m}, needs: postgres, succeeds: 0.7, on_failure: {retry: 1, then: escalate}}
  - {do: Promote the replica, takes: {median: 5m, p90: 20m}, succeeds: 0.8, mitigates: true, on_failure: {retry: 1, then: escalate}}
  - {do: Fix the routing, takes: 10m, needs: networking, succeeds: 0.9, on_failure: {then: skip}}
"""

WINDOW_START = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)
WEEK = 7 * 86400.0


@pytest.fixture(scope="module")
def inputs():
    return scenario(MESSY_SCENARIO), team(MESSY_TEAM), [runbook(MESSY_RUNBOOK)]


@pytest.fixture(scope="module")
def timelines(inputs):
    sc, tm, rbs = inputs
    return list(simulate_many(sc, tm, rbs, runs=400, seed=11, start=WINDOW_START, window=2 * WEEK))


@pytest.fixture(scope="module")
def cut_short(inputs):
    """Runs stopped 20 minutes in, at every stage from undetected to mitigated."""
    sc, tm, rbs = inputs
    return list(simulate_many(sc, tm, rbs, runs=150, seed=3, start=WINDOW_START, window=2 * WEEK, horizon=1200))


def test_many_runs_cover_escalations_gaps_and_misses(timelines):
    # the properties below are only worth something if the runs reach these cases
    kinds = {(e.kind, e.data.get("reason")) for tl in timelines for e in tl.events}
    assert ("page_missed", "nobody-on-call") in kinds
    assert ("page_missed", "away") in kinds
    assert ("page_missed", "no-answer") in kinds
    assert ("page_missed", "undelivered") in kinds
    assert any(tl.first("escalated") for tl in timelines)
    assert any(tl.first("page_sent", purpose="noise") for tl in timelines)
    assert any(tl.first("page_sent", purpose="expert") for tl in timelines)
    assert any(tl.first("step_finished", ok=False) for tl in timelines)
    assert any(tl.first("detected", fallback=True) for tl in timelines)


def test_event_times_never_decrease(timelines):
    assert len(timelines) == 400
    for tl in timelines:
        times = [e.t for e in tl.events]
        assert times == sorted(times)
        assert tl.events[0].kind == "drill_started" and tl.events[-1].kind == "drill_ended"
        assert sum(e.kind == "drill_ended" for e in tl.events) == 1


def test_an_acknowledgement_never_precedes_its_page(timelines):
    acknowledged = same_instant = 0
    for tl in timelines:
        pages = {}
        for e in tl.events:
            if e.kind == "page_sent":
                pages[e.data["page"]] = e
            elif e.kind == "acknowledged":
                page = pages[e.data["page"]]  # the page was sent before
                assert page.t <= e.t and page.t == e.data["page_t"]
                assert page.data["to"] == e.data["by"] == e.actor
                acknowledged += 1
                same_instant += page.t == e.t
    # the property means something only if many pages were answered
    assert acknowledged > 500, acknowledged
    assert same_instant < acknowledged


def test_every_page_goes_to_whoever_is_on_call_or_records_the_gap(timelines, inputs):
    tm = inputs[1]
    checked = gaps = 0
    for tl in timelines:
        for e in tl.events:
            target = e.data.get("target")
            if e.kind not in ("page_sent", "page_missed") or not str(target).startswith("rotation:"):
                continue
            at = tl.started_at + timedelta(seconds=e.t)
            on_call = tm.on_call(split_target(target)[1], at)
            if e.kind == "page_sent":
                assert e.data["to"] == on_call
                checked += 1
            elif e.data["reason"] == "nobody-on-call":
                assert on_call is None
                gaps += 1
    assert checked > 500 and gaps > 0


def test_a_page_to_someone_away_is_never_answered(timelines):
    pages_away = 0
    for tl in timelines:
        away = {e.data["page"] for e in tl.find("page_sent", away=True)}
        assert not away & {e.data["page"] for e in tl.find("acknowledged")}
        pages_away += len(away)
    assert pages_away >= 20, pages_away  # people were paged while away, or there was nothing to check


def test_milestones_come_in_order(timelines, cut_short):
    reached = []
    for tl in timelines + cut_short:
        m = tl.milestones()
        chain = [m[k] for k in ("impact", "detected", "acknowledged", "engaged", "mitigated", "recovered", "resolved")]
        seen = [x for x in chain if x is not None]
        assert seen == sorted(seen)
        # a later milestone never happens without the earlier ones
        assert [x is not None for x in chain] == sorted((x is not None for x in chain), reverse=True)
        reached.append(len(seen))
    # runs that reached every milestone and runs that stopped at each stage, so both
    # halves of the property were tested
    assert reached.count(7) > 100 and {1, 2, 3, 4, 5} <= set(reached), sorted(set(reached))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1),
       start=st.datetimes(min_value=datetime(2026, 3, 2), max_value=datetime(2026, 3, 20), timezones=st.just(timezone.utc)))
def test_same_seed_same_bytes(inputs, seed, start):
    sc, tm, rbs = inputs
    start = start.replace(microsecond=0)
    a = simulate(sc, tm, rbs, start, np.random.default_rng(seed), seed=seed)
    b = simulate(sc, tm, rbs, start, np.random.default_rng(seed), seed=seed)
    assert len(a.events) > 10  # a run with random draws in it, not an empty one
    assert a.to_json_line() == b.to_json_line()
    assert Timeline.from_json_line(a.to_json_line()) == a


def test_the_worker_count_does_not_change_results(inputs):
    sc, tm, rbs = inputs
    kw = dict(runs=30, seed=5, start=WINDOW_START, window=WEEK)
    one = [tl.to_json_line() for tl in simulate_many(sc, tm, rbs, **kw)]
    two = [tl.to_json_line() for tl in simulate_many(sc, tm, rbs, workers=2, chunk=4, **kw)]
    assert one == two
    assert [Timeline.from_json_line(x).run for x in one] == list(range(30))


def test_run_i_is_child_i_of_the_seed_sequence(inputs):
    sc, tm, rbs = inputs
    children = np.random.SeedSequence(5).spawn(3)
    batch = list(simulate_many(sc, tm, rbs, runs=3, seed=5, start=WINDOW_START))
    for i, tl in enumerate(batch):
        alone = simulate(sc, tm, rbs, WINDOW_START, np.random.default_rng(children[i]), run=i, seed=5)
        assert alone.to_json_line() == tl.to_json_line()


def test_random_starts_fall_in_the_window(timelines):
    starts = [tl.started_at for tl in timelines]
    assert all(WINDOW_START <= s < WINDOW_START + timedelta(seconds=2 * WEEK) for s in starts)
    assert all(s.microsecond == 0 for s in starts)
    assert len(set(starts)) > 390


def test_different_seeds_differ(inputs):
    sc, tm, rbs = inputs
    a = simulate(sc, tm, rbs, WINDOW_START, rng(1))
    b = simulate(sc, tm, rbs, WINDOW_START, rng(2))
    assert a.to_json_line() != b.to_json_line()


def test_a_fresh_interpreter_worker_gives_the_same_results(inputs):
    sc, tm, rbs = inputs
    kw = dict(runs=6, seed=9, start=WINDOW_START, window=WEEK)
    one = [tl.to_json_line() for tl in simulate_many(sc, tm, rbs, **kw)]
    spawned = [tl.to_json_line() for tl in simulate_many(sc, tm, rbs, workers=2, chunk=2, mp_context="spawn", **kw)]
    assert one == spawned


def test_stopping_early_does_not_wait_for_every_run(inputs):
    import time

    sc, tm, rbs = inputs
    t0 = time.perf_counter()
    batch = simulate_many(sc, tm, rbs, runs=100_000, seed=1, start=WINDOW_START, workers=2)
    first = [next(batch) for _ in range(3)]
    batch.close()
    assert [tl.run for tl in first] == [0, 1, 2]
    assert time.perf_counter() - t0 < 20


def test_bad_arguments_for_many_runs_are_refused(inputs):
    from simulator import SimulationError

    sc, tm, rbs = inputs
    for kw in ({"runs": -1}, {"runs": 1, "workers": 0}, {"runs": 1, "seed": -3}, {"runs": 1, "window": -1.0},
               {"runs": 1, "start": datetime(2026, 3, 2)}):
        with pytest.raises(SimulationError):
            simulate_many(sc, tm, rbs, **{"seed": 1, **kw})


def test_every_milestone_in_one_pass_is_the_first_event_that_marks_it(timelines, cut_short):
    # The definition read directly: the first event of the milestone's kind(s) whose data match.
    from scenarios.timeline import MILESTONES

    def first(tl, kinds, match):
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        return next((e.t for e in tl.events if e.kind in kinds and all(e.data.get(k) == v for k, v in match.items())), None)

    reached = set()
    for tl in timelines + cut_short:
        expected = {name: first(tl, kinds, match) for name, (kinds, match) in MILESTONES.items()}
        assert tl.milestones() == expected
        reached |= {name for name, t in expected.items() if t is not None}
    assert {"paged", "acknowledged", "engaged", "mitigated", "recovered", "ended"} <= reached
