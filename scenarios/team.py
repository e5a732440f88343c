"""A team: people with time zones, working hours and sleep; rotations; escalation; paging."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from .base import Id, Model, Probability
from .common import Aware, DayOrAware, Names, Targets, TimeZone, zone
from .distributions import AckDist, Dist
from .durations import Duration, format_duration
from .severity import DEFAULT_SEVERITIES, SeverityLevel
from .windows import Window, Windows, parse_window

Period = Literal["working", "evening", "asleep"]
MIN_TURN = 3600.0


def _ack(median: str, p90: str, miss: float = 0.0) -> AckDist:
    return AckDist.model_validate({"median": median, "p90": p90, "miss": miss})


class AckProfile(Model):
    """Acknowledgement delay by the responder's local situation."""

    working: AckDist = Field(default_factory=lambda: _ack("1m", "4m"),
                             description="during the person's working hours, e.g. {median: 1m, p90: 4m}")
    evening: AckDist = Field(default_factory=lambda: _ack("4m", "12m", 0.02),
                             description="outside working and sleep hours, e.g. {median: 4m, p90: 12m, miss: 0.02}")
    asleep: AckDist = Field(default_factory=lambda: _ack("9m", "30m", 0.08),
                            description="during the person's sleep hours, e.g. {median: 9m, p90: 30m, miss: 0.08}")


class Away(Model):
    """A window when someone cannot respond. Dates are whole days in the member's zone."""

    from_: DayOrAware = Field(alias="from",
                              description="the first day away (2026-07-01) or the instant it starts (2026-07-01T18:00:00+02:00)")
    to: DayOrAware = Field(description="the last day away (both ends count) or the instant it ends")
    reason: str | None = Field(None, description="why, in words, e.g. holiday")

    @model_validator(mode="after")
    def _ordered(self) -> "Away":
        if type(self.from_) is not type(self.to):
            raise ValueError("expected 'from' and 'to' both as dates or both as date-times")
        if self.to < self.from_:
            raise ValueError(f"expected 'to' on or after 'from', got from {self.from_} to {self.to}")
        return self

    def covers(self, at: datetime, tz: str) -> bool:
        """Whether the instant ``at`` falls inside the window (dates include both ends)."""
        if isinstance(self.from_, datetime):
            return self.from_ <= at < self.to  # type: ignore[operator]
        local_day = at.astimezone(zone(tz)).date()
        return self.from_ <= local_day <= self.to


class Member(Model):
    """A person who can be paged."""

    id: Id = Field(description="the member's id, which rotations and roles refer to, e.g. amara")
    name: str = Field(description="the person's name, e.g. Amara Okafor")
    timezone: TimeZone = Field(description="the person's IANA time zone, e.g. Europe/Berlin")
    skills: list[str] = Field(default_factory=list,
                              description="what the person can do; runbook steps 'need' one, e.g. [postgres, kubernetes]")
    access: list[str] = Field(default_factory=list, description="systems this person can reach (production DB, cloud console)")
    working_hours: Window = Field(default_factory=lambda: parse_window("Mon-Fri 09:00-17:00"),
                                  description="when the person works, in their zone, e.g. Mon-Fri 09:00-17:00")
    sleep: Window = Field(default_factory=lambda: parse_window("daily 23:00-07:00"),
                          description="when the person sleeps, in their zone, e.g. daily 23:00-07:00")
    ack: AckProfile = Field(default_factory=AckProfile,
                            description="how quickly the person acknowledges a page, by the time of day")
    away: list[Away] = Field(default_factory=list, description="when the person cannot respond: holidays, leave")
    channels: list[str] | None = Field(None, description="paging channels this person uses, in order; all by default")

    def period_at(self, at: datetime) -> Period:
        """Working, evening or asleep at the instant ``at``, in this person's zone."""
        local = at.astimezone(zone(self.timezone))
        if self.working_hours.contains(local):
            return "working"
        if self.sleep.contains(local):
            return "asleep"
        return "evening"

    def is_away(self, at: datetime) -> bool:
        """Whether an unavailability window covers ``at``."""
        return any(a.covers(at, self.timezone) for a in self.away)


