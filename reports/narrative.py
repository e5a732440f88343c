"""A run's events as report entries: when, in which swimlane, what happened in words,
and which mark a chart draws for it. Blameless wording: entries say what systems and
roles did; people appear by name only as the ones paged and acting.

Lanes, top to bottom: ``impact`` (faults, customer impact and the signals it causes),
``monitoring`` (alerts, detection, escalation), one lane per person in order of first
appearance, ``automation`` (automated runbook steps) and ``comms`` (status updates and
notifications).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scenarios import Team
from scenarios.timeline import Event, Timeline

from . import fmt

IMPACT, MONITORING, AUTOMATION, COMMS = "impact", "monitoring", "automation", "comms"
LANE_TITLES = {IMPACT: "Customer impact", MONITORING: "Monitoring & paging", AUTOMATION: "Automation",
               COMMS: "Communications"}
PERIODS = {"working": "working hours", "evening": "evening", "asleep": "asleep"}
_SKIP = {"step_started", "drill_started"}


@dataclass(frozen=True)
class Entry:
    """One line of a run's story."""

    t: float  # seconds since the drill started
    kind: str  # the event kind
    lane: str  # a lane key (see the module docstring) or a member id
    mark: str  # what a chart draws: impact, fault, signal, alert, detect, escalate, page, ack, miss, engage,
    #            diagnose, step-ok, step-fail, milestone, update, update-internal, notify, note
    text: str
    took: float | None = None  # seconds a step took (a chart draws a span ending at t)
    n: int | None = None  # a status update's number


@dataclass(frozen=True)
class Story:
    """A run told as entries, with its lanes in drawing order."""

    entries: tuple[Entry, ...]
    lanes: tuple[tuple[str, str], ...]  # (key, title)
    names: dict[str, str]


def member_names(team: Team | None) -> dict[str, str]:
    """Member id -> display name."""
    return {m.id: m.name for m in team.members} if team else {}


def tell(timeline: Timeline, team: Team | None = None) -> Story:
    """Every notable event of ``timeline`` as an entry, in time order."""
    names = member_names(team)
    entries: list[Entry] = []
    for e in timeline.events:
        if e.kind in _SKIP:
            continue
        entry = _entry(e, names)
        if entry is not None:
            entries.append(entry)
    people: list[str] = []
    for en in entries:
        if en.lane not in LANE_TITLES and en.lane not in people:
            people.append(en.lane)
    lanes = [(IMPACT, LANE_TITLES[IMPACT]), (MONITORING, LANE_TITLES[MONITORING])]
    lanes += [(p, names.get(p, p)) for p in people]
    lanes += [(k, LANE_TITLES[k]) for k in (AUTOMATION, COMMS) if any(en.lane == k for en in entries)]
    return Story(tuple(entries), tuple(lanes), names)


def _who(x: Any, names: dict[str, str]) -> str:
    s = str(x)
    return names.get(s, s)


def _person_lane(x: Any) -> str:
    s = str(x)
    if s in ("system", "monitoring", "paging", "scenario", ""):
        return MONITORING
    if s == "automation":
        return AUTOMATION
    return s


