"""Bad input never poisons the incident log: imports refuse what the log cannot keep
(with file:ROW), ids are bounded, a bad row already stored is shown flagged and can be
deleted, CSV exports cannot run as spreadsheet formulas, and a failed export leaves
nothing behind."""

from __future__ import annotations

import csv
import io
import json
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

import incidents
from incidents import IncidentLog, InvalidRecord, NotFound, open_store
from incidents import schema as s

from incident_log_helpers import run_cli, write_csv


def _count(log_url: str, table=s.incidents) -> int:  # noqa: ANN001
    log, _ = open_store(log_url)
    try:
        return log.read(lambda c: c.execute(select(func.count()).select_from(table)).scalar_one())
    finally:
        log.close()


# -- files that are not what an import reads ------------------------------------------

def test_a_binary_csv_is_refused_at_its_line_and_nothing_is_imported(capsys, log_url, tmp_path):
    path = tmp_path / "elf.csv"
    path.write_bytes(b"title,started\nok,2026-01-01T00:00:00Z\n\x7fELF\x02\x01\x01\x00\x00\n")
    code, _, err = run_cli(capsys, "log", "--db", log_url, "import", str(path))
    assert code == 2
    assert f"{path}:3: expected text, got a NUL byte" in err
    assert _count(log_url) == 0 and _count(log_url, s.imports) == 0


def test_a_latin1_csv_names_the_line_of_the_first_byte_that_is_not_utf8(capsys, log_url, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("title,started\nok,2026-01-01T00:00:00Z\ncaf\u00e9,2026-01-01T00:00:00Z\n".encode("latin-1"))
    code, _, err = run_cli(capsys, "log", "--db", log_url, "import", str(path))
    assert code == 2
    assert f"{path}:3: expected UTF-8 text, got byte 0xe9" in err
    assert "internal error" not in err and _count(log_url) == 0


def test_deeply_nested_json_is_one_clear_line(capsys, log_url, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    code, _, err = run_cli(capsys, "log", "--db", log_url, "import", str(path))
    assert code == 2 and f"{path}: expected JSON records, got JSON nested too deeply" in err
    lines = tmp_path / "deep.jsonl"
    lines.write_text('{"title": "ok", "started": "2026-01-01T00:00:00Z"}\n{"title": ' + "[" * 100_000 + "\n",
                     encoding="utf-8")
    code, _, err = run_cli(capsys, "log", "--db", log_url, "import", str(lines))
    assert code == 2 and f"{lines}:2: expected a JSON object on the line, got JSON nested too deeply" in err
    assert _count(log_url) == 0


@pytest.mark.parametrize("field, column, expected", [
    ('"title": ["a", "list"]', "title", "expected text, got a JSON list"),
    ('"service": "' + "x" * 201 + '"', "service", "expected at most 200 characters, got 201"),
    ('"title": "a\\u0000b"', "title", "expected text without NUL characters"),
    ('"title": "\\ud800"', "title", "lone surrogate"),
    ('"drill_run_id": ' + "9" * 5000, None, "a value JSON cannot be read as"),
])
def test_json_values_the_log_cannot_store_are_row_problems(capsys, log_url, tmp_path, field, column, expected):
    # PostgreSQL refuses a 201-character service and NUL in text; SQLite a lone surrogate.
    path = tmp_path / "rows.jsonl"
    path.write_text('{"title": "t", "started": "2026-01-01T00:00:00Z", ' + field.replace('"title": "t", ', "") + "}\n",
                    encoding="utf-8")
    code, _, err = run_cli(capsys, "log", "--db", log_url, "import", str(path))
    assert code == 2, err
    assert (f"{path}:1: {column}: " if column else f"{path}:1: ") in err and expected in err
    assert _count(log_url) == 0


# -- ids and limits -------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("show", "99999999999999999999"), ("actions", "--close", "99999999999999999999"),
    ("list", "--limit", "99999999999999999999"), ("edit", "99999999999999999999", "--title", "x"),
    ("delete", "99999999999999999999", "--yes"), ("show", "2147483648"), ("show", "0"),
    ("add", "action", "--title", "t", "--owner", "o", "--incident", "99999999999999999999"),
])
def test_ids_and_limits_beyond_what_the_log_stores_are_usage_errors(capsys, tmp_path, args):
    code, _, err = run_cli(capsys, "log", "--db", str(tmp_path / "l.db"), *args)
    assert code == 2
    assert "is not in the range 1<=x<=2147483647" in err and "internal error" not in err


