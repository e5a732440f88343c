"""A run as readable lines, on one clock: a header names the zone once, then each line
gives the wall-clock time in that zone, the offset from the drill start, and what
happened. Where a person's own clock differs, their line says what time it was for
them::

    clock: Europe/Berlin (the team's zone); +offset = time since the drill started
    -- Tue 3 Mar 2026 --
    03:02 +2m30s page level 3 to dana (21:02 their time in America/New_York, evening) via phone — no ack
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from scenarios import Member, Team
from scenarios.common import zone
from scenarios.durations import format_duration
from scenarios.timeline import Event, Timeline

from .engine import SimulationError

#: Kinds folded into another line (a page's line says how it ended).
_FOLDED = {"acknowledged", "escalated", "step_started"}
#: Kinds whose line says the acting person's own time when their zone differs.
_PERSONAL = {"page_sent", "responder_engaged"}
#: A run of status updates alike ends at these: what the updates are about changed.
_TURNS = {"mitigated", "restored_data", "contained", "recovered", "resolved"}
#: Fewest updates alike in a row told in one line.
_MIN_REPEATS = 3


def explain(timeline: Timeline, team: Team | None = None, tz: str | None = None) -> list[str]:
    """Render ``timeline`` as a header and one line per notable event, in order, every
    wall-clock time in one zone: ``tz`` (an IANA name), else the team's, else the zone
    of ``started_at``. A line opens each new day. Raises SimulationError for a ``tz``
    that is not an IANA zone."""
    members = {m.id: m for m in team.members} if team else {}
    clock, label = _clock(timeline, team, tz)
    outcome = _page_outcomes(timeline)
    steps = _step_counts(timeline)
    repeats, folded = _update_runs(timeline)
    lines = [f"clock: {label}; +offset = time since the drill started"]
    day = None
    for i, e in enumerate(timeline.events):
        if e.kind in _FOLDED or (e.kind == "page_missed" and e.data.get("page") is not None) or i in folded:
            continue
        at = (timeline.started_at + timedelta(seconds=e.t)).astimezone(clock)
        local = _their_time(e, at, members)
        text = repeats[i] if i in repeats else _describe(e, outcome, steps, local)
        if text is None:
            continue
        if at.date() != day:
            day = at.date()
            lines.append(f"-- {at:%a} {at.day} {at:%b %Y} --")
        lines.append(f"{at:%H:%M} +{format_duration(e.t)} {text}")
    return lines


def _clock(tl: Timeline, team: Team | None, tz: str | None) -> tuple[tzinfo, str]:
    """The zone every line is written in, and how the header names it."""
    if tz:
        try:
            return zone(tz), tz
        except (ZoneInfoNotFoundError, ValueError):
            raise SimulationError(f"expected an IANA time zone such as 'Europe/Berlin' or 'UTC', got {tz!r}") from None
    if team is not None:
        return zone(team.timezone), f"{team.timezone} (the team's zone)"
    start_zone = tl.started_at.tzinfo
    assert start_zone is not None  # timelines are tz-aware
    return start_zone, f"{start_zone} (the zone of the drill's start)"


def _their_time(e: Event, at: datetime, members: dict[str, Member]) -> str | None:
    """``21:02 their time in America/New_York`` for a line about a person whose clock
    reads differently from the report's at that instant; None otherwise."""
    if e.kind not in _PERSONAL:
        return None
    who = e.data.get("to") or e.data.get("by") or e.actor
    member = members.get(who) if isinstance(who, str) else None
    tz = member.timezone if member else (e.data.get("timezone") if e.kind == "page_sent" else None)
    if not tz:
        return None
    theirs = at.astimezone(zone(str(tz)))
    if theirs.utcoffset() == at.utcoffset():
        return None
    return f"{theirs:%H:%M} their time in {tz}"


