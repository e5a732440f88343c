"""``drillbit gameday``: a scenario's ``live`` section played against real containers,
predicted first by the simulation, scored like any drill and recorded in the incident log.

The order: load and check the inputs -> predict (simulated runs in memory) -> start the
webhook receiver and write the state file ``drillbit mark`` reads -> bring up the
scenario's stack -> plan (touching nothing; ``--dry-run`` ends here) -> the game day on
this thread, with the live console or one line per event (both on stderr) -> write the timeline, every
probe result, the summary and the reports -> record -> the scoreboard. However it ends
(Ctrl-C and SIGTERM included) the runner restores every fault, and this command stops
the receiver, clears the state file and tears the stack down.

chaos (docker), the receiver and the console are imported only inside the command.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal

import click
from click.core import ParameterSource

from scenarios import DrillbitError
from scenarios.errors import EXIT_MISSED
from scenarios.timeline import Event, Timeline

from . import interrupts, output
from .app import (Drill, Hooks, SUMMARY, drill_folder, predict, score_gameday, write_gameday, write_reports)
from .chaos_commands import LEDGER_OPTION
from .drills import MAX_RUNS, _progress, command_time, open_log, record_in_log, say_workspace, show_result
from .files import write_bytes
from .params import SEED
from .provenance import reproduce_command
from .resolve import Inputs, resolve
from .scoreboard import print_prediction

if TYPE_CHECKING:
    from chaos.gameday import GameDay, GameDayPlan

#: Simulated runs the game day is predicted with unless ``--predict-runs`` says otherwise.
PREDICT_RUNS = 200
#: What each way a game day ends means, for the report's notes.
ENDINGS = {
    "aborted": "the game day was aborted: a guard probe failed, and every fault was restored at once",
    "horizon": "the game day reached its wall-clock limit (live.limit) before it ended",
    "interrupted": "the game day was ended early (q in the console, Ctrl-C or SIGTERM); every fault was restored, "
                   "and the figures are of what was recorded until then",
}


class NoLiveSection(DrillbitError):
    """A scenario without a ``live`` section cannot be played against containers."""


def end_reason(timeline: Timeline) -> str | None:
    """Why the game day ended (``drill_ended``'s reason), None if it never said."""
    ended = timeline.last("drill_ended")
    return None if ended is None else str(ended.payload.reason)


def gameday_notes(plan: "GameDayPlan | None", timeline: Timeline, failure: BaseException | None) -> list[str]:
    """What the report must say beside the scores: containers touched without the
    opt-in label, and a game day that did not end as planned."""
    notes = []
    if plan is not None and plan.unlabelled:
        names = ", ".join(sorted(d.name for d in plan.unlabelled))
        notes.append(f"touched containers without drillbit.chaos=allow: {names}")
    reason = end_reason(timeline)
    if failure is not None and not isinstance(failure, KeyboardInterrupt):
        notes.append(f"the game day failed: {failure}")
    elif reason in ENDINGS:
        notes.append(ENDINGS[reason])
    elif failure is not None:
        notes.append(ENDINGS["interrupted"])
    return notes


def plan_json(plan: "GameDayPlan") -> dict[str, Any]:
    """The plan of ``--dry-run --json``."""
    def box(d: Any) -> dict[str, Any]:
        return {"name": d.name, "id": d.id, "image": d.image, "host": d.host}

    return {"version": 1, "dry_run": True,
            "faults": [{"index": f.index, "label": f.fault.label, "kind": f.fault.kind, "target": f.fault.target,
                        "at": f.fault.at, "duration": f.fault.duration, "containers": [box(c) for c in f.containers]}
                       for f in plan.faults],
            "probes": list(plan.probes), "guards": list(plan.guards),
            "containers": [box(c) for c in plan.containers], "unlabelled": [box(c) for c in plan.unlabelled]}


def show_plan(plan: "GameDayPlan", *, to_stdout: bool) -> None:
    console = output.out if to_stdout else output.err
    for line in plan.lines():
        console.print(line, markup=False)


class ProbeClock:
    """Turns the runner's monotonic probe times into seconds since the drill started,
    anchored when ``drill_started`` arrives (probes before it, the steady-state check,
    come out negative)."""

    def __init__(self) -> None:
        self.anchor: float | None = None

    def on_event(self, e: Event) -> None:
        if e.kind == "drill_started" and self.anchor is None:
            self.anchor = time.monotonic() - e.t

    def line(self, r: Any) -> str:
        doc = asdict(r)
        if self.anchor is not None:
            doc["t"] = round(r.at - self.anchor, 3)
        return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def watching(gd: "GameDay", inputs: Inputs, *, plain: bool) -> contextlib.AbstractContextManager[object]:
    """The live console on stderr (mark keys from a terminal's stdin), or one line per
    event there when ``plain``: stdout stays for the result."""
    from .live_console import LiveConsole

    return LiveConsole(gd, keys=not plain and sys.stdin.isatty(), console=output.err, plain=plain,
                       names={m.id: m.name for m in inputs.team.members})


def _held(fn: Callable[..., object], *args: object) -> None:
    """Run cleanup that a second Ctrl-C must not cut short."""
    with interrupts.held():
        fn(*args)


def stack_file(inputs: Inputs) -> Path | None:
    """The scenario's ``live.stack``, relative to the scenario file."""
    live = inputs.scenario.live
    if live is None or live.stack is None:
        return None
    base = inputs.scenario_path.parent if inputs.scenario_path is not None else Path.cwd()
    return base / live.stack


def default_folder(inputs: Inputs, now: datetime) -> Path:
    """``gameday-SCENARIO-YYYYMMDD-HHMMSS`` here: one folder per game day."""
    return Path(f"gameday-{inputs.scenario.id}-{now:%Y%m%d-%H%M%S}")


@click.command()
@click.argument("scenario")
@click.option("--team", type=click.Path(dir_okay=False, path_type=Path), help="Team file (default: the workspace's, else the example team).")
@click.option("--runbooks", type=click.Path(file_okay=False, path_type=Path), help="Runbook folder (default: the workspace's, else the examples).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for timeline.jsonl, probes.jsonl, drill.json, summary.json and the scorecards "
                   "(default: gameday-SCENARIO-YYYYMMDD-HHMMSS here).")
@click.option("--force", is_flag=True, help="Replace the drill already in the --out folder (refused without it).")
@click.option("--db", metavar="URL", help="Incident log to record the game day in (default: $DRILLBIT_DB, the "
              "workspace's, else ~/.local/share/drillbit/incidents.db).")
@click.option("--no-log", is_flag=True, help="Do not record the game day in the incident log.")
@click.option("--port", type=click.IntRange(0, 65535), default=9095, show_default=True,
              help="Loopback port of the receiver for Alertmanager webhooks and `drillbit mark` (0: any free port).")
@click.option("--predict-runs", type=click.IntRange(1, MAX_RUNS), default=PREDICT_RUNS, show_default=True,
              help="Simulated runs that predict the game day, shown beside the measure in the report.")
@click.option("--no-predict", is_flag=True, help="Do not simulate first; the report has no prediction.")
@click.option("--seed", type=SEED, help="Seed of the prediction and of random targets, 0 to 2**63 - 1 "
              "(random if unset; printed either way).")
@click.option("--dry-run", is_flag=True, help="Resolve the targets, check every fault and print the plan; touch nothing.")
@click.option("--allow-unlabelled", is_flag=True, help="Touch containers without the label drillbit.chaos=allow "
              "(the report names them).")
@LEDGER_OPTION
@click.option("--no-console", is_flag=True, help="One line per event on stderr instead of the live console.")
@click.option("--keep-stack", is_flag=True, help="Leave the scenario's stack running afterwards.")
@click.option("--json", "as_json", is_flag=True, help="Print the scoring summary (summary.json) as JSON; "
              "with --dry-run, the plan.")
@click.pass_context
def gameday(ctx: click.Context, scenario: str, team: Path | None, runbooks: Path | None, out: Path | None, force: bool,
            db: str | None, no_log: bool, port: int, predict_runs: int, no_predict: bool, seed: int | None,
            dry_run: bool, allow_unlabelled: bool, ledger: Path | None, no_console: bool, keep_stack: bool,
            as_json: bool) -> None:
    """Play a game day: SCENARIO's live section against real Docker containers.

    Simulates the scenario first (the prediction), brings up its stack, checks steady
    state, injects its faults on its clock, watches its probes, takes alerts from
    Alertmanager and marks from `drillbit mark`, restores every fault however it ends,
    then scores the timeline, writes the reports with the prediction beside the measure
    and records the game day in the incident log. Exits 1 when an objective is missed,
    the game day was aborted or steady state was refused; 130 when interrupted.
    """
    if no_predict and ctx.get_parameter_source("predict_runs") is ParameterSource.COMMANDLINE:
        raise click.UsageError("--predict-runs sets the runs of the prediction; drop it, or drop --no-predict")
    if force and not out:
        raise click.UsageError("--force replaces the drill in the --out folder; add --out")
    say_workspace()
    inputs = resolve(scenario, team, runbooks)
    if inputs.scenario.live is None:
        raise NoLiveSection(f"scenario '{inputs.scenario.id}' has no 'live' section, so it cannot be played against "
                            f"containers; add one (README, 'Live game days'), or simulate it: "
                            f"drillbit simulate {scenario}")
    from chaos.gameday import GameDay
    from chaos.ledger import Ledger
    from simulator import new_seed

    seed = new_seed() if seed is None else seed
    output.err.print(f"seed: {seed}", markup=False)
    gd = GameDay(inputs.scenario, inputs.team, seed=seed, ledger=Ledger(ledger),
                 allow_unlabelled=True if allow_unlabelled else None)
    stack = stack_file(inputs)
    if dry_run:
        if stack is not None:
            output.err.print(f"note: a dry run does not bring up the stack {stack}; the plan is of the containers "
                             f"running now (`drillbit stack up {stack}` starts it)", markup=False)
        plan = gd.plan()
        if as_json:
            output.emit_json(plan_json(plan))
        else:
            show_plan(plan, to_stdout=True)
            output.out.print("dry run: nothing was touched", markup=False)
        return
    now = command_time()
    folder = out or default_folder(inputs, now)
    made_folder = not folder.exists()
    log = None
    try:
        with _removed_if_left_empty(folder, made_folder), drill_folder(folder, force=force):
            log = None if no_log else open_log(db)
            predicted = None if no_predict else _predict(inputs, scenario, team, runbooks, runs=predict_runs,
                                                         seed=seed, now=now, as_json=as_json)
            drill, failure = _play(gd, inputs, folder, stack, predicted=predicted, port=port, now=now,
                                   plain=no_console or not output.err.is_terminal,
                                   keep_stack=keep_stack, log=log)
    finally:
        if log is not None:
            log.close()
    if failure is not None:
        raise failure
    show_result(drill, as_json=as_json)
    if not as_json:
        print_prediction(drill.result)
    if drill.result.objectives_missed or end_reason(drill.timeline) == "aborted":
        sys.exit(EXIT_MISSED)


def _predict(inputs: Inputs, scenario: str, team: Path | None, runbooks: Path | None, *, runs: int, seed: int,
             now: datetime, as_json: bool) -> Drill:
    command = reproduce_command(scenario, seed=seed, start=now, runs=runs, window=None, horizon=None, team=team,
                                runbooks=runbooks)
    output.err.print(f"predicting with {runs:,} simulated runs; reproduce: {command}", markup=False)
    show_bar = runs > 1 and output.err.is_terminal and not as_json
    hooks = Hooks(progress=lambda made: _progress(made, runs, show_bar, label="predicting"))
    return predict(inputs, runs=runs, seed=seed, start=now, now=now, hooks=hooks, command=command)


@contextlib.contextmanager
def _removed_if_left_empty(folder: Path, made: bool) -> Iterator[None]:
    """A folder this command made is removed again when the game day stopped before
    writing anything into it (a plan refused, steady state not met)."""
    try:
        yield
    except BaseException:
        if made:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty
        raise


def _play(gd: "GameDay", inputs: Inputs, folder: Path, stack: Path | None, *, predicted: Drill | None, port: int,
          now: datetime, plain: bool, keep_stack: bool, log: Any) -> tuple[Drill, BaseException | None]:
    """The game day from the receiver's start to its recorded result. Returns the drill
    and what cut it short (an interruption or a restore that failed: the caller raises
    it once the result is safe), or raises what stopped it before it started."""
    from chaos.gameday import SteadyStateError

    from .gameday_state import clear_state, write_state
    from .receiver import Receiver

    probe_clock = ProbeClock()
    plan = None
    failure: BaseException | None = None
    with contextlib.ExitStack() as cleanup:
        receiver = Receiver(gd, port=port)
        url = receiver.start()
        cleanup.callback(_held, receiver.stop)
        write_state(url=url, token=receiver.token, pid=os.getpid(), scenario=inputs.scenario.id, started=now)
        cleanup.callback(_held, clear_state)
        output.err.print(f"receiver: {url} (Alertmanager webhooks, `drillbit mark`)", markup=False)
        if stack is not None:
            from chaos.stack import bring_up, tear_down
            from scenarios.stack import load_stack

            loaded = load_stack(stack)
            if not keep_stack:
                # Registered first: a stack half brought up is torn down too.
                cleanup.callback(_held, tear_down, loaded)
            output.err.print(f"bringing up {stack}", markup=False)
            bring_up(loaded, stack.parent, env={"DRILLBIT_RECEIVER": url})
        plan = gd.plan()
        show_plan(plan, to_stdout=False)
        gd.subscribe(on_event=probe_clock.on_event)
        try:
            with watching(gd, inputs, plain=plain):
                gd.run()
        except SteadyStateError:
            raise
        except BaseException as exc:  # noqa: BLE001 - Ctrl-C, SIGTERM, a failed restore: what was recorded is kept
            failure = exc
    with interrupts.held():
        timeline = gd.timeline()
        if timeline.first("drill_started") is None:
            if failure is not None:
                raise failure
            raise DrillbitError("the game day recorded nothing: it never started")
        state: Literal["complete", "interrupted", "failed"] = (
            "complete" if failure is None else "interrupted" if isinstance(failure, KeyboardInterrupt) else "failed")
        written = write_gameday(folder, inputs, timeline, (probe_clock.line(r) for r in gd.probe_results()),
                                state=state)
        drill = score_gameday(timeline, inputs, now=now, predicted=predicted, state=state,
                              notes=gameday_notes(plan, timeline, failure), timeline_file=written[0])
        summary = write_bytes(folder / SUMMARY, drill.result.to_json().encode("utf-8"), "summary")
        reports = write_reports(drill, folder, now=now)
        for path in (*written, summary, *reports):
            output.err.print(f"wrote {path}", markup=False)
        if log is not None:
            record_in_log(drill, log, report_path=reports[0])
    return drill, failure
