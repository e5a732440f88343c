"""``drillbit simulate`` and ``drillbit score``."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Iterator

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from scenarios.timeline import Timeline, TimelineError, read_jsonl
from scoring import find_gaps, score_many, summary_json
from simulator import explain as explain_run
from simulator import horizon_for, simulate_many

from . import output
from .params import DURATION, INSTANT, SHARE, ZONE
from .resolve import Inputs, resolve
from .scoreboard import print_summary

EXIT_MISSED = 1


def _progress(timelines: Iterable[Timeline], total: int, enabled: bool) -> Iterator[Timeline]:
    if not enabled:
        yield from timelines
        return
    with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=output.err, transient=True) as bar:
        task = bar.add_task("runs", total=total)
        for tl in timelines:
            yield tl
            bar.advance(task)


def _tee(timelines: Iterable[Timeline], path: Path | None) -> Iterator[Timeline]:
    """Write each timeline as a JSON line while passing it on (memory stays flat)."""
    with ExitStack() as stack:
        f = stack.enter_context(open(path, "w", encoding="utf-8", newline="\n")) if path else None
        for tl in timelines:
            if f:
                f.write(tl.to_json_line() + "\n")
            yield tl


def judge_and_report(timelines: Iterable[Timeline], inputs: Inputs, *, as_json: bool, require_share: float,
                     extra: dict | None = None) -> dict:
    """Score streamed timelines, find gaps, print (table or JSON) and return the document."""
    batch = score_many(timelines, inputs.scenario, inputs.team)
    findings = find_gaps(inputs.scenario, inputs.team, inputs.runbooks, start=batch.evidence.earliest_start, batch=batch)
    doc = summary_json(batch, inputs.scenario, inputs.team.team, findings, date.today(), require_share)
    doc.update(extra or {})
    if as_json:
        output.emit_json(doc)
    else:
        print_summary(doc)
    doc["_batch"] = batch
    return doc


@click.command()
@click.argument("scenario")
@click.option("--team", type=click.Path(dir_okay=False, path_type=Path), help="Team file (default: the workspace's, else the example team).")
@click.option("--runbooks", type=click.Path(file_okay=False, path_type=Path), help="Runbook folder (default: the workspace's, else the examples).")
@click.option("--start", type=INSTANT, default="now", show_default=True, help="When the drill starts (ISO 8601 with offset).")
@click.option("--window", type=DURATION, help="Draw each run's start at random from [start, start + window), e.g. 4w.")
@click.option("--runs", type=click.IntRange(1), default=1, show_default=True, help="Monte Carlo runs.")
@click.option("--seed", type=click.IntRange(0), help="Seed; run i uses child i of SeedSequence(seed). Random if unset.")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True, help="Processes; results do not depend on it.")
@click.option("--horizon", type=DURATION, help="A run ends here if not resolved (default: 72h after the scenario's "
              "last scripted moment, plus the slowest restore, runbook and recovery at their 90th percentiles).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder for timelines.jsonl and summary.json.")
@click.option("--require-share", type=SHARE, default="90%", show_default=True,
              help="For many runs: an objective counts as missed when met in fewer runs than this.")
@click.option("--explain", "explain", is_flag=True, help="Print a single run's timeline as readable lines.")
@click.option("--tz", type=ZONE, help="Time zone of the --explain clock (default: the team's), e.g. Europe/Berlin.")
@click.option("--json", "as_json", is_flag=True, help="Print the scoring summary as JSON.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the HTML scorecard and the Markdown report into this folder (with the timelines unless --out is given).")
@click.option("--db", metavar="URL", help="Incident log to record the drill in (default: $DRILLBIT_DB, the workspace's, "
              "else ~/.local/share/drillbit/incidents.db).")
@click.option("--no-log", is_flag=True, help="Do not record the drill in the incident log.")
def simulate(scenario: str, team: Path | None, runbooks: Path | None, start: datetime, window: float | None,
             runs: int, seed: int | None, workers: int, horizon: float | None, out: Path | None, require_share: float,
             explain: bool, tz: str | None, as_json: bool, report_dir: Path | None, db: str | None, no_log: bool) -> None:
    """Simulate a drill: SCENARIO (a file, a workspace scenario id or a built-in id)
    against the team's rotation, paging, escalation and runbooks.

    Prints the scorecard (one run) or distributions (many) and the gap report, and
    records the drill, its findings and action items in the incident log; exits 1 when
    an objective is missed.
    """
    if explain and runs != 1:
        raise click.UsageError("--explain shows one run; drop --runs or set it to 1")
    if tz and not explain:
        raise click.UsageError("--tz sets the clock of --explain; add --explain")
    inputs = resolve(scenario, team, runbooks)
    doc = run_drills(inputs, runs=runs, seed=seed, start=start, window=window, workers=workers,
                     horizon=horizon or horizon_for(inputs.scenario, inputs.runbooks),
                     out=out or report_dir, as_json=as_json, require_share=require_share)
    html = None
    if report_dir:
        from .report_commands import emit_drill_reports

        html = emit_drill_reports(report_dir, doc, inputs, require_share=require_share)[0]
    if not no_log:
        record_in_log(doc, inputs, db, report_path=html)
    if explain and not as_json:
        output.out.print("", markup=False)
        for line in explain_run(doc["_batch"].first.timeline, inputs.team, tz):
            output.out.print(line, markup=False)
    if doc["objectives_missed"]:
        sys.exit(EXIT_MISSED)


def run_drills(inputs: Inputs, *, runs: int, seed: int | None, start: datetime, window: float | None, workers: int,
               horizon: float, out: Path | None, as_json: bool, require_share: float) -> dict:
    """Simulate, stream timelines to ``out`` (if given), score, find gaps, print; write
    ``summary.json`` beside the timelines. Returns the summary document."""
    timelines = simulate_many(inputs.scenario, inputs.team, inputs.runbooks, runs=runs, seed=seed, start=start,
                              window=window, workers=workers, horizon=horizon)
    path = None
    if out:
        out.mkdir(parents=True, exist_ok=True)
        path = out / "timelines.jsonl"
    show_bar = runs > 1 and output.err.is_terminal and not as_json
    stream = _tee(_progress(timelines, runs, show_bar), path)
    extra = {"timelines": str(path)} if path else {}
    doc = judge_and_report(stream, inputs, as_json=as_json, require_share=require_share, extra=extra)
    if out:
        public = {k: v for k, v in doc.items() if not k.startswith("_")}
        (out / "summary.json").write_text(json.dumps(public, indent=2) + "\n", encoding="utf-8")
        output.err.print(f"wrote {path} and {out / 'summary.json'}", markup=False)
    return doc


def read_runs(path: Path, scenario: str | None, team: Path | None, runbooks: Path | None) -> tuple[Inputs, Iterator[Timeline]]:
    """The inputs named (or the scenario named in the file) and every timeline of the
    file, streamed and checked to be of that one scenario."""
    stream = read_jsonl(path)
    try:
        first = next(stream)
    except StopIteration:
        raise TimelineError(f"{path}: no timelines in the file") from None
    inputs = resolve(scenario or first.scenario, team, runbooks)
    if inputs.scenario.id != first.scenario:
        raise TimelineError(f"{path}: the timelines are of scenario '{first.scenario}', not '{inputs.scenario.id}'")

    def every() -> Iterator[Timeline]:
        yield first
        for tl in stream:
            if tl.scenario != first.scenario:
                raise TimelineError(f"{path}: mixes scenarios '{first.scenario}' and '{tl.scenario}'; use one file per scenario")
            yield tl

    return inputs, every()


def record_in_log(doc: dict, inputs: Inputs, db: str | None, *, report_path: Path | None = None) -> int:
    """Record a scored drill (its run, findings and action items) in the incident log."""
    import incidents

    from .log_commands import LogContext

    log = LogContext(db)
    try:
        store = log.store()
        batch = doc["_batch"]
        run_id = incidents.record_drill(
            store, doc, scenario=inputs.scenario, team=inputs.team.team, mode="simulated",
            seed=batch.first.timeline.seed, report_path=report_path,
            samples={name: values.tolist() for name, values in batch.samples.items()})
        output.err.print(f"recorded drill run {run_id} in the incident log at {store.where}", markup=False)
        return run_id
    finally:
        log.close()


@click.command()
@click.argument("timelines", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--scenario", help="Scenario file or id (default: the one named in the timelines).")
@click.option("--team", type=click.Path(dir_okay=False, path_type=Path), help="Team file (default: the workspace's, else the example team).")
@click.option("--runbooks", type=click.Path(file_okay=False, path_type=Path))
@click.option("--require-share", type=SHARE, default="90%", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the scoring summary as JSON.")
def score(timelines: Path, scenario: str | None, team: Path | None, runbooks: Path | None, require_share: float,
          as_json: bool) -> None:
    """Score TIMELINES.jsonl (from any mode): the scorecard of one run or the
    distribution of many, and the gap report. Exits 1 when an objective is missed."""
    inputs, runs = read_runs(timelines, scenario, team, runbooks)
    doc = judge_and_report(runs, inputs, as_json=as_json, require_share=require_share)
    if doc["objectives_missed"]:
        sys.exit(EXIT_MISSED)