def test_the_library_answers_not_found_for_an_id_no_column_can_hold(store):
    with pytest.raises(NotFound):
        incidents.get_incident(store, 10**20)
    with pytest.raises(NotFound):
        incidents.close_action(store, 2**63)


# -- nothing out of range is written --------------------------------------------------

@pytest.mark.parametrize("started, expected", [
    ("0001-01-01T00:00:00+00:00", "expected a time from 1970-01-01 to 2200-01-01 (UTC)"),
    ("9999-12-31T23:00:00+00:00", "expected a time from 1970-01-01 to 2200-01-01 (UTC)"),
    ("2026-01-01T00:00:00-23:59", "expected a UTC offset within ±18:00"),
    ("2200-01-01T00:00:00+00:00", "expected a time from 1970-01-01 to 2200-01-01 (UTC)"),
    ("1969-12-31T23:59:59+00:00", "expected a time from 1970-01-01 to 2200-01-01 (UTC)"),
    ("2026-01-01T00:00:00+18:01", "expected a UTC offset within ±18:00"),
])
def test_an_import_with_a_start_the_log_cannot_keep_imports_nothing(capsys, log_url, tmp_path, started, expected):
    path = write_csv(tmp_path / "a.csv", ["title", "started"], [["fine", "2026-01-01T00:00:00Z"], ["bad", started]])
    code, _, err = run_cli(capsys, "log", "--db", log_url, "import", str(path))
    assert code == 2 and f"{path}:3: started: {expected}" in err
    assert _count(log_url) == 0


def test_the_edges_of_the_kept_range_are_accepted(store, tmp_path):
    path = write_csv(tmp_path / "edge.csv", ["title", "started", "resolved"], [
        ["first", "1970-01-01T00:00:00+00:00", "2199-12-31T23:59:59+00:00"],
        ["east", "2026-01-01T00:00:00+18:00", ""], ["west", "2026-01-01T00:00:00-18:00", ""]])
    assert incidents.import_file(store, path).inserted == 3
    got = {i.title: i for i in incidents.list_incidents(store, incidents.Filter(kind=None))}
    # 1970-01-01 to 2200-01-01 is 230 years with 56 leap days, less the last second.
    assert got["first"].metrics()["ttr"] == (230 * 365 + 56) * 86400 - 1
    assert got["east"].started.utcoffset().total_seconds() == 18 * 3600 and not got["east"].problems


@pytest.mark.parametrize("value, expected", [
    ("1e308", "expected seconds from 0 to 3155760000 (100 years)"),
    ("inf", "expected seconds from 0 to 3155760000 (100 years)"),
    ("nan", "expected seconds from 0 to 3155760000 (100 years)"),
    ("-1", "expected seconds from 0 to 3155760000 (100 years)"),
])
def test_a_pagerduty_duration_beyond_bounds_imports_nothing(capsys, log_url, tmp_path, value, expected):
    path = write_csv(tmp_path / "pd.csv", ["incident_number", "created_at", "seconds_to_resolve"],
                     [[1, "2026-01-01T00:00:00Z", 60], [2, "2026-01-01T00:00:00Z", value]])
    code, _, err = run_cli(capsys, "log", "--db", log_url, "import", str(path))
    assert code == 2 and f"{path}:3: seconds_to_resolve: {expected}" in err
    assert _count(log_url) == 0


