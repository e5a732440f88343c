"""A run as lines on a terminal (``drillbit simulate --explain``), on one clock: a
header names the zone once, a line opens each new day, then each line gives the
wall-clock time in that zone, the offset from the drill start, and what happened, in
the words of the report's story (:mod:`reports.narrative`). Where a person's own clock
differs, their line says what time it was for them; a page's line says how it ended
(acknowledgements, escalations and the misses of pages fold into it); a run of status
updates alike is one line::

    clock: Europe/Berlin (the team's zone); +offset = time since the drill started
    -- Tue 3 Mar 2026 --
    03:02 +2m30s Dana paged (level 3) via phone; evening in America/New_York, 21:02 their time — no ack
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from scenarios import DrillbitError, Team, format_duration
from scenarios.common import zone
from scenarios.events import MissReason, Purpose
from scenarios.timeline import Event, Timeline

from . import fmt
from .narrative import folded_runs, member_names, step_counts, told, told_run

#: Kinds folded into another line (a page's line says how it ended).
_FOLDED = {"acknowledged", "escalated", "step_started"}
#: Kinds whose line says the acting person's own time when their zone differs.
_PERSONAL = {"page_sent", "responder_engaged"}


class ExplainError(DrillbitError):
    """A run that cannot be explained as asked (a clock zone that does not exist)."""


def explain(timeline: Timeline, team: Team | None = None, tz: str | None = None) -> list[str]:
    """Render ``timeline`` as a header and one line per notable event, in order, every
    wall-clock time in one zone: ``tz`` (an IANA name), else the team's, else the zone
    of ``started_at``. A line opens each new day. Raises ExplainError for a ``tz``
    that is not an IANA zone."""
    members = {m.id: m.timezone for m in team.members} if team else {}
    names = member_names(team)
    steps = step_counts(timeline)
    clock, label = _clock(timeline, team, tz)
    outcome = _page_outcomes(timeline, names)
    runs = {run[0].t: run for run in folded_runs(timeline)}
    folded = {id(e) for run in runs.values() for e in run[1:]}
    lines = [f"clock: {label}; +offset = time since the drill started"]
    day = None
    for e in timeline.events:
        if e.kind in _FOLDED or (e.kind == "page_missed" and e.payload.page is not None) or id(e) in folded:
            continue
        run = runs.get(e.t) if e.kind == "status_update" else None
        if run is not None and run[0] is e:
            text = told_run(run)
        else:
            entry = told(e, names, steps)
            if entry is None:
                continue
            text = entry.text
        at = (timeline.started_at + timedelta(seconds=e.t)).astimezone(clock)
        local = _their_time(e, at, members)
        if e.kind == "page_sent":
            text += (f", {local}" if local else "") + f" — {outcome.get(e.payload.page, 'not answered')}"
        elif local:
            text += f" at {local}"
        if at.date() != day:
            day = at.date()
            lines.append(f"-- {fmt.day(at)} --")
        lines.append(f"{at:%H:%M} {fmt.offset(e.t)} {text}")
    return lines


def _clock(tl: Timeline, team: Team | None, tz: str | None) -> tuple[tzinfo, str]:
    """The zone every line is written in, and how the header names it."""
    if tz:
        try:
            return zone(tz), tz
        except (ZoneInfoNotFoundError, ValueError):
            raise ExplainError(f"expected an IANA time zone such as 'Europe/Berlin' or 'UTC', got {tz!r}") from None
    if team is not None:
        return zone(team.timezone), f"{team.timezone} (the team's zone)"
    start_zone = tl.started_at.tzinfo
    assert start_zone is not None  # timelines are tz-aware
    return start_zone, f"{start_zone} (the zone of the drill's start)"


def _their_time(e: Event, at: datetime, members: dict[str, str]) -> str | None:
    """``21:02 their time`` for a line about a person whose clock reads differently
    from the report's at that instant (a page's line names their zone already; any
    other line names it here); None otherwise."""
    if e.kind not in _PERSONAL:
        return None
    p = e.payload
    who = (p.to if e.kind == "page_sent" else p.by) or e.actor
    tz = members.get(who) or (p.timezone if e.kind == "page_sent" else None)
    if not tz:
        return None
    theirs = at.astimezone(zone(str(tz)))
    if theirs.utcoffset() == at.utcoffset():
        return None
    zone_named = e.kind == "page_sent" and p.timezone == tz
    return f"{theirs:%H:%M} their time" + ("" if zone_named else f" in {tz}")


def _page_outcomes(tl: Timeline, names: dict[str, str]) -> dict[Any, str]:
    """page id -> how it ended, in words."""
    out: dict[Any, str] = {}
    events = tl.events
    for i, e in enumerate(events):
        if e.kind not in ("acknowledged", "page_missed"):
            continue
        p = e.payload
        if p.page is None or (e.kind == "acknowledged" and p.present):
            continue  # a level reached through someone on the incident: their page was answered before
        if e.kind == "acknowledged":
            out[p.page] = f"acknowledged after {format_duration(e.t - float(p.page_t or 0.0))}"
        else:
            reason = {MissReason.AWAY: "away, no answer", MissReason.UNDELIVERED: "never delivered"}.get(p.reason, "no ack")
            nxt = [names.get(n, n) + why for n, why in _next_pages(events, i, e)]
            out[p.page] = f"{reason}, escalated to {', '.join(nxt)}" if nxt else reason
    # A page of a group someone else answered: say who did.
    sent = {e.payload.page: e for e in events if e.kind == "page_sent"}
    for e in events:
        if e.kind != "acknowledged":
            continue
        answered = sent.get(e.payload.page)
        if answered is None:
            continue
        for page in sent.values():
            if page.payload.page not in out and page.t == answered.t and _group(page) == _group(answered):
                out[page.payload.page] = f"answered by {names.get(str(e.payload.by), e.payload.by)}"
    return out


def _group(page: Event) -> tuple:
    p = page.payload
    if p.purpose == Purpose.INCIDENT:
        return (Purpose.INCIDENT, p.policy, p.level, p.round)
    return (p.purpose, p.target)


def _next_pages(events: tuple[Event, ...], i: int, missed: Event) -> list[tuple[str, str]]:
    """Who the policy paged next after a missed page (same policy, same purpose), each
    with what to add to their name (someone on the incident already is not paged)."""
    policy = missed.payload.policy
    if missed.payload.purpose != Purpose.INCIDENT or policy is None:
        return []
    for j in range(i + 1, len(events)):
        e = events[j]
        if e.kind == "escalated" and e.payload.policy == policy:
            names = []
            for p in events[j + 1:]:
                if p.t > e.t:
                    break
                if p.kind == "page_sent" and p.payload.policy == policy:
                    names.append((str(p.payload.to), ""))
                elif p.kind == "acknowledged" and p.payload.present and p.payload.policy == policy:
                    names.append((str(p.payload.by), " (on the incident already)"))
            return names
        if e.kind in ("acknowledged", "drill_ended"):
            break
    return []
