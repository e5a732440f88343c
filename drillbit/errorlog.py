"""The traceback of an internal error, kept where only its user can read it.

The log goes to a per-user folder ($XDG_STATE_HOME/drillbit/errors, else
~/.local/state/drillbit/errors; a per-user folder in the temp folder when the home is not
writable). The folder must be a real directory of ours, closed to others (0700); the
file is created exclusively, never through a symlink, readable by its owner alone
(0600); only the last KEEP logs stay."""

from __future__ import annotations

import os
import stat
import tempfile
import time
from pathlib import Path

KEEP = 10
PREFIX = "drillbit-error-"
SUFFIX = ".log"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def candidate_folders(env: dict[str, str] | os._Environ[str] | None = None) -> list[Path]:
    """Where a log may go, best first."""
    env = os.environ if env is None else env
    folders = []
    state = env.get("XDG_STATE_HOME", "")
    # The XDG spec ignores a relative path: it would put logs wherever drillbit ran.
    if state and os.path.isabs(state):
        folders.append(Path(state) / "drillbit" / "errors")
    home = env.get("HOME") or os.path.expanduser("~")
    if home and os.path.isabs(home):
        folders.append(Path(home) / ".local" / "state" / "drillbit" / "errors")
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    folders.append(Path(tempfile.gettempdir()) / f"drillbit-{uid}")
    return folders


def write_error_log(text: str, *, folders: list[Path] | None = None, keep: int = KEEP) -> Path | None:
    """Write ``text`` to a new log file and return its path, or None when no folder is
    safe to write to (the caller then says so; it never falls back to an unsafe place).
    Removes all but the newest ``keep`` logs of the folder."""
    for folder in candidate_folders() if folders is None else folders:
        try:
            dir_fd = _open_private_folder(folder)
        except OSError:
            continue
        try:
            name = _create(dir_fd, text)
            _rotate(dir_fd, keep)
            return folder / name
        except OSError:
            continue
        finally:
            os.close(dir_fd)
    return None


def _open_private_folder(folder: Path) -> int:
    """An fd of ``folder`` (created 0700 if missing), after checking that it is a real
    directory owned by this user and closed to others. Raises OSError otherwise."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    # O_NOFOLLOW: a symlink planted in the folder's place is refused, not followed.
    fd = os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    try:
        st = os.fstat(fd)
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(str(folder))
        if hasattr(os, "getuid"):
            if st.st_uid != os.getuid():
                raise PermissionError(f"{folder} belongs to another user")
            if st.st_mode & 0o077:
                os.fchmod(fd, 0o700)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _create(dir_fd: int, text: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for n in range(100):
        name = f"{PREFIX}{stamp}-{os.getpid()}{f'-{n}' if n else ''}{SUFFIX}"
        try:
            fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        return name
    raise FileExistsError("no free name for an error log")


def _rotate(dir_fd: int, keep: int) -> None:
    logs = []
    with os.scandir(dir_fd) as entries:
        for e in entries:
            if e.name.startswith(PREFIX) and e.name.endswith(SUFFIX):
                try:
                    logs.append((e.stat(follow_symlinks=False).st_mtime_ns, e.name))
                except OSError:
                    continue
    for _, name in sorted(logs)[:-keep or None]:
        try:
            # unlink removes a symlink itself, never what it points to
            os.unlink(name, dir_fd=dir_fd)
        except OSError:
            pass
