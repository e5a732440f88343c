"""What the facilitator's and the team's views of a tabletop show: one JSON-able mapping
built from the session's record (the shape is the README's, section "Tabletop drills").

The team sees what people in the room would see: the cards and signals released to them
(without the facilitator's notes; faults are the room's to find out), the signals, alerts and pages, the status page, the runbooks
and what the room did. The facilitator sees everything besides: upcoming and held
injects with their notes and questions, what the model waits for, the gaps the model
records (notes), faults and impact."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, get_args

from scenarios.durations import format_duration
from scenarios.scenario import Inject
from scenarios.tabletop import Party

if TYPE_CHECKING:
    from .tabletop import Tabletop

#: Event kinds the team's record leaves out: the model's knowledge of faults and impact.
HIDDEN = frozenset(("fault_applied", "fault_restored", "impact_started", "detected"))
PARTIES = list(get_args(Party))
MILESTONES = ("detected", "acknowledged", "diagnosed", "mitigated", "recovered", "resolved")


def build_state(tt: "Tabletop", facilitator: bool) -> dict[str, Any]:
    """The state of ``tt`` for the facilitator's view, or the team's (see the module
    docstring). Called under the session's lock."""
    run, sc, team = tt._run, tt.scenario, tt.team
    events = tt._events
    t = tt._clock.now()
    return {
        "version": tt._version,
        "phase": tt._phase,
        "scenario": {"id": sc.id, "title": sc.title, "kind": sc.kind, "severity": sc.severity, "summary": sc.summary},
        "team": team.team,
        "clock": {"t": t, "speed": tt._clock.speed, "running": tt._clock.running, "start": tt.start.isoformat(),
                  "now_wall": (tt.start + timedelta(seconds=t)).isoformat()},
        "severity": tt._room.severity,
        "injects": _injects(tt, facilitator),
        "signals": [{"t": e.t, "kind": e.data["kind"], "metric": e.data.get("metric"), "value": e.data.get("value"),
                     "text": e.data.get("text"), "source": e.data.get("source")} for e in events if e.kind == "signal"],
        "alerts": _alerts(events),
        "pages": _pages(tt),
        "waiting": _waiting(tt) if facilitator else [],
        "runbooks": _runbooks(tt),
        "status_page": _status_page(tt),
        "members": [{"id": m.id, "name": m.name, "roles": [r for r, holders in team.roles.items() if m.id in holders]}
                    for m in team.members],
        "severities": list(team.severity),
        "parties": PARTIES,
        "milestones": _milestones(events),
        "record": [{"n": n, "t": e.t, "kind": e.kind, "actor": e.actor, "subject": e.subject, "text": describe(e)}
                   for n, e in enumerate(events, 1) if facilitator or _team_sees(e)],
        "hotwash": [dict(h) for h in tt._hotwash],
    }


def _team_sees(e) -> bool:
    if e.kind in HIDDEN:
        return False
    return e.kind != "note" or e.data.get("gap") == "observation"


def inject_title(inj: Inject) -> str:
    """A line that names an inject: a card's title, a fault, a signal."""
    if inj.card is not None:
        return inj.card.title
    if inj.fault is not None:
        return f"{inj.fault.kind} on {inj.fault.service}"
    s = inj.signal
    assert s is not None
    return s.text if s.metric is None else f"{s.metric} = {s.value:g}"


def _condition_text(inj: Inject) -> str | None:
    if inj.when is None:
        return None
    name, secs = next((k, v) for k, v in inj.when if v is not None)
    return f"{name} {format_duration(secs)}"


def _injects(tt: "Tabletop", facilitator: bool) -> list[dict[str, Any]]:
    run = tt._run
    fired: dict[int, str | None] = {}
    for e in tt._events:
        i = e.data.get("index") if e.kind == "inject" else e.data.get("inject") if e.kind in ("fault_applied", "signal") else None
        if i is not None and i not in fired:
            fired[i] = e.data.get("condition")
    out = []
    for i, inj in enumerate(tt.scenario.injects):
        if i in run.delivered:
            status = "released"
        elif i in run.held:
            status = "held"
        elif i in run.skipped:
            status = "skipped"
        else:
            status = "upcoming"
        if not facilitator and (status != "released" or inj.fault is not None):
            continue  # what broke is the room's to find out
        body = inj.card.body if inj.card else inj.fault.note if inj.fault else inj.signal.text if inj.signal else None
        item: dict[str, Any] = {
            "index": i, "at": inj.at, "when": _condition_text(inj), "what": inj.what, "title": inject_title(inj),
            "body": body, "status": status, "released_t": run.delivered.get(i), "condition": fired.get(i),
            "questions": list(inj.card.questions) if inj.card else [],
        }
        if facilitator:
            item["facilitator"] = inj.card.facilitator if inj.card else None
        out.append(item)
    return out


