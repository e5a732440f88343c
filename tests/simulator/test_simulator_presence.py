"""People already on the incident: never paged for it again, an escalation level that
names them is reached through them, a notification to a role they hold is met when
they engage; and a level with nobody on call is skipped at once, TTA counting from
that attempt. Every expectation is worked out by hand from the team and scenario."""

from __future__ import annotations

import math

import numpy as np

from simkit import API_DOWN, run, scenario, team
from scoring import find_gaps, measure, score_many
from scenarios.events import check_payload
from simulator import Assumptions

INSTANT = Assumptions.instant()

#: alice (primary) never answers; level 2 is leadership: the CTO. P1 also pages the
#: CTO, who answers any page after exactly ``{cto_ack}``. Pages arrive at once.
LEADERSHIP_TEAM = """
team: lead
timezone: UTC
members:
  - {{id: alice, name: Alice, timezone: UTC, ack: {{working: {{fixed: 1m, miss: 1}}, evening: {{fixed: 1m, miss: 1}}, asleep: {{fixed: 1m, miss: 1}}}}}}
  - {{id: cto, name: The CTO, timezone: UTC, ack: {{working: {cto_ack}, evening: {cto_ack}, asleep: {cto_ack}}}}}
roles: {{leadership: [cto]}}
rotations:
  primary:
    layers: [{{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [alice]}}]
escalation:
  P1:
    levels:
      - {{notify: rotation:primary, timeout: 10m}}
      - {{notify: role:leadership, timeout: 10m}}
paging:
  push: {{delay: 0s, fails: 0}}
severity:
  P1: {{definition: test, page: always{also}}}
"""


def leadership_team(cto_ack: str = "{fixed: 2m}", also_page: bool = True):
    return team(LEADERSHIP_TEAM.format(cto_ack=cto_ack, also=", also_page: [role:leadership]" if also_page else ""))


def test_an_engaged_cto_is_not_paged_at_level_2_and_the_level_is_reached_through_them():
    # Detected at 0s: alice (level 1) and the CTO (severity) are paged. The CTO answers
    # at 2m and engages at once (instant engagement); at 10m the policy reaches level
    # 2, which names the CTO: they are on the incident, so nobody is paged and the
    # incident is acknowledged by them at exactly 10m. TTA = 10m - 0s = 600s.
    tl = run(scenario(API_DOWN), leadership_team(), assumptions=INSTANT)
    to_cto = tl.find("page_sent", to="cto")
    assert [(p.t, p.data["purpose"]) for p in to_cto] == [(0.0, "severity")]
    assert not tl.find("page_missed", to="cto")  # never logged as unanswered
    [missed] = tl.find("page_missed")
    assert (missed.t, missed.data["to"]) == (600.0, "alice")
    ack = tl.first("acknowledged", purpose="incident")
    assert (ack.t, ack.data["by"], ack.data["level"], ack.data["page"]) == (600.0, "cto", 2, to_cto[0].data["page"])
    engaged = tl.first("responder_engaged", role="responder")
    assert (engaged.t, engaged.data["by"]) == (600.0, "cto")  # on the call already: no engage delay
    assert measure(tl).values["tta"] == 600.0
    assert tl.first("note", gap="nobody-acknowledged") is None
    for e in tl.events:
        check_payload(e.kind, e.data)


