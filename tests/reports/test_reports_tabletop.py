"""A tabletop's reports: the after-action report's strengths and areas for improvement
are exactly the hot wash's, the post-mortem quotes the room's own words, the timeline
tells the tabletop's event kinds, and text the room typed is shown as text in
Markdown (read back with a CommonMark parser) and HTML (read back with an HTML parser).
The expectations are the hand-made texts of tabletop_cases.py."""

from __future__ import annotations

import html
import io
import re

import lxml.html
import pytest
from markdown_it import MarkdownIt

from drillbit import output
from drillbit.scoreboard import print_prediction
from reports import render_report
from scoring.result import DrillResult, MetricPrediction, Prediction

from report_cases import NOW
from tabletop_cases import (HOSTILE_NOTE, IMPROVEMENTS, LONG_NOTE, STRENGTHS, UPDATE_1, UPDATE_2,
                            make_tabletop_case)

#: The team's display names of the hot wash's and notes' authors (examples/team.yaml).
DANA, AMARA, HELENA = "Dana Whitfield", "Amara Okafor", "Helena Brandt"


@pytest.fixture(scope="module")
def case():
    return make_tabletop_case()


def _section(md: str, heading: str, level: int = 2) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    start = md.index(f"\n{'#' * level} {heading}\n") + len(heading) + level + 2
    nxt = re.compile(r"^#{1,%d} " % level, re.M).search(md, start)
    return md[start:nxt.start() if nxt else len(md)]


def _bullets(block: str) -> list[str]:
    return [line[2:] for line in block.splitlines() if line.startswith("- ")]


def _plain(md_inline: str) -> str:
    """What a CommonMark reader sees of one line of Markdown: its text, markup removed."""
    tokens = MarkdownIt("commonmark").parseInline(md_inline)
    return "".join(t.content for t in tokens[0].children if t.type in ("text", "code_inline"))


def test_the_aar_lists_exactly_the_hot_wash_strengths_and_areas_for_improvement(case):
    aar = case.render("aar")
    hot = _section(aar, "Hot wash: strengths and areas for improvement")
    strengths = _bullets(_section("\n" + hot, "Strengths", 3))
    areas = _bullets(_section("\n" + hot, "Areas for improvement", 3))
    assert [_plain(b) for b in strengths] == [f"{STRENGTHS[0]} ({DANA})", STRENGTHS[1]]
    assert [_plain(b) for b in areas] == [f"{IMPROVEMENTS[0]} ({AMARA})", f"{IMPROVEMENTS[1]} (Visiting auditor)"]
    # The observations the room noted sit under their own heading, in time order.
    seen = [_plain(b) for b in _bullets(_section("\n" + hot, "Observations during the exercise", 3))]
    assert seen == [f"+11m40s: {HOSTILE_NOTE} ({AMARA})", f"+12m: {LONG_NOTE} ({DANA})"]


def test_the_aar_says_it_was_a_tabletop_and_who_facilitated(case):
    aar = case.render("aar")
    overview = _section(aar, "Exercise overview")
    assert "| Scope | tabletop drill |" in overview
    assert "| Exercise type | Tabletop exercise" in overview
    assert f"| Facilitator | {HELENA} |" in overview


def test_each_hot_wash_improvement_is_an_issue_of_the_improvement_plan_without_an_invented_action(case):
    plan = _section(case.render("aar"), "Appendix A: Improvement plan")
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in plan.splitlines()
            if line.startswith("| cross-cutting (from the hot wash)")]
    assert [_plain(r[1]) for r in rows] == list(IMPROVEMENTS)
    assert all(r[2:] == ["—"] * 4 for r in rows)


def test_without_a_hot_wash_the_aar_says_none_was_recorded(case):
    bare = make_tabletop_case(hotwash=(), facilitator=None)
    aar = bare.render("aar")
    hot = "\n" + _section(aar, "Hot wash: strengths and areas for improvement")
    assert _bullets(_section(hot, "Strengths", 3)) == ["None recorded in the hot wash."]
    assert _bullets(_section(hot, "Areas for improvement", 3)) == ["None recorded in the hot wash."]
    assert "Facilitator" not in aar and "(from the hot wash)" not in aar


