"""``drillbit simulate`` and ``drillbit score``."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from scenarios.timeline import Timeline, TimelineError, read_jsonl
from scoring import find_gaps, score_many, summary_json
from reports.explain import explain as explain_run
from simulator import horizon_for, new_seed, simulate_many, usable_cpus, usable_workers

from . import interrupts, output
from .files import FolderLock, OutputError, ensure_dir, reason, write_text
from .params import DURATION, INSTANT, SEED, SHARE, ZONE
from .provenance import (Scored, choose_inputs, count_runs, inputs_record, new_manifest, read_manifest,
                         reproduce_command, reproduce_record, write_manifest)
from .resolve import Inputs, resolve
from .scoreboard import print_summary

if TYPE_CHECKING:
    from .log_commands import LogContext

EXIT_MISSED = 1
#: What a drill folder holds; ``--force`` removes them all so no file of the old drill is left beside the new.
DRILL_FILES = ("drill.json", "timelines.jsonl", "summary.json", "scorecard.html", "scorecard.md")
#: More runs than this would take days and fill the disk: the bound says so before any run starts.
MAX_RUNS = 1_000_000


@contextmanager
def drill_folder(folder: Path | None, *, force: bool) -> Iterator[None]:
    """Hold ``folder`` for one drill: created if missing, locked against a second run
    writing into it at the same time, and refused when it already holds a drill unless
    ``force``, when the old drill's files are removed first. Raises OutputError."""
    if folder is None:
        yield
        return
    ensure_dir(folder)
    with FolderLock(folder):
        held = [name for name in ("drill.json", "timelines.jsonl") if (folder / name).exists()]
        if held and not force:
            raise OutputError(f"{folder} already holds a drill ({', '.join(held)}); add --force to replace it, "
                              "or choose another folder")
        if force:
            for name in DRILL_FILES:
                try:
                    (folder / name).unlink(missing_ok=True)
                except OSError as exc:
                    raise OutputError(f"cannot replace the drill in {folder}: {folder / name}: {reason(exc)}") from None
        yield


def _check_loggable(start: datetime, window: float | None, horizon: float) -> None:
    """Refuse, before the first run, a drill whose runs could end after the latest
    instant the incident log keeps (it would be simulated, then refused by the log)."""
    from incidents.records import LATEST

    last = start.timestamp() + (window or 0.0) + horizon
    if last >= LATEST.timestamp():
        raise click.UsageError(f"a drill starting at {start.isoformat()} could run until after {LATEST.date()}, the latest "
                               "time the incident log keeps; start earlier, shorten --window or --horizon, or add --no-log")


def open_log(db: str | None) -> "LogContext":
    """The incident log a drill will be recorded in, opened (created if missing) now so
    that a mistyped ``--db`` fails before the simulation, not after it."""
    from .log_commands import LogContext

    log = LogContext(db)
    try:
        log.store()
    except BaseException:
        log.close()
        raise
    return log


def say_workspace() -> None:
    """One stderr line naming the workspace whose settings this command uses, if any:
    a drillbit.yaml in a parent folder is never used silently."""
    from .workspace import find_workspace

    ws = find_workspace()
    if ws is not None:
        output.err.print(f"workspace: {ws.root}", markup=False)


def _progress(timelines: Iterable[Timeline], total: int, enabled: bool, label: str = "simulating") -> Iterator[Timeline]:
    if not enabled:
        yield from timelines
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=output.err, transient=True) as bar:
        task = bar.add_task("runs", total=total)
        for tl in timelines:
            yield tl
            bar.advance(task)