class Layer(Model):
    """Members take turns from ``start``; the start's time of day is the handoff time."""

    name: str | None = Field(None, description="the layer's name, in words, e.g. weekdays")
    start: Aware = Field(description="when the first turn starts, with its zone, e.g. 2026-01-05T09:00:00+01:00")
    turn: Duration = Field(description="turn length, e.g. 1w, 12h")
    members: list[Id] = Field(min_length=1, description="member ids in the order they take turns")
    only: Windows | None = Field(None, description="restrictions: the layer applies only inside these windows")
    timezone: TimeZone | None = Field(None, description="zone for handoffs and restrictions; the team's zone if unset")

    @model_validator(mode="after")
    def _positive_turn(self) -> "Layer":
        if self.turn < MIN_TURN:
            raise ValueError(f"expected a turn of at least 1h, got {format_duration(self.turn)}: a shorter turn hands "
                             "the pager on before anyone can answer a page and escalate it")
        return self

    def member_at(self, at: datetime, default_tz: str) -> str | None:
        """Who this layer puts on call at ``at``, or None where it does not apply.

        Turns are counted on the wall clock of the layer's zone, so a 09:00 handoff
        stays at 09:00 across daylight-saving changes.
        """
        if at < self.start:
            return None
        tz = zone(self.timezone or default_tz)
        local = at.astimezone(tz)
        if self.only is not None and not any(w.contains(local) for w in self.only):
            return None
        elapsed = (local.replace(tzinfo=None) - self.start.astimezone(tz).replace(tzinfo=None)).total_seconds()
        turn = math.floor(elapsed / self.turn)
        return self.members[turn % len(self.members)]

    def changes(self, start: datetime, end: datetime, default_tz: str, *, handoffs: bool = True) -> set[datetime]:
        """Every instant in [start, end) at which this layer's answer may change: its
        start, its handoffs and the edges of its restriction windows.

        Without ``handoffs`` only the instants where the layer starts or stops
        applying: a handoff passes the pager on and never leaves it with nobody."""
        tz = zone(self.timezone or default_tz)
        out = {self.start} if start <= self.start < end else set()
        if not handoffs:
            return out | self._edges(start, end, tz)
        first_local = self.start.astimezone(tz).replace(tzinfo=None)
        span = (end.astimezone(tz).replace(tzinfo=None) - first_local).total_seconds()
        skip = max(0, math.floor((start.astimezone(tz).replace(tzinfo=None) - first_local).total_seconds() / self.turn))
        for k in range(skip, math.floor(span / self.turn) + 1):
            at = (first_local + timedelta(seconds=k * self.turn)).replace(tzinfo=tz).astimezone(start.tzinfo)
            if start <= at < end:
                out.add(at)
        return out | self._edges(start, end, tz)

    def _edges(self, start: datetime, end: datetime, tz: ZoneInfo) -> set[datetime]:
        out: set[datetime] = set()
        for window in self.only or []:
            day = start.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None) - timedelta(days=1)
            while day.replace(tzinfo=tz) < end:
                for minute in (window.start, window.end):
                    at = (day + timedelta(minutes=minute)).replace(tzinfo=tz)
                    if start <= at < end:
                        out.add(at)
                day += timedelta(days=1)
        return out


class Override(Model):
    """``member`` covers the rotation from ``from`` until ``to``."""

    member: Id = Field(description="the member id who covers, e.g. dana")
    from_: Aware = Field(alias="from", description="when the cover starts, with its zone, e.g. 2026-07-01T09:00:00+02:00")
    to: Aware = Field(description="when the cover ends, with its zone")
    reason: str | None = Field(None, description="why, in words, e.g. swap with amara")

    @model_validator(mode="after")
    def _ordered(self) -> "Override":
        if self.to <= self.from_:
            raise ValueError(f"expected 'to' after 'from', got from {self.from_.isoformat()} to {self.to.isoformat()}")
        return self


