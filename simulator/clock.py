"""Simulated seconds and the wall clock: instants from offsets, when business hours
next begin, the SimPy timeout the simulator schedules its work with, and the clock a
run advances on (virtual, or real time at a speed factor)."""

from __future__ import annotations

from datetime import datetime, timedelta
from heapq import heappush
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
