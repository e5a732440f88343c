"""PagerDuty's REST API v2 incidents, as ``GET /incidents`` returns them.

A file is one page (``{"incidents": [...], "limit", "offset", "more"}``), a bare list
of incident objects, or several pages one after another (JSON lines, or pages
written back to back). Each incident maps as the analytics CSV export does
(:func:`incidents.interchange._pagerduty_row`), from the API's own fields:

- ``incident_number`` -> the external id (so the CSV and the API's JSON of one
  incident are the same record), ``title`` -> title, ``service.summary`` -> service;
- ``priority.summary`` (P1 …) -> severity, else ``urgency`` (high, low);
- ``created_at`` -> started and paged (PagerDuty knows nothing earlier, so detection
  is left unknown); the earliest ``acknowledgements[].at`` -> acknowledged;
- ``resolved_at`` -> resolved, else ``last_status_change_at`` when the status is
  ``resolved``; an open incident (``triggered``, ``acknowledged``) has none;
- ``escalation_policy.summary``, ``assignments[].assignee.summary``, ``urgency`` and
  ``status`` -> the summary.

A bad field is reported at its ``file:line:col`` in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from scenarios import InputError
from scenarios.jsonsource import Document, read_json_stream

from .errors import InvalidRecord, RowProblem
from .cells import BadCell, Columns, check_text, text_cell, time_cell

FORMAT = "pagerduty-json"
#: The incident fields drillbit reads (``--map`` may rename these top-level ones).
FIELDS = ("incident_number", "id", "title", "status", "urgency", "priority", "service", "created_at",
          "last_status_change_at", "resolved_at", "acknowledgements", "assignments", "escalation_policy")
STATUSES = ("triggered", "acknowledged", "resolved")
_MARKERS = re.compile(r'"incident_number"\s*:')
_SHAPE = re.compile(r'"type"\s*:\s*"incident"|"service"\s*:\s*\{')


@dataclass(frozen=True, order=True)
class PositionedProblem(RowProblem):
    """A bad field of a JSON record: ``file:line:col: field: message``."""

    col: int = 1

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}:{self.col}"
        return f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class Located(dict):
    """A record with the positions of its fields in the file."""

    def __init__(self, data: Mapping[str, Any], doc: Document, path: tuple[str | int, ...]):
        super().__init__(data)
        self.doc, self.path = doc, path

    def problem(self, file: str, column: str, message: str) -> PositionedProblem:
        """``message`` at the field ``column`` (dotted, ``acknowledgements[0].at``)."""
        parts: list[str | int] = []
        for word in filter(None, re.split(r"\.|\[(\d+)\]", column or "")):
            parts.append(int(word) if word.isdigit() else word)
        line, col = self.doc.position(self.path + tuple(parts))
        return PositionedProblem(file, line, column, message, col)


def looks_like(head: str) -> bool:
    """Whether the start of a file reads as the API's incidents (JSON whose records
    have ``incident_number`` and a ``service`` reference or ``type: incident``)."""
    text = head.lstrip("\ufeff \t\r\n")
    return text[:1] in ("{", "[") and bool(_MARKERS.search(text)) and bool(_SHAPE.search(text))


def records(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(record number, incident) of every page in the file, numbered from 1 across
    pages. Raises InvalidRecord at ``file:line:col`` for text that is not JSON."""
    try:
        docs = read_json_stream(path, str(path), any_size=True)  # import_file checked it is a regular text file
    except InputError as exc:
        raise InvalidRecord(str(exc.problems[0])) from None
    n = 0
    for doc in docs:
        if isinstance(doc.data, dict) and isinstance(doc.data.get("incidents"), list):
            items, base = doc.data["incidents"], ("incidents",)
        elif isinstance(doc.data, list):
            items, base = doc.data, ()
        else:
            line, col = doc.position(())
            raise InvalidRecord(f"{path}:{line}:{col}: expected a page of PagerDuty incidents ({{\"incidents\": [...]}}) "
                                "or a list of incidents")
        for i, item in enumerate(items):
            n += 1
            if isinstance(item, dict):
                yield n, Located(item, doc, (*base, i))
            else:
                yield n, Located({"__error__": f"expected an incident object, got {type(item).__name__}"}, doc, (*base, i))


