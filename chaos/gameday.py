"""The live game-day runner: plays a scenario's ``live`` section against real
containers and produces the same :class:`~scenarios.timeline.Timeline` as the
simulator (mode ``live``).

The types and signatures below are the contract callers (drillbit's receiver, console
and ``gameday`` command) code against.

Order of a game day (:meth:`GameDay.run`): resolve targets and check every fault
(:meth:`GameDay.plan`, touching nothing) -> steady state (every probe passes, and keeps
passing ``live.steady_for``; else :class:`SteadyStateError`, nothing touched) ->
watchdog started -> ``drill_started`` -> faults applied at their ``at`` and restored
after their ``duration`` (Docker calls on worker threads, never on the clock's loop)
-> probes run throughout (impact at the first failing probe that is not a guard,
recovery when every such probe stayed healthy ``live.healthy_for``) -> alerts and
marks arrive from other threads (:meth:`GameDay.alert`, :meth:`GameDay.alerts_cut`, :meth:`GameDay.mark`) ->
the end (``live.end``: resolved, or recovered; the wall-clock ``live.limit``; a guard
failing; :meth:`GameDay.stop`; Ctrl-C / SIGTERM) -> every fault restored and verified
-> ``drill_ended`` -> the timeline.

What is measured rather than scripted: ``fault_applied`` and ``fault_restored`` are at
the moment the Docker call was made; ``impact_started`` at the start of the first
failing check (one per fault in effect then; ``degraded`` when the check failed on its
latency bound, else ``outage``); ``recovered`` when the healthy stretch began. A
stable-output command probe on the target of a ``delete-path`` or ``corrupt-file``
fault measures the team's own restore: when its checksum fails and then matches the
pre-fault output again while the fault is still held, ``restored_data`` is recorded
(``rto`` from the impact; ``rpo`` 0, since the bytes are those from before the loss).
Alerts, pages and marks follow :mod:`chaos.gameday_people`.
"""

from __future__ import annotations

import bisect
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

from scenarios.common import zone
from scenarios.events import (DrillEnded, DrillStarted, FaultApplied, FaultRestored, ImpactStarted, Recovered,
                              RestoredData)
from scenarios.live import LiveFault
from scenarios.scenario import Scenario
from scenarios.team import Team
from scenarios.timeline import Event, Timeline, new_timeline

from .faults import FaultError
from .gameday_errors import GameDayError, SteadyStateError
from .gameday_faults import FaultRunner, RunningFault
from .gameday_people import People
from .gameday_plan import Prepared, plan_lines, prepare, probe_names
from .gameday_record import Record, notify
from .ledger import Ledger
from .probes import ProbeLoop, ProbeResult, Transition
from .session import Terminated, held_faults, sigterm_raises
from .targets import Described
from .watchdog import start_watchdog

__all__ = ["MARK_KINDS", "Alert", "FaultState", "GameDay", "GameDayError", "GameDayPlan", "GameDayState", "Mark",
           "MarkKind", "PlannedFault", "SteadyStateError"]

#: The longest the clock's loop sleeps between looking at the faults and the end rule.
TICK = 0.1
#: Fault kinds customers see as an outage (the rest degrade the service).
OUTAGE_KINDS = frozenset({"kill", "stop", "pause", "restart", "kill-process", "disconnect", "partition",
                          "dns-failure", "delete-path", "corrupt-file"})
#: How a fault's state reads on the console, by the runner's phase.
_SHOWN = {"planned": "planned", "applying": "planned", "applied": "applied", "restoring": "applied",
          "restored": "restored", "restore-failed": "restore-failed", "failed": "restored"}

#: What a person can record during a game day (``drillbit mark KIND`` or a console key).
MarkKind = Literal["detected", "ack", "engaged", "diagnosed", "mitigated", "update", "resolved", "note"]
MARK_KINDS: tuple[str, ...] = ("detected", "ack", "engaged", "diagnosed", "mitigated", "update", "resolved", "note")


