"""Who is on call across a stretch of time: coverage gaps (exact, from the instants
where the answer can change), night load (sampled every 15 minutes) and skills on
hand (hourly)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator

from scenarios import Team
from scenarios.night import is_night

STEP = timedelta(minutes=15)


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


def hours_without(team: Team, rotations: list[str], *, skill: str | None = None, access: str | None = None,
                  start: datetime, days: int = 7) -> list[datetime]:
    """Instants (hourly) at which nobody on call in ``rotations`` has ``skill`` (or
    ``access``)."""
    holders = {m.id for m in team.members if (skill is None or skill in m.skills) and (access is None or access in m.access)}
    missing = []
    t = start
    for _ in range(days * 24):
        on_call = {team.on_call(r, t) for r in rotations if r in team.rotations}
        if not on_call & holders:
            missing.append(t)
        t += timedelta(hours=1)
    return missing
