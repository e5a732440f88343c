"""Writing the files and folders a command was asked to write: checked first, written
whole or not at all.

A file is written to a temporary file beside it, flushed to disk and renamed over the
target, so a failure half-way (a full disk, text that cannot be encoded, Ctrl-C)
leaves whatever was there before untouched. Every failure is an OutputError naming the
path and what is wrong with it, which the CLI shows as one line with exit 2.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, TextIO, TypeVar

from scenarios import DrillbitError


T = TypeVar("T")


class OutputError(DrillbitError):
    """A file or folder a command was asked to write that cannot be written."""


_REASONS = {
    errno.EACCES: "permission denied", errno.EPERM: "permission denied", errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device", errno.EDQUOT: "the disk quota is exhausted",
    errno.ENAMETOOLONG: "the name is too long", errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file", errno.EEXIST: "a file is in the way",
    errno.ELOOP: "too many symbolic links",
}


def reason(exc: OSError) -> str:
    """A short phrase for why ``exc`` happened, for a person."""
    return _REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)


def _blocking_file(path: Path) -> Path | None:
    """The first existing ancestor of ``path`` that is not a folder (``--out file/sub``)."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def ensure_dir(path: Path, what: str = "output folder") -> Path:
    """Create the folder ``path`` (and its parents) if missing and check that files can
    be written in it. Raises OutputError otherwise."""
    path = Path(path)
    blocker = _blocking_file(path / "x")
    if blocker is not None:
        raise OutputError(f"cannot use {path} as the {what}: {blocker} is {'a file' if blocker.is_file() else 'a device or pipe'}, "
                          "not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the {what} {path}: {reason(exc)}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write into the {what} {path}: permission denied")
    return path


def check_file_target(path: Path, what: str = "output file", *, hint: str = "name a regular file") -> Path:
    """Check that ``path`` can become a regular file written by :func:`write_text`: not
    a folder, not a device or pipe (``/dev/null``), in a folder that exists or can be
    created and is writable. Creates the missing folders. Raises OutputError."""
    path = Path(path)
    try:
        mode = path.stat().st_mode if path.exists() or path.is_symlink() else None
    except OSError as exc:
        raise OutputError(f"cannot write the {what} {path}: {reason(exc)}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"cannot write the {what} {path}: it is a folder; name a file")
    if mode is not None and not stat.S_ISREG(mode):
        raise OutputError(f"cannot write the {what} {path}: it is not a regular file (a device, pipe or socket); {hint}")
    ensure_dir(path.parent, f"folder of the {what}")
    return path


@contextmanager
def _replacement(path: Path, mode: int, *, exclusive: bool = False) -> Iterator[BinaryIO]:
    """A temporary file beside ``path`` to write into; once the block ends well it is
    flushed to disk, given ``mode`` and renamed over ``path`` (with ``exclusive``,
    linked, which fails if ``path`` exists). On any failure it is removed and the
    error goes on: ``path`` is as it was. Raises OSError."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if exclusive:
            # link() fails if the name exists: the check and the write are one step
            os.link(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    sync_dir(path.parent)


def write_bytes(path: Path, data: bytes, what: str = "output file", *, exclusive: bool = False,
                mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically. With ``exclusive``, refuse if ``path``
    exists (checked again at the rename, so two writers cannot both win). ``mode``
    (e.g. 0o600 for a file holding a secret) replaces a new file's mode; the temporary
    file is private until then, so the data is never readable by others. Raises
    OutputError; on any failure the file at ``path`` is as it was."""
    path = check_file_target(Path(path), what)
    if exclusive and path.exists():
        raise OutputError(f"{path} already exists; not overwriting it")
    try:
        with _replacement(path, new_file_mode() if mode is None else mode, exclusive=exclusive) as f:
            f.write(data)
    except OSError as exc:
        if exclusive and exc.errno == errno.EEXIST:
            raise OutputError(f"{path} already exists; not overwriting it") from None
        raise OutputError(f"cannot write the {what} {path}: {reason(exc)}") from None
    return path


def write_compressed(path: Path, chunks: Iterable[str], what: str, *, level: int) -> Path:
    """Write the UTF-8 text of ``chunks`` gzip-compressed at ``level`` (no time stamp in
    the header, so the same text gives the same bytes) atomically, as the chunks come:
    the text is never held whole. Raises OutputError; on any failure the file at
    ``path`` is as it was."""
    path = check_file_target(Path(path), what)
    try:
        with (_replacement(path, new_file_mode()) as raw,
              gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=level, mtime=0) as z):
            for chunk in chunks:
                z.write(chunk.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write the {what} {path}: {reason(exc)}") from None
    return path


def write_streamed(path: Path, write: Callable[[TextIO], T]) -> T:
    """Run ``write(file)`` on a UTF-8 text file (line ends as written) that becomes
    ``path`` only once complete; returns what ``write`` returned. A failure (a full
    disk, a read error, Ctrl-C) leaves no file behind and an existing ``path`` as it
    was. The file gets the mode of the file it replaces, else a new file's. A device or
    pipe (/dev/null, a FIFO) is written directly: it cannot be replaced, only written to.
    Raises OSError as the system words it (IsADirectoryError for a folder), for
    commands that show the system's own words."""
    path = Path(path)
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8", newline="") as f:
            return write(f)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else new_file_mode()
    with _replacement(path, mode) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        result = write(text)
        text.flush()
        text.detach()  # the binary file is flushed to disk and closed by _replacement
    return result


def write_text(path: Path, text: str, what: str = "output file", *, exclusive: bool = False,
               mode: int | None = None) -> Path:
    """Write ``text`` as UTF-8 (``\\n`` line ends) atomically; see :func:`write_bytes`.
    Text that UTF-8 cannot hold (a lone surrogate) is refused before any file is touched."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        where = text[max(0, exc.start - 20):exc.start].rsplit("\n", 1)[-1]
        raise OutputError(f"cannot write the {what} {path}: the text holds {text[exc.start]!r} after {where!r}, "
                          "which UTF-8 cannot encode (a lone surrogate, from an input file); nothing was written") from None
    return write_bytes(path, data, what, exclusive=exclusive, mode=mode)


def new_file_mode() -> int:
    """The mode a file the user creates gets (0o666 less the umask); a temporary file
    made private by mkstemp takes it before it is renamed into place."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def sync_dir(folder: Path) -> None:
    """Make a rename or a new file's name durable; not every file system lets a folder be opened."""
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


class FolderLock:
    """An exclusive lock on a folder while a command writes into it, so that two runs
    into one folder refuse rather than interleave. The lock is an ``flock`` on a file
    in the folder: the system drops it when the process ends, however it ends, so a
    killed run never leaves the folder locked."""

    NAME = ".drillbit.lock"

    def __init__(self, folder: Path):
        self.path = Path(folder) / self.NAME
        self._fd: int | None = None

    def __enter__(self) -> "FolderLock":
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            raise OutputError(f"cannot lock the output folder {self.path.parent}: {reason(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OutputError(f"another drillbit command is writing into {self.path.parent}; wait for it to finish "
                              "or choose another folder") from None
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            try:
                os.unlink(self.path)
            except OSError:
                pass
            os.close(self._fd)
            self._fd = None
