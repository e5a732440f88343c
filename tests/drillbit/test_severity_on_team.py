"""The commands with a scenario that is not the team's own: a runbook the team lacks
is a note (exit 0) and a gap finding, and the severity shows both names where they
differ."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILTIN = ROOT / "scenarios" / "library" / "db-primary-data-deleted.yaml"
SEV_TEAM = ROOT / "tests" / "data" / "teams" / "sev-team.yaml"
START = "2026-11-04T10:00:00+00:00"


def _scenario_expecting(tmp_path: Path, extra: str) -> tuple[Path, int, int]:
    """The built-in with one more runbook in its list; (path, line, col) of the new name."""
    text = BUILTIN.read_text()
    old = "runbooks: [postgres-restore-from-snapshot]"
    assert old in text
    path = tmp_path / "scenario.yaml"
    path.write_text(text.replace(old, f"runbooks: [postgres-restore-from-snapshot, {extra}]"))
    lines = path.read_text().splitlines()
    line = next(i for i, t in enumerate(lines, 1) if t.startswith("runbooks:"))
    return path, line, lines[line - 1].index(extra) + 1


def test_validate_notes_a_runbook_the_team_lacks_and_exits_0(cli, tmp_path):
    sc, line, col = _scenario_expecting(tmp_path, "failover-to-standby")
    code, _, err = cli("validate", str(sc), str(ROOT / "examples" / "team.yaml"), str(ROOT / "examples" / "runbooks"))
    assert code == 0, err
    assert (f"{sc}:{line}:{col}: note: runbooks[1]: the scenario expects runbook 'failover-to-standby'; "
            "the team has none (a hint: the drill runs without it)") in err
    assert "all valid" in err
    code, out, _ = cli("validate", "--json", str(sc), str(ROOT / "examples" / "team.yaml"), str(ROOT / "examples" / "runbooks"))
    doc = json.loads(out)
    assert code == 0 and doc["ok"] is True
    notes = [n for f in doc["files"] for n in f.get("notes", [])]
    assert [f["kind"] for f in doc["files"] if "notes" in f] == ["scenario"]  # only where there are some
    assert [(n["line"], n["col"], n["path"]) for n in notes] == [(line, col, "runbooks[1]")]


def test_a_misspelt_runbook_is_still_an_error(cli, tmp_path):
    # one letter off a runbook the team has: a typo, not a runbook the team lacks
    sc, line, col = _scenario_expecting(tmp_path, "postgres-restore-from-snapshots")
    code, _, err = cli("validate", str(sc), str(ROOT / "examples" / "team.yaml"), str(ROOT / "examples" / "runbooks"))
    assert code == 2
    assert f"{sc}:{line}:{col}: runbooks[1]: runbook 'postgres-restore-from-snapshots' is not defined; did you mean" in err


def test_simulate_on_a_sev_team_notes_the_mapping_finds_the_gap_and_logs_both_names(cli, tmp_path):
    sc, line, col = _scenario_expecting(tmp_path, "failover-to-standby")
    rep, db = tmp_path / "rep", tmp_path / "log.db"
    code, out, err = cli("simulate", "--no-compress", str(sc), "--team", str(SEV_TEAM), "--seed", "3", "--start", START,
                         "--report", str(rep), "--db", str(db))
    assert code in (0, 1), err
    # db-primary-data-deleted writes P0 for the incident and P0, P1 for its alerts (line
    # 10, column 11 is its 'severity: P0'); SEV1-SEV3 by rank are the first and second levels.
    assert f"{sc}:10:11: note: severity: on the team's severity levels: P0 -> SEV1 (by rank), P1 -> SEV2 (by rank)" in err
    assert f"{sc}:{line}:{col}: note: runbooks[1]: the scenario expects runbook 'failover-to-standby'" in err
    assert "(data-loss, P0 (the team's SEV1))" in out
    assert "expected-runbook-missing: The scenario expects runbook failover-to-standby; the team has none" in out
    assert "| Kind and severity | data-loss, P0 (the team's SEV1) |" in (rep / "scorecard.md").read_text()
    summary = json.loads((rep / "summary.json").read_text())
    assert summary["scenario"]["severity"] == "SEV1" and summary["scenario"]["written_severity"] == "P0"
    code, out, _ = cli("log", "--db", str(db), "list", "--json")
    [incident] = json.loads(out)["incidents"]
    assert incident["severity"] == "SEV1" and incident["title"].endswith(", severity P0 (the team's SEV1)")
    code, _, _ = cli("report", str(rep / "timelines.jsonl"), "--format", "postmortem", "--out", str(tmp_path / "pm.md"))
    assert code == 0
    # SEV1 is the team's most severe level: the 48-hour post-mortem rule applies to it
    assert "**Severity P0 (the team's SEV1): the post-mortem is due within 48 hours**" in (tmp_path / "pm.md").read_text()


def test_the_example_team_keeps_its_names(cli, tmp_path):
    rep = tmp_path / "rep"
    code, out, err = cli("simulate", "--no-compress", str(BUILTIN), "--seed", "3", "--start", START, "--report", str(rep), "--no-log")
    assert "note:" not in err
    assert "(data-loss, P0)" in out
    assert "written_severity" not in json.loads((rep / "summary.json").read_text())["scenario"]


def test_a_workspace_copy_of_the_sev_team_validates(cli, tmp_path):
    shutil.copy(SEV_TEAM, tmp_path / "team.yaml")
    code, _, err = cli("validate", str(tmp_path / "team.yaml"))
    assert code == 0, err