def _update_runs(tl: Timeline) -> tuple[dict[int, str], set[int]]:
    """Runs of at least _MIN_REPEATS status updates alike (same phase and audience, no
    milestone between): the line of each run's first update (by event index), and the
    indexes of the others, which get no line of their own."""
    runs: list[list[int]] = []
    current: list[int] | None = None
    key = None
    for i, e in enumerate(tl.events):
        if e.kind in _TURNS:
            current = None
        elif e.kind == "status_update":
            k = (e.data.get("phase"), bool(e.data.get("public")))
            if current is not None and k == key:
                current.append(i)
            else:
                current, key = [i], k
                runs.append(current)
    lines: dict[int, str] = {}
    folded: set[int] = set()
    for run in runs:
        if len(run) < _MIN_REPEATS:
            continue
        first, last = tl.events[run[0]], tl.events[run[-1]]
        gaps = [tl.events[b].t - tl.events[a].t for a, b in zip(run, run[1:])]
        lo, hi = min(gaps), max(gaps)
        every = (format_duration(round((lo + hi) / 2)) if hi - lo <= 1.0
                 else f"{format_duration(round(lo))}–{format_duration(round(hi))}")
        public = " (public)" if first.data.get("public") else ""
        lines[run[0]] = (f"status updates #{first.data.get('n')}–#{last.data.get('n')}: {first.data.get('phase')}{public}, "
                         f"every {every}, {len(run)} times, the last at +{format_duration(last.t)}")
        folded.update(run[1:])
    return lines, folded


def _page_outcomes(tl: Timeline) -> dict[Any, str]:
    """page id -> how it ended, in words."""
    out: dict[Any, str] = {}
    events = tl.events
    for i, e in enumerate(events):
        pid = e.data.get("page")
        if pid is None:
            continue
        if e.kind == "acknowledged":
            out[pid] = f"acknowledged after {format_duration(e.t - float(e.data.get('page_t') or 0.0))}"
        elif e.kind == "page_missed":
            reason = {"away": "away, no answer", "undelivered": "never delivered"}.get(str(e.data.get("reason")), "no ack")
            nxt = _next_pages(events, i, e)
            out[pid] = f"{reason}, escalated to {', '.join(nxt)}" if nxt else reason
    # A page of a group someone else answered: say who did.
    sent = {e.data.get("page"): e for e in events if e.kind == "page_sent"}
    for e in events:
        if e.kind != "acknowledged":
            continue
        answered = sent.get(e.data.get("page"))
        if answered is None:
            continue
        for p in sent.values():
            if p.data.get("page") not in out and p.t == answered.t and _group(p) == _group(answered):
                out[p.data.get("page")] = f"answered by {e.data.get('by')}"
    return out


def _group(page: Event) -> tuple:
    d = page.data
    if d.get("purpose") == "incident":
        return ("incident", d.get("policy"), d.get("level"), d.get("round"))
    return (d.get("purpose"), d.get("target"))


def _next_pages(events: tuple[Event, ...], i: int, missed: Event) -> list[str]:
    """Who the policy paged next after a missed page (same policy, same purpose)."""
    policy = missed.data.get("policy")
    if missed.data.get("purpose") != "incident" or policy is None:
        return []
    for e in events[i + 1:]:
        if e.kind == "escalated" and e.data.get("policy") == policy:
            names = []
            for p in events[events.index(e) + 1:]:
                if p.t > e.t:
                    break
                if p.kind == "page_sent" and p.data.get("policy") == policy:
                    names.append(str(p.data.get("to")))
            return names
        if e.kind in ("acknowledged", "drill_ended"):
            break
    return []


def _step_counts(tl: Timeline) -> dict[Any, int]:
    return {e.data.get("runbook"): int(e.data.get("steps") or 0) for e in tl.events if e.kind == "runbook_started"}


