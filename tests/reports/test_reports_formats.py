"""Each format says what scoring computed, and only that: JUnit valid against the
common JUnit schema with one test case per objective, a self-contained accessible
HTML scorecard, summary.json as the drill result writes it, drafts that follow their
conventions."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports import FILENAMES, FORMATS, ReportError, render_files, render_report
from reports.fmt import duration, pct
from scenarios import format_duration
from scoring.actions import DUE_DAYS
from scoring.result import DrillProgress, DrillResult

from report_cases import NOW, ROOT, TODAY

XSD = ROOT / "tests" / "data" / "junit.xsd"


# -- JUnit ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def schema():
    etree = pytest.importorskip("lxml.etree")
    return etree.XMLSchema(etree.parse(str(XSD)))


@pytest.mark.parametrize("case", ["single_case", "batch_case"])
def test_junit_is_valid_against_the_junit_schema(case, schema, request):
    from lxml import etree

    drill = request.getfixturevalue(case)
    doc = etree.fromstring(drill.render("junit").encode("utf-8"))
    assert schema.validate(doc), schema.error_log


@pytest.mark.parametrize("case", ["single_case", "batch_case"])
def test_junit_has_one_test_case_per_objective_and_fails_the_missed_ones(case, request):
    import xml.etree.ElementTree as ET

    drill = request.getfixturevalue(case)
    root = ET.fromstring(drill.render("junit"))
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [o.label for o in drill.result.objectives]
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert len(failed) == drill.result.objectives_missed
    assert root.get("failures") == str(len(failed)) and root.get("tests") == str(len(cases))
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["scenario"] == drill.scenario.id and props["runs"] == str(drill.result.runs)


def test_junit_names_how_a_single_run_missed(single_case):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(single_case.render("junit"))
    missed = [o for o in single_case.result.objectives if o.status == "missed"]
    assert missed, "the fixture drill misses its recovery objective"
    failures = {c.get("name"): c.find("failure") for c in root.iter("testcase") if c.find("failure") is not None}
    for o in missed:
        assert failures[o.label].get("type") == "missed"
        assert format_duration(o.value) in failures[o.label].get("message")


# -- JSON ----------------------------------------------------------------------------

def test_json_is_the_result_as_summary_json_writes_it(batch_case):
    text = render_report(batch_case.result, "json", scenario=batch_case.scenario)
    assert text == batch_case.result.to_json()
    assert DrillResult.from_json(text) == batch_case.result
    # one document, indented, ending in one newline
    assert text.endswith("}\n") and text.startswith('{\n  "version": 1,')
    assert json.loads(text)["scenario"]["title"] == batch_case.scenario.title


def test_json_keeps_text_outside_ascii_as_written(batch_case):
    result = batch_case.result.model_copy(update={"notes": ("Zürich — ✓",)})
    text = render_report(result, "json", scenario=batch_case.scenario)
    assert '"Zürich — ✓"' in text and "\\u" not in text


@pytest.mark.parametrize("case", ["single_case", "batch_case"])
def test_a_report_from_summary_json_read_back_is_the_report_of_the_result(case, request):
    drill = request.getfixturevalue(case)
    (_, data), = render_files(drill.result, scenario=drill.scenario, formats=("json",))
    again = DrillResult.from_json(data)
    kw = dict(scenario=drill.scenario, team=drill.team, timeline=drill.timeline, series=drill.series, now=NOW)
    assert render_files(again, **kw, formats=FORMATS) == render_files(drill.result, **kw, formats=FORMATS)


# -- what the application records beside the scores -----------------------------------

def test_a_drill_cut_short_and_its_notes_are_said_in_the_markdown_and_junit_reports(batch_case):
    progress = DrillProgress(state="interrupted", runs_planned=50, runs=30, partial=True)
    result = batch_case.result.recorded(drill=progress, notes=("team file differs from the drill's",))
    md = render_report(result, "md", scenario=batch_case.scenario, team=batch_case.team, timeline=batch_case.timeline,
                       now=NOW)
    assert "| Runs | 30 of 50 planned (interrupted): partial |" in md
    assert "> **Note:** team file differs from the drill's" in md
    junit = render_report(result, "junit", scenario=batch_case.scenario, timeline=batch_case.timeline, now=NOW)
    for name, value in (("partial", "true"), ("runs_planned", "50"), ("drill.state", "interrupted")):
        assert f'<property name="{name}" value="{value}" />' in junit
    assert "\nnote: team file differs from the drill's\n" in junit
    # without the record the header says nothing of it
    assert "partial" not in batch_case.render("md").split("## Verdict", 1)[0]


# -- HTML ----------------------------------------------------------------------------

class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    p = _Tags()
    p.feed(html)
    return p.tags


@pytest.mark.parametrize("case", ["single_case", "batch_case"])
def test_html_is_self_contained(case, request):
    html = request.getfixturevalue(case).render("html")
    tags = _tags(html)
    names = {t for t, _ in tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}
    for tag, attrs in tags:
        for key in ("src", "href", "xlink:href", "action"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (tag, key, value)
    assert not re.search(r"url\(\s*['\"]?(?!#)", html), "CSS must not load anything"
    assert "@import" not in html
    assert "Content-Security-Policy" in html


def test_html_is_accessible_in_structure(batch_case):
    html = batch_case.render("html")
    tags = _tags(html)
    assert ('html', {'lang': 'en'}) in tags
    assert [t for t, _ in tags].count("h1") == 1
    assert any(t == "main" for t, _ in tags)
    heads = [a for t, a in tags if t == "th"]
    assert heads and all(a.get("scope") in ("col", "row") for a in heads)
    svgs = [a for t, a in tags if t == "svg"]
    charted = {o.metric for o in batch_case.result.objectives} | {"ttd", "tta", "ttm", "ttr"}
    if "cadence_overrun" in charted:  # the real longest silence is charted beside it (README)
        charted.add("longest_silence")
    assert len(svgs) == len(charted) + 1  # a distribution per judged or headline metric, and the timeline
    assert all(a.get("role") == "img" and a.get("aria-labelledby") for a in svgs)
    ids = [a["id"] for _, a in tags if "id" in a]
    assert len(ids) == len(set(ids)), "element ids must be unique across the inline charts"
    assert "@media print" in html


def test_html_never_tells_a_result_by_colour_alone(single_case):
    html = single_case.render("html")
    for status, sign in (("met", "✓"), ("missed", "✗")):
        assert re.search(rf'class="chip {status}">{sign} {status}<', html)
    for r in "PSMU":
        assert f'class="chip {r}">{r}<' in html


def test_html_shows_the_figures_of_the_result(batch_case):
    html = batch_case.render("html")
    result = batch_case.result
    for name in ("ttd", "tta", "ttm", "ttr"):
        m = result.metrics[name]
        assert f">{duration(m.median)}<" in html
        assert f'id="chart-{name}"' in html
    for o in result.objectives:
        assert o.label in html and pct(o.share) in html
    for f in result.findings:
        assert f.title.replace("'", "&#39;") in html
    assert result.action_items
    for a in result.action_items:
        # due as YYYY-MM-DD, the days of its severity after the drill's date
        assert f'<td class="time" data-label="Due">{a.due:%Y-%m-%d}</td>' in html
        assert a.due == TODAY + timedelta(days=DUE_DAYS[a.severity])
    for rule in result.rating_rules:
        assert rule.rule.replace("'", "&#39;") in html


def test_a_single_run_has_a_timeline_chart_but_no_distribution_charts(single_case):
    html = single_case.render("html")
    assert 'id="chart-timeline"' in html and 'id="chart-tta"' not in html
    assert "Customer impact" in html and "Communications" in html


def test_many_runs_without_their_series_renders_without_distribution_charts(batch_case):
    html = batch_case.render("html", series=None)
    assert 'id="chart-tta"' not in html and 'id="chart-timeline"' in html


def test_scenario_text_is_escaped(batch_case):
    evil = batch_case.scenario.model_copy(update={"title": "<script>alert(1)</script> | *bold*"})
    html = render_report(batch_case.result, "html", scenario=evil, team=batch_case.team, timeline=batch_case.timeline, now=NOW)
    assert "<script>" not in html and "&lt;script&gt;" in html
    md = render_report(batch_case.result, "md", scenario=evil, team=batch_case.team, timeline=batch_case.timeline, now=NOW)
    assert "\\<script\\>" in md and "\\*bold\\*" in md


# -- drafts --------------------------------------------------------------------------

def test_postmortem_notes_48_hours_for_p0_and_p1_only(single_case):
    text = single_case.render("postmortem")
    assert "due within 48 hours" in text
    p2 = single_case.scenario.model_copy(update={"severity": "P2"})
    text = render_report(single_case.result, "postmortem", scenario=p2, team=single_case.team,
                         timeline=single_case.timeline, now=NOW)
    assert "48 hours" not in text


def test_postmortem_has_every_section_and_blames_no_one(single_case):
    text = single_case.render("postmortem")
    for heading in ("## Overview", "## Impact", "## What happened", "## Contributing factors", "## Responders",
                    "## What went well", "## What did not go well", "## Action items", "## Messaging"):
        assert heading in text
    factors = text.split("## Contributing factors", 1)[1].split("## Responders", 1)[0]
    for m in single_case.team.members:
        assert m.name not in factors and m.id not in factors.lower().split()
    responders = text.split("## Responders", 1)[1].split("## What went well", 1)[0]
    paged = {str(e.data["to"]) for e in single_case.timeline.find("page_sent")}
    for pid in paged:
        assert single_case.team.member(pid).name in responders
    assert "Times in Europe/Berlin" in text  # the team's zone
    assert single_case.result.action_items
    for a in single_case.result.action_items:
        assert f"| {a.due:%Y-%m-%d} |" in text and a.owner in text


def test_after_action_report_rates_each_capability_and_plans_every_action(batch_case):
    text = batch_case.render("aar")
    for cap, c in batch_case.result.capabilities.items():
        assert re.search(rf"### {re.escape(cap.capitalize())}: {c.rating} — ", text)
    plan = text.split("## Appendix A: Improvement plan", 1)[1].split("## Appendix B", 1)[0]
    rows = [line for line in plan.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == len(batch_case.result.action_items)
    for row, a in zip(rows, batch_case.result.action_items):
        assert f"| {NOW.date().isoformat()} | {a.due.isoformat()} |" in row, row


def test_status_page_shows_what_customers_saw(single_case):
    from reports.status import status_page
    from reports.view import Inputs

    inp = Inputs(single_case.result, single_case.scenario, single_case.team, single_case.timeline, None, NOW, 0.9)
    page = status_page(inp)
    assert page["columns"][0]["label"] == "Before the first update"
    assert all(r["cells"][0]["state"] == "operational" for r in page["rows"])
    states = {r["service"]: [c["state"] for c in r["cells"]] for r in page["rows"]}
    assert states["edge-proxy"][1] == "major_outage"  # the first update comes before mitigation
    assert "partial_outage" in states["edge-proxy"]  # after mitigation
    assert states["control-api"][1] == "degraded_performance"
    assert all(s[-1] == "operational" for s in states.values())  # resolved
    assert page["feed"][0]["phase"] == "Resolved" and page["feed"][-1]["phase"] == "Investigating"
    assert page["gap"] is not None  # impact began before the first public update
    html = single_case.render("status")
    for words in ("Major outage", "Partial outage", "Degraded performance", "Operational", "Investigating", "Resolved"):
        assert words in html


def test_formats_that_tell_one_run_need_its_timeline(batch_case):
    for fmt in ("postmortem", "status"):
        with pytest.raises(ReportError, match="needs the run's timeline"):
            render_report(batch_case.result, fmt, scenario=batch_case.scenario, team=batch_case.team, now=NOW)
    with pytest.raises(ReportError, match="unknown report format"):
        render_report(batch_case.result, "pdf", scenario=batch_case.scenario)


def test_every_format_renders_without_a_team(batch_case):
    for fmt in FORMATS:
        assert render_report(batch_case.result, fmt, scenario=batch_case.scenario, timeline=batch_case.timeline, now=NOW)


def test_render_files_gives_each_format_under_its_name_as_utf8(batch_case):
    kw = dict(scenario=batch_case.scenario, team=batch_case.team, timeline=batch_case.timeline,
              series=batch_case.series, now=NOW)
    files = render_files(batch_case.result, **kw, formats=FORMATS)
    assert [name for name, _ in files] == [FILENAMES[f] for f in FORMATS]
    for (_, data), fmt in zip(files, FORMATS):
        assert data == render_report(batch_case.result, fmt, **kw).encode("utf-8")


def test_render_files_refuses_text_utf8_cannot_encode(batch_case):
    lone = batch_case.scenario.model_copy(update={"title": "edge \ud800 down"})
    with pytest.raises(ReportError, match="UTF-8 cannot encode"):
        render_files(batch_case.result, scenario=lone, team=batch_case.team, timeline=batch_case.timeline, now=NOW,
                     formats=("json", "md"))


# -- what gets imported --------------------------------------------------------------

def _loaded(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return set(out.split())


def test_reports_loads_matplotlib_only_to_draw():
    probe = (
        "import sys\n"
        "sys.path.insert(0, 'tests/reports')\n"
        "from report_cases import make_case\n"
        "c = make_case('x', 'config-push-global-outage', runs=1, seed=1, start='2026-11-30T10:00:00+00:00')\n"
        "for f in ('md', 'json', 'junit', 'postmortem', 'aar', 'status'): c.render(f)\n"
        "print('before', 'matplotlib' in sys.modules)\n"
        "c.render('html')\n"
        "print('after', 'matplotlib' in sys.modules)\n"
    )
    assert _loaded(probe) == {"before", "False", "after", "True"}


def test_the_command_line_loads_neither_jinja2_nor_matplotlib_until_it_renders():
    probe = "import sys, drillbit.cli\nprint(*[m for m in ('jinja2', 'matplotlib', 'reports') if m in sys.modules])\n"
    assert _loaded(probe) == set()


def test_only_reports_imports_jinja2():
    for package in ("scenarios", "simulator", "scoring", "drillbit"):
        for path in (ROOT / package).rglob("*.py"):
            assert not re.search(r"^\s*(import|from)\s+jinja2", path.read_text(encoding="utf-8"), re.M), path
    assert Path(ROOT / "reports" / "render.py").read_text(encoding="utf-8").count("import jinja2") == 1


def test_importing_reports_loads_no_higher_stage_and_no_drawing_library():
    probe = ("import sys, reports\n"
             "print(*[m for m in ('click', 'simpy', 'docker', 'matplotlib', 'drillbit', 'simulator', 'rich') if m in sys.modules])\n")
    assert _loaded(probe) == set()


# -- verdicts of a batch ---------------------------------------------------------------

def _hand_timelines():
    spec = importlib.util.spec_from_file_location("scoring_timelines", ROOT / "tests" / "scoring" / "scoring_timelines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def one_bad_run():
    """1,000 hand-written runs: 999 recover in 1h (target 2h), one never recovers."""
    from scoring import score_many, summarise

    st = _hand_timelines()
    never = st.timeline(*(e for e in st.full_run().events if e.kind not in ("recovered", "resolved")))
    sc, team = st.scenario(), st.team()
    runs = [st.full_run()] * 999 + [never]
    result = summarise(score_many(runs, sc, team), sc, team.team, [], TODAY, 0.9)
    return result, sc, team, runs[0]


TAIL = "worst run: U, 1 of 1,000 runs never recovered"


@pytest.mark.parametrize("fmt", ["html", "md", "aar", "junit", "json"])
def test_one_run_in_a_thousand_is_a_tail_not_the_headline_in_every_format(fmt, one_bad_run):
    import html as html_lib

    result, sc, team, tl = one_bad_run
    text = html_lib.unescape(render_report(result, fmt, scenario=sc, team=team, timeline=tl, now=NOW, require_share=0.9))
    # 999 of 1,000 runs (99.9%, at least the 90% required) met every objective: P.
    assert "U — Unable" not in text and "U: Unable" not in text and "overall rating u" not in text.lower()
    if fmt == "json":
        assert json.loads(text)["verdict"] == "P" and json.loads(text)["worst_run"]["rating"] == "U"
        return
    assert TAIL in text.replace("Worst run", "worst run")
    headline = {"html": "Overall rating P: Performed without challenges", "md": "Overall rating P: Performed without challenges",
                "aar": "Overall rating: **P — Performed without challenges**", "junit": "verdict: P;"}[fmt]
    assert headline in text
    if fmt == "aar":
        assert "### Recovery: P — Performed without challenges" in text
        assert "U, 1 of 1,000 runs never recovered" in text  # in the objective's worst-run column


def test_the_terminal_scoreboard_gives_the_share_rating_and_the_tail(one_bad_run, capsys):
    from drillbit.scoreboard import print_summary

    print_summary(one_bad_run[0])
    out = capsys.readouterr().out
    assert "overall P; worst run: U, 1 of 1,000 runs never recovered" in out
    assert re.search(r"^recovery\s+P\s+U, 1 of 1,000 runs never recovered\s+P:999 U:1$", out, re.M)
    assert re.search(r"^time to recover within 2h\s+scenario\s+99\.9% \S+ \S+\s+P\s+U, 1 of 1,000 runs never recovered$",
                     out, re.M)


def test_the_after_action_report_rates_each_objective_as_its_share_says(batch_case, one_bad_run):
    # No row may say "met in 91.4% of runs" beside a rating other than P, or "✗" beside P.
    result, sc, team, tl = one_bad_run
    for text in (batch_case.render("aar"), render_report(result, "aar", scenario=sc, team=team, timeline=tl, now=NOW)):
        rows = [r for r in text.split("## Analysis of capabilities", 1)[1].split("###", 1)[0].splitlines()
                if r.startswith("| ") and "met in" in r]
        assert rows
        for row in rows:
            cells = [c.strip() for c in row.strip("|").split("|")]
            assert (cells[3].startswith("✓")) == (cells[4] == "P"), row


def test_a_report_refuses_a_required_share_other_than_the_one_the_summary_was_rated_at(batch_case):
    with pytest.raises(ReportError, match="rated at --require-share 90%, not 80%"):
        batch_case.render("html", require_share=0.8)
    assert "Overall rating" in render_report(batch_case.result, "md", scenario=batch_case.scenario, now=NOW)
