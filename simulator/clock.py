"""Simulated seconds and the wall clock: instants from offsets, when business hours
next begin, the SimPy timeout the simulator schedules its work with, and the clock a
run advances on (virtual, or real time at a speed factor)."""

from __future__ import annotations

from datetime import datetime, timedelta
from heapq import heappop, heappush
from typing import Any, Callable

import simpy
import simpy.rt
from simpy.core import NORMAL, Environment

from scenarios.common import zone
from scenarios.windows import WeeklyWindow

#: Event priority below SimPy's NORMAL: processed after everything else due at the
#: same instant, so an alert evaluation sees every signal that arrives at its tick.
LATE = 2
#: Below LATE: an open run's stop at a given instant comes after all its work there.
AFTER_ALL = 3


def environment(speed: float | None) -> Environment:
    """The SimPy environment of a run: the virtual clock (``speed`` None: as fast as the
    machine goes), or real time ``speed`` times as fast as the wall clock (60: one
    simulated minute per second). Real time is not strict: work that falls behind the
    wall clock catches up instead of failing the run."""
    if speed is None:
        return simpy.Environment()
    return simpy.rt.RealtimeEnvironment(factor=1.0 / speed, strict=False)


class Call(simpy.events.Event):
    """A timeout that calls ``fn(event)`` when due; ``priority`` LATE puts it after every
    ordinary event due at the same instant. (A bare Timeout plus a callback, built in
    one step: the simulator schedules tens of these per run.)"""


    def __init__(self, env: Environment, delay: float, fn: Callable[[Any], None], priority: int = NORMAL):
        self.env = env
        self.callbacks = [fn]
        self._value = None
        self._ok = True
        # Environment.schedule, inlined (the simulator's most frequent call): the same
        # queue entry, so the same order.
        heappush(env._queue, (env._now + delay, priority, next(env._eid), self))


#: Below this, x * 1000 is off the exact product by at most 2**-14 (half an ulp).
_ROUND3_LIMIT = 2.0 ** 40


def round3(x: float) -> float:
    """``round(x, 3)``, the same value for every input, in about half the time for the
    positive floats of a run's clock (round() with digits goes through a decimal
    conversion). y = x * 1000 is within 2**-14 of the exact product for y below 2**40;
    when y is more than 0.4995 away from a half-integer, the exact product rounds to
    the same integer k as y, so x rounded to 3 decimals is k/1000 with no tie, and
    round(x, 3), the double nearest to it, is ``k / 1000.0`` (k is exact as a double,
    the division correctly rounded). Anything else goes to round() itself."""
    if type(x) is float:
        y = x * 1000.0
        if 0.0 < y < _ROUND3_LIMIT:
            k = round(y)
            if -0.4995 < y - k < 0.4995:
                return k / 1000.0
    return round(x, 3)


def run_until(env: Environment, until: simpy.events.Event) -> Any:
    """``env.run(until=until)``, event for event, as a loop of its own: what
    ``Environment.step`` does to each event (pop the earliest, run its callbacks, crash
    on a failure nobody defused), without a method call and a ``try`` per event (a run
    processes about seventy). It ends where SimPy's does: once ``until`` is processed,
    after the callbacks it had when this began (later ones are put back on the queue,
    as SimPy puts them), returning its value or raising its exception. Raises
    RuntimeError, as SimPy does, when the queue runs dry first."""
    callbacks = until.callbacks
    if callbacks is None:  # processed already
        return until.value
    before = len(callbacks)
    queue = env._queue
    while True:
        try:
            env._now, _, _, event = heappop(queue)
        except IndexError:
            raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {until}') from None
        callbacks, event.callbacks = event.callbacks, None
        if event is until:
            for callback in callbacks[:before]:
                callback(event)
            if not event._ok:
                raise event._value
            # SimPy stops in its own callback, appended last, and re-queues what follows it.
            event.callbacks = callbacks[before:]
            env.schedule(event, -1)  # type: ignore[arg-type]
            return event._value
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            # The environment crashes, as Environment.step crashes it: a copy with a new traceback.
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc


class WallClock:
    """Maps seconds since the drill start to tz-aware instants."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("the drill start must be tz-aware")
        self.start = start

    def at(self, t: float) -> datetime:
        """The instant ``t`` seconds after the start."""
        return self.start + timedelta(seconds=t)

    def offset(self, at: datetime) -> float:
        """Seconds from the start to ``at``."""
        return (at - self.start).total_seconds()


def next_window_start(window: WeeklyWindow, tz: str, after: datetime, days: int = 8) -> datetime | None:
    """The first whole minute at or after ``after`` inside ``window`` (local to ``tz``),
    or None if the window is empty for ``days`` days."""
    z = zone(tz)
    local = after.astimezone(z)
    if window.contains(local):
        return after
    # Windows are written to the minute and last longer than ten: walk ten-minute
    # steps, then the minutes of the step that entered the window.
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    step = timedelta(minutes=10)
    for _ in range(days * 144):
        if window.contains((t + step).astimezone(z)):
            for m in range(11):
                probe = t + timedelta(minutes=m)
                if window.contains(probe.astimezone(z)):
                    return probe
        t += step
    return None
