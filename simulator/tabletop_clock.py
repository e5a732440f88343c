"""The drill clock of a tabletop: drill seconds read from a monotonic wall clock at a
speed factor, started, paused and resumed by the facilitator.

The clock only says what time it is in the drill; the session advances the model to
that time. Drill time is rounded to milliseconds, the timeline's resolution, so a time
read from the clock, journaled and replayed is the same number."""

from __future__ import annotations

from typing import Callable


class DrillClock:
    """Drill seconds: ``base`` while stopped; while running, ``base`` plus the wall
    seconds since it (re)started times ``speed``. ``monotonic`` returns wall seconds
    (tests pass a fake)."""

    def __init__(self, monotonic: Callable[[], float], speed: int):
        self.monotonic = monotonic
        self.speed = speed
        self.base = 0.0
        self.since: float | None = None  # the wall reading when it last started running

    @property
    def running(self) -> bool:
        return self.since is not None

    def now(self) -> float:
        """Drill seconds now (milliseconds)."""
        if self.since is None:
            return self.base
        return round(self.base + (self.monotonic() - self.since) * self.speed, 3)

    def run(self, at: float) -> None:
        """Run from drill second ``at`` on (a start or a resume)."""
        self.base, self.since = at, self.monotonic()

    def stop(self, at: float) -> None:
        """Stand still at drill second ``at`` (a pause, the end, a replayed drill)."""
        self.base, self.since = at, None

    def set_speed(self, at: float, speed: int) -> None:
        """Go on from ``at`` at ``speed`` times the wall clock."""
        running = self.running
        self.speed = speed
        if running:
            self.run(at)
        else:
            self.base = at