def test_a_pagerduty_duration_that_ends_after_2200_is_refused(store, tmp_path):
    # 99 years is a duration the bound allows, but 2150 + 99 years is past the kept range.
    path = write_csv(tmp_path / "pd.csv", ["incident_number", "created_at", "seconds_to_first_ack"],
                     [[1, "2150-01-01T00:00:00Z", 99 * 365 * 86400]])
    with pytest.raises(incidents.BadRows) as info:
        incidents.import_file(store, path)
    assert "seconds_to_first_ack: expected a time from 1970-01-01 to 2200-01-01 (UTC)" in str(info.value)


def test_an_acknowledgement_before_the_page_is_refused(store, tmp_path):
    path = write_csv(tmp_path / "a.csv", ["title", "started", "paged", "acknowledged"],
                     [["t", "2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z", "2026-01-01T00:05:00Z"]])
    with pytest.raises(incidents.BadRows) as info:
        incidents.import_file(store, path)
    assert "acknowledged: expected a time at or after paged" in str(info.value)


def test_log_add_with_a_start_in_year_1_exits_2_and_writes_nothing(capsys, log_url):
    code, _, err = run_cli(capsys, "log", "--db", log_url, "add", "--title", "x", "--started", "0001-01-01T00:00:00+01:00")
    assert code == 2
    # The option refuses it before the log is opened.
    assert "--started" in err and "1970" in err and "2199" in err
    assert _count(log_url) == 0


# -- a bad row already stored ----------------------------------------------------------

def _plant_bad_rows(store: IncidentLog) -> None:
    """Rows as an old drillbit (or a hand-written SQL statement) could leave them."""
    rows = [("year1", -62135596800.0, 1e308, 0, "real"), ("offset", 1.7e9, None, -1439, "real"),
            ("y9999", 253402214400.0, None, 0, "weird")]
    def work(conn):  # noqa: ANN001, ANN202
        for n, (title, started, resolved, offset, kind) in enumerate(rows):
            conn.execute(s.incidents.insert().values(source="sql", external_id=str(n), kind=kind, title=title,
                                                     started_at=started, resolved_at=resolved, utc_offset=offset, tags="",
                                                     created_at=0.0, updated_at=0.0))
    store.write(work)


