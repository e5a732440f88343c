"""Import and export: the log's own CSV/JSON format, PagerDuty-style incident exports
with a column mapping, PagerDuty's API JSON (incidents/pagerduty_api.py) and
Opsgenie's alert CSV export (incidents/opsgenie.py).

An import is one transaction: every row is read and checked, bad rows are reported
with their row number (``file:ROW: column: expected …, got …``), and nothing is kept
unless every row is good or ``skip_bad`` is set. Each record has a natural key,
(source, external id), so importing the same file again adds nothing: rows already
present are updated with the values the file has (empty cells keep what is stored).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, TextIO

from sqlalchemy import Connection, func, insert, or_, select

from . import schema as s
from .cells import BadCell, Columns, after, bool_cell, check_text, int_cell, seconds_cell, text_cell, time_cell
from .errors import BadRows, InvalidRecord, RowProblem
from .queries import Filter, iter_incidents, list_actions, list_deploys, list_findings, list_runs
from .records import KINDS, TIME_EXAMPLE, clean_tags, epoch_now
from .store import IncidentLog

FORMATS = ("auto", "drillbit", "pagerduty", "pagerduty-json", "opsgenie-csv")
WHAT = ("incidents", "deploys")
EXPORTS = ("incidents", "deploys", "actions", "runs", "findings")
#: Problems kept for the report; the rest are only counted.
MAX_PROBLEMS = 1000
CHUNK = 5000

#: The log's own incident columns, in export order.
INCIDENT_COLUMNS = ("source", "external_id", "kind", "title", "service", "severity", "started", "detected",
                    "paged", "acknowledged", "mitigated", "resolved", "root_cause", "summary", "deploy_related", "tags",
                    "drill_run_id")
#: Written by an export for people, ignored by an import.
DERIVED_COLUMNS = ("id", "ttd", "tta", "ttm", "ttr", "metrics")
DEPLOY_COLUMNS = ("source", "external_id", "service", "at", "version")
#: PagerDuty analytics export fields drillbit reads.
PAGERDUTY_COLUMNS = ("incident_number", "id", "title", "description", "created_at", "resolved_at", "urgency",
                     "priority", "priority_name", "service_name", "seconds_to_first_ack", "seconds_to_mitigate",
                     "seconds_to_resolve", "escalation_count", "status")

#: What a spreadsheet reads as the start of a formula (OWASP's CSV injection list): an
#: exported cell that starts so gets a leading ' that a spreadsheet shows as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")




@dataclass(frozen=True)
class ImportResult:
    """What an import read and changed."""

    file: str
    format: str
    what: str
    rows_read: int
    inserted: int
    already_present: int
    skipped: int
    problems: tuple[RowProblem, ...] = field(default=())
    #: Of ``already_present``, how many the file changed (the rest were as the file has them).
    updated: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "file": self.file, "format": self.format, "what": self.what,
                "rows_read": self.rows_read, "inserted": self.inserted, "already_present": self.already_present,
                "updated": self.updated, "unchanged": self.already_present - self.updated,
                "skipped": self.skipped, "problems": [str(p) for p in self.problems]}

    @property
    def message(self) -> str:
        """Where every row read went: ``rows_read`` is new + already in the log + bad
        rows skipped, and the sentence says each, so its counts add up."""
        one = self.what[:-1]  # incidents -> incident, deploys -> deploy
        same = self.already_present - self.updated
        detail = ", ".join(x for x in (f"{self.updated} updated with the file's values" if self.updated else "",
                                       f"{same} unchanged" if same else "") if x)
        parts = [f"{self.inserted} new {one if self.inserted == 1 else self.what}",
                 f"{self.already_present} already in the log" + (f" ({detail})" if detail else "")]
        if self.skipped:
            parts.append(f"{self.skipped} bad row{'s' if self.skipped != 1 else ''} skipped")
        rows = f"{self.rows_read} row{'s' if self.rows_read != 1 else ''}"
        return f"read {rows} of {self.file} ({self.format}): " + ", ".join(parts)


# -- reading files --------------------------------------------------------------------

def _rows(path: Path, text: TextIO) -> tuple[list[str] | None, Iterator[tuple[int, Mapping[str, Any]]]]:
    """(header or None, iterator of (row number, record))."""
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl", ".ndjson"):
        return None, _json_rows(path, text, lines=suffix != ".json")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return [], iter(())
    except csv.Error as exc:
        raise InvalidRecord(f"{path}:1: cannot read the CSV header: {exc}") from None
    header = [h.strip() for h in header]

    def gen() -> Iterator[tuple[int, Mapping[str, Any]]]:
        n = 1
        try:
            for n, values in enumerate(reader, 2):
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                if any(v[:1] == "'" for v in values):
                    values = [unquote_cell(v) for v in values]
                yield n, dict(zip(header, values))
        except csv.Error as exc:
            raise InvalidRecord(f"{path}:{n + 1}: cannot read the CSV: {exc}") from None

    return header, gen()


def _json_rows(path: Path, text: TextIO, lines: bool) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if lines:
        for n, line in enumerate(text, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, {"__error__": f"expected a JSON object on the line, got invalid JSON ({exc.msg})"}
                continue
            except (RecursionError, ValueError) as exc:  # nesting too deep, a number too long to read
                yield n, {"__error__": f"expected a JSON object on the line, got {_unreadable(exc)}"}
                continue
            yield n, doc if isinstance(doc, dict) else {"__error__": f"expected a JSON object, got {type(doc).__name__}"}
        return
    try:
        doc = json.load(text)
    except json.JSONDecodeError as exc:
        raise InvalidRecord(f"{path}:{exc.lineno}:{exc.colno}: expected JSON, got invalid JSON ({exc.msg})") from None
    except (RecursionError, ValueError) as exc:
        raise InvalidRecord(f"{path}: expected JSON records, got {_unreadable(exc)}") from None
    if isinstance(doc, dict):
        items = next((doc[k] for k in ("incidents", "deploys", "items", "records") if isinstance(doc.get(k), list)), None)
        if items is None:
            raise InvalidRecord(f"{path}: expected a JSON list of records or an object with an 'incidents' list")
    elif isinstance(doc, list):
        items = doc
    else:
        raise InvalidRecord(f"{path}: expected a JSON list of records, got {type(doc).__name__}")
    for n, item in enumerate(items, 1):
        yield n, item if isinstance(item, dict) else {"__error__": f"expected a JSON object, got {type(item).__name__}"}


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to read (records are flat objects)"
    return f"a value JSON cannot be read as ({str(exc).splitlines()[0]})"


def unquote_cell(v: str) -> str:
    """A CSV cell as it was before :func:`defuse_cell`: only the quote the export adds
    is taken off, so every other text comes back as the file has it."""
    return v[1:] if v[:1] == "'" and v.lstrip("'")[:1] in FORMULA_START and v.lstrip("'") else v


def defuse_cell(v: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula (OWASP: prefix
    a single quote). Text that already starts with quotes before a formula character
    gets one more, so :func:`unquote_cell` gives back exactly ``v``."""
    rest = v.lstrip("'")
    return "'" + v if rest and rest[0] in FORMULA_START else v