class Rotation(Model):
    """Layers (a later layer wins where it applies) and overrides (win over every layer)."""

    description: str | None = Field(None, description="what the rotation is for, in words")
    layers: list[Layer] = Field(min_length=1, description="turn-taking layers; a later layer wins where it applies")
    overrides: list[Override] = Field(default_factory=list,
                                      description="someone covering the rotation for a while; they win over every layer")

    def changes(self, start: datetime, end: datetime, default_tz: str = "UTC", *, handoffs: bool = True) -> list[datetime]:
        """The instants in [start, end) at which who is on call may change, sorted,
        ``start`` first: between two of them the answer of :meth:`on_call` is constant.

        Without ``handoffs``, the instants at which whether anyone is on call may
        change; their number does not grow with shorter turns."""
        points = {start}
        for layer in self.layers:
            points |= layer.changes(start, end, default_tz, handoffs=handoffs)
        for o in self.overrides:
            points |= {t for t in (o.from_, o.to) if start <= t < end}
        return sorted(points)

    def on_call(self, at: datetime, default_tz: str = "UTC") -> str | None:
        """The member on call at ``at``, or None for a coverage gap."""
        for o in reversed(self.overrides):
            if o.from_ <= at < o.to:
                return o.member
        for layer in reversed(self.layers):
            who = layer.member_at(at, default_tz)
            if who is not None:
                return who
        return None


class Level(Model):
    """One escalation level: notify these targets, wait ``timeout``, then go on."""

    notify: Targets = Field(min_length=1,
                            description="who is paged: rotation:NAME, person:ID or role:NAME, one or a list, e.g. rotation:primary")
    timeout: Duration | None = Field(None, description="how long to wait for an acknowledgement; the last level may omit it")


class Policy(Model):
    """An escalation policy; after the last level it starts again ``repeat`` more times."""

    description: str | None = Field(None, description="what the policy is for, in words")
    levels: list[Level] = Field(min_length=1, description="who is paged, in turn, until someone acknowledges")
    repeat: int = Field(0, description="how many more times the levels start again after the last, 0 to 9", ge=0, le=9)


class Route(Model):
    """Send matching alerts to ``policy``; the first matching route wins."""

    policy: str = Field(description="the escalation policy matching alerts go to, e.g. P1")
    alerts: Names = Field(default_factory=list,
                          description="alert names the route matches (any of them), e.g. [CheckoutErrors]")
    services: Names = Field(default_factory=list, description="services the route matches (any of them), e.g. [checkout]")
    severities: Names = Field(default_factory=list, description="severities the route matches (any of them), e.g. [P0, P1]")

    def matches(self, alert: str | None, service: str | None, severity: str | None) -> bool:
        """Every criterion given must match; a route with none matches everything."""
        return (
            (not self.alerts or alert in self.alerts)
            and (not self.services or service in self.services)
            and (not self.severities or severity in self.severities)
        )


class Channel(Model):
    """How a page reaches a phone: delivery delay and the chance it never arrives."""

    delay: Dist = Field(description="how long a page takes to arrive, e.g. {median: 5s, p90: 30s}")
    fails: Probability = Field(0.0, description="probability a page never arrives, from 0 to 1, e.g. 0.01")


class EngageTimes(Model):
    """From acknowledging a page to working on it, by where the page found the person."""

    working: Dist | None = Field(None, description="after a page in working hours, e.g. {median: 2m, p90: 8m}")
    evening: Dist | None = Field(None, description="after a page in the evening, e.g. {median: 5m, p90: 15m}")
    asleep: Dist | None = Field(None, description="after a page that woke the person, e.g. {median: 10m, p90: 25m}")


