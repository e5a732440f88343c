"""One simulated run: the SimPy environment, the generator, the event record and the
incident's state machine (detected -> acknowledged -> engaged -> diagnosed ->
mitigated -> recovered -> resolved). The parts of the response live in their own
modules and act on this object; the people's decisions go through its responder."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import numpy as np
import simpy
from simpy.events import Event

from scenarios import SeverityLevel
from scenarios.common import zone
from scenarios.timeline import Timeline, encode_line, new_events, new_timeline

from .clock import LATE, Call, WallClock, next_window_start, round3
from .comms import Comms
from .impacts import Impacts
from .monitoring import Monitoring
from .paging import Paging
from .plan import Plan
from .responder import Decision, Responder, SimulatedResponder
from .response import Response
from .stages import Stages


class Run:
    """State shared by the monitoring, paging, response and communication models."""

    def __init__(self, plan: Plan, start: datetime, rng: np.random.Generator, horizon: float, *,
                 env: simpy.Environment | None = None, responder: Responder | None = None, mode: str = "simulated"):
        self.plan, self.rng, self.horizon, self.mode = plan, rng, float(horizon), mode
        self.env = env = simpy.Environment() if env is None else env
        self.clock = WallClock(start)
        self.events: list[tuple[float, str, str, str, dict[str, Any]]] = []
        #: Where emit puts a record; an open run with subscribers puts a fan-out here.
        self._record = self.events.append
        self.decisions: list[Decision] = []  # every decision left pending, in the order asked
        self.done = env.event()
        self.finished = False

        self.impact_t: float | None = None
        self.loss_t: float | None = None
        self.detected = False
        self.acked_by: str | None = None
        self.ack_level: int | None = None
        self.policy: str | None = None
        self.responder_id: str | None = None  # the engaged member who leads the response
        self.engaged: list[str] = []  # who works on it hands-on (the responder, experts)
        #: Everyone on the incident: member -> the role they engaged in (None: they answered
        #: a page of it and are on their way). Nobody here is paged for it again.
        self.present: dict[str, str | None] = {}
        self._arrivals: dict[str, Event] = {}  # who is on the way -> triggers when they engage
        self.alerts: list[str] = []  # real alerts that fired, in order
        self.busy_until: dict[str, float] = {}
        self.phase = "investigating"
        self.diagnosed = self.mitigated = self.recovered = self.resolved = False
        self.recovery_done = False
        #: the response's own work (a runbook's remaining steps) is still under way: holds resolution
        self.work_pending = False
        self.restore_pending = self.contain_pending = False
        self.notify_pending = 0
        self.noted: set[tuple[str, str]] = set()
        # injects: delivered (index -> when), held by a facilitator, conditions that did not hold
        self.delivered: dict[int, float] = {}
        self.held: set[int] = set()
        self.skipped: set[int] = set()
        #: A tabletop: the room declares resolution (:meth:`resolve`), the model does not.
        self.resolve_by_hand = False
        self.resolve_declared = False
        self.resolved_by: str | None = None  # who declared it, and what they said
        self.resolved_text: str | None = None
        self.notified: set[str] = set()  # parties notified (a room may notify before being asked)
        #: The severity a tabletop room declared (None: the scenario's): whether updates are public.
        self.severity_level: SeverityLevel | None = None

        self.responder = responder if responder is not None else SimulatedResponder()
        self.responder.bind(self)
        self.monitoring = Monitoring(self)
        self.paging = Paging(self)
        self.response = Response(self)
        self.comms = Comms(self)
        self.stages = Stages(self, plan.stages) if plan.stages is not None else None
        self.impacts = Impacts(self)

    # -- recording and scheduling ------------------------------------------------
    def emit(self, kind: str, actor: str, subject: str, data: dict[str, Any]) -> None:
        """Record an event at the current simulated instant (nothing once the run ended:
        callbacks due at the same instant as the end may still run)."""
        if self.finished:
            return
        self._record((round3(self.env._now + 0.0), kind, actor, subject, data))

    def note(self, gap: str, subject: str, text: str, actor: str = "system", **data: Any) -> None:
        """Record a gap (a ``note`` event), once per (gap, subject) in a run."""
        key = (gap, subject)
        if key in self.noted:
            return
        self.noted.add(key)
        self.emit("note", actor, subject, {"gap": gap, "text": text, **data})

    def after(self, delay: float, fn: Callable[[Any], None]) -> None:
        """Call ``fn(event)`` ``delay`` seconds from now."""
        Call(self.env, delay, fn)

    def late(self, delay: float, fn: Callable[[Any], None]) -> None:
        """Like :meth:`after`, but after every other event due at the same instant."""
        Call(self.env, delay, fn, LATE)

    def wait(self, choice: float | Event) -> Event:
        """What a process yields to wait for a decision: a timeout of that many seconds,
        or the pending decision itself."""
        return choice if isinstance(choice, Event) else self.env.timeout(choice)

    def when(self, choice: float | Event, fn: Callable[[Any], None]) -> None:
        """Call ``fn(event)`` once the decision's wait is over (see :meth:`wait`)."""
        if isinstance(choice, Event):
            choice.callbacks.append(fn)
        else:
            Call(self.env, choice, fn)

    def ask(self, kind: str, who: str, subject: str, details: dict[str, Any],
            parse: Callable[[Any], Any]) -> Decision:
        """A decision left pending for someone to make (see :mod:`simulator.responder`);
        ``parse`` turns an answer into the event's value, raising DecisionError."""
        d = Decision(self, len(self.decisions) + 1, kind, who, subject, details, parse)
        self.decisions.append(d)
        return d

    def now_dt(self) -> datetime:
        """The wall-clock instant of the current simulated time."""
        return self.clock.at(self.env.now)

    # -- the incident -------------------------------------------------------------
    def detect(self, via: str, actor: str, subject: str, *, policy: str | None, severity: str,
               alert: str | None = None, fallback: bool = False, stage: str | None = None) -> None:
        """The incident is noticed: record it once, then page through ``policy`` as the
        severity's ``page`` setting allows, and page who the incident's severity names
        in ``also_page``. ``stage``: the stage whose signals set the detection off (a
        scenario with stages; see :mod:`simulator.stages`)."""
        if self.detected:
            if self.stages is not None:
                self.stages.detect(stage, via, actor, subject, policy=policy, alert=alert, fallback=fallback, first=False)
            return
        self.detected = True
        self.emit("detected", actor, subject, self.plan.data(("detected", via, fallback, alert), lambda: _detected(via, fallback, alert)))
        self.policy = policy
        level = self.plan.severity_level(severity)
        if policy is None:
            self.note("no-policy", subject, f"no escalation policy takes {subject} (severity {severity}); nobody is paged")
        elif level is None or level.page == "always":
            self.paging.escalate(policy, alert)
        else:
            self._defer_paging(policy, alert, severity, level.page)
        incident = self.plan.severity
        if incident is not None:
            paged: set[str] = set()  # someone in two of the roles gets one page
            for target in incident.also_page:
                self.paging.also_page(target, paged)
        if self.stages is not None:
            self.stages.detect(stage, via, actor, subject, policy=policy, alert=alert, fallback=fallback, first=True)

    def _defer_paging(self, policy: str, alert: str | None, severity: str, page: str) -> None:
        # ``business-hours``: page now if inside the team's business hours, else at their
        # next start; ``never``: nobody is paged, and the on-call picks the incident up
        # at the next business hours as if paged then.
        team = self.plan.team
        now = self.now_dt()
        when = next_window_start(team.business_hours, team.timezone, now)
        if page == "business-hours" and when == now:
            self.paging.escalate(policy, alert)
            return
        local = when.astimezone(zone(team.timezone)).strftime("%a %H:%M") if when else "never"
        how = "only in business hours" if page == "business-hours" else "never"
        self.note("not-paged", severity, f"severity {severity} pages {how}; picked up at the next business hours ({local})")
        if when is not None:
            self.after(self.clock.offset(when) - self.env.now, lambda _e: self.paging.escalate(policy, alert))

    def acknowledged(self, member: str, level: int | None, period: str, page: int, *, present: bool = False) -> None:
        """The incident's page was answered: the responder engages after a short delay
        (none for someone ``present`` and engaged on the incident already)."""
        if self.acked_by is not None:
            return
        self.acked_by, self.ack_level = member, level
        if present and self.present.get(member) is not None:
            self._engage(member, page)
            return
        self.when(self.responder.engage(member, "responder", self.plan.engage[period]),
                  lambda _e: self._engage(member, page))

    def joined(self, member: str, role: str) -> None:
        """``member`` engaged on the incident in ``role``: they are on it (the first role
        stays theirs), and a notification to a role they hold is met."""
        if self.present.get(member) is None:
            self.present[member] = role
            arrival = self._arrivals.pop(member, None)
            if arrival is not None:
                arrival.succeed(member)
        self.comms.joined(member)

    def arrival(self, member: str) -> Event:
        """An event that triggers once ``member`` (who answered a page) has engaged."""
        if self.present.get(member) is not None:
            ev = self.env.event()
            return ev.succeed(member)
        return self._arrivals.setdefault(member, self.env.event())

    def _engage(self, member: str, page: int) -> None:
        if self.finished:
            return
        self.responder_id = member
        self.emit("responder_engaged", member, member, self.plan.data(
            ("responder_engaged", member, "responder", page), lambda: {"by": member, "role": "responder", "page": page}))
        if member not in self.engaged:
            self.engaged.append(member)
        self.joined(member, "responder")
        self.comms.engaged(member)
        self.response.start(member)

    def diagnose(self, who: str, how: str, runbook: str | None = None, restores: bool = False) -> None:
        """Record the diagnosis and start what follows from knowing the cause."""
        if self.diagnosed:
            return
        self.diagnosed = True
        self.phase = "identified"
        self.emit("diagnosed", who, self.plan.scenario.id,
                  self.plan.data(("diagnosed", how, runbook), lambda: _how(how, runbook, None)))
        self.comms.diagnosed(who, restores)

    def mitigate(self, who: str, how: str, runbook: str | None = None, step: int | None = None) -> None:
        """Record mitigation (once)."""
        if self.mitigated:
            return
        self.mitigated = True
        self.phase = "monitoring"
        self.comms.phase_changed()
        self.emit("mitigated", who, self.plan.scenario.id,
                  self.plan.data(("mitigated", how, runbook, step), lambda: _how(how, runbook, step)))
        self.impacts.acted("mitigation", who, self.plan.mitigation_causes)
        self.response.mitigated(who)  # recovery runs from here, alongside what work remains

    def progress(self) -> None:
        """Advance recovered -> resolved -> ended as far as the finished work allows."""
        if self.finished:
            return
        self.response.restored()
        sid = self.plan.scenario.id
        if not self.recovered and self.recovery_done and not self.restore_pending and not self.impacts.holding:
            self.recovered = True
            self.emit("recovered", "system", sid, self.plan.data((), dict))
            self.monitoring.recovered()
        if (self.recovered and not self.resolved and not self.contain_pending
                and (self.stages is None or not self.stages.holds_resolution())
                and (not self.work_pending or self.resolve_declared)
                and (self.resolve_declared or not self.resolve_by_hand)):
            self.resolved = True
            self.phase = "resolved"
            by = self.resolved_by or self.responder_id
            self.emit("resolved", by or "system", sid, self.plan.data((), dict))
            self.comms.resolved(self.resolved_text, self.resolved_by)
        if self.resolved and self.notify_pending == 0 and (self.stages is None or not self.stages.holds_end()):
            self.finish("resolved")

    def finish(self, reason: str) -> None:
        """End the run now: record what never happened, then ``drill_ended``."""
        if self.finished:
            return
        sid = self.plan.scenario.id
        if not self.detected:
            self.note("undetected", sid, "nothing detected the incident before the drill ended")
        elif self.acked_by is None and self.policy is not None:
            self.note("nobody-acknowledged", self.policy, f"nobody acknowledged the pages of policy {self.policy}",
                      policy=self.policy)
        if self.stages is not None:
            self.stages.finish()
        self.emit("drill_ended", "system", sid, self.plan.data(("drill_ended", reason), lambda: {"reason": reason}))
        self.finished = True
        for d in self.decisions:
            d.withdraw()
        self.done.succeed(reason)

    def release(self) -> None:
        """Let go of a finished run whose output was taken: the processes still waiting
        in the environment's queue hold the run in their frames, and the run holds them,
        so without this the collector has to find and free each run's objects (about 5%
        of `simulate`'s CPU time, measured). The run is unusable afterwards;
        lists it handed out (``events``) stay as they are."""
        vars(self.env).clear()  # its queue, and so the waiting processes
        vars(self).clear()

    # -- output ---------------------------------------------------------------------
    def timeline(self, run: int | None, seed: int | None) -> Timeline:
        """The record as a Timeline (events in the order they happened)."""
        sc = self.plan.scenario
        return new_timeline(sc.id, self.mode, seed, run, self.clock.start, self.plan.team.team, new_events(self.events))

    def json_line(self, run: int | None, seed: int | None) -> str:
        """The record as the JSON line of its Timeline, without building the models."""
        sc = self.plan.scenario
        # rounded: :meth:`emit` records every t as round3(now + 0.0)
        return encode_line(sc.id, self.mode, seed, run, self.clock.start, self.plan.team.team, self.events,
                           self.plan.fixed, rounded=True)


def _detected(via: str, fallback: bool, alert: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"via": via, "fallback": fallback}
    if alert is not None:
        data["alert"] = alert
    return data


def _how(how: str, runbook: str | None, step: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {"how": how}
    if runbook is not None:
        data["runbook"] = runbook
    if step is not None:
        data["step"] = step
    return data
