"""The runs beside the public report: hand-made samples whose medians, bands, ratios and
words are worked out by hand below (quantiles as scoring takes them: the smallest
observed value at or past the quantile, a run that never got there above every value),
then the section as summary.json, the terminal and the scorecard show it."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from scenarios import format_duration, load_runbook, load_scenario, load_team, yaml_files
from scenarios.scenario import Scenario
from scoring import DrillResult, compare_prediction, score_many, summarise
from scoring.public_report import beside_report, word_for
from simulator import simulate_many
from reports import render_report

ROOT = Path(__file__).resolve().parents[2]
INF = math.inf


def _scenario(**reported) -> Scenario:
    return Scenario.model_validate({
        "id": "api-down", "title": "API down", "kind": "outage", "severity": "P0", "services": ["api"],
        "references": ["https://example.com/pm"],
        "reported": {"source": "https://example.com/pm", "note": "the timeline of the post-mortem", **reported},
        "injects": [{"at": "0s", "fault": {"kind": "crash", "service": "api"}}]})


@pytest.mark.parametrize("ratio, word", [
    (0.5, "within 2x"), (0.499, "flatters: faster than half"), (1.0, "within 2x"), (2.0, "within 2x"),
    (2.001, "slower than double"), (0.0, "flatters: faster than half")])
def test_the_word_is_a_factor_of_two_either_way_inclusive(ratio, word):
    assert word_for(ratio) == word


def test_median_band_and_ratio_are_the_order_statistics_of_the_runs():
    sc = _scenario(ttr="150s", ttd="1m", ttm="10m")
    # ttr over five runs, sorted 60 120 180 300 never: the median is the 3rd (180s), p10
    # the 1st (60s), p90 the 5th (never); 180 / 150 = 1.2, within 2x.
    # ttd: every run 20s, a third of the report's minute: flatters.
    # ttm: three of five runs never mitigated, so the median is never: slower than double.
    samples = {"ttr": np.array([300.0, 60.0, INF, 180.0, 120.0]), "ttd": np.full(5, 20.0),
               "ttm": np.array([100.0, INF, INF, INF, 200.0])}
    rep = beside_report(sc, samples, 5)
    assert rep is not None and rep.source == "https://example.com/pm" and rep.runs == 5
    rows = {m.metric: m for m in rep.metrics}
    assert [m.metric for m in rep.metrics] == ["ttd", "ttm", "ttr"]  # the metrics' order, not the file's
    ttr = rows["ttr"]
    assert (ttr.reported, ttr.median, ttr.p10, ttr.p90, ttr.reached) == (150.0, 180.0, 60.0, None, 4)
    assert ttr.ratio == 1.2 and ttr.word == "within 2x" and ttr.measured is None
    assert rows["ttd"].ratio == round(20 / 60, 3) and rows["ttd"].word == "flatters: faster than half"
    assert rows["ttm"].median is None and rows["ttm"].ratio is None and rows["ttm"].word == "slower than double"


def test_a_metric_no_run_measured_has_no_word_and_no_scenario_without_figures_has_a_section():
    rep = beside_report(_scenario(ttd="1m"), {}, 3)
    assert rep is not None and rep.metrics[0].word is None and rep.metrics[0].median is None
    bare = Scenario.model_validate({"id": "x", "title": "X", "kind": "outage", "severity": "P0", "services": ["a"],
                                    "injects": [{"at": "0s", "fault": {"kind": "crash", "service": "a"}}]})
    assert beside_report(bare, {"ttd": np.ones(3)}, 3) is None


def test_a_single_run_shows_its_own_value():
    rep = beside_report(_scenario(ttr="1h"), {"ttr": np.array([5400.0])}, 1, {"ttr": 5400.0})
    assert rep is not None
    (row,) = rep.metrics
    assert (row.measured, row.median, row.ratio, row.word) == (5400.0, 5400.0, 1.5, "within 2x")


# -- the section through a real batch of the GitLab-modelled built-in ---------------

@pytest.fixture(scope="module")
def gitlab():
    sc = load_scenario(ROOT / "scenarios" / "library" / "db-primary-data-deleted.yaml")
    team = load_team(ROOT / "examples" / "team.yaml")
    books = [load_runbook(p) for p in yaml_files(ROOT / "examples" / "runbooks")]
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    timelines = list(simulate_many(sc, team, books, runs=7, seed=5, start=start, window=7 * 86400.0))
    return sc, team, timelines


def test_summary_json_carries_the_section_and_reads_back(gitlab):
    sc, team, timelines = gitlab
    batch = score_many(timelines, sc, team)
    result = summarise(batch, sc, team.team, [], date(2026, 11, 2))
    doc = json.loads(result.to_json())
    rows = {r["metric"]: r for r in doc["reported"]["metrics"]}
    assert set(rows) == {"ttr", "rpo"} and doc["reported"]["runs"] == 7
    # the 4th of the seven runs' recovery times, set beside the post-mortem's 18 hours
    ttr = sorted(tl.milestone("recovered") - tl.milestone("impact") for tl in timelines)[3]
    assert rows["ttr"]["reported"] == 18 * 3600.0
    assert rows["ttr"]["median"] == pytest.approx(ttr, abs=1e-3)
    assert rows["ttr"]["ratio"] == pytest.approx(ttr / (18 * 3600.0), abs=1e-3)
    assert DrillResult.from_json(result.to_json()) == result


def test_the_terminal_prints_the_section_beside_the_report(cli):
    code, out, _ = cli("simulate", "db-primary-data-deleted", "--runs", "5", "--seed", "3", "--no-log",
                       "--start", "2026-11-02T00:00:00+00:00")
    assert code in (0, 1)
    section = out[out.index("beside the public report"):]
    assert "https://about.gitlab.com/blog/2017/02/10/postmortem-of-database-outage-of-january-31/" in section
    ttr_row = next(line for line in section.splitlines() if line.startswith("time to recover"))
    assert "18h" in ttr_row and re.search(r"\d\.\d\dx", ttr_row), ttr_row


def test_no_section_for_a_scenario_without_figures(cli):
    code, out, _ = cli("simulate", "ransomware-file-share", "--runs", "3", "--seed", "3", "--no-log",
                       "--start", "2026-11-02T00:00:00+00:00")
    assert code in (0, 1) and "beside the public report" not in out


def test_a_measured_drill_shows_its_value_and_the_predicted_median(gitlab):
    sc, team, timelines = gitlab
    batch = score_many(timelines, sc, team)
    predicted = summarise(batch, sc, team.team, [], date(2026, 11, 2))
    one = score_many(timelines[:1], sc, team)
    measured = summarise(one, sc, team.team, [], date(2026, 11, 2))
    samples = {k: [None if math.isinf(v) else float(v) for v in vals] for k, vals in batch.samples.items()}
    prediction = compare_prediction(predicted, measured, samples=samples)
    md = render_report(measured.recorded(prediction=prediction), "md", scenario=sc, team=team,
                       now=datetime(2026, 11, 2, tzinfo=timezone.utc))
    section = md[md.index("## Beside the public report"):]
    header = next(line for line in section.splitlines() if line.startswith("| Metric"))
    assert "Measured" in header and "Predicted median" in header
    ttr_one = timelines[0].milestone("recovered") - timelines[0].milestone("impact")
    row = next(line for line in section.splitlines() if line.startswith("| Time to recover"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "18h" and cells[2] == format_duration(round(ttr_one, 3))
    assert cells[4] == f"{ttr_one / (18 * 3600):.2f}x"
