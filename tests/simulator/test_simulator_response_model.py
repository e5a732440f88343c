"""Recovery alongside a runbook's remaining steps, skills that cost time when missing,
and diagnosis as its own work: each against a hand calculation with fixed times."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from simkit import API_DOWN, run, runbook, scenario, team
from simulator import Assumptions

#: engage, triage and first update take no time, so every instant below is a sum of the
#: fixed times written in the inputs.
INSTANT = Assumptions.instant()
#: 03:00 UTC: working hours in Singapore (bob), the middle of the night in New York.
EARLY = datetime(2026, 1, 5, 3, 0, tzinfo=timezone.utc)

TEAM = """
team: small
timezone: UTC
members:
  - {{id: alice, name: Alice, timezone: UTC, skills: [{skills}], ack: {{working: 1m, evening: 1m, asleep: 1m}}}}
  - {{id: bob, name: Bob, timezone: Asia/Singapore, skills: [{bob}], ack: {{working: 2m, evening: 2m, asleep: 2m}}}}
rotations:
  primary: {{layers: [{{start: 2026-01-05T00:00:00+00:00, turn: 1w, members: [alice]}}]}}
escalation:
  P1: {{levels: [{{notify: rotation:primary, timeout: 2h}}]}}
paging:
  push: {{delay: 0s, fails: 0}}
severity:
  P1: {{definition: major, update_every: 1h}}
{extra}
"""


def small(skills: str = "", bob: str = "postgres", extra: str = ""):
    return team(TEAM.format(skills=skills, bob=bob, extra=extra))


M = 60.0
H = 3600.0

# -- 1. recovery follows mitigation, alongside the runbook's remaining steps ----------------
FOUR_STEPS = """
id: restart-api
title: Restart the API
triggers: {{alerts: [ApiDown]}}
resolves: {resolves}
steps:
  - {{do: Drain traffic, takes: 2m}}
  - {{do: Restart the pods, takes: 10m, mitigates: true}}
  - {{do: Re-run the failed jobs, takes: {third}}}
  - {{do: Check dashboards, takes: 5m}}
"""


def test_recovery_runs_from_a_middle_step_that_mitigates_not_from_the_runbooks_end():
    # Mitigated at M = start + 2m + 10m; recovered at M + R = M + 1h although step 4 ends
    # at start + 12m + 3h + 5m; resolved once both allow: at the runbook's end.
    sc = scenario(API_DOWN + "recovery: {after_mitigation: 1h}\n")
    tl = run(sc, small(), [runbook(FOUR_STEPS.format(resolves="false", third="3h"))], assumptions=INSTANT)
    s = tl.first("runbook_started").t
    assert tl.milestone("mitigated") - s == pytest.approx(12 * M)
    assert tl.milestone("recovered") - s == pytest.approx(12 * M + H)
    last = tl.find("step_finished", step=3)[-1].t
    assert last - s == pytest.approx(12 * M + 3 * H + 5 * M)
    assert tl.milestone("resolved") == pytest.approx(last)


@pytest.mark.parametrize("third, recovered", [
    ("5m", 12 * M + 2 * H),                 # the runbook ends at 22m: the physical 2h wins
    ("4h", 12 * M + 4 * H + 5 * M),         # the runbook ends at 4h17m, after M + 2h
])
def test_a_runbook_that_resolves_never_shortens_the_physical_recovery(third, recovered):
    # resolves: recovered at max(M + R, the runbook's end), M = 12m, R = 2h.
    sc = scenario(API_DOWN + "recovery: {after_mitigation: 2h}\n")
    tl = run(sc, small(), [runbook(FOUR_STEPS.format(resolves="true", third=third))], assumptions=INSTANT)
    s = tl.first("runbook_started").t
    assert tl.milestone("recovered") - s == pytest.approx(recovered)
    assert tl.milestone("resolved") == tl.milestone("recovered")


# -- 2. a missing skill costs time, or the step is not done ---------------------------------
PG = """
id: pg
title: Postgres
triggers: {alerts: [ApiDown]}
mitigates: true
steps:
  - {do: Look at the database, takes: 10m, needs: postgres, succeeds: 1, on_failure: {then: abort}}
  - {do: Tell people, takes: 5m}
