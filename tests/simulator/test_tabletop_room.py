"""The room's actions: what each does to the model, and every refusal changes nothing
(neither the timeline nor the journal)."""

from __future__ import annotations

import pytest

from scenarios.events import check_payload
from simulator.tabletop import TabletopError
from tabletop_kit import DETECTED, RESTART, act, kinds, run_to, session, started

BREACH = """
id: token-leak
title: A leaked token
kind: breach
severity: P1
services: [api]
injects:
  - at: 0s
    fault: {kind: credential-leaked, service: api, impact: none}
  - at: 30s
    signal: {kind: security, text: A token is used from abroad}
monitoring:
  - alert: TokenAbroad
    on: security
    every: 1m
breach:
  notify:
    - {who: regulator, within: 72h}
    - {who: customers, within: 1w}
"""

DATA_LOSS = """
id: rows-gone
title: Rows deleted
kind: data-loss
severity: P1
services: [db]
injects:
  - at: 0s
    fault: {kind: data-deleted, service: db}
  - at: 0s
    signal: {metric: db.rows_ratio, value: 0.1}
monitoring:
  - alert: RowsGone
    signal: db.rows_ratio
    below: 0.5
    every: 1m
backups:
  - {kind: nightly, every: 1d, last_success: -6h, restore_time: 1h}
"""


def snapshot(tt):
    return tt.timeline().events, tt.entries()


def refused(tt, action: dict, match: str, *, facilitator: bool = False) -> None:
    """``action`` is refused with a message matching ``match``, and nothing changed."""
    before = snapshot(tt)
    version = tt.version
    with pytest.raises(TabletopError, match=match):
        tt.act(act(**action), facilitator=facilitator)
    assert snapshot(tt) == before and tt.version == version


def engaged(**kw):
    tt, clock = started(**kw)
    run_to(tt, clock, 240.0)
    tt.act(act(action="acknowledge"))
    return tt, clock


# -- refusals ---------------------------------------------------------------------------
def test_before_the_start_the_room_can_do_nothing():
    tt, _ = session()
    refused(tt, {"action": "acknowledge"}, "the drill has not started: the facilitator starts the clock")
    refused(tt, {"action": "note", "text": "hello"}, "has not started")
    refused(tt, {"action": "start"}, "only the facilitator can start the clock")
    refused(tt, {"action": "end"}, "the drill has not started: start the clock first", facilitator=True)
    refused(tt, {"action": "release", "inject": 2}, "start the clock, then release", facilitator=True)
    refused(tt, {"action": "hotwash", "kind": "strength", "text": "x"}, "the facilitator ends the clock first")


@pytest.mark.parametrize("action, match", [
    ({"action": "acknowledge"}, r"nothing to acknowledge: no page is waiting for an answer"),
    ({"action": "update", "phase": "investigating", "text": "hi"}, "nothing has detected the incident yet: declare its severity"),
    ({"action": "runbook", "runbook": "restart-web"}, "nothing has detected the incident yet: declare its severity"),
    ({"action": "runbook", "runbook": "nope"}, r"unknown runbook 'nope'; the runbooks: restart-web"),
    ({"action": "step", "runbook": "restart-web", "step": 1, "ok": True}, "was not started; start it first"),
    ({"action": "diagnosed"}, "nothing has detected the incident yet: declare its severity"),
    ({"action": "mitigated"}, "nothing has detected the incident yet: declare its severity"),
    ({"action": "recovered"}, "nothing has detected the incident yet: declare its severity"),
    ({"action": "resolved"}, "nothing has detected the incident yet: declare its severity"),
    ({"action": "contained"}, "nothing to contain: this scenario is not a breach"),
    ({"action": "restored"}, "nothing to restore"),
    ({"action": "escalate", "to": "zed"}, r"unknown member 'zed'; the team's members: alice, bob, carol"),
    ({"action": "escalate", "to": "role:chef"}, r"unknown role 'chef'; the team's roles: incident-commander, leadership"),
    ({"action": "severity", "level": "P9"}, r"unknown severity 'P9'; the team's severities: P1, P0"),
    ({"action": "note", "text": "x", "by": "zed"}, "unknown member 'zed'"),
    ({"action": "pause"}, "only the facilitator can pause the clock"),
    ({"action": "hotwash", "kind": "improvement", "text": "x"}, "hot-wash notes come after the drill"),
])
def test_a_refused_action_changes_nothing(action, match):
    tt, clock = started()
    run_to(tt, clock, 100.0)  # before detection (180s): no page yet
    refused(tt, action, match)