class TimelineWriter:
    """Writes timelines as JSON lines and knows how many whole lines it wrote, so that
    an interrupted batch leaves a file of whole runs only."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0
        self._end = 0  # bytes of the whole lines written
        try:
            self._f = open(path, "wb")
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {reason(exc)}") from None

    def tee(self, timelines: Iterable[Timeline]) -> Iterator[Timeline]:
        """Write each timeline while passing it on (memory stays flat)."""
        for tl in timelines:
            data = (tl.to_json_line() + "\n").encode("utf-8")
            self._f.write(data)
            self._end += len(data)
            self.count += 1
            yield tl

    def close(self) -> None:
        """Flush, dropping anything after the last whole line."""
        if self._f.closed:
            return
        self._f.flush()
        self._f.truncate(self._end)
        self._f.close()


def judge_and_report(timelines: Iterable[Timeline], inputs: Inputs, *, as_json: bool, require_share: float,
                     extra: dict | None = None, notes: Iterable[str] = ()) -> dict:
    """Score streamed timelines, find gaps, print (table or JSON) and return the document.
    ``notes`` (what a reader must know about the inputs) go to stderr before the table
    and into the document."""
    batch = score_many(timelines, inputs.scenario, inputs.team)
    findings = find_gaps(inputs.scenario, inputs.team, inputs.runbooks, start=batch.evidence.earliest_start, batch=batch)
    doc = summary_json(batch, inputs.scenario, inputs.team.team, findings, date.today(), require_share)
    doc.update(extra or {})
    notes = list(notes)
    if notes:
        doc["notes"] = notes
    for note in notes:
        output.err.print(f"note: {note}", markup=False)
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
@click.option("--runs", type=click.IntRange(1, MAX_RUNS), default=1, show_default=True, help="Monte Carlo runs.")
@click.option("--seed", type=SEED, help="Seed, 0 to 2**63 - 1; run i uses child i of SeedSequence(seed). "
              "Random if unset; printed either way.")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True, help="Processes (at most one per run and per usable CPU); results do not depend on it.")
@click.option("--horizon", type=DURATION, help="A run ends here if not resolved (default: 72h after the scenario's "
              "last scripted moment, plus the slowest restore, runbook and recovery at their 90th percentiles).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder for timelines.jsonl, summary.json and drill.json "
              "(what the drill ran on and how far it got).")
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
@click.option("--force", is_flag=True, help="Replace the drill already in the --out folder (refused without it).")
def simulate(scenario: str, team: Path | None, runbooks: Path | None, start: datetime, window: float | None,
             runs: int, seed: int | None, workers: int, horizon: float | None, out: Path | None, require_share: float,
             explain: bool, tz: str | None, as_json: bool, report_dir: Path | None, db: str | None, no_log: bool,
             force: bool) -> None:
    """Simulate a drill: SCENARIO (a file, a workspace scenario id or a built-in id)
    against the team's rotation, paging, escalation and runbooks.

    Prints the scorecard (one run) or distributions (many) and the gap report, and
    records the drill, its findings and action items in the incident log; exits 1 when
    an objective is missed. Prints the command that reproduces the run (seed and start
    included); with --out, DIR/drill.json records the inputs and how far the drill got.
    """
    if explain and runs != 1:
        raise click.UsageError("--explain shows one run; drop --runs or set it to 1")
    if tz and not explain:
        raise click.UsageError("--tz sets the clock of --explain; add --explain")
    if force and not (out or report_dir):
        raise click.UsageError("--force replaces the drill in the --out folder; add --out")
    say_workspace()
    inputs = resolve(scenario, team, runbooks)
    seed = new_seed() if seed is None else seed
    command = reproduce_command(scenario, seed=seed, start=start, runs=runs, window=window, horizon=horizon,
                                team=team, runbooks=runbooks)
    if report_dir:
        ensure_dir(report_dir, "report folder")
    horizon = horizon or horizon_for(inputs.scenario, inputs.runbooks)
    if not no_log:
        _check_loggable(start, window, horizon)
    log = None
    try:
        # Every output is checked before the first run: a bad path or log URL costs no simulation.
        with drill_folder(out or report_dir, force=force):
            log = None if no_log else open_log(db)
            doc = run_drills(inputs, runs=runs, seed=seed, start=start, window=window, workers=workers,
                             horizon=horizon,
                             out=out or report_dir, as_json=as_json, require_share=require_share, command=command)
            html = None
            if report_dir:
                from .report_commands import emit_drill_reports

                html = emit_drill_reports(report_dir, doc, inputs, require_share=require_share)[0]
        if log is not None:
            record_in_log(doc, inputs, log, report_path=html)
    finally:
        if log is not None:
            log.close()
    if explain and not as_json:
        output.out.print("", markup=False)
        for line in explain_run(doc["_batch"].first.timeline, inputs.team, tz):
            output.out.print(line, markup=False)
    if doc["objectives_missed"]:
        sys.exit(EXIT_MISSED)


def run_drills(inputs: Inputs, *, runs: int, seed: int, start: datetime, window: float | None, workers: int,
               horizon: float, out: Path | None, as_json: bool, require_share: float, command: str) -> dict:
    """Simulate, stream timelines to ``out`` (if given), score, find gaps, print; write
    ``summary.json`` beside the timelines. ``command`` is what reproduces the drill; it
    is printed first and kept with the seed and start in the summary and in
    ``out/drill.json``, which also tells a complete file from one cut short (Ctrl-C).
    Returns the summary document."""
    output.err.print(f"reproduce: {command}", markup=False)
    reproduce = reproduce_record(seed=seed, start=start, window=window, horizon=horizon, runs=runs, command=command)
    workers = _capped_workers(workers, runs)
    timelines = simulate_many(inputs.scenario, inputs.team, inputs.runbooks, runs=runs, seed=seed, start=start,
                              window=window, workers=workers, horizon=horizon)
    show_bar = runs > 1 and output.err.is_terminal and not as_json
    shown = stream = _progress(timelines, runs, show_bar)
    writer = manifest = None
    if out:
        ensure_dir(out)
        # A summary left by an earlier drill in this folder would describe other timelines.
        (out / "summary.json").unlink(missing_ok=True)
        writer = TimelineWriter(out / "timelines.jsonl")
        manifest = new_manifest(inputs, reproduce, writer.path)
        write_manifest(out, manifest)
        stream = writer.tee(stream)
    extra = {"timelines": str(writer.path)} if writer else {}
    extra.update({"inputs": inputs_record(inputs), "reproduce": reproduce,
                  "drill": {"state": "complete", "runs_planned": runs, "runs": runs, "partial": False}})
    try:
        doc = judge_and_report(stream, inputs, as_json=as_json, require_share=require_share, extra=extra)
    except BaseException as exc:
        # Bounded work a second Ctrl-C must not cut short: stop the bar and the workers
        # (they would outlive an unclosed generator), then mark the file partial.
        with interrupts.held():
            for gen in (stream, shown, timelines):
                gen.close()
            if writer and manifest is not None:
                writer.close()
                state = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
                write_manifest(out, {**manifest, "state": state, "runs_written": writer.count})
                output.err.print(f"{state} after {writer.count:,} of {runs:,} runs: {writer.path} holds them, "
                                 f"marked partial in {out / 'drill.json'}", markup=False)
        raise
    if writer and manifest is not None and out:
        with interrupts.held():  # a complete drill must not be left marked running
            writer.close()
            write_manifest(out, {**manifest, "state": "complete", "runs_written": writer.count})
            public = {k: v for k, v in doc.items() if not k.startswith("_")}
            write_text(out / "summary.json", json.dumps(public, indent=2) + "\n", "summary")
        output.err.print(f"wrote {writer.path}, {out / 'drill.json'} and {out / 'summary.json'}", markup=False)
    return doc


def _capped_workers(requested: int, runs: int) -> int:
    """The worker processes to use, with a note when fewer than ``requested``."""
    used = usable_workers(requested, runs)
    if used < requested:
        cpus = usable_cpus()
        why = (f"the drill has {runs:,} run{'s' if runs != 1 else ''}" if used == runs
               else f"drillbit may use {cpus} CPU{'s' if cpus != 1 else ''} here")
        output.err.print(f"note: using {used} worker process{'es' if used != 1 else ''}, not {requested}: {why}",
                         markup=False)
    return used


def read_runs(path: Path, scenario: str | None, team: Path | None, runbooks: Path | None) -> tuple[Scored, Iterator[Timeline]]:
    """The inputs to score ``path`` with (the user's, else the drill's own from its
    drill.json, else the scenario named in the file with the default team) with what
    the reader must be told about them, and every timeline of the file, streamed and
    checked to be of that one scenario."""
    stream = read_jsonl(path)
    try:
        first = next(stream)
    except StopIteration:
        raise TimelineError(f"{path}: no timelines in the file") from None
    scored = choose_inputs(path, read_manifest(path), first.scenario, scenario, team, runbooks)
    inputs = scored.inputs
    if inputs.scenario.id != first.scenario:
        raise TimelineError(f"{path}: the timelines are of scenario '{first.scenario}', not '{inputs.scenario.id}'")

    def every() -> Iterator[Timeline]:
        yield first
        for tl in stream:
            if tl.scenario != first.scenario:
                raise TimelineError(f"{path}: mixes scenarios '{first.scenario}' and '{tl.scenario}'; use one file per scenario")
            yield tl

    return scored, every()


def scoring_extra(scored: Scored) -> dict:
    """What a summary of scored timelines records besides the scores: the inputs it was
    scored with and, from the drill's manifest, how to reproduce it and whether it is whole."""
    extra: dict = {"inputs": inputs_record(scored.inputs)}
    if scored.reproduce is not None:
        extra["reproduce"] = scored.reproduce
    if scored.drill is not None:
        extra["drill"] = scored.drill
    return extra