def detect_format(columns: Iterable[str]) -> str:
    """``opsgenie-csv`` for Opsgenie's alert columns, ``pagerduty`` when PagerDuty's
    fields are there, else ``drillbit``."""
    from . import opsgenie

    cols = set(columns)
    if "started" not in cols and opsgenie.looks_like(cols):
        return opsgenie.FORMAT
    return "pagerduty" if {"incident_number", "created_at"} & cols and "started" not in cols else "drillbit"


def _converter(what: str, fmt: str) -> tuple[tuple[str, ...], Callable[..., dict[str, Any]]] | None:
    """The known fields and the row converter of a format; the two formats of their
    own modules are imported when used (they import this module's cell parsers)."""
    if (what, fmt) in _CONVERTERS:
        return _CONVERTERS[(what, fmt)]
    if what == "incidents" and fmt == "pagerduty-json":
        from . import pagerduty_api

        return pagerduty_api.FIELDS, pagerduty_api.convert
    if what == "incidents" and fmt == "opsgenie-csv":
        from . import opsgenie

        return tuple(opsgenie.FIELDS), opsgenie.convert
    return None


def _problem(path: Path, n: int, row: Mapping[str, Any], exc: "BadCell") -> RowProblem:
    """The row's problem, at the field's line and column for a record that knows them."""
    locate = getattr(row, "problem", None)
    return locate(str(path), exc.column, exc.message) if locate else RowProblem(str(path), n, exc.column, exc.message)


# -- converting rows ------------------------------------------------------------------

