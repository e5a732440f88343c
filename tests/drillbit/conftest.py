"""Fixtures of the command tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SCENARIO = "db-primary-data-deleted"


@pytest.fixture(scope="module")
def drill(tmp_path_factory) -> Path:
    """Two simulated runs of SCENARIO: their timelines.jsonl, with drill.json beside it."""
    from drillbit.cli import main

    out = tmp_path_factory.mktemp("drill") / "run"
    with pytest.raises(SystemExit):
        main(["simulate", "--no-compress", SCENARIO, "--runs", "2", "--seed", "1", "--start", "2026-11-02T03:00:00+01:00",
              "--out", str(out)])
    return out / "timelines.jsonl"


# -- a stand-in for chaos.gameday.GameDay -------------------------------------------
# The receiver, `drillbit mark` and the live console code against GameDay's contract;
# these tests run them against this small fake, which records what reaches it and
# answers with events as the contract describes, on a clock the test sets.

import threading  # noqa: E402

from chaos.gameday import Alert, FaultState, GameDayError, GameDayState, Mark  # noqa: E402
from chaos.probes import ProbeResult  # noqa: E402
from scenarios.timeline import Event  # noqa: E402

MEMBERS = ("amara", "bo")
ON_CALL = "amara"


class FakeGameDay:
    """What the receiver and the console use of a GameDay, recorded for the test."""

    def __init__(self, clock: float | None = 192.0) -> None:
        self.clock = clock
        self.alerts: list[Alert] = []
        self.marks: list[Mark] = []
        self.events: list[Event] = []
        self.probes: dict[str, ProbeResult] = {}
        self.faults: tuple[FaultState, ...] = ()
        self.ended: str | None = None
        self.stopped: list[str] = []
        self.on_event: list = []
        self._lock = threading.Lock()

    def subscribe(self, on_event=None, on_probe=None, on_fault=None) -> None:
        if on_event is not None:
            self.on_event.append(on_event)

    def record(self, event: Event) -> Event:
        with self._lock:
            self.events.append(event)
        for callback in self.on_event:
            callback(event)
        return event

    def alert(self, alert: Alert) -> list[Event]:
        self.alerts.append(alert)
        if self.clock is None or self.ended:
            return []
        if alert.firing:
            return [self.record(Event(t=self.clock, kind="alert_fired", actor="monitoring", subject=alert.name,
                                      data={"severity": alert.severity or "P2", "service": alert.service,
                                            "routed": True, "policy": "primary", "noise": False}))]
        return [self.record(Event(t=self.clock, kind="alert_resolved", actor="monitoring", subject=alert.name,
                                  data={"noise": False}))]

    def mark(self, mark: Mark) -> list[Event]:
        if self.clock is None:
            raise GameDayError("the game day has not started yet")
        if self.ended:
            raise GameDayError("the game day has ended")
        who = mark.by or ON_CALL
        if who not in MEMBERS:
            raise GameDayError(f"unknown member {who!r} (one of {', '.join(MEMBERS)})")
        if mark.kind == "update" and not mark.phase:
            raise GameDayError("an update needs a phase (investigating, identified, monitoring, resolved)")
        self.marks.append(mark)
        t = self.clock
        kind, data = {
            "ack": ("acknowledged", {"by": who, "page": 1, "page_t": 0.0, "purpose": "incident", "period": "working"}),
            "detected": ("detected", {"via": "internal-report", "fallback": False}),
            "engaged": ("responder_engaged", {"by": who, "role": "responder", "page": 1}),
            "diagnosed": ("diagnosed", {"how": "runbook" if mark.runbook else "improvised", "runbook": mark.runbook}),
            "mitigated": ("mitigated", {"how": "runbook" if mark.runbook else "improvised", "runbook": mark.runbook}),
            "update": ("status_update", {"phase": mark.phase, "public": True, "n": 1}),
            "resolved": ("resolved", {}),
            "note": ("note", {"gap": "observation", "text": mark.text or ""}),
        }[mark.kind]
        return [self.record(Event(t=t, kind=kind, actor=who, subject="shop-outage",
                                  data={k: v for k, v in data.items() if v is not None}))]

    def stop(self, reason: str = "interrupted") -> None:
        self.stopped.append(reason)

    def state(self) -> GameDayState:
        with self._lock:
            return GameDayState(self.clock, dict(self.probes), self.faults, tuple(self.events), self.ended)


@pytest.fixture
def gameday() -> FakeGameDay:
    return FakeGameDay()