def test_refusals_once_someone_is_engaged():
    tt, clock = engaged()
    refused(tt, {"action": "acknowledge", "page": 1}, r"page 1 is not waiting for an answer; pages waiting: 2 \(bob\)")
    refused(tt, {"action": "acknowledge", "page": 9}, "page 9 was never sent")
    refused(tt, {"action": "acknowledge", "by": "carol"}, r"carol has no page waiting for an answer; pages waiting: 2 \(bob\)")
    refused(tt, {"action": "acknowledge", "page": 2, "by": "alice"}, "page 2 went to bob, not alice")
    refused(tt, {"action": "mitigated"}, r"the cause is not known yet: declare diagnosed \(or start a runbook\) first")
    refused(tt, {"action": "recovered"}, "the incident is not mitigated yet: declare mitigated first")
    refused(tt, {"action": "resolved"}, "the incident is not recovered yet: declare recovered first")
    refused(tt, {"action": "step", "runbook": "restart-web", "step": 1, "ok": True}, "was not started")
    tt.act(act(action="runbook", runbook="restart-web"))
    refused(tt, {"action": "runbook", "runbook": "restart-web"}, "runbook restart-web is started already")
    refused(tt, {"action": "diagnosed"}, r"the cause is known already \(diagnosed at 240s\)")
    refused(tt, {"action": "step", "runbook": "restart-web", "step": 2, "ok": True},
            r"step 2 of runbook restart-web is not the current step; the current step is 1 \(Drain the load balancer\)")
    refused(tt, {"action": "step", "runbook": "restart-web", "step": 4, "ok": True}, "has 3 steps; there is no step 4")
    tt.act(act(action="step", runbook="restart-web", step=1, ok=True))
    refused(tt, {"action": "step", "runbook": "restart-web", "step": 1, "ok": True},
            "step 1 of runbook restart-web is done already; the current step is 2")


def test_after_the_end_only_the_hot_wash_goes_on():
    tt, clock = engaged()
    tt.act(act(action="end"), facilitator=True)
    assert tt.phase == "hotwash" and tt.timeline().events[-1].data == {"reason": "ended"}
    refused(tt, {"action": "note", "text": "late"}, r"the drill has ended: add a hot-wash note \(hotwash\) instead")
    refused(tt, {"action": "resume"}, "the drill has ended; only the hot wash goes on", facilitator=True)
    tt.act(act(action="hotwash", kind="strength", text="Fast page", by="alice"))
    tt.act(act(action="finish"), facilitator=True)
    refused(tt, {"action": "hotwash", "kind": "strength", "text": "x"}, "the hot wash is finished")
    refused(tt, {"action": "finish"}, "the hot wash is finished already", facilitator=True)
    assert tt.hotwash() == [{"kind": "strength", "text": "Fast page", "by": "alice", "t": 240.0}]


