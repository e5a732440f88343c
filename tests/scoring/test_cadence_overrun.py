"""The real longest silence and the cadence overrun (issue 14), worked out by hand for
hand-written timelines under a known cadence per phase (scenarios/cadence.py's rule:
the interval after an update posted in a phase, ``since`` seconds after the phase
began, is max(cadence of the phase, min(0.1 x since, 1d)))."""

from __future__ import annotations

from scoring import score
from scoring.metrics import measure

from scoring_timelines import TEAM, ev, scenario, team, timeline

# Investigating 30m, identified 1h, monitoring 4h (the default stretch of 0.1 and cap
# of 1d stay below each cadence in these runs: 0.1 x since is at most 2h53m below).
PHASED = TEAM + """severity:
  P0: {definition: critical, update_every: 30m, update_identified: 1h, update_monitoring: 4h, public_update: true}
"""


def update(t: float, phase: str, n: int):
    return ev(t, "status_update", "api-down", "ana", phase=phase, public=True, n=n)


def phased_run(last_gap: float = 4 * 3600 + 0.001):
    """Detected at 60; the identified phase's one long gap is 2h30m."""
    return timeline(
        ev(0, "drill_started", "api-down"),
        ev(0, "impact_started", "api", "crash", fault="crash", service="api", impact="outage"),
        ev(60, "detected", "ApiErrors", "monitoring", via="alert", alert="ApiErrors", fallback=False),
        update(1260, "investigating", 1),  # 60 -> 1260: 20m, within 30m
        update(3660, "investigating", 2),  # 1260 -> 3660: 40m, 10m past 30m
        ev(4000, "diagnosed", "api-down", "ana", how="improvised"),
        update(4000, "identified", 3),  # 3660 -> 4000: 5m40s, began investigating
        update(13000, "identified", 4),  # 4000 -> 13000: 2h30m, 1h30m past identified's 1h
        ev(13000, "mitigated", "api-down", "ana", how="improvised"),
        update(13000, "monitoring", 5),  # 0s
        update(27400, "monitoring", 6),  # 13000 -> 27400: exactly 4h
        update(27400 + last_gap, "monitoring", 7),  # 4h and 1ms: within the 2ms tolerance
        ev(27400 + last_gap + 10800, "recovered", "api-down"),
        ev(27400 + last_gap + 10800, "resolved", "api-down", "ana"),  # 3h after the last: within 4h
        ev(27400 + last_gap + 10800, "drill_ended", "api-down", reason="resolved"),
    )


def test_longest_silence_is_the_real_gap_and_the_overrun_names_its_phase():
    m = measure(phased_run(), scenario(), team(PHASED))
    # The gaps, by hand: 1200, 2400, 340, 9000, 0, 14400, 14400.001, 10800 seconds. The
    # longest is the last monitoring one, 4h and 1ms, though it kept its cadence.
    assert m.values["longest_silence"] == 14400.001
    # Past its interval: 40m - 30m = 600 (investigating), 2h30m - 1h = 5400 (identified),
    # 4h0m0.001s - 4h = 0.001, within the tolerance (monitoring): the worst is 1h30m.
    assert m.values["cadence_overrun"] == 5400
    assert (m.cadence.phase, m.cadence.interval, m.cadence.silence) == ("identified", 3600, 9000)


def test_the_update_every_objective_is_judged_by_the_overrun():
    card = score(phased_run(), scenario(), team(PHASED))
    (o,) = [o for o in card.outcomes if o.objective.key == "severity.update_every"]
    assert (o.objective.metric, o.objective.target, o.status, o.value) == ("cadence_overrun", 0.0, "missed", 5400)
    # Rated by the silence over the interval it ran past: 2h30m / 1h = 2.5 > 1.5, major.
    assert o.ratio == 2.5
    assert [r.rating for r in card.ratings if r.capability == "communication"] == ["M"]


def test_a_silence_within_two_milliseconds_of_its_interval_kept_it():
    # Only the monitoring gap past 4h remains to judge once the others keep theirs:
    # drop the two slow gaps by posting at each interval exactly.
    tl = timeline(
        ev(0, "drill_started", "api-down"),
        ev(60, "detected", "ApiErrors", "monitoring", via="alert", alert="ApiErrors", fallback=False),
        update(1860, "investigating", 1),  # 60 -> 1860: exactly 30m
        ev(1860, "mitigated", "api-down", "ana", how="improvised"),
        update(1860, "monitoring", 2),
        update(1860 + 14400.002, "monitoring", 3),  # 4h and 2ms: kept
        ev(1860 + 14400.002 + 14400.003, "resolved", "api-down", "ana"),  # 4h and 3ms: 3ms past
    )
    m = measure(tl, scenario(), team(PHASED))
    assert m.values["longest_silence"] == 14400.003
    assert m.values["cadence_overrun"] == 0.003
    kept = tl.model_copy(update={"events": tl.events[:-1] + (ev(1860 + 2 * 14400.002, "resolved", "api-down", "ana"),)})
    assert measure(kept, scenario(), team(PHASED)).values["cadence_overrun"] == 0


def test_without_a_cadence_there_is_no_overrun_to_judge():
    quiet = TEAM + "severity:\n  P0: {definition: critical}\n"
    m = measure(phased_run(), scenario(), team(quiet))
    assert "cadence_overrun" not in m.values and m.values["longest_silence"] == 14400.001
    assert not [o for o in score(phased_run(), scenario(), team(quiet)).outcomes if o.objective.key == "severity.update_every"]


def test_the_gap_report_names_the_worst_overrun_and_its_phase():
    from scoring import find_gaps, score_many
    from scoring_timelines import START, full_run

    # The full run without its update at 2500: updates at 700 and 3700. The silence from
    # 700 began investigating (mitigated at 1800 is later) under P0's 30m, stretched to
    # at most 0.1 x 580s: it lasted 3000s, 1200s = 20m past 30m. The phased run's worst
    # is 1h30m past identified's 1h, so over both it is that one.
    slow = timeline(*[e for e in full_run().events if not (e.kind == "status_update" and e.data.get("n") == 2)])
    batch = score_many([slow], scenario(), team())
    (f,) = [f for f in find_gaps(scenario(), team(), [], start=START, batch=batch) if f.rule == "updates-slower-than-cadence"]
    assert "ran past the P0 cadence of its phase in 100% of 1 run" in f.evidence
    assert f.evidence.endswith("at worst, updates ran 20m past the investigating-phase cadence of 30m")
    batch = score_many([slow, phased_run()], scenario(), team(PHASED))
    (f,) = [f for f in find_gaps(scenario(), team(PHASED), [], start=START, batch=batch)
            if f.rule == "updates-slower-than-cadence"]
    assert f.evidence.endswith("at worst, updates ran 1h30m past the identified-phase cadence of 1h")
