"""render_report and render_files: one drill result, many formats. Reports are
returned as text or bytes; the application writes them."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Sequence

import jinja2
import markupsafe

from scenarios import DrillbitError, Scenario, Team
from scenarios.timeline import Timeline
from scenarios.untrusted import printable
from scoring.result import DrillResult
from scoring.series import RunSeries

from . import drafts, status, view
from .template_cache import use_cache
from .junit import render_junit
from .view import Inputs

Format = Literal["html", "md", "json", "junit", "postmortem", "aar", "status"]
FORMATS: tuple[str, ...] = Format.__args__  # type: ignore[attr-defined]
#: The file each format is written to (:func:`render_files`).
FILENAMES: dict[str, str] = {
    "html": "scorecard.html", "md": "scorecard.md", "json": "summary.json", "junit": "junit.xml",
    "postmortem": "postmortem.md", "aar": "after-action-report.md", "status": "status-page.html",
}
#: Formats told about one run, which need its timeline.
NEEDS_TIMELINE = ("postmortem", "status")
TEMPLATES = Path(__file__).parent / "templates"


class ReportError(DrillbitError):
    """A report that cannot be rendered: an unknown format or a missing input."""


@lru_cache(maxsize=None)
def _env(kind: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=kind == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        finalize=_printable,
    )
    env.filters["cell"] = _md_cell
    env.filters["mdtext"] = _md_text
    env.filters["quoted"] = _md_quoted
    return use_cache(env, f"report-{kind}")


def template_env(kind: str) -> jinja2.Environment:
    """The Jinja environment of the report templates for ``kind``: "html" escapes every
    value for HTML, any other kind (Markdown) leaves that to the ``mdtext``, ``cell``
    and ``quoted`` filters. Every printed value loses its control characters."""
    return _env(kind)


def _printable(value: Any) -> Any:
    """Every value a template prints, without control characters: an ESC sequence in a
    title must not reach the terminal that shows a Markdown report, nor a browser
    (control characters are not allowed in HTML or in XML). Markup stays markup."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(printable(str(value)))
    return printable(value) if isinstance(value, str) else value


def _md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    text = " ".join(printable(str(value), one_line=True).split())
    return _md_text(text).replace("|", "\\|") or " "


def _md_text(value: Any) -> str:
    """Text that Markdown shows as written (no stray HTML, emphasis or links)."""
    text = printable(str(value))
    for ch in ("\\", "`", "*", "_", "[", "]", "<", ">"):
        text = text.replace(ch, "\\" + ch)
    # An entity reference (&lt;, &#60;) would show as the character it names.
    return _ENTITY.sub("\\\\&", text)


_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


#: What opens a block when it starts a line or a list item's text: a heading, a list
#: item, a thematic break, a code fence, a numbered item ("1." or "1)").
_BLOCK_START = re.compile(r"^(#|[-+=~]|\d+[.)])")


def _md_quoted(value: Any) -> str:
    """Text a person wrote (a note, a hot-wash note, a status update), on one line,
    shown as written where it is placed: Markdown escaped as :func:`_md_text` does,
    and nothing at its start read as a heading, a list or a code fence (it follows
    ``- `` in a list)."""
    text = _md_text(" ".join(printable(str(value), one_line=True).split()))
    return _BLOCK_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text, count=1)


def render_report(result: DrillResult, fmt: str, *, scenario: Scenario, team: Team | None = None,
                  timeline: Timeline | None = None, series: RunSeries | None = None,
                  now: datetime | None = None, require_share: float | None = None) -> str:
    """Render a scored drill in one format.

    ``result`` is the drill result (:func:`scoring.summarise`, or
    :meth:`DrillResult.from_json` of a ``summary.json``); ``scenario`` and ``team`` are
    the inputs it was scored with;
    ``timeline`` is the run told in the timeline chart, the post-mortem and the status
    page (for a batch: the first run, ``BatchScore.first.timeline``); ``series`` holds
    the per-run values the distribution charts of a batch draw
    (:class:`scoring.series.RunSeries`; without it the HTML has no distribution
    charts); ``now`` (tz-aware) is the generation time printed in the report and the
    start date of the improvement plan (default: the current time), fixed by golden
    tests; ``require_share`` is the share of runs an objective must be met in: the
    result's own (``result.require_share``, the default) or nothing, since its ratings
    were computed at that share. Wall-clock times are shown in the team's time zone.

    Formats (:data:`FORMATS`): ``html`` a self-contained scorecard (inline CSS and
    SVG charts, no external resource), ``md`` the same in Markdown, ``json``
    ``summary.json`` (:meth:`DrillResult.to_json`), ``junit`` JUnit XML (one test
    case per objective), ``postmortem`` a blameless post-mortem draft (Markdown),
    ``aar`` an HSEEP after-action report / improvement plan (Markdown), ``status``
    the public status page during the run (HTML). Returns the text. Raises ReportError for an unknown format, a naive
    ``now``, a format that needs the timeline without one, or a ``require_share``
    other than the result's.
    """
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "json":
        return result.to_json()
    if fmt in NEEDS_TIMELINE and timeline is None:
        raise ReportError(f"the {fmt} report tells one run: it needs the run's timeline")
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    if now.tzinfo is None:
        raise ReportError("expected a time-zone-aware 'now'")
    rated_at = result.require_share
    if require_share is not None and abs(require_share - rated_at) > 1e-9:
        # The result's ratings were computed at its own share; mixing two would contradict itself.
        raise ReportError(f"the summary was rated at --require-share {rated_at * 100:g}%, not {require_share * 100:g}%: "
                          "score it again with the share wanted")
    inp = Inputs(result, scenario, team, timeline, series, now, rated_at)
    if fmt == "junit":
        # XML 1.0 forbids most control characters: one in a title makes the file unreadable
        # to CI. ElementTree writes a CR in an attribute as the only control reference
        # (user text's own '&' is already '&amp;', so this cannot touch it).
        return printable(render_junit(inp)).replace("&#13;", "")
    if fmt == "html":
        return _env("html").get_template("scorecard.html.j2").render(v=view.scorecard(inp, charts=True))
    if fmt == "md":
        return _env("md").get_template("scorecard.md.j2").render(v=view.scorecard(inp, charts=False))
    if fmt == "postmortem":
        return _env("md").get_template("postmortem.md.j2").render(v=drafts.postmortem(inp))
    if fmt == "aar":
        return _env("md").get_template("aar.md.j2").render(v=drafts.aar(inp))
    return _env("html").get_template("status.html.j2").render(v=status.status_page(inp))


def render_files(result: DrillResult, *, scenario: Scenario, team: Team | None = None,
                 timeline: Timeline | None = None, series: RunSeries | None = None, now: datetime | None = None,
                 require_share: float | None = None, formats: Sequence[str] = ("html", "md")) -> list[tuple[str, bytes]]:
    """Each of ``formats`` rendered and encoded: (file name from :data:`FILENAMES`,
    UTF-8 bytes), in the order given, every one rendered before any is returned (so a
    caller writing them never leaves a set cut short). The arguments are those of
    :func:`render_report`. Raises ReportError as render_report does, or for text
    UTF-8 cannot encode."""
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    out = []
    for fmt in formats:
        text = render_report(result, fmt, scenario=scenario, team=team, timeline=timeline, series=series, now=now,
                             require_share=require_share)
        try:
            out.append((FILENAMES[fmt], text.encode("utf-8")))
        except UnicodeEncodeError:
            raise ReportError(f"the {fmt} report holds text UTF-8 cannot encode (a lone surrogate from an input)") from None
    return out
