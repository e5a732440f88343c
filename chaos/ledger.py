"""The safety ledger: every fault's restore record, written durably before the fault
touches a container, so that a runner killed by SIGKILL or a power loss leaves enough
behind for ``recover`` (or the watchdog) to undo it.

The ledger is a JSON Lines file. Each line is one whole, self-contained entry (the
record, the fault's parameters, the runner's pid, a state and a wall-clock time); a
fault's current state is its last line. Lines are only ever appended, each with one
``write`` under an exclusive ``flock`` (the runner and the watchdog write the same file)
and followed by ``fsync`` of the file — and of its folder when the file was created —
so an entry that ``begin`` returned survives a power loss. A torn last line (the
machine died mid-write) is skipped when reading, and the next append starts a new line
rather than completing it.

Appending forever would grow the file forever: :meth:`Ledger.compact` (run by itself
when an append leaves the file past :data:`COMPACT_AT` bytes) rewrites it as one line
per fault, keeping every outstanding fault and the newest finished ones. It writes a
new file beside the old one, fsyncs it and renames it over the old one (then fsyncs
the folder), all under the same lock, so a crash at any point leaves either the old
file or the new one whole. A writer that was waiting for the lock on the old file
notices it was replaced and opens the new one.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .errors import ChaosError
from .faults.base import Restore

#: A fault whose apply was started; it may be partly in effect.
APPLYING = "applying"
APPLIED = "applied"
RESTORED = "restored"
#: A restore was tried and failed (or could not be verified): still to be restored.
RESTORE_FAILED = "restore-failed"
STATES = (APPLYING, APPLIED, RESTORED, RESTORE_FAILED)
#: States that mean something of the fault may still be in effect.
OUTSTANDING = (APPLYING, APPLIED, RESTORE_FAILED)
#: An append that leaves the ledger larger than this (bytes) compacts it.
COMPACT_AT = 1 << 20
#: How many finished faults (the most recently finished) a compaction keeps, so
#: ``drillbit chaos status`` still has a history to show.
KEEP_FINISHED = 200


class LedgerError(ChaosError):
    """The ledger cannot be read or written, or names no such entry."""


def default_ledger_path() -> Path:
    """``$DRILLBIT_CHAOS_LEDGER``, else ``$XDG_STATE_HOME/drillbit/chaos-ledger.jsonl``,
    else ``~/.local/state/drillbit/chaos-ledger.jsonl``."""
    explicit = os.environ.get("DRILLBIT_CHAOS_LEDGER")
    if explicit:
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "drillbit" / "chaos-ledger.jsonl"


@dataclass(frozen=True)
class Entry:
    """One fault's state as of one ledger line. ``time`` is tz-aware (UTC)."""

    id: str
    state: str
    restore: Restore
    params: dict[str, Any] = field(default_factory=dict)
    runner_pid: int = 0
    time: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    error: str | None = None

    @property
    def outstanding(self) -> bool:
        return self.state in OUTSTANDING

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "time": self.time.isoformat(timespec="milliseconds"),
                "runner_pid": self.runner_pid, "restore": asdict(self.restore), "params": self.params,
                "error": self.error}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Entry:
        r = raw["restore"]
        restore = Restore(kind=r["kind"], container=r["container"], name=r["name"], host=r.get("host"),
                          data=dict(r.get("data") or {}))
        if raw["state"] not in STATES:
            raise ValueError(f"unknown state {raw['state']!r}")
        return cls(id=raw["id"], state=raw["state"], restore=restore, params=dict(raw.get("params") or {}),
                   runner_pid=int(raw.get("runner_pid") or 0), time=datetime.fromisoformat(raw["time"]),
                   error=raw.get("error"))


