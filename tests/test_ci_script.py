"""CI proves what the README promises a new user: `.ci/run` runs the README's two
set-up commands, each in a fresh virtual environment, never the machine's own Python
(whose older packages once hid a failure a fresh install hits)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SETUP = README.split("## Set-up: two commands", 1)[1].split("\n## ", 1)[0]
COMMANDS = re.findall(r"```sh\n(.*?)\n```", SETUP, flags=re.S)
RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def words(line: str) -> list[str]:
    """A shell line's words without long options (``--quiet`` and the like)."""
    return [w for w in shlex.split(line, comments=True) if not w.startswith("--")]


def script_lines() -> list[list[str]]:
    lines = RUN.replace("\\\n", " ").splitlines()
    return [words(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def runs(command: str) -> bool:
    want = words(command)
    return any(line[i:i + len(want)] == want for line in script_lines() for i in range(len(line)))


def test_the_readme_has_two_set_up_commands():
    assert len(COMMANDS) == 2 and all("pip install" in c for c in COMMANDS)


def test_ci_runs_each_part_of_the_readme_set_up_commands():
    parts = [part.strip() for command in COMMANDS for part in command.split("&&")]
    assert len(parts) == 4
    missing = [p for p in parts if not runs(p)]
    assert not missing, f".ci/run does not run {missing}"


def test_ci_installs_into_fresh_virtual_environments_only():
    assert RUN.count("fresh_venv \"$work/") == 2
    assert "python3 -m venv" in RUN and "--system-site-packages" not in RUN
    # every pip and python after the first venv is the venv's: PATH puts it first
    installs = [line for line in script_lines() if "pip" in line and "install" in line]
    assert installs and all(line[0] == "pip" for line in installs)
    assert 'export PATH="$work/test-venv/bin:$PATH"' in RUN
    assert 'export PATH="$work/demo-venv/bin:$PATH"' in RUN