def _summary(value: Any, column: str) -> str | None:
    """The ``summary`` of a reference object (``{"id", "type", "summary"}``)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadCell(column, f"expected a reference object with a summary, got {type(value).__name__}")
    return text_cell(value.get("summary"), f"{column}.summary")


def convert(row: Mapping[str, Any], c: Columns, *, source: str | None, kind: str, now: float,
            run_ids: set[int]) -> dict[str, Any]:
    """One API incident as a row of the log. Raises BadCell naming the field."""
    col = c.col
    get = lambda f: row.get(col[f])  # noqa: E731
    number = get("incident_number")
    if number is None or isinstance(number, bool) or not isinstance(number, (int, str)) or not str(number).strip():
        raise BadCell(col["incident_number"], f"expected the incident number, got {number!r}")
    status = get("status")
    if status not in STATUSES:
        raise BadCell(col["status"], f"expected one of {', '.join(STATUSES)}, got {status!r}")
    created = time_cell(get("created_at"), col["created_at"])
    if created is None:
        raise BadCell(col["created_at"], "expected when the incident was created, got nothing")
    start, offset = created
    acks = get("acknowledgements") or []
    if not isinstance(acks, list):
        raise BadCell(col["acknowledgements"], f"expected a list of acknowledgements, got {type(acks).__name__}")
    ack_times = []
    for i, a in enumerate(acks):
        where = f"{col['acknowledgements']}[{i}].at"
        t = time_cell(a.get("at") if isinstance(a, dict) else None, where)
        if t is None:
            raise BadCell(where, "expected when it was acknowledged, got nothing")
        if t[0] < start:
            raise BadCell(where, f"expected a time at or after created_at ({get('created_at')}), got {a['at']}")
        ack_times.append(t[0])
    resolved = time_cell(get("resolved_at"), col["resolved_at"])
    if resolved is not None and status != "resolved":
        raise BadCell(col["resolved_at"], f"expected no resolved_at for an incident that is {status}, got {get('resolved_at')}")
    if resolved is None and status == "resolved":
        resolved = time_cell(get("last_status_change_at"), col["last_status_change_at"])
        if resolved is None:
            raise BadCell(col["resolved_at"], "expected resolved_at or last_status_change_at for a resolved incident, got neither")
        which = col["last_status_change_at"]
    else:
        which = col["resolved_at"]
    if resolved is not None and resolved[0] < start:
        raise BadCell(which, f"expected a time at or after created_at ({get('created_at')}), got {row.get(which)}")
    urgency = text_cell(get("urgency"), col["urgency"])
    severity = _summary(get("priority"), col["priority"]) or urgency
    assignments = get("assignments") or []
    if not isinstance(assignments, list):
        raise BadCell(col["assignments"], f"expected a list of assignments, got {type(assignments).__name__}")
    assignees = []
    for i, a in enumerate(assignments):
        who = _summary(a.get("assignee") if isinstance(a, dict) else a, f"{col['assignments']}[{i}].assignee")
        if who:
            assignees.append(who)
    facts = [("escalation policy", _summary(get("escalation_policy"), col["escalation_policy"])),
             ("assigned to", ", ".join(assignees) or None), ("urgency", urgency), ("status", status)]
    title = text_cell(get("title"), col["title"]) or f"PagerDuty incident #{number}"
    out = {"source": source or "pagerduty", "external_id": str(number).strip(), "kind": kind, "title": title,
           "service": _summary(get("service"), col["service"]), "severity": severity, "started_at": start,
           "detected_at": None, "paged_at": start, "acknowledged_at": min(ack_times) if ack_times else None,
           "mitigated_at": None, "resolved_at": resolved[0] if resolved else None, "utc_offset": offset,
           "root_cause": None, "summary": "; ".join(f"{k}: {v}" for k, v in facts if v), "deploy_related": None,
           "tags": "", "drill_run_id": None, "created_at": now, "updated_at": now}
    check_text(out, {"external_id": col["incident_number"], "service": f"{col['service']}.summary",
                      "severity": f"{col['priority']}.summary", "source": "--source"})
    return out
