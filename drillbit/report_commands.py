"""``drillbit report``: a timelines file scored and rendered in one format.

The reports package (jinja2, and matplotlib while it draws) is imported only when a
report is rendered (:func:`drillbit.app.render`, and for the HTML scorecard
:func:`drillbit.app.drawing_ahead`, which starts the chart workers), so other
commands never load it.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from . import output
from .app import drawing_ahead, render
from .drills import read_runs, rescore_option, say_workspace, score_scored, scored_inputs_options, scoring_shows_progress
from .files import check_file_target, write_bytes
from .params import INSTANT, SHARE, TIMELINES

#: Formats, in the order ``--format`` lists them (kept here so ``--help`` needs no import of reports).
FORMATS = ("html", "md", "json", "junit", "postmortem", "aar", "status")


@click.command()
@click.argument("timelines", type=TIMELINES)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html scorecard, md, json summary, junit XML, postmortem draft, aar (HSEEP after-action report), "
                   "status (the status page during the first run).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output).")
@scored_inputs_options
@click.option("--require-share", type=SHARE, default="90%", show_default=True,
              help="For many runs: an objective counts as missed when met in fewer runs than this.")
@click.option("--now", type=INSTANT, default="now", show_default=True,
              help="The report's date (ISO 8601 with offset): the generation time shown and the start of action-item due dates.")
@rescore_option
def report(timelines: Path, fmt: str, out: Path | None, scenario: str | None, team: Path | None, runbooks: Path | None,
           require_share: float, now: datetime, rescore: bool) -> None:
    """Render TIMELINES (a .jsonl file from any mode, or a drill's folder) as a report:
    scored as ``drillbit score`` does, one run told in the timeline chart, post-mortem
    and status page (the first).

    Uses the drill's own scenario, team and runbooks (drill.json) and says so when told
    to use others or when the file holds fewer runs than the drill planned. The file
    may be gzip-compressed (TIMELINES.jsonl.gz); a drill's folder stands for the
    timelines in it."""
    if out is not None:
        say_workspace()
        check_file_target(out, "report", hint="name a file, or leave --out out to print the report")  # before scoring: a bad path costs no work
    # Before reading: the charts' workers import matplotlib while the runs are read and scored.
    with drawing_ahead((fmt,)):
        scored, runs = read_runs(timelines, scenario, team, runbooks, rescore=rescore)
        for note in scored.notes:
            output.err.print(f"note: {note}", markup=False)
        drill = score_scored(runs, scored, now=now, require_share=require_share,
                             show_progress=scoring_shows_progress(False))
        [(_, data)] = render(drill, (fmt,), now=now)
    if out is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    write_bytes(out, data, "report")
    output.err.print(f"wrote {out}", markup=False)
