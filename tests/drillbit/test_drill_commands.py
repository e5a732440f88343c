"""simulate, score, compare, power and demo as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from drillbit.cli import main

START = "2026-11-25T12:00:00+00:00"


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("batch")
    with pytest.raises(SystemExit):
        main(["simulate", "--no-compress", "config-push-global-outage", "--runs", "40", "--seed", "7", "--start", START,
              "--window", "1w", "--out", str(out), "--json"])
    return out


def test_simulate_writes_timelines_and_a_summary_that_agree(batch_dir):
    lines = (batch_dir / "timelines.jsonl").read_text().splitlines()
    summary = json.loads((batch_dir / "summary.json").read_text())
    assert len(lines) == 40 and summary["runs"] == 40
    assert summary["version"] == 1 and summary["scenario"]["id"] == "config-push-global-outage"
    assert {"ttd", "tta", "ttm", "ttr"} <= set(summary["metrics"])
    assert all(0 <= o["share"] <= 1 and o["share_ci"][0] <= o["share"] <= o["share_ci"][1] for o in summary["objectives"])


def test_the_same_seed_gives_the_same_timelines(tmp_path, cli):
    for name in ("a", "b"):
        cli("simulate", "--no-compress", "config-push-global-outage", "--runs", "5", "--seed", "3", "--start", START,
            "--out", str(tmp_path / name), "--json")
    assert (tmp_path / "a" / "timelines.jsonl").read_bytes() == (tmp_path / "b" / "timelines.jsonl").read_bytes()


def test_score_reproduces_the_summary_of_simulate(batch_dir, cli):
    code, out, _ = cli("score", str(batch_dir / "timelines.jsonl"), "--json")
    scored = json.loads(out)
    simulated = json.loads((batch_dir / "summary.json").read_text())
    simulated.pop("timelines")
    assert scored == simulated
    assert code == (1 if scored["objectives_missed"] else 0)


def test_a_missed_objective_exits_1_and_the_table_names_it(cli):
    code, out, _ = cli("simulate", "db-primary-data-deleted", "--seed", "1", "--start", START)
    assert code == 1  # its 1h RPO cannot be met from a daily snapshot
    assert "data lost (RPO) within 1h" in out and "missed" in out
    assert "gap report:" in out and "backup-interval-over-rpo" in out


def test_explain_prints_the_run_as_readable_lines(cli):
    code, out, _ = cli("simulate", "config-push-global-outage", "--seed", "1", "--start", START, "--explain")
    assert "Drill starts" in out and "page" in out


def test_explain_refuses_many_runs(cli):
    code, _, err = cli("simulate", "config-push-global-outage", "--runs", "3", "--explain")
    assert code == 2 and "--explain shows one run" in err


def test_an_unknown_scenario_is_a_clear_error(cli):
    code, _, err = cli("simulate", "no-such-thing")
    assert code == 2 and "no scenario 'no-such-thing'" in err


def test_a_start_without_offset_is_refused(cli):
    code, _, err = cli("simulate", "config-push-global-outage", "--start", "2026-11-25T12:00:00")
    assert code == 2 and "offset" in err


def test_score_reports_a_broken_timeline_line(tmp_path, cli):
    bad = tmp_path / "t.jsonl"
    bad.write_text("{not json\n")
    code, _, err = cli("score", str(bad))
    assert code == 2 and f"{bad}:1:" in err


def test_compare_calls_a_rotation_change_or_admits_noise(tmp_path, cli, batch_dir):
    same = tmp_path / "same"
    cli("simulate", "--no-compress", "config-push-global-outage", "--runs", "40", "--seed", "99", "--start", START,
        "--window", "1w", "--out", str(same), "--json")
    code, out, _ = cli("compare", str(batch_dir / "timelines.jsonl"), str(same / "timelines.jsonl"), "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["metrics"]["ttd"]["verdict"] == "not distinguishable from noise"


def test_power_from_a_pagerduty_style_export(tmp_path, cli):
    rng = np.random.default_rng(0)
    path = tmp_path / "incidents.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["incident_number", "created_at", "seconds_to_resolve"])
        for i, s in enumerate(rng.lognormal(np.log(2520), 1.2, 173)):
            w.writerow([i, "2026-01-01T00:00:00Z", round(s)])
    code, out, _ = cli("power", str(path), "--improvement", "10%", "--trials", "500", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["observations"] == 173 and doc["per_group"] == 86
    assert 0.2 < doc["looks_worse"] < 0.5  # a real 10% improvement often looks worse at this size
    assert doc["needed_per_group"] > 86


def test_power_names_a_missing_column(tmp_path, cli):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    code, _, err = cli("power", str(path))
    assert code == 2 and "expected a column" in err


def test_demo_runs_the_main_job(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("demo", "--runs", "20")
    assert code == 0
    summary = json.loads((tmp_path / "drillbit-demo" / "summary.json").read_text())
    assert summary["runs"] == 20 and summary["findings"]
    assert "0 problems" in out


def test_score_explains_a_timeline_of_the_wrong_shape(tmp_path, cli):
    bad = tmp_path / "t.jsonl"
    bad.write_text('{"schema":1,"scenario":"x","mode":"sim","started_at":"2026-01-01T00:00:00+00:00",'
                   '"events":[{"t":-1,"kind":"boom","actor":"a"}]}\n')
    code, _, err = cli("score", str(bad))
    assert code == 2
    assert f"{bad}:1: not a valid timeline: mode: expected one of 'simulated', 'tabletop' or 'live', got 'sim'" in err
    assert "events[0].kind: expected one of 'drill_started', " in err and "got 'boom'" in err
    assert "Traceback" not in err and "pydantic" not in err
    # An event of a known kind is checked field by field, its data against that kind's fields.
    bad.write_text('{"schema":1,"scenario":"x","mode":"simulated","started_at":"2026-01-01T00:00:00+00:00",'
                   '"events":[{"t":-1,"kind":"page_sent","actor":"a","data":{"purpose":"lunch"}}]}\n')
    code, _, err = cli("score", str(bad))
    assert code == 2
    assert ("events[0].t: expected a number >= 0.0, got -1; events[0].data.purpose: expected one of 'incident', "
            "'severity', 'expert', 'noise' or 'manual', got 'lunch'") in err
