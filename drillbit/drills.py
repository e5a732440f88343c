"""``drillbit simulate`` and ``drillbit score``."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence, TypeVar

import click

from scenarios.errors import EXIT_MISSED
from scenarios.timeline import Timeline, TimelineError, read_jsonl
from scoring.run_score import RunScorer

from . import output
from .app import (REPORT_FORMATS, CutShort, Drill, Hooks, drawing_ahead, drill_folder, judge_batch, record_drill,
                  run_drill, score_timelines, write_reports)
from .files import ensure_dir
from .params import DURATION, INSTANT, SEED, SHARE, TIMELINES, ZONE
from .provenance import Scored, count_runs, pick_inputs, read_manifest, reproduce_command, with_completeness
from .resolve import Inputs, resolve
from .kept_scores import as_written, fold_kept, vouched_scores
from .scoreboard import print_summary

if TYPE_CHECKING:
    from .log_commands import LogContext

#: More runs than this would take days and fill the disk: the bound says so before any run starts.
MAX_RUNS = 1_000_000


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


Run = TypeVar("Run")


def _progress(runs: Iterable[Run], total: int, enabled: bool, label: str = "simulating") -> Iterator[Run]:
    """``runs`` passed on, one item a run, advancing a bar of ``total`` runs when ``enabled``."""
    if not enabled:
        yield from runs
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn  # only for a terminal

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=output.err, transient=True) as bar:
        task = bar.add_task("runs", total=total)
        for run in runs:
            yield run
            bar.advance(task)


def _listed(paths: Sequence[Path]) -> str:
    """``a, b and c``."""
    names = [str(p) for p in paths]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def show_result(drill: Drill, *, as_json: bool) -> None:
    """The drill's notes on stderr, then its scores: a table, or the JSON document."""
    for note in drill.result.notes:
        output.err.print(f"note: {note}", markup=False)
    if as_json:
        output.emit_json(drill.result.to_dict())
    else:
        print_summary(drill.result)


def drill_hooks(runs: int, *, as_json: bool) -> Hooks:
    """What a person sees of a simulated drill: a progress bar on a terminal, the
    scores, and where its files went (or how far it got when cut short)."""
    show_bar = runs > 1 and output.err.is_terminal and not as_json

    def cut_short(cut: CutShort) -> None:
        output.err.print(f"{cut.state} after {cut.runs_written:,} of {cut.runs_planned:,} runs: {cut.timelines} holds "
                         f"them, marked partial in {cut.manifest}", markup=False)

    return Hooks(progress=lambda made: _progress(made, runs, show_bar),
                 scored=lambda drill: show_result(drill, as_json=as_json), cut_short=cut_short,
                 wrote=lambda paths: output.err.print(f"wrote {_listed(paths)}", markup=False))


def simulate_drill(inputs: Inputs, *, runs: int, seed: int, start: datetime, window: float | None, workers: int,
                   horizon: float, out: Path | None, as_json: bool, require_share: float, command: str,
                   now: datetime, compress: bool = True) -> Drill:
    """:func:`app.run_drill` as the CLI shows it: the command that reproduces the drill
    first, a note when fewer workers are used than asked for, then the run."""
    output.err.print(f"reproduce: {command}", markup=False)
    return run_drill(inputs, runs=runs, seed=seed, start=start, window=window, workers=_capped_workers(workers, runs),
                     horizon=horizon, command=command, now=now, require_share=require_share, out=out,
                     compress=compress, hooks=drill_hooks(runs, as_json=as_json))