def _natural_key(*parts: Any) -> str:
    return hashlib.sha1("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _incident_row(row: Mapping[str, Any], c: Columns, *, source: str | None, kind: str, now: float,
                  run_ids: set[int]) -> dict[str, Any]:
    col, get = c.col, row.get  # hot loop: a million rows in the benchmark
    title = text_cell(get(col["title"]), col["title"])
    if title is None:
        raise BadCell(col["title"], "expected a title, got nothing")
    started = time_cell(get(col["started"]), col["started"])
    if started is None:
        raise BadCell(col["started"], f"expected when the incident started ({TIME_EXAMPLE}), got nothing")
    start, offset = started
    out = {"title": title, "started_at": start, "utc_offset": offset}
    for name, key in _MILESTONE_KEYS:
        raw = get(col[name])
        t = time_cell(raw, col[name]) if raw else None
        if t is not None and t[0] < start:
            raise BadCell(col[name], f"expected a time at or after started ({get(col['started'])}), got {raw}")
        out[key] = None if t is None else t[0]
    if out["acknowledged_at"] is not None and out["paged_at"] is not None and out["acknowledged_at"] < out["paged_at"]:
        raise BadCell(col["acknowledged"], f"expected a time at or after paged ({get(col['paged'])}), "
                                        f"got {get(col['acknowledged'])}")
    k = text_cell(get(col["kind"]), col["kind"]) or kind
    if k not in KINDS:
        raise BadCell(col["kind"], f"expected 'real' or 'drill', got {k!r}")
    run = int_cell(get(col["drill_run_id"]), col["drill_run_id"])
    if run is not None and run not in run_ids:
        raise BadCell(col["drill_run_id"], f"expected the id of a drill run in the log, got {run}")
    raw_tags = get(col["tags"])
    try:
        tags = ",".join(clean_tags(raw_tags)) if raw_tags else ""
    except ValueError as exc:
        raise BadCell(col["tags"], str(exc)) from None
    service, severity = text_cell(get(col["service"]), col["service"]), text_cell(get(col["severity"]), col["severity"])
    out["source"] = text_cell(get(col["source"]), col["source"]) or source or "import"
    out["external_id"] = text_cell(get(col["external_id"]), col["external_id"]) or _natural_key(title, service, start)
    out["kind"] = k
    out["service"] = service
    out["severity"] = severity
    out["root_cause"] = text_cell(get(col["root_cause"]), col["root_cause"])
    out["summary"] = text_cell(get(col["summary"]), col["summary"])
    out["deploy_related"] = bool_cell(get(col["deploy_related"]), col["deploy_related"])
    out["tags"] = tags
    out["drill_run_id"] = run
    out["created_at"] = now
    out["updated_at"] = now
    check_text(out, col)
    return out


_MILESTONE_KEYS = (("detected", "detected_at"), ("paged", "paged_at"), ("acknowledged", "acknowledged_at"), ("mitigated", "mitigated_at"),
                   ("resolved", "resolved_at"))


