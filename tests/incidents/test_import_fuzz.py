"""Property tests of the importers: whatever a CSV, JSON, JSON-lines or PagerDuty file
holds, an import either succeeds or raises the log's own error (the CLI's exit 2),
never anything else (exit 3); and afterwards the whole log still lists and exports.

Inputs: arbitrary bytes under each suffix; good files of each format with cells
swapped for hostile values (times outside the kept range, huge or non-finite
durations, formulas, long or control-laden text) or random text; JSON records built
from random JSON values. Set DRILLBIT_FUZZ_SCALE=N for N times as many examples.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incidents
from incidents import Filter, IncidentLogError, open_store
from incidents.interchange import INCIDENT_COLUMNS, PAGERDUTY_COLUMNS

from incident_log_helpers import run_cli

SCALE = max(1, int(os.environ.get("DRILLBIT_FUZZ_SCALE", "1")))


def fuzz(n: int) -> settings:
    return settings(max_examples=n * SCALE, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


HOSTILE = [
    "", " ", "\t", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-23:59", "2026-01-01T00:00:00-23:59",
    "2026-01-01T00:00:00", "2199-12-31T23:59:59+18:00", "1969-12-31T23:59:59Z", "1e308", "-1e308", "inf", "nan",
    "-0", "1e-320", "99999999999999999999", "9" * 5000, "=cmd|' /C calc'!A0", "'=1+1", "\t=1+1", "+1", "@x",
    "\x1b[2J", "a,b;c", "x" * 300, "\u2028", "true", "maybe", "real", "drill", "weird",
]
CELL = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))
GOOD_OWN = {"source": "fz", "external_id": "1", "kind": "real", "title": "API down", "service": "api",
            "severity": "P1", "started": "2026-01-01T00:00:00+00:00", "detected": "2026-01-01T00:01:00+00:00",
            "paged": "2026-01-01T00:02:00+00:00", "acknowledged": "2026-01-01T00:03:00+00:00",
            "mitigated": "2026-01-01T00:10:00+00:00", "resolved": "2026-01-01T00:20:00+00:00",
            "root_cause": "bug", "summary": "s", "deploy_related": "false", "tags": "a;b", "drill_run_id": ""}
GOOD_PD = {"incident_number": "7", "id": "P7", "title": "PD", "description": "d", "created_at": "2026-01-01T00:00:00Z",
           "resolved_at": "", "urgency": "high", "priority": "P1", "priority_name": "P1", "service_name": "api",
           "seconds_to_first_ack": "60", "seconds_to_mitigate": "300", "seconds_to_resolve": "900",
           "escalation_count": "1", "status": "resolved"}


def _attempt(store: incidents.IncidentLog, path: Path, **kw) -> None:  # noqa: ANN003
    """Import, accepting only success or the log's own error; then read everything."""
    try:
        incidents.import_file(store, path, **kw)
    except IncidentLogError:
        pass
    listed = incidents.list_incidents(store, Filter(kind=None), limit=None)
    for inc in listed:
        inc.to_json()
        inc.metrics()
    for fmt in ("csv", "json"):
        out = io.StringIO()
        assert incidents.export_records(store, out, fmt=fmt) == len(listed)
    incidents.export_records(store, io.StringIO(), what="deploys")


@pytest.fixture
def fuzz_store(tmp_path):
    log, _ = open_store(f"sqlite:///{tmp_path / 'fuzz.db'}")
    yield log
    log.close()


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


@fuzz(60)
@given(raw=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".json", ".jsonl"]))
def test_arbitrary_bytes_never_crash_an_import(fuzz_store, tmp_path, raw, suffix):
    path = tmp_path / f"raw{suffix}"
    path.write_bytes(raw)
    _attempt(fuzz_store, path)


@fuzz(60)
@given(raw=st.binary(max_size=200), suffix=st.sampled_from([".csv", ".json", ".jsonl"]))
def test_bytes_after_a_good_header_never_crash_an_import(fuzz_store, tmp_path, raw, suffix):
    head = {".csv": b"title,started\nok,2026-01-01T00:00:00Z\n",
            ".json": b'[{"title": "ok", "started": "2026-01-01T00:00:00Z"}, ',
            ".jsonl": b'{"title": "ok", "started": "2026-01-01T00:00:00Z"}\n'}[suffix]
    path = tmp_path / f"head{suffix}"
    path.write_bytes(head + raw)
    _attempt(fuzz_store, path)


def _mutated(good: dict[str, str], data: st.DataObject) -> tuple[list[str], list[list[str]]]:
    header = list(good)
    if data.draw(st.booleans()):
        header = data.draw(st.lists(st.sampled_from(list(good)), min_size=1, max_size=len(good), unique=True))
    rows = []
    for n in range(data.draw(st.integers(1, 4))):
        row = {**good, "external_id": str(n), "incident_number": str(n + 1)}
        for col in data.draw(st.lists(st.sampled_from(header), max_size=4)):
            row[col] = data.draw(CELL)
        rows.append([row[c] for c in header])
    return header, rows


@fuzz(80)
@given(data=st.data(), skip_bad=st.booleans())
def test_mutated_rows_of_the_logs_own_csv_never_crash_an_import(fuzz_store, tmp_path, data, skip_bad):
    header, rows = _mutated(GOOD_OWN, data)
    _attempt(fuzz_store, _write(tmp_path / "own.csv", _csv_text(header, rows)), skip_bad=skip_bad)


@fuzz(80)
@given(data=st.data(), skip_bad=st.booleans())
def test_mutated_pagerduty_columns_never_crash_an_import(fuzz_store, tmp_path, data, skip_bad):
    header, rows = _mutated(GOOD_PD, data)
    _attempt(fuzz_store, _write(tmp_path / "pd.csv", _csv_text(header, rows)), skip_bad=skip_bad, fmt="pagerduty")


JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | CELL,
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                          max_leaves=8)


@fuzz(80)
@given(records=st.lists(st.dictionaries(st.sampled_from(list(INCIDENT_COLUMNS) + list(PAGERDUTY_COLUMNS)),
                                        JSON_VALUE, max_size=8), max_size=4),
       lines=st.booleans(), base=st.booleans())
def test_json_records_of_any_values_never_crash_an_import(fuzz_store, tmp_path, records, lines, base):
    if base:
        records = [{**{k: GOOD_OWN[k] for k in ("title", "started")}, "external_id": str(n), **r}
                   for n, r in enumerate(records)]
    if lines:
        text = "".join(json.dumps(r) + "\n" for r in records)
        path = _write(tmp_path / "r.jsonl", text)
    else:
        path = _write(tmp_path / "r.json", json.dumps(records))
    _attempt(fuzz_store, path, skip_bad=True)


@fuzz(25)
@given(data=st.data())
def test_the_cli_exits_0_or_2_for_mutated_imports(capsys, tmp_path, data):
    header, rows = _mutated(GOOD_OWN, data)
    path = _write(tmp_path / "cli.csv", _csv_text(header, rows))
    db = ("log", "--db", str(tmp_path / "cli.db"))
    code, _, err = run_cli(capsys, *db, "import", str(path))
    assert code in (0, 2), err
    for args in (("list",), ("export",), ("export", "--format", "json")):
        code, _, err = run_cli(capsys, *db, *args)
        assert code == 0, err
