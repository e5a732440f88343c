"""Incidents in stages: each stage of a scenario with ``stages`` has its own start,
detection and containment (a scenario without ``stages`` never reaches this module).

* An inject belongs to the stage it names (else the first). A stage *starts* when its
  first fault is delivered (a stage without a fault: its first inject), recorded as
  ``stage_started``.
* Detection: an alert set off by a stage's own signals detects that stage (a metric
  rule: the stage of the latest signal on its metric; an ``on:`` rule: the stage of the
  signal it caught), recorded as ``stage_detected``. The scenario's
  ``detection_fallback`` (and a tabletop room declaring the incident) detects the
  undetected stage that started first. The incident's
  ``detected`` milestone stays the first detection, whichever stage it was. An alert
  already firing for one stage (an ``on:`` rule stays firing until recovery) does not
  fire again for another.
* Containment (a breach): a stage is contained only after it is detected and a
  responder is engaged, taking the stage's ``contain`` (else ``breach.contain``).
  Containing a stage cancels the injects still to come of that stage and of every stage
  without ``survives_containment`` (the intruder's foothold is gone); a surviving stage
  plays on. Each containment is a ``contained`` event with its ``stage``.
* A stage is *pending* while it is undetected and its injects are still to play: until
  its last inject's offset plus the slowest alert rule's ``every`` and ``for`` (and one
  second), the time monitoring needs to see that inject (for a cancelled stage: from its
  last delivered inject). The incident does not resolve while a detected stage is not
  contained (a breach); the drill does not end while any stage is pending (the horizon
  still ends it). An undetected stage does not hold the resolution: the team cannot act
  on what it has not seen (and would post status updates about it for weeks); it
  resolves what it knows of, and the stage re-opens the incident when it is found.
* A stage detected after the incident was resolved re-opens it (``reopened: true``):
  the incident is unresolved again, everyone who was on it has gone back to their work
  (nobody counts as present), and the stage's detection pages through its alert's
  policy as the first detection did (:meth:`Paging.escalate`); the responder who
  answers engages, posts updates again, and contains the stage; the incident resolves
  again once it is contained.
* A notification with a ``stage`` is not started before that stage is detected (nor
  before the cause is known, as every notification); its ``notified`` event carries the
  stage, and its deadline counts from that stage's detection (``scoring.stages``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scenarios import Scenario

from .sampling import Sampler, Samplers

if TYPE_CHECKING:
    from .run import Run


@dataclass(frozen=True)
class StagePlan:
    """The stages of a scenario, compiled once for every run of a batch."""

    ids: tuple[str, ...]
    titles: dict[str, str]
    survives: dict[str, bool]
    contain: dict[str, Sampler]
    of_inject: dict[int, str]  # inject index -> its stage
    starters: dict[str, frozenset[int]]  # stage -> the injects whose delivery starts it
    settle: dict[str, float]  # stage -> until when its injects (and monitoring's look at them) may still come
    grace: float  # the slowest rule's every + for, and a second
    notify_stage: dict[str, str]  # party -> the stage its notification concerns


def compile_stages(sc: Scenario, sample: Samplers, default_contain: Sampler) -> StagePlan | None:
    """The stage plan of ``sc``, or None for a scenario without ``stages``."""
    if not sc.stages:
        return None
    first = sc.stages[0].id
    ids = tuple(s.id for s in sc.stages)
    of_inject = {i: inj.stage or first for i, inj in enumerate(sc.injects)}
    grace = max((r.every + r.for_ for r in sc.monitoring), default=0.0) + 1.0
    starters, settle = {}, {}
    for sid in ids:
        mine = [i for i, s in of_inject.items() if s == sid]
        faults = [i for i in mine if sc.injects[i].fault is not None]
        starters[sid] = frozenset(faults or mine)
        offsets = [max(0.0, inj.at) if inj.at is not None else next(v for _, v in inj.when if v is not None)
                   for inj in (sc.injects[i] for i in mine)]
        settle[sid] = max(offsets, default=0.0) + grace
    notify = {n.who: n.stage for n in (sc.breach.notify if sc.breach else []) if n.stage is not None}
    return StagePlan(ids, {s.id: s.title for s in sc.stages}, {s.id: s.survives_containment for s in sc.stages},
                     {s.id: sample(s.contain) if s.contain is not None else default_contain for s in sc.stages},
                     of_inject, starters, settle, grace, notify)


class Stages:
    """Where each stage of one run stands."""

    def __init__(self, run: "Run", plan: StagePlan):
        self.run, self.plan = run, plan
        self.started: dict[str, float] = {}
        self.detected: dict[str, float] = {}
        self.containing: set[str] = set()
        self.contained: set[str] = set()
        self.cancelled: set[str] = set()
        self.last: dict[str, float] = {}  # stage -> when its latest inject was delivered
        self.current: str | None = None  # the stage of the inject being delivered
        self.metric_stage: dict[str, str] = {}  # metric -> the stage of its latest signal
        self.rule_stage: dict[int, str] = {}  # on: rule -> the stage of the signal it caught
        for t in sorted(set(plan.settle.values())):  # a stage that stops being pending may let the run go on
            run.late(t, lambda _e: run.progress())

    # -- injects ------------------------------------------------------------------------
    def begin(self, i: int) -> bool:
        """Inject ``i`` is due: False if its stage was cancelled; else note its stage
        (and start the stage) and return True."""
        run = self.run
        sid = self.plan.of_inject[i]
        if sid in self.cancelled:
            return False
        self.current = sid
        self.last[sid] = run.env.now
        if i in self.plan.starters[sid] and sid not in self.started:
            self.started[sid] = run.env.now
            run.emit("stage_started", "scenario", sid, {"stage": sid, "title": self.plan.titles[sid]})
        return True

    def end(self) -> None:
        """The inject being delivered is done."""
        self.current = None

    def signalled(self, metric: str | None) -> None:
        """A signal of the current stage sets ``metric``'s value."""
        if metric is not None and self.current is not None:
            self.metric_stage[metric] = self.current

    def caught(self, ri: int) -> None:
        """``on:`` rule ``ri`` caught a signal of the current stage."""
        if self.current is not None:
            self.rule_stage[ri] = self.current

    def stage_of_rule(self, ri: int) -> str | None:
        """The stage whose signal set rule ``ri`` off (None: not known)."""
        rule = self.run.plan.rules[ri]
        return self.metric_stage.get(rule.signal) if rule.signal is not None else self.rule_stage.get(ri)  # type: ignore[arg-type]

    # -- detection ------------------------------------------------------------------------
    def detect(self, stage: str | None, via: str, actor: str, subject: str, *, policy: str | None,
               alert: str | None, fallback: bool, first: bool) -> None:
        """A detection (``first``: the incident's own) of ``stage`` (None: the stage that
        started first and is undetected)."""
        run = self.run
        if stage is None:
            stage = next((s for s in sorted(self.started, key=self.started.__getitem__) if s not in self.detected), None)
        if stage is None or stage in self.detected:
            return
        self.detected[stage] = run.env.now
        reopen = run.resolved and not first
        data: dict[str, Any] = {"stage": stage, "via": via, "fallback": fallback}
        if alert is not None:
            data["alert"] = alert
        if reopen:
            data["reopened"] = True
        run.emit("stage_detected", actor, subject, data)
        if reopen:
            self._reopen(policy, alert, subject)
        elif run.plan.is_breach and run.responder_id is not None:
            self._contain(stage, run.responder_id)
        if run.diagnosed:
            self.notify(stage, run.responder_id or actor)

    def _reopen(self, policy: str | None, alert: str | None, subject: str) -> None:
        # Weeks after resolution the people who worked it are back at their own work:
        # the new stage is paged like a new incident and answered anew.
        run = self.run
        run.resolved = False
        run.resolve_declared = False  # a tabletop room declares the re-opened incident resolved again
        run.phase = "investigating"
        run.acked_by = run.ack_level = None
        run.present.clear()
        run.paging.answered.clear()
        run.comms.poster = None  # updates start again with the responder who answers
        if policy is None:
            run.note("no-policy", subject, f"no escalation policy takes {subject}; nobody is paged for the re-opened incident")
        else:
            run.paging.escalate(policy, alert)

    def engaged(self, who: str) -> None:
        """A responder engaged: contain every detected stage not contained or under way."""
        if self.run.plan.is_breach:
            for sid in self.plan.ids:
                if sid in self.detected:
                    self._contain(sid, who)

    # -- containment ------------------------------------------------------------------------
    def _contain(self, sid: str, who: str) -> None:
        if sid in self.containing or sid in self.contained:
            return
        self.containing.add(sid)
        self.run.contain_pending = True
        self.run.env.process(self._containment(sid, who))

    def _containment(self, sid: str, who: str):
        run = self.run
        yield run.wait(run.responder.work("contain", who, sid, self.plan.contain[sid]))
        self.containing.discard(sid)
        self.contained.add(sid)
        run.emit("contained", who, run.plan.scenario.id, {"stage": sid})
        if len(self.contained) == 1:
            run.comms.after_containment(who)
        for other in self.plan.ids:
            if other == sid or not self.plan.survives[other]:
                self._cancel(other)
        run.contain_pending = bool(self.containing)
        run.progress()

    def _cancel(self, sid: str) -> None:
        if sid in self.cancelled:
            return
        self.cancelled.add(sid)
        run = self.run
        until = self.last.get(sid, run.env.now) + self.plan.grace
        if until > run.env.now:
            run.late(until - run.env.now, lambda _e: run.progress())

    # -- notifications ------------------------------------------------------------------------
    def may_notify(self, party: str) -> bool:
        """Whether the notification of ``party`` may start: its stage (if any) is detected."""
        sid = self.plan.notify_stage.get(party)
        return sid is None or sid in self.detected

    def stage_of_party(self, party: str) -> str | None:
        """The stage ``party``'s notification concerns (None: the incident as a whole)."""
        return self.plan.notify_stage.get(party)

    def notify(self, sid: str, who: str) -> None:
        """Stage ``sid`` is detected and the cause is known: start its notifications."""
        run = self.run
        for party, within, sample in run.plan.notifications:
            if self.plan.notify_stage.get(party) == sid and party not in run.notified and party not in run.comms.telling:
                run.comms.start_notify(who, party, within, sample)

    # -- holding the incident open --------------------------------------------------------------
    def pending(self, sid: str) -> bool:
        """Undetected, with injects still to play (or monitoring still to see them)."""
        if sid in self.detected:
            return False
        until = self.last.get(sid, 0.0) + self.plan.grace if sid in self.cancelled else self.plan.settle[sid]
        return self.run.env.now < until

    def holds_resolution(self) -> bool:
        """(A breach) a detected stage is not contained. A stage nobody has seen holds
        nothing: the team resolves what it knows of, and the stage re-opens it when found."""
        return self.run.plan.is_breach and any(s not in self.contained for s in self.detected)

    def holds_end(self) -> bool:
        """Some stage is pending: the drill goes on (to the horizon at most)."""
        return any(self.pending(s) for s in self.plan.ids)

    def finish(self) -> None:
        """The run ends: a stage that started and was never detected is a gap."""
        for sid in self.plan.ids:
            if sid in self.started and sid not in self.detected:
                self.run.note("stage-undetected", sid, f"stage {sid} ({self.plan.titles[sid]}) started and nothing "
                              "detected it before the drill ended")