def _pagerduty_row(row: Mapping[str, Any], c: Columns, *, source: str | None, kind: str, now: float,
                   run_ids: set[int]) -> dict[str, Any]:
    g = lambda f: c.get(row, f)  # noqa: E731
    number = text_cell(g("incident_number"), c.col["incident_number"]) or text_cell(g("id"), c.col["id"])
    if number is None:
        raise BadCell(c.col["incident_number"], "expected the incident number, got nothing")
    created = time_cell(g("created_at"), c.col["created_at"])
    if created is None:
        raise BadCell(c.col["created_at"], f"expected when the incident was created ({TIME_EXAMPLE}), got nothing")
    start, offset = created
    resolved = time_cell(g("resolved_at"), c.col["resolved_at"])
    if resolved is not None and resolved[0] < start:
        raise BadCell(c.col["resolved_at"], f"expected a time at or after created_at ({g('created_at')}), got {g('resolved_at')}")
    ack = seconds_cell(g("seconds_to_first_ack"), c.col["seconds_to_first_ack"])
    mitigate = seconds_cell(g("seconds_to_mitigate"), c.col["seconds_to_mitigate"])
    to_resolve = seconds_cell(g("seconds_to_resolve"), c.col["seconds_to_resolve"])
    resolved_at = resolved[0] if resolved else after(c.col["seconds_to_resolve"], start, to_resolve)
    acknowledged_at = after(c.col["seconds_to_first_ack"], start, ack)
    mitigated_at = after(c.col["seconds_to_mitigate"], start, mitigate)
    severity = (text_cell(g("priority_name"), c.col["priority_name"]) or text_cell(g("priority"), c.col["priority"])
                or text_cell(g("urgency"), c.col["urgency"]))
    title = (text_cell(g("title"), c.col["title"]) or text_cell(g("description"), c.col["description"])
             or f"PagerDuty incident #{number}")
    # PagerDuty creates the incident when it is detected and knows nothing earlier: the
    # start is the creation and detection is left unknown (so TTD is not claimed as 0).
    # Creating it pages, and seconds_to_first_ack counts from then: that is TTA's start.
    out = {"source": source or "pagerduty", "external_id": number, "kind": kind, "title": title,
           "service": text_cell(g("service_name"), c.col["service_name"]), "severity": severity, "started_at": start,
           "detected_at": None, "paged_at": start, "acknowledged_at": acknowledged_at, "mitigated_at": mitigated_at,
           "resolved_at": resolved_at, "utc_offset": offset, "root_cause": None, "summary": None,
           "deploy_related": None, "tags": "", "drill_run_id": None, "created_at": now, "updated_at": now}
    check_text(out, {"external_id": c.col["incident_number"], "service": c.col["service_name"],
                      "severity": c.col["priority_name"], "source": "--source"})
    return out


def _deploy_row(row: Mapping[str, Any], c: Columns, *, source: str | None, kind: str, now: float,
                run_ids: set[int]) -> dict[str, Any]:
    service = text_cell(c.get(row, "service"), c.col["service"])
    if service is None:
        raise BadCell(c.col["service"], "expected the deployed service, got nothing")
    at = time_cell(c.get(row, "at"), c.col["at"])
    if at is None:
        raise BadCell(c.col["at"], f"expected when it was deployed ({TIME_EXAMPLE}), got nothing")
    version = text_cell(c.get(row, "version"), c.col["version"])
    out = {"source": text_cell(c.get(row, "source"), c.col["source"]) or source or "import",
           "external_id": text_cell(c.get(row, "external_id"), c.col["external_id"]) or f"{service}@{at[0]:.3f}",
           "service": service, "at": at[0], "utc_offset": at[1], "version": version}
    check_text(out, c.col)
    return out


_CONVERTERS: dict[tuple[str, str], tuple[tuple[str, ...], Callable[..., dict[str, Any]]]] = {
    ("incidents", "drillbit"): (INCIDENT_COLUMNS, _incident_row),
    ("incidents", "pagerduty"): (PAGERDUTY_COLUMNS, _pagerduty_row),
    ("deploys", "drillbit"): (DEPLOY_COLUMNS, _deploy_row),
}


def _upsert(conn: Connection, table, columns: list[str]):  # noqa: ANN001, ANN202
    stmt = s.insert(conn, table)
    keep = {c: func.coalesce(stmt.excluded[c], table.c[c]) for c in columns
            if c not in ("source", "external_id", "created_at", "id")}
    # A row the file does not change is left alone, so the driver's count of changed
    # rows tells an update from a record that was already there as it is.
    changes = or_(*(value.is_distinct_from(table.c[c]) for c, value in keep.items() if c != "updated_at"))
    if "updated_at" in keep:
        keep["updated_at"] = stmt.excluded.updated_at
    return stmt.on_conflict_do_update(index_elements=["source", "external_id"], set_=keep, where=changes)


class _Writer:
    """Upserts batches of rows through the driver's executemany: the statement is
    compiled once and rows go in as plain tuples, skipping SQLAlchemy's per-row
    parameter processing (the values are already plain floats, ints, text, bools)."""

    def __init__(self, conn: Connection, table, columns: list[str]):  # noqa: ANN001
        compiled = _upsert(conn, table, columns).compile(dialect=conn.dialect, column_keys=columns)
        self.sql = str(compiled)
        self.positional = conn.dialect.positional
        self.columns = columns
        self.cursor = conn.connection.driver_connection.cursor()
        if self.positional:
            names = list(compiled.positiontup)
            unknown = [n for n in names if n not in columns]
            if unknown:
                raise AssertionError(f"unexpected bind parameters {unknown}")
            self.order = names

    def write(self, rows: list[dict[str, Any]]) -> int:
        """Write ``rows``; returns how many were inserted or changed."""
        if self.positional:
            order = self.order
            self.cursor.executemany(self.sql, [tuple(r[k] for k in order) for r in rows])
        else:
            self.cursor.executemany(self.sql, rows)
        return self.cursor.rowcount

    def close(self) -> None:
        self.cursor.close()