@dataclass(frozen=True)
class Mark:
    """What a person records. ``by`` a member id of the team (default: who the team's
    rotation says is on call for the scenario's severity); ``text`` a note's text;
    ``phase`` an update's phase (investigating, identified, monitoring, resolved);
    ``runbook`` the runbook a diagnosis or mitigation came from (else improvised);
    ``at`` when (``time.monotonic()`` seconds; default: when it arrives)."""

    kind: MarkKind
    by: str | None = None
    text: str | None = None
    phase: str | None = None
    runbook: str | None = None
    at: float | None = None


@dataclass(frozen=True)
class Alert:
    """One alert from monitoring (an Alertmanager webhook's alert, already parsed):
    ``name`` its alertname, ``firing`` False when resolved; ``severity`` and ``service``
    from its labels; ``at`` when it arrived (``time.monotonic()``; default now)."""

    name: str
    firing: bool
    severity: str | None = None
    service: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    at: float | None = None


@dataclass(frozen=True)
class PlannedFault:
    """One fault of the scenario and the containers it will touch."""

    index: int
    fault: LiveFault
    containers: tuple[Described, ...]


@dataclass(frozen=True)
class GameDayPlan:
    """What a game day will do, resolved against the engines and touching nothing:
    the faults with their containers, the probes by name (guards apart), every
    distinct container touched, and those touched without the opt-in label."""

    faults: tuple[PlannedFault, ...]
    probes: tuple[str, ...]
    guards: tuple[str, ...]
    containers: tuple[Described, ...]
    unlabelled: tuple[Described, ...]

    def lines(self) -> list[str]:
        """The plan as plain lines, for ``--dry-run`` and the console."""
        return plan_lines(self)


@dataclass(frozen=True)
class FaultState:
    """A fault as the console shows it: ``state`` is planned, applied, restored or
    restore-failed; ``at``/``until`` seconds since the start."""

    index: int
    label: str
    containers: tuple[str, ...]
    state: Literal["planned", "applied", "restored", "restore-failed"]
    at: float | None = None
    until: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class GameDayState:
    """A snapshot for the console and ``GET /state``: the drill clock (seconds since the
    start; None before it), each probe's latest result, every fault's state, the
    events so far, and the end's reason once ended."""

    clock: float | None
    probes: dict[str, ProbeResult]
    faults: tuple[FaultState, ...]
    events: tuple[Event, ...]
    ended: str | None = None


