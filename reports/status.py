"""The public status page as customers would have seen it during a run.

A status page changes only when the team posts to it: until the first *public*
``status_update`` it shows every component operational, whatever the impact. At each
public update every component takes the state the incident was in at that instant:

* not (yet) affected, or its fault restored, or the service recovered: ``operational``
* affected by a ``degraded`` impact: ``degraded_performance``
* affected by an ``outage`` impact: ``major_outage``, or ``partial_outage`` once the
  impact is mitigated

and a ``resolved`` update returns every component to ``operational``. The update
texts are the team's own where they wrote them (a tabletop's room posts phase and
text, shown exactly as posted); otherwise the usual status-page phrasing for each phase
(investigating, identified, monitoring, resolved), worded after what the events show
was happening: while lost
data is still being restored an update says so (and shows as "identified") even when
the team posted "monitoring"; the events carry the phase, not the words. Updates with
the same words in a row are one entry that says how often they were posted.
"""

from __future__ import annotations

from typing import Any, Callable

from scenarios import SeverityLevel
from scenarios.cadence import interval_at, phase_cadence
from scenarios.timeline import Event, Timeline

from . import fmt
from .narrative import cadence as cadence_of
from .view import Inputs, header

STATES = ("operational", "degraded_performance", "partial_outage", "major_outage")
STATE_WORDS = {"operational": "Operational", "degraded_performance": "Degraded performance",
               "partial_outage": "Partial outage", "major_outage": "Major outage"}
STATE_SIGN = {"operational": "✓", "degraded_performance": "◐", "partial_outage": "▲", "major_outage": "✕"}
BANNER = {"operational": "All systems operational", "degraded_performance": "Some systems are experiencing degraded performance",
          "partial_outage": "Partial system outage", "major_outage": "Major system outage"}
PHASE_WORDS = {"investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring", "resolved": "Resolved"}


def _states(tl: Timeline, services: list[str], t: float, phase: str) -> dict[str, str]:
    if phase == "resolved":
        return dict.fromkeys(services, "operational")
    impact: dict[str, str] = {}
    restored: set[str] = set()
    mitigated = recovered = False
    for e in tl.events:
        if e.t > t:
            break
        if e.kind == "impact_started":
            # a share of the users (or a response's partial cut) is a partial outage at worst
            level = str(e.payload.impact)
            if level == "outage" and e.payload.share is not None and e.payload.share < 1:
                level = "partial"
            name = str(e.payload.service or e.subject)
            if e.payload.caused_by is None:
                impact.setdefault(name, level)
            else:  # the response's own cut, on top of what a fault did: the worse of the two
                impact[name] = max(impact.get(name, "none"), level, key=("none", "degraded", "partial", "outage").index)
        elif e.kind == "impact_restored" and e.payload.service is not None:
            restored.add(str(e.payload.service))  # a response's impact that ran its time
        elif e.kind == "fault_restored":
            restored.add(str(e.payload.service or e.subject))
        elif e.kind == "mitigated":
            mitigated = True
        elif e.kind == "recovered":
            recovered = True
    out = {}
    for s in services:
        level = impact.get(s)
        if level is None or level == "none" or s in restored or recovered:
            out[s] = "operational"
        elif level == "degraded":
            out[s] = "degraded_performance"
        elif level == "partial":
            out[s] = "partial_outage"
        else:
            out[s] = "partial_outage" if mitigated else "major_outage"
    return out


def _worst(states: dict[str, str]) -> str:
    return max(states.values(), key=STATES.index, default="operational")


def _activity(tl: Timeline, t: float, data_loss: bool) -> str:
    """What was really going on at ``t``, from the events: ``recovered``, ``restoring``
    (data lost and not yet restored), ``restored`` (data back, service not yet),
    ``mitigated`` or ``open``."""
    seen = {e.kind for e in tl.events if e.t <= t}
    if "recovered" in seen:
        return "recovered"
    if data_loss:
        return "restored" if "restored_data" in seen else "restoring"
    return "mitigated" if "mitigated" in seen else "open"


def _shown_phase(phase: str, activity: str) -> str:
    """The phase the page shows: the one posted, unless the events say otherwise — a
    "monitoring" update while data is still being restored, or before anything was
    fixed, is an "identified" one (a fix is being implemented)."""
    if phase in ("identified", "monitoring") and activity in ("restoring", "restored", "open"):
        return "identified"
    return phase


#: What an update says, first and when repeated, keyed by what the events show. The
#: order matters: a restore under way speaks of the restore whatever phase was posted.
_WORDING: tuple[tuple[str | None, str | None, str, str], ...] = (
    ("investigating", None, "We are investigating errors affecting {names}.", "We are continuing to investigate."),
    (None, "restoring", "The issue has been identified: data was lost, and we are restoring it from backups.",
     "The restore of the lost data from backups is still under way."),
    (None, "restored", "The lost data has been restored; we are verifying it and bringing services back.",
     "We are still verifying the restored data and bringing services back."),
    ("identified", None, "The issue has been identified and a fix is being implemented.",
     "We are continuing to work on a fix."),
    (None, "mitigated", "A mitigation is in place and we are monitoring the results while we work on a full recovery.",
     "We are continuing to monitor the mitigation while we work on a full recovery."),
    (None, None, "A fix has been implemented and we are monitoring the results.", "We are continuing to monitor the fix."),
)


