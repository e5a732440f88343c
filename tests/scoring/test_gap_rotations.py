"""The gap rules that read the rotations over time: skills over the whole cycle, people
put on call while away, a rotation that has not started, and one person holding
duties nobody else can take. Every expectation is worked out by hand from the team."""

from __future__ import annotations

from datetime import datetime, timezone

from scenarios import Runbook, Team, loads
from scenarios.team import Away
from scoring import find_gaps
from scoring.coverage import CYCLE_CAP, cycle_seconds

from scoring_timelines import RUNBOOK, START, TEAM, scenario, team

UTC = timezone.utc
WEEK = 7 * 86400

def runbook() -> Runbook:
    return loads(RUNBOOK.replace("needs: api", "needs: consul"), Runbook, "runbook.yaml")


def weekly_team(members: list[str], holders: set[str], secondary: list[str] | None = None, start: str = "2026-11-02") -> Team:
    """A UTC team: ``members`` take weekly turns in 'primary' from Monday ``start``
    00:00 (and ``secondary`` likewise); only ``holders`` know consul."""
    people = "\n".join(f"  - {{id: {m}, name: {m.upper()}, timezone: UTC, skills: [{'consul' if m in holders else 'api'}]}}"
                       for m in members + (secondary or []))
    rotations = f"  primary:\n    layers: [{{start: {start}T00:00:00+00:00, turn: 1w, members: [{', '.join(members)}]}}]\n"
    levels = "      - {notify: rotation:primary, timeout: 5m}\n"
    if secondary:
        rotations += f"  secondary:\n    layers: [{{start: {start}T00:00:00+00:00, turn: 1w, members: [{', '.join(secondary)}]}}]\n"
        levels += "      - {notify: rotation:secondary, timeout: 5m}\n"
    text = f"team: t\ntimezone: UTC\nmembers:\n{people}\nrotations:\n{rotations}escalation:\n  default:\n    levels:\n{levels}"
    return loads(text, Team, "team.yaml")


def findings(tm: Team, rule: str, start: datetime = START, rbs: list[Runbook] | None = None):
    return [f for f in find_gaps(scenario(), tm, [runbook()] if rbs is None else rbs, start=start) if f.rule == rule]


# -- skill-missing-on-call over the whole cycle ----------------------------------------

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)  # a handoff of every weekly layer above


def test_a_skill_held_one_week_in_four_is_missing_three_weeks_in_four():
    tm = weekly_team(["a", "b", "c", "d"], {"a"})
    [f] = findings(tm, "skill-missing-on-call", start=MONDAY)
    # The cycle is 1w x 4 people = 4 weeks = 672 hours; a is on call one week of the
    # four, so consul is missing for the other three: 3 x 168 = 504 hours, 75%.
    assert "has it for 504 of the 672 hours of the whole cycle of primary (28d from Mon 30 Nov 2026), 75% of the time" in f.evidence
    # MONDAY is 4 weeks after 2 Nov: week index 4, so a holds it; b, c and d follow
    # from 7 Dec, one stretch of three weeks.
    assert "(first Mon 7 Dec 2026 00:00 – Mon 28 Dec 2026 00:00 UTC)" in f.evidence


def test_two_rotations_repeat_after_the_least_common_multiple_of_their_cycles():
    # primary: a, b (2 weeks); secondary: c, d, e (3 weeks); together 6 weeks.
    tm = weekly_team(["a", "b"], {"a", "e"}, secondary=["c", "d", "e"])
    assert cycle_seconds(tm, ["primary", "secondary"]) == 6 * WEEK
    [f] = findings(tm, "skill-missing-on-call", start=MONDAY)
    # Counting weeks k from 2 Nov, MONDAY is week 4. Consul is on call when primary is
    # a (k even) or secondary is e (k % 3 == 2). Weeks 4..9: 4 a, 5 e (5 % 3 = 2),
    # 6 a, 7 neither, 8 a, 9 neither: 2 of 6 weeks, 336 of 1,008 hours.
    assert "has it for 336 of the 1,008 hours of the whole cycle of primary and secondary (42d from Mon 30 Nov 2026)" in f.evidence
    assert "first Mon 21 Dec 2026 00:00 – Mon 28 Dec 2026 00:00 UTC" in f.evidence  # week 7: 30 Nov + 3 weeks


