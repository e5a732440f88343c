"""Helpers of the incident-log tests: small files to import and drill summaries."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
OWN_HEADER = ["source", "external_id", "title", "service", "severity", "started", "detected", "acknowledged",
              "mitigated", "resolved", "root_cause", "tags"]


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def own_rows(n: int, *, prefix: str = "inc", source: str = "test", day: int = 1) -> list[list[Any]]:
    """n good incidents in the log's own format, 10 minutes apart."""
    rows = []
    base = datetime(2026, 10, day, tzinfo=timezone.utc)
    for i in range(n):
        t = lambda m: (base + timedelta(minutes=i * 10 + m)).isoformat()  # noqa: E731
        rows.append([source, f"{prefix}-{i}", f"incident {i}", "api", "P2", t(0), t(2), t(3), t(5), t(9), "bug", "a;b"])
    return rows


def write_own(path: Path, n: int, **kw: Any) -> Path:
    return write_csv(path, OWN_HEADER, own_rows(n, **kw))


@lru_cache(maxsize=4)
def drill_summary(runs: int, seed: int = 3) -> tuple[dict, Any]:
    """(summary document, scenario) of a simulated built-in outage drill, as
    ``drillbit simulate`` builds it (with ``_batch`` for a single run)."""
    from drillbit.resolve import resolve
    from scoring import find_gaps, score_many, summary_json
    from simulator import simulate_many

    inputs = resolve("config-push-global-outage")
    timelines = simulate_many(inputs.scenario, inputs.team, inputs.runbooks, runs=runs, seed=seed, start=START,
                              window=7 * 86400.0 if runs > 1 else None)
    batch = score_many(timelines, inputs.scenario, inputs.team)
    findings = find_gaps(inputs.scenario, inputs.team, inputs.runbooks, start=START, batch=batch)
    doc = summary_json(batch, inputs.scenario, inputs.team.team, findings, date(2026, 11, 27))
    doc["_batch"] = batch
    return doc, inputs.scenario


def run_cli(capsys: Any, *args: str) -> tuple[int, str, str]:
    """Run ``drillbit ARGS`` in-process: (exit code, stdout, stderr)."""
    import pytest

    from drillbit.cli import main

    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err