def _alerts(events) -> list[dict[str, Any]]:
    alerts: dict[str, dict[str, Any]] = {}
    for e in events:
        if e.kind == "alert_fired":
            alerts[e.subject] = {"alert": e.subject, "severity": e.data["severity"], "state": "firing", "t": e.t}
        elif e.kind == "alert_resolved" and e.subject in alerts:
            alerts[e.subject]["state"] = "resolved"
    return list(alerts.values())


def _pages(tt: "Tabletop") -> list[dict[str, Any]]:
    run = tt._run
    waiting = {d.details["page"] for d in run.decisions if d.open and d.kind == "acknowledge"}
    acked = {e.data["page"] for e in tt._events if e.kind == "acknowledged"}
    names = {m.id: m.name for m in tt.team.members}
    out = []
    for e in tt._events:
        if e.kind != "page_sent":
            continue
        p = e.data["page"]
        state = "acknowledged" if p in acked else "open" if p in waiting else "missed"
        out.append({"page": p, "to": e.data["to"], "name": names.get(e.data["to"], e.data["to"]),
                    "purpose": e.data["purpose"], "t": e.t, "state": state})
    return out


def _waiting(tt: "Tabletop") -> list[dict[str, Any]]:
    return [{"decision": d.id, "kind": d.kind, "who": d.who, "subject": d.subject, "text": waiting_text(d)}
            for d in tt._run.decisions if d.open]


def waiting_text(d) -> str:
    """What the room would do to answer decision ``d``."""
    k, det = d.kind, d.details
    if k == "acknowledge":
        return f"{d.who} to acknowledge page {det['page']} ({d.subject})"
    if k == "runbook":
        suggested = f" (suggested: {det['suggested']})" if det.get("suggested") else ""
        return f"{d.who} to start a runbook{suggested} or declare the cause"
    if k == "step":
        return f"{d.who} to finish step {det['step'] + 1} of runbook {det['runbook']}: {d.subject}"
    if k == "update":
        return f"{d.who} to post status update {det['n']}"
    what = {"diagnosis": "declare the cause known (diagnosed)", "mitigation": "declare mitigated",
            "recovery": "declare recovered", "contain": "declare the breach contained",
            "notify": f"notify {d.subject}", "restore": f"restore the data from the {d.subject} backup"}.get(k, k)
    return f"{d.who} to {what}"


def _runbooks(tt: "Tabletop") -> list[dict[str, Any]]:
    room = tt._room
    started = set(room._started())
    out = []
    for rb in tt.runbooks:
        finished = [e for e in tt._events if e.kind == "step_finished" and e.data["runbook"] == rb.id]
        current = room.current_step(rb.id) if rb.id in started else None
        steps = []
        for i, s in enumerate(rb.steps):
            mine = [e for e in finished if e.data["step"] == i]
            if any(e.data["ok"] for e in mine):
                state = "done"
            elif current is not None and current[0] == i:
                state = "current"
            elif mine:
                state = "failed"
            else:
                state = "pending"
            steps.append({"step": i + 1, "do": s.do, "state": state})
        out.append({"id": rb.id, "title": rb.title, "started": rb.id in started, "steps": steps})
    return out


#: What customers see of a service hit by an outage (a degradation) while the last
#: posted update has this phase.
_COMPONENT = {"investigating": ("major_outage", "degraded_performance"),
              "identified": ("major_outage", "degraded_performance"),
              "monitoring": ("partial_outage", "degraded_performance"),
              "resolved": ("operational", "operational")}


