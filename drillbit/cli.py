"""The ``drillbit`` command. This is the one place that prints and exits: 0 success,
1 a drill missed an objective, 2 bad usage or input, 3 internal error, 130 interrupted
(SIGINT), 143 terminated (SIGTERM). Errors carry their own code and wording
(``scenarios.errors``, click's exceptions); :func:`main` only shows them."""

from __future__ import annotations

import gc
import io
import os
import sys
import traceback
from pathlib import Path
from string import Template

import click

from . import __version__, interrupts
from .lazygroup import LazyGroup

# Every import of scenarios, output (rich) and the command modules sits inside the
# command that needs it: `drillbit --version` and `drillbit validate` must not pay
# for scipy, sqlalchemy, simpy or jinja2 (benchmarks/startup.py measures it).

# drillbit's models use no pydantic plugin, and looking plugins up (pydantic does it for
# the first model it builds) reads the metadata of every installed distribution: tens of
# milliseconds of every command's start-up. Someone who wants a plugin sets the variable.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

EXIT_INTERRUPTED = 130
KINDS = ("scenario", "team", "runbook", "workspace", "stack")
STARTERS = Path(__file__).parent / "starters"

# name -> (where the command is, the first sentence of its help as `drillbit --help` shows it)
LAZY_COMMANDS = {
    "chaos": ("drillbit.chaos_commands:chaos",
              "Real faults in Docker containers: apply one, list what is applied, restore it."),
    "compare": ("drillbit.analysis:compare",
                "Compare two sets of runs (BEFORE.jsonl, AFTER.jsonl), e.g. before and after a rotation change: per "
                "metric the difference of medians with a bootstrap interval, a Mann-Whitney test, and a verdict — "
                "improved, worse, or not distinguishable from noise."),
    "export": ("drillbit.interchange_commands:export_group",
               "Write drillbit's data in another tool's format: on-call calendars, alerting rules, chaos journals."),
    "gameday": ("drillbit.gameday_commands:gameday",
                "Play a game day: SCENARIO's live section against real Docker containers."),
    "import": ("drillbit.interchange_commands:import_group",
               "Turn another tool's file into drillbit's: on-call calendars, alerting rules, chaos experiments."),
    # log_analysis adds stats, patterns and calibrate to the group log_commands defines
    "log": ("drillbit.log_analysis:log",
            "The incident log: real incidents and drills, MTTx trends, patterns, action items."),
    "mark": ("drillbit.mark_commands:mark",
             "Record a mark in the running game day: KIND is detected, ack, engaged, diagnosed, mitigated, update, "
             "resolved or note; TEXT is a note's text."),
    "power": ("drillbit.analysis:power",
              "How many drills or incidents are needed to see an improvement? DURATIONS is timelines (.jsonl) or a "
              "CSV of incidents (a PagerDuty-style export works as is)."),
    "report": ("drillbit.report_commands:report",
               "Render TIMELINES (a .jsonl file from any mode, or a drill's folder) as a report: scored as "
               "``drillbit score`` does, one run told in the timeline chart, post-mortem and status page (the first)."),
    "schedule": ("drillbit.schedule_commands:schedule",
                 "Scheduled drills from drillbit.yaml's 'schedule': list, next, run-due, serve, history."),
    "score": ("drillbit.drills:score",
              "Score TIMELINES (a .jsonl file from any mode, or a drill's folder): the scorecard of one run or the "
              "distribution of many, and the gap report."),
    "stack": ("drillbit.stack_commands:stack",
              "The offline staging stack a game day plays against: build and start it, show it, remove it."),
    "tabletop": ("drillbit.tabletop_commands:tabletop",
                 "Run a tabletop drill: SCENARIO with people in the room, in a web console."),
    "simulate": ("drillbit.drills:simulate",
                 "Simulate a drill: SCENARIO (a file, a workspace scenario id or a built-in id) against the team's "
                 "rotation, paging, escalation and runbooks."),
}


