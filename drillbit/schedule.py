"""The game-day schedule, click-free: which drills are due, which scenario a pool
gives and why, and what stops one (blackouts, the hours it may start in, an away
on-call, open incidents, a tired on-call). Every decision reads the incident log
(``incidents.schedule``); ``schedule_run`` runs what is due.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from heapq import merge
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from scenarios import DrillbitError, Team, load_team
from scenarios.common import zone
from scenarios.durations import format_duration
from scenarios.schedule import Entry, due_instants

from .workspace import Located

if TYPE_CHECKING:
    from incidents import IncidentLog
    from incidents.schedule import LastDrill

#: How far ahead ``next``, ``list`` and ``serve`` look for due instants: more than the
#: eight years between two 29ths of February (2096 to 2104), so that a cron line that
#: is due at all is always found. Instants are generated lazily; the span costs nothing.
LOOKAHEAD = timedelta(days=8 * 366 + 31)
#: How far back from a game day the primary on-call's real pages are counted.
PAGE_WINDOW = timedelta(hours=24)


class ScheduleError(DrillbitError):
    """The schedule cannot be used as written (no entries, an unknown entry)."""


@dataclass(frozen=True)
class Choice:
    """The scenario an entry runs at a due instant, and why that one."""

    scenario: str
    rule: str | None  # None: the entry names one scenario
    why: str


@dataclass(frozen=True)
class Planned:
    """One due instant of an entry: what it would run, or why it is skipped."""

    entry: Entry
    due: datetime
    choice: Choice
    skip: str | None = None

    @property
    def reason(self) -> str:
        """Why it runs (or is skipped), as the incident log keeps it."""
        head = f"entry '{self.entry.id}' due {self.due.isoformat()} (cron '{self.entry.cron}' in {self.entry.timezone})"
        what = f"{self.choice.rule}: {self.choice.why}" if self.choice.rule else self.choice.why
        return f"{head}; {what}" + (f"; skipped: {self.skip}" if self.skip else "")

    def to_json(self) -> dict[str, Any]:
        return {"entry": self.entry.id, "due": self.due.isoformat(), "mode": self.entry.mode,
                "scenario": self.choice.scenario, "rule": self.choice.rule, "why": self.choice.why,
                "skip": self.skip, "reason": self.reason}


def entries(ws: Located) -> list[Entry]:
    """The workspace's schedule entries; raises ScheduleError when there are none."""
    if not ws.settings.schedule:
        raise ScheduleError(f"{ws.root / 'drillbit.yaml'} has no 'schedule' section; add one (see the README, "
                            "'Scheduled game days')")
    return list(ws.settings.schedule)


def check_targets(ws: Located) -> None:
    """Check what each entry names beside itself: its team file, its rotation and its
    scenarios (ids in the workspace or built in). Raises InputError with every
    problem, each at its place in ``drillbit.yaml``."""
    from scenarios import InputError

    from .resolve import NotFound, scenario_path

    doc = ws.settings._source
    found = []
    for i, entry in enumerate(ws.settings.schedule):
        path = ws.root / entry.team if entry.team else ws.team
        if not path.is_file():
            found.append(doc.problem(("schedule", i, "team") if entry.team else ("schedule", i),
                                     f"no such team file: {path}"))
        else:
            team = load_team(path)
            if entry.rotation is not None and entry.rotation not in team.rotations:
                found.append(doc.problem(("schedule", i, "rotation"), f"team '{team.team}' has no rotation "
                                         f"'{entry.rotation}' (it has {', '.join(team.rotations)})"))
        where = [("scenario",)] if entry.scenario is not None else [("pool", j) for j in range(len(entry.choices))]
        for sid, at in zip(entry.choices, where):
            try:
                scenario_path(sid, ws, by_id=True)
            except NotFound as exc:
                found.append(doc.problem(("schedule", i, *at), str(exc)))
    if found:
        raise InputError(found)


def team_of(ws: Located, entry: Entry) -> tuple[Team, Path]:
    """The team an entry drills and its file. Raises InputError, ScheduleError."""
    path = ws.root / entry.team if entry.team else ws.team
    if not path.is_file():
        raise ScheduleError(f"schedule entry '{entry.id}': no such team file: {path}")
    return load_team(path), path


def primary_rotation(team: Team, entry: Entry) -> str:
    """The rotation whose on-call is the entry's primary. Raises ScheduleError."""
    name = entry.rotation or ("primary" if "primary" in team.rotations else next(iter(team.rotations)))
    if name not in team.rotations:
        raise ScheduleError(f"schedule entry '{entry.id}': team '{team.team}' has no rotation '{name}' "
                            f"(it has {', '.join(team.rotations)})")
    return name


# -- choosing from a pool --------------------------------------------------------------------

