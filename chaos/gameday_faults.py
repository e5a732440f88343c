"""The game day's faults on a worker pool: the clock's loop submits applies and
restores and collects what finished, so no Docker call ever blocks the loop that keeps
the drill clock, the limit and the end rule."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from .engine import connect
from .gameday_plan import Placement, PreparedFault
from .ledger import Entry, Ledger
from .session import Held, apply_fault, restore_fault

#: The most Docker calls in flight at once.
MAX_WORKERS = 16


class RunningFault:
    """One fault of the plan as the drill moves it: ``phase`` is planned, applying,
    applied, restoring, restored, restore-failed or failed (its apply failed; what was
    applied of it is restored like any other). Times: ``*_t`` drill seconds, ``*_mono``
    monotonic seconds, both of when the call was made."""

    def __init__(self, prepared: PreparedFault) -> None:
        self.prepared = prepared
        self.model = prepared.model
        self.phase = "planned"
        self.entries: list[Entry] = []
        self.futures: list[Future] = []
        self.applied_t: float | None = None
        self.applied_mono: float | None = None
        self.restore_t: float | None = None
        self.restore_mono: float | None = None
        self.error: str | None = None
        self.failure: BaseException | None = None

    def in_effect(self, at: float, until: float | None = None) -> bool:
        """Whether the fault had been applied by monotonic ``at`` and its restore not
        begun by ``until`` (default ``at``)."""
        end = at if until is None else until
        return (self.applied_mono is not None and self.applied_mono <= at
                and (self.restore_mono is None or end < self.restore_mono))


class FaultRunner:
    """Applies and restores ``faults`` through ``held`` (whose entries it keeps under
    ``lock``, since workers add to them); ``wake`` is set whenever a call finishes."""

    def __init__(self, faults: tuple[PreparedFault, ...], ledger: Ledger, held: Held, lock: threading.RLock,
                 wake: threading.Event) -> None:
        self.faults = [RunningFault(f) for f in faults]
        self.ledger, self.held, self.lock, self.wake = ledger, held, lock, wake
        calls = sum(len(f.placements) for f in faults)
        self.pool = ThreadPoolExecutor(max_workers=max(2, min(MAX_WORKERS, calls)), thread_name_prefix="gameday-docker")
        #: Every entry this drill applied (to tell whether anything of it is outstanding).
        self.applied_ids: list[str] = []

    def _submit(self, rf: RunningFault, fn: Callable, *args) -> None:
        future = self.pool.submit(fn, *args)
        future.add_done_callback(lambda _f: self.wake.set())
        rf.futures.append(future)

    def _apply_one(self, rf: RunningFault, p: Placement) -> None:
        # The plan checked every placement before the drill began (chaos.gameday_plan.prepare).
        entry = apply_fault(connect(p.host), p.fault, p.container, self.ledger, host=p.host, checked=True)
        with self.lock:
            self.held.entries.append(entry)
            rf.entries.append(entry)
            self.applied_ids.append(entry.id)

    def apply(self, rf: RunningFault, t: float, mono: float) -> None:
        rf.phase, rf.applied_t, rf.applied_mono = "applying", t, mono
        for p in rf.prepared.placements:
            self._submit(rf, self._apply_one, rf, p)

    def restore(self, rf: RunningFault, t: float, mono: float) -> None:
        """Restore what of ``rf`` is applied. Its entries leave ``held`` first: a restore
        that fails stays in the ledger for ``chaos recover`` and is reported, not retried."""
        with self.lock:
            ids = {e.id for e in rf.entries}
            self.held.entries = [e for e in self.held.entries if e.id not in ids]
            rf.phase, rf.restore_t, rf.restore_mono = "restoring", t, mono
        rf.futures = []
        for entry in rf.entries:
            self._submit(rf, restore_fault, self.ledger, entry)

    def settle(self) -> list[RunningFault]:
        """Finish the faults whose calls all returned; return those whose phase changed
        (applying -> applied or failed, restoring -> restored or restore-failed)."""
        changed = []
        for rf in self.faults:
            if rf.phase not in ("applying", "restoring") or not all(f.done() for f in rf.futures):
                continue
            errors = [f.exception() for f in rf.futures if f.exception() is not None]
            if rf.phase == "applying":
                rf.phase = "failed" if errors else "applied"
                if errors:
                    rf.failure, rf.error = errors[0], f"applying failed: {errors[0]}"
            else:
                rf.phase = "restore-failed" if errors else "restored"
                if errors:
                    rf.error = "; ".join(str(e) for e in errors)
            changed.append(rf)
        return changed

    def in_flight(self) -> list[Future]:
        return [f for rf in self.faults for f in rf.futures if not f.done()]

    def wait(self) -> None:
        """Wait for every call in flight (interruptible)."""
        pending = self.in_flight()
        if pending:
            wait(pending)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True)