@click.group(cls=LazyGroup, lazy=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="drillbit")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Incident drills: scenarios replayed against your rotation, escalation and runbooks."""
    ctx.ensure_object(dict)["debug"] = debug


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def validate(paths: tuple[Path, ...], as_json: bool) -> None:
    """Check scenario, team, runbook, workspace and stack files.

    PATHS are files or folders. Without any: the current workspace, or the built-in
    library and the example team outside one. Scenarios and runbooks are also checked
    against the team and the runbooks given with them. Exit 2 on any problem.
    """
    from scenarios import check_files
    from scenarios.errors import EXIT_INPUT

    from . import output

    targets = list(paths) or _default_validation_targets()
    results = check_files(targets)
    found = [p for r in results for p in r.problems]
    if as_json:
        output.emit_json({
            "version": 1,
            "ok": not found,
            "files": [
                # "notes" only where there are some: the shape of a file without them stays as it was
                {"file": str(r.file), "kind": r.kind, "ok": not r.problems, "problems": [output.problem_json(p) for p in r.problems],
                 **({"notes": [output.problem_json(p) for p in r.notes]} if r.notes else {})}
                for r in results
            ],
            "problem_count": len(found),
        })
    else:
        output.problems(found)
        output.notes(n for r in results for n in r.notes)
        kinds = {}
        for r in results:
            kinds[r.kind or "unreadable file"] = kinds.get(r.kind or "unreadable file", 0) + 1
        summary = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(kinds.items()))
        verdict = f"{len(found)} problem{'s' if len(found) != 1 else ''}" if found else "all valid"
        output.err.print(f"checked {len(results)} file{'s' if len(results) != 1 else ''} ({summary}): {verdict}", markup=False)
    if found:
        sys.exit(EXIT_INPUT)


def _default_validation_targets() -> list[Path]:
    import scenarios

    from .workspace import EXAMPLES, find_workspace

    ws = find_workspace()
    if ws:
        return ws.files()
    return [scenarios.LIBRARY, EXAMPLES]


@cli.command()
@click.argument("kind", type=click.Choice(KINDS), required=False)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write every schema as KIND.json into this folder instead of printing one.")
@click.option("--team", "team_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The scenario schema accepts only this team file's severities (as drillbit init writes it).")
def schema(kind: str | None, out_dir: Path | None, team_file: Path | None) -> None:
    """Print the JSON Schema of a file kind (scenario by default), for editors."""
    import scenarios

    from . import output
    from .workspace import schema_for, schema_text

    if team_file and kind not in (None, "scenario"):
        raise click.UsageError(f"--team applies to the scenario schema only, not to {kind}")
    team = scenarios.load(team_file, scenarios.Team) if team_file else None
    if out_dir:
        from .files import ensure_dir, write_text

        ensure_dir(out_dir, "schema folder")
        for k in KINDS:
            write_text(out_dir / f"{k}.json", schema_text(k, team), "schema file")
            output.err.print(f"wrote {out_dir / f'{k}.json'}", markup=False)
        return
    output.emit_json(schema_for(kind or "scenario", team))


@cli.command()
@click.argument("kind", type=click.Choice(("scenario", "team", "runbook")))
@click.argument("name")
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="File to write (default NAME.yaml here).")
def new(kind: str, name: str, out_path: Path | None) -> None:
    """Write a commented starting file for a scenario, team or runbook called NAME."""
    from scenarios.base import ID_PATTERN
    import re

    from . import output

    if not re.match(ID_PATTERN, name):
        raise click.BadParameter(f"expected lowercase letters, digits, '-', '_' or '.', got {name!r}", param_hint="NAME")
    from .files import OutputError, check_file_target, write_text

    target = out_path or Path(f"{name}.yaml")
    check_file_target(target, f"{kind} file")
    if target.exists():
        raise click.UsageError(f"{target} already exists; drillbit new never overwrites files")
    text = Template((STARTERS / f"{kind}.yaml").read_text(encoding="utf-8")).safe_substitute(name=name)
    try:
        write_text(target, text, f"{kind} file", exclusive=True)
    except OutputError as exc:
        if target.exists():  # created by someone else since the check above
            raise click.UsageError(f"{target} already exists; drillbit new never overwrites files") from None
        raise exc
    output.out.print(f"wrote {target} — edit it, then run: drillbit validate {target}", markup=False)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", help="Workspace name (default: the folder's name).")
def init(directory: Path, name: str | None) -> None:
    """Create a workspace in DIRECTORY with the example team, runbooks and scenarios."""
    from . import output
    from .workspace import init_workspace

    created = init_workspace(directory, name)
    output.err.print(f"workspace: {directory.resolve()}", markup=False)
    output.out.print(f"created workspace in {directory} ({len(created)} files)", markup=False)
    output.out.print(f"next: cd {directory} && drillbit validate", markup=False)


@cli.command(name="scenarios")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_scenarios(as_json: bool) -> None:
    """List the built-in scenario library."""
    import scenarios

    from . import output

    items = [scenarios.load_scenario(f) for f in scenarios.builtin_scenarios()]
    if as_json:
        output.emit_json([{"id": s.id, "kind": s.kind, "severity": s.severity, "title": s.title,
                           "references": [str(u) for u in s.references]} for s in items])
        return
    output.table("built-in scenarios", ["id", "kind", "severity", "title"],
                 ((s.id, s.kind, s.severity, s.title) for s in items))


DEMO_SCENARIO = "db-primary-data-deleted"
DEMO_START = "2026-11-30T00:00:00+00:00"
DEMO_SEED = 2026


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="drillbit-demo", show_default=True,
              help="Folder for the results.")
@click.option("--runs", type=click.IntRange(1, 1_000_000), default=500, show_default=True)
def demo(out: Path, runs: int) -> None:
    """The main job: check the built-in library, then simulate a built-in data-loss
    drill against the example team over four weeks of start times, write the scorecard
    and gap report, and record the drill in an incident log (OUT/incidents.db)."""
    import scenarios
    from scenarios import check_files
    from scenarios.errors import EXIT_INPUT
    from simulator import horizon_for

    from . import output
    from .app import drawing_ahead, drill_folder, write_reports
    from .drills import command_time, open_log, record_in_log, say_workspace, simulate_drill
    from .files import ensure_dir
    from .params import DURATION, INSTANT
    from .provenance import reproduce_command
    from .resolve import resolve
    from .workspace import EXAMPLES

    say_workspace()
    ensure_dir(out)  # before the library check and the runs: a bad --out costs nothing
    results = check_files([scenarios.LIBRARY, EXAMPLES])
    found = [p for r in results for p in r.problems]
    output.problems(found)
    output.out.print(f"built-in library: {len(results)} files checked, {len(found)} problems", markup=False)
    if found:
        sys.exit(EXIT_INPUT)
    inputs = resolve(DEMO_SCENARIO)
    output.out.print(f"simulating {runs} runs of {DEMO_SCENARIO} against team {inputs.team.team}, "
                     f"starts spread over 4 weeks from {DEMO_START}", markup=False)
    start, window = INSTANT.convert(DEMO_START, None, None), DURATION.convert("4w", None, None)
    command = reproduce_command(DEMO_SCENARIO, seed=DEMO_SEED, start=start, runs=runs, window=window, horizon=None,
                                team=None, runbooks=None)
    now = command_time()
    # The demo's folder is its own: a second demo replaces the first one's drill (and adds to its log).
    # The scorecard's chart workers load matplotlib while the runs are simulated.
    with drawing_ahead(("html",)), drill_folder(out, force=True):
        log = open_log(f"sqlite:///{(out / 'incidents.db').resolve()}")
        try:
            drill = simulate_drill(inputs, runs=runs, seed=DEMO_SEED, start=start, window=window,
                                   workers=min(2, os.cpu_count() or 1),
                                   horizon=horizon_for(inputs.scenario, inputs.runbooks), out=out, as_json=False,
                                   require_share=0.9, command=command, now=now)
            output.out.print(f"scorecard and gap report: {out / 'summary.json'}", markup=False)
            html = write_reports(drill, out, now=now, formats=("html",))[0]
            record_in_log(drill, log, report_path=html)
        finally:
            log.close()
    output.out.print("HTML scorecard (open it in a browser):", markup=False)
    output.out.print(str(html), markup=False)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn errors into messages and exit codes."""
    # First: from here on no signal ends drillbit unreported. Only a real exit (no argv)
    # may act on a signal by exiting; a caller in the same process gets its handlers back.
    interrupts.install(for_good=argv is None)
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        try:
            cli.main(args=argv, prog_name="drillbit", standalone_mode=False)
        finally:
            interrupts.end()
    except SystemExit as exc:
        code = exc.code
    except (KeyboardInterrupt, Exception) as exc:  # the one place an error becomes a message
        code = _signal_exit(exc)
        if code is None:
            code = _report_error(exc, debug)
    else:
        code = 0
    code = _exit_code(code)
    if argv is None:
        # The process ends here: the interpreter's last collections would search every
        # object the command made for cycles (60-70 ms after scoring 1,500 runs) only to
        # free memory the exit returns anyway. Commands close their files and connections
        # themselves, and atexit handlers (multiprocessing's, tempfile's) still run.
        gc.freeze()
    sys.exit(code)


