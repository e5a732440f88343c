"""The drillbit command as a user runs it: output, files written and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import scenarios


def test_python_dash_m_runs_the_same_command():
    result = subprocess.run([sys.executable, "-m", "drillbit", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("drillbit, version ")


def test_validate_reports_every_problem_with_its_position_and_exits_2(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: t\nkind: outtage\nseverity: P0\nservices: [api]\ninjects:\n  - at: 0s\n    fault: {kind: crash, service: api}\n    sigal: {}\n")
    code, out, err = cli("validate", str(bad))
    assert code == 2
    assert f"{bad}:3:7: kind: expected one of 'outage', 'breach', 'data-loss' or 'degradation', got 'outtage'; did you mean 'outage'?" in err
    assert f"{bad}:9:5: injects[0].sigal: unknown key 'sigal'; did you mean 'signal'?" in err
    assert "1 problem" not in err and "2 problems" in err


def test_validate_json_has_a_stable_shape(cli, tmp_path):
    good = tmp_path / "s.yaml"
    assert cli("new", "scenario", "s", "--out", str(good))[0] == 0
    code, out, _ = cli("validate", str(good), "--json")
    payload = json.loads(out)
    assert code == 0
    assert payload["version"] == 1 and payload["ok"] is True and payload["problem_count"] == 0
    assert payload["files"] == [{"file": str(good), "kind": "scenario", "ok": True, "problems": []}]


def test_validate_json_lists_problems(cli, tmp_path):
    bad = tmp_path / "b.yaml"
    bad.write_text("team: t\nmembers: []\n")
    code, out, _ = cli("validate", "--json", str(bad))
    payload = json.loads(out)
    assert code == 2 and payload["ok"] is False
    assert {p["path"] for p in payload["files"][0]["problems"]} >= {"members", "rotations", "escalation"}


@pytest.mark.parametrize("kind", ["scenario", "team", "runbook"])
def test_new_writes_a_starting_file_that_validates_and_never_overwrites(cli, tmp_path, kind):
    target = tmp_path / f"{kind}.yaml"
    code, out, _ = cli("new", kind, "my-thing", "--out", str(target))
    assert code == 0 and target.exists()
    assert scenarios.load(target).model_dump()  # it loads as its own kind
    text = target.read_text()
    assert "my-thing" in text and "#" in text  # named and commented
    code, _, err = cli("new", kind, "my-thing", "--out", str(target))
    assert code == 2 and "never overwrites" in err
    assert target.read_text() == text


def test_new_rejects_a_name_that_is_not_an_id(cli, tmp_path):
    code, _, err = cli("new", "scenario", "Bad Name", "--out", str(tmp_path / "x.yaml"))
    assert code == 2 and "expected lowercase letters" in err


def test_schema_prints_json_schema_and_writes_all(cli, tmp_path):
    code, out, _ = cli("schema", "runbook")
    assert code == 0 and json.loads(out)["$id"] == "urn:drillbit:schema:runbook"
    code, _, _ = cli("schema", "--out", str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runbook.json", "scenario.json", "stack.json", "team.json", "workspace.json"]


def test_init_creates_a_workspace_that_commands_find(cli, tmp_path, monkeypatch):
    ws = tmp_path / "drills"
    code, out, _ = cli("init", str(ws))
    assert code == 0
    assert (ws / "drillbit.yaml").exists() and (ws / "team.yaml").exists()
    assert any((ws / "runbooks").glob("*.yaml")) and any((ws / "scenarios").glob("*.yaml"))
    settings = json.loads((ws / ".vscode" / "settings.json").read_text())
    for schema_file, globs in settings["yaml.schemas"].items():
        assert json.loads((ws / schema_file).read_text())["$schema"].endswith("2020-12/schema")
        assert globs
    monkeypatch.chdir(ws / "scenarios")  # a sub-folder: the workspace is found upwards
    code, _, err = cli("validate")
    assert code == 0, err
    assert "all valid" in err
    code, _, err = cli("init", str(ws))
    assert code == 2 and "never overwrites" in err


def test_a_broken_workspace_file_is_reported_at_its_line(cli, tmp_path, monkeypatch):
    (tmp_path / "drillbit.yaml").write_text("workspace: w\nteam: team.yaml\nreprots: out\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("validate")
    assert code == 2
    assert "drillbit.yaml:3:1: reprots: unknown key 'reprots'; did you mean 'reports'?" in err


def test_unexpected_errors_print_one_line_and_exit_3(cli, monkeypatch):
    import scenarios

    def boom(*_a, **_k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(scenarios, "check_files", boom)  # validate imports it when it runs
    code, out, err = cli("validate", "x")
    assert code == 3
    assert err.count("\n") == 1 and "internal error: RuntimeError: kaput" in err
    log = Path(err.split("traceback in ")[1].split(";")[0])
    assert "Traceback" in log.read_text()


def test_usage_errors_exit_2(cli):
    code, _, err = cli("schema", "nonsense")
    assert code == 2 and "Invalid value" in err


def test_validate_counts_unreadable_files_in_words(cli, tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_bytes(b"\x00\x01binary")
    code, _, err = cli("validate", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))
    assert code == 2
    assert "checked 2 files (2 unreadable files)" in err


def test_an_error_carries_its_own_exit_code_and_lines(cli, monkeypatch):
    import scenarios

    class Unreachable(scenarios.DrillbitError):
        exit_code = 4

        def lines(self) -> list[str]:
            return ["first line", "second line"]

    def fail(*_a, **_k):
        raise Unreachable("not shown as is")

    monkeypatch.setattr(scenarios, "check_files", fail)
    code, out, err = cli("validate", "x")
    assert (code, out, err) == (4, "", "first line\nsecond line\n")


def test_drillbit_errors_default_to_exit_2_with_one_error_line(cli, monkeypatch):
    import scenarios

    def fail(*_a, **_k):
        raise scenarios.DrillbitError("the log is locked")

    monkeypatch.setattr(scenarios, "check_files", fail)
    assert cli("validate", "x") == (2, "", "error: the log is locked\n")
