"""Where the running game day listens, for ``drillbit mark`` in another terminal.

A game day writes ``$XDG_STATE_HOME/drillbit/gameday.json`` (``~/.local/state/drillbit``
when the variable is unset or relative) once its receiver is up, and removes it when it
ends. The file holds the receiver's URL and its bearer token, so it is readable by its
owner alone (0600) and written atomically (a reader never sees half a file)::

    {"url": "http://127.0.0.1:9095", "token": "...", "pid": 4242,
     "scenario": "shop-outage", "started": "2026-12-01T10:00:00+00:00"}

A file whose process is gone (the game day was killed) counts as no game day.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from scenarios import DrillbitError
from scenarios.base import Record

from .files import write_text

FILE_NAME = "gameday.json"
NOT_RUNNING = "no game day is running on this machine; start one with `drillbit gameday …`"


class GameDayStateError(DrillbitError):
    """No game day to talk to (no file, a stale one, an unreadable one), or one already running."""


class RunningGameDay(Record):
    """What the state file says: the receiver's ``url`` and ``token``, the game day's
    process id, its scenario id and when it started (tz-aware)."""

    url: str
    token: str
    pid: int
    scenario: str
    started: datetime


def state_path(env: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """The state file's path for this user."""
    env = os.environ if env is None else env
    state = env.get("XDG_STATE_HOME", "")
    # The XDG spec says a relative path is to be ignored.
    base = Path(state) if state and os.path.isabs(state) else Path(env.get("HOME") or os.path.expanduser("~")) / ".local" / "state"
    return base / "drillbit" / FILE_NAME


def write_state(url: str, token: str, *, scenario: str, started: datetime, pid: int | None = None,
                path: Path | None = None) -> Path:
    """Record that this process (or ``pid``) runs a game day of ``scenario`` whose
    receiver is at ``url``. Raises GameDayStateError when another live game day already
    holds the file (two at once would take each other's marks), OutputError when it
    cannot be written."""
    path = state_path() if path is None else path
    try:
        other = read_state(path)
    except GameDayStateError:
        other = None
    me = os.getpid() if pid is None else pid
    if other is not None and other.pid != me:
        raise GameDayStateError(f"another game day is running on this machine: {other.scenario} (pid {other.pid}, "
                                f"{other.url}); end it first, or wait for it to finish")
    doc = {"url": url, "token": token, "pid": me, "scenario": scenario, "started": started.isoformat()}
    return write_text(path, json.dumps(doc, indent=2) + "\n", "game-day state file", mode=0o600)


def read_state(path: Path | None = None) -> RunningGameDay:
    """The running game day. Raises GameDayStateError when there is none: no file, a
    file whose process has ended, or a file that is not a game day's."""
    path = state_path() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GameDayStateError(NOT_RUNNING) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GameDayStateError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GameDayStateError(f"{path}:{exc.lineno}:{exc.colno}: not a game-day state file ({exc.msg}); "
                                "remove it if no game day is running") from None
    state = RunningGameDay.checked(doc, GameDayStateError, str(path))
    if not _alive(state.pid):
        raise GameDayStateError(f"{NOT_RUNNING} (the game day of {state.scenario}, pid {state.pid}, has ended "
                                f"without removing {path})")
    return state


def clear_state(path: Path | None = None, *, pid: int | None = None) -> bool:
    """Remove the state file if it belongs to this process (or ``pid``); another game
    day's file is left alone. True when a file was removed."""
    path = state_path() if path is None else path
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(doc, dict) or doc.get("pid") != (os.getpid() if pid is None else pid):
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, though not ours
        return True
    except OverflowError:
        return False
    return True
