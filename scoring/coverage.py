"""Who is on call across a stretch of time: coverage gaps and who is on call when
(exact, from the instants where the answer can change), night load (sampled every 15
minutes), and the rotations' whole cycle (the stretch after which who is on call
repeats), which the skill and absence rules scan."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator

from scenarios import Team
from scenarios.common import split_target
from scenarios.night import is_night

STEP = timedelta(minutes=15)
WEEK = 7 * 86400
#: The longest stretch a cycle scan covers: 52 weeks, a year of whole weeks. Turns of
#: different lengths can repeat together only after years (1w x 7 people beside
#: 1w x 8: 56 weeks); a year shows every pattern a team would plan for, and stays
#: a fraction of a second to scan even with hourly turns.
CYCLE_CAP = 52 * WEEK


@dataclass(frozen=True)
class Gap:
    """A stretch with nobody on call."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def _instants(start: datetime, days: int) -> Iterator[datetime]:
    t, end = start, start + timedelta(days=days)
    while t < end:
        yield t
        t += STEP


def coverage_gaps(team: Team, rotation: str, start: datetime, days: int = 28) -> list[Gap]:
    """Stretches in [start, start + days) where ``rotation`` has nobody on call, exact
    to the second: who is on call is asked only where a gap can open or close
    (layer starts, restriction edges, overrides; never at a handoff, so the cost does
    not grow with shorter turns)."""
    end = start + timedelta(days=days)
    gaps: list[Gap] = []
    open_at: datetime | None = None
    for t in team.rotations[rotation].changes(start, end, team.timezone, handoffs=False):
        nobody = team.on_call(rotation, t) is None
        if nobody and open_at is None:
            open_at = t
        elif not nobody and open_at is not None:
            gaps.append(Gap(open_at, t))
            open_at = None
    if open_at is not None:
        gaps.append(Gap(open_at, end))
    return gaps


def night_hours(team: Team, rotation: str, start: datetime, days: int = 28) -> Counter:
    """Hours each member is on call in the night (scenarios.night) of their own zone."""
    load: Counter = Counter()
    per_step = STEP.total_seconds() / 3600
    for t in _instants(start, days):
        who = team.on_call(rotation, t)
        if who is None:
            continue
        if is_night(t, team.member(who).timezone):
            load[who] += per_step
    return load


def paged_rotations(team: Team) -> list[str]:
    """The rotations an escalation level or a severity's ``also_page`` pages, sorted:
    the ones whose coverage decides where a page goes."""
    targets = [t for p in team.escalation.values() for lvl in p.levels for t in lvl.notify]
    targets += [t for level in team.severity.values() for t in level.also_page]
    return sorted({name for t in targets for kind, name in [split_target(t)] if kind == "rotation" and name in team.rotations})


def rotation_members(team: Team, rotation: str) -> set[str]:
    """Everyone a rotation can put on call: the members of its layers and overrides."""
    rot = team.rotations[rotation]
    return {m for layer in rot.layers for m in layer.members} | {o.member for o in rot.overrides}


def cycle_seconds(team: Team, rotations: list[str]) -> int:
    """The rotations' whole cycle, in seconds: after it, who is on call repeats. A layer
    repeats after ``turn`` x its number of members; one restricted to weekly windows
    (``only``) also after a whole number of weeks; together they repeat after the least
    common multiple. Overrides are one-off and do not repeat. Turns count on the
    layer's wall clock, so across a daylight-saving change the pattern moves by the
    hour the clock moved."""
    periods = []
    for name in rotations:
        for layer in team.rotations[name].layers:
            period = round(layer.turn) * len(layer.members)
            periods.append(math.lcm(period, WEEK) if layer.only is not None else period)
    return math.lcm(*periods) if periods else WEEK


@dataclass(frozen=True)
class Scan:
    """The stretch a cycle scan covers: from ``start``, the whole cycle or the cap."""

    start: datetime
    cycle: float  # the rotations' whole cycle, seconds
    seconds: float  # what is scanned: the cycle, or CYCLE_CAP when the cycle is longer

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)

    @property
    def capped(self) -> bool:
        return self.seconds < self.cycle


def cycle_scan(team: Team, rotations: list[str], start: datetime) -> Scan:
    """The scan of the rotations' whole cycle (capped at CYCLE_CAP) from ``start``, or
    from the instant the last of their layers starts when that is later: before it, a
    layer not yet running makes a pattern that never comes back."""
    layers = [layer.start for name in rotations for layer in team.rotations[name].layers]
    begin = max([start, *layers])
    cycle = cycle_seconds(team, rotations)
    return Scan(begin, float(cycle), float(min(cycle, CYCLE_CAP)))


@dataclass(frozen=True)
class Stretch:
    """A stretch over which the same people are on call (nobody: an empty set)."""

    start: datetime
    end: datetime
    on_call: frozenset[str]

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def on_call_stretches(team: Team, rotations: list[str], start: datetime, end: datetime) -> list[Stretch]:
    """[start, end) cut where who is on call in any of ``rotations`` can change
    (handoffs, layer starts, restriction edges, overrides), exact to the second."""
    points = {start}
    for name in rotations:
        points |= set(team.rotations[name].changes(start, end, team.timezone))
    cuts = sorted(points) + [end]
    out = []
    for a, b in zip(cuts, cuts[1:]):
        if a < b:
            people = frozenset(w for name in rotations if (w := team.on_call(name, a)) is not None)
            out.append(Stretch(a, b, people))
    return out


def joined(stretches: list[Stretch]) -> list[Gap]:
    """Stretches (in time order) as spans, adjacent ones joined into one."""
    spans: list[Gap] = []
    for s in stretches:
        if spans and spans[-1].end == s.start:
            spans[-1] = Gap(spans[-1].start, s.end)
        else:
            spans.append(Gap(s.start, s.end))
    return spans


def time_without(stretches: list[Stretch], holders: set[str]) -> list[Gap]:
    """The spans in which nobody on call is one of ``holders``."""
    return joined([s for s in stretches if not s.on_call & holders])


def holders_of(team: Team, *, skill: str | None = None, access: str | None = None) -> set[str]:
    """Members with ``skill`` (and ``access``, when given)."""
    return {m.id for m in team.members if (skill is None or skill in m.skills) and (access is None or access in m.access)}
