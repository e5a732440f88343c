"""Where commands write: a path that cannot be written is one line and exit 2 before
any work, a file is replaced whole or not at all, and a drill folder is never shared."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator
from drillbit import app, files

SCENARIO = "config-push-global-outage"
START = "2026-11-25T12:00:00+00:00"
SIM = ("simulate", "--no-compress", SCENARIO, "--start", START, "--seed", "5", "--no-log")


@pytest.fixture(scope="module")
def timelines(tmp_path_factory) -> Path:
    from drillbit.cli import main

    out = tmp_path_factory.mktemp("drill")
    with pytest.raises(SystemExit):
        main([*SIM, "--runs", "3", "--out", str(out), "--json"])
    return out / "timelines.jsonl"


@pytest.fixture
def blocker(tmp_path) -> Path:
    f = tmp_path / "a-file"
    f.write_text("kept\n")
    return f


def _bad_paths(tmp_path: Path, blocker: Path, want: str) -> dict[str, str]:
    folder = tmp_path / "a-folder"
    folder.mkdir(exist_ok=True)
    paths = {
        "parent is a file": str(blocker / "sub"),
        "device": "/dev/null",
        # /proc refuses new files even to root, where a chmod 0555 folder would not
        "unwritable": "/proc/self/drillbit-out",
    }
    paths["folder where a file is expected" if want == "file" else "file where a folder is expected"] = (
        str(folder) if want == "file" else str(blocker))
    return paths


def _one_clear_line(code: int, err: str) -> None:
    assert code == 2, err
    assert "internal error" not in err and "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith(("error:", "Error:"))]
    assert len(lines) == 1, err


FOLDER_COMMANDS = {
    "simulate --out": lambda p: [*SIM, "--out", p],
    "simulate --report": lambda p: [*SIM, "--report", p],
    "schema --out": lambda p: ["schema", "--out", p],
    "init": lambda p: ["init", p],
    "demo --out": lambda p: ["demo", "--runs", "2", "--out", p],
}


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
@pytest.mark.parametrize("case", ["parent is a file", "device", "unwritable", "file where a folder is expected"])
def test_a_folder_that_cannot_be_written_is_one_line_and_exit_2(cli, tmp_path, blocker, monkeypatch, command, case):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(simulator, "simulate_chunks", _must_not_run)
    code, _, err = cli(*FOLDER_COMMANDS[command](_bad_paths(tmp_path, blocker, "folder")[case]))
    _one_clear_line(code, err)
    assert blocker.read_text() == "kept\n"


@pytest.mark.parametrize("case", ["parent is a file", "device", "unwritable", "folder where a file is expected"])
def test_a_file_that_cannot_be_written_is_one_line_and_exit_2(cli, tmp_path, blocker, timelines, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    bad = _bad_paths(tmp_path, blocker, "file")[case]
    for args in (["new", "scenario", "fresh", "--out", bad], ["report", str(timelines), "--out", bad]):
        code, _, err = cli(*args)
        _one_clear_line(code, err)
    assert blocker.read_text() == "kept\n"


def _must_not_run(*args, **kwargs):
    raise AssertionError("simulated although an output was unusable")


def test_a_report_that_cannot_be_encoded_leaves_the_existing_file_whole(cli, tmp_path, timelines, monkeypatch):
    import reports

    target = tmp_path / "report.html"
    target.write_text("the earlier report\n")
    monkeypatch.setattr(reports.render, "render_report", lambda *a, **k: "<p>\ud800</p>")
    code, _, err = cli("report", str(timelines), "--out", str(target))
    _one_clear_line(code, err)
    assert target.read_text() == "the earlier report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temporary file left


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "x.json"
    target.write_text("old")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(files.OutputError, match="no space left"):
        files.write_text(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_write_reports_keeps_earlier_reports_when_one_format_fails(tmp_path, timelines, monkeypatch):
    import reports.render
    from datetime import datetime, timezone

    from drillbit.resolve import resolve
    from reports.render import ReportError
    from scenarios.timeline import read_jsonl

    (tmp_path / "scorecard.html").write_text("earlier")
    now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    drill = app.score_timelines(read_jsonl(timelines), resolve(SCENARIO), now=now)
    real = reports.render.render_report
    monkeypatch.setattr(reports.render, "render_report",
                        lambda result, fmt, **kw: "\ud800" if fmt == "md" else real(result, fmt, **kw))
    with pytest.raises(ReportError):
        app.write_reports(drill, tmp_path, now=now, formats=("html", "md"))
    assert (tmp_path / "scorecard.html").read_text() == "earlier" and not (tmp_path / "scorecard.md").exists()
    monkeypatch.undo()
    written = app.write_reports(drill, tmp_path, now=now, formats=("html", "md"))
    assert [p.name for p in written] == ["scorecard.html", "scorecard.md"]
    assert (tmp_path / "scorecard.html").read_text() != "earlier"


# -- one drill per folder --------------------------------------------------------------

def test_a_second_simulate_into_a_drill_folder_is_refused_and_changes_nothing(cli, tmp_path):
    out = tmp_path / "d"
    assert cli(*SIM, "--runs", "2", "--out", str(out))[0] in (0, 1)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, _, err = cli(*SIM, "--runs", "3", "--out", str(out))
    _one_clear_line(code, err)
    assert "already holds a drill" in err and "--force" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_force_replaces_the_drill_whole(cli, tmp_path):
    out = tmp_path / "d"
    cli(*SIM, "--runs", "2", "--out", str(out), "--report", str(out))
    assert (out / "scorecard.html").exists()
    code, _, _ = cli(*SIM, "--runs", "3", "--out", str(out), "--force")
    assert code in (0, 1)
    assert len((out / "timelines.jsonl").read_text().splitlines()) == 3
    assert json.loads((out / "drill.json").read_text())["runs_planned"] == 3
    assert not (out / "scorecard.html").exists()  # it told of the two runs that are gone
    assert sorted(p.name for p in out.iterdir()) == ["drill.json", "scores.json.gz", "summary.json", "timelines.jsonl"]


def test_a_folder_another_run_is_writing_into_is_refused(cli, tmp_path, monkeypatch):
    out = tmp_path / "d"
    out.mkdir()
    monkeypatch.setattr(simulator, "simulate_chunks", _must_not_run)
    with files.FolderLock(out):
        code, _, err = cli(*SIM, "--out", str(out), "--force")
    _one_clear_line(code, err)
    assert "another drillbit command is writing into" in err
    assert list(out.iterdir()) == []


def test_a_killed_run_leaves_no_lock_behind(tmp_path):
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from drillbit.files import FolderLock; "
                               f"l = FolderLock({str(tmp_path)!r}).__enter__(); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(files.OutputError):
            files.FolderLock(tmp_path).__enter__()
        holder.kill()
        holder.wait(10)
        with files.FolderLock(tmp_path):
            pass
    finally:
        holder.kill()
        holder.wait(10)


# -- the incident log is checked before the simulation ---------------------------------

@pytest.mark.parametrize("url", ["postgresq://user@host/db", "sqlite:////proc/self/no/incidents.db"])
def test_a_bad_db_url_fails_before_simulating(cli, tmp_path, monkeypatch, url):
    monkeypatch.setattr(simulator, "simulate_chunks", _must_not_run)
    code, _, err = cli("simulate", "--no-compress", SCENARIO, "--start", START, "--db", url, "--out", str(tmp_path / "d"))
    _one_clear_line(code, err)


# -- files.write_text, fuzzed ----------------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(), max_size=40))
def test_write_text_writes_the_text_or_leaves_the_old_file(tmp_path, text):
    target = tmp_path / "f.txt"
    target.write_bytes(b"old")
    try:
        files.write_text(target, text)
    except files.OutputError:
        assert target.read_bytes() == b"old"
        assert any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    else:
        assert target.read_bytes() == text.encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_a_streamed_file_keeps_the_mode_of_the_one_it_replaces_and_a_failure_keeps_the_old(tmp_path):
    import stat

    target = tmp_path / "export.csv"
    target.write_text("old\n")
    target.chmod(0o600)
    assert files.write_streamed(target, lambda f: f.write("a,b\r\n")) == 5
    assert target.read_bytes() == b"a,b\r\n" and stat.S_IMODE(target.stat().st_mode) == 0o600

    def half(f):  # noqa: ANN001, ANN202
        f.write("partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left on device"):
        files.write_streamed(target, half)
    assert target.read_bytes() == b"a,b\r\n" and [p.name for p in tmp_path.iterdir()] == ["export.csv"]
