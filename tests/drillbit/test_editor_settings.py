"""The editor settings the README shows are the ones `drillbit init` writes, for VS
Code and, in their own syntax, for Helix."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

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
