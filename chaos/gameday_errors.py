"""The game day's errors (re-exported by :mod:`chaos.gameday`, where callers take them)."""

from __future__ import annotations

from .errors import ChaosError


class GameDayError(ChaosError):
    """A game day that cannot start or go on (a target that resolves to nothing, a
    fault refused here, a mark that makes no sense such as ``ack`` before it started)."""


class SteadyStateError(GameDayError):
    """The system was not healthy before the first fault: nothing was touched."""

    exit_code = 1