def _entry(e: Event, names: dict[str, str]) -> Entry | None:  # noqa: C901 - one branch per kind
    d, k, t = e.data, e.kind, e.t
    who = lambda x: _who(x, names)  # noqa: E731
    if k == "inject":
        if d.get("what") != "card":
            return None
        cond = f" ({d['condition']})" if d.get("condition") else ""
        return Entry(t, k, IMPACT, "signal", f"Scenario card shown to the team{cond}: {e.subject}")
    if k == "fault_applied":
        impact = {"outage": "outage", "degraded": "degradation", "none": "no customer-visible impact"}.get(str(d.get("impact")), d.get("impact"))
        return Entry(t, k, IMPACT, "fault", f"Fault {d.get('fault')} on {d.get('service')} ({impact})")
    if k == "fault_restored":
        return Entry(t, k, IMPACT, "fault", f"Fault {d.get('fault')} on {d.get('service')} restored")
    if k == "impact_started":
        return Entry(t, k, IMPACT, "impact", f"Customer impact begins on {d.get('service')} ({d.get('impact')})")
    if k == "signal":
        if d.get("metric") is not None:
            return Entry(t, k, IMPACT, "signal", f"Signal {d['metric']} = {_num(d.get('value'))}")
        kind = str(d.get("kind", "signal")).replace("-", " ")
        fb = " (fallback detection)" if d.get("fallback") else ""
        return Entry(t, k, IMPACT, "signal", f"{kind.capitalize()}{fb}: {d.get('text')}")
    if k == "detected":
        if d.get("via") == "alert":
            return Entry(t, k, MONITORING, "detect", f"Incident detected by alert {d.get('alert')}")
        extra = " — no alert had caught it" if d.get("fallback") else ""
        return Entry(t, k, MONITORING, "detect", f"Incident detected via {str(d.get('via')).replace('-', ' ')}{extra}")
    if k == "alert_fired":
        if d.get("noise"):
            return Entry(t, k, MONITORING, "alert", f"Alert {e.subject} fired (false positive)")
        route = f"routed to policy {d['policy']}" if d.get("policy") else "not routed: it pages nobody"
        return Entry(t, k, MONITORING, "alert", f"Alert {e.subject} fired ({d.get('severity')}), {route}")
    if k == "alert_resolved":
        return Entry(t, k, MONITORING, "alert", f"Alert {e.subject} resolved" + (" (false positive dismissed)" if d.get("noise") else ""))
    if k == "escalated":
        return Entry(t, k, MONITORING, "escalate",
                     f"Policy {d.get('policy')} escalates from level {d.get('from_level')} to level {d.get('to_level')}")
    if k == "page_sent":
        purpose = {"incident": f"level {d.get('level')}" if d.get("level") else "incident",
                   "severity": str(d.get("target")), "expert": str(d.get("target")),
                   "noise": "false-positive alert"}.get(str(d.get("purpose")), str(d.get("purpose")))
        via = f" via {d['channel']}" if d.get("channel") else " — not delivered on any channel"
        period = PERIODS.get(str(d.get("period")), str(d.get("period")))
        away = ", away" if d.get("away") else ""
        return Entry(t, k, _person_lane(d.get("to", e.subject)), "page",
                     f"{who(d.get('to', e.subject))} paged ({purpose}){via}; {period} in {d.get('timezone')}{away}")
    if k == "page_missed":
        reason = {"no-answer": "no answer within the level's timeout", "away": "away", "undelivered": "page never delivered",
                  "nobody-on-call": "nobody on call", "no-holder": "nobody holds the skill or access"}.get(
            str(d.get("reason")), str(d.get("reason")))
        if d.get("to") is not None:
            return Entry(t, k, _person_lane(d["to"]), "miss", f"Page to {who(d['to'])} unanswered: {reason}")
        return Entry(t, k, MONITORING, "miss", f"Could not page {d.get('target')}: {reason}")
    if k == "acknowledged":
        return Entry(t, k, _person_lane(d.get("by", e.actor)), "ack", f"{who(d.get('by', e.actor))} acknowledged the page")
    if k == "responder_engaged":
        role = str(d.get("role", "responder")).replace("-", " ")
        skill = f" ({d['skill']})" if d.get("skill") else ""
        return Entry(t, k, _person_lane(d.get("by", e.actor)), "engage", f"{who(d.get('by', e.actor))} engaged as {role}{skill}")
    if k == "diagnosed":
        how = f"with runbook {d['runbook']}" if d.get("runbook") else "by improvising (no runbook)"
        return Entry(t, k, _person_lane(e.actor), "diagnose", f"Cause diagnosed {how}")
    if k == "runbook_started":
        return Entry(t, k, _person_lane(e.actor), "diagnose", f"Runbook {e.subject} started ({d.get('steps')} steps)")
    if k == "step_finished":
        took = float(d.get("took") or 0.0)
        ok = bool(d.get("ok"))
        attempt = f", attempt {d['attempt']}" if d.get("attempt", 1) != 1 else ""
        result = "done" if ok else "failed"
        actor = "automation" if e.actor == "automation" else who(e.actor)
        return Entry(t, k, _person_lane(e.actor), "step-ok" if ok else "step-fail",
                     f"Step {int(d.get('step') or 0) + 1} of {d.get('runbook')} {result} by {actor} after "
                     f"{fmt.duration(took)}{attempt}: {e.subject}", took=took)
    if k == "status_update":
        audience = "public" if d.get("public") else "internal"
        return Entry(t, k, COMMS, "update" if d.get("public") else "update-internal",
                     f"Status update #{d.get('n')} ({audience}): {d.get('phase')}", n=_int(d.get("n")))
    if k == "notified":
        return Entry(t, k, COMMS, "notify", f"{str(d.get('who', e.subject)).replace('-', ' ').capitalize()} notified")
    if k == "contained":
        return Entry(t, k, _person_lane(e.actor), "milestone", "Breach contained")
    if k == "restored_data":
        return Entry(t, k, _person_lane(e.actor), "milestone", f"Data restored from the {d.get('backup')} backup")
    if k == "mitigated":
        how = f"with runbook {d['runbook']}" if d.get("runbook") else "by improvising"
        return Entry(t, k, _person_lane(e.actor), "milestone", f"Impact mitigated {how}")
    if k == "recovered":
        return Entry(t, k, IMPACT, "milestone", "Service recovered")
    if k == "resolved":
        return Entry(t, k, _person_lane(e.actor), "milestone", "Incident resolved")
    if k == "note":
        return Entry(t, k, _person_lane(e.actor), "note", f"Gap: {d.get('text')}")
    if k == "drill_ended":
        reason = {"resolved": "incident resolved", "horizon": "time limit reached before resolution"}.get(str(d.get("reason")), d.get("reason"))
        return Entry(t, k, MONITORING, "milestone", f"Drill ends ({reason})")
    return Entry(t, k, _person_lane(e.actor), "note", f"{k.replace('_', ' ')}: {e.subject}")


