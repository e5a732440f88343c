"""Opsgenie's alert CSV export.

The columns are Opsgenie's alert fields as its export names them (``TinyId``,
``Alias``, ``Message``, ``Status``, ``Acknowledged``, ``Priority``, ``CreatedAt``,
``UpdatedAt``, ``Owner``, ``Teams``, ``Tags``, ``Source``, ``Integration Name``,
``Entity``, ``Description``, and the report's ``AckTime`` and ``CloseTime``); a
header is matched whatever its case, spaces and underscores (``Created At``,
``created_at``), and ``--map`` names any other.

- ``Id``, else ``TinyId``, else ``Alias`` -> the external id; ``Message`` -> title;
- ``Priority`` (P1 … P5) -> severity; ``Entity`` -> service (else the first team);
- ``CreatedAt`` -> started and paged (Opsgenie knows nothing earlier, so detection is
  left unknown); ``AckTime`` -> acknowledged; ``ClosedAt``/``CloseTime`` ->
  resolved, else ``UpdatedAt`` for a ``closed`` alert (its last change is the close);
- ``Tags`` -> tags; ``Description``, ``Owner``, ``Teams``, ``Source`` and
  ``Integration Name`` -> the summary.

Times are epoch milliseconds (as Opsgenie writes them; ten digits read as seconds),
ISO 8601 with an offset, or ``YYYY-MM-DD HH:MM:SS`` (or ``YYYY/MM/DD``) followed by a
zone (``UTC``, ``+02:00``, ``Europe/Berlin``). ``AckTime`` and ``CloseTime`` may also
be milliseconds after creation, as the alert report counts them.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cells import BadCell, Columns, check_text, text_cell, time_cell, shorten
from .records import MAX_OFFSET_MINUTES, clean_tags, epoch_problem

FORMAT = "opsgenie-csv"
#: Field -> the header names (lower case, letters only) that stand for it.
FIELDS: dict[str, tuple[str, ...]] = {
    "Id": ("id", "alertid"), "TinyId": ("tinyid",), "Alias": ("alias",), "Message": ("message",),
    "Description": ("description",), "Status": ("status",), "Acknowledged": ("acknowledged", "isacknowledged"),
    "Priority": ("priority",), "CreatedAt": ("createdat", "created", "createdate"),
    "UpdatedAt": ("updatedat", "updated", "lastupdatedat"), "ClosedAt": ("closedat", "closeddate"),
    "CloseTime": ("closetime",), "AckTime": ("acktime", "acknowledgedat"), "Owner": ("owner",),
    "Teams": ("teams", "team"), "Tags": ("tags",), "Source": ("source",),
    "IntegrationName": ("integrationname", "integration"), "Entity": ("entity",),
}
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
_TEXT_TIME = re.compile(r"(\d{4})[-/](\d\d)[-/](\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?\s+(\S+)")
_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)")
#: Ten digits are seconds since the epoch (until 2286); thirteen, Opsgenie's milliseconds.
_MS_FROM = 100_000_000_000
#: Below this (2001-09-09 as seconds; 11.6 days as milliseconds), a number after
#: CreatedAt is the alert report's milliseconds since creation.
_SECONDS_FROM = 1_000_000_000


def _key(header: str) -> str:
    return re.sub(r"[^a-z]", "", header.lower())


def looks_like(header: Iterable[str]) -> bool:
    """Whether a CSV header is Opsgenie's: a TinyId column, or Message with CreatedAt."""
    keys = {_key(h) for h in header}
    return "tinyid" in keys or ("message" in keys and "createdat" in keys)


def header_mapping(header: Iterable[str]) -> dict[str, str]:
    """Field -> the file's column for every field whose header is there."""
    by_key = {_key(h): h for h in header}
    out = {}
    for f, keys in FIELDS.items():
        found = next((by_key[k] for k in keys if k in by_key), None)
        if found is not None:
            out[f] = found
    return out