# -- what the actions do ------------------------------------------------------------------
def test_a_runbook_worked_by_the_room_with_a_failed_step_handed_to_the_next_tier():
    tt, clock = engaged()
    tt.act(act(action="runbook", runbook="restart-web"))
    tl = tt.timeline()
    assert tl.first("diagnosed").t == 240.0 and tl.first("diagnosed").data == {"how": "runbook", "runbook": "restart-web"}
    assert tt.state(facilitator=False)["runbooks"][0]["steps"][0]["state"] == "current"
    run_to(tt, clock, 300.0)
    tt.act(act(action="step", runbook="restart-web", step=1, ok=True))
    run_to(tt, clock, 400.0)
    tt.act(act(action="step", runbook="restart-web", step=2, ok=False))  # no retry; then: escalate (the default)
    tl = tt.timeline()
    finished = [(e.t, e.data["step"], e.data["ok"], e.data["took"]) for e in tl.events if e.kind == "step_finished"]
    assert finished == [(300.0, 0, True, 60.0), (400.0, 1, False, 100.0)]
    expert = tl.events[-1]  # the next level of the policy that paged alice: bob
    assert (expert.kind, expert.data["to"], expert.data["purpose"], expert.data["target"]) == \
        ("page_sent", "bob", "expert", "policy:default")
    assert [s["state"] for s in tt.state(facilitator=True)["runbooks"][0]["steps"]] == ["done", "failed", "pending"]
    refused(tt, {"action": "step", "runbook": "restart-web", "step": 2, "ok": True}, "is being paged")
    run_to(tt, clock, 450.0)
    tt.act(act(action="acknowledge", page=expert.data["page"]))
    assert [s["state"] for s in tt.state(facilitator=True)["runbooks"][0]["steps"]] == ["done", "current", "pending"]
    run_to(tt, clock, 500.0)
    tt.act(act(action="step", runbook="restart-web", step=2, ok=True))
    tl = tt.timeline()
    second = [(e.actor, e.data["attempt"]) for e in tl.events if e.kind == "step_finished" and e.data["step"] == 1]
    assert second == [("alice", 1), ("bob", 2)]
    m = tl.first("mitigated")
    assert (m.t, m.data) == (500.0, {"how": "runbook", "runbook": "restart-web", "step": 1})
    tt.act(act(action="step", runbook="restart-web", step=3, ok=True))
    run_to(tt, clock, 600.0)
    tt.act(act(action="recovered"))
    run_to(tt, clock, 700.0)
    tt.act(act(action="resolved", text="Back to normal"))
    tl = tt.timeline()
    assert [(e.kind, e.t) for e in tl.events[-3:]] == [("resolved", 700.0), ("status_update", 700.0),
                                                       ("drill_ended", 700.0)]
    assert tl.milestone("recovered") == 600.0 and tl.milestone("resolved") == 700.0
    closing = [e for e in tl.events if e.kind == "status_update"][-1]
    assert closing.data == {"phase": "resolved", "public": False, "n": 1, "text": "Back to normal"}
    assert tl.events[-1].data == {"reason": "resolved"}
    refused(tt, {"action": "note", "text": "x"}, "the incident is over")


def test_a_runbook_that_stops_leaves_the_mitigation_to_the_room():
    aborting = RESTART.replace("takes: 5m, mitigates: true}", "takes: 5m, mitigates: true, on_failure: {then: abort}}")
    tt, clock = engaged(runbooks=(aborting,))
    tt.act(act(action="runbook", runbook="restart-web"))
    tt.act(act(action="step", runbook="restart-web", step=1, ok=True))
    tt.act(act(action="step", runbook="restart-web", step=2, ok=False))
    assert tt.timeline().events[-1].data["gap"] == "runbook-aborted"
    assert [s["state"] for s in tt.state(facilitator=True)["runbooks"][0]["steps"]] == ["done", "failed", "pending"]
    refused(tt, {"action": "step", "runbook": "restart-web", "step": 3, "ok": True}, "stopped")
    assert [w["kind"] for w in tt.state(facilitator=True)["waiting"]] == ["acknowledge", "update", "mitigation"]
    run_to(tt, clock, 500.0)
    tt.act(act(action="mitigated"))
    assert tt.timeline().first("mitigated").data == {"how": "improvised"}


def test_mitigated_ahead_of_the_runbook_acts_on_the_incident_at_once():
    tt, clock = engaged()
    tt.act(act(action="runbook", runbook="restart-web"))
    run_to(tt, clock, 300.0)
    tt.act(act(action="mitigated", by="bob"))
    m = tt.timeline().first("mitigated")
    assert (m.t, m.actor, m.data) == (300.0, "bob", {"how": "runbook", "runbook": "restart-web"})
    # the runbook goes on; its mitigating step no longer mitigates again
    for step in (1, 2, 3):
        tt.act(act(action="step", runbook="restart-web", step=step, ok=True))
    assert kinds(tt).count("mitigated") == 1
    assert [w["kind"] for w in tt.state(facilitator=True)["waiting"]] == ["acknowledge", "update", "recovery"]


