"""Arbitrary text in a scenario title and a finding reaches the terminal and the reports
as data: no raw control character anywhere, the printable text shown literally."""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from hypothesis import HealthCheck, given, settings, strategies as st

from drillbit import output
from drillbit.scoreboard import print_summary

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# Whole control sequences and single controls: what a hostile import or YAML file holds.
# Each is complete, so the text around it stays what a person should see.
HOSTILE = st.sampled_from([
    "\x1b[2J", "\x1b[31;1m", "\x1b[?1049h", "\x1b]0;owned\x07", "\x1b]8;;http://evil.example\x1b\\", "\x1bc",
    "\x9b2J", "\x9d0;owned\x9c", "\u202e", "\u2066", "\u200f", "\u2028", "\r", "\x07", "\x08", "\x00", "\x7f", "\x85",
]) | st.characters(min_codepoint=0, max_codepoint=0x1f, blacklist_characters="\t\n\x1b")
# Printable text that markup, emoji codes or Markdown would turn into something else.
VISIBLE = st.sampled_from([":fire:", ":x:", "root:x:0", "[bold]", "[/bold]", "[red]x[/]", "|", "||", "*a*", "_b_",
                           "`c`", "<b>", "&amp;", "#", "\\", "[l](http://x)"]) | st.text(
    # no '@' or '=': the terminal hides what reads as a password (user:pw@, password=)
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zs", "Zl", "Zp"), blacklist_characters="@="),
    min_size=1, max_size=8)
SEGMENTS = st.lists(st.tuples(st.booleans(), HOSTILE, VISIBLE), min_size=1, max_size=8)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# An HTML scorecard draws its charts each time: fewer examples keep this to seconds.
HTML_SETTINGS = settings(SETTINGS, max_examples=8)


def _compose(segments: list[tuple[bool, str, str]]) -> tuple[str, str]:
    """(the hostile text, what must be seen of it)."""
    raw = "".join((h if put else "") + v for put, h, v in segments)
    return raw, "".join(v for _, _, v in segments)


def _md_unescaped(text: str) -> str:
    # CommonMark: a backslash before ASCII punctuation shows the punctuation itself.
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def _with_text(case, text: str):
    """The case's result with ``text`` as the scenario's title and the first finding's
    title and evidence, and the scenario with that title."""
    res = case.result
    first = replace(res.findings[0], title=text, evidence=text)
    result = res.model_copy(update={"scenario": res.scenario.model_copy(update={"title": text}),
                                    "findings": (first, *res.findings[1:])})
    return result, case.scenario.model_copy(update={"title": text})


@SETTINGS
@given(segments=SEGMENTS)
def test_markdown_reports_show_hostile_text_literally(single_case, segments):
    raw, seen = _compose(segments)
    result, scenario = _with_text(single_case, raw)
    for fmt in ("md", "postmortem", "aar"):
        text = _render(single_case, result, scenario, fmt)
        assert not RAW_CONTROL.search(text), fmt
    md = _render(single_case, result, scenario, "md")
    assert seen in _md_unescaped(md)


@HTML_SETTINGS
@given(segments=SEGMENTS)
def test_html_reports_show_hostile_text_literally(single_case, segments):
    raw, seen = _compose(segments)
    result, scenario = _with_text(single_case, raw)
    page = _render(single_case, result, scenario, "html")
    for fmt, text in (("html", page), ("status", _render(single_case, result, scenario, "status"))):
        assert not RAW_CONTROL.search(text), fmt
    assert seen in html.unescape(page)


@SETTINGS
@given(segments=SEGMENTS)
def test_junit_stays_well_formed_xml_with_hostile_text(single_case, segments):
    raw, seen = _compose(segments)
    result, scenario = _with_text(single_case, raw)
    text = _render(single_case, result, scenario, "junit")
    assert not RAW_CONTROL.search(text)
    tree = ET.fromstring(text.encode("utf-8"))
    values = [p.get("value") for p in tree.iter("property")]
    assert seen in values


@SETTINGS
@given(segments=SEGMENTS)
def test_terminal_output_shows_hostile_text_literally(single_case, segments, monkeypatch):
    raw, seen = _compose(segments)
    result, _ = _with_text(single_case, raw)
    buf = io.StringIO()
    monkeypatch.setattr(output, "out", output.PlainConsole(file=buf, force_terminal=True, color_system=None,
                                                           width=10_000))
    print_summary(result)
    output.table("incidents", ["id", "title"], [(1, raw)])
    text = buf.getvalue()
    assert not RAW_CONTROL.search(text)
    lines = text.splitlines()
    assert any(f"{result.scenario.id} — {seen} (" in line for line in lines)
    assert any(line.endswith(f": {seen}") for line in lines)  # the finding's title
    assert any(seen in line for line in lines if line.startswith("│"))  # the table cell


def _render(case, result, scenario, fmt):
    from report_cases import NOW, REQUIRE_SHARE
    from reports import render_report

    return render_report(result, fmt, scenario=scenario, team=case.team, timeline=case.timeline, series=case.series,
                         now=NOW, require_share=REQUIRE_SHARE)
