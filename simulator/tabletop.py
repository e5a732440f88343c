"""A tabletop drill: the simulator's model on a drill clock a facilitator controls, with
the responder's seat taken by the people in the room.

The engine is an :class:`~simulator.open_run.OpenRun` on the virtual clock whose
responder asks the room every decision (an :class:`~simulator.responder.AskingResponder`);
:meth:`Tabletop.tick` advances it to the drill clock's time (started, paused, resumed,
at a speed of 1, 2, 5 or 10), so injects, alerts, pages and conditional injects happen
on the wall clock. The room's actions (:mod:`scenarios.tabletop`) answer the decisions
the model waits for, or act on the incident directly where the room is ahead of the
model; an action that makes no sense now raises :class:`TabletopError` and changes
nothing.

Every accepted action becomes a journal entry (``{"n", "t", "wall", "by", "action"}``,
plus a ``{"n", "t", "wall", "clock": true}`` checkpoint every few seconds while the
clock runs). The engine is deterministic given the seed and the actions at their drill
times, so :meth:`Tabletop.resume` rebuilds a drill from its header and entries exactly:
that is how a drill survives a server restart, and how a script replays.

All public methods are thread-safe (one lock): a web server's threads and the tick
thread share one session.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Callable, Iterable, Literal, Sequence

from scenarios import Runbook, Scenario, Team
from scenarios.tabletop import Action
from scenarios.timeline import Event, Timeline

from .errors import SimulationError

TabletopPhase = Literal["ready", "running", "paused", "hotwash", "finished"]
#: Seconds of wall time between clock checkpoints in the journal while the clock runs.
CHECKPOINT_EVERY = 5.0
JOURNAL_VERSION = 1


class TabletopError(SimulationError):
    """An action that cannot be taken now (nothing to acknowledge, a step of a runbook
    that was not started, a facilitator's action from the room, an action after the
    hot wash). The message says why and what to do instead; nothing changed."""


class Tabletop:
    """One tabletop drill (see the module docstring). ``start`` (tz-aware) is the wall
    instant the drill's 0s stands for (who is on call, who is asleep); ``seed`` seeds
    the model's draws (monitoring, channels); ``speed`` the initial clock factor;
    ``monotonic`` the clock the drill clock is read from (tests pass a fake)."""

    def __init__(self, scenario: Scenario, team: Team, runbooks: Sequence[Runbook], *, start: datetime, seed: int,
                 speed: int = 1, monotonic: Callable[[], float] = time.monotonic):
        raise NotImplementedError

    # -- the record -----------------------------------------------------------------
    def header(self) -> dict[str, Any]:
        """The journal's first line: ``{"tabletop": JOURNAL_VERSION, "scenario": id,
        "team": team name, "seed", "start": ISO 8601, "speed"}``."""
        raise NotImplementedError

    def subscribe(self, *, on_entry: Callable[[dict[str, Any]], None] | None = None,
                  on_event: Callable[[Event], None] | None = None) -> Callable[[], None]:
        """Call ``on_entry`` with each journal entry as it is accepted (the caller appends
        it to the journal file) and ``on_event`` with each timeline event as it is
        recorded (those so far first). Called under the session's lock: keep them quick.
        Returns a function that unsubscribes."""
        raise NotImplementedError

    def timeline(self) -> Timeline:
        """The events so far (mode ``tabletop``; the whole drill once finished)."""
        raise NotImplementedError

    # -- the clock --------------------------------------------------------------------
    @property
    def phase(self) -> TabletopPhase:
        raise NotImplementedError

    @property
    def now(self) -> float:
        """Drill seconds on the drill clock now."""
        raise NotImplementedError

    def tick(self) -> list[Event]:
        """Advance the model to the drill clock's time (nothing while not running),
        applying scheduled script actions exactly at their times; returns the events
        recorded. A server calls it a few times a second."""
        raise NotImplementedError

    # -- acting -----------------------------------------------------------------------
    def act(self, action: Action, *, facilitator: bool = False) -> dict[str, Any]:
        """Take ``action`` at the current drill time; ``facilitator`` says whether the
        facilitator took it (only they may take the clock's and the injects' actions).
        Returns the journal entry. Raises TabletopError (nothing changed)."""
        raise NotImplementedError

    def schedule(self, script: Iterable[tuple[float, Action]]) -> None:
        """Actions to take at their drill times (a script): :meth:`tick` and
        :meth:`play_through` take each exactly at its time. Raises TabletopError for a
        time already past."""
        raise NotImplementedError

    def play_through(self) -> None:
        """Run the scheduled script on the virtual clock, as fast as the machine goes,
        until the script is exhausted and the drill finished or the model has nothing
        left to do (headless replays, tests)."""
        raise NotImplementedError

    # -- watching ---------------------------------------------------------------------
    @property
    def version(self) -> int:
        """Increases with every change anyone can see (an event, an action, the clock)."""
        raise NotImplementedError

    def wait_changed(self, version: int, timeout: float) -> int:
        """Block until :attr:`version` exceeds ``version`` or ``timeout`` seconds pass;
        returns the version then (for server-sent events)."""
        raise NotImplementedError

    def state(self, *, facilitator: bool) -> dict[str, Any]:
        """What a view shows, as JSON-able data (the shape is documented in the README's
        tabletop section). The team's view leaves out facilitator notes, questions of
        injects not yet released, upcoming and held injects and the model's internals."""
        raise NotImplementedError

    def hotwash(self) -> list[dict[str, Any]]:
        """The hot wash's notes: ``{"kind": "strength" | "improvement", "text", "by", "t"}``."""
        raise NotImplementedError

    # -- a drill that was already running --------------------------------------------------
    @classmethod
    def resume(cls, header: dict[str, Any], entries: Iterable[dict[str, Any]], scenario: Scenario, team: Team,
               runbooks: Sequence[Runbook], *, monotonic: Callable[[], float] = time.monotonic) -> "Tabletop":
        """The drill of a journal, rebuilt by replaying its entries at their drill times;
        it continues paused at the last entry's time (in the hot wash, or finished, if it
        got there). Raises TabletopError for a journal of another scenario or team, or
        one that is not a tabletop journal."""
        raise NotImplementedError