# -- importing ------------------------------------------------------------------------

def import_file(store: IncidentLog, path: str | Path, *, fmt: str = "auto", what: str = "incidents",
                mapping: Mapping[str, str] | None = None, skip_bad: bool = False, source: str | None = None,
                kind: str = "real", progress: Callable[[int], None] | None = None,
                chunk: int = CHUNK) -> ImportResult:
    """Import a CSV, JSON (a list, or ``{"incidents": [...]}``) or JSON-lines file;
    ``fmt`` auto tells PagerDuty's API JSON and Opsgenie's CSV by their content.

    ``mapping`` maps the format's field names to the file's columns
    (``{"created_at": "Opened"}``). ``progress`` is called with the rows read so far
    after each chunk is written (inside the transaction). Raises BadRows (nothing
    imported) when a row is bad and ``skip_bad`` is not set; InvalidRecord for an
    unreadable file, an unknown format or mapping.
    """
    path = Path(path)
    if what not in WHAT:
        raise InvalidRecord(f"what: expected one of {', '.join(WHAT)}, got {what!r}")
    if fmt not in FORMATS:
        raise InvalidRecord(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if kind not in KINDS:
        raise InvalidRecord(f"kind: expected 'real' or 'drill', got {kind!r}")
    if not path.is_file():
        raise InvalidRecord(f"{path}: no such file")
    digest = _sha256_of_text(path)
    mapping = dict(mapping or {})

    def work(conn: Connection) -> ImportResult:
        with open(path, encoding="utf-8-sig", newline="") as text:
            head = text.read(1 << 16)
            text.seek(0)
            used_fmt = fmt
            if what == "incidents" and (fmt == "pagerduty-json" or (fmt == "auto" and _is_pagerduty_api(head))):
                from . import pagerduty_api

                header, rows, used_fmt = None, pagerduty_api.records(path), "pagerduty-json"
            else:
                header, rows = _rows(path, text)
            if used_fmt == "auto":
                if what == "deploys":
                    used_fmt = "drillbit"
                elif header is not None:
                    used_fmt = detect_format([*header, *mapping])
                else:
                    rows = _peek_json(rows)
                    used_fmt = detect_format(rows.first_keys)
            found = _converter(what, used_fmt)
            if found is None:
                raise InvalidRecord(f"{path}: {what} can only be imported in drillbit's own format")
            if used_fmt == "opsgenie-csv":
                if header is None:
                    raise InvalidRecord(f"{path}: expected Opsgenie's CSV export (a header row of columns), got JSON")
                from . import opsgenie

                fields = {**opsgenie.header_mapping(header), **mapping}
            else:
                fields = mapping
            known, convert = found
            cols = Columns(known, fields, used_fmt)
            if header is not None:
                _check_header(path, header, cols, used_fmt, what)
            table = s.incidents if what == "incidents" else s.deploys
            run_ids = set(conn.execute(select(s.drill_runs.c.id)).scalars()) if what == "incidents" else set()
            before = conn.execute(select(func.count()).select_from(table)).scalar_one()
            now = epoch_now()
            problems: list[RowProblem] = []
            bad = read = written = changed = 0
            seen: dict[str, int] = {}
            batch: list[dict[str, Any]] = []
            writer: _Writer | None = None
            for n, row in rows:
                read += 1
                try:
                    if "__error__" in row:
                        raise BadCell("", row["__error__"])
                    values = convert(row, cols, source=source, kind=kind, now=now, run_ids=run_ids)
                    key = f"{values['source']}\x1f{values['external_id']}"
                    first = seen.get(key)
                    if first is not None:
                        col = next((cols.col[k] for k in ("external_id", "incident_number", "TinyId") if k in cols.col),
                                   "external_id")
                        raise BadCell(col, f"expected each record once, got {values['external_id']!r} again (first on row {first})")
                    seen[key] = n
                except BadCell as exc:
                    bad += 1
                    if len(problems) < MAX_PROBLEMS:
                        problems.append(_problem(path, n, row, exc))
                    continue
                if bad and not skip_bad:
                    continue  # keep checking to report every bad row; nothing will be kept
                batch.append(values)
                if len(batch) >= chunk:
                    writer = writer or _Writer(conn, table, list(batch[0]))
                    changed += writer.write(batch)
                    written += len(batch)
                    batch = []
                    if progress:
                        progress(read)
            if bad and not skip_bad:
                raise BadRows(problems, read, bad)
            if batch:
                writer = writer or _Writer(conn, table, list(batch[0]))
                changed += writer.write(batch)
                written += len(batch)
                if progress:
                    progress(read)
            if writer is not None:
                writer.close()
            after = conn.execute(select(func.count()).select_from(table)).scalar_one()
            inserted = after - before
            result = ImportResult(str(path), used_fmt, what, read, inserted, written - inserted, bad, tuple(problems),
                                  updated=changed - inserted)
            conn.execute(insert(s.imports).values(file=str(path), sha256=digest, format=used_fmt, what=what,
                                                  rows_read=read, inserted=inserted, updated=changed - inserted,
                                                  skipped=bad, at=now))
            return result

    return store.write(work)


def _is_pagerduty_api(head: str) -> bool:
    from . import pagerduty_api

    return pagerduty_api.looks_like(head)


class _Peeked:
    def __init__(self, it: Iterator[tuple[int, Mapping[str, Any]]]):
        self._it = it
        self._first = next(it, None)
        self.first_keys = list(self._first[1]) if self._first else []

    def __iter__(self) -> Iterator[tuple[int, Mapping[str, Any]]]:
        if self._first is not None:
            yield self._first
        yield from self._it


def _peek_json(rows: Iterator[tuple[int, Mapping[str, Any]]]) -> _Peeked:
    return _Peeked(rows)


def _check_header(path: Path, header: list[str], cols: Columns, fmt: str, what: str) -> None:
    present = set(header)
    required = {"incidents/drillbit": ("title", "started"), "incidents/pagerduty": ("created_at",),
                "incidents/opsgenie-csv": ("Message", "CreatedAt", "Status"),
                "deploys/drillbit": ("service", "at")}[f"{what}/{fmt}"]
    problems = []
    for f in required:
        if cols.col[f] not in present:
            mapped = f" (mapped from {f})" if cols.col[f] != f else ""
            problems.append(RowProblem(str(path), 1, cols.col[f], f"expected a column {cols.col[f]!r}{mapped}, found "
                                       f"{', '.join(header) or 'no columns'}; name it with --map {f}=COLUMN"))
    if fmt == "pagerduty" and cols.col["incident_number"] not in present and cols.col["id"] not in present:
        problems.append(RowProblem(str(path), 1, cols.col["incident_number"],
                                   "expected a column incident_number (or id), the key that makes re-imports safe; "
                                   "name it with --map incident_number=COLUMN"))
    if fmt == "opsgenie-csv" and not {cols.col[k] for k in ("Id", "TinyId", "Alias")} & present:
        problems.append(RowProblem(str(path), 1, cols.col["TinyId"],
                                   "expected a column TinyId (or Id, or Alias), the key that makes re-imports safe; "
                                   "name it with --map TinyId=COLUMN"))
    if fmt == "drillbit":
        mapped = set(cols.col.values())
        allowed = mapped | set(DERIVED_COLUMNS)
        for h in header:
            if h not in allowed:
                hint = difflib.get_close_matches(h, sorted(mapped), 1)
                problems.append(RowProblem(str(path), 1, h, "unknown column" + (f"; did you mean {hint[0]!r}?" if hint
                                           else f" (expected {', '.join(sorted(mapped))})")))
    if problems:
        raise BadRows(problems, 0, 0)


def _sha256_of_text(path: Path) -> str:
    """The file's SHA-256, read once; raises InvalidRecord at the line of the first byte
    that is not UTF-8 text (a binary file, another encoding) or a NUL byte."""
    h = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
            pending = decoder.getstate()[0] + block
            nul = block.find(b"\0")
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                if nul < 0 or exc.start < nul + len(pending) - len(block):
                    at = line + pending[:exc.start].count(b"\n")
                    raise InvalidRecord(f"{path}:{at}: expected UTF-8 text, got byte 0x{pending[exc.start]:02x}, which "
                                        "is not UTF-8 (a binary file, or another encoding: save it as UTF-8)") from None
            if nul >= 0:
                at = line + block[:nul].count(b"\n")
                raise InvalidRecord(f"{path}:{at}: expected text, got a NUL byte "
                                    "(a binary file?)")
            line += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InvalidRecord(f"{path}:{line}: expected UTF-8 text, got a file that ends inside a character") from None
    return h.hexdigest()


# -- exporting ------------------------------------------------------------------------

def _incident_export_row(inc) -> dict[str, Any]:  # noqa: ANN001
    m = inc.metrics()
    return {"id": inc.id, **{c: _cell(getattr(inc, c)) for c in INCIDENT_COLUMNS},
            **{k: (None if v is None else round(v, 3)) for k, v in m.items()}}


def _cell(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, tuple):
        return ",".join(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def export_records(store: IncidentLog, out: TextIO, *, what: str = "incidents", fmt: str = "csv",
                   flt: Filter = Filter(kind=None)) -> int:
    """Write records as CSV (the import format plus id and metric columns) or JSON
    (``{"version": 1, WHAT: [...]}``); returns how many. Incidents stream, so any
    size exports in flat memory."""
    if what not in EXPORTS:
        raise InvalidRecord(f"what: expected one of {', '.join(EXPORTS)}, got {what!r}")
    if fmt not in ("csv", "json"):
        raise InvalidRecord(f"format: expected csv or json, got {fmt!r}")
    if what == "incidents":
        def work(conn: Connection) -> int:
            items = iter_incidents(conn, flt)
            if fmt == "csv":
                return _write_csv(out, ("id", *INCIDENT_COLUMNS, "ttd", "tta", "ttm", "ttr"),
                                  (_incident_export_row(i) for i in items))
            return _write_json(out, what, (i.to_json() for i in items))
        return store.read(work)
    if what == "deploys":
        records = [d.to_json() for d in reversed(list_deploys(store, service=flt.service, since=flt.since, until=flt.until))]
        columns = ("id", *DEPLOY_COLUMNS)
    elif what == "actions":
        records = [a.to_json() for a in list_actions(store, status=None)]
        columns = ("id", "title", "owner", "due", "status", "severity", "finding_id", "incident_id", "drill_run_id",
                   "note", "created", "closed", "times_seen", "last_seen", "regression")
    elif what == "runs":
        records = [r.to_json() for r in list_runs(store)]
        columns = ("id", "uid", "scenario", "scenario_title", "scenario_kind", "severity", "services", "team", "mode",
                   "seed", "runs", "verdict", "objectives_missed", "recorded", "report_path")
    else:
        records = [f.to_json() for f in list_findings(store)]
        columns = ("id", "rule", "title", "severity", "evidence", "recommendation", "owner", "subject", "drill_run_id",
                   "incident_id")
    if fmt == "csv":
        return _write_csv(out, columns, ({k: (",".join(v) if isinstance(v, list) else v) for k, v in r.items()}
                                         for r in records))
    return _write_json(out, what, iter(records))


class _LineFeeds:
    """Rows end in LF, as they always have. The writer is told CRLF so that it quotes a
    cell holding a bare CR (told LF, it writes the CR raw and the file no longer reads)."""

    def __init__(self, out: TextIO):
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(text[:-2] + "\n" if text.endswith("\r\n") else text)


def _write_csv(out: TextIO, columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> int:
    w = csv.DictWriter(_LineFeeds(out), fieldnames=list(columns), extrasaction="ignore", lineterminator="\r\n")
    w.writeheader()
    n = 0
    for r in rows:
        w.writerow({k: ("" if v is None else defuse_cell(v) if isinstance(v, str) else v) for k, v in r.items()})
        n += 1
    return n


def _write_json(out: TextIO, what: str, items: Iterator[dict[str, Any]]) -> int:
    out.write('{"version": 1, "' + what + '": [')
    n = 0
    for item in items:
        out.write(("\n  " if n == 0 else ",\n  ") + json.dumps(item, default=str))
        n += 1
    out.write("\n]}\n" if n else "]}\n")
    return n


__all__ = ["DEPLOY_COLUMNS", "EXPORTS", "FORMATS", "FORMULA_START", "defuse_cell", "unquote_cell", "INCIDENT_COLUMNS", "ImportResult", "PAGERDUTY_COLUMNS", "WHAT",
           "detect_format", "export_records", "import_file"]