def _int(v: Any) -> int | None:
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


# -- repeated status updates ---------------------------------------------------------

#: Fewest updates alike in a row that a table gives one line instead of one each.
MIN_REPEATS = 3
#: Events that change what an update is about: a run of updates alike ends at them.
_TURNS = ("mitigated", "restored_data", "contained", "recovered", "resolved")


def update_runs(timeline: Timeline) -> list[tuple[Event, ...]]:
    """The run's status updates in runs of updates alike: the same phase, the same
    audience, and no milestone (mitigation, data restored, containment, recovery)
    between them. Every update is in exactly one run, in order."""
    runs: list[list[Event]] = []
    current: list[Event] | None = None
    key = None
    for e in timeline.events:
        if e.kind in _TURNS:
            current = None
        elif e.kind == "status_update":
            k = (e.data.get("phase"), bool(e.data.get("public")))
            if current is not None and k == key:
                current.append(e)
            else:
                current, key = [e], k
                runs.append(current)
    return [tuple(r) for r in runs]


def cadence(times: list[float]) -> str:
    """How often updates at ``times`` (seconds, at least two) came: ``every 30m``, or
    ``every 28m–31m`` when the gaps differ by more than a second."""
    gaps = [b - a for a, b in zip(times, times[1:])]
    lo, hi = min(gaps), max(gaps)
    if hi - lo <= 1.0:
        return f"every {fmt.duration(round((lo + hi) / 2))}"
    return f"every {fmt.duration(round(lo))}–{fmt.duration(round(hi))}"


def repeated(run: tuple[Event, ...]) -> str:
    """``posted every 30m, 33 times, the last at +16h19m34s`` for a run of updates."""
    times = [e.t for e in run]
    return f"posted {cadence(times)}, {len(run)} times, the last at {fmt.offset(times[-1])}"


def collapse_updates(entries: tuple[Entry, ...] | list[Entry], timeline: Timeline) -> list[Entry]:
    """``entries`` with each run of at least MIN_REPEATS updates alike told in one
    entry at the first update's time (a table reads one line, not thirty)."""
    first_of: dict[int, tuple[Event, ...]] = {}
    folded: set[int] = set()
    for run in update_runs(timeline):
        ns = [_int(e.data.get("n")) for e in run]
        if len(run) < MIN_REPEATS or None in ns:
            continue
        first_of[ns[0]] = run
        folded.update(n for n in ns[1:] if n is not None)
    out = []
    for en in entries:
        if en.kind != "status_update" or en.n is None:
            out.append(en)
        elif en.n in first_of:
            run = first_of[en.n]
            d = run[0].data
            audience = "public" if d.get("public") else "internal"
            out.append(Entry(en.t, en.kind, en.lane, en.mark,
                             f"Status updates #{en.n}–#{run[-1].data.get('n')} ({audience}): {d.get('phase')} — {repeated(run)}",
                             n=en.n))
        elif en.n not in folded:
            out.append(en)
    return out


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