def test_the_postmortem_quotes_the_room_s_updates_notes_and_hot_wash(case):
    pm = case.render("postmortem")
    assert f"**A tabletop exercise**, facilitated by {HELENA}" in pm
    messaging = _section(pm, "Messaging")
    texts = [[c.strip() for c in line.strip("|").split("|")][-1] for line in messaging.splitlines()
             if re.match(r"\| \d ", line)]
    assert texts == [UPDATE_1, UPDATE_2]
    story = _section(pm, "What happened")
    assert f"Status update #1 (public): investigating — “{UPDATE_1}”" in story
    assert f"Status update #2 (public): resolved — “{UPDATE_2}”" in story
    notes = [_plain(b) for b in _bullets(_section(pm, "Notes from the room"))]
    assert notes == [f"+11m40s: {HOSTILE_NOTE} ({AMARA})", f"+12m: {LONG_NOTE} ({DANA})"]
    hot = _section(pm, "Hot wash")
    went_well = hot[hot.index("**What went well**"):hot.index("**What should improve**")]
    improve = hot[hot.index("**What should improve**"):]
    assert [_plain(b) for b in _bullets(went_well)] == [f"{STRENGTHS[0]} ({DANA})", STRENGTHS[1]]
    assert [_plain(b) for b in _bullets(improve)] == [f"{IMPROVEMENTS[0]} ({AMARA})", f"{IMPROVEMENTS[1]} (Visiting auditor)"]
    # A person's note is theirs, not a gap drillbit found.
    assert "Gap seen during the run: " + HOSTILE_NOTE[:5] not in pm


def test_the_timeline_tells_the_tabletop_s_event_kinds(case):
    md = case.render("md")
    for words in ("Severity declared P1 by Amara Okafor (was P0)",
                  "Dana Whitfield paged by hand (role incident-commander) via push",
                  f"Status update #1 (public): investigating — “{UPDATE_1}”",
                  "Drill ends (the facilitator ended the drill)"):
        assert words in md, words
    page = lxml.html.fromstring(case.render("html"))
    cells = [" ".join(td.text_content().split()) for td in page.iter("td")]
    assert "Severity declared P1 by Amara Okafor (was P0)" in cells
    assert f"Status update #2 (public): resolved — “{UPDATE_2}”" in cells
    assert any(c.startswith("Dana Whitfield paged by hand (role incident-commander)") for c in cells)
    assert "Drill ends (the facilitator ended the drill)" in cells


def test_the_status_page_shows_the_room_s_updates_as_posted(case):
    page = lxml.html.fromstring(case.render("status"))
    feed = [" ".join(li.text_content().split()) for li in page.find_class("feed")[0].iter("li")]
    # Newest first; each text, then when it was posted (11:00 CET plus its offset).
    assert feed == [f"Resolved — {UPDATE_2}Mon 30 Nov 2026, 11:18 CET (+18m20s into the drill)",
                    f"Investigating — {UPDATE_1}Mon 30 Nov 2026, 11:10 CET (+10m into the drill)"]
    assert "Every update is shown as the team posted it" in page.text_content()


def _md_tokens(md: str):
    parser = MarkdownIt("commonmark").enable("table")
    return parser.parse(md)


def test_hostile_text_in_markdown_stays_text(case):
    for fmt in ("aar", "postmortem", "md"):
        md = case.render(fmt)
        tokens = _md_tokens(md)
        inline = [c for t in tokens if t.type == "inline" for c in t.children]
        assert not [t for t in tokens if t.type == "html_block"], fmt
        assert not [c for c in inline if c.type in ("html_inline", "image")], fmt
        # The post-mortem's references are links; the room's text makes none.
        assert not [c for c in inline if c.type == "link_open" and "evil" in c.attrs["href"]], fmt
        headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
        assert not [h for h in headings if "Owned" in h or "Not a heading" in h], (fmt, headings)
        text = "".join(c.content for c in inline if c.type == "text")
        # The whole note reaches the reader, every character as typed, the long one uncut.
        assert HOSTILE_NOTE in text, fmt
        assert LONG_NOTE in text, fmt
        assert "<script>" not in md.replace("\\<script\\>", ""), fmt


