"""Fixtures of the command tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SCENARIO = "db-primary-data-deleted"


@pytest.fixture(scope="module")
def drill(tmp_path_factory) -> Path:
    """Two simulated runs of SCENARIO: their timelines.jsonl, with drill.json beside it."""
    from drillbit.cli import main

    out = tmp_path_factory.mktemp("drill") / "run"
    with pytest.raises(SystemExit):
        main(["simulate", SCENARIO, "--runs", "2", "--seed", "1", "--start", "2026-11-02T03:00:00+01:00",
              "--out", str(out)])
    return out / "timelines.jsonl"