class GameDay:
    """One game day of ``scenario`` (which has a ``live`` section) for ``team``.

    ``seed`` draws random targets (the same seed, the same containers); ``ledger`` is
    the safety ledger; ``allow_unlabelled`` overrides the scenario's; ``started_at``
    (tz-aware) is the wall clock the timeline starts at (default: now, when the first
    fault's clock starts). Every method but :meth:`run` is thread-safe."""

    def __init__(self, scenario: Scenario, team: Team, *, seed: int, ledger: Ledger,
                 allow_unlabelled: bool | None = None, started_at: datetime | None = None) -> None:
        if scenario.live is None:
            raise GameDayError(f"scenario {scenario.id} has no 'live' section to play against containers")
        if started_at is not None and started_at.utcoffset() is None:
            raise GameDayError(f"expected a start time with a time zone, got {started_at.isoformat()}")
        self.scenario, self.team, self.seed, self.ledger = scenario, team, seed, ledger
        self.allow_unlabelled, self._started_at = allow_unlabelled, started_at
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._record = Record(self._lock)
        self._people = People(scenario, team, self._record)
        self._prepared: Prepared | None = None
        self._plan: GameDayPlan | None = None
        self._runner: FaultRunner | None = None
        self._ran = False
        self._closed = False
        self._ended: str | None = None
        self._end_t: float | None = None
        self._stop_reason: str | None = None
        self._guard_failed: ProbeResult | None = None
        self._impact_t: float | None = None
        self._recovered = False
        self._impact_loop: ProbeLoop | None = None
        self._guard_loop: ProbeLoop | None = None
        self._results: list[ProbeResult] = []
        self._result_at: list[float] = []
        self._latest: dict[str, ProbeResult] = {}
        self._data: dict[str, dict] = {}
        self._on_probe: list[Callable[[ProbeResult], None]] = []
        self._on_fault: list[Callable[[FaultState], None]] = []

    # -- the plan ----------------------------------------------------------------------
    def plan(self) -> GameDayPlan:
        """Resolve every target and check every fault (refusing one that cannot be
        applied here, with what is missing and how to check). Touches nothing; the
        same plan is what :meth:`run` executes. Raises TargetError, FaultError,
        GameDayError."""
        with self._lock:
            if self._plan is not None:
                return self._plan
        prepared = prepare(self.scenario.live, seed=self.seed, allow_unlabelled=self.allow_unlabelled)
        faults = tuple(PlannedFault(f.index, f.model, f.described) for f in prepared.faults)
        plan = GameDayPlan(faults, probe_names(prepared.probes, False), probe_names(prepared.probes, True),
                           prepared.containers, prepared.unlabelled)
        with self._lock:
            if self._plan is None:
                self._prepared, self._plan = prepared, plan
            return self._plan

    # -- subscribers and snapshots -------------------------------------------------------
    def subscribe(self, on_event: Callable[[Event], None] | None = None,
                  on_probe: Callable[[ProbeResult], None] | None = None,
                  on_fault: Callable[[FaultState], None] | None = None) -> None:
        """Call ``on_event`` with each timeline event as it is recorded, ``on_probe``
        with each probe result, ``on_fault`` when a fault changes state (from worker
        threads: keep them short)."""
        with self._lock:
            if on_event:
                self._record.subscribers.append(on_event)
            if on_probe:
                self._on_probe.append(on_probe)
            if on_fault:
                self._on_fault.append(on_fault)

    def _clock(self) -> float | None:
        if self._record.t0 is None:
            return None
        if self._end_t is not None:
            return self._end_t
        return round(time.monotonic() - self._record.t0, 3)

    def _fault_state(self, rf: RunningFault) -> FaultState:
        m = rf.model
        at = rf.applied_t if rf.applied_t is not None else m.at
        until = rf.restore_t if rf.restore_t is not None else (at + m.duration if m.duration is not None else None)
        return FaultState(rf.prepared.index, m.label, tuple(p.container.name for p in rf.prepared.placements),
                          _SHOWN[rf.phase], round(at, 3), None if until is None else round(until, 3), rf.error)

    def state(self) -> GameDayState:
        """A snapshot of the game day now."""
        with self._lock:
            if self._runner is not None:
                faults = tuple(self._fault_state(rf) for rf in self._runner.faults)
            elif self._plan is not None:
                faults = tuple(FaultState(p.index, p.fault.label, tuple(d.name for d in p.containers), "planned",
                                          p.fault.at, None if p.fault.duration is None else
                                          p.fault.at + p.fault.duration)
                               for p in self._plan.faults)
            else:
                faults = ()
            return GameDayState(self._clock(), dict(self._latest), faults, tuple(self._record.events), self._ended)

    def probe_results(self) -> Sequence[ProbeResult]:
        """Every probe result so far, in order (``probes.jsonl`` beside the timeline)."""
        with self._lock:
            return tuple(self._results)

    def timeline(self) -> Timeline:
        """The timeline so far (complete once :meth:`run` returned)."""
        with self._lock:
            started = self._record.started_at or self._started_at or datetime.now(timezone.utc)
            return new_timeline(self.scenario.id, "live", self.seed, None, started, self.team.team,
                                tuple(self._record.events))

    # -- from other threads --------------------------------------------------------------
    def _t_of(self, at: float | None) -> float:
        now = time.monotonic()
        return self._record.t(now if at is None else min(at, now))

    def alert(self, alert: Alert) -> list[Event]:
        """Record an alert from monitoring; returns the events it produced
        (``alert_fired`` / ``alert_resolved``; the first firing one also ``detected``
        and the ``page_sent`` the team's policy and rotation say went out). Before the
        start or after the end it is ignored (returns [])."""
        with self._lock:
            if self._record.t0 is None or self._closed:
                return []
            return self._people.alert(alert, self._t_of(alert.at))

    def alerts_cut(self, count: int, group: str) -> list[Event]:
        """Record that monitoring left ``count`` alerts of ``group`` out of a notification
        (Alertmanager's ``truncatedAlerts``, under its webhook's ``max_alerts``): a
        ``note`` event, once per group, since those alerts never reach the timeline.
        Before the start or after the end it is ignored (returns [])."""
        with self._lock:
            if self._record.t0 is None or self._closed or count <= 0:
                return []
            return self._people.alerts_cut(count, group, self._t_of(None))

    def mark(self, mark: Mark) -> list[Event]:
        """Record a person's mark; returns the events it produced. Raises GameDayError
        for one that makes no sense (unknown member, ``update`` without a phase, before
        the start or after the end)."""
        with self._lock:
            if self._record.t0 is None:
                raise GameDayError(f"mark {mark.kind}: the game day has not started")
            if self._closed:
                raise GameDayError(f"mark {mark.kind}: the game day has ended ({self._ended})")
            if mark.at is not None and mark.at < self._record.t0:
                raise GameDayError(f"mark {mark.kind}: it is dated before the game day started")
            events = self._people.mark(mark, self._t_of(mark.at))
        self._wake.set()
        return events

    def stop(self, reason: Literal["resolved", "interrupted"] = "interrupted") -> None:
        """Ask :meth:`run` to end now (restoring everything)."""
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
        self._wake.set()

    # -- probes ------------------------------------------------------------------------
    def _on_result(self, r: ProbeResult, guard: bool) -> None:
        with self._lock:
            if self._closed:
                return
            i = bisect.bisect_right(self._result_at, r.at)
            self._result_at.insert(i, r.at)
            self._results.insert(i, r)
            self._latest[r.probe] = r
            notify(self._on_probe, r)
            if guard and not r.ok and self._guard_failed is None:
                self._guard_failed = r
                self._wake.set()
            if r.probe in self._data:
                self._data_result(r)

    def _data_result(self, r: ProbeResult) -> None:
        """A data probe's result: once its checksum fails while a data fault is held and
        then matches again before the drill restores it, the team restored the data."""
        watch = self._data[r.probe]
        held = [rf for rf in watch["faults"] if rf.in_effect(r.at, r.at + r.latency)]
        if not held or watch["done"]:
            return
        if not r.ok:
            watch["failed"] = True
            return
        if not watch["failed"]:
            return
        watch["done"] = True
        t = self._record.t(r.at)
        loss = min(rf.applied_t for rf in held)
        impact = self._impact_t if self._impact_t is not None else loss
        backup = self.scenario.backups[0].kind if self.scenario.backups else "restore"
        # The bytes match the pre-fault checksum: nothing written before the loss is missing.
        self._record.emit(t, "restored_data", self._people.responder(), backup,
                          RestoredData(backup=backup, backup_t=loss, rpo=0.0, rto=round(max(0.0, t - impact), 3)))

    def _on_transition(self, tr: Transition) -> None:
        with self._lock:
            if self._closed or self._runner is None:
                return
            t = self._record.t(tr.at)
            if tr.kind == "impact_started" and self._impact_t is None:
                self._impact_t = t
                faults = self._runner.faults
                # The faults in effect then; else any applied so far; else the first planned.
                hit = ([rf for rf in faults if rf.in_effect(tr.at)]
                       or [rf for rf in faults if rf.applied_mono is not None] or faults[:1])
                impact = "degraded" if tr.detail.startswith("slow") else "outage"
                for rf in hit:
                    m = rf.model
                    self._record.emit(t, "impact_started", m.kind, m.target,
                                      ImpactStarted(fault=m.kind, service=m.target, impact=impact))
            elif tr.kind == "recovered" and not self._recovered and self._impact_t is not None:
                self._recovered = True
                self._record.emit(t, "recovered", "system", self.scenario.id, Recovered())
        self._wake.set()

    # -- the run -----------------------------------------------------------------------
    def _steady_state(self, prepared: Prepared) -> None:
        live = self.scenario.live
        for p in prepared.probes:
            r = p.probe.check()
            if not r.ok:
                raise SteadyStateError(f"steady state: probe '{p.model.name}' fails before any fault: {r.detail}; "
                                       "nothing was touched")
        if live.steady_for <= 0 or not prepared.probes:
            return
        failed: list[ProbeResult] = []
        seen = threading.Event()

        def watch(r: ProbeResult) -> None:
            if not r.ok and not failed:
                failed.append(r)
                seen.set()

        loop = ProbeLoop([p.probe for p in prepared.probes], healthy_for=live.healthy_for)
        loop.subscribe(watch)
        loop.start()
        try:
            seen.wait(live.steady_for)
        finally:
            loop.stop()
        if failed:
            r = failed[0]
            raise SteadyStateError(f"steady state: probe '{r.probe}' passed, then failed within steady_for "
                                   f"({live.steady_for:g}s) before any fault: {r.detail}; nothing was touched")

    def run(self) -> Timeline:
        """Play the game day (see the module) on the calling thread (the main thread,
        for SIGTERM) and return its timeline. Every fault is restored however it ends;
        a KeyboardInterrupt or Terminated goes on after the restore, and
        :meth:`timeline` then gives what was recorded (ending ``interrupted``).
        Raises SteadyStateError before touching anything on an unhealthy system;
        FaultError if a restore failed (the ledger keeps it for ``chaos recover``)."""
        with self._lock:
            if self._ran:
                raise GameDayError("this game day ran already; make a new GameDay to play it again")
            self._ran = True
        self.plan()
        prepared = self._prepared
        assert prepared is not None
        self._steady_state(prepared)
        watchdog = start_watchdog(self.ledger.path)
        runner: FaultRunner | None = None
        try:
            # SIGTERM can only be caught on the main thread; elsewhere the caller owns signals.
            on_main = threading.current_thread() is threading.main_thread()
            with sigterm_raises() if on_main else nullcontext(), held_faults(self.ledger) as held:
                runner = FaultRunner(prepared.faults, self.ledger, held, self._lock, self._wake)
                try:
                    self._begin(prepared, runner)
                    reason = self._play(runner)
                except BaseException as exc:
                    # Interrupted (Ctrl-C, SIGTERM) or broken: restore, record, and go on unwinding.
                    why = "interrupted" if isinstance(exc, (KeyboardInterrupt, Terminated)) else "aborted"
                    for rf in self._wind_down(runner, why, interrupted=True):
                        exc.add_note(f"restoring {rf.model.label} failed: {rf.error}; the ledger keeps it "
                                     "for `drillbit chaos recover`")
                    raise
                self._wind_down(runner, reason)
        finally:
            if runner is not None:
                runner.shutdown()
            self._stop_watchdog(watchdog, runner)
        return self.timeline()

    def _begin(self, prepared: Prepared, runner: FaultRunner) -> None:
        live = self.scenario.live
        with self._lock:
            self._runner = runner
            for p in prepared.probes:
                if p.data_faults:
                    self._data[p.model.name] = {"faults": [runner.faults[i] for i in p.data_faults],
                                                "failed": False, "done": False}
            started = self._started_at or datetime.now(timezone.utc)
            self._record.start(time.monotonic(), started)
            sc, team = self.scenario, self.team
            self._record.emit(0.0, "drill_started", "system", sc.id, DrillStarted(
                severity=sc.severity, scenario_kind=sc.kind, team=team.team, timezone=team.timezone,
                local=started.astimezone(zone(team.timezone)).isoformat()))
        impact = [p.probe for p in prepared.probes if not p.model.guard]
        guards = [p.probe for p in prepared.probes if p.model.guard]
        self._impact_loop = ProbeLoop(impact, healthy_for=live.healthy_for)
        self._impact_loop.subscribe(lambda r: self._on_result(r, False), self._on_transition)
        self._guard_loop = ProbeLoop(guards, healthy_for=live.healthy_for)
        self._guard_loop.subscribe(lambda r: self._on_result(r, True))
        self._impact_loop.start()
        self._guard_loop.start()
        for rf in runner.faults:
            notify(self._on_fault, self._fault_state(rf))

    def _now(self) -> tuple[float, float]:
        mono = time.monotonic()
        return mono - self._record.t0, mono

    def _settle(self, runner: FaultRunner) -> None:
        """Record the faults whose Docker calls finished."""
        with self._lock:
            for rf in runner.settle():
                m = rf.model
                if rf.phase in ("applied", "failed") and rf.entries:
                    self._record.emit(rf.applied_t, "fault_applied", m.kind, m.target,
                                      FaultApplied(fault=m.kind, service=m.target,
                                                   impact="outage" if m.kind in OUTAGE_KINDS else "degraded"))
                elif rf.phase == "restored":
                    self._record.emit(rf.restore_t, "fault_restored", m.kind, m.target,
                                      FaultRestored(fault=m.kind, service=m.target))
                notify(self._on_fault, self._fault_state(rf))

    def _end_reason(self, runner: FaultRunner, t: float) -> str | None:
        live = self.scenario.live
        with self._lock:
            if self._stop_reason is not None:
                return self._stop_reason
            if self._guard_failed is not None or any(rf.phase == "failed" for rf in runner.faults):
                return "aborted"
            if t >= live.limit:
                return "horizon"
            if live.end == "resolved" and self._people.resolved:
                return "resolved"
            if live.end == "recovered" and self._recovered and self._impact_loop.recovered_at() is not None:
                timed = [rf for rf in runner.faults if rf.model.duration is not None]
                if all(rf.phase in ("restored", "restore-failed") for rf in timed):
                    return "recovered"
        return None

    def _play(self, runner: FaultRunner) -> str:
        """The clock's loop: apply and restore on time, until the end rule says so."""
        live = self.scenario.live
        while True:
            self._wake.clear()
            self._settle(runner)
            t, mono = self._now()
            reason = self._end_reason(runner, t)
            if reason is not None:
                return reason
            due = live.limit
            with self._lock:  # submitting only: the calls run on the pool
                for rf in runner.faults:
                    if rf.phase == "planned":
                        if t >= rf.model.at:
                            runner.apply(rf, round(t, 3), mono)
                        else:
                            due = min(due, rf.model.at)
                    elif rf.phase == "applied" and rf.model.duration is not None:
                        until = rf.applied_t + rf.model.duration
                        if t >= until:
                            runner.restore(rf, round(t, 3), mono)
                        else:
                            due = min(due, until)
            self._wake.wait(max(0.0, min(TICK, due - self._now()[0])))

    def _wind_down(self, runner: FaultRunner, reason: str, *, interrupted: bool = False) -> list[RunningFault]:
        """Restore what is applied, stop the probes, record the end; then raise what
        went wrong (an apply that failed, a restore that failed), or, ``interrupted``,
        return the faults whose restore failed."""
        if self._record.t0 is None:
            return []  # the clock never started: no fault was submitted
        runner.wait()
        self._settle(runner)
        for rf in runner.faults:
            if rf.phase in ("applied", "failed") and rf.entries:
                t, mono = self._now()
                runner.restore(rf, round(t, 3), mono)
        runner.wait()
        self._settle(runner)
        for loop in (self._impact_loop, self._guard_loop):
            if loop is not None:
                loop.stop()
        with self._lock:
            t = max(self._now()[0], self._record.last_t)
            self._people.closing_notes(t)
            self._ended = reason
            self._record.emit(t, "drill_ended", "system", self.scenario.id, DrillEnded(reason=reason))
            self._end_t = round(t, 3)
            self._closed = True
        broken = [rf for rf in runner.faults if rf.phase == "restore-failed"]
        if interrupted:
            return broken
        failed = next((rf.failure for rf in runner.faults if rf.failure is not None), None)
        if failed is not None:
            for rf in broken:
                failed.add_note(f"restoring {rf.model.label} failed too: {rf.error}")
            raise failed
        if broken:
            raise FaultError("; ".join(f"restoring {rf.model.label} failed: {rf.error}" for rf in broken)
                             + "; the ledger keeps it for `drillbit chaos recover`")
        return []

    def _stop_watchdog(self, pid: int, runner: FaultRunner | None) -> None:
        """The watchdog is there for a runner that dies holding faults; once nothing this
        drill applied is outstanding it has nothing left to do."""
        mine = set(runner.applied_ids) if runner is not None else set()
        try:
            if mine & {e.id for e in self.ledger.outstanding(os.getpid())}:
                return
        except Exception:  # noqa: BLE001 - an unreadable ledger: leave the watchdog to it
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    return
            except ChildProcessError:
                return
            time.sleep(0.02)