class WithoutSkill(Model):
    """Whether someone without a step's skill may do it when no holder can be reached,
    and at what cost: ``slower`` multiplies its time, ``succeeds`` its chance of working."""

    slower: float = Field(3.0, ge=1.0, le=100.0, description="factor on the time the work takes (3: three times as long)")
    succeeds: Probability = Field(0.5, description="factor on a step's chance of working")


class Habits(Model):
    """How long this team takes for the parts of a response no runbook spells out.
    Anything left out keeps drillbit's assumption (see the README)."""

    engage: EngageTimes | None = Field(None, description="from acknowledging a page to working on it, by the time of day")
    triage: Dist | None = Field(None, description="from engagement to naming the problem when a runbook matches")
    first_update: Dist | None = Field(None, description="from engagement to the first status update")
    noise_triage: Dist | None = Field(None, description="dismissing a false alarm; nothing else is answered meanwhile")
    expert_wait: Duration | None = Field(None, description="how long an expert page waits before trying the next person")
    without_skill: WithoutSkill | None = Field(None, description="a step needing a skill nobody reachable holds is done "
                                               "anyway, slower and less reliably (without it: not done)")


def _default_channels() -> dict[str, Channel]:
    return {
        "push": Channel(delay=Dist.model_validate({"median": "5s", "p90": "30s"}), fails=0.01),
        "phone": Channel(delay=Dist.model_validate({"median": "20s", "p90": "1m"}), fails=0.002),
    }


class Team(Model):
    """Everything about the people who respond."""

    team: Id = Field(description="the team's name, e.g. payments")
    description: str | None = Field(None, description="who the team is, in words")
    timezone: TimeZone = Field("UTC", description="zone for rotation handoffs and business hours unless a layer says otherwise")
    business_hours: Window = Field(default_factory=lambda: parse_window("Mon-Fri 09:00-17:00"),
                                   description="the team's business hours, in its zone, e.g. Mon-Fri 09:00-17:00")
    members: list[Member] = Field(min_length=1, description="the people who can be paged")
    roles: dict[Id, list[Id]] = Field(default_factory=dict, description="role name -> members who hold it")
    rotations: dict[Id, Rotation] = Field(min_length=1,
                                          description="rotation name -> who is on call when, e.g. primary, secondary")
    escalation: dict[str, Policy] = Field(min_length=1, description="policy name (a severity name or any name) -> policy")
    routing: list[Route] = Field(default_factory=list,
                                 description="which escalation policy an alert goes to; the first matching route wins")
    paging: dict[Id, Channel] = Field(default_factory=_default_channels,
                                      description="channel name -> how pages reach phones on it, e.g. {push: {delay: {median: 5s, p90: 30s}}}")
    severity: dict[str, SeverityLevel] = Field(default_factory=lambda: dict(DEFAULT_SEVERITIES),
                                               description="the team's severity levels, most severe first")
    severity_map: dict[str, str] = Field(
        default_factory=dict,
        description="a severity name scenarios write -> one of the team's levels (e.g. {P0: SEV1, P1: SEV1}); "
                    "names not listed map by rank (see the README)")
    response: Habits = Field(default_factory=Habits, description="the team's own response times")

    def member(self, member_id: str) -> Member:
        """The member with this id; KeyError if there is none."""
        for m in self.members:
            if m.id == member_id:
                return m
        raise KeyError(member_id)

    def on_call(self, rotation: str, at: datetime) -> str | None:
        """Who is on call in ``rotation`` at ``at`` (None: nobody)."""
        return self.rotations[rotation].on_call(at, self.timezone)

    def policy_for(self, alert: str | None, service: str | None, severity: str | None) -> str | None:
        """The escalation policy name for an alert: the first matching route, else the
        policy named after the severity, else ``default``; None if nothing applies."""
        for route in self.routing:
            if route.matches(alert, service, severity):
                return route.policy
        if severity in self.escalation:
            return severity
        return "default" if "default" in self.escalation else None

    def skills_held(self) -> set[str]:
        """Every skill someone on the team has."""
        return {s for m in self.members for s in m.skills}
