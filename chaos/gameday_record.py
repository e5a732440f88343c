"""A game day's record: events in time order on the drill clock, each checked against
the typed vocabulary, handed to subscribers as they are recorded."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from scenarios.events import checked_event
from scenarios.timeline import Event


def notify(subscribers: list[Callable[[Any], None]], value: Any) -> None:
    """Call each subscriber; one that raises must not stop a probe's thread or the
    clock's loop, so its error is dropped."""
    for fn in list(subscribers):
        try:
            fn(value)
        except Exception:  # noqa: BLE001, S110 - a subscriber's own failure is not the drill's
            pass


class Record:
    """The events of one game day. ``t0`` is the drill clock's start
    (``time.monotonic()`` seconds) and ``started_at`` the wall clock then."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.events: list[Event] = []
        self._times: list[float] = []
        self.t0: float | None = None
        self.started_at: datetime | None = None
        self.subscribers: list[Callable[[Event], None]] = []

    def start(self, t0: float, started_at: datetime) -> None:
        self.t0, self.started_at = t0, started_at

    def t(self, at: float) -> float:
        """Drill seconds (rounded to ms, never negative) of the monotonic instant ``at``."""
        assert self.t0 is not None
        return max(0.0, round(at - self.t0, 3))

    def wall(self, t: float) -> datetime:
        """The wall-clock instant of drill second ``t``."""
        assert self.started_at is not None
        return self.started_at + timedelta(seconds=t)

    def emit(self, t: float, kind: str, actor: str, subject: str, payload: Any) -> Event:
        """Record one event at drill second ``t``, in time order (a probe's result arrives
        after later events may have been recorded; it goes before them). Raises
        EventError for a payload that does not fit its kind."""
        e = checked_event(t, kind, actor, subject, payload)
        with self.lock:
            i = bisect.bisect_right(self._times, e.t)
            self._times.insert(i, e.t)
            self.events.insert(i, e)
            notify(self.subscribers, e)
        return e

    @property
    def last_t(self) -> float:
        with self.lock:
            return self._times[-1] if self._times else 0.0
