"""Applying and restoring faults through the ledger, so that nothing is ever applied
without its restore written down first, and everything written down can be undone by
this process, by the watchdog, or by ``drillbit chaos recover`` after a crash.

The game-day runner holds its faults in :func:`held_faults` (every exit restores them,
Ctrl-C included) and wraps itself in :func:`sigterm_raises` so a SIGTERM unwinds the
same way.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from docker import DockerClient
from docker.models.containers import Container

from .engine import connect
from .errors import ChaosError
from .faults import FAULTS, Fault, FaultError, Restore
from .ledger import APPLIED, RESTORE_FAILED, RESTORED, Entry, Ledger


def apply_fault(client: DockerClient, fault: Fault, container: Container, ledger: Ledger, *,
                host: str | None = None, checked: bool = False) -> Entry:
    """Check, prepare, write the restore to ``ledger``, apply and verify ``fault`` on
    ``container``; return its entry (state ``applied``). ``host`` is the engine
    ``client`` talks to (None: the environment's), recorded so a restore finds it again.
    ``checked``: the caller already ran ``fault.check`` on this container (a game day at
    plan time, ``drillbit chaos apply`` before printing its plan), so the fault fires
    without running the tool checks again; prepare and apply still refuse what they
    cannot do, after the ledger entry, which then restores at once.

    Raises FaultError (or LedgerError) if it cannot be applied; if anything fails after
    the ledger entry was written (KeyboardInterrupt included), the fault is restored at
    once and the error raised, with a note if that restore failed too."""
    if not checked:
        fault.check(client, container)
    fault.ledger_path = ledger.path
    data = fault.prepare(client, container)
    restore = Restore(kind=fault.kind, container=container.id, name=container.name, host=host, data=data)
    entry_id = ledger.begin(restore, fault.params)
    try:
        fault.apply(client, container, restore)
        fault.verify_applied(client, container, restore)
    except BaseException as exc:
        try:
            restore_fault(ledger, ledger.get(entry_id))
        except ChaosError as failed:
            exc.add_note(f"restoring it failed too: {failed}; the ledger keeps it for `drillbit chaos recover`")
        if isinstance(exc, ChaosError) or not isinstance(exc, Exception):
            raise
        raise FaultError(f"applying {fault.kind} to container {container.name} failed: {exc}") from exc
    # What apply learned (the PIDs a kill-process killed) joins the record it started from.
    return ledger.mark(entry_id, APPLIED, restore=restore)


def restore_fault(ledger: Ledger, entry: Entry) -> Entry:
    """Restore the fault ``entry`` records and verify nothing of it is left; return the
    ``restored`` entry. Idempotent: a fault already restored, or on a container removed
    since, restores again without error. Raises FaultError (the entry then reads
    ``restore-failed`` with the reason) if the restore fails or cannot be verified."""
    kind = FAULTS.get(entry.restore.kind)
    try:
        if kind is None:
            raise FaultError(f"this drillbit knows no fault kind {entry.restore.kind!r} to restore")
        client = connect(entry.restore.host)
        kind.restore(client, entry.restore)
        kind.verify_restored(client, entry.restore)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, then raised as ours
        reason = str(exc) if isinstance(exc, ChaosError) else f"{type(exc).__name__}: {exc}"
        ledger.mark(entry.id, RESTORE_FAILED, error=reason)
        if isinstance(exc, ChaosError):
            raise
        raise FaultError(f"restoring {entry.restore.kind} on container {entry.restore.name} failed: {reason}") from exc
    return ledger.mark(entry.id, RESTORED)


def recover(ledger: Ledger, *, runner_pid: int | None = None) -> list[tuple[Entry, Entry]]:
    """Restore and verify every outstanding fault in ``ledger`` (only runner
    ``runner_pid``'s, if given), newest first so faults stacked on one container unwind
    in order. Returns (entry, outcome) pairs: the outcome is the entry written after
    trying, ``restored`` or ``restore-failed`` with its error. Raises nothing for a
    fault that fails; it stays outstanding."""
    outcomes = []
    for entry in reversed(ledger.outstanding(runner_pid)):
        try:
            outcome = restore_fault(ledger, entry)
        except ChaosError:
            outcome = ledger.get(entry.id)
        outcomes.append((entry, outcome))
    return outcomes


class Held:
    """The faults one runner holds; see :func:`held_faults`."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.entries: list[Entry] = []

    def apply(self, client: DockerClient, fault: Fault, container: Container, *, host: str | None = None,
              checked: bool = False) -> Entry:
        """:func:`apply_fault`, remembered for restoring on exit."""
        entry = apply_fault(client, fault, container, self.ledger, host=host, checked=checked)
        self.entries.append(entry)
        return entry

    def restore(self, entry: Entry) -> Entry:
        """Restore one held fault now (its duration ended); raises FaultError."""
        self.entries = [e for e in self.entries if e.id != entry.id]
        return restore_fault(self.ledger, entry)

    def restore_all(self) -> list[tuple[Entry, ChaosError]]:
        """Restore every held fault, newest first; return those that failed."""
        failed = []
        while self.entries:
            entry = self.entries.pop()
            try:
                restore_fault(self.ledger, entry)
            except ChaosError as exc:
                failed.append((entry, exc))
        return failed


@contextmanager
def held_faults(ledger: Ledger) -> Iterator[Held]:
    """A block whose applied faults are all restored when it exits, however it exits
    (an error, KeyboardInterrupt, :class:`Terminated`). A restore that fails is added as
    a note to the exception that ended the block, or raised as FaultError after a
    clean exit; either way the ledger keeps the fault for ``recover``."""
    held = Held(ledger)
    try:
        yield held
    except BaseException as exc:
        for entry, error in held.restore_all():
            exc.add_note(f"restoring {entry.restore.kind} on {entry.restore.name} failed: {error}")
        raise
    failed = held.restore_all()
    if failed:
        raise FaultError("; ".join(f"restoring {e.restore.kind} on {e.restore.name} failed: {err}"
                                   for e, err in failed))


class Terminated(BaseException):
    """A SIGTERM arrived inside :func:`sigterm_raises` (a BaseException, like
    KeyboardInterrupt, so ``except Exception`` does not swallow it)."""


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Inside the block, SIGTERM raises :class:`Terminated` (so held faults unwind and
    restore) instead of killing the process. Main thread only."""

    def raise_terminated(signum, frame):  # noqa: ARG001
        raise Terminated(f"terminated by signal {signum}")

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
