"""The distribution charts of a batch scorecard: every metric an objective judges has
one (histogram and ECDF with the objective drawn in), and the Markdown has the same
metrics in its table. Expected shares are counted by hand from the runs' events."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from reports.fmt import pct
from simulator import simulate_many

from report_cases import make_case


def _figure(html: str, metric: str) -> str:
    m = re.search(rf'<figure id="chart-{metric}">(.*?)</figure>', html, flags=re.S)
    assert m, f"no chart of {metric}"
    return m.group(1)


def _md_rows(md: str) -> dict[str, list[str]]:
    """The Markdown distribution table: label -> its cells."""
    section = md.split("## Distributions over", 1)[1].split("Counts per run", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] not in ("Metric", "---"):
            rows[cells[0]] = cells
    return rows


def test_every_metric_with_an_objective_has_a_chart(batch_case):
    html = batch_case.render("html")
    judged = {o.metric for o in batch_case.result.objectives}
    # a data-loss drill judges its RPO, RTO and its updates as well as the headline four;
    # the phase cadence is judged by the overrun, and the real longest silence is charted too
    assert {"rpo", "rto", "first_update", "cadence_overrun"} <= judged and "longest_silence" not in judged
    assert "histogram of runs that reached it" in _figure(html, "longest_silence")
    for metric in judged:
        fig = _figure(html, metric)
        assert "histogram of runs that reached it" in fig and "cumulative share of runs (ECDF)" in fig
        for o in batch_case.result.objectives:
            if o.metric == metric:
                assert f"met in {pct(o.share)} of runs" in fig


def test_the_markdown_has_a_row_for_every_charted_metric(batch_case):
    html, md = batch_case.render("html"), batch_case.render("md")
    rows = _md_rows(md)
    charted = re.findall(r'<figure id="chart-([a-z_]+)">', html)
    charted.remove("timeline")
    assert len(charted) >= 8
    for metric in charted:
        assert batch_case.result.metrics[metric].label in rows


def test_the_rto_chart_says_the_share_counted_from_the_events(batch_case):
    # the same drill again: the same seed gives the same runs
    timelines = list(simulate_many(batch_case.scenario, batch_case.team, batch_case.runbooks, runs=30, seed=7,
                                   start=datetime.fromisoformat("2026-11-30T00:00:00+00:00"), window=28 * 86400.0))
    within = 0
    for tl in timelines:
        impact = min(e.t for e in tl.events if e.kind == "impact_started")
        restored = [e.t for e in tl.events if e.kind == "restored_data"]
        within += bool(restored) and restored[0] - impact <= 4 * 3600  # the scenario's RTO target: 4h
    fig = _figure(batch_case.render("html"), "rto")
    assert f"objective 4h (scenario): met in {pct(within / 30)} of runs" in fig


@pytest.fixture(scope="module")
def breach_case():
    return make_case("breach", "ci-session-token-theft", runs=8, seed=3, start="2026-11-30T00:00:00+00:00",
                     window=7 * 86400.0)


def test_a_breach_charts_containment_and_each_notification(breach_case):
    html, md = breach_case.render("html"), breach_case.render("md")
    parties = [n.who for n in breach_case.scenario.breach.notify]
    assert parties
    rows = _md_rows(md)
    for metric in ["contain"] + [f"notify_{p.replace('-', '_')}" for p in parties]:
        fig = _figure(html, metric)
        assert "objective" in fig
        assert breach_case.result.metrics[metric].label in rows