def test_hostile_text_in_html_stays_text(case):
    for fmt in ("html", "status"):
        doc = case.render(fmt)
        page = lxml.html.fromstring(doc)
        assert not [s for s in page.iter("script") if "alert('x')" in (s.text or "")], fmt
        assert "<script>alert" not in doc, fmt
    page = lxml.html.fromstring(case.render("html"))
    cells = [td.text_content() for td in page.iter("td")]
    assert f"Note: {HOSTILE_NOTE}" in cells
    assert f"Note: {LONG_NOTE}" in cells
    # The reports' stylesheet wraps a word longer than the page in a list (tables scroll).
    assert "li { overflow-wrap: break-word; }" in html.unescape(case.render("html"))


def test_summary_json_round_trips_the_hot_wash_and_the_facilitator(case):
    doc = case.render("json")
    back = DrillResult.from_json(doc)
    assert back == case.result
    assert [(n.kind, n.text, n.by, n.t) for n in back.hotwash] == [
        ("strength", STRENGTHS[0], "dana", 1200.0), ("improvement", IMPROVEMENTS[0], "amara", 1200.0),
        ("strength", STRENGTHS[1], None, 1200.0), ("improvement", IMPROVEMENTS[1], "Visiting auditor", 1200.0)]
    assert back.facilitator == "helena"


def _pred_row(metric: str, label: str, **kw) -> MetricPrediction:
    base = dict(metric=metric, label=label, objective=None, source=None, share_met=None, median=None, p10=None,
                p90=None, measured=None, status="not applicable", percentile=None, word=None)
    return MetricPrediction(**{**base, **kw})


def _prediction(mode: str) -> Prediction:
    """A hand-made prediction: acknowledgement measured at 4m beside a simulated median
    of 2m and p90 of 9m; recovery never reached; data loss not applicable."""
    return Prediction(runs=200, seed=42, mode=mode, metrics=(
        _pred_row("tta", "time to acknowledge", median=120.0, p10=30.0, p90=540.0, measured=240.0, status="measured",
                  percentile=61.0, word="as predicted"),
        _pred_row("ttr", "time to recover", median=3600.0, p10=1800.0, p90=None, status="missed", word="missed"),
        _pred_row("rpo", "data lost (RPO)"),
    ))


TABLETOP_WORDS = ["The room acknowledged in 4m; the model predicts a median 2m (p90 9m).",
                  "The room never recovered; the model predicts a median 1h (p90 never)."]


def test_a_tabletop_s_prediction_reads_as_the_room_beside_the_model(case):
    result = case.result.recorded(prediction=_prediction("tabletop"))
    md = render_report(result, "md", scenario=case.scenario, team=case.team, timeline=case.timeline, now=NOW)
    section = _section(md, "Prediction and measure")
    assert "beside what the room did in the tabletop" in section
    assert [_plain(b) for b in _bullets(section)] == TABLETOP_WORDS
    page = lxml.html.fromstring(render_report(result, "html", scenario=case.scenario, team=case.team,
                                              timeline=case.timeline, now=NOW))
    (section,) = page.xpath('//section[@aria-labelledby="prediction"]')
    said = [li.text_content() for ul in section.find_class("said") for li in ul.iter("li")]
    assert said == TABLETOP_WORDS


def _printed(monkeypatch, result, **kw) -> list[str]:
    buf = io.StringIO()
    monkeypatch.setattr(output, "out", output.PlainConsole(file=buf, force_terminal=False, color_system=None, width=200))
    print_prediction(result, **kw)
    return buf.getvalue().splitlines()


def test_the_scoreboard_says_who_measured_by_the_mode(monkeypatch, case):
    lines = _printed(monkeypatch, case.result.recorded(prediction=_prediction("tabletop")))
    assert lines[-2:] == TABLETOP_WORDS
    live = _printed(monkeypatch, case.result.recorded(prediction=_prediction("live")))
    assert live[-2:] == ["The game day measured time to acknowledge 4m; the model predicts a median 2m (p90 9m).",
                         "The game day measured time to recover: missed; the model predicts a median 1h (p90 never)."]
    # The caller may say the mode where the prediction did not record it.
    assert _printed(monkeypatch, case.result.recorded(prediction=_prediction("live")), mode="tabletop")[-2:] == TABLETOP_WORDS
