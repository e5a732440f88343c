"""A watchdog process that outlives the game-day runner: when the runner is gone
(SIGKILL, a crash, an exit that skipped its restores) it recovers that runner's
outstanding faults from the ledger, then exits. It runs in its own session, so a
Ctrl-C or a kill of the runner's process group does not reach it, and it ignores
SIGINT and SIGHUP besides.

Run by :func:`start_watchdog` as ``python -m chaos.watchdog --ledger PATH --runner PID``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

#: How often the watchdog looks for the runner, in seconds.
POLL = 0.2
#: How long it keeps retrying restores that fail (an engine restarting), in seconds.
GIVE_UP = 60.0


def process_start(pid: int) -> str | None:
    """The kernel's start time of process ``pid`` (to tell it from a later process
    given the same pid), or None where /proc cannot say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def runner_alive(pid: int, start: str | None = None) -> bool:
    """Whether process ``pid`` (started at ``start``, if known) still runs. A zombie —
    killed, not yet reaped by its parent — is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0] not in ("Z", "X") and (start is None or fields[19] == start)


def start_watchdog(ledger_path: str | os.PathLike[str], runner_pid: int | None = None) -> int:
    """Spawn the watchdog for runner ``runner_pid`` (default: this process) over the
    ledger at ``ledger_path`` and return its pid. Its log goes to
    ``<ledger_path>.watchdog.log``."""
    runner_pid = os.getpid() if runner_pid is None else runner_pid
    ledger_path = Path(ledger_path)
    ledger_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    argv = [sys.executable, "-m", "chaos.watchdog", "--ledger", str(ledger_path), "--runner", str(runner_pid)]
    start = process_start(runner_pid)
    if start is not None:
        argv += ["--runner-start", start]
    env = dict(os.environ)
    # The watchdog imports this same chaos package, wherever the runner found it.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent),
                                                      env.get("PYTHONPATH")]))
    with open(f"{ledger_path}.watchdog.log", "ab") as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                   start_new_session=True, close_fds=True, cwd="/")
    return process.pid


def watch(ledger_path: Path, runner_pid: int, runner_start: str | None, *, poll: float = POLL,
          give_up: float = GIVE_UP) -> int:
    """Wait for the runner to be gone, then recover its faults; 0 when nothing of them
    is outstanding, 1 if some could not be restored within ``give_up`` seconds."""
    from .ledger import Ledger
    from .session import recover

    ledger = Ledger(ledger_path)
    while runner_alive(runner_pid, runner_start):
        time.sleep(poll)
    deadline = time.monotonic() + give_up
    while True:
        for entry, outcome in recover(ledger, runner_pid=runner_pid):
            _log(f"{outcome.state} {entry.restore.kind} on {entry.restore.name} ({entry.id})"
                 + (f": {outcome.error}" if outcome.error else ""))
        if not ledger.outstanding(runner_pid):
            return 0
        if time.monotonic() > deadline:
            _log(f"giving up; still outstanding: {', '.join(e.id for e in ledger.outstanding(runner_pid))}")
            return 1
        time.sleep(1.0)


def detached_log(role: str, message: str) -> None:
    """One line to a detached process's log (its stderr is the file its starter opened)."""
    sys.stderr.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} chaos {role} {os.getpid()}: {message}\n")
    sys.stderr.flush()


def ignore_terminal_signals() -> None:
    """A Ctrl-C in the runner's terminal, or that terminal closing, is not for a
    detached process (the watchdog is the one left to restore the runner's faults)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def _log(message: str) -> None:
    detached_log("watchdog", message)


def main(argv: list[str] | None = None) -> int:
    ignore_terminal_signals()
    parser = argparse.ArgumentParser(prog="python -m chaos.watchdog")
    parser.add_argument("--ledger", required=True, type=Path)
    parser.add_argument("--runner", required=True, type=int)
    parser.add_argument("--runner-start")
    parser.add_argument("--poll", type=float, default=POLL)
    parser.add_argument("--give-up", type=float, default=GIVE_UP)
    args = parser.parse_args(argv)
    try:
        return watch(args.ledger, args.runner, args.runner_start, poll=args.poll, give_up=args.give_up)
    except Exception as exc:  # noqa: BLE001 - the log is all a detached process has
        _log(f"failed: {type(exc).__name__}: {exc}")
        return 3


if __name__ == "__main__":
    sys.exit(main())