def test_a_restricted_layer_repeats_only_after_whole_weeks():
    tm = loads("""
team: t
timezone: UTC
members: [{id: a, name: A, timezone: UTC}, {id: b, name: B, timezone: UTC}, {id: c, name: C, timezone: UTC}]
rotations:
  primary:
    layers: [{start: 2026-11-02T00:00:00+00:00, turn: 1d, members: [a, b, c], only: Mon-Fri}]
escalation: {default: {levels: [{notify: rotation:primary}]}}
""", Team, "team.yaml")
    # 3 days of turns meet a weekly window again after lcm(3d, 7d) = 21 days.
    assert cycle_seconds(tm, ["primary"]) == 21 * 86400


def test_a_cycle_longer_than_the_cap_is_scanned_up_to_the_cap_and_says_so():
    members = [f"m{i}" for i in range(53)]
    tm = weekly_team(members, {"m0"}, start="2026-11-30")
    assert cycle_seconds(tm, ["primary"]) == 53 * WEEK > CYCLE_CAP == 52 * WEEK
    [f] = findings(tm, "skill-missing-on-call", start=MONDAY)
    # 52 weeks scanned from the layer's start: m0 holds week 0 only, 51 weeks without.
    assert f"has it for {51 * 168:,} of the {52 * 168:,} hours scanned from Mon 30 Nov 2026" in f.evidence
    assert "the scan stops at its cap of 364d; the whole cycle of primary is 371d" in f.evidence


def test_the_cycle_scan_begins_when_the_last_layer_has_started():
    # Drill on Wednesday 25 Nov; the rotation starts Monday 30 Nov: the cycle is read
    # from its start, as the pattern before it never comes back.
    tm = weekly_team(["a", "b", "c", "d"], {"a"}, start="2026-11-30")
    [f] = findings(tm, "skill-missing-on-call")
    assert "504 of the 672 hours of the whole cycle of primary (28d from Mon 30 Nov 2026)" in f.evidence


# -- rotation-not-started ------------------------------------------------------------

def berlin_team(start: str = "2026-11-02T00:00:00+00:00", restrict: str = "", overrides: str = "") -> Team:
    """The scoring tests' team (Europe/Berlin; ana and ben take daily turns in
    'primary' from 2 Nov 00:00 UTC) with another start, a restriction, overrides."""
    return team(TEAM.replace("start: 2026-11-02T00:00:00+00:00", f"start: {start}")
                .replace("members: [ana, ben]}]", f"members: [ana, ben]{restrict}}}]")
                .replace("escalation:", overrides + "escalation:"))


def test_a_rotation_starting_next_monday_says_so_instead_of_a_critical_gap():
    # START is Wednesday 25 Nov 2026 12:00 UTC, 13:00 in Berlin; the rotation starts
    # on Monday 30 Nov at 09:00 Berlin: 4 days and 20 hours later.
    tm = berlin_team("2026-11-30T09:00:00+01:00")
    [f] = findings(tm, "rotation-not-started")
    assert f.severity == "medium" and f.subject == "primary"
    assert "the rotation starts on Mon 30 Nov 2026 09:00 Europe/Berlin, 4d20h after the drill starts (Wed 25 Nov 2026)" in f.evidence
    assert "on or after 2026-11-30" in f.recommendation
    # once started, a layer without restrictions covers every hour: no gap at all
    assert findings(tm, "rotation-coverage-gap") == []


def test_a_started_rotation_is_not_reported_as_not_started():
    assert findings(berlin_team(), "rotation-not-started") == []


def test_gaps_of_a_rotation_that_starts_later_are_counted_from_its_start():
    tm = berlin_team("2026-11-30T00:00:00+01:00", restrict=", only: Mon-Fri")
    [f] = findings(tm, "rotation-coverage-gap")
    # From Monday 30 Nov 00:00 Berlin, 4 weeks: the 4 weekends uncovered, 4 x 48h = 192h
    # (= 8d), in 4 stretches; nothing of the days before the start.
    assert f.evidence.startswith("over the 4 weeks from 2026-11-30 rotation 'primary' has nobody on call for 8d in 4 stretches")
    assert f.severity == "critical"


# -- away-while-on-call ---------------------------------------------------------------

def test_an_absence_during_a_turn_is_found_with_its_dates():
    # Turns of 1d counted on Berlin's clock from 2 Nov 01:00 (00:00 UTC): turn k starts
    # at 01:00 Berlin on 2 Nov + k days, ana on even k. 26 Nov is turn 24: ana, from
    # 26 Nov 01:00 to 27 Nov 01:00. Away on the 26th (a Berlin date: 00:00-24:00) she
    # is on call from 01:00 to midnight, 23 hours. Ben's turn 23 covers 00:00-01:00.
    tm = _with_away(berlin_team(), 0, "{from: 2026-11-26, to: 2026-11-26, reason: dentist}")
    [f] = findings(tm, "away-while-on-call")
    assert f.subject == "primary/ana" and f.severity == "high"
    assert ("Ana (ana) is away 2026-11-26 to 2026-11-26 (dentist), but rotation 'primary' puts them on call with no "
            "override for 23h in 1 shift (Thu 26 Nov 2026 01:00 – Fri 27 Nov 2026 00:00 Europe/Berlin)") in f.evidence


