"""``drillbit report``, ``simulate --report`` and ``demo`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drillbit.cli import main

START = "2026-11-30T00:00:00+00:00"
NOW = "2026-12-01T09:00:00+00:00"


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    with pytest.raises(SystemExit):
        main(["simulate", "--no-compress", "config-push-global-outage", "--runs", "12", "--seed", "3", "--start", START,
              "--window", "1w", "--report", str(out), "--json"])
    return out


def test_simulate_report_writes_the_scorecards_beside_the_timelines(runs_dir):
    assert {p.name for p in runs_dir.iterdir()} >= {"timelines.jsonl", "summary.json", "scorecard.html", "scorecard.md"}
    html = (runs_dir / "scorecard.html").read_text(encoding="utf-8")
    assert 'id="chart-tta"' in html and 'id="chart-timeline"' in html  # the series were read back
    summary = json.loads((runs_dir / "summary.json").read_text())
    assert summary["scenario"]["title"] in (runs_dir / "scorecard.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["html", "md", "json", "junit", "postmortem", "aar", "status"])
def test_report_renders_every_format(runs_dir, tmp_path, cli, fmt):
    out = tmp_path / f"report.{fmt}"
    code, _, err = cli("report", str(runs_dir / "timelines.jsonl"), "--format", fmt, "--out", str(out), "--now", NOW)
    assert code == 0 and f"wrote {out}" in err
    assert out.stat().st_size > 200


def test_report_prints_to_stdout_and_agrees_with_score(runs_dir, cli):
    code, out, _ = cli("report", str(runs_dir / "timelines.jsonl"), "--format", "json", "--now", NOW)
    assert code == 0
    doc = json.loads(out)
    code, scored, _ = cli("score", str(runs_dir / "timelines.jsonl"), "--json")
    scored = json.loads(scored)
    assert {k: v for k, v in doc.items() if k != "action_items"} == {k: v for k, v in scored.items() if k != "action_items"}
    assert [a["due"] for a in doc["action_items"]][0].startswith("2026-")


def test_report_is_reproducible_with_a_fixed_clock(runs_dir, cli):
    texts = [cli("report", str(runs_dir / "timelines.jsonl"), "--format", "md", "--now", NOW)[1] for _ in range(2)]
    assert texts[0] == texts[1] and "Tue 1 Dec 2026, 10:00 CET" in texts[0]


def test_report_refuses_bad_input(tmp_path, cli):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, _, err = cli("report", str(empty))
    assert code == 2 and "no timelines" in err
    code, _, err = cli("report", str(empty), "--format", "pdf")
    assert code == 2 and "pdf" in err


def test_demo_ends_with_the_path_of_the_html_scorecard(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("demo", "--runs", "8")
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert last.endswith("scorecard.html") and (tmp_path / last).is_file()
    assert "<svg" in (tmp_path / last).read_text(encoding="utf-8")
