"""The editor settings the README shows are the ones `drillbit init` writes, for VS
Code and, in their own syntax, for Helix."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import jsonschema

from drillbit.workspace import editor_settings, init_workspace

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Editor completion\n", 1)[1].split("\n## ", 1)[0]


def test_init_writes_the_settings_the_readme_shows(tmp_path):
    init_workspace(tmp_path / "ws", "ws")
    written = json.loads((tmp_path / "ws" / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    shown = json.loads(re.search(r"```json\n(.*?)```", SECTION, flags=re.S).group(1))
    assert written == shown == editor_settings()
    assert written["yaml.yamlVersion"] == "1.2"
    for schema in written["yaml.schemas"]:
        assert (tmp_path / "ws" / schema).is_file()


def test_the_helix_settings_map_the_same_files():
    toml = re.search(r"```toml\n(.*?)```", SECTION, flags=re.S).group(1)
    config = tomllib.loads("\n".join(line.removeprefix("  ") for line in toml.splitlines()))
    yaml = config["language-server"]["yaml-language-server"]["config"]["yaml"]
    assert yaml["yamlVersion"] == "1.2"
    as_lists = {k: [v] if isinstance(v, str) else v for k, v in yaml["schemas"].items()}
    assert as_lists == editor_settings()["yaml.schemas"]


def test_the_modeline_names_the_schema_relative_to_the_file():
    modeline = re.search(r"# yaml-language-server: \$schema=(\S+)`", SECTION).group(1)
    assert (Path("/ws/scenarios") / modeline).resolve() == Path("/ws/schemas/scenario.json")


# -- regenerating the workspace's scenario schema after the team changes ----------------
TEAM_RENAMED = """\
team: storage
members: [{id: ana, name: Ana Lima, timezone: Europe/Lisbon}]
rotations: {primary: {layers: [{start: 2026-01-05T09:00:00Z, turn: 1w, members: [ana]}]}}
escalation: {default: {levels: [{notify: rotation:primary}]}}
severity:
  critical: {definition: Customers cannot store files}
  major: {definition: Uploads are slow or failing for some}
  minor: {definition: A workaround exists}
severity_map: {sev-a: critical}
"""


def test_schema_team_writes_the_severities_of_the_edited_team(cli, tmp_path):
    team = tmp_path / "team.yaml"
    team.write_text(TEAM_RENAMED, encoding="utf-8")
    code, _, err = cli("schema", "--team", str(team), "--out", str(tmp_path / "schemas"))
    assert code == 0, err
    written = json.loads((tmp_path / "schemas" / "scenario.json").read_text(encoding="utf-8"))
    code, out, _ = cli("schema", "scenario", "--team", str(team))
    assert code == 0 and json.loads(out) == written
    severity = jsonschema.Draft202012Validator(written["properties"]["severity"])
    # the levels, the mapped name, and names on the P and SEV scales this team does not use
    # (drillbit maps them by rank: P0 -> critical, SEV3 -> minor, P7 -> minor)
    for name in ("critical", "major", "minor", "sev-a", "P0", "SEV3", "P7"):
        assert severity.is_valid(name), name
    for name in ("P1x", "blocker", "Critical", "sev-b"):
        assert not severity.is_valid(name), name
    assert [f.name for f in sorted((tmp_path / "schemas").iterdir())] == [
        "runbook.json", "scenario.json", "stack.json", "team.json", "workspace.json"]


def test_schema_team_agrees_with_what_init_writes(cli, tmp_path):
    init_workspace(tmp_path / "ws", "ws")
    code, out, _ = cli("schema", "scenario", "--team", str(tmp_path / "ws" / "team.yaml"))
    assert code == 0
    assert json.loads(out) == json.loads((tmp_path / "ws" / "schemas" / "scenario.json").read_text(encoding="utf-8"))


def test_schema_team_is_for_the_scenario_schema_only(cli, tmp_path):
    team = tmp_path / "team.yaml"
    team.write_text(TEAM_RENAMED, encoding="utf-8")
    code, _, err = cli("schema", "runbook", "--team", str(team))
    assert code == 2 and "--team applies to the scenario schema only" in err
    team.write_text(TEAM_RENAMED.replace("members: [ana]", "members: [bea]"), encoding="utf-8")
    code, _, err = cli("schema", "--team", str(team), "--out", str(tmp_path / "schemas"))
    assert code == 2 and f"{team}:3:" in err and not (tmp_path / "schemas").exists()
