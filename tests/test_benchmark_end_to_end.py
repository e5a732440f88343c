"""benchmarks/end_to_end.py still runs (at a toy size) and measures what it says: its
sizes agree with timelines this test writes and reads itself, and each verdict agrees
with its figure and target. Nothing here is timed."""

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNS = 12


def drillbit() -> list[str]:
    beside = Path(sys.executable).with_name("drillbit")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "drillbit"]


def written(out: Path) -> list[dict]:
    """The runs of the one timelines file in `out`, whether or not it is gzip."""
    (path,) = out.glob("timelines.jsonl*")
    raw = path.read_bytes()
    text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    return [json.loads(line) for line in text.splitlines() if line.strip()], len(raw)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("end-to-end")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "end_to_end.py"), "--runs", str(RUNS),
                           "--repeat", "1", "--startup-repeat", "1", "--memory-runs", "4,8", "--breach-runs", "2",
                           "--ceiling-loop", "1000", "--compare-runs", "30", "--json"],
                          capture_output=True, text=True, cwd=cwd, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout), proc.stderr


def figure(data: dict, starts: str) -> dict:
    (row,) = [r for r in data["figures"] if r["figure"].startswith(starts)]
    return row


def test_every_figure_of_the_issue_is_in_one_run(result):
    data, text = result
    for name in ("start-up: drillbit --version", "start-up: drillbit validate", f"simulate {RUNS} runs, 2 workers",
                 "simulate 1 worker / 2 workers (no added load)", "simulate 1 worker / 2 workers (2 cores busy)",
                 f"score {RUNS} runs", f"report --format html {RUNS} runs", "bytes per run, config-push-global-outage",
                 "bytes per run, breach-100-days", "peak RSS of simulate, 4, 8 runs",
                 "engine incl. recording / plain SimPy", "plain model's milestones = engine's"):
        row = figure(data, name)
        assert row["measured"] > 0 and row["baseline"], row
    assert set(figure(data, "peak RSS")["peaks_mb"]) == {"4", "8"}
    simulate = figure(data, f"simulate {RUNS} runs, 2 workers")
    assert simulate["plain_simpy"] > 0 and simulate["plain_simpy_two_processes"] > 0
    assert "in 2 processes" in simulate["baseline"]
    assert "figure | measured | target | baseline | verdict" in " ".join(text.split())


def test_each_verdict_follows_from_its_figure_and_target(result):
    data, _ = result
    for row in data["figures"]:
        target = row["target"]
        if (m := re.fullmatch(r"< ([\d.]+) (s|KB)", target)):
            limit = float(m[1]) * (1000 if m[2] == "KB" else 1)
            assert row["met"] == (row["measured"] < limit), row
        elif (m := re.fullmatch(r">= ([\d.]+)x", target)):
            assert row["met"] == (row["measured"] >= float(m[1])), row
        elif (m := re.fullmatch(r"<= ([\d.]+)x", target)):
            assert row["met"] == (row["measured"] <= float(m[1])), row
        elif target == "100%":
            assert row["met"] == (row["measured"] == 1.0), row
        elif target.startswith("flat"):
            peaks = row["peaks_mb"]
            assert row["met"] == (peaks["8"] <= 1.25 * peaks["4"]), row
        else:
            assert target == "bounded" and row["met"] is None, row


def test_sizes_agree_with_timelines_written_here(result, tmp_path):
    data, _ = result
    cases = {
        "bytes per run, config-push-global-outage": ["config-push-global-outage", "--runs", str(RUNS), "--start",
                                                     "2026-11-30T00:00:00+00:00", "--window", "4w"],
        "bytes per run, breach-100-days": [str(ROOT / "tests/data/scenarios/breach-100-days.yaml"), "--runs", "2",
                                           "--start", "2026-03-02T09:00:00+00:00"],
    }
    for name, args in cases.items():
        out = tmp_path / name.split(", ")[1]
        proc = subprocess.run([*drillbit(), "simulate", *args, "--seed", "1", "--workers", "2", "--out", str(out),
                               "--no-log"], capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
        runs, size = written(out)
        updates = sum(e["kind"] == "status_update" for run in runs for e in run["events"])
        row = figure(data, name)
        assert row["runs"] == len(runs)
        assert row["measured"] == pytest.approx(size / len(runs))
        assert row["status_updates_per_run"] == pytest.approx(updates / len(runs))