"""


def test_a_step_waits_for_the_holder_to_answer_their_page():
    # bob (working in Singapore) answers after a fixed A = 2m, pages arrive at once and
    # engaging takes 0s: the step starts A later than when alice holds the skill.
    with_holder = run(scenario(API_DOWN), small("postgres"), [runbook(PG)], start=EARLY, assumptions=INSTANT)
    paged = run(scenario(API_DOWN), small(), [runbook(PG)], start=EARLY, assumptions=INSTANT)

    def wait(tl):
        return tl.first("step_started", step=0).t - tl.first("runbook_started").t

    assert wait(with_holder) == 0.0
    assert wait(paged) == pytest.approx(2 * M)
    assert paged.first("step_started", step=0).actor == "bob"


def test_nobody_with_the_skill_and_no_fallback_means_the_step_is_not_done():
    tl = run(scenario(API_DOWN + "mitigation: {improvised: 40m}\n"), small(bob="networking"), [runbook(PG)],
             assumptions=INSTANT)
    assert tl.first("step_started", step=0) is None
    note = tl.first("note", gap="step-not-done")
    assert note is not None and note.data["runbook"] == "pg" and note.data["step"] == 0
    assert tl.first("note", gap="runbook-aborted") is not None
    # improvised instead: mitigated 40m after the runbook gave up, at no cost of its own
    assert tl.first("mitigated").data == {"how": "improvised"}
    assert tl.milestone("mitigated") - tl.first("runbook_started").t == pytest.approx(40 * M)


@pytest.mark.parametrize("succeeds, ok", [(1, True), (0, False)])
def test_where_the_team_allows_it_someone_without_the_skill_is_slower_and_less_reliable(succeeds, ok):
    # slower 3: the 10m step takes 30m; its chance 1 times the factor decides success.
    extra = f"response: {{without_skill: {{slower: 3, succeeds: {succeeds}}}}}"
    tl = run(scenario(API_DOWN), small(bob="networking", extra=extra), [runbook(PG)], assumptions=INSTANT)
    done = tl.first("step_finished", step=0)
    assert done.actor == "alice" and done.data["took"] == pytest.approx(30 * M) and done.data["ok"] is ok
    assert tl.first("note", gap="done-without-skill").data["skill"] == "postgres"


# -- 3. diagnosis is its own uncertain work ---------------------------------------------------
def test_a_wrong_lead_adds_exactly_its_cost_to_the_diagnosis():
    base = API_DOWN + "diagnosis:\n  improvised: 20m\n"
    lead = base + "  wrong_leads:\n    - {lead: the new load balancer, costs: 45m}\n    - {lead: DNS, costs: 1h, chance: 0}\n"
    for text, expected in ((base, 20 * M), (lead, 65 * M)):
        tl = run(scenario(text), small(), assumptions=INSTANT)
        assert tl.milestone("diagnosed") - tl.milestone("engaged") == pytest.approx(expected)
    assert tl.first("note", gap="wrong-lead").subject == "the new load balancer"
    assert tl.first("note", subject="DNS") is None  # a lead with chance 0 is never followed


STATUS = """
id: status-page
title: Tell customers
triggers: {alerts: [ApiDown]}
mitigates: true
steps: [{do: Post on the status page, takes: 15m}]
"""
FIX = """
id: fix-api
title: Fix the API
triggers: {tags: [outage]}
mitigates: true
steps: [{do: Roll back, takes: 10m}]
"""
CAUSED = API_DOWN + """
diagnosis: {improvised: 20m, cause: [fix-api]}
mitigation: {improvised: 40m}
"""


def test_a_runbook_on_a_symptom_costs_its_time_then_the_team_diagnoses():
    # status-page matches the alert (picked first) but not the cause: its 15m, then the
    # 20m diagnosis, then the 40m improvised mitigation; it mitigates nothing itself.
    tl = run(scenario(CAUSED), small(), [runbook(STATUS)], assumptions=INSTANT)
    e = tl.milestone("engaged")
    assert tl.first("note", gap="runbook-on-symptom").data["runbook"] == "status-page"
    assert tl.milestone("diagnosed") - e == pytest.approx(35 * M)
    assert tl.first("diagnosed").data == {"how": "improvised"}
    assert tl.milestone("mitigated") - e == pytest.approx(75 * M)
    assert tl.first("mitigated").data == {"how": "improvised"}


def test_after_the_symptom_the_runbook_for_the_cause_runs():
    tl = run(scenario(CAUSED), small(), [runbook(STATUS), runbook(FIX)], assumptions=INSTANT)
    e = tl.milestone("engaged")
    assert [r.subject for r in tl.find("runbook_started")] == ["status-page", "fix-api"]
    assert tl.milestone("mitigated") - e == pytest.approx((15 + 20 + 10) * M)  # symptom, diagnosis, fix
    assert tl.first("mitigated").data == {"how": "runbook", "runbook": "fix-api"}


def test_a_stated_estimate_applies_even_with_the_runbook_for_the_cause():
    sc = scenario(API_DOWN + "diagnosis: {takes: 1h, cause: [fix-api]}\n")
    tl = run(sc, small(), [runbook(FIX)], assumptions=INSTANT)
    assert tl.milestone("diagnosed") - tl.milestone("engaged") == pytest.approx(H)
    assert tl.first("diagnosed").data == {"how": "runbook", "runbook": "fix-api"}
    # without the estimate, the runbook for the cause names it at triage (0s here)
    tl = run(scenario(API_DOWN + "diagnosis: {cause: [fix-api]}\n"), small(), [runbook(FIX)], assumptions=INSTANT)
    assert tl.milestone("diagnosed") == tl.milestone("engaged")


@pytest.mark.parametrize("extra, bob, expected", [
    ("", "postgres", 2 * M + 30 * M - 2 * M / 3),   # holder at h = 2m: h + W - h/k, k = 3
    ("response: {without_skill: {slower: 2, succeeds: 1}}", "postgres", 2 * M + 30 * M - 1 * M),  # k = 2
    ("", "networking", 3 * 30 * M),                 # nobody holds it: W * k
])
def test_the_skill_of_who_is_engaged_speeds_diagnosis(extra, bob, expected):
    # W = 30m of work for a postgres holder; alice alone goes at 1/k speed until bob,
    # paged at engagement and answering after 2m, does the rest at full speed.
    sc = scenario(API_DOWN + "diagnosis: {improvised: 30m, needs: postgres}\n")
    tl = run(sc, small(bob=bob, extra=extra), start=EARLY, assumptions=INSTANT)
    assert tl.milestone("diagnosed") - tl.milestone("engaged") == pytest.approx(expected, abs=1e-3)
    # and with the holder leading the response, exactly W
    tl = run(sc, small("postgres", bob=bob, extra=extra), start=EARLY, assumptions=INSTANT)
    assert tl.milestone("diagnosed") - tl.milestone("engaged") == pytest.approx(30 * M)


LOST = """
id: lost
title: Data deleted
kind: data-loss
severity: P1
services: [api]
injects:
  - at: 0s
    fault: {{kind: data-deleted, service: api}}
  - at: 0s
    signal: {{metric: api.up, value: 0}}
monitoring:
  - {{alert: ApiDown, signal: api.up, below: 1, every: 10s}}
backups:
  - {{kind: snapshot, every: 24h, last_success: -1h, restore_time: 5h}}
diagnosis: {{improvised: 20m}}
mitigation: {{improvised: 40m}}
recovery: {{after_mitigation: {recovery}}}
"""


@pytest.mark.parametrize("recovery, after_engaged", [
    ("1h", 20 * M + 5 * H),       # the restore (from diagnosis at 20m, 5h) ends after M + R = 2h
    ("6h", 60 * M + 6 * H),       # M + R = 1h + 6h ends after the restore
])
def test_the_recovery_time_runs_alongside_a_restore(recovery, after_engaged):
    tl = run(scenario(LOST.format(recovery=recovery)), small(), assumptions=INSTANT)
    e = tl.milestone("engaged")
    assert tl.milestone("restored_data") - e == pytest.approx(20 * M + 5 * H)
    assert tl.milestone("recovered") - e == pytest.approx(after_engaged)
