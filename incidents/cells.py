"""Cells of imported files (a CSV cell, a JSON field): text, times, durations, flags,
numbers, each refused with the column it came from (:class:`BadCell`), and the map from
a format's fields to the file's columns. Shared by every importer of the incident log."""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any, Mapping

from .errors import InvalidRecord
from .records import MAX_DURATION, MAX_OFFSET_MINUTES, TEXT_LIMITS, TIME_EXAMPLE, epoch_problem, text_problem

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


class BadCell(Exception):
    """One bad cell: the column (as named in the file) and the message."""

    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


def text_cell(v: Any, col: str = "") -> str | None:
    """Text as the file has it: only surrounding spaces go (tabs and line breaks are
    kept, so a cell comes back from an export as it was written); blank is nothing."""
    if v is None:
        return None
    if isinstance(v, str):
        t = v.strip(" ")
    elif isinstance(v, (int, float)):
        t = str(v)
    else:
        raise BadCell(col, f"expected text, got a JSON {'list' if isinstance(v, list) else 'object'}")
    return t if t.strip() else None


def check_text(out: Mapping[str, Any], cols: Mapping[str, str]) -> None:
    # Hot loop: one pass over the row's text in C; the cell is looked for only when bad.
    for key, limit in TEXT_LIMITS.items():
        value = out.get(key)
        if value is not None and len(value) > limit:
            raise BadCell(cols.get(key, key), f"expected at most {limit} characters, got {len(value)}")
    joined = "".join([v for v in out.values() if isinstance(v, str)])
    if "\x00" not in joined and (joined.isascii() or _encodes(joined)):
        return
    for key, value in out.items():
        problem = text_problem(key, value) if isinstance(value, str) else None
        if problem:
            raise BadCell(cols.get(key, key), problem)


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def time_cell(v: Any, col: str) -> tuple[float, int] | None:
    """(epoch seconds, offset minutes) of an ISO 8601 time with an offset."""
    if v is None or v == "":
        return None
    text = str(v).strip()
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise BadCell(col, f"expected an ISO 8601 time with an offset such as {TIME_EXAMPLE}, got {shorten(text)!r}") from None
    off = t.utcoffset()
    if off is None:
        raise BadCell(col, f"expected a time with an offset (e.g. {text}+00:00), got {text!r}")
    minutes = int(off.total_seconds() // 60)
    if abs(minutes) > MAX_OFFSET_MINUTES:
        raise BadCell(col, f"expected a UTC offset within ±18:00, got {text!r}")
    seconds = t.timestamp()
    problem = epoch_problem(seconds, repr(text))
    if problem:
        raise BadCell(col, problem)
    return seconds, minutes


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def after(col: str, start: float, seconds: float | None) -> float | None:
    """``start`` plus a stated duration, refused when it ends outside the kept range."""
    if seconds is None:
        return None
    problem = epoch_problem(start + seconds, f"{seconds:g} seconds after the start")
    if problem:
        raise BadCell(col, problem)
    return start + seconds


def seconds_cell(v: Any, col: str) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise BadCell(col, f"expected seconds as a number, got {v!r}") from None
    if not 0 <= x <= MAX_DURATION:
        raise BadCell(col, f"expected seconds from 0 to {MAX_DURATION:.0f} (100 years), got {shorten(str(v))!r}")
    return x


def bool_cell(v: Any, col: str) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    text = str(v).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadCell(col, f"expected true or false, got {v!r}")


def int_cell(v: Any, col: str) -> int | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        return int(str(v).strip())
    except ValueError:
        raise BadCell(col, f"expected a whole number, got {v!r}") from None


class Columns:
    """Field -> column of the file, after the user's mapping."""

    def __init__(self, known: tuple[str, ...], mapping: Mapping[str, str], fmt: str):
        unknown = sorted(set(mapping) - set(known))
        if unknown:
            hint = difflib.get_close_matches(unknown[0], known, 1)
            raise InvalidRecord(f"--map {unknown[0]}=…: {unknown[0]!r} is not a {fmt} field"
                                + (f"; did you mean {hint[0]!r}?" if hint else f" (expected one of {', '.join(known)})"))
        self.col = {f: mapping.get(f, f) for f in known}

    def get(self, row: Mapping[str, Any], f: str) -> Any:
        return row.get(self.col[f])