def _instant(v: Any, col: str, start: float | None = None) -> tuple[float, int] | None:
    """(epoch seconds, offset minutes) of a time cell; with ``start``, a small number
    is milliseconds after it."""
    text = "" if v is None else str(v).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        x = float(text)
        if start is not None and x < _SECONDS_FROM:
            seconds = start + x / 1000
        else:
            seconds = x / 1000 if x >= _MS_FROM else x
        problem = epoch_problem(seconds, repr(text))
        if problem:
            raise BadCell(col, problem)
        return seconds, 0
    m = _TEXT_TIME.fullmatch(text)
    if m is None:
        return time_cell(text, col)
    y, mo, d, h, mi, s, frac, zone = m.groups()
    try:
        naive = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), int((frac or "0").ljust(6, "0")))
    except ValueError:
        raise BadCell(col, f"expected a date and time, got {shorten(text)!r}") from None
    off = _OFFSET.fullmatch(zone)
    if zone.upper() in ("UTC", "GMT", "Z"):
        t = naive.replace(tzinfo=timezone.utc)
    elif off:
        return time_cell(naive.isoformat() + f"{off.group(1)}{off.group(2)}:{off.group(3)}", col)
    else:
        try:
            t = naive.replace(tzinfo=ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise BadCell(col, f"expected a time zone such as UTC, +02:00 or Europe/Berlin after the time, got {zone!r}") from None
    minutes = int(t.utcoffset().total_seconds() // 60)
    if abs(minutes) > MAX_OFFSET_MINUTES:
        raise BadCell(col, f"expected a UTC offset within ±18:00, got {text!r}")
    problem = epoch_problem(t.timestamp(), repr(text))
    if problem:
        raise BadCell(col, problem)
    return t.timestamp(), minutes


def convert(row: Mapping[str, Any], c: Columns, *, source: str | None, kind: str, now: float,
            run_ids: set[int]) -> dict[str, Any]:
    """One Opsgenie alert as a row of the log. Raises BadCell naming the column."""
    col = c.col
    get = lambda f: row.get(col[f])  # noqa: E731
    text = lambda f: text_cell(get(f), col[f])  # noqa: E731
    key_field = next((f for f in ("Id", "TinyId", "Alias") if text(f)), None)
    if key_field is None:
        raise BadCell(col["TinyId"], "expected the alert's TinyId (or Id, or Alias), got nothing")
    title = text("Message")
    if title is None:
        raise BadCell(col["Message"], "expected the alert's message, got nothing")
    created = _instant(get("CreatedAt"), col["CreatedAt"])
    if created is None:
        raise BadCell(col["CreatedAt"], "expected when the alert was created, got nothing")
    start, offset = created
    status = (text("Status") or "").lower()
    if status not in ("open", "closed"):
        raise BadCell(col["Status"], f"expected open or closed, got {get('Status')!r}")
    priority = text("Priority")
    if priority is not None and priority.upper() not in PRIORITIES:
        raise BadCell(col["Priority"], f"expected one of {', '.join(PRIORITIES)}, got {priority!r}")
    ack = _instant(get("AckTime"), col["AckTime"], start)
    closed_field = "ClosedAt" if text("ClosedAt") else "CloseTime"
    closed = _instant(get(closed_field), col[closed_field], start)
    if closed is not None and status == "open":
        raise BadCell(col[closed_field], f"expected no close time for an open alert, got {get(closed_field)}")
    if closed is None and status == "closed":
        closed_field = "UpdatedAt"
        closed = _instant(get("UpdatedAt"), col["UpdatedAt"])
    for f, t in (("AckTime", ack), (closed_field, closed)):
        if t is not None and t[0] < start:
            raise BadCell(col[f], f"expected a time at or after CreatedAt ({get('CreatedAt')}), got {get(f)}")
    teams = [t.strip() for t in re.split(r"[,;]", text("Teams") or "") if t.strip()]
    try:
        tags = ",".join(clean_tags(text("Tags"))) if text("Tags") else ""
    except ValueError as exc:
        raise BadCell(col["Tags"], str(exc)) from None
    acknowledged = (text("Acknowledged") or "").lower()
    facts = [("owner", text("Owner")), ("teams", ", ".join(teams) or None), ("source", text("Source")),
             ("integration", text("IntegrationName")),
             ("acknowledged", "yes (the export has no time)" if ack is None and acknowledged in ("true", "yes") else None)]
    summary = "; ".join([*([text("Description")] if text("Description") else []),
                         *(f"{k}: {v}" for k, v in facts if v)]) or None
    out = {"source": source or "opsgenie", "external_id": text(key_field), "kind": kind, "title": title,
           "service": text("Entity") or (teams[0] if teams else None),
           "severity": priority.upper() if priority else None, "started_at": start, "detected_at": None,
           "paged_at": start, "acknowledged_at": ack[0] if ack else None, "mitigated_at": None,
           "resolved_at": closed[0] if closed else None, "utc_offset": offset, "root_cause": None, "summary": summary,
           "deploy_related": None, "tags": tags, "drill_run_id": None, "created_at": now, "updated_at": now}
    check_text(out, {"external_id": col[key_field], "service": col["Entity"], "severity": col["Priority"],
                      "summary": col["Description"], "source": "--source"})
    return out