def test_diagnosed_without_a_runbook_improvises():
    tt, clock = engaged()
    tt.act(act(action="diagnosed"))
    tl = tt.timeline()
    assert tl.first("diagnosed").data == {"how": "improvised"} and tl.first("runbook_started") is None
    assert "mitigation" in [w["kind"] for w in tt.state(facilitator=True)["waiting"]]
    refused(tt, {"action": "runbook", "runbook": "restart-web"}, "improvising already")


def test_an_update_says_what_the_room_wrote_and_one_is_posted_when_none_is_due():
    tt, clock = engaged()
    tt.act(act(action="update", phase="investigating", text="We see errors"))
    tt.act(act(action="update", phase="identified", text="A bad deploy", by="bob"))
    ups = [(e.actor, e.data["phase"], e.data["n"], e.data["text"]) for e in tt.timeline().events if e.kind == "status_update"]
    assert ups == [("alice", "investigating", 1, "We see errors"), ("bob", "identified", 2, "A bad deploy")]
    page = tt.state(facilitator=False)["status_page"]
    assert page["updates"][-1] == {"t": 240.0, "phase": "identified", "text": "A bad deploy"}
    assert page["components"] == [{"service": "web", "status": "major_outage"}]


def test_escalate_pages_a_person_or_a_role_by_hand_and_the_room_acknowledges_it():
    tt, clock = engaged()
    tt.act(act(action="escalate", to="carol"))
    tt.act(act(action="escalate", to="role:incident-commander"))
    pages = [e for e in tt.timeline().events if e.kind == "page_sent" and e.data["purpose"] == "manual"]
    assert [(e.t, e.data["to"], e.data["target"]) for e in pages] == [(240.0, "carol", "person:carol"),
                                                                      (240.0, "bob", "role:incident-commander")]
    tt.act(act(action="acknowledge", page=pages[0].data["page"]))
    engaged_ = [e for e in tt.timeline().events if e.kind == "responder_engaged" and e.data["by"] == "carol"]
    assert [(e.t, e.data["role"]) for e in engaged_] == [(240.0, "person")]
    for e in tt.timeline().events:
        check_payload(e.kind, e.data)


def test_a_severity_declared_pages_who_it_names_and_nobody_twice():
    tt, clock = engaged()  # P1 paged alice (incident) and bob (incident commander)
    tt.act(act(action="severity", level="P0", by="alice"))
    tl = tt.timeline()
    change = tl.first("severity_changed")
    assert (change.t, change.actor, change.data) == (240.0, "alice", {"severity": "P0", "was": "P1"})
    new = [e.data["to"] for e in tl.events if e.kind == "page_sent" and e.t == 240.0 and e.data["purpose"] == "severity"]
    assert new == ["carol"]  # leadership; bob, the incident commander, has a page already
    assert tt.state(facilitator=False)["severity"] == "P0"
    check_payload("severity_changed", change.data)
    refused(tt, {"action": "severity", "level": "P0"}, "the severity is P0 already")
    # P0 asks for public updates, P1 does not: an update is public by the severity declared when posted
    tt.act(act(action="update", phase="investigating", text="Down for everyone"))
    tt.act(act(action="severity", level="P1"))
    tt.act(act(action="update", phase="identified", text="Found it"))
    assert [e.data["public"] for e in tt.timeline().events if e.kind == "status_update"] == [True, False]


def test_a_breach_is_contained_and_its_parties_notified_before_it_resolves():
    tt, clock = started(sc_text=BREACH, runbooks=())
    run_to(tt, clock, 120.0)
    assert tt.timeline().first("detected").t == 60.0  # the first 1m tick after the 30s signal
    tt.act(act(action="acknowledge"))
    tt.act(act(action="notify", party="leadership", text="Heads up"))  # not asked for: recorded as it is
    n = tt.timeline().first("notified")
    assert (n.subject, n.data) == ("leadership", {"who": "leadership"})
    tt.act(act(action="diagnosed"))
    waiting = {(w["kind"], w["subject"]) for w in tt.state(facilitator=True)["waiting"]}
    assert {("contain", "token-leak"), ("notify", "regulator"), ("notify", "customers")} <= waiting
    tt.act(act(action="mitigated"))
    tt.act(act(action="recovered"))
    refused(tt, {"action": "resolved"}, "containment is still open: declare contained first")
    tt.act(act(action="contained"))
    refused(tt, {"action": "contained"}, "the breach is contained already")
    refused(tt, {"action": "resolved"}, "notifications still open: regulator, customers; notify them first")
    tt.act(act(action="notify", party="regulator"))
    refused(tt, {"action": "notify", "party": "regulator"}, r"regulator were notified already \(at 120s\)")
    tt.act(act(action="notify", party="customers"))
    tt.act(act(action="resolved"))
    tl = tt.timeline()
    notified = {e.data["who"]: e.data.get("within") for e in tl.events if e.kind == "notified"}
    assert notified == {"leadership": None, "regulator": 72 * 3600.0, "customers": 7 * 86400.0}
    assert tl.events[-1].data == {"reason": "resolved"}


