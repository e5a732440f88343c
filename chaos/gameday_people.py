"""What monitoring and people add to a game day's timeline, in the simulator's words:
alerts (the first routed one detects the incident and pages who the team's policy
and rotation name at that wall-clock instant), and marks (detected, ack, engaged,
diagnosed, mitigated, update, resolved, note).

Nobody is paged by drillbit here: the team's own pager does that. The pages recorded
are those the team's first escalation level and the severity's ``also_page`` say went
out at detection (none where the severity pages only in business hours, or never), so
time to acknowledge has its start; ``delivered_after`` is null because delivery is not
observed, and ``channel`` is the first channel the member uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scenarios.common import split_target, zone
from scenarios.events import (Acknowledged, AlertFired, AlertResolved, Detected, Diagnosed, How, Mitigated, Note,
                              PageMissed, PageSent, Phase, Resolved, ResponderEngaged, StatusUpdate)
from scenarios.scenario import Scenario
from scenarios.team import Team
from scenarios.timeline import Event

from .gameday_errors import GameDayError
from .gameday_record import Record

if TYPE_CHECKING:
    from .gameday import Alert, Mark

INCIDENT = "incident"


@dataclass(frozen=True)
class SentPage:
    id: int
    to: str
    t: float
    period: str
    purpose: str
    meta: dict


def primary_service(scenario: Scenario) -> str:
    """The service the incident is about, as the simulator picks it: the first fault
    inject customers see, else the first service."""
    for inj in scenario.injects:
        if inj.fault is not None and inj.fault.impact != "none":
            return inj.fault.service
    return scenario.services[0]


class People:
    """The incident's state as monitoring and people move it; every method runs under
    the game day's lock and returns the events it recorded."""

    def __init__(self, scenario: Scenario, team: Team, record: Record) -> None:
        self.scenario, self.team, self.record = scenario, team, record
        self.service = primary_service(scenario)
        self.detected = False
        self.pages: list[SentPage] = []
        self.acked_by: str | None = None
        self.engaged: list[str] = []
        self.diagnosed = self.mitigated = self.resolved = False
        self.updates = 0
        self.policy: str | None = None
        self.firing: set[tuple] = set()
        self.noted: set[tuple[str, str]] = set()

    # -- helpers ---------------------------------------------------------------------
    def _note(self, t: float, gap: str, subject: str, text: str, actor: str = "system", **extra) -> list[Event]:
        if (gap, subject) in self.noted:
            return []
        self.noted.add((gap, subject))
        return [self.record.emit(t, "note", actor, subject, Note(gap=gap, text=text, **extra))]

    def _channel(self, member) -> str | None:
        names = member.channels if member.channels is not None else list(self.team.paging)
        return next((n for n in names if n in self.team.paging), None)

    def responder(self) -> str:
        """Who acts for the team in a measured event: the first engaged, else who acknowledged."""
        return (self.engaged[0] if self.engaged else None) or self.acked_by or "system"

    # -- monitoring ------------------------------------------------------------------
    def alert(self, alert: "Alert", t: float) -> list[Event]:
        key = (alert.name, tuple(sorted(alert.labels.items())))
        if not alert.firing:
            if key not in self.firing:
                return []  # resolved without having fired here (or repeated)
            self.firing.discard(key)
            return [self.record.emit(t, "alert_resolved", "monitoring", alert.name, AlertResolved(noise=False))]
        if key in self.firing:
            return []  # Alertmanager repeats a firing alert; it fired once
        self.firing.add(key)
        severity = alert.severity or self.scenario.severity
        policy = self.team.policy_for(alert.name, alert.service or self.service, severity)
        out = [self.record.emit(t, "alert_fired", "monitoring", alert.name,
                                AlertFired(severity=severity, service=alert.service, routed=policy is not None,
                                           policy=policy, noise=False))]
        if policy is None:
            out += self._note(t, "unrouted-alert", alert.name,
                              f"alert {alert.name} fired but no route or policy of team {self.team.team} takes it",
                              alert=alert.name)
        elif not self.detected:
            self.detected = True
            out.append(self.record.emit(t, "detected", "monitoring", alert.name,
                                        Detected(via="alert", fallback=False, alert=alert.name)))
            self.policy = policy
            out += self._page_for(policy, alert.name, severity, t)
        return out

    def alerts_cut(self, count: int, group: str, t: float) -> list[Event]:
        # an observation, not a gap of the team's: the receiver's configuration hid them
        return self._note(t, "observation", group, f"monitoring left {count} alert{'' if count == 1 else 's'} of "
                          f"group {group} out of its notification (Alertmanager's max_alerts): they are not in "
                          "this timeline, and none of them counts as detection")

    def _page_for(self, policy: str, alert: str | None, severity: str, t: float) -> list[Event]:
        """The pages detection sends at drill second ``t``, as the severity's ``page``
        setting allows: the policy's first level, and who ``also_page`` names."""
        level = self.team.severity.get(severity)
        at = self.record.wall(t)
        if level is not None and level.page != "always":
            hours = self.team.business_hours.contains(at.astimezone(zone(self.team.timezone)))
            if level.page == "never" or not hours:
                how = "only in business hours" if level.page == "business-hours" else "never"
                return self._note(t, "not-paged", severity, f"severity {severity} pages {how}; nobody was paged")
        meta: dict = {"policy": policy, "level": 1, "round": 0}
        if alert is not None:
            meta["alert"] = alert
        out = self._page(self.team.escalation[policy].levels[0].notify, INCIDENT, meta, t)
        if level is not None and level.also_page:
            out += self._page(level.also_page, "severity", {}, t)
        return out

    def _present(self) -> list[str]:
        """Who is on the incident: who acknowledged it, then who engaged."""
        return list(dict.fromkeys([*([self.acked_by] if self.acked_by else []), *self.engaged]))

    def _page(self, targets: list[str], purpose: str, meta: dict, t: float) -> list[Event]:
        """Page ``targets`` at drill second ``t`` (someone two targets name gets one
        page); a target that resolves to nobody is a missed page and a gap, one that
        names someone on the incident already is met by them."""
        out: list[Event] = []
        at = self.record.wall(t)
        paged: set[str] = set()
        for target in targets:
            members = self._members(target, at)
            here = next((m for m in self._present() if m in members), None)
            if here is not None:
                if purpose == INCIDENT and self.acked_by is None:
                    out += self._acknowledge(here, t, present=True, **meta)
                continue
            if not members:
                kind, name = split_target(target)
                if kind == "rotation":
                    reason, gap, text = "nobody-on-call", "nobody-on-call", f"nobody is on call in rotation {name}"
                else:
                    reason, gap, text = "no-holder", "empty-role", f"nobody holds role {name}"
                out.append(self.record.emit(t, "page_missed", "paging", target,
                                            PageMissed(purpose=purpose, target=target, reason=reason, **meta)))
                out += self._note(t, gap, target, text)
            for who in members:
                if who in paged:
                    continue
                paged.add(who)
                member = self.team.member(who)
                page = SentPage(len(self.pages) + 1, who, t, member.period_at(at), purpose, meta)
                self.pages.append(page)
                out.append(self.record.emit(t, "page_sent", "paging", who, PageSent(
                    page=page.id, to=who, purpose=purpose, target=target, channel=self._channel(member),
                    delivered_after=None, period=page.period, timezone=member.timezone,
                    away=bool(member.away) and member.is_away(at), **meta)))
        return out

    def _members(self, target: str, at) -> list[str]:
        kind, name = split_target(target)
        if kind == "person":
            return [name]
        if kind == "rotation":
            who = self.team.on_call(name, at)
            return [who] if who is not None else []
        return list(self.team.roles.get(name, []))

    # -- people ----------------------------------------------------------------------
    def on_call(self, t: float) -> str | None:
        """Who a mark is by when it says nobody: the person paged, else who the
        scenario severity's policy names first at drill second ``t``."""
        incident = self._incident_pages()
        if incident:
            return incident[0].to
        policy = self.team.policy_for(None, self.service, self.scenario.severity)
        if policy is None:
            return None
        at = self.record.wall(t)
        for target in self.team.escalation[policy].levels[0].notify:
            members = self._members(target, at)
            if members:
                return members[0]
        return None

    def _by(self, mark: "Mark", t: float) -> str:
        if mark.by is not None:
            known = [m.id for m in self.team.members]
            if mark.by not in known:
                raise GameDayError(f"mark {mark.kind}: {mark.by!r} is no member of team {self.team.team} "
                                   f"(its members: {', '.join(known)})")
            return mark.by
        who = self.on_call(t)
        if who is None:
            raise GameDayError(f"mark {mark.kind}: nobody was paged and nobody is on call for severity "
                               f"{self.scenario.severity}; say who it is by")
        return who

    def _incident_pages(self) -> list[SentPage]:
        return [p for p in self.pages if p.purpose == INCIDENT]

    def _page_of(self, who: str) -> SentPage | None:
        """The incident page ``who`` answers: theirs, else the first one sent."""
        incident = self._incident_pages()
        return next((p for p in incident if p.to == who), incident[0] if incident else None)

    def _acknowledge(self, by: str, t: float, present: bool = False, **meta) -> list[Event]:
        """``by`` acknowledges the incident at drill second ``t``: the incident's page
        (theirs, else the first), and their severity pages with it."""
        rec = self.record
        self.acked_by = by
        page = self._page_of(by)
        extra = {"present": True} if present else {}
        if page is None:
            # No page went out: the acknowledgement is kept, with no page to time it from.
            period = self.team.member(by).period_at(rec.wall(t))
            out = [rec.emit(t, "acknowledged", by, by, Acknowledged(by=by, page=0, page_t=t, purpose=INCIDENT,
                                                                    period=period, **meta, **extra))]
        else:
            period = page.period if page.to == by else self.team.member(by).period_at(rec.wall(t))
            out = [rec.emit(t, "acknowledged", by, by, Acknowledged(by=by, page=page.id, page_t=page.t,
                                                                    purpose=INCIDENT, period=period,
                                                                    **{**page.meta, **meta}, **extra))]
        for other in self.pages:
            if other.to == by and other.purpose != INCIDENT:
                out.append(rec.emit(t, "acknowledged", by, by, Acknowledged(
                    by=by, page=other.id, page_t=other.t, purpose=other.purpose, period=other.period, **other.meta)))
        return out

    def mark(self, mark: "Mark", t: float) -> list[Event]:
        """The events of one mark at drill second ``t``. Raises GameDayError for one that
        makes no sense (an unknown member, a second ack, an update without a phase)."""
        by, sid, rec = self._by(mark, t), self.scenario.id, self.record
        kind = mark.kind
        if kind == "detected":
            if self.detected:
                return []
            self.detected = True
            return [rec.emit(t, "detected", "internal-report", "internal-report",
                             Detected(via="internal-report", fallback=False))]
        if kind == "ack":
            if self.acked_by is not None:
                raise GameDayError(f"mark ack: already acknowledged by {self.acked_by}")
            return self._acknowledge(by, t)
        if kind == "engaged":
            if by in self.engaged:
                raise GameDayError(f"mark engaged: {by} is engaged already")
            self.engaged.append(by)
            page = self._page_of(by)
            return [rec.emit(t, "responder_engaged", by, by,
                             ResponderEngaged(by=by, role="responder", page=page.id if page else 0))]
        if kind in ("diagnosed", "mitigated"):
            if getattr(self, kind):
                raise GameDayError(f"mark {kind}: recorded already")
            setattr(self, kind, True)
            how = How.RUNBOOK if mark.runbook else How.IMPROVISED
            payload = (Diagnosed if kind == "diagnosed" else Mitigated)(how=how, runbook=mark.runbook)
            return [rec.emit(t, kind, by, sid, payload)]
        if kind == "update":
            phases = [p.value for p in Phase]
            if mark.phase not in phases:
                raise GameDayError(f"mark update: expected a phase ({', '.join(phases)}), got {mark.phase!r}")
            self.updates += 1
            level = self.team.severity.get(self.scenario.severity)
            return [rec.emit(t, "status_update", by, sid, StatusUpdate(
                phase=Phase(mark.phase), public=bool(level and level.public_update), n=self.updates))]
        if kind == "resolved":
            if self.resolved:
                raise GameDayError("mark resolved: recorded already")
            self.resolved = True
            return [rec.emit(t, "resolved", by, sid, Resolved())]
        if kind == "note":
            if not mark.text:
                raise GameDayError("mark note: a note needs its text")
            return [rec.emit(t, "note", by, sid, Note(gap="observation", text=mark.text))]
        raise GameDayError(f"unknown mark {kind!r}")

    def closing_notes(self, t: float) -> list[Event]:
        """What the simulator also records at the end: nothing detected it, or nobody
        acknowledged the pages."""
        sid = self.scenario.id
        if not self.detected:
            return self._note(t, "undetected", sid, "nothing detected the incident before the drill ended")
        if self.acked_by is None and self._incident_pages() and self.policy is not None:
            return self._note(t, "nobody-acknowledged", self.policy,
                              f"nobody acknowledged the pages of policy {self.policy}", policy=self.policy)
        return []