def test_bad_stored_rows_are_listed_shown_exported_and_edited_flagged_never_a_crash(capsys, store, log_url, tmp_path):
    db = ("log", "--db", log_url)
    run_cli(capsys, *db, "add", "--title", "good", "--started", "2026-01-01T00:00:00Z",
            "--resolved", "2026-01-01T01:00:00Z")
    _plant_bad_rows(store)
    ids = {i.title: i.id for i in incidents.list_incidents(store, incidents.Filter(kind=None))}
    code, out, err = run_cli(capsys, *db, "list")
    assert code == 0 and "incidents (4 shown)" in out
    assert f"incident {ids['year1']} !: started: expected a time from 1970-01-01 to 2200-01-01" in err
    assert "resolved: stored 1e+308 is not a time drillbit can show" in err
    assert f"incident {ids['offset']} !: utc_offset: stored -1439 minutes is beyond ±18:00" in err
    assert f"drillbit log delete {ids['y9999']}" in err
    code, out, _ = run_cli(capsys, *db, "list", "--json")
    docs = {d["title"]: d for d in json.loads(out)["incidents"]}
    assert docs["good"]["problems"] == [] and docs["year1"]["resolved"] is None
    assert docs["y9999"]["started"] == "9999-12-31T00:00:00+00:00"
    code, out, _ = run_cli(capsys, *db, "show", str(ids["year1"]))
    assert code == 0 and "problems" in out and "0001-01-01T00:00:00+00:00" in out
    code, out, _ = run_cli(capsys, *db, "export")
    assert code == 0 and len(list(csv.DictReader(io.StringIO(out)))) == 4
    code, out, _ = run_cli(capsys, *db, "export", "--format", "json")
    assert code == 0 and len(json.loads(out)["incidents"]) == 4
    # Editing another incident is untouched by the bad rows; editing a bad one says how to mend it.
    assert run_cli(capsys, *db, "edit", str(ids["good"]), "--title", "better")[0] == 0
    code, _, err = run_cli(capsys, *db, "edit", str(ids["year1"]), "--title", "x")
    assert code == 2 and "mend them in the same edit, or remove it with `drillbit log delete" in err
    code, _, _ = run_cli(capsys, *db, "edit", str(ids["year1"]), "--started", "2026-01-02T00:00:00Z")
    assert code == 0 and not incidents.get_incident(store, ids["year1"]).problems
    # The analyses count only rows the log's rules allow: the good incident, TTR 1 h
    # (the mended one, now without its unreadable resolution, counts too).
    code, out, _ = run_cli(capsys, *db, "stats", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["incidents"] == 2
    assert [(r["period"], r["metrics"]["ttr"]["count"], r["metrics"]["ttr"]["median"]) for r in doc["rows"]] == [
        ("2026-01", 1, 3600.0)]
    assert run_cli(capsys, *db, "patterns")[0] == 0


def test_a_row_sqlite_kept_as_text_in_a_time_column_reads_as_unreadable(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'l.db'}"
    log, _ = open_store(url)
    log.write(lambda c: c.exec_driver_sql(
        "INSERT INTO incidents (source, external_id, kind, title, started_at, utc_offset, tags, created_at, updated_at)"
        " VALUES ('sql', '1', 'real', 42, 'abc', 'x', '', 0, 0)"))
    inc = incidents.list_incidents(log, incidents.Filter(kind=None))[0]
    log.close()
    assert inc.started is None and inc.title == "42"
    assert "started: stored 'abc' is not a time drillbit can show" in inc.problems
    code, out, err = run_cli(capsys, "log", "--db", url, "list")
    assert code == 0 and "unreadable" in out
    code, _, err = run_cli(capsys, "log", "--db", url, "edit", str(inc.id), "--title", "x")
    assert code == 2 and "give a new one with --started" in err


# -- delete ---------------------------------------------------------------------------

def test_delete_needs_yes_off_a_terminal_and_removes_only_that_record(capsys, store, log_url):
    db = ("log", "--db", log_url)
    _plant_bad_rows(store)
    bad = incidents.list_incidents(store, incidents.Filter(kind=None))[0].id
    action = incidents.add_action(store, incidents.ActionItem(title="fix", owner="o", incident_id=bad))
    code, _, err = run_cli(capsys, *db, "delete", str(bad))
    assert code == 2 and "without --yes: input is not a terminal" in err and _count(log_url) == 3
    code, out, _ = run_cli(capsys, *db, "delete", str(bad), "--yes")
    assert code == 0 and out.startswith(f"deleted incident {bad}: ")
    assert _count(log_url) == 2
    # The action item stays, no longer pointing at the incident.
    assert [a.incident_id for a in incidents.list_actions(store, status=None) if a.id == action] == [None]
    code, _, err = run_cli(capsys, *db, "delete", str(bad), "--yes")
    assert code == 2 and f"no incident {bad} in the incident log" in err


def test_delete_asks_on_a_terminal(capsys, store, log_url, monkeypatch):
    from click.testing import CliRunner

    from drillbit import log_commands
    from drillbit.cli import cli

    incidents.add_deploy(store, incidents.Deploy(service="api", at=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    dep = incidents.list_deploys(store)[0].id
    monkeypatch.setattr(log_commands, "_stdin_is_terminal", lambda: True)
    runner = CliRunner()
    no = runner.invoke(cli, ["log", "--db", log_url, "delete", str(dep), "--what", "deploys"], input="n\n")
    assert no.exit_code == 0 and "nothing deleted" in no.output and _count(log_url, s.deploys) == 1
    yes = runner.invoke(cli, ["log", "--db", log_url, "delete", str(dep), "--what", "deploys"], input="y\n")
    assert yes.exit_code == 0 and f"delete deploy {dep}: api?" in yes.output and _count(log_url, s.deploys) == 0


# -- CSV formulas ---------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "+1+2", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "'=quoted", "''+x", "plain",
            "it's", "a=b"]


def test_csv_export_defuses_formulas_and_an_import_gives_back_the_text(store, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"title": t, "started": "2026-01-01T00:00:00Z", "external_id": str(n),
                                        "root_cause": t}) + "\n" for n, t in enumerate(FORMULAS)), encoding="utf-8")
    incidents.import_file(store, path)
    out = io.StringIO()
    incidents.export_records(store, out)
    cells = {r["external_id"]: r["title"] for r in csv.DictReader(io.StringIO(out.getvalue()))}
    # OWASP: a cell starting with = + - @ tab or CR gets a leading single quote.
    for n, t in enumerate(FORMULAS):
        starts_formula = t.lstrip("'")[:1] in ("=", "+", "-", "@", "\t", "\r")
        assert cells[str(n)] == ("'" + t if starts_formula else t), t
    back = tmp_path / "out.csv"
    back.write_text(out.getvalue(), encoding="utf-8", newline="")
    other, _ = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        incidents.import_file(other, back)
        got = {i.external_id: (i.title, i.root_cause) for i in incidents.list_incidents(other, incidents.Filter(kind=None))}
    finally:
        other.close()
    assert got == {str(n): (t, t) for n, t in enumerate(FORMULAS)}