def test_data_is_restored_before_the_incident_recovers():
    tt, clock = started(sc_text=DATA_LOSS, runbooks=())
    run_to(tt, clock, 60.0)
    tt.act(act(action="acknowledge"))
    refused(tt, {"action": "restored"}, r"the restore starts once the cause is known")
    tt.act(act(action="diagnosed"))
    tt.act(act(action="mitigated"))
    refused(tt, {"action": "recovered"}, "the data is not restored yet: declare restored first")
    run_to(tt, clock, 3000.0)
    tt.act(act(action="restored"))
    r = tt.timeline().first("restored_data")
    # the nightly copy taken 6h before the start; the loss at 0s; restored at 3000s, impact at 0s
    assert (r.t, r.data) == (3000.0, {"backup": "nightly", "backup_t": -21600.0, "rpo": 21600.0, "rto": 3000.0})
    refused(tt, {"action": "restored"}, "the data is restored already")
    tt.act(act(action="recovered"))
    assert tt.timeline().milestone("recovered") == 3000.0


def test_a_note_is_an_observation_the_team_sees():
    tt, clock = engaged()
    tt.act(act(action="note", text="Support says EU only", by="carol"))
    note = tt.timeline().events[-1]
    assert (note.kind, note.actor, note.data) == ("note", "carol", {"gap": "observation", "text": "Support says EU only"})
    record = tt.state(facilitator=False)["record"]
    assert record[-1]["text"] == "Support says EU only"
    assert not any(r["kind"] in ("fault_applied", "impact_started") for r in record)


def test_the_journal_says_who_took_each_action_and_when():
    tt, clock = engaged()
    entries = [e for e in tt.entries() if not e.get("clock")]
    assert [(e["t"], e["by"], e["action"]) for e in entries] == [
        (0.0, "facilitator", {"action": "start"}), (240.0, "room", {"action": "acknowledge"})]
    assert [e["n"] for e in tt.entries()] == list(range(1, len(tt.entries()) + 1))
    assert DETECTED < 240.0


def test_the_room_declares_the_incident_before_monitoring_sees_it():
    # WebDown detects at 180s; at 100s someone in the room noticed and declares P1.
    tt, clock = started()
    run_to(tt, clock, 100.0)
    refused(tt, {"action": "update", "phase": "investigating", "text": "Looking"},
            "nothing has detected the incident yet: declare its severity to open it")
    tt.act(act(action="severity", level="P1", by="carol"))
    run_to(tt, clock, 101.0)
    tl = tt.timeline()
    detected = tl.first("detected")
    assert (detected.t, detected.actor, detected.data["via"]) == (100.0, "carol", "internal-report")
    pages = [(e.data["to"], e.data["purpose"]) for e in tl.events if e.kind == "page_sent"]
    assert pages == [("alice", "incident"), ("bob", "severity")]  # the policy, and P1's commander once
    # bob (the commander) answers first: the incident's page still waits, and the message names it
    tt.act(act(action="acknowledge", by="bob"))
    refused(tt, {"action": "update", "phase": "investigating", "text": "Looking"},
            r"acknowledge the incident's page first \(page 1 to alice\)")
    tt.act(act(action="acknowledge"))
    tt.act(act(action="update", phase="investigating", text="Looking"))
    run_to(tt, clock, 400.0)
    assert tt.timeline().first("alert_fired").t == 180.0  # monitoring still fires; the incident is one
    assert sum(e.kind == "detected" for e in tt.timeline().events) == 1
