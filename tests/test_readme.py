"""The README's examples stay true: every YAML example loads, and every command in its
reference exists."""

import re
from pathlib import Path

import pytest

from scenarios import build, detect_kind, parse_yaml
from scenarios.loader import MODELS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("text", YAML_BLOCKS, ids=[f"yaml-{i}" for i in range(len(YAML_BLOCKS))])
def test_every_yaml_example_loads(text, tmp_path):
    if text.startswith("tabletop-script:"):  # a tabletop's script is no model file: its own loader reads it
        from scenarios.tabletop import load_script

        (tmp_path / "script.yaml").write_text(text, encoding="utf-8")
        assert load_script(tmp_path / "script.yaml")
        return
    doc = parse_yaml(text, "README.md")
    build(doc, MODELS[detect_kind(doc)])


def test_the_command_reference_names_real_commands(cli):
    commands = set(re.findall(r"^\| `drillbit ([a-z]+)", README, flags=re.M))
    assert {"demo", "validate", "simulate", "score", "report", "compare", "power", "log"} <= commands
    for command in sorted(commands):
        code, out, _ = cli(command, "--help")
        assert code == 0 and "Usage:" in out