@dataclass
class Facts:
    """What the log says of a team's drills, with the drills ``next`` plans on top."""

    last: dict[str, "LastDrill"]
    actions: dict[str, list[str]]
    planned: dict[str, datetime] = field(default_factory=dict)

    def last_drilled(self, scenario: str) -> datetime | None:
        known = [t for t in (self.planned.get(scenario), self.last[scenario].recorded if scenario in self.last else None)
                 if t is not None]
        return max(known) if known else None


def read_facts(store: "IncidentLog", team: str, scenarios: list[str]) -> Facts:
    """The team's last drill of each scenario and their open action items."""
    from incidents.schedule import last_drills, open_actions

    return Facts(last_drills(store, team, scenarios), open_actions(store, team, scenarios))


def choose(entry: Entry, facts: Facts, at: datetime, team: str) -> Choice:
    """The scenario ``entry`` runs at ``at`` by its rule, with the reason in words.
    Ties keep the order the pool is written in."""
    pool = entry.choices
    if entry.pool is None:
        return Choice(pool[0], None, f"scenario '{pool[0]}'")
    if entry.rule == "least-recent":
        def ago(sid: str) -> str:
            t = facts.last_drilled(sid)
            if t is None:
                return "never drilled"
            planned = " as planned here" if facts.planned.get(sid) == t else ""
            return f"last drilled {t.astimezone(zone(entry.timezone)).date().isoformat()}{planned} ({_days(at - t)})"

        order = sorted(pool, key=lambda sid: (facts.last_drilled(sid) is not None,
                                              facts.last_drilled(sid) or at, pool.index(sid)))
        return Choice(order[0], "least-recent", f"'{order[0]}' {ago(order[0])} by team '{team}'"
                      + _others(order[1:], ago))
    if entry.rule == "weakest":
        def weakness(sid: str) -> tuple[int, int]:
            d = facts.last.get(sid)
            return (0, 0) if d is None else (1, -(d.objectives_missed or 0))

        def card(sid: str) -> str:
            d = facts.last.get(sid)
            if d is None:
                return "no scorecard yet"
            return (f"last scorecard (drill run {d.run_id}, {d.recorded.date().isoformat()}) missed "
                    f"{d.objectives_missed or 0} objective{'' if d.objectives_missed == 1 else 's'}")

        order = sorted(pool, key=lambda sid: (*weakness(sid), pool.index(sid)))
        return Choice(order[0], "weakest", f"'{order[0]}' {card(order[0])}" + _others(order[1:], card))

    def items(sid: str) -> str:
        n = len(facts.actions.get(sid, []))
        return f"{n} open action item{'' if n == 1 else 's'}" + (f" (oldest: {facts.actions[sid][0]})" if n else "")

    order = sorted(pool, key=lambda sid: (-len(facts.actions.get(sid, [])), pool.index(sid)))
    return Choice(order[0], "open-actions", f"'{order[0]}' has {items(order[0])}" + _others(order[1:], items))


def _others(rest: list[str], say: Callable[[str], str]) -> str:
    return f"; then {', '.join(f'{sid!r} {say(sid)}' for sid in rest)}" if rest else ""


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f"{days:.0f} days ago" if days >= 1 else f"{format_duration(max(span.total_seconds(), 0))} ago"


# -- what stops a drill ---------------------------------------------------------------------

def skip_reason(entry: Entry, team: Team, due: datetime, store: "IncidentLog") -> str | None:
    """Why ``entry`` must not run at ``due`` (None: it may): a blackout, outside its
    hours, the primary on-call away (game days and tabletops), and for a game day an
    open real incident or a primary on-call paged too often in the last 24 hours."""
    for b in entry.blackouts:
        if b.covers(due, entry.timezone):
            return f"blackout {b.from_} to {b.to}" + (f" ({b.reason})" if b.reason else "")
    local = due.astimezone(zone(entry.timezone))
    if entry.hours is not None and not any(w.contains(local) for w in entry.hours):
        return f"{local:%a %H:%M} {entry.timezone} is outside the hours it may start in ({', '.join(map(str, entry.hours))})"
    rotation = primary_rotation(team, entry)
    primary = team.on_call(rotation, due)
    if entry.mode != "simulate" and entry.respect_away:
        if primary is None:
            return f"nobody is on call in rotation '{rotation}' then"
        member = team.member(primary)
        away = next((a for a in member.away if a.covers(due, member.timezone)), None)
        if away is not None:
            return f"the primary on-call {primary} is away {away.from_} to {away.to}" + (f" ({away.reason})" if away.reason else "")
    if entry.mode != "gameday":
        return None
    from incidents.schedule import open_incidents, pages_between

    if entry.guards.open_incident:
        open_now = open_incidents(store, due)
        if open_now:
            first = open_now[0]
            return (f"a real incident is open: #{first.id} '{first.title}' since {first.started.isoformat()}"
                    + (f" and {len(open_now) - 1} more" if len(open_now) > 1 else ""))
    if entry.guards.max_pages != "off" and primary is not None:
        mine = [p for p in pages_between(store, due - PAGE_WINDOW, due)
                if team.on_call(rotation, p.paged or p.started) == primary]
        if len(mine) > entry.guards.max_pages:
            return (f"the primary on-call {primary} had {len(mine)} real pages in the 24h before, more than "
                    f"guards.max_pages ({entry.guards.max_pages})")
    return None


