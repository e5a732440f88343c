"""Golden files: the Markdown scorecard, JUnit XML, post-mortem, after-action report
and status page of two drills with a fixed seed, fixed start instants and a fixed
clock (see conftest.py), compared byte for byte with tests/data/golden/.

The golden files pin layout and wording only: they were written from drillbit's own
output. The figures in them are checked against expectations worked out from the
timeline events in hand_figures.py (metrics, quantiles, intervals, shares, counts,
clock times), so a wrong number fails even after the golden files are regenerated.

After a deliberate change to a report (or to the simulator or scoring, which changes
what the reports say), regenerate the golden files and review the diff:

    DRILLBIT_REGENERATE=1 python -m pytest tests/reports/test_reports_golden.py
"""

from __future__ import annotations

import difflib
import os
import re

import pytest

from reports import FILENAMES

import hand_figures as hand
from report_cases import GOLDEN, make_case

REGENERATE = os.environ.get("DRILLBIT_REGENERATE") == "1"

CASES = [
    ("single", "md"), ("single", "junit"), ("single", "postmortem"), ("single", "aar"), ("single", "status"),
    ("batch", "md"), ("batch", "junit"), ("batch", "aar"), ("batch", "postmortem"),
]


@pytest.mark.parametrize(("case", "fmt"), CASES, ids=[f"{c}-{f}" for c, f in CASES])
def test_report_matches_its_golden_file(case, fmt, request):
    drill = request.getfixturevalue(f"{case}_case")
    text = drill.render(fmt)
    path = GOLDEN / f"{case}-{FILENAMES[fmt]}"
    if REGENERATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        if not REGENERATE:
            pytest.fail(f"{path} did not exist and was written; review it and run again")
        return
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), "rendered"))[:80])
        pytest.fail(f"{path.name} differs from the rendered report (DRILLBIT_REGENERATE=1 rewrites it):\n{diff}")


def test_rendering_is_deterministic(batch_case):
    # a second drill built from scratch with the same seed, start and clock
    again = make_case("batch", "db-primary-data-deleted", runs=30, seed=7, start="2026-11-30T00:00:00+00:00",
                      window=28 * 86400.0)
    assert [tl.to_json_line() for tl in again.timelines] == [tl.to_json_line() for tl in batch_case.timelines]
    assert again.render("md") == batch_case.render("md")
    assert again.render("html") == batch_case.render("html")


# ----------------------------------------------------------- figures, worked out by hand

def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def rows_about(text: str, label: str) -> list[list[str]]:
    """Table rows whose first cell names ``label`` (case aside)."""
    return [cells(line) for line in text.splitlines()
            if line.startswith("|") and cells(line)[0].lower() == label.lower()]


def metric_lines(text: str, figs: dict[str, hand.MetricFigures]) -> list[tuple[str, set[str]]]:
    """Lines that name a metric (and not a gap finding's evidence, which quotes inputs),
    with the labels they name."""
    out = []
    for line in text.splitlines():
        low = line.lower()
        if any(w in low for w in ("gap rule", "evidence:", "analysis:", "recommendation:")):
            continue
        named = {m for m in figs if hand.LABELS[m].lower() in low}
        if named:
            out.append((line, named))
    return out


@pytest.mark.parametrize("fmt", ["md", "junit", "postmortem", "aar"])
@pytest.mark.parametrize("case", ["single", "batch"])
def test_every_duration_beside_a_metric_is_one_worked_out_from_the_events(case, fmt, request):
    drill = request.getfixturevalue(f"{case}_case")
    figs = hand.figures(drill)
    first_run = hand.run_metrics(drill.timelines[0], drill.scenario.kind == "data-loss",
                                 drill.team.severity.get(drill.scenario.severity), drill.scenario.kind == "breach")
    checked = 0
    for line, named in metric_lines(drill.render(fmt), figs):
        allowed = set().union(*(figs[m].allowed(first_run[m]) for m in named))
        shown = set(hand.DURATION.findall(line))
        assert shown <= allowed, f"{sorted(shown - allowed)} in {line!r}; expected among {sorted(allowed)}"
        checked += len(shown)
    assert checked >= 8  # the check saw the report's figures, not lines without any


def test_the_single_run_scorecard_shows_each_metric_and_objective_as_the_events_give_it(single_case):
    md = single_case.render("md")
    values = hand.run_metrics(single_case.timeline, False, single_case.team.severity.get(single_case.scenario.severity))
    objectives = hand.objectives(single_case)
    met = 0
    for label, metric, target in objectives:
        (row,) = rows_about(md, label)
        assert hand.dur(target) in row and hand.dur(values[metric]) in row, row
        met += values[metric] <= target
    for metric in ("ttd", "tta", "ttm", "ttr"):
        (row,) = rows_about(md, hand.LABELS[metric])
        assert row[1] == hand.dur(values[metric]), row
    assert f"{met} of {len(objectives)} objectives" in md
    assert 0 < met < len(objectives)  # the drill has both outcomes to show

    junit = single_case.render("junit")
    assert f'tests="{len(objectives)}" failures="{len(objectives) - met}"' in junit