class Ledger:
    """The ledger at ``path`` (None: :func:`default_ledger_path`). Creating one touches
    nothing; the file and its folder are made on the first write."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, compact_at: int | None = COMPACT_AT,
                 keep_finished: int = KEEP_FINISHED) -> None:
        self.path = Path(path) if path is not None else default_ledger_path()
        #: Compact when an append leaves the file larger than this many bytes (None: never).
        self.compact_at = compact_at
        self.keep_finished = keep_finished

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- writing -------------------------------------------------------------------

    def begin(self, restore: Restore, params: dict[str, Any] | None = None) -> str:
        """Write ``restore`` durably in state ``applying`` and return the new entry's id.
        Call it after ``prepare`` and before ``apply``. Raises LedgerError if the entry
        cannot be written (then the fault must not be applied)."""
        entry = Entry(id=uuid.uuid4().hex[:16], state=APPLYING, restore=restore, params=dict(params or {}),
                      runner_pid=os.getpid())
        self._append(lambda _current: entry)
        return entry.id

    def mark(self, entry_id: str, state: str, error: str | None = None, *, restore: Restore | None = None) -> Entry:
        """Append the fault's new ``state`` (with the error that caused it, if any) and
        return the entry written; ``restore`` replaces the record written by ``begin``
        when applying added facts to it (never one of another fault). Raises LedgerError
        for an unknown id or state."""
        if state not in STATES:
            raise LedgerError(f"unknown ledger state {state!r}; expected one of {', '.join(STATES)}")

        def next_entry(current: dict[str, Entry]) -> Entry:
            last = current.get(entry_id)
            if last is None:
                raise LedgerError(f"the ledger {self.path} has no entry {entry_id!r}")
            if restore is not None and (restore.kind, restore.container) != (last.restore.kind, last.restore.container):
                raise LedgerError(f"entry {entry_id!r} records {last.restore.kind} on {last.restore.container}, "
                                  f"not {restore.kind} on {restore.container}")
            return Entry(id=entry_id, state=state, restore=last.restore if restore is None else restore,
                         params=last.params,
                         runner_pid=last.runner_pid, error=error)

        return self._append(next_entry)

    def compact(self, keep_finished: int | None = None) -> int:
        """Rewrite the ledger as one line per fault (its current entry, in the order faults
        were begun): every outstanding fault, and the ``keep_finished`` (default: the
        ledger's, 200) most recently finished ones. Returns how many faults were dropped.
        Atomic and durable (see the module); raises LedgerError if it cannot be done,
        and the old file is then unchanged."""
        keep = self.keep_finished if keep_finished is None else keep_finished
        try:
            f = self._open_locked(fcntl.LOCK_EX)
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise LedgerError(f"cannot open the chaos ledger {self.path}: {exc.strerror}") from None
        with f:
            f.seek(0)
            try:
                return self._compact_locked(f.read(), keep)
            except OSError as exc:
                raise LedgerError(f"cannot compact the chaos ledger {self.path}: {exc.strerror}") from None

    def _compact_locked(self, raw: bytes, keep: int) -> int:
        # Called holding the exclusive lock on the current file.
        current = _current(raw)
        finished = sorted((e for e in current.values() if not e.outstanding), key=lambda e: e.time)
        newest = {e.id for e in finished[len(finished) - keep:]} if keep > 0 else set()
        kept = [e for e in current.values() if e.outstanding or e.id in newest]
        for stale in self.path.parent.glob(f".{self.path.name}.compact-*"):
            stale.unlink(missing_ok=True)  # left by a compaction that crashed: no one else holds the lock
        partial = self.path.with_name(f".{self.path.name}.compact-{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(b"".join(_line(e) for e in kept))
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, self.path)
        _fsync_dir(self.path.parent)
        return len(current) - len(kept)

    def _open_locked(self, lock: int, *, create: bool = False):  # noqa: ANN202 - a binary file
        """The ledger open for reading and appending, locked with ``lock``; if a
        compaction replaced the file while this waited for the lock, the new one."""
        # A reader needs no write access (``chaos status`` on a ledger it may only read).
        flags, mode = (os.O_RDONLY, "rb") if lock == fcntl.LOCK_SH else (os.O_RDWR | os.O_APPEND, "a+b")
        while True:
            fd = os.open(self.path, flags | (os.O_CREAT if create else 0), 0o600)
            f = os.fdopen(fd, mode)
            try:
                fcntl.flock(f, lock)
                mine, now = os.fstat(f.fileno()), os.stat(self.path)
                if (mine.st_ino, mine.st_dev) == (now.st_ino, now.st_dev):
                    return f
            except FileNotFoundError:
                if not create:
                    f.close()
                    raise
            except BaseException:
                f.close()
                raise
            f.close()

    def _append(self, make: Callable[[dict[str, Entry]], Entry]) -> Entry:
        # make: from the current entries by id (read under the lock), the entry to write.
        try:
            created = not self.path.exists()
            if created:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            f = self._open_locked(fcntl.LOCK_EX, create=True)
        except OSError as exc:
            raise LedgerError(f"cannot open the chaos ledger {self.path}: {exc.strerror}") from None
        try:
            with f:
                f.seek(0)
                raw = f.read()
                entry = make(_current(raw))
                line = _line(entry)
                if raw and not raw.endswith(b"\n"):
                    # A torn line from a crash: end it, so this entry is a line of its own.
                    line = b"\n" + line
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
                if self.compact_at is not None and len(raw) + len(line) > self.compact_at:
                    try:
                        self._compact_locked(raw + line, self.keep_finished)
                    except OSError:
                        pass  # the entry is written and durable; compacting can wait for the next append
        except (TypeError, ValueError) as exc:
            raise LedgerError(f"a ledger entry must be JSON (the fault's parameters and record): {exc}") from None
        except OSError as exc:
            raise LedgerError(f"cannot write the chaos ledger {self.path}: {exc.strerror}") from None
        if created:
            _fsync_dir(self.path.parent)
        return entry

    # -- reading -------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every fault's current entry (its last line), in the order faults were begun."""
        try:
            with self._open_locked(fcntl.LOCK_SH) as f:
                f.seek(0)
                raw = f.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise LedgerError(f"cannot read the chaos ledger {self.path}: {exc.strerror}") from None
        return list(_current(raw).values())

    def get(self, entry_id: str) -> Entry:
        """The current entry of fault ``entry_id``; LedgerError if there is none."""
        for entry in self.entries():
            if entry.id == entry_id:
                return entry
        raise LedgerError(f"the ledger {self.path} has no entry {entry_id!r}")

    def outstanding(self, runner_pid: int | None = None) -> list[Entry]:
        """Faults that may still be in effect (applying, applied, restore-failed),
        optionally only those begun by runner ``runner_pid``."""
        return [e for e in self.entries()
                if e.outstanding and (runner_pid is None or e.runner_pid == runner_pid)]


def _line(entry: Entry) -> bytes:
    return json.dumps(entry.to_json(), separators=(",", ":"), allow_nan=False).encode() + b"\n"


def _current(raw: bytes) -> dict[str, Entry]:
    current: dict[str, Entry] = {}
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            entry = Entry.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError):
            continue  # a torn line left by a crash mid-write
        current[entry.id] = entry  # a dict keeps the order of first insertion: begin order
    return current


def _fsync_dir(folder: Path) -> None:
    # A new file's name lives in its folder: without this a power loss can lose the file.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