def command_time() -> datetime:
    """The instant a command judges its drill at (whole seconds, UTC)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


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
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder for timelines.jsonl.gz, scores.json.gz, "
              "summary.json and drill.json (what the drill ran on and how far it got).")
@click.option("--no-compress", is_flag=True, help="Write the timelines as plain timelines.jsonl, not gzip-compressed.")
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
             no_compress: bool, explain: bool, tz: str | None, as_json: bool, report_dir: Path | None, db: str | None,
             no_log: bool, force: bool) -> None:
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
    from simulator import horizon_for, new_seed  # the engine: loaded by the commands that simulate, not by score

    say_workspace()
    inputs = resolve(scenario, team, runbooks)
    output.notes(inputs.notes)
    seed = new_seed() if seed is None else seed
    command = reproduce_command(scenario, seed=seed, start=start, runs=runs, window=window, horizon=horizon,
                                team=team, runbooks=runbooks)
    if report_dir:
        ensure_dir(report_dir, "report folder")
    horizon = horizon or horizon_for(inputs.scenario, inputs.runbooks)
    if not no_log:
        _check_loggable(start, window, horizon)
    now = command_time()
    log = None
    try:
        # Every output is checked before the first run: a bad path or log URL costs no simulation.
        # With --report, the charts' workers load matplotlib while the runs are simulated.
        with drawing_ahead(REPORT_FORMATS if report_dir else ()), drill_folder(out or report_dir, force=force):
            log = None if no_log else open_log(db)
            drill = simulate_drill(inputs, runs=runs, seed=seed, start=start, window=window, workers=workers,
                                   horizon=horizon, out=out or report_dir, as_json=as_json, require_share=require_share,
                                   command=command, now=now, compress=not no_compress)
            html = None
            if report_dir:
                html = say_wrote(write_reports(drill, report_dir, now=now))[0]
        if log is not None:
            record_in_log(drill, log, report_path=html)
    finally:
        if log is not None:
            log.close()
    if explain and not as_json:
        from reports.explain import explain as explain_run  # the reports package loads jinja2: only when asked

        output.out.print("", markup=False)
        for line in explain_run(drill.timeline, inputs.team, tz, scenario=inputs.scenario):
            output.out.print(line, markup=False)
    if drill.result.objectives_missed:
        sys.exit(EXIT_MISSED)


def say_wrote(paths: list[Path]) -> list[Path]:
    """One ``wrote PATH`` line on stderr for each file."""
    for p in paths:
        output.err.print(f"wrote {p}", markup=False)
    return paths


def _capped_workers(requested: int, runs: int) -> int:
    """The worker processes to use, with a note when fewer than ``requested``."""
    from simulator import usable_cpus, usable_workers

    used = usable_workers(requested, runs)
    if used < requested:
        cpus = usable_cpus()
        why = (f"the drill has {runs:,} run{'s' if runs != 1 else ''}" if used == runs
               else f"drillbit may use {cpus} CPU{'s' if cpus != 1 else ''} here")
        output.err.print(f"note: using {used} worker process{'es' if used != 1 else ''}, not {requested}: {why}",
                         markup=False)
    return used


@dataclass
class FileRuns:
    """The runs of a timelines file, as :func:`read_runs` opened them."""

    path: Path
    first: Timeline
    rest: Iterator[Timeline]  # the runs after the first, streamed and checked to be of its scenario
    count: int | None = None  # how many runs the file holds, when known without reading it
    kept: Path | None = None  # what scoring kept of the runs, when drill.json vouches for it (kept_scores.py)

    def every(self) -> Iterator[Timeline]:
        yield self.first
        yield from self.rest


def read_runs(path: Path, scenario: str | None, team: Path | None, runbooks: Path | None, *,
              rescore: bool = False) -> tuple[Scored, FileRuns]:
    """The inputs to score ``path`` with (the user's, else the drill's own from its
    drill.json, else the scenario named in the file with the default team) with what
    the reader must be told about them, and the file's runs, streamed and checked to be
    of that one scenario.

    When drill.json records the hash of the file's bytes as drillbit wrote them and it
    still matches, the lines are read without validation and the runs are not counted;
    when, besides, the inputs are the drill's own as it ran on them, the runs' kept
    scores are named (``kept``) to be added up instead of scoring every timeline, unless
    ``rescore``."""
    manifest = read_manifest(path)
    written = as_written(path, manifest)
    stream = read_jsonl(path, trusted=written is not None)
    try:
        first = next(stream)
    except StopIteration:
        raise TimelineError(f"{path}: no timelines in the file") from None
    scored = pick_inputs(manifest, first.scenario, scenario, team, runbooks)
    if scored.inputs.scenario.id != first.scenario:
        raise TimelineError(f"{path}: the timelines are of scenario '{first.scenario}', not '{scored.inputs.scenario.id}'")
    count = kept = None
    if written is not None:
        count = written[1]
        if not rescore:
            kept = vouched_scores(path, manifest, own_inputs=scored.own, written=written)
    if manifest is not None:
        if count is None:
            count = count_runs(path)
        scored = with_completeness(scored, path, manifest, count)

    def rest() -> Iterator[Timeline]:
        for tl in stream:
            if tl.scenario != first.scenario:
                raise TimelineError(f"{path}: mixes scenarios '{first.scenario}' and '{tl.scenario}'; use one file per scenario")
            yield tl

    return scored, FileRuns(path, first, rest(), count, kept)


def score_scored(runs: FileRuns, scored: Scored, *, now: datetime, require_share: float, show_progress: bool) -> Drill:
    """Score the runs of a timelines file with the inputs :func:`read_runs` chose, recording
    from the drill's manifest how to reproduce it and whether it is whole, and the notes.
    Adds up the kept scores where :func:`read_runs` found them whole (the same result,
    sooner); else scores every timeline, with a progress bar if ``show_progress``."""
    inputs = scored.inputs
    batch = None
    if runs.kept is not None and runs.count is not None:
        batch = fold_kept(runs.kept, runs.count, RunScorer(inputs.scenario, inputs.team), runs.first)
    if batch is not None:
        return judge_batch(batch, inputs, now=now, require_share=require_share, reproduce=scored.reproduce,
                           progress=scored.drill, notes=scored.notes)
    timelines: Iterable[Timeline] = runs.every()
    if show_progress:
        timelines = _progress(timelines, runs.count if runs.count is not None else count_runs(runs.path), True,
                              label="scoring")
    return score_timelines(timelines, inputs, now=now, require_share=require_share, reproduce=scored.reproduce,
                           progress=scored.drill, notes=scored.notes)


def scoring_shows_progress(as_json: bool) -> bool:
    """Whether scoring a file shows a progress bar: on a terminal, and not for --json."""
    return not as_json and output.err.is_terminal


def record_in_log(drill: Drill, log: "LogContext", *, report_path: Path | None = None) -> int:
    """Record a scored drill (its run, findings and action items) in the incident log
    :func:`open_log` opened (the caller closes it), and say so."""
    store = log.store()
    run_id = record_drill(drill, store, report_path=report_path)
    output.err.print(f"recorded drill run {run_id} in the incident log at {store.where}", markup=False)
    return run_id


def scored_inputs_options(command):  # noqa: ANN001, ANN201
    """``--scenario``, ``--team``, ``--runbooks`` of the commands that read timelines."""
    command = click.option("--runbooks", type=click.Path(file_okay=False, path_type=Path),
                           help="Runbook folder (default: the drill's, else the workspace's, else the examples).")(command)
    command = click.option("--team", type=click.Path(dir_okay=False, path_type=Path),
                           help="Team file (default: the drill's, else the workspace's, else the example team).")(command)
    return click.option("--scenario", help="Scenario file or id (default: the drill's, from drill.json beside the "
                        "timelines, else the one named in the timelines).")(command)


def rescore_option(command):  # noqa: ANN001, ANN201
    """``--rescore`` of the commands that score a timelines file."""
    return click.option("--rescore", is_flag=True, help="Score every timeline again, even when drill.json vouches for "
                        "what scoring kept of the runs beside them (scores.json.gz).")(command)


@click.command()
@click.argument("timelines", type=TIMELINES)
@scored_inputs_options
@click.option("--require-share", type=SHARE, default="90%", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the scoring summary as JSON.")
@rescore_option
def score(timelines: Path, scenario: str | None, team: Path | None, runbooks: Path | None, require_share: float,
          as_json: bool, rescore: bool) -> None:
    """Score TIMELINES (a .jsonl file from any mode, or a drill's folder): the scorecard
    of one run or the distribution of many, and the gap report. Exits 1 when an
    objective is missed. The file may be gzip-compressed (TIMELINES.jsonl.gz); a
    drill's folder stands for the one timelines file in it.

    With drill.json beside the file (simulate --out writes it), scores with the drill's
    own scenario, team and runbooks, and says so when told to use others, when one of
    them changed since, or when the file holds fewer runs than the drill planned. When
    drill.json vouches for the scores the drill kept of each run, adds them up instead
    of scoring every timeline again (the same result); --rescore scores them all."""
    scored, runs = read_runs(timelines, scenario, team, runbooks, rescore=rescore)
    drill = score_scored(runs, scored, now=command_time(), require_share=require_share,
                         show_progress=scoring_shows_progress(as_json))
    show_result(drill, as_json=as_json)
    if drill.result.objectives_missed:
        sys.exit(EXIT_MISSED)
