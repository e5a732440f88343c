"""Helpers of the incident-log tests: small files to import and drill summaries."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
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


#: When the helpers' drills are judged: action items count from the team's date then.
JUDGED = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


@lru_cache(maxsize=4)
def drill_summary(runs: int, seed: int = 3) -> tuple[Any, Any]:
    """(scored drill, scenario) of a simulated built-in outage drill, scored by the
    application layer as ``drillbit simulate`` scores it."""
    from drillbit.app import score_timelines
    from drillbit.resolve import resolve
    from simulator import simulate_many

    inputs = resolve("config-push-global-outage")
    timelines = simulate_many(inputs.scenario, inputs.team, inputs.runbooks, runs=runs, seed=seed, start=START,
                              window=7 * 86400.0 if runs > 1 else None)
    return score_timelines(timelines, inputs, now=JUDGED), inputs.scenario


def result_with(*findings: tuple[str, str, str], due: str = "2026-12-31") -> Any:
    """A drill result of scenario s1 with one finding and one action item per (rule,
    subject, severity), each item due on ``due``."""
    from scoring import DrillResult

    doc = drill_summary(5)[0].result.to_dict()
    doc["scenario"] = {"id": "s1", "title": "S one", "kind": "outage", "severity": "SEV2"}
    doc["findings"] = [{"rule": r, "subject": subj, "title": f"{r} on {subj}", "severity": sev, "evidence": "",
                        "recommendation": "", "owner": "sre"} for r, subj, sev in findings]
    doc["action_items"] = [{"rule": r, "subject": subj, "title": f"Fix {r} on {subj}", "owner": "sre", "severity": sev,
                            "due": due} for r, subj, sev in findings]
    return DrillResult.from_json(doc)


def run_cli(capsys: Any, *args: str) -> tuple[int, str, str]:
    """Run ``drillbit ARGS`` in-process: (exit code, stdout, stderr)."""
    import pytest

    from drillbit.cli import main

    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err
