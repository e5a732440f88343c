"""A tabletop's journal, ``tabletop.jsonl``: the header line, then every entry the
session accepted, one JSON object a line.

Each line is appended, flushed and fsynced before the next one is written, so a
drill killed at any instant loses at most the line being written: reading the file
back drops a torn last line (no newline at its end and not JSON) with a warning, and
anything else that is wrong names ``file:line``, because a journal damaged in the
middle cannot be replayed faithfully and guessing would change the drill's record.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios import DrillbitError

from .files import reason, sync_dir


class JournalError(DrillbitError):
    """A journal that cannot be read or written (the message names file:line)."""


@dataclass(frozen=True)
class Journal:
    """A journal read back: its header, its entries in order, how many bytes of the
    file are whole lines (appending continues there) and what was dropped."""

    path: Path
    header: dict[str, Any]
    entries: list[dict[str, Any]]
    whole_bytes: int
    warnings: list[str] = field(default_factory=list)


def _line_doc(path: Path, number: int, raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise JournalError(f"{path}:{number}: not UTF-8 text; the journal is damaged") from None
    except ValueError as exc:
        raise JournalError(f"{path}:{number}: not a JSON object ({exc}); the journal is damaged") from None
    if not isinstance(doc, dict):
        raise JournalError(f"{path}:{number}: expected a JSON object, got {type(doc).__name__}; the journal is damaged")
    return doc


def read_journal(path: Path) -> Journal:
    """The journal at ``path``. A torn last line is dropped (with a warning); an empty
    file, a first line that is no tabletop header, a bad line elsewhere or entries
    whose numbers ``n`` do not count up raise JournalError naming file:line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise JournalError(f"{path}: no tabletop journal here (is it the folder of a tabletop drill?)") from None
    except OSError as exc:
        raise JournalError(f"cannot read {path}: {reason(exc)}") from None
    lines = data.split(b"\n")
    warnings: list[str] = []
    tail = lines.pop()  # what follows the last newline: empty for a file of whole lines
    whole = len(data) - len(tail)
    if tail.strip():
        try:
            json.loads(tail.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError is a ValueError too
            warnings.append(f"{path}:{len(lines) + 1}: dropped a torn last line ({len(tail)} bytes): the drill stopped "
                            "while writing it")
        else:
            lines.append(tail)  # whole, only its newline is missing
            whole = len(data)
    if not lines or not any(raw.strip() for raw in lines):
        raise JournalError(f"{path}: the journal is empty: the drill stopped before it started")
    header: dict[str, Any] | None = None
    entries: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            raise JournalError(f"{path}:{number}: an empty line; the journal is damaged")
        doc = _line_doc(path, number, raw)
        if header is None:
            if "tabletop" not in doc:
                raise JournalError(f"{path}:{number}: expected the journal's header (with 'tabletop', 'scenario', "
                                   "'team', 'seed', 'start'); this is not a tabletop journal")
            header = doc
            continue
        n = doc.get("n")
        if not isinstance(n, int) or isinstance(n, bool):
            raise JournalError(f"{path}:{number}: an entry without its number 'n'; the journal is damaged")
        if entries and n <= entries[-1]["n"]:
            raise JournalError(f"{path}:{number}: entry {n} after entry {entries[-1]['n']}; the entries must count "
                               "up (the journal is damaged)")
        if not isinstance(doc.get("t"), (int, float)) or isinstance(doc.get("t"), bool):
            raise JournalError(f"{path}:{number}: entry {n} has no drill time 't'; the journal is damaged")
        entries.append(doc)
    assert header is not None
    return Journal(path, header, entries, whole, warnings)


class JournalWriter:
    """Appends lines to a journal, each fsynced before :meth:`append` returns."""

    def __init__(self, path: Path, *, header: dict[str, Any] | None = None, whole_bytes: int | None = None):
        """A new journal starting with ``header`` (the file must not exist), or an
        existing one continued after its first ``whole_bytes`` bytes (a torn last line
        is cut off, so the next entry starts on a line of its own). Raises JournalError."""
        self.path = Path(path)
        try:
            if header is not None:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
            else:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
                if whole_bytes is not None:
                    os.ftruncate(fd, whole_bytes)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    os.write(fd, b"\n")  # a last line whole but for its newline: the next starts on its own
        except FileExistsError:
            raise JournalError(f"{self.path} already exists: continue that drill with --resume, or choose another "
                               "folder") from None
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {reason(exc)}") from None
        self._fd: int | None = fd
        if header is not None:
            self.append(header)
            sync_dir(self.path.parent)  # the new file's name is durable too, not only its bytes

    def append(self, doc: dict[str, Any]) -> None:
        """Write ``doc`` as one line and wait until it is on disk. Raises JournalError."""
        if self._fd is None:
            raise JournalError(f"the journal {self.path} is closed")
        line = (json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            written = 0
            while written < len(line):
                written += os.write(self._fd, line[written:])
            os.fsync(self._fd)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {reason(exc)}") from None

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