def test_an_open_page_of_the_incident_counts_as_answered_when_they_arrive_by_another():
    # The CTO is paged by the severity at 0s and, if not yet on the incident at 10m,
    # by level 2. With an exponential answer of mean m to each page, the CTO has
    # answered the severity page by 10m with chance 1 - e^(-T/m); only otherwise is a
    # level-2 page sent to them. Whichever page they answer first, the other is
    # answered with it: no page is recorded as missed once they are on the incident.
    m, T, n = 300.0, 600.0, 1500
    tm, sc = leadership_team(cto_ack="{mean: 5m}"), scenario(API_DOWN)
    second_page = 0
    for seed in range(n):
        tl = run(sc, tm, seed=seed, assumptions=INSTANT)
        pages = tl.find("page_sent", to="cto")
        second_page += len(pages) == 2
        assert len(pages) in (1, 2)
        first = tl.first("acknowledged", by="cto")
        if first is None:  # neither page answered in time (chance e^(-900/m) e^(-T/m))
            continue
        arrived = first.t
        assert all(e.t < arrived for e in tl.find("page_missed", to="cto"))
        ack = tl.first("acknowledged", purpose="incident")
        assert ack.data["by"] == "cto" and ack.t == max(arrived, T)  # level 2 is reached at T at the earliest
    p = math.exp(-T / m)
    assert abs(second_page / n - p) < 4 * math.sqrt(p * (1 - p) / n)


BREACH = API_DOWN.replace("kind: outage", "kind: breach") + """
diagnosis: {improvised: 1h}
mitigation: {improvised: 1h}
recovery: {after_mitigation: 30m}
breach:
  contain: 30m
  notify:
    - {who: leadership, within: 1h, takes: 10h}
"""


def test_a_leadership_notification_is_met_when_the_cto_engages():
    # The CTO engages at 2m through the severity page: leadership know at once. Telling
    # them would have taken 10h from diagnosis (past the 1h deadline); instead the
    # notification is met at 2m, by the CTO, and no finding says it is at risk.
    sc, tm = scenario(BREACH), leadership_team()
    tl = run(sc, tm, assumptions=INSTANT)
    [told] = tl.find("notified")
    assert (told.t, told.data["how"], told.data["by"], told.data["within"]) == (120.0, "engaged", "cto", 3600.0)
    check_payload("notified", told.data)
    assert measure(tl, sc).values["notify_leadership"] == 120.0
    batch = score_many([tl], sc, tm)
    assert "breach-notification-at-risk" not in {f.rule for f in find_gaps(sc, tm, [], start=tl.started_at, batch=batch)}


def test_a_leadership_notification_nobody_engaged_for_is_told_after_its_takes():
    # Without the severity page the CTO is paged at level 2 (10m: alice never answers),
    # answers 2m later and engages at once: that too meets the notification, at 12m.
    # With nobody of leadership on the incident the notification is told: from the
    # diagnosis, after its 10h.
    tm = leadership_team(also_page=False)
    tl = run(scenario(BREACH), tm, assumptions=INSTANT)
    [told] = tl.find("notified")
    assert (told.t, told.data["how"], told.data["by"]) == (600.0 + 120.0, "engaged", "cto")
    # Nobody of leadership on the incident: alice answers; leadership are told.
    solo = team(LEADERSHIP_TEAM.format(cto_ack="{fixed: 2m}", also="")
                .replace("{fixed: 1m, miss: 1}", "{fixed: 1m}"))
    tl = run(scenario(BREACH), solo, assumptions=INSTANT)
    [told] = tl.find("notified")
    # alice answers at 1m and engages at once; diagnosis takes 1h; telling takes 10h.
    assert (told.t, told.data["how"]) == (60.0 + 3600.0 + 36000.0, "told")
    assert "by" not in told.data


#: Level 1 is a rotation that starts a day after the drill: nobody is on call there.
GAP_TEAM = """
team: gap
timezone: UTC
members:
  - {id: alice, name: Alice, timezone: UTC, ack: {working: 1m, evening: 1m, asleep: 1m}}
  - {id: bob, name: Bob, timezone: UTC, ack: {working: {mean: 4m}, evening: {mean: 4m}, asleep: {mean: 4m}}}
rotations:
  primary:
    layers: [{start: 2026-01-06T12:00:00+00:00, turn: 1w, members: [alice]}]
  secondary:
    layers: [{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [bob]}]
escalation:
  P1:
    levels:
      - {notify: rotation:primary, timeout: 10m}
      - {notify: rotation:secondary}
paging:
  push: {delay: 0s, fails: 0}
severity:
  P1: {definition: test, page: always}
"""