def _signal_exit(exc: BaseException) -> int | None:
    """Report an interruption (SIGINT 130 "interrupted", SIGTERM 143 "terminated");
    None when ``exc`` is not one."""
    stop = interrupts.interruption(exc)
    if stop is None:
        return None
    interrupts.say(stop.line())
    return stop.exit_code


def _exit_code(code: object) -> object:
    """``code``, unless a signal arrived after the command ended: then its code, and one line."""
    late = interrupts.finish()
    if late is None or code in interrupts.EXIT_CODES:
        return code
    interrupts.say(interrupts.late_line(late))
    return late


def _report_error(exc: BaseException, debug: bool) -> int:
    """Print EXC for a person and return its exit code: drillbit's errors carry both
    (``exit_code`` and ``lines``), click shows its own (bad usage, exit 2); anything
    else is an internal error, told in one line with the traceback in a log file."""
    # Loaded only now: a run that ends well never needs them for this.
    from scenarios.errors import EXIT_INPUT
    from scenarios.untrusted import shown

    if isinstance(exc, click.ClickException):
        # click quotes the user's values back: they pass through the same filter as data.
        buf = io.StringIO()
        exc.show(file=buf)
        sys.stderr.write(shown(buf.getvalue()))
        # Always 2: click gives some of its errors (FileError) 1, which here means a missed objective.
        return EXIT_INPUT
    from scenarios.errors import EXIT_INTERNAL, DrillbitError

    from . import output

    if isinstance(exc, DrillbitError):
        output.lines(exc.lines())
        return exc.exit_code
    if isinstance(exc, click.exceptions.Abort):  # an interruption click caught before the signal handler saw it
        output.err.print("interrupted")
        return EXIT_INTERRUPTED
    from .errorlog import write_error_log

    trace = shown(traceback.format_exc())
    log = write_error_log(trace)
    if debug:
        sys.stderr.write(trace)
    where = f"traceback in {log}; --debug shows it" if log else "no folder was safe for a traceback log; --debug shows it"
    output.err.print(f"internal error: {type(exc).__name__}: {exc} ({where})")
    return EXIT_INTERNAL