def test_an_imported_tab_led_cell_keeps_its_tab(store, tmp_path):
    path = write_csv(tmp_path / "t.csv", ["title", "started"], [["\t=1+1", "2026-01-01T00:00:00Z"]])
    incidents.import_file(store, path)
    assert incidents.list_incidents(store, incidents.Filter(kind=None))[0].title == "\t=1+1"


# -- export writes all or nothing ----------------------------------------------------

def test_a_failed_export_leaves_nothing_and_keeps_the_old_file(capsys, store, log_url, tmp_path, monkeypatch):
    incidents.add_incident(store, incidents.Incident(title="t", started=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "x.csv"
    target.write_text("old\n", encoding="utf-8")
    real = incidents.export_records

    def half(store_, f, **kw):  # noqa: ANN001, ANN202
        real(store_, f, **kw)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(incidents, "export_records", half)
    code, _, err = run_cli(capsys, "log", "--db", log_url, "export", "--out", str(target))
    assert code == 2 and "No space left on device" in err
    assert sorted(p.name for p in folder.iterdir()) == ["x.csv"] and target.read_text() == "old\n"
    monkeypatch.setattr(incidents, "export_records", real)
    code, _, _ = run_cli(capsys, "log", "--db", log_url, "export", "--out", str(target))
    assert code == 0 and sorted(p.name for p in folder.iterdir()) == ["x.csv"]
    assert target.read_text().startswith("id,source,external_id")


def test_export_into_a_path_under_a_file_or_to_dev_null(capsys, log_url, tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x", encoding="utf-8")
    code, _, err = run_cli(capsys, "log", "--db", log_url, "export", "--out", str(plain / "sub.csv"))
    assert code == 2 and "Not a directory" in err and "internal error" not in err
    code, _, _ = run_cli(capsys, "log", "--db", log_url, "export", "--out", "/dev/null")
    assert code == 0 and stat.S_ISCHR(Path("/dev/null").stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "incidents.db" and not p.name.startswith("incidents.db-")) == ["plain"]


def test_an_exported_file_gets_the_users_usual_mode(capsys, tmp_path):
    import os

    out = tmp_path / "x.csv"
    old = os.umask(0o022)
    try:
        code, _, _ = run_cli(capsys, "log", "--db", str(tmp_path / "l.db"), "export", "--out", str(out))
    finally:
        os.umask(old)
    assert code == 0 and stat.S_IMODE(out.stat().st_mode) == 0o644