def test_a_level_1_gap_is_skipped_at_once_and_tta_counts_from_that_attempt():
    # Detected at 0s; level 1 finds nobody on call (recorded at 0s) and the policy pages
    # level 2 at once, as paging tools do (the level-1 timeout is not waited out), so
    # the gap between the attempt and the level-2 page is 0s. Bob answers after
    # Exp(mean 4m): median TTA = 0 + ln 2 * 240s.
    tm, sc = team(GAP_TEAM), scenario(API_DOWN)
    n, ttas = 1200, []
    for seed in range(n):
        tl = run(sc, tm, seed=seed, assumptions=INSTANT)
        gap = tl.first("page_missed", reason="nobody-on-call")
        page = tl.first("page_sent", purpose="incident")
        assert (gap.t, page.t, page.data["level"]) == (0.0, 0.0, 2)
        assert tl.milestone("paged") == gap.t
        ttas.append(measure(tl).values["tta"])
    median = float(np.median(ttas))
    expected = 0.0 + math.log(2) * 240.0
    # The sample median of Exp(mean m) has standard error m / sqrt(n) (density 1/(2m)
    # at the median); allow 4 of them.
    assert abs(median - expected) < 4 * 240.0 / math.sqrt(n)


def test_a_policy_that_finds_nobody_anywhere_misses_tta_rather_than_not_reaching_it():
    # Every level is a gap: the attempt at 0s is where TTA counts from, and nobody ever
    # acknowledges, so TTA is missed (inf), not "not reached" (None).
    tm = team(GAP_TEAM.replace("start: 2026-01-05T00:00:00+00:00", "start: 2026-01-07T00:00:00+00:00"))
    tl = run(scenario(API_DOWN), tm, assumptions=INSTANT, horizon=3600.0)
    assert tl.milestone("paged") == 0.0 and tl.first("page_sent") is None
    assert measure(tl).values["tta"] == math.inf


def test_the_coverage_gap_finding_says_what_the_engine_does():
    # primary covers weekdays only. The finding says a page then skips at once to the
    # next level; a drill on Saturday noon shows exactly that: the gap and the level-2
    # page at the detection instant, the level-1 timeout (10m) never waited out.
    from datetime import datetime, timezone

    tm = team(GAP_TEAM.replace("start: 2026-01-06T12:00:00+00:00, turn: 1w, members: [alice]",
                               "start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [alice], only: Mon-Fri"))
    saturday = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)
    sc = scenario(API_DOWN)
    [finding] = [f for f in find_gaps(sc, tm, [], start=saturday) if f.rule == "rotation-coverage-gap"]
    assert "skips at once to its next level" in finding.evidence and "until escalation" not in finding.evidence
    tl = run(sc, tm, start=saturday, assumptions=INSTANT)
    gap, page = tl.first("page_missed", reason="nobody-on-call"), tl.first("page_sent", purpose="incident")
    detected = tl.milestone("detected")
    assert (gap.t, page.t, page.data["level"]) == (detected, detected, 2)


def test_a_run_with_nobody_on_call_anywhere_counts_as_nobody_acknowledging():
    # Paging was attempted (every level a gap) and nobody acknowledged: the run counts
    # in the nobody-acknowledged finding, which says why.
    tm = team(GAP_TEAM.replace("start: 2026-01-05T00:00:00+00:00", "start: 2026-01-07T00:00:00+00:00"))
    sc = scenario(API_DOWN)
    tl = run(sc, tm, assumptions=INSTANT, horizon=3600.0)
    batch = score_many([tl], sc, tm)
    assert batch.evidence.nobody_acknowledged == 1
    [finding] = [f for f in find_gaps(sc, tm, [], start=tl.started_at, batch=batch) if f.rule == "nobody-acknowledged"]
    assert "no level had anyone on call to page" in finding.evidence