def test_the_many_run_scorecard_distributions_are_the_order_statistics_of_the_runs(batch_case):
    md = batch_case.render("md")
    runs = len(batch_case.timelines)
    assert runs == 30
    for metric, f in hand.figures(batch_case).items():
        (row,) = [r for r in rows_about(md, hand.LABELS[metric]) if len(r) == 6]  # the distributions table
        low, high = hand.median_bootstrap_interval(f.values)
        reached = sum(1 for v in f.values if v != hand.INF)
        assert row[1:6] == [hand.dur(f.median), f"{hand.dur(low)}–{hand.dur(high)}",
                            hand.dur(hand.order_statistic(f.values, 0.9)), hand.dur(hand.order_statistic(f.values, 0.99)),
                            f"{reached} of {runs}"], row


def test_the_counts_of_many_runs_are_counted_from_the_events(batch_case):
    md = batch_case.render("md")
    per_run = [hand.counts(tl) for tl in batch_case.timelines]
    for name in per_run[0]:
        values = [r[name] for r in per_run]
        (row,) = rows_about(md, name)
        expected = [hand.order_statistic(values, 0.5), hand.order_statistic(values, 0.9), max(values)]
        assert row[1:4] == [f"{v:g}" for v in expected], (name, row)
    assert max(r["pages sent"] for r in per_run) > 1 and max(r["pages missed"] for r in per_run) > 0


@pytest.mark.parametrize("fmt", ["md", "junit", "aar"])
def test_shares_of_many_runs_and_their_intervals_are_counted_from_the_runs(batch_case, fmt):
    text = batch_case.render(fmt)
    figs = hand.figures(batch_case)
    runs = len(batch_case.timelines)
    outcomes = set()
    for label, metric, target in hand.objectives(batch_case):
        met = sum(1 for v in figs[metric].values if v <= target)
        outcomes.add(met == runs)
        low, high = hand.wilson(met, runs)
        share, ci = hand.pct(met / runs), f"{hand.pct(low)[:-1]}–{hand.pct(high)}"
        # Lines that give a share of runs (a verdict line naming objectives in its tail
        # quotes only the required share).
        lines = [line for line in text.splitlines()
                 if label in line and {m.group(0) for m in hand.PERCENT.finditer(line)} - {"90%", "95%"}]
        assert lines, label
        for line in lines:
            shown = {m.group(0) for m in hand.PERCENT.finditer(line)}
            assert share in shown, (share, line)
            ranges = {x for x in shown if "–" in x}
            assert ranges <= {ci}, (ci, line)
            assert shown <= {share, ci, "90%", "95%"}, line  # the rest: required share, confidence
            if fmt == "md" and line.startswith("|"):
                assert f"{met} of {runs}" in cells(line), line
    assert outcomes == {True, False}  # objectives every run met and objectives some missed


@pytest.mark.parametrize("case", ["single", "batch"])
def test_timeline_rows_are_on_the_clock_of_the_events(case, request):
    from datetime import timedelta

    from scenarios.common import zone

    drill = request.getfixturevalue(f"{case}_case")
    tl, tz = drill.timeline, zone(drill.team.timezone)
    offsets = {"+" + hand.dur(e.t) for e in tl.events}
    rows = [c for c in map(cells, drill.render("md").splitlines())
            if len(c) >= 4 and c[2].startswith("+") and re.fullmatch(r"\d\d:\d\d:\d\d", c[1])]
    assert len(rows) >= 20
    for row in rows:
        assert row[2] in offsets, row
        since = next(e.t for e in tl.events if "+" + hand.dur(e.t) == row[2])
        # to the nearest second, as the offset beside it
        assert row[1] == (tl.started_at + timedelta(seconds=round(since))).astimezone(tz).strftime("%H:%M:%S"), row


def test_the_status_page_shows_the_times_of_the_updates_and_the_impact(single_case):
    import html as markup
    from datetime import timedelta

    from scenarios.common import zone

    tl, tz = single_case.timeline, zone(single_case.team.timezone)
    page = single_case.render("status")
    text = markup.unescape(re.sub(r"<[^>]+>", " ", page[page.index("<body"):]))
    marks = [e for e in tl.events if e.kind == "status_update" or e.kind == "impact_started"]
    level = single_case.team.severity[single_case.scenario.severity]
    # the page promises the next update within the cadence of the phase (README), or
    # within update_max once a long quiet has stretched it
    identified = level.update_identified or level.update_every
    cadences = (level.update_every, identified, level.update_monitoring or 2 * identified, level.update_max)
    allowed = {hand.dur(e.t) for e in marks} | {hand.dur(c) for c in cadences}
    shown = hand.DURATION.findall(text) + re.findall(r"\+(\d[\dhms.]*)", text)
    assert len(shown) >= 10 and set(shown) <= allowed, sorted(set(shown) - allowed)
    public = [e for e in tl.events if e.kind == "status_update" and e.data.get("public")]
    assert {"+" + hand.dur(public[0].t), "+" + hand.dur(public[-1].t)} <= set(re.findall(r"\+[\dhms]+", text))
    # clock times beside offsets: start + offset on the team's clock
    pairs = re.findall(r"(\d\d:\d\d:\d\d)\s*(?:·|\()\s*\+([\dhms]+)", text)
    assert len(pairs) >= 3
    for clock, offset in pairs:
        t = next(e.t for e in marks if hand.dur(e.t) == offset)
        assert clock == (tl.started_at + timedelta(seconds=round(t))).astimezone(tz).strftime("%H:%M:%S")
