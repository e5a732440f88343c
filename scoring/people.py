"""What rests on one person: the shifts a rotation gives someone while they are away,
and the duties nobody else can take over (a single point of failure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from scenarios import Team
from scenarios.common import split_target, zone
from scenarios.team import Away

from .coverage import Gap, joined, on_call_stretches, paged_rotations, rotation_members


def away_span(away: Away, tz: str) -> tuple[datetime, datetime]:
    """An absence as instants [from, to): whole days run from local midnight of the
    first day to local midnight after the last, in the member's zone ``tz``."""
    if isinstance(away.from_, datetime):
        return away.from_, away.to  # type: ignore[return-value]
    z = zone(tz)
    return (datetime.combine(away.from_, time(), z),
            datetime.combine(away.to + timedelta(days=1), time(), z))  # type: ignore[operator]


@dataclass(frozen=True)
class AwayOnCall:
    """A member put on call in ``rotation`` while away, with no override covering it."""

    rotation: str
    member: str
    absences: tuple[Away, ...]  # the absences the shifts fall in
    shifts: tuple[Gap, ...]  # the stretches on call while away, joined where adjacent

    @property
    def seconds(self) -> float:
        return sum(g.seconds for g in self.shifts)


def away_on_call(team: Team, start: datetime, end: datetime) -> list[AwayOnCall]:
    """Every (paged rotation, member) where the rotation puts the member on call while
    one of their absences covers the instant, within [start, end). An override that
    puts someone else on call removes the shift (the rotation then answers with them)."""
    found = []
    for rotation in paged_rotations(team):
        for member_id in sorted(rotation_members(team, rotation)):
            m = team.member(member_id)
            absences, shifts = [], []
            for away in m.away:
                lo, hi = away_span(away, m.timezone)
                lo, hi = max(lo, start), min(hi, end)
                if lo >= hi:
                    continue
                gaps = joined([s for s in on_call_stretches(team, [rotation], lo, hi) if member_id in s.on_call])
                if gaps:
                    absences.append(away)
                    shifts += gaps
            if shifts:
                shifts.sort(key=lambda g: g.start)
                found.append(AwayOnCall(rotation, member_id, tuple(absences), tuple(shifts)))
    return found


def _reach(team: Team, target: str) -> set[str]:
    kind, name = split_target(target)
    if kind == "person":
        return {name}
    if kind == "role":
        return set(team.roles.get(name, []))
    if kind == "rotation" and name in team.rotations:
        return rotation_members(team, name)
    return set()


def sole_duties(team: Team) -> dict[str, list[str]]:
    """Member id -> the duties only they can take, in words: a role only they hold,
    a paged rotation only they are in, an escalation level that names them and reaches
    nobody else, a skill or an access nobody else has. A level that reaches them only
    through a role or a rotation is that role's or rotation's duty, counted once."""
    duties: dict[str, list[str]] = {}

    def add(member: str, words: str) -> None:
        duties.setdefault(member, []).append(words)

    for role, holders in sorted(team.roles.items()):
        if len(set(holders)) == 1:
            add(holders[0], f"the only {role}")
    for rotation in paged_rotations(team):
        members = rotation_members(team, rotation)
        if len(members) == 1:
            add(next(iter(members)), f"the only member of rotation '{rotation}'")
    for name, policy in sorted(team.escalation.items()):
        for n, level in enumerate(policy.levels, 1):
            reached = set().union(*(_reach(team, t) for t in level.notify))
            named = {split_target(t)[1] for t in level.notify if split_target(t)[0] == "person"}
            if len(reached) == 1 and reached == named:
                add(next(iter(reached)), f"the only one paged at level {n} of escalation policy '{name}'")
    for what, held in (("skill", lambda m: m.skills), ("access", lambda m: m.access)):
        by: dict[str, set[str]] = {}
        for m in team.members:
            for x in held(m):
                by.setdefault(x, set()).add(m.id)
        for x, who in sorted(by.items()):
            if len(who) == 1:
                add(next(iter(who)), f"the only one with skill {x}" if what == "skill" else f"the only one with access to {x}")
    return duties
