"""Shared fixtures: the repository root and the shipped example files."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def example_team_path() -> Path:
    return ROOT / "examples" / "team.yaml"
