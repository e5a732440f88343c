"""Status-update cadence by phase and severity (issue 14): every expectation is worked
out by hand from the rules in scenarios/cadence.py and simulator/comms.py."""

from __future__ import annotations

import math
import re

import pytest

from simkit import API_DOWN, run, scenario, team
from test_simulator_behaviour import BREACH, SOLO

from scenarios import DrillbitError, SeverityLevel
from scenarios.cadence import update_interval
from scoring import measure, score
from simulator import Assumptions

INSTANT = Assumptions.instant()


def solo_with(p0: str) -> object:
    """The solo team with its P0 level replaced (the YAML flow mapping's inside)."""
    old = "P0: {{definition: critical, update_every: 30m, also_page: [role:incident-commander], public_update: true}}"
    assert old in SOLO
    return team(SOLO.replace(old, "P0: {{definition: critical, " + p0 + ", public_update: true}}").format(skills=""))


def p0(text: str):
    return scenario(text.replace("severity: P1", "severity: P0"))


IDENTIFIED_1H = "update_every: 30m, update_identified: 1h"
OUTAGE = API_DOWN + "diagnosis: {improvised: 45m}\nmitigation: {improvised: 2h30m}\nrecovery: {after_mitigation: 1h}\n"


def test_updates_change_pace_at_the_diagnosis():
    tl = run(p0(OUTAGE), solo_with(IDENTIFIED_1H), assumptions=INSTANT)
    # By hand, from engagement E (first update instant): investigating every 30m: E, E+30m;
    # diagnosed at E+45m, posted at once; identified every 1h: E+1h45m, E+2h45m; mitigated
    # at E+45m+2h30m = E+3h15m, posted at once; monitoring every 2h (twice identified), but
    # resolution comes 1h later with the closing update.
    e = tl.milestone("engaged")
    d, m = e + 2700, e + 2700 + 9000
    assert (tl.milestone("diagnosed"), tl.milestone("mitigated"), tl.milestone("resolved")) == (d, m, m + 3600)
    updates = tl.find("status_update")
    assert [(u.t, u.data["phase"]) for u in updates] == [
        (e, "investigating"), (e + 1800, "investigating"), (d, "identified"), (d + 3600, "identified"),
        (d + 7200, "identified"), (m, "monitoring"), (m + 3600, "resolved")]


def test_longest_silence_is_real_and_the_overrun_is_judged_against_each_phase():
    tl = run(p0(OUTAGE), solo_with(IDENTIFIED_1H), assumptions=INSTANT)
    sc = p0(OUTAGE)
    # The updates of test_updates_change_pace_at_the_diagnosis: silences of 30m
    # (investigating, at 30m), 1h, 1h, 30m (identified, at 1h) and 1h (monitoring at 2h,
    # until the closing update). The real longest silence is 1h, and none ran past the
    # interval of its phase.
    m = measure(tl, sc, solo_with(IDENTIFIED_1H))
    assert (m.values["longest_silence"], m.values["cadence_overrun"]) == (3600, 0)
    card = score(tl, sc, solo_with(IDENTIFIED_1H))
    assert [(o.status, o.value) for o in card.outcomes if o.objective.key == "severity.update_every"] == [("met", 0)]
    # Judged by a policy that wanted 30m while identified: each 1h silence there ran
    # 30m past it, though the real longest silence is the same 1h.
    strict = solo_with("update_every: 30m")
    m = measure(tl, sc, strict)
    assert (m.values["longest_silence"], m.values["cadence_overrun"], m.cadence.phase) == (3600, 1800, "identified")
    assert [o.status for o in score(tl, sc, strict).outcomes if o.objective.key == "severity.update_every"] == ["missed"]


def test_time_to_first_update_still_counts_from_detection():
    tl = run(p0(OUTAGE), solo_with(IDENTIFIED_1H), assumptions=INSTANT)
    m = measure(tl, p0(OUTAGE), solo_with(IDENTIFIED_1H))
    assert m.values["first_update"] == tl.milestone("engaged") - tl.milestone("detected")


def hand_count(cadence: float, stretch: float, cap: float, duration: float) -> int:
    """Updates in a phase of ``duration`` with one at its start, stepping by hand."""
    t, n = 0.0, 0
    while t < duration:
        n += 1
        t += max(cadence, min(stretch * t, cap))
    return n