def _describe(e: Event, outcome: dict[Any, str], steps: dict[Any, int], local: str | None) -> str | None:
    d, k = e.data, e.kind
    if k == "drill_started":
        return f"drill starts: {e.subject} ({d.get('severity')} {d.get('scenario_kind')}) for team {d.get('team')}"
    if k == "inject":
        if d.get("what") != "card":
            return None
        cond = f" ({d['condition']})" if d.get("condition") else ""
        return f"card{cond}: {e.subject}"
    if k == "fault_applied":
        return f"fault {d.get('fault')} on {d.get('service')}"
    if k == "fault_restored":
        return f"fault {d.get('fault')} on {d.get('service')} restored"
    if k == "impact_started":
        return f"impact starts on {d.get('service')} ({d.get('impact')})"
    if k == "signal":
        if d.get("metric") is not None:
            return f"signal {d['metric']} = {_num(d.get('value'))}"
        fb = " (fallback detection)" if d.get("fallback") else ""
        return f"{d.get('kind')}{fb}: {d.get('text')}"
    if k == "detected":
        if d.get("via") == "alert":
            return f"incident detected by alert {d.get('alert')}"
        return f"incident detected via {d.get('via')}" + (" (fallback: no alert caught it)" if d.get("fallback") else "")
    if k == "alert_fired":
        if d.get("noise"):
            return f"alert {e.subject} fired (false positive)"
        route = f"routed to policy {d['policy']}" if d.get("policy") else "not routed: pages nobody"
        return f"alert {e.subject} fired ({d.get('severity')}), {route}"
    if k == "alert_resolved":
        return f"alert {e.subject} resolved" + (" (false positive dismissed)" if d.get("noise") else "")
    if k == "page_sent":
        via = f" via {d['channel']}" if d.get("channel") else ""
        why = {"incident": "", "severity": f" [{d.get('target')}]", "expert": f" [{d.get('target')}]",
               "noise": " [false positive]"}.get(str(d.get("purpose")), "")
        level = f" level {d['level']}" if d.get("purpose") == "incident" and d.get("level") else ""
        ending = outcome.get(d.get("page"), "not answered")
        when = f"{local}, {d.get('period')}" if local else str(d.get("period"))
        return f"page{level} to {d.get('to')} ({when}){via}{why} — {ending}"
    if k == "page_missed":
        return f"page to {d.get('target')} not sent: {d.get('reason')}"
    if k == "responder_engaged":
        skill = f" ({d['skill']})" if d.get("skill") else ""
        return f"{d.get('by')} engaged as {d.get('role')}{skill}" + (f" at {local}" if local else "")
    if k == "diagnosed":
        how = f"runbook {d['runbook']}" if d.get("runbook") else d.get("how")
        return f"{e.actor} diagnosed the cause ({how})"
    if k == "runbook_started":
        return f"{e.actor} starts runbook {e.subject} ({d.get('steps')} steps)"
    if k == "step_finished":
        n = steps.get(d.get("runbook"))
        of = f"/{n}" if n else ""
        result = "done" if d.get("ok") else "FAILED"
        attempt = f", attempt {d['attempt']}" if d.get("attempt", 1) != 1 else ""
        return f"step {int(d.get('step') or 0) + 1}{of} {result} by {e.actor} in {format_duration(float(d.get('took') or 0))}{attempt}: {e.subject}"
    if k == "status_update":
        public = " (public)" if d.get("public") else ""
        return f"status update #{d.get('n')}: {d.get('phase')}{public}"
    if k == "notified":
        return f"{d.get('who')} notified (deadline {format_duration(float(d.get('within') or 0))} from detection)"
    if k == "contained":
        return "breach contained"
    if k == "restored_data":
        return (f"data restored from {d.get('backup')}: RPO {format_duration(float(d.get('rpo') or 0))}, "
                f"RTO {format_duration(float(d.get('rto') or 0))}")
    if k == "mitigated":
        how = f"runbook {d['runbook']}" if d.get("runbook") else d.get("how")
        return f"mitigated by {e.actor} ({how})"
    if k == "recovered":
        return "recovered"
    if k == "resolved":
        return "resolved"
    if k == "note":
        return f"gap: {d.get('text')}"
    if k == "drill_ended":
        return f"drill ends ({d.get('reason')})"
    return f"{k} {e.actor} {e.subject}"


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