def _message(phase: str, activity: str, affected: list[str], cadence: str | None, *, repeat: bool = False) -> str:
    if phase == "resolved":
        return "This incident has been resolved. All services are operating normally."
    names = ", ".join(affected) if affected else "some services"
    still = f" Still affected: {names}." if affected else ""
    nxt = f" We will post the next update within {cadence}." if cadence else ""
    for when_phase, when_activity, first, again in _WORDING:
        if when_phase in (None, phase) and when_activity in (None, activity):
            if phase == "investigating" and not repeat:
                return first.format(names=names) + nxt  # names the services itself
            return (again if repeat else first) + still + nxt
    raise AssertionError("the last wording matches every update")


def _promises(inp: Inputs, level: SeverityLevel | None, updates: list[Event]) -> Callable[[float], str | None]:
    """When an update posted at a moment says the next will come: within the cadence of
    its phase (scenarios.cadence), and, where the level stretches its cadence after a
    long quiet, less often while nothing changes. One wording per phase, so that the
    updates of a long phase read alike and are told once."""
    tl = inp.timeline
    if level is None or not level.update_every:
        return lambda t: None
    ms = tl.milestones()
    held = inp.scenario.kind == "breach" and level.breach_public == "at-disclosure"
    disclosed = updates[0].t if held and updates else None
    slower = ", or less often while nothing changes" if level.update_stretch > 0 else ""

    def promise(t: float) -> str | None:
        cadence = phase_cadence(level, interval_at(level, t, ms, disclosed)[0])
        return None if cadence is None else fmt.duration(cadence) + slower

    return promise


def status_page(inp: Inputs) -> dict[str, Any]:
    """The status page's history during the run: component states at every public
    update and the incident's updates, newest first."""
    tl = inp.timeline
    assert tl is not None
    clock = fmt.Clock(tl.started_at, inp.tz)
    services = list(inp.scenario.services)
    level = inp.severity_level()
    updates = [e for e in tl.find("status_update") if e.payload.public]
    promise = _promises(inp, level, updates)
    internal = len(tl.find("status_update")) - len(updates)
    before = dict.fromkeys(services, "operational")
    columns = [{"label": "Before the first update", "time": "", "offset": "", "states": before}]
    feed: list[dict[str, Any]] = []
    data_loss = inp.scenario.kind == "data-loss" or tl.first("restored_data") is not None
    previous = None
    for e in updates:
        posted = str(e.payload.phase)
        activity = _activity(tl, e.t, data_loss)
        written = e.data.get("text")
        # The room's own words (a tabletop) are shown as posted, phase and text; only
        # an update without words is worded after the events.
        phase = posted if written else _shown_phase(posted, activity)
        states = _states(tl, services, e.t, phase)
        affected = [s for s in services if states[s] != "operational"]
        columns.append({"label": PHASE_WORDS.get(phase, phase), "time": clock.time(e.t), "offset": fmt.offset(e.t),
                        "states": states})
        repeat = (phase, activity) == previous and phase != "resolved" and not written
        message = str(written) if written else _message(phase, activity, affected, promise(e.t), repeat=repeat)
        heading = "Update" if repeat else PHASE_WORDS.get(phase, phase)
        last = feed[-1] if feed else None
        if last is not None and last["phase"] == heading and last["message"] == message:
            # The same words again: one entry that says how often they were posted.
            last["times"].append(e.t)
        else:
            feed.append({"phase": heading, "message": message, "stamp": clock.stamp(e.t), "offset": fmt.offset(e.t),
                         "times": [e.t]})
        previous = (phase, activity)
    for item in feed:
        times = item.pop("times")
        item["repeats"] = None
        if len(times) > 1:
            item["repeats"] = f"posted {cadence_of(times)}, {len(times)} times"
            item["stamp"] = f"{item['stamp']} to {clock.stamp(times[-1])}"
            item["offset"] = f"{item['offset']} to {fmt.offset(times[-1])}"
    # Keep a column only where the page changed (the feed keeps every update).
    shown = [c for i, c in enumerate(columns) if i == 0 or c["states"] != columns[i - 1]["states"]]
    rows = [{"service": s, "cells": [{"state": c["states"][s], "words": STATE_WORDS[c["states"][s]],
                                      "sign": STATE_SIGN[c["states"][s]]} for c in shown]} for s in services]
    worst_col = max(columns, key=lambda c: STATES.index(_worst(c["states"])))
    worst = _worst(worst_col["states"])
    first_impact = tl.first("impact_started")
    gap = None
    if first_impact is not None and (not updates or updates[0].t > first_impact.t):
        gap = {"impact": clock.time(first_impact.t), "impact_offset": fmt.offset(first_impact.t),
               "service": str(first_impact.payload.service or first_impact.subject),
               "first_update": clock.time(updates[0].t) if updates else None,
               "first_update_offset": fmt.offset(updates[0].t) if updates else None}
    affected_all = [s for s in services if any(c["states"][s] != "operational" for c in columns)]
    title = ("Service disruption: " + ", ".join(affected_all)) if affected_all else "Service disruption"
    wrote = sum(1 for e in updates if e.data.get("text"))
    return {
        "written": "all" if updates and wrote == len(updates) else "some" if wrote else "none",
        "title": f"{inp.result.team or (inp.team.team if inp.team else 'Service')} status",
        "header": header(inp),
        "incident_title": title,
        "worst": {"state": worst, "banner": BANNER[worst], "at": worst_col["time"], "offset": worst_col["offset"]},
        "columns": [{k: c[k] for k in ("label", "time", "offset")} for c in shown],
        "rows": rows,
        "feed": list(reversed(feed)),
        "internal": internal,
        "gap": gap,
        "tz": inp.tz,
        "states": [{"state": s, "words": STATE_WORDS[s], "sign": STATE_SIGN[s]} for s in STATES],
        "run": tl.run if tl.run is not None else 0,
        "runs": inp.result.runs,
        "scenario": inp.scenario,
    }