# -- planning ------------------------------------------------------------------------------

def upcoming(ws: Located, store: "IncidentLog", now: datetime, count: int) -> list[Planned]:
    """The next ``count`` due instants after ``now`` across all entries, each with
    the scenario it would run and why, or why it would be skipped, as the log stands
    now (by least-recent, a pool's later choices assume the earlier ones ran)."""
    chosen = entries(ws)
    teams = {e.id: team_of(ws, e)[0] for e in chosen}
    facts = {e.id: read_facts(store, teams[e.id].team, e.choices) for e in chosen}
    streams = [_numbered(i, due_instants(e.cron, e.timezone, now, now + LOOKAHEAD)) for i, e in enumerate(chosen)]
    out: list[Planned] = []
    for due, i in islice(merge(*streams, key=lambda pair: (pair[0], pair[1])), count):
        e = chosen[i]
        plan = plan_at(e, teams[e.id], due, store, facts[e.id])
        out.append(plan)
        if plan.skip is None and e.mode != "tabletop":  # a tabletop's pack records no drill
            for other in chosen:  # another entry of the same team drills the scenario then too
                if teams[other.id].team == teams[e.id].team:
                    facts[other.id].planned[plan.choice.scenario] = due
    return out


def _numbered(i: int, dues: Iterator[datetime]) -> Iterator[tuple[datetime, int]]:
    for d in dues:
        yield d, i


def plan_at(entry: Entry, team: Team, due: datetime, store: "IncidentLog", facts: Facts | None = None) -> Planned:
    """What ``entry`` does at ``due``."""
    facts = facts or read_facts(store, team.team, entry.choices)
    return Planned(entry, due, choose(entry, facts, due, team.team), skip_reason(entry, team, due, store))


@dataclass(frozen=True)
class Due:
    """A due instant ``run-due`` handles: to run, or to record as skipped because missed."""

    entry: Entry
    due: datetime
    missed: str | None = None  # why a late instant is not run (the catch_up policy)


def due_now(entry: Entry, since: datetime | None, now: datetime) -> list[Due]:
    """The instants of ``entry`` due in (``since``, ``now``] and what ``catch_up`` does
    with those more than ``grace`` late. An entry the log has never seen starts at
    ``now - grace``: adding an entry does not run its past."""
    grace = timedelta(seconds=entry.grace)
    start = since if since is not None else now - grace
    dues = list(due_instants(entry.cron, entry.timezone, start, now))
    on_time = [d for d in dues if now - d <= grace]
    late = [d for d in dues if now - d > grace]
    if entry.catch_up == "all":
        keep = late
    elif entry.catch_up == "run-once" and not on_time:
        keep = late[-1:]
    else:
        keep = []
    out = []
    for d in late:
        if d in keep:
            out.append(Due(entry, d))
        else:
            why = ("catch_up: skip" if entry.catch_up == "skip"
                   else "catch_up: run-once runs only the latest missed time" if not on_time
                   else "catch_up: run-once, and a later time is due now")
            out.append(Due(entry, d, f"missed by {format_duration((now - d).total_seconds())} ({why})"))
    return out + [Due(entry, d) for d in on_time]


def seed_for(entry: Entry, due: datetime) -> int:
    """The seed of a scheduled simulation: the same entry at the same instant always
    simulates the same runs."""
    digest = hashlib.sha256(f"{entry.id}@{due.timestamp():.0f}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def who_claims() -> str:
    """This process, as a claim names it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def schedule_clock(start: datetime | None) -> Callable[[], datetime]:
    """The clock of the schedule commands: the wall clock, or one that starts at
    ``start`` and runs at the wall clock's pace (for tests and rehearsals)."""
    if start is None:
        return lambda: datetime.now(timezone.utc).replace(microsecond=0)
    import time

    t0 = time.monotonic()
    return lambda: (start + timedelta(seconds=int(time.monotonic() - t0))).astimezone(timezone.utc)


def next_due(ws: Located, after: datetime) -> datetime | None:
    """The earliest due instant of any entry after ``after``."""
    found = [next(due_instants(e.cron, e.timezone, after, after + LOOKAHEAD), None) for e in entries(ws)]
    known = [d for d in found if d is not None]
    return min(known) if known else None
