"""The starter drillbit.yaml that ``drillbit init`` writes carries a commented
schedule: as written it has none, and uncommented it loads and names the pool."""

from __future__ import annotations

import re
from pathlib import Path

from drillbit.workspace import init_workspace
from scenarios import Workspace, load


def test_the_starter_schedule_is_commented_out_and_loads_once_uncommented(tmp_path: Path):
    init_workspace(tmp_path)
    text = (tmp_path / "drillbit.yaml").read_text()
    assert load(tmp_path / "drillbit.yaml", Workspace).schedule == []
    start = text.index("# schedule:")
    uncommented = text[:start] + re.sub(r"(?m)^# ", "", text[start:])
    (tmp_path / "drillbit.yaml").write_text(uncommented)
    (entry,) = load(tmp_path / "drillbit.yaml", Workspace).schedule
    assert (entry.id, entry.cron, entry.timezone, entry.mode, entry.rule) == (
        "weekly-sim", "0 10 * * Tue", "Europe/Berlin", "simulate", "least-recent")
    assert entry.pool == ["config-push-global-outage", "db-primary-data-deleted"]
    assert entry.blackouts[0].reason == "year-end change freeze"
