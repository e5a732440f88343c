"""``drillbit report``, and the reports ``simulate --report`` and ``demo`` write.

The reports package (jinja2, and matplotlib while it draws) is imported only inside
these functions, so commands that render nothing never load it.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import click

from scenarios.common import zone
from scoring import find_gaps, score_many, summary_json
from scoring.series import RunSeries

from . import output
from .drills import scored_inputs_options, read_runs, say_workspace, scoring_extra, scoring_progress
from .files import check_file_target, ensure_dir, write_text
from .params import INSTANT, SHARE
from .resolve import Inputs

#: Formats, in the order ``--format`` lists them (kept here so ``--help`` needs no import of reports).
FORMATS = ("html", "md", "json", "junit", "postmortem", "aar", "status")


@click.command()
@click.argument("timelines", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html scorecard, md, json summary, junit XML, postmortem draft, aar (HSEEP after-action report), "
                   "status (the status page during the first run).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output).")
@scored_inputs_options
@click.option("--require-share", type=SHARE, default="90%", show_default=True,
              help="For many runs: an objective counts as missed when met in fewer runs than this.")
@click.option("--now", type=INSTANT, default="now", show_default=True,
              help="The report's date (ISO 8601 with offset): the generation time shown and the start of action-item due dates.")
def report(timelines: Path, fmt: str, out: Path | None, scenario: str | None, team: Path | None, runbooks: Path | None,
           require_share: float, now: datetime) -> None:
    """Render TIMELINES.jsonl (from any mode) as a report: scored as ``drillbit score``
    does, one run told in the timeline chart, post-mortem and status page (the first).

    Uses the drill's own scenario, team and runbooks (drill.json) and says so when told
    to use others or when the file holds fewer runs than the drill planned."""
    from reports import render_report

    if out is not None:
        say_workspace()
        check_file_target(out, "report", hint="name a file, or leave --out out to print the report")  # before scoring: a bad path costs no work
    scored, stream = read_runs(timelines, scenario, team, runbooks)
    inputs = scored.inputs
    for note in scored.notes:
        output.err.print(f"note: {note}", markup=False)
    batch = score_many(scoring_progress(timelines, stream, False), inputs.scenario, inputs.team)
    series = RunSeries.from_batch(batch)
    findings = find_gaps(inputs.scenario, inputs.team, inputs.runbooks, start=batch.evidence.earliest_start, batch=batch)
    today = now.astimezone(zone(inputs.team.timezone)).date()
    doc = summary_json(batch, inputs.scenario, inputs.team.team, findings, today, require_share)
    doc.update(scoring_extra(scored))
    if scored.notes:
        doc["notes"] = scored.notes
    text = render_report(doc, fmt, scenario=inputs.scenario, team=inputs.team, timeline=batch.first.timeline,
                         series=series, now=now, require_share=require_share)
    if out is None:
        sys.stdout.write(text)
        return
    write_text(out, text, "report")
    output.err.print(f"wrote {out}", markup=False)


def write_drill_reports(directory: Path, doc: dict[str, Any], inputs: Inputs, *, require_share: float,
                        formats: Sequence[str] = ("html", "md"), now: datetime | None = None) -> list[Path]:
    """Write reports of a batch ``run_drills`` just scored, each file whole or not at
    all (all are rendered before the first is written). Returns the paths written.
    Raises OutputError when the folder or a file cannot be written."""
    from reports import FILENAMES, render_report

    series = RunSeries.from_batch(doc["_batch"]) if doc["runs"] > 1 else None
    public = {k: v for k, v in doc.items() if not k.startswith("_")}
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    texts = [(directory / FILENAMES[fmt], render_report(public, fmt, scenario=inputs.scenario, team=inputs.team,
                                                        timeline=doc["_batch"].first.timeline, series=series, now=now,
                                                        require_share=require_share))
             for fmt in formats]
    ensure_dir(directory, "report folder")
    return [write_text(path, text, "report") for path, text in texts]


def emit_drill_reports(directory: Path, doc: dict[str, Any], inputs: Inputs, *, require_share: float) -> list[Path]:
    """``simulate --report``: write the HTML scorecard and the Markdown and say where."""
    paths = write_drill_reports(directory, doc, inputs, require_share=require_share)
    for p in paths:
        output.err.print(f"wrote {p}", markup=False)
    return paths
