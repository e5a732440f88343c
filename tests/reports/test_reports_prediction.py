"""A game day's report: the "Prediction and measure" table (Markdown, HTML, JSON) from a
hand-made prediction, the faults applied and restored from a live timeline's events,
and the notes. Every expected cell is the hand-made value formatted by hand."""

from __future__ import annotations

import html
import json
import re

import pytest

from reports import render_report
from scenarios.timeline import Event, Timeline
from scoring.result import DrillResult, MetricPrediction, Prediction

from report_cases import NOW

NOTE = "touched containers without drillbit.chaos=allow: shop-db-1"


def _row(metric: str, label: str, **kw) -> MetricPrediction:
    base = dict(metric=metric, label=label, objective=None, source=None, share_met=None, median=None, p10=None,
                p90=None, measured=None, status="not applicable", percentile=None, word=None)
    return MetricPrediction(**{**base, **kw})


PREDICTION = Prediction(runs=200, seed=42, metrics=(
    _row("ttd", "time to detect", objective=120.0, source="scenario", share_met=0.4, median=180.0, p10=60.0,
         p90=None, measured=150.0, status="measured", percentile=40.0, word="as predicted"),
    _row("tta", "time to acknowledge", objective=300.0, source="severity P0", share_met=0.755, median=90.0, p10=30.0,
         p90=240.0, measured=20.0, status="measured", percentile=2.5, word="better"),
    _row("ttr", "time to recover", objective=7200.0, source="scenario", share_met=0.9, median=3600.0, p10=1800.0,
         p90=5400.0, status="missed", word="missed"),
    _row("rpo", "data lost (RPO)"),
))
#: The Markdown rows, formatted by hand: durations as YAML writes them, shares as percents.
MD_ROWS = [
    "| Time to detect | 2m (scenario) | 3m | 1m–never | 40% | 2m30s | 40th | as predicted |",
    "| Time to acknowledge | 5m (severity P0) | 1m30s | 30s–4m | 75.5% | 20s | 2.5th | better |",
    "| Time to recover | 2h (scenario) | 1h | 30m–1h30m | 90% | missed | — | missed |",
    "| Data lost (RPO) | — | never | never–never | — | not applicable | — | — |",
]


def live(case):
    """The case's run as a game day: a pause on target api applied at +30s and restored
    at +2m30s, and a kill at +1m (its event naming the container) whose restore the
    timeline never recorded."""
    tl = case.timeline
    extra = (
        Event(t=30, kind="fault_applied", actor="pause", subject="api", data={"fault": "pause", "service": "api", "impact": "outage"}),
        Event(t=60, kind="fault_applied", actor="fault-1", subject="shop-db-1", data={"fault": "kill", "service": "db", "impact": "outage"}),
        Event(t=150, kind="fault_restored", actor="pause", subject="api", data={"fault": "pause", "service": "api"}),
    )
    events = tuple(sorted(tl.events + extra, key=lambda e: e.t))
    return Timeline(scenario=tl.scenario, mode="live", seed=tl.seed, run=None, started_at=tl.started_at, team=tl.team,
                    events=events)


@pytest.fixture
def gameday(single_case):
    result = single_case.result.recorded(prediction=PREDICTION, notes=(NOTE,))
    return result, live(single_case)


def _render(case, result, timeline, fmt):
    return render_report(result, fmt, scenario=case.scenario, team=case.team, timeline=timeline, now=NOW)


def test_markdown_shows_the_prediction_beside_the_measure(single_case, gameday):
    md = _render(single_case, *gameday, "md")
    section = md[md.index("## Prediction and measure"):]
    assert "What 200 simulated runs of the scenario (seed 42) predicted" in section
    for row in MD_ROWS:
        assert row in section, row


def test_html_shows_the_same_table(single_case, gameday):
    page = _render(single_case, *gameday, "html")
    section = page[page.index('<section aria-labelledby="prediction">'):]
    section = section[:section.index("</section>")]
    cells = [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
             for r in re.findall(r"<tr>(.*?)</tr>", section)]
    assert cells[1:] == [[c.strip() for c in row.strip("|").split("|")] for row in MD_ROWS]
    assert '<a href="#prediction">Prediction and measure</a>' in page


def test_json_is_the_result_with_its_prediction(single_case, gameday):
    text = _render(single_case, *gameday, "json")
    doc = json.loads(text)
    assert doc["version"] == 1
    assert [m["metric"] for m in doc["prediction"]["metrics"]] == ["ttd", "tta", "ttr", "rpo"]
    assert doc["prediction"]["metrics"][0]["percentile"] == 40.0 and doc["prediction"]["metrics"][2]["word"] == "missed"
    assert DrillResult.from_json(text) == gameday[0]


def test_a_live_report_lists_the_faults_applied_and_restored_and_the_notes(single_case, gameday):
    md = _render(single_case, *gameday, "md")
    # The drill starts at 10:00 UTC, 11:00 in Berlin (the team's zone).
    assert "| pause | api | 11:00:30 (+30s) | 11:02:30 (+2m30s) | 2m |" in md
    assert "| kill | db: shop-db-1 | 11:01:00 (+1m) | not recorded | — |" in md
    assert f"> **Note:** {NOTE}" in md
    page = _render(single_case, *gameday, "html")
    assert "Faults applied and restored" in page and f"Note: {NOTE}" in page


def test_a_simulated_drill_has_neither_section(single_case):
    for fmt in ("md", "html"):
        text = _render(single_case, single_case.result, single_case.timeline, fmt)
        assert "Prediction and measure" not in text and "Faults applied and restored" not in text


def test_the_same_game_day_renders_to_the_same_bytes(single_case, gameday):
    for fmt in ("md", "html", "json"):
        assert _render(single_case, *gameday, fmt) == _render(single_case, *gameday, fmt)