def _with_away(tm: Team, who: int, *absences: str) -> Team:
    members = list(tm.members)
    members[who] = members[who].model_copy(update={"away": [loads(a, Away, "away.yaml") for a in absences]})
    return tm.model_copy(update={"members": members})


def test_an_override_for_the_absence_removes_the_finding():
    cover = ("    overrides:\n      - {member: ben, from: 2026-11-26T01:00:00+01:00, to: 2026-11-27T01:00:00+01:00}\n")
    assert findings(_with_away(berlin_team(overrides=cover), 0, "{from: 2026-11-26, to: 2026-11-26}"), "away-while-on-call") == []


def test_a_part_covered_absence_reports_only_the_uncovered_hours():
    # Away from 27 Nov 12:00 to 29 Nov 12:00 UTC (instants). Ben (index 1) holds odd
    # turns: turn 25, 27 Nov 00:00-28 Nov 00:00 UTC (01:00 Berlin each day). On call
    # while away: 27 Nov 12:00-28 Nov 00:00 UTC = 13:00-01:00 Berlin, 12 hours; turn
    # 26 is Ana's; turn 27 starts 29 Nov 00:00 UTC, 12 hours until 12:00 UTC. 24h, 2 shifts.
    tm = _with_away(berlin_team(), 1, "{from: 2026-11-27T12:00:00+00:00, to: 2026-11-29T12:00:00+00:00, reason: travel}")
    [f] = findings(tm, "away-while-on-call")
    assert ("for 1d in 2 shifts (Fri 27 Nov 2026 13:00 – Sat 28 Nov 2026 01:00, "
            "Sun 29 Nov 2026 01:00–13:00 Europe/Berlin)") in f.evidence


def test_an_absence_before_the_drill_or_off_turn_is_no_finding():
    # 10 Nov is turn 8 (ana): before START. 27 Nov 02:00-23:00 Berlin is inside turn
    # 25 (ben): ana is off.
    tm = _with_away(berlin_team(), 0, "{from: 2026-11-10, to: 2026-11-10}",
                    "{from: 2026-11-27T02:00:00+01:00, to: 2026-11-27T23:00:00+01:00}")
    assert findings(tm, "away-while-on-call") == []


# -- single-point-of-failure ---------------------------------------------------------

SPOF_TEAM = """
team: t
timezone: UTC
members:
  - {id: boss, name: Bo Stone, timezone: UTC, skills: [api, consul]}
  - {id: ann, name: Ann, timezone: UTC, skills: [api]}
  - {id: cy, name: Cy, timezone: UTC, skills: [api]}
roles: {incident-commander: [IC], leadership: [boss]}
rotations:
  primary:
    layers: [{start: 2026-11-02T00:00:00+00:00, turn: 1w, members: [ann, cy]}]
escalation:
  default:
    levels:
      - {notify: rotation:primary, timeout: 5m}
      - {notify: LEVEL2, timeout: 5m}
      - {notify: role:incident-commander, timeout: 5m}
"""


def spof_team(ic: str = "boss", level2: str = "person:boss", consul: str = "[api, consul]") -> Team:
    text = SPOF_TEAM.replace("[IC]", f"[{ic}]").replace("LEVEL2", level2).replace("[api, consul]", consul)
    return loads(text, Team, "team.yaml")


def test_one_person_holding_every_duty_alone_is_a_single_point_of_failure():
    [f] = findings(spof_team(), "single-point-of-failure")
    assert f.subject == "boss" and "Bo Stone" in f.title
    # Roles in name order, then the level that names only them, then the unique skill;
    # the third level reaches boss through the role, already counted with it.
    assert f.evidence.startswith(
        "Bo Stone (boss) is the only incident-commander, the only leadership, the only one paged at level 2 of "
        "escalation policy 'default' and the only one with skill consul: ")
    assert "all 4 go unfilled at once" in f.evidence


def test_duties_shared_with_others_are_no_single_point_of_failure():
    # a second commander, a rotation at level 2, a second consul holder: one sole duty left
    tm = spof_team(ic="boss, ann", level2="rotation:primary", consul="[api]")
    assert findings(tm, "single-point-of-failure") == []
    # two sole duties are enough: leadership and level 2
    assert len(findings(spof_team(ic="boss, ann", consul="[api]"), "single-point-of-failure")) == 1


