"""Batches of built-in scenarios whose JSON Lines bytes must not change, and their
sha256. Only public API that predates the open run is used here, so the same module
runs against an older checkout to produce the expected digests (of the runs without
their status updates, which follow the phase cadence since issue 14):

    cd OLD_CHECKOUT && PYTHONPATH=OLD_CHECKOUT python THIS_FILE
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc)

#: name -> (scenario file stem, runs, seed, start window in seconds, workers, with the
#: example runbooks; without them every phase is improvised)
CASES = {
    "outage": ("config-push-global-outage", 12, 7, None, 1, True),
    "outage-window": ("config-push-global-outage", 12, 8, 28 * 86400.0, 1, True),
    "outage-improvised": ("storage-region-outage", 12, 9, 28 * 86400.0, 1, False),
    "data-loss-window": ("db-primary-data-deleted", 10, 11, 14 * 86400.0, 1, True),
    "data-loss-improvised": ("db-primary-data-deleted", 10, 12, 14 * 86400.0, 1, False),
    "breach-window": ("ci-session-token-theft", 10, 5, 7 * 86400.0, 1, True),
    "ransomware-two-workers": ("ransomware-file-share", 16, 3, 28 * 86400.0, 2, True),
    "waf-two-workers": ("misconfigured-waf-ssrf", 16, 21, None, 2, True),
}


def inputs(stem: str, root: Path = ROOT, with_runbooks: bool = True):
    from scenarios import load_runbook, load_scenario, load_team, yaml_files

    runbooks = [load_runbook(p) for p in yaml_files(root / "examples" / "runbooks")] if with_runbooks else []
    return load_scenario(root / "scenarios" / "library" / f"{stem}.yaml"), load_team(root / "examples" / "team.yaml"), runbooks


def jsonl_sha256(lines) -> str:
    """The sha256 of the lines as write_jsonl writes them (each followed by a newline)."""
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def case_lines(name: str, root: Path = ROOT):
    """The JSON line of each run of the batch, as the closed engine writes it."""
    from simulator import simulate_many

    stem, runs, seed, window, workers, with_runbooks = CASES[name]
    sc, tm, rbs = inputs(stem, root, with_runbooks)
    timelines = simulate_many(sc, tm, rbs, runs=runs, seed=seed, start=START, window=window, workers=workers,
                              chunk=3 if workers > 1 else None)
    return [tl.to_json_line() for tl in timelines]


def case_sha256(name: str, root: Path = ROOT) -> str:
    return jsonl_sha256(case_lines(name, root))


def without_updates(line: str) -> str:
    """A run's line without its status updates, written canonically: what the update
    cadence must leave untouched (it draws nothing from the generator after the
    first update, so every other event keeps its time and order)."""
    import json

    doc = json.loads(line)
    doc["events"] = [e for e in doc["events"] if e["kind"] != "status_update"]
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def case_sha256_without_updates(name: str, root: Path = ROOT) -> str:
    return jsonl_sha256(without_updates(line) for line in case_lines(name, root))


if __name__ == "__main__":
    here = Path.cwd()
    sys.path.insert(0, str(here))
    for name in CASES:
        print(f'    "{name}": "{case_sha256_without_updates(name, here)}",')
