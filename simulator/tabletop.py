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

import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Literal, Sequence

import numpy as np

from scenarios import Runbook, Scenario, Team
from scenarios.errors import DrillbitError
from scenarios.tabletop import FACILITATOR_ACTIONS, SPEEDS, Action, parse_action
from scenarios.timeline import Event, Timeline

from .errors import TabletopError
from .engine import horizon_for
from .injects import release
from .open_run import OpenRun
from .plan import Plan
from .tabletop_clock import DrillClock
from .tabletop_room import Room, RoomResponder
from .tabletop_state import build_state

__all__ = ["CHECKPOINT_EVERY", "JOURNAL_VERSION", "Tabletop", "TabletopError", "TabletopPhase"]

TabletopPhase = Literal["ready", "running", "paused", "hotwash", "finished"]
#: Seconds of wall time between clock checkpoints in the journal while the clock runs.
CHECKPOINT_EVERY = 5.0
JOURNAL_VERSION = 1
#: Who took an action, as a journal entry says: scripts may take the facilitator's actions.
SOURCES = ("room", "facilitator", "script")


class Tabletop:
    """One tabletop drill (see the module docstring). ``start`` (tz-aware) is the wall
    instant the drill's 0s stands for (who is on call, who is asleep); ``seed`` seeds
    the model's draws (monitoring, channels); ``speed`` the initial clock factor;
    ``monotonic`` the clock the drill clock is read from (tests pass a fake)."""

    def __init__(self, scenario: Scenario, team: Team, runbooks: Sequence[Runbook], *, start: datetime, seed: int,
                 speed: int = 1, monotonic: Callable[[], float] = time.monotonic):
        if speed not in SPEEDS:
            raise TabletopError(f"expected a speed of {', '.join(map(str, SPEEDS))}, got {speed!r}")
        self.scenario, self.team, self.runbooks = scenario, team, tuple(runbooks)
        self.start, self.seed, self.speed = start, seed, speed
        plan = Plan(scenario, team, runbooks)
        # The simulation's horizon: a breach found after months can still be played (fast-forwarded).
        self._open = OpenRun(plan, start, np.random.default_rng(seed), horizon=horizon_for(scenario, runbooks),
                             responder=RoomResponder(), mode="tabletop")
        self._run = self._open.record
        self._run.resolve_by_hand = True
        self._room = Room(self._open)
        self._monotonic = monotonic
        self._clock = DrillClock(monotonic, speed)
        self._phase: TabletopPhase = "ready"
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._version = 0
        self._entries: list[dict[str, Any]] = []
        self._script: list[tuple[float, Action]] = []
        self._entry_subs: list[Callable[[dict[str, Any]], None]] = []
        self._event_subs: list[Callable[[Event], None]] = []
        self._hotwash: list[dict[str, Any]] = []
        self._events: list[Event] = []
        self._checkpoint_wall: float | None = None
        self._script_taken = 0  # script actions a resumed journal took, not scheduled again
        self._t = 0.0  # the drill second the model was last brought to (actions happen then)
        #: Script actions refused when :meth:`tick` took them: (drill second, action, why).
        self.refused: list[tuple[float, Action, str]] = []
        with self._lock:
            self._open.subscribe(self._recorded)

    # -- the record -----------------------------------------------------------------
    def header(self) -> dict[str, Any]:
        """The journal's first line: ``{"tabletop": JOURNAL_VERSION, "scenario": id,
        "team": team name, "seed", "start": ISO 8601, "speed"}``."""
        return {"tabletop": JOURNAL_VERSION, "scenario": self.scenario.id, "team": self.team.team, "seed": self.seed,
                "start": self.start.isoformat(), "speed": self.speed}

    def subscribe(self, *, on_entry: Callable[[dict[str, Any]], None] | None = None,
                  on_event: Callable[[Event], None] | None = None) -> Callable[[], None]:
        """Call ``on_entry`` with each journal entry as it is accepted (the caller appends
        it to the journal file) and ``on_event`` with each timeline event as it is
        recorded (those so far first). Called under the session's lock: keep them quick.
        Returns a function that unsubscribes."""
        with self._lock:
            if on_event is not None:
                for e in self._events:
                    on_event(e)
                self._event_subs.append(on_event)
            if on_entry is not None:
                self._entry_subs.append(on_entry)

        def unsubscribe() -> None:
            with self._lock:
                if on_event in self._event_subs:
                    self._event_subs.remove(on_event)
                if on_entry in self._entry_subs:
                    self._entry_subs.remove(on_entry)

        return unsubscribe

    def timeline(self) -> Timeline:
        """The events so far (mode ``tabletop``; the whole drill once finished)."""
        with self._lock:
            return self._open.timeline(seed=self.seed)

    def entries(self) -> list[dict[str, Any]]:
        """The journal's entries so far (after the header), in order."""
        with self._lock:
            return [dict(e) for e in self._entries]

    # -- the clock --------------------------------------------------------------------
    @property
    def phase(self) -> TabletopPhase:
        return self._phase

    @property
    def now(self) -> float:
        """Drill seconds on the drill clock now."""
        with self._lock:
            return self._clock.now()

    def tick(self) -> list[Event]:
        """Advance the model to the drill clock's time (nothing while not running),
        applying scheduled script actions exactly at their times; returns the events
        recorded. A server calls it a few times a second."""
        with self._lock:
            before = len(self._events)
            if self._phase == "ready":
                self._advance(0.0, strict=False)  # a script's start at 0s
            if self._phase == "running":
                self._advance(self._clock.now(), strict=False)
                mono = self._monotonic()
                if self._checkpoint_wall is None or mono - self._checkpoint_wall >= CHECKPOINT_EVERY:
                    self._checkpoint_wall = mono
                    self._journal({"t": self._t, "clock": True})
            return self._events[before:]

    # -- acting -----------------------------------------------------------------------
    def act(self, action: Action, *, facilitator: bool = False) -> dict[str, Any]:
        """Take ``action`` at the current drill time; ``facilitator`` says whether the
        facilitator took it (only they may take the clock's and the injects' actions).
        Returns the journal entry. Raises TabletopError (nothing changed).

        The model is first brought to the drill clock's time (as a tick would), so the
        action happens at the second the clock shows."""
        with self._lock:
            if self._phase == "running":
                self._advance(self._clock.now(), strict=False)
            return self._take(action, "facilitator" if facilitator else "room")

    def schedule(self, script: Iterable[tuple[float, Action]]) -> None:
        """Actions to take at their drill times (a script): :meth:`tick` and
        :meth:`play_through` take each exactly at its time. On a drill resumed from its
        journal, the script's actions the journal shows taken (its ``script`` entries)
        are skipped, so the same script continues where it left off. Raises
        TabletopError for a time already past."""
        with self._lock:
            items = sorted(((float(t), a) for t, a in script), key=lambda x: x[0])
            # A drill resumed from its journal took the script's first actions already.
            taken = min(self._script_taken, len(items))
            self._script_taken -= taken
            items = items[taken:]
            for t, a in items:
                if t < self._t:
                    raise TabletopError(f"a script action ({a.action}) at {t:g}s is in the past: "
                                        f"the drill is at {self._t:g}s")
            self._script = sorted(self._script + items, key=lambda x: x[0])  # stable: file order at one time

    def play_through(self) -> None:
        """Run the scheduled script on the virtual clock, as fast as the machine goes,
        until the script is exhausted and the drill finished or the model has nothing
        left to do (headless replays, tests). The drill then stands at the last action's
        time (paused, if the clock was running). Raises TabletopError for a script action
        that cannot be taken, naming its time."""
        with self._lock:
            while self._script:
                self._advance(self._script[0][0], strict=True)
            if self._phase == "running":
                self._phase = "paused"
            self._clock.stop(self._t)
            self._bump()

    # -- watching ---------------------------------------------------------------------
    @property
    def version(self) -> int:
        """Increases with every change anyone can see (an event, an action, the clock)."""
        return self._version

    def wait_changed(self, version: int, timeout: float) -> int:
        """Block until :attr:`version` exceeds ``version`` or ``timeout`` seconds pass;
        returns the version then (for server-sent events)."""
        with self._changed:
            self._changed.wait_for(lambda: self._version > version, timeout)
            return self._version

    def state(self, *, facilitator: bool) -> dict[str, Any]:
        """What a view shows, as JSON-able data (the shape is documented in the README's
        tabletop section). The team's view leaves out facilitator notes, questions of
        injects not yet released, upcoming and held injects and the model's internals."""
        with self._lock:
            return build_state(self, facilitator)

    def hotwash(self) -> list[dict[str, Any]]:
        """The hot wash's notes: ``{"kind": "strength" | "improvement", "text", "by", "t"}``."""
        with self._lock:
            return [dict(h) for h in self._hotwash]

    # -- a drill that was already running --------------------------------------------------
    @classmethod
    def resume(cls, header: dict[str, Any], entries: Iterable[dict[str, Any]], scenario: Scenario, team: Team,
               runbooks: Sequence[Runbook], *, monotonic: Callable[[], float] = time.monotonic) -> "Tabletop":
        """The drill of a journal, rebuilt by replaying its entries at their drill times;
        it continues paused at the last entry's time (in the hot wash, or finished, if it
        got there). Raises TabletopError for a journal of another scenario or team, or
        one that is not a tabletop journal."""
        if not isinstance(header, dict) or header.get("tabletop") != JOURNAL_VERSION:
            raise TabletopError(f"not a tabletop journal (expected a first line with \"tabletop\": {JOURNAL_VERSION})")
        if header.get("scenario") != scenario.id:
            raise TabletopError(f"the journal is of scenario {header.get('scenario')!r}, not {scenario.id!r}")
        if header.get("team") != team.team:
            raise TabletopError(f"the journal is of team {header.get('team')!r}, not {team.team!r}")
        try:
            start = datetime.fromisoformat(header["start"])
            tt = cls(scenario, team, runbooks, start=start, seed=int(header["seed"]), speed=int(header["speed"]),
                     monotonic=monotonic)
        except (KeyError, TypeError, ValueError) as exc:
            raise TabletopError(f"the journal's first line is incomplete or wrong: {exc}") from None
        with tt._lock:
            for entry in entries:
                tt._replay(entry)
            if tt._phase == "running":
                tt._phase = "paused"
            tt._clock.stop(tt._t)
        return tt

    # -- inside ---------------------------------------------------------------------------
    def _recorded(self, event: Event) -> None:
        self._events.append(event)
        for callback in tuple(self._event_subs):
            callback(event)
        self._bump()

    def _bump(self) -> None:
        self._version += 1
        self._changed.notify_all()

    def _journal(self, fields: dict[str, Any], wall: str | None = None, n: int | None = None) -> dict[str, Any]:
        entry = {"n": n if n is not None else len(self._entries) + 1, "t": fields.pop("t"),
                 "wall": wall or datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **fields}
        self._entries.append(entry)
        for callback in tuple(self._entry_subs):
            callback(dict(entry))
        return entry

    def _to(self, t: float) -> None:
        # The model stops at its end; the drill's time goes on (the facilitator ends it).
        self._t = max(self._t, t)
        if not self._run.finished:
            self._open.advance(to=t)

    def _advance(self, to: float, *, strict: bool) -> None:
        """Bring the model to drill second ``to``, taking the script's actions due by then
        at their times. The model stands still until the clock has started."""
        while self._script and self._script[0][0] <= to:
            t, action = self._script.pop(0)
            if self._phase != "ready":
                self._to(t)
            try:
                self._take(action, "script")
            except TabletopError as exc:
                if strict:
                    raise TabletopError(f"script action at {t:g}s ({action.action}): {exc}") from None
                self.refused.append((t, action, str(exc)))
        if self._phase != "ready" and to > self._t:
            self._to(to)

    def _take(self, action: Action, source: str, *, wall: str | None = None, n: int | None = None) -> dict[str, Any]:
        """Check and apply ``action`` at the model's second; journal it. Raises TabletopError."""
        kind = action.action
        if kind in FACILITATOR_ACTIONS:
            if source == "room":
                raise TabletopError(f"only the facilitator can {_FACILITATOR_WORDS[kind]}")
            self._facilitate(action)
        elif kind == "hotwash":
            if self._phase != "hotwash":
                raise TabletopError("hot-wash notes come after the drill: the facilitator ends the clock first (end)"
                                    if self._phase in ("ready", "running", "paused")
                                    else "the hot wash is finished; nothing more can be added")
            self._room.check_member(action.by)
            self._hotwash.append({"kind": action.kind, "text": action.text, "by": action.by, "t": self._t})
        else:
            self._room_may_act(kind)
            self._room.apply(action)
            self._open.advance(to=self._open.now)  # what it starts at this second, so views show it
        entry = self._journal({"t": self._t, "by": source,
                               "action": action.model_dump(mode="json", exclude_none=True)}, wall, n)
        self._bump()
        return entry

    def _room_may_act(self, kind: str) -> None:
        if self._phase == "ready":
            raise TabletopError(f"the drill has not started: the facilitator starts the clock before anyone can {kind}")
        if self._phase in ("hotwash", "finished"):
            raise TabletopError("the drill has ended: add a hot-wash note (hotwash) instead"
                                if self._phase == "hotwash" else "the drill is finished; nothing more can be recorded")
        if self._run.finished:
            raise TabletopError("the incident is over (the drill's model has ended): "
                                "the facilitator ends the clock for the hot wash (end)")

    def _facilitate(self, action: Action) -> None:
        kind, phase, t = action.action, self._phase, self._t
        after = phase in ("hotwash", "finished")
        if after and kind not in ("finish",):
            raise TabletopError("the drill has ended; only the hot wash goes on (finish closes it)")
        if kind == "start":
            if phase != "ready":
                raise TabletopError("the clock has started already (resume continues it after a pause)")
            self._clock.run(t)
            self._checkpoint_wall = self._monotonic()
            self._phase = "running"
            self._to(t)
        elif kind == "pause":
            if phase != "running":
                raise TabletopError("the clock is not running: " + ("start it first" if phase == "ready" else "it is paused already"))
            self._clock.stop(t)
            self._phase = "paused"
        elif kind == "resume":
            if phase != "paused":
                raise TabletopError("the clock is not paused: " + ("start it (start)" if phase == "ready" else "it runs already"))
            self._clock.run(t)
            self._checkpoint_wall = self._monotonic()
            self._phase = "running"
        elif kind == "speed":
            if action.factor == self._clock.speed:
                raise TabletopError(f"the clock runs at {action.factor}x already")
            self._clock.set_speed(t, action.factor)
        elif kind in ("release", "hold"):
            self._inject_control(action)
        elif kind == "end":
            if phase == "ready":
                raise TabletopError("the drill has not started: start the clock first")
            if not self._run.finished:
                self._run.finish("ended")
            self._clock.stop(t)
            self._phase = "hotwash"
        elif kind == "finish":
            if phase != "hotwash":
                raise TabletopError("the hot wash is finished already" if phase == "finished"
                                    else "the drill is still on: end it first (end), then finish the hot wash")
            self._phase = "finished"

    def _inject_control(self, action: Action) -> None:
        run, i = self._run, action.inject
        injects = self.scenario.injects
        if i >= len(injects):
            raise TabletopError(f"no inject {i}: the scenario has {len(injects)} (0 to {len(injects) - 1})")
        if i in run.delivered:
            raise TabletopError(f"inject {i} was delivered already (at {run.delivered[i]:g}s); an inject is delivered once")
        if action.action == "hold":
            if i in run.held:
                raise TabletopError(f"inject {i} is held already; release delivers it")
            if i in run.skipped:
                raise TabletopError(f"inject {i} was skipped (its condition did not hold at its time); "
                                    "release delivers it anyway")
            run.held.add(i)
            return
        if self._phase == "ready":
            raise TabletopError("the drill has not started: start the clock, then release the inject")
        if run.finished:
            raise TabletopError("the incident is over (the drill's model has ended): nothing more can be delivered")
        release(run, i)
        self._open.advance(to=self._open.now)

    def _replay(self, entry: dict[str, Any]) -> None:
        n = entry.get("n") if isinstance(entry, dict) else None
        try:
            t = float(entry["t"])
            if t < self._t:
                raise TabletopError(f"its time {t:g}s is before the previous entry's ({self._t:g}s)")
            if self._phase != "ready":
                self._to(t)
            if entry.get("clock"):
                self._journal({"t": t, "clock": True}, entry.get("wall"), n)
                return
            source = entry.get("by")
            if source not in SOURCES:
                raise TabletopError(f"by: expected one of {', '.join(SOURCES)}, got {source!r}")
            self._take(parse_action(entry["action"]), source, wall=entry.get("wall"), n=n)
            if source == "script":
                self._script_taken += 1
        except (KeyError, TypeError, ValueError) as exc:
            raise TabletopError(f"journal entry {n}: incomplete or wrong ({exc})") from None
        except DrillbitError as exc:
            raise TabletopError(f"journal entry {n}: {exc}") from None


_FACILITATOR_WORDS = {"start": "start the clock", "pause": "pause the clock", "resume": "resume the clock",
                      "speed": "change the clock's speed", "release": "release an inject", "hold": "hold an inject",
                      "end": "end the drill", "finish": "finish the hot wash"}
