"""Columns of many incidents as numpy arrays, fetched in chunks so a million rows stay
well inside memory, and the small numeric helpers the analyses share."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from scoring.stats import quantile_ranks
from sqlalchemy import Connection, Select, case, literal, select

from .errors import InvalidRecord

FETCH_CHUNK = 50_000


@dataclass
class Coded:
    """Text values as integer codes into ``labels`` (-1: missing)."""

    codes: np.ndarray
    labels: list[str]

    def label(self, code: int) -> str | None:
        return None if code < 0 else self.labels[code]


#: Text columns with at most this many distinct values are coded in SQL (a CASE).
MAX_SQL_CODES = 256


def fetch(conn: Connection, table: Any, where: Sequence[Any], numeric: Mapping[str, Any],
          text: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``SELECT numeric..., text... FROM table WHERE where`` as float arrays (NaN for
    NULL) and :class:`Coded` text columns.

    Speed matters at a million rows: text columns become integer codes inside the
    query (a CASE over their distinct values, found through an index where there is
    one), so every row arrives as plain numbers and each chunk turns into one 2-D
    array; the rows skip SQLAlchemy's row objects and come straight from the driver.
    """
    text = dict(text or {})
    labels: dict[str, list[str]] = {}
    exprs = [expr for expr in numeric.values()]
    python_coded: list[str] = []
    for name, col in text.items():
        found = [v for v in conn.execute(select(col).where(col.is_not(None)).distinct()).scalars()]
        found.sort()
        if len(found) <= MAX_SQL_CODES:
            labels[name] = found
            exprs.append(case({v: i for i, v in enumerate(found)}, value=col, else_=-1) if found else literal(-1))
        else:
            python_coded.append(name)
            exprs.append(col)
    stmt = select(*exprs).select_from(table).where(*where)
    rows_iter = _raw_rows(conn, stmt)
    k = len(numeric) + len(text)
    parts: list[np.ndarray] = []
    maps: dict[str, dict[str, int]] = {n: {} for n in python_coded}
    text_names = list(text)
    at = {len(numeric) + text_names.index(n): maps[n] for n in python_coded}
    for chunk in rows_iter:
        if at:
            chunk = [tuple(_code(at[i], v) if i in at else v for i, v in enumerate(r)) for r in chunk]
        parts.append(np.array(chunk, dtype=float).reshape(-1, k))
    data = np.concatenate(parts) if parts else np.empty((0, k))
    out: dict[str, Any] = {}
    for i, name in enumerate(numeric):
        out[name] = np.ascontiguousarray(data[:, i])
    for j, name in enumerate(text_names):
        codes = data[:, len(numeric) + j].astype(np.int32)
        if name in maps:
            lab = [""] * len(maps[name])
            for v, c in maps[name].items():
                lab[c] = v
            labels[name] = lab
        out[name] = Coded(codes, labels[name])
    return out


def _code(mapping: dict[str, int], v: Any) -> int:
    return -1 if v is None else mapping.setdefault(v, len(mapping))


def _raw_rows(conn: Connection, stmt: Select) -> Iterator[list[tuple]]:
    """Chunks of plain tuples from the driver's cursor, inside ``conn``'s transaction."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if conn.dialect.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(str(compiled), params)
        while True:
            chunk = cur.fetchmany(FETCH_CHUNK)
            if not chunk:
                break
            yield chunk
    finally:
        cur.close()


def local_seconds(started: np.ndarray, offsets: np.ndarray, tz: str | None) -> np.ndarray:
    """Local wall-clock seconds since the epoch: in the offset each incident was
    written with, or in the IANA zone ``tz`` (daylight saving included)."""
    if tz is None:
        return started + offsets * 60.0
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRecord(f"tz: expected an IANA time zone such as 'Europe/Berlin' or 'UTC', got {tz!r}") from None
    hours = np.floor(started / 3600.0).astype(np.int64)
    uniq, inv = np.unique(hours, return_inverse=True)
    off = np.array([datetime.fromtimestamp(int(h) * 3600, timezone.utc).astimezone(zone).utcoffset().total_seconds()
                    for h in uniq])
    return started + off[inv]


def weekday_hour(local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(weekday Monday=0, hour) of local epoch seconds."""
    days = np.floor(local / 86400.0)
    weekday = ((days + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday
    hour = np.floor((local - days * 86400.0) / 3600.0).astype(np.int64)
    return weekday, np.clip(hour, 0, 23)


def quantile_ci(sorted_values: np.ndarray, q: float, confidence: float = 0.95) -> tuple[float, float, float]:
    """(estimate, low, high) for the q-quantile of already sorted values: the estimate
    is the observed value at rank ceil(n q) (as scoring's ``inverted_cdf``); the
    interval is distribution-free, from order statistics whose ranks are binomial
    quantiles — exact enough, and cheap for any n."""
    n = sorted_values.size
    est = sorted_values[max(0, math.ceil(n * q) - 1)]
    lo_rank, hi_rank = quantile_ranks(n, q, confidence)
    return float(est), float(sorted_values[lo_rank - 1]), float(sorted_values[hi_rank - 1])


def human(seconds: float | None) -> str:
    """A duration rounded for a sentence: ``42m``, ``1h52m``, ``2d3h``, ``45s``."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    if math.isinf(seconds):
        return "never"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 60:
        return f"{sign}{s:.0f}s"
    m = int(round(s / 60))
    if m < 60:
        return f"{sign}{m}m"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{sign}{h}h{m:02d}m" if m else f"{sign}{h}h"
    d, h = divmod(h, 24)
    return f"{sign}{d}d{h}h" if h else f"{sign}{d}d"


def p_text(p: float | None) -> str:
    """``p < 0.001``, ``p < 0.01``, ``p = 0.03``, ``p = 0.41``."""
    if p is None or math.isnan(p):
        return "p n/a"
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01:
        return "p < 0.01"
    return f"p = {p:.2f}"


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def days_between(start: float, end: float) -> float:
    return (end - start) / timedelta(days=1).total_seconds()