def scoring_progress(path: Path, runs: Iterable[Timeline], as_json: bool) -> Iterable[Timeline]:
    """A progress bar over the runs of ``path`` on a terminal; nothing otherwise."""
    if as_json or not output.err.is_terminal:
        return runs
    return _progress(runs, count_runs(path), True, label="scoring")


def record_in_log(doc: dict, inputs: Inputs, db: "str | None | LogContext", *, report_path: Path | None = None) -> int:
    """Record a scored drill (its run, findings and action items) in the incident log:
    ``db`` is a URL (None: the default log) or a log :func:`open_log` opened, which
    the caller closes."""
    import incidents

    log = db if not (db is None or isinstance(db, str)) else open_log(db)
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
        if log is not db:
            log.close()


def scored_inputs_options(command):  # noqa: ANN001, ANN201
    """``--scenario``, ``--team``, ``--runbooks`` of the commands that read timelines."""
    command = click.option("--runbooks", type=click.Path(file_okay=False, path_type=Path),
                           help="Runbook folder (default: the drill's, else the workspace's, else the examples).")(command)
    command = click.option("--team", type=click.Path(dir_okay=False, path_type=Path),
                           help="Team file (default: the drill's, else the workspace's, else the example team).")(command)
    return click.option("--scenario", help="Scenario file or id (default: the drill's, from drill.json beside the "
                        "timelines, else the one named in the timelines).")(command)


@click.command()
@click.argument("timelines", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@scored_inputs_options
@click.option("--require-share", type=SHARE, default="90%", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the scoring summary as JSON.")
def score(timelines: Path, scenario: str | None, team: Path | None, runbooks: Path | None, require_share: float,
          as_json: bool) -> None:
    """Score TIMELINES.jsonl (from any mode): the scorecard of one run or the
    distribution of many, and the gap report. Exits 1 when an objective is missed.

    With drill.json beside the file (simulate --out writes it), scores with the drill's
    own scenario, team and runbooks, and says so when told to use others, when one of
    them changed since, or when the file holds fewer runs than the drill planned."""
    scored, runs = read_runs(timelines, scenario, team, runbooks)
    doc = judge_and_report(scoring_progress(timelines, runs, as_json), scored.inputs, as_json=as_json,
                           require_share=require_share, extra=scoring_extra(scored), notes=scored.notes)
    if doc["objectives_missed"]:
        sys.exit(EXIT_MISSED)
