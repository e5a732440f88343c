"""A stand-in for simulator.tabletop.Tabletop: what the web console uses of a session
(state, act, tick, version, wait_changed, phase, timeline), with the contract's
behaviour for the few actions the console's tests take, on a clock the test sets.

It keeps a journal of every accepted action so a test can compare what reached the
session with what it sent."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from scenarios.tabletop import FACILITATOR_ACTIONS
from scenarios.timeline import Event, Timeline
from simulator.tabletop import TabletopError

START = datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc)
MEMBERS = [{"id": "amara", "name": "Amara Osei", "roles": ["primary"]},
           {"id": "bo", "name": "Bo Lindqvist", "roles": ["secondary", "comms"]}]


class FakeTabletop:
    def __init__(self, clock: list[float] | None = None) -> None:
        self._lock = threading.Condition()
        self._clock = clock if clock is not None else [0.0]   # the test's monotonic seconds
        self._version = 1
        self._phase = "ready"
        self._t = 0.0
        self._since: float | None = None
        self._factor = 1
        self.journal: list[dict[str, Any]] = []
        self._record: list[dict[str, Any]] = []
        self._events: list[Event] = [Event(t=0.0, kind="drill_started", actor="system")]
        self._injects = [
            {"index": 0, "at": 60.0, "when": None, "what": "card", "title": "Checkout errors climb",
             "body": "Support reports customers cannot pay.", "status": "upcoming", "released_t": None,
             "condition": None, "facilitator": "Let them find the dashboard themselves.",
             "questions": ["Who is on call?"]},
            {"index": 1, "at": 600.0, "when": None, "what": "signal", "title": "A journalist <calls>",
             "body": "A reporter asks for comment.", "status": "upcoming", "released_t": None,
             "condition": None, "facilitator": None, "questions": []},
        ]
        self._pages = [{"page": 1, "to": "amara", "name": "Amara Osei", "purpose": "alert", "t": 0.0, "state": "open"}]
        self._updates: list[dict[str, Any]] = []
        self._hotwash: list[dict[str, Any]] = []
        self._milestones = dict.fromkeys(("detected", "acknowledged", "diagnosed", "mitigated", "recovered",
                                          "resolved"))

    # -- the clock ----------------------------------------------------------------
    @property
    def phase(self) -> str:
        return self._phase

    @property
    def now(self) -> float:
        with self._lock:
            return self._now()

    def _now(self) -> float:
        if self._since is None:
            return self._t
        return self._t + (self._clock[0] - self._since) * self._factor

    def tick(self) -> list[Event]:
        with self._lock:
            if self._phase != "running":
                return []
            t, new = self._now(), []
            for i in self._injects:
                if i["status"] == "upcoming" and i["at"] <= t:
                    new.append(self._deliver(i, i["at"]))
            if int(t) != int(self._t_seen):
                self._bump()
            self._t_seen = t
            return new

    _t_seen = 0.0

    def _deliver(self, inject: dict[str, Any], t: float) -> Event:
        inject["status"], inject["released_t"] = "released", t
        event = Event(t=t, kind="inject", actor="facilitator", subject=inject["title"])
        self._events.append(event)
        self._record.append({"n": len(self._record) + 1, "t": t, "kind": "inject", "actor": "facilitator",
                             "subject": inject["title"], "text": None})
        self._bump()
        return event

    def _bump(self) -> None:
        self._version += 1
        self._lock.notify_all()

    # -- acting -------------------------------------------------------------------
    def act(self, action, *, facilitator: bool = False) -> dict[str, Any]:
        kind = action.action
        with self._lock:
            if kind in FACILITATOR_ACTIONS and not facilitator:
                raise TabletopError(f"only the facilitator may {kind}")
            t = self._now()
            getattr(self, f"_{kind}", self._other)(action, t)
            entry = {"n": len(self.journal) + 1, "t": t, "wall": (START + timedelta(seconds=t)).isoformat(),
                     "by": getattr(action, "by", None), "action": action.model_dump(mode="json", exclude_none=True)}
            self.journal.append(entry)
            text = getattr(action, "text", None)
            self._record.append({"n": len(self._record) + 1, "t": t, "kind": kind,
                                 "actor": getattr(action, "by", None) or ("facilitator" if facilitator else "room"),
                                 "subject": getattr(action, "phase", "") or "", "text": text})
            self._bump()
            return entry

    def _start(self, action, t):
        if self._phase != "ready":
            raise TabletopError("the clock has already started")
        self._phase, self._since = "running", self._clock[0]

    def _pause(self, action, t):
        if self._phase != "running":
            raise TabletopError("the clock is not running")
        self._t, self._since, self._phase = t, None, "paused"

    def _resume(self, action, t):
        if self._phase != "paused":
            raise TabletopError("the clock is not paused")
        self._since, self._phase = self._clock[0], "running"

    def _speed(self, action, t):
        self._t, self._since = t, (self._clock[0] if self._since is not None else None)
        self._factor = action.factor

    def _release(self, action, t):
        if action.inject >= len(self._injects):
            raise TabletopError(f"no inject {action.inject}")
        inject = self._injects[action.inject]
        if inject["status"] == "released":
            raise TabletopError(f"inject {action.inject} was already released")
        self._deliver(inject, t)

    def _hold(self, action, t):
        self._injects[action.inject]["status"] = "held"

    def _end(self, action, t):
        self._t, self._since, self._phase = t, None, "hotwash"

    def _finish(self, action, t):
        if self._phase != "hotwash":
            raise TabletopError("end the drill first")
        self._phase = "finished"

    def _acknowledge(self, action, t):
        open_pages = [p for p in self._pages if p["state"] == "open"]
        if not open_pages:
            raise TabletopError("nothing to acknowledge: no page is waiting for an answer")
        open_pages[0]["state"] = "acknowledged"
        self._milestones["acknowledged"] = t
        self._events.append(Event(t=t, kind="acknowledged", actor=action.by or "amara", subject="page-1"))

    def _update(self, action, t):
        self._updates.append({"t": t, "phase": action.phase, "text": action.text})

    def _hotwash(self, action, t):
        if self._phase != "hotwash":
            raise TabletopError("hot-wash notes come after the drill has ended")
        self._hotwash.append({"kind": action.kind, "text": action.text, "by": action.by, "t": t})

    def _other(self, action, t):
        if self._phase in ("hotwash", "finished"):
            raise TabletopError("the drill has ended; only hot-wash notes now")

    # -- watching ---------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self._version

    def wait_changed(self, version: int, timeout: float) -> int:
        with self._lock:
            self._lock.wait_for(lambda: self._version > version, timeout)
            return self._version

    def timeline(self) -> Timeline:
        with self._lock:
            return Timeline(scenario="fake", mode="tabletop", started_at=START, events=tuple(self._events))

    def state(self, *, facilitator: bool) -> dict[str, Any]:
        with self._lock:
            t = self._now()
            injects = [dict(i) for i in self._injects]
            if not facilitator:
                injects = [{k: v for k, v in i.items() if k != "facilitator"} for i in injects
                           if i["status"] == "released"]
            return {
                "version": self._version, "phase": self._phase,
                "scenario": {"id": "fake", "title": "Checkout is down", "kind": "outage", "severity": "sev2",
                             "summary": "A fake drill"},
                "team": "payments",
                "clock": {"t": t, "speed": self._factor, "running": self._phase == "running",
                          "start": START.isoformat(), "now_wall": (START + timedelta(seconds=t)).isoformat()},
                "severity": "sev2", "injects": injects, "signals": [], "alerts": [],
                "pages": [dict(p) for p in self._pages], "waiting": [],
                "runbooks": [{"id": "failover", "title": "Fail over the database", "started": False,
                              "steps": [{"step": 1, "do": "Promote the replica", "state": "pending"}]}],
                "status_page": {"components": [{"service": "checkout", "status": "major_outage"}],
                                "updates": list(self._updates)},
                "members": MEMBERS, "severities": ["sev1", "sev2", "sev3"],
                "parties": ["customers", "regulator", "leadership"],
                "milestones": dict(self._milestones), "record": [dict(r) for r in self._record],
                "hotwash": list(self._hotwash),
            }

    def hotwash(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._hotwash)


# -- the real session, on a clock the test moves ----------------------------------------------
SCENARIO = "db-primary-data-deleted"
#: When that scenario first pages the on-call (its first alert), in drill seconds.
FIRST_PAGE = 150.0
#: A card of it with facilitator notes and questions, delivered late (14h).
LATE_CARD = 12


def real_tabletop(clock: list[float]):
    """A :class:`simulator.tabletop.Tabletop` of SCENARIO against the example team, read
    from ``clock`` (the test's monotonic seconds), and the list its journal entries are
    appended to as they are accepted."""
    from drillbit.resolve import resolve
    from simulator.tabletop import Tabletop

    inputs = resolve(SCENARIO)
    session = Tabletop(inputs.scenario, inputs.team, inputs.runbooks, start=datetime(2026, 11, 2, 10, tzinfo=timezone.utc),
                       seed=1, monotonic=lambda: clock[0])
    journal: list[dict[str, Any]] = []
    session.subscribe(on_entry=journal.append)
    return session, journal