def test_a_hundred_days_of_monitoring_stay_bounded():
    long = API_DOWN + "diagnosis: {improvised: 10m}\nmitigation: {improvised: 10m}\nrecovery: {after_mitigation: 100d}\n"
    tl = run(p0(long), solo_with("update_every: 1h"), assumptions=INSTANT, horizon=150 * 86400.0)
    monitoring = [u for u in tl.find("status_update") if u.data["phase"] == "monitoring"]
    assert monitoring[0].t == tl.milestone("mitigated")
    # By hand (monitoring cadence 2h, twice the identified 1h; stretch 0.1; cap 1d):
    # 2h steps while 0.1 t < 2h, i.e. up to t = 20h: 11 updates (0h..20h); then each
    # waits a tenth of the quiet, t -> 1.1 t, from 20h until 0.1 t reaches 1d at
    # t = 240h: ceil(ln(240/20)/ln 1.1) = 27 updates; then daily over the remaining
    # at most 100d - 240h = 90d: 90. At most 11 + 27 + 90 = 128 (the fixed 1h cadence
    # gave 2,400).
    bound = 11 + math.ceil(math.log(12) / math.log(1.1)) + 90
    assert bound == 128
    assert len(monitoring) <= bound
    assert len(monitoring) == hand_count(7200.0, 0.1, 86400.0, 100 * 86400.0)
    gaps = [b.t - a.t for a, b in zip(monitoring, monitoring[1:])]
    assert max(gaps) == pytest.approx(86400.0, abs=0.002) and min(gaps) == pytest.approx(7200.0, abs=0.002)


def test_a_breach_stays_internal_until_customers_are_told():
    tl = run(p0(BREACH), solo_with("update_every: 30m"), assumptions=INSTANT)
    told = next(e.t for e in tl.find("notified") if e.data["who"] == "customers")
    # Customers are told 2h after the diagnosis (1h after engagement): the first public
    # update is posted at that instant, and none before it.
    assert told == tl.milestone("diagnosed") + 7200
    updates = tl.find("status_update")
    assert updates[0].t < told
    assert all(not u.data["public"] for u in updates if u.t < told)
    assert all(u.data["public"] for u in updates if u.t >= told)
    assert min(u.t for u in updates if u.data["public"]) == told


def test_a_breach_nobody_outside_is_told_of_discloses_at_containment():
    no_customers = BREACH.replace("    - {who: customers, within: 1w, takes: 2h}\n", "")
    tl = run(p0(no_customers), solo_with("update_every: 30m"), assumptions=INSTANT)
    contained = tl.milestone("contained")
    public = [u.t for u in tl.find("status_update") if u.data["public"]]
    assert public and public[0] == contained  # contained 5h after engagement
    assert contained == tl.milestone("engaged") + 5 * 3600


def test_a_breach_can_be_public_from_the_start():
    tl = run(p0(BREACH), solo_with("update_every: 30m, breach_public: always"), assumptions=INSTANT)
    assert all(u.data["public"] for u in tl.find("status_update"))


def test_the_interval_stretches_with_the_quiet_and_stops_at_the_cap():
    level = SeverityLevel(definition="x", update_every=1800.0)
    # 30m until 0.1 x since passes 30m (at 5h), then a tenth of the quiet, at most 1d
    assert update_interval(level, "investigating", 4 * 3600) == 1800
    assert update_interval(level, "investigating", 10 * 3600) == 3600
    assert update_interval(level, "identified", 0) == 1800
    assert update_interval(level, "monitoring", 0) == 3600
    assert update_interval(level, "monitoring", 30 * 86400) == 86400
    assert update_interval(level, "resolved", 0) is None
    explicit = SeverityLevel(definition="x", update_every=1800.0, update_monitoring=172800.0)
    assert update_interval(explicit, "monitoring", 30 * 86400) == 172800  # a longer cadence still applies


@pytest.mark.parametrize("fields, message", [
    ({"update_identified": "1h"}, "expected 'update_every' (the investigating cadence)"),
    ({"update_every": "0s"}, "expected 'update_every' longer than 0s"),
    ({"update_every": "1h", "update_max": "0s"}, "expected 'update_max' longer than 0s"),
])
def test_bad_cadences_are_refused(fields, message):
    with pytest.raises((DrillbitError, ValueError), match=re.escape(message)):
        SeverityLevel(definition="x", **fields)
