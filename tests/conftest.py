"""Shared fixtures: the repository root and the shipped example files."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli(capsys):
    """Run the drillbit command in-process: ``cli("validate", path)`` -> (exit code, stdout, stderr)."""
    from drillbit.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as info:
            main(list(args))
        captured = capsys.readouterr()
        return info.value.code, captured.out, captured.err

    return run


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def example_team_path() -> Path:
    return ROOT / "examples" / "team.yaml"


@pytest.fixture(autouse=True)
def _private_incident_log(tmp_path_factory, monkeypatch):
    """Drills record themselves in the incident log; keep tests out of the user's."""
    monkeypatch.setenv("DRILLBIT_DB", str(tmp_path_factory.getbasetemp() / "incidents.db"))
