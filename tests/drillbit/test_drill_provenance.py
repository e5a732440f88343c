"""What a drill ran on, how to run it again, and whether its output is whole: seeds,
reproduce commands, drill.json, inputs checked together, and partial files."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from drillbit import output

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "config-push-global-outage"
BUILTIN = ROOT / "scenarios" / "library" / f"{SCENARIO}.yaml"
TEAM = ROOT / "examples" / "team.yaml"
START = "2026-11-25T12:00:00+00:00"
SEED_MAX = 2**63 - 1  # a signed 64-bit integer: SQLite INTEGER, PostgreSQL BIGINT


def _reproduce(err: str) -> list[str]:
    lines = [line for line in err.splitlines() if line.startswith("reproduce: ")]
    assert len(lines) == 1, err
    return shlex.split(lines[0].removeprefix("reproduce: "))


def _log_rows(db: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT seed, summary FROM drill_runs ORDER BY id").fetchall()


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "log.db"
    monkeypatch.setenv("DRILLBIT_DB", str(path))
    return path


# -- item 1 and 2: a seed drillbit picks is storable, printed and reproduces the run ---------

def test_the_readme_first_drill_without_a_seed_tells_its_story_and_records_the_seed(cli, db):
    code, out, err = cli("simulate", SCENARIO, "--explain")
    assert code in (0, 1), err
    assert "internal error" not in err
    assert "Drill starts" in out  # the story printed after the drill was recorded
    words = _reproduce(err)
    seed = int(words[words.index("--seed") + 1])
    assert 0 <= seed <= SEED_MAX
    [(stored, summary)] = _log_rows(db)
    assert stored == seed
    assert json.loads(summary)["reproduce"]["seed"] == seed


def test_the_printed_command_reproduces_a_run_without_seed_or_start(cli, db, tmp_path):
    code, _, err = cli("simulate", "--no-compress", SCENARIO, "--runs", "4", "--window", "1w", "--out", str(tmp_path / "a"))
    words = _reproduce(err)
    assert words[:3] == ["drillbit", "simulate", SCENARIO]
    assert "--start" in words and "--seed" in words and words[words.index("--runs") + 1] == "4"
    assert words[words.index("--window") + 1] == "7d"
    cli(*words[1:], "--no-compress", "--out", str(tmp_path / "b"))
    first, again = (tmp_path / d / "timelines.jsonl" for d in "ab")
    assert first.read_bytes() == again.read_bytes()
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    seed, start = int(words[words.index("--seed") + 1]), words[words.index("--start") + 1]
    assert summary["reproduce"]["seed"] == seed and summary["reproduce"]["start"] == start
    assert summary["reproduce"]["command"] == shlex.join(words)
    logged = json.loads(_log_rows(db)[0][1])
    assert logged["reproduce"]["command"] == shlex.join(words)


def test_a_seed_outside_what_the_log_stores_is_refused(cli):
    code, _, err = cli("simulate", SCENARIO, "--seed", str(SEED_MAX + 1), "--no-log")
    assert code == 2 and "expected a seed from 0 to 9223372036854775807" in err
    code, _, err = cli("simulate", SCENARIO, "--seed", str(SEED_MAX), "--start", START)
    assert code in (0, 1), err


def test_simulator_picks_seeds_in_the_storable_range(monkeypatch):
    from simulator import MAX_SEED, new_seed

    assert MAX_SEED == SEED_MAX
    seeds = [new_seed() for _ in range(2000)]
    assert all(0 <= s <= SEED_MAX for s in seeds)
    assert max(seeds) > 2**62  # the whole range is used, not a 32-bit corner of it


# -- item 16: messages a person can act on ---------------------------------------------------

def test_a_misspelt_scenario_gets_a_did_you_mean(cli):
    code, _, err = cli("simulate", "config-push-global-outag", "--no-log")
    assert code == 2 and "did you mean 'config-push-global-outage'?" in err


def test_a_start_without_offset_shows_an_example_one_can_type(cli):
    code, _, err = cli("simulate", SCENARIO, "--start", "2026-11-30")
    assert code == 2
    assert "2026-11-30+00:00" not in err
    assert "2026-11-30T00:00:00+00:00" in err and "2026-11-30T09:00:00+01:00" in err


# -- item 6: inputs are checked together, as validate does --------------------------------------

def _p9_scenario(tmp_path) -> Path:
    path = tmp_path / "p9.yaml"
    path.write_text(BUILTIN.read_text().replace("severity: P0", "severity: P9", 1))
    return path


def _team_without_p0(tmp_path) -> Path:
    path = tmp_path / "team.yaml"
    text = TEAM.read_text()
    assert "severity:\n  P0:" in text
    path.write_text(text.replace("severity:\n  P0:", "severity:\n  SEV0:"))
    return path


def test_simulate_refuses_a_severity_the_team_lacks(cli, tmp_path):
    sc = _p9_scenario(tmp_path)
    validated, _, expected = cli("validate", str(sc), str(TEAM))
    assert validated == 2
    code, out, err = cli("simulate", str(sc), "--no-log")
    assert code == 2 and "severity 'P9' is not defined" in err and "(outage, P9)" not in out
    assert f"{sc}:" in err


def test_every_problem_of_scenario_team_and_runbooks_is_listed(cli, tmp_path):
    import shutil

    sc, team = _p9_scenario(tmp_path), _team_without_p0(tmp_path)
    books = tmp_path / "runbooks"
    shutil.copytree(ROOT / "examples" / "runbooks", books)
    notice = books / "breach-notification.yaml"
    notice.write_text(notice.read_text().replace("needs: security", "needs: unicorn-taming", 1))
    code, out, err = cli("simulate", str(sc), "--team", str(team), "--runbooks", str(books), "--no-log")
    assert code == 2 and out == ""
    assert f"{sc}:8:11: severity: severity 'P9' is not defined" in err
    assert re.search(rf"{re.escape(str(sc))}:\d+:\d+: monitoring\[0\]\.severity: severity 'P0' is not defined", err)
    assert f"{notice}:" in err and "skill 'unicorn-taming' is held by nobody" in err


def test_score_and_report_refuse_inputs_validate_rejects(cli, tmp_path):
    code, _, _ = cli("simulate", "--no-compress", SCENARIO, "--seed", "1", "--start", START, "--out", str(tmp_path / "d"), "--no-log")
    team = _team_without_p0(tmp_path)
    for command in ("score", "report"):
        code, out, err = cli(command, str(tmp_path / "d" / "timelines.jsonl"), "--team", str(team))
        assert code == 2 and f"{BUILTIN}:8:11: severity: severity 'P0' is not defined" in err, (command, err)


def test_demo_refuses_a_workspace_team_that_lacks_the_drill_severity(cli, tmp_path, monkeypatch):
    cli("init", str(tmp_path / "ws"))
    team = tmp_path / "ws" / "team.yaml"
    assert team.exists()
    text = team.read_text()
    assert "severity:\n  P0:" in text
    team.write_text(text.replace("severity:\n  P0:", "severity:\n  SEV0:"))
    monkeypatch.chdir(tmp_path / "ws")
    code, _, err = cli("demo", "--runs", "2", "--out", str(tmp_path / "demo"))
    assert code == 2 and "db-primary-data-deleted.yaml:10:11: severity: severity 'P0' is not defined" in err


# -- item 7: a summary records what it was scored with; report uses the drill's --------------

@pytest.fixture
def other_team_drill(cli, tmp_path) -> tuple[Path, Path]:
    """A 6-run drill against a copy of the example team renamed 'night-owls'."""
    team = tmp_path / "owls.yaml"
    team.write_text(TEAM.read_text().replace("team: payments-sre", "team: night-owls", 1))
    out = tmp_path / "drill"
    cli("simulate", "--no-compress", SCENARIO, "--team", str(team), "--runs", "6", "--seed", "5", "--start", START,
        "--window", "1d", "--out", str(out), "--no-log")
    return team, out / "timelines.jsonl"


def test_drill_json_names_the_inputs_by_content_hash(other_team_drill):
    import hashlib

    team, timelines = other_team_drill
    manifest = json.loads((timelines.parent / "drill.json").read_text())
    assert manifest["state"] == "complete" and manifest["runs_planned"] == manifest["runs_written"] == 6
    assert manifest["inputs"]["team"] == {"id": "night-owls", "path": str(team.resolve()),
                                          "sha256": hashlib.sha256(team.read_bytes()).hexdigest()}
    assert manifest["inputs"]["scenario"]["sha256"] == hashlib.sha256(BUILTIN.read_bytes()).hexdigest()
    assert manifest["reproduce"]["seed"] == 5 and manifest["reproduce"]["start"] == START


def test_score_and_report_use_the_drill_team_from_anywhere(cli, other_team_drill, tmp_path, monkeypatch):
    team, timelines = other_team_drill
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("score", str(timelines), "--json")
    doc = json.loads(out)
    assert doc["team"] == "night-owls" and doc["inputs"]["team"]["path"] == str(team.resolve())
    assert "note:" not in err
    code, out, err = cli("report", str(timelines), "--format", "json")
    assert json.loads(out)["team"] == "night-owls"


def test_scoring_with_another_team_says_so(cli, other_team_drill):
    team, timelines = other_team_drill
    code, out, err = cli("score", str(timelines), "--team", str(TEAM), "--json")
    expected = (f"scored with team payments-sre ({TEAM.resolve()}) instead of the drill's team night-owls "
                f"({team.resolve()})")
    assert expected in err
    doc = json.loads(out)
    assert doc["team"] == "payments-sre" and expected in doc["notes"]
    code, _, err = cli("report", str(timelines), "--team", str(TEAM), "--format", "md")
    assert expected in err


def test_a_changed_or_missing_drill_file_is_said_plainly(cli, other_team_drill):
    team, timelines = other_team_drill
    team.write_text(team.read_text() + "\n# edited after the drill\n")
    _, _, err = cli("score", str(timelines))
    assert f"the drill's team file {team.resolve()} changed since the drill ran" in err
    team.unlink()
    _, _, err = cli("score", str(timelines))
    assert f"the drill's team file {team.resolve()} is missing" in err
    assert "scored with team payments-sre" in err


# -- item 8: an interrupted batch is marked partial, and score says so ------------------------

def _interrupt_after(monkeypatch, k: int) -> None:
    import simulator  # the drill imports simulate_chunks from it when it starts

    real = simulator.simulate_chunks

    def stopping(*args, **kwargs):
        # Chunks of one run, so that the stop falls after exactly k runs.
        for i, chunk in enumerate(real(*args, **{**kwargs, "chunk": 1})):
            if i == k:
                raise KeyboardInterrupt
            yield chunk

    monkeypatch.setattr(simulator, "simulate_chunks", stopping)


def test_an_interrupted_drill_is_marked_partial_and_score_says_so(cli, tmp_path, monkeypatch):
    out = tmp_path / "d"
    cli("simulate", "--no-compress", SCENARIO, "--runs", "5", "--seed", "2", "--start", START, "--out", str(out), "--no-log")
    assert (out / "summary.json").exists()
    _interrupt_after(monkeypatch, 7)
    code, _, err = cli("simulate", "--no-compress", SCENARIO, "--runs", "20", "--seed", "2", "--start", START, "--out", str(out),
                       "--no-log", "--force")
    assert code == 130
    manifest = json.loads((out / "drill.json").read_text())
    assert (manifest["state"], manifest["runs_planned"], manifest["runs_written"]) == ("interrupted", 20, 7)
    assert len((out / "timelines.jsonl").read_text().splitlines()) == 7
    assert not (out / "summary.json").exists()  # the earlier drill's summary would describe other runs
    monkeypatch.undo()
    code, out_text, err = cli("score", str(out / "timelines.jsonl"), "--json")
    assert "holds 7 of 20 runs (interrupted)" in err
    doc = json.loads(out_text)
    assert doc["runs"] == 7 and doc["drill"] == {"state": "interrupted", "runs_planned": 20, "runs": 7, "partial": True}
    code, out_text, err = cli("report", str(out / "timelines.jsonl"), "--format", "json")
    assert "holds 7 of 20 runs (interrupted)" in err
    assert json.loads(out_text)["drill"]["partial"] is True


def test_every_report_of_a_partial_file_says_so_inside_the_report(cli, tmp_path, monkeypatch):
    out = tmp_path / "d"
    _interrupt_after(monkeypatch, 3)
    code, _, _ = cli("simulate", "--no-compress", SCENARIO, "--runs", "10", "--seed", "2", "--start", START, "--out", str(out), "--no-log")
    assert code == 130
    monkeypatch.undo()
    timelines = str(out / "timelines.jsonl")
    for fmt in ("md", "html", "aar", "postmortem"):
        code, text, _ = cli("report", timelines, "--format", fmt)
        assert "3 of 10 planned (interrupted): partial" in text, fmt
        assert "holds 3 of 10 runs (interrupted)" in text, fmt
    code, text, _ = cli("report", timelines, "--format", "junit")
    assert '<property name="partial" value="true" />' in text and '<property name="runs_planned" value="10" />' in text
    assert "note: " in text and "holds 3 of 10 runs (interrupted)" in text


def test_a_file_cut_after_the_drill_is_partial_too(cli, tmp_path):
    out = tmp_path / "d"
    cli("simulate", "--no-compress", SCENARIO, "--runs", "12", "--seed", "2", "--start", START, "--window", "1d", "--out", str(out),
        "--no-log")
    path = out / "timelines.jsonl"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:9]))
    _, _, err = cli("score", str(path))
    assert "holds 9 of 12 runs (the file was cut or added to after the drill)" in err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a process group")
def test_ctrl_c_on_parallel_runs_leaves_whole_runs_and_one_message(tmp_path):
    out = tmp_path / "d"
    env = {**os.environ, "DRILLBIT_DB": str(tmp_path / "log.db")}
    proc = subprocess.Popen([sys.executable, "-m", "drillbit", "simulate", "--no-compress", SCENARIO, "--runs", "200000", "--workers",
                             "2", "--seed", "3", "--start", START, "--out", str(out), "--no-log"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    lines = out / "timelines.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not lines.exists() or lines.stat().st_size < 20_000):
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    manifest = json.loads((out / "drill.json").read_text())
    written = lines.read_text().splitlines()
    assert manifest["state"] == "interrupted" and manifest["runs_written"] == len(written) > 0
    assert all(json.loads(line)["run"] == i for i, line in enumerate(written))
    assert re.search(rf"interrupted after {len(written):,} of 200,000 runs", err)


# -- item 21: score shows progress on a terminal, nothing when piped --------------------------

def test_score_shows_progress_on_a_terminal_only(cli, tmp_path, monkeypatch):
    out = tmp_path / "d"
    cli("simulate", "--no-compress", SCENARIO, "--runs", "3", "--seed", "2", "--start", START, "--out", str(out), "--no-log")
    _, _, err = cli("score", str(out / "timelines.jsonl"))
    assert "scoring" not in err
    screen = io.StringIO()
    monkeypatch.setattr(output, "err", Console(file=screen, force_terminal=True, width=100))
    cli("score", str(out / "timelines.jsonl"))
    assert "scoring" not in screen.getvalue()  # the drill's kept scores are added up: nothing to wait for
    cli("score", str(out / "timelines.jsonl"), "--rescore")
    assert "scoring" in screen.getvalue() and "3/3" in screen.getvalue()
