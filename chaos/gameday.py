"""The live game-day runner: plays a scenario's ``live`` section against real
containers and produces the same :class:`~scenarios.timeline.Timeline` as the
simulator (mode ``live``).

CONTRACT (issue 12): the types and signatures below are fixed; the bodies marked
``NotImplementedError`` are being written. Callers (drillbit's receiver, console and
``gameday`` command) code against these names only.

Order of a game day (:meth:`GameDay.run`): resolve targets and check every fault
(:meth:`GameDay.plan`, touching nothing) -> steady state (every probe passes, and keeps
passing ``live.steady_for``; else :class:`SteadyStateError`, nothing touched) ->
watchdog started -> ``drill_started`` -> faults applied at their ``at`` and restored
after their ``duration`` (Docker calls on worker threads, never on the clock's loop)
-> probes run throughout (impact at the first failing probe that is not a guard,
recovery when every such probe stayed healthy ``live.healthy_for``) -> alerts and
marks arrive from other threads (:meth:`GameDay.alert`, :meth:`GameDay.mark`) ->
the end (``live.end``: resolved, or recovered; the wall-clock ``live.limit``; a guard
failing; :meth:`GameDay.stop`; Ctrl-C / SIGTERM) -> every fault restored and verified
-> ``drill_ended`` -> the timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from scenarios.live import LiveFault
from scenarios.scenario import Scenario
from scenarios.team import Team
from scenarios.timeline import Event, Timeline

from .errors import ChaosError
from .ledger import Ledger
from .probes import ProbeResult
from .targets import Described

#: What a person can record during a game day (``drillbit mark KIND`` or a console key).
MarkKind = Literal["detected", "ack", "engaged", "diagnosed", "mitigated", "update", "resolved", "note"]
MARK_KINDS: tuple[str, ...] = ("detected", "ack", "engaged", "diagnosed", "mitigated", "update", "resolved", "note")


class GameDayError(ChaosError):
    """A game day that cannot start or go on (a target that resolves to nothing, a
    fault refused here, a mark that makes no sense such as ``ack`` before it started)."""


class SteadyStateError(GameDayError):
    """The system was not healthy before the first fault: nothing was touched."""

    exit_code = 1


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
        raise NotImplementedError


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
        raise NotImplementedError

    def plan(self) -> GameDayPlan:
        """Resolve every target and check every fault (refusing one that cannot be
        applied here, with what is missing and how to check). Touches nothing; the
        same plan is what :meth:`run` executes. Raises TargetError, FaultError,
        GameDayError."""
        raise NotImplementedError

    def subscribe(self, on_event: Callable[[Event], None] | None = None,
                  on_probe: Callable[[ProbeResult], None] | None = None,
                  on_fault: Callable[[FaultState], None] | None = None) -> None:
        """Call ``on_event`` with each timeline event as it is recorded, ``on_probe``
        with each probe result, ``on_fault`` when a fault changes state (from worker
        threads: keep them short)."""
        raise NotImplementedError

    def alert(self, alert: Alert) -> list[Event]:
        """Record an alert from monitoring; returns the events it produced
        (``alert_fired`` / ``alert_resolved``; the first firing one also ``detected``
        and the ``page_sent`` the team's policy and rotation say went out). Before the
        start or after the end it is ignored (returns [])."""
        raise NotImplementedError

    def mark(self, mark: Mark) -> list[Event]:
        """Record a person's mark; returns the events it produced. Raises GameDayError
        for one that makes no sense (unknown member, ``update`` without a phase, before
        the start or after the end)."""
        raise NotImplementedError

    def stop(self, reason: Literal["resolved", "interrupted"] = "interrupted") -> None:
        """Ask :meth:`run` to end now (restoring everything)."""
        raise NotImplementedError

    def state(self) -> GameDayState:
        """A snapshot of the game day now."""
        raise NotImplementedError

    def probe_results(self) -> Sequence[ProbeResult]:
        """Every probe result so far, in order (``probes.jsonl`` beside the timeline)."""
        raise NotImplementedError

    def run(self) -> Timeline:
        """Play the game day (see the module) on the calling thread (the main thread,
        for SIGTERM) and return its timeline. Every fault is restored however it ends;
        a KeyboardInterrupt or Terminated goes on after the restore, and
        :meth:`timeline` then gives what was recorded (ending ``interrupted``).
        Raises SteadyStateError before touching anything on an unhealthy system;
        FaultError if a restore failed (the ledger keeps it for ``chaos recover``)."""
        raise NotImplementedError

    def timeline(self) -> Timeline:
        """The timeline so far (complete once :meth:`run` returned)."""
        raise NotImplementedError