def _status_page(tt: "Tabletop") -> dict[str, Any]:
    """The status page as customers see it: nothing until the room posts an update; then
    the services hit, by the phase of the latest update."""
    updates = [{"t": e.t, "phase": e.data["phase"], "text": e.data.get("text")}
               for e in tt._events if e.kind == "status_update"]
    hit: dict[str, str] = {}
    for e in tt._events:
        if e.kind == "impact_started" and e.data["impact"] != "none":
            hit.setdefault(e.subject, e.data["impact"])
    phase = updates[-1]["phase"] if updates else None
    components = []
    for service in tt.scenario.services:
        status = "operational"
        if phase is not None and service in hit:
            outage, degraded = _COMPONENT[phase]
            status = outage if hit[service] == "outage" else degraded
        components.append({"service": service, "status": status})
    return {"components": components, "updates": updates}


def _milestones(events) -> dict[str, float | None]:
    first: dict[str, float | None] = dict.fromkeys(MILESTONES)
    for e in events:
        if e.kind == "acknowledged" and e.data.get("purpose") != "incident":
            continue
        if e.kind in first and first[e.kind] is None:
            first[e.kind] = e.t
    return first


def describe(e) -> str:
    """One line saying what an event means, for the record both views show."""
    d, k = e.data, e.kind
    texts = {
        "drill_started": lambda: f"drill started (severity {d.get('severity')})",
        "inject": lambda: f"inject: {e.subject}" + (f" ({d['condition']})" if d.get("condition") else ""),
        "fault_applied": lambda: f"fault {d.get('fault')} on {d.get('service')} ({d.get('impact')})",
        "fault_restored": lambda: f"fault {d.get('fault')} on {d.get('service')} restored",
        "impact_started": lambda: f"customers see {d.get('impact')} on {d.get('service')}"
                                  + (f" ({d['share']:.0%} of {d.get('of')})" if d.get("share") is not None else "")
                                  + (f", caused by the response ({d.get('action')})" if d.get("caused_by") else ""),
        "impact_restored": lambda: (f"impact on {d['service']} caused by the response is over" if d.get("service")
                                    else f"{d.get('restored', 0):.0%} of {d.get('of') or 'the affected'} restored"),
        "signal": lambda: d.get("text") or f"{d.get('metric')} = {d.get('value')}",
        "detected": lambda: f"incident detected via {d.get('alert') or d.get('via')}",
        "alert_fired": lambda: f"alert {e.subject} firing ({d.get('severity')})",
        "alert_resolved": lambda: f"alert {e.subject} resolved",
        "page_sent": lambda: f"page {d.get('page')} to {d.get('to')} ({d.get('purpose')}, {d.get('target')})",
        "page_missed": lambda: (f"page {d['page']} to {d.get('to')}" if d.get("page") else f"nobody to page for {d.get('target')}")
                               + f" missed ({d.get('reason')})",
        "acknowledged": lambda: f"{d.get('by')} acknowledged page {d.get('page')}",
        "escalated": lambda: f"escalated to level {d.get('to_level')} of {d.get('policy')}",
        "responder_engaged": lambda: f"{d.get('by')} engaged as {d.get('role')}",
        "diagnosed": lambda: "cause known" + (f" (runbook {d['runbook']})" if d.get("runbook") else ""),
        "runbook_started": lambda: f"runbook {d.get('runbook')} started",
        "step_started": lambda: f"step {int(d.get('step', 0)) + 1} of {d.get('runbook')}: {e.subject}",
        "step_finished": lambda: f"step {int(d.get('step', 0)) + 1} of {d.get('runbook')} "
                                 f"{'done' if d.get('ok') else 'failed'}",
        "status_update": lambda: f"status update ({d.get('phase')})" + (f": {d['text']}" if d.get("text") else ""),
        "notified": lambda: f"{d.get('who')} notified",
        "contained": lambda: "breach contained",
        "restored_data": lambda: f"data restored from the {d.get('backup')} backup",
        "mitigated": lambda: "mitigated",
        "recovered": lambda: "recovered",
        "resolved": lambda: "resolved",
        "severity_changed": lambda: f"severity {d.get('was')} -> {d.get('severity')}",
        "note": lambda: str(d.get("text")),
        "drill_ended": lambda: f"drill ended ({d.get('reason')})",
    }
    return texts[k]() if k in texts else k
