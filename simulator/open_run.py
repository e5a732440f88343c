"""An open run: one simulated drill that the caller advances, watches and takes part in.

* Clocks: the virtual clock (``speed=None``: as fast as the machine goes) or real time
  at a speed factor (``speed=60``: one simulated minute per wall-clock second), both
  advanced to the end (:meth:`OpenRun.advance` without a time) or step by step
  (``advance(to=t)`` returns once simulated time ``t`` is reached, with everything due
  at ``t`` done, or earlier if the run ended).
* Subscribers get each Event as it is recorded, in order; with none, recording costs
  what a closed run's does.
* Decisions: the responder (see :mod:`simulator.responder`) makes the people's
  decisions. With an :class:`~simulator.responder.AskingResponder` some stay pending:
  :meth:`OpenRun.pending` lists them and :meth:`OpenRun.decide` makes one at the
  current simulated instant; the run acts on it at the next advance.

With the simulated responder and the same generator, an open run records exactly what
:func:`simulator.simulate` does, however it is advanced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Sequence

import numpy as np
from simpy.core import StopSimulation
from simpy.rt import RealtimeEnvironment

from scenarios import Runbook, Scenario, Team
from scenarios.timeline import Event, Mode, Timeline, new_event

from .assumptions import Assumptions
from .clock import AFTER_ALL, Call, environment
from .engine import DEFAULT_HORIZON, begin, check_start
from .errors import SimulationError
from .plan import Plan
from .responder import Decision, DecisionError, Responder
from .run import Run

Subscriber = Callable[[Event], None]


def open_run(scenario: Scenario, team: Team, runbooks: Sequence[Runbook], start: datetime, rng: np.random.Generator,
             *, horizon: float = DEFAULT_HORIZON, speed: float | None = None, responder: Responder | None = None,
             mode: Mode = "simulated", assumptions: Assumptions | None = None) -> "OpenRun":
    """An :class:`OpenRun` of the inputs (see :func:`simulator.simulate` for ``start``,
    ``rng`` and ``horizon``). Raises SimulationError for bad arguments."""
    return OpenRun(Plan(scenario, team, runbooks, assumptions), start, rng, horizon=horizon, speed=speed,
                   responder=responder, mode=mode)


class OpenRun:
    """One run that the caller advances (see the module docstring). ``speed`` None is
    the virtual clock, else real time that many times as fast as the wall clock;
    ``responder`` None the simulated one; ``mode`` goes into the timeline; ``record``
    is the raw :class:`~simulator.run.Run`. Raises SimulationError for a naive
    ``start``, a horizon or a speed that is not positive."""

    def __init__(self, plan: Plan, start: datetime, rng: np.random.Generator, *, horizon: float = DEFAULT_HORIZON,
                 speed: float | None = None, responder: Responder | None = None, mode: Mode = "simulated"):
        check_start(start, horizon)
        if speed is not None and not speed > 0:
            raise SimulationError(f"expected a speed factor above 0, got {speed}")
        self.speed = speed
        self.record = Run(plan, start, rng, horizon, env=environment(speed), responder=responder, mode=mode)
        self._subscribers: list[Subscriber] = []
        self._seen = 0  # records already returned by advance
        self._started = False
        begin(self.record, horizon)

    # -- watching ---------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Simulated seconds since the drill started."""
        return self.record.env.now

    @property
    def done(self) -> bool:
        """Whether the run has ended (``drill_ended`` is recorded)."""
        return self.record.finished

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` with each event as it is recorded, first with those
        recorded already, so every subscriber sees the whole run in order. Treat the
        events as read-only (they share their data with the timeline). Returns a
        function that unsubscribes."""
        r = self.record
        for rec in list(r.events):
            callback(new_event(*rec))
        self._subscribers.append(callback)
        r._record = self._fan_out

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)
            if not self._subscribers:
                r._record = r.events.append

        return unsubscribe

    def _fan_out(self, rec: tuple[float, str, str, str, dict[str, Any]]) -> None:
        self.record.events.append(rec)
        event = new_event(*rec)
        for callback in tuple(self._subscribers):
            callback(event)

    # -- advancing ------------------------------------------------------------------------
    def advance(self, to: float | None = None) -> list[Event]:
        """Run until simulated second ``to`` (all that is due at ``to`` included) or the
        end (``to`` None, or the run ends first); on a real-time clock this takes the
        matching wall-clock time. Returns the events recorded since the previous call.
        Raises SimulationError for a ``to`` before :attr:`now`."""
        r = self.record
        env = r.env
        if to is not None:
            to = float(to)
        if to is not None and to < env.now:
            raise SimulationError(f"expected a time from {env.now}s on (the run is there), got {to}s")
        if not self._started:
            self._started = True
            if isinstance(env, RealtimeEnvironment):
                env.sync()  # the wall clock starts now, not when the run was built
        if not r.finished:
            if to is None:
                env.run(until=r.done)
            else:
                stop = Call(env, to - env.now, _nothing, AFTER_ALL)
                r.done.callbacks.append(StopSimulation.callback)  # the end stops the run too
                try:
                    env.run(until=stop)
                finally:
                    if r.done.callbacks is not None and StopSimulation.callback in r.done.callbacks:
                        r.done.callbacks.remove(StopSimulation.callback)
        new = r.events[self._seen:]
        self._seen = len(r.events)
        return [new_event(*rec) for rec in new]

    # -- deciding ---------------------------------------------------------------------------
    def pending(self) -> list[Decision]:
        """The decisions awaiting an answer, in the order they were asked."""
        return [d for d in self.record.decisions if d.open]

    def decide(self, decision: Decision | int, value: Any = None) -> None:
        """Make a pending decision (or the one with that id) at the current simulated
        instant; the run acts on it at the next :meth:`advance`. Raises DecisionError for
        an unknown id, a decision not open, or a value that does not fit."""
        if isinstance(decision, int):
            decisions = self.record.decisions
            if not 1 <= decision <= len(decisions):
                raise DecisionError(f"no decision {decision}; {len(decisions)} were asked")
            decision = decisions[decision - 1]
        decision.answer(value)

    # -- the record ---------------------------------------------------------------------------
    def timeline(self, run: int | None = None, seed: int | None = None) -> Timeline:
        """The events so far as a Timeline (the whole run once :attr:`done`); ``run`` and
        ``seed`` are only recorded in it."""
        return self.record.timeline(run, seed)

    def json_line(self, run: int | None = None, seed: int | None = None) -> str:
        """:meth:`timeline` as its JSON line."""
        return self.record.json_line(run, seed)


def _nothing(_event: Any) -> None:
    return None
