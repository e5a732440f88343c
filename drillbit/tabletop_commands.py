"""``drillbit tabletop``: a facilitated drill on a wall clock, in a browser the room sees.

The order: load and check the inputs -> predict (simulated runs in memory, as a game day
is) -> the tabletop session (new, or rebuilt from its journal with ``--resume``), every
entry it accepts appended to ``tabletop.jsonl`` and fsynced -> the web console
(:class:`drillbit.tabletop_web.TabletopServer`) until the facilitator finishes the hot
wash, or Ctrl-C / SIGTERM; or, with ``--script --headless``, the script played through
on the virtual clock -> the timeline, the drill's actions as a script, the summary and
the reports -> the incident log -> the scoreboard beside the prediction.

The web stack (starlette, uvicorn) is imported only when a console is served.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click
from click.core import ParameterSource

from scenarios import DrillbitError
from scenarios.errors import EXIT_MISSED
from scenarios.tabletop import SPEEDS

from . import interrupts, output
from .app import (SUMMARY, TABLETOP_JOURNAL, TABLETOP_REPORTS, GAMEDAY_TIMELINE, Drill, drill_folder,
                  score_tabletop, single_manifest, write_reports, write_tabletop)
from .drills import MAX_RUNS, command_time, open_log, record_in_log, say_workspace, show_result
from .files import FolderLock, write_bytes
from .gameday_commands import PREDICT_RUNS, _held, _predict, _removed_if_left_empty
from .params import INSTANT, SEED
from .provenance import MANIFEST, inputs_record, write_manifest
from .resolve import Inputs, resolve
from .scoreboard import print_prediction
from .tabletop_journal import Journal, JournalWriter, read_journal
from .tabletop_script import script_text

if TYPE_CHECKING:
    from simulator.tabletop import Tabletop

#: The console's port unless ``--port`` says otherwise.
PORT = 8095
#: Seconds between rewrites of timeline.jsonl while the drill runs (when something changed).
TIMELINE_EVERY = 2.0
#: What the report says when a tabletop did not get to the end of its hot wash.
ENDINGS = {
    "interrupted": "the tabletop was stopped before the facilitator finished the hot wash (Ctrl-C or SIGTERM); "
                   "the figures are of what was recorded until then, and `drillbit tabletop --resume {folder}` "
                   "continues it",
    "unfinished": "the script ended before the drill did (no `end` and `finish` actions); the figures are of what "
                  "was recorded until the model had nothing left to do",
}


class ScriptRefused(DrillbitError):
    """A scripted action the drill refused when its time came."""


class ResumeError(DrillbitError):
    """A drill that cannot be continued (its journal, or inputs other than its own)."""


@dataclass
class Session:
    """The drill this command plays and where it is kept."""

    tabletop: "Tabletop"
    inputs: Inputs
    folder: Path
    start: datetime
    seed: int
    scenario_arg: str
    writer: JournalWriter | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)
    #: A finished drill resumed again is written again, but not recorded twice.
    recorded: bool = False
    resumed: bool = False

    def on_entry(self, entry: dict[str, Any]) -> None:
        """A subscriber of the session: the entry is on disk before the action returns."""
        assert self.writer is not None
        self.writer.append(entry)
        self.entries.append(entry)


def default_folder(inputs: Inputs, now: datetime) -> Path:
    """``tabletop-SCENARIO-YYYYMMDD-HHMMSS`` here: one folder per drill."""
    return Path(f"tabletop-{inputs.scenario.id}-{now:%Y%m%d-%H%M%S}")


def journal_header(tt: "Tabletop", inputs: Inputs) -> dict[str, Any]:
    """The session's header with the inputs it is played on (ids, paths, content
    hashes): ``--resume`` finds them there and refuses others."""
    return {**tt.header(), "inputs": inputs_record(inputs).model_dump(mode="json")}


def _session_header(header: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in header.items() if k != "inputs"}


def resume_inputs(journal: Journal, scenario: str | None, team: Path | None, runbooks: Path | None) -> Inputs:
    """The inputs to continue ``journal``'s drill on: those named, else the journal's
    own files; refused (ResumeError) when their content differs from what the drill
    was played on, since the replay would then tell another drill."""
    ran = journal.header.get("inputs") or {}

    def own(kind: str) -> Path | None:
        ref = ran.get(kind) or {}
        return Path(ref["path"]) if ref.get("path") else None

    if scenario is None:
        own_sc = own("scenario")
        if own_sc is None:
            raise ResumeError(f"{journal.path} does not name its scenario file; name it: "
                              f"drillbit tabletop SCENARIO --resume {journal.path.parent}")
        scenario = str(own_sc)
    if team is None:
        team = own("team")
    if runbooks is None and ran.get("runbook_dir"):
        runbooks = Path(ran["runbook_dir"])
    inputs = resolve(scenario, team, runbooks)
    used = inputs_record(inputs)
    differ = []
    for kind, b in (("scenario", used.scenario), ("team", used.team)):
        a = ran.get(kind) or {}
        if a and a.get("sha256") != b.sha256:
            differ.append(f"the {kind} {b.id} ({b.path}) is not the one the drill was played on "
                          f"({a.get('id')}, {a.get('path')}, sha256 {str(a.get('sha256'))[:12]}…)")
    if "runbooks" in ran:
        was = sorted((str(r.get("id")), str(r.get("sha256"))) for r in ran.get("runbooks") or [])
        now = sorted((r.id, str(r.sha256)) for r in used.runbooks)
        if was != now:
            names = ", ".join(sorted({i for i, _ in set(was) ^ set(now)}))
            differ.append(f"the runbooks differ from the drill's (added, removed or changed: {names})")
    if differ:
        raise ResumeError(f"cannot resume {journal.path}: " + "; ".join(differ)
                          + ". A drill continues only on the inputs it was played on: restore them, or start a new drill")
    return inputs


@click.command()
@click.argument("scenario", required=False)
@click.option("--team", type=click.Path(dir_okay=False, path_type=Path), help="Team file (default: the workspace's, else the example team).")
@click.option("--runbooks", type=click.Path(file_okay=False, path_type=Path), help="Runbook folder (default: the workspace's, else the examples).")
@click.option("--speed", type=click.Choice([str(s) for s in SPEEDS]), default="1", show_default=True,
              help="How fast the drill clock runs at first (the facilitator can change it).")
@click.option("--port", type=click.IntRange(0, 65535), default=PORT, show_default=True,
              help="Port of the web console (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on; another than loopback lets other machines join with the room code.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the journal, the timeline, the scorecards and the reports "
                   "(default: tabletop-SCENARIO-YYYYMMDD-HHMMSS here).")
@click.option("--force", is_flag=True, help="Replace the drill already in the --out folder (refused without it).")
@click.option("--db", metavar="URL", help="Incident log to record the drill in (default: $DRILLBIT_DB, the "
              "workspace's, else ~/.local/share/drillbit/incidents.db).")
@click.option("--no-log", is_flag=True, help="Do not record the drill in the incident log.")
@click.option("--seed", type=SEED, help="Seed of the model's draws and of the prediction, 0 to 2**63 - 1 "
              "(random if unset; printed either way).")
@click.option("--start", type=INSTANT, help="The wall-clock instant the drill's 0s stands for (who is on call, "
              "who is asleep), ISO 8601 with offset (default: now).")
@click.option("--resume", "resume", type=click.Path(file_okay=False, path_type=Path), metavar="FOLDER",
              help="Continue the drill in FOLDER from its journal (tabletop.jsonl), paused where it stopped.")
@click.option("--script", "script", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Take the actions of a script (tabletop-script: 1) at their drill times.")
@click.option("--headless", is_flag=True, help="With --script: no web console; play the script through on the "
              "virtual clock at once and write everything (rehearsals, tests, CI).")
@click.option("--predict-runs", type=click.IntRange(1, MAX_RUNS), default=PREDICT_RUNS, show_default=True,
              help="Simulated runs that predict the drill, shown beside the measure in the report.")
@click.option("--no-predict", is_flag=True, help="Do not simulate first; the report has no prediction.")
@click.option("--json", "as_json", is_flag=True, help="Print the scoring summary (summary.json) as JSON.")
@click.pass_context
def tabletop(ctx: click.Context, scenario: str | None, team: Path | None, runbooks: Path | None, speed: str, port: int,
             host: str, out: Path | None, force: bool, db: str | None, no_log: bool, seed: int | None,
             start: datetime | None, resume: Path | None, script: Path | None, headless: bool, predict_runs: int,
             no_predict: bool, as_json: bool) -> None:
    """Run a tabletop drill: SCENARIO with people in the room, in a web console.

    Prints two addresses: the facilitator's view (the drill clock, the injects to
    release or hold, the record, the scorecard as it stands) and the team's (what the
    room sees and the controls to record what it does). When the facilitator ends the
    drill and finishes the hot wash, writes the timeline, the scorecards, the
    after-action report and the post-mortem draft beside the simulation's prediction,
    and records the drill in the incident log. Exits 1 when an objective is missed,
    130 when interrupted (Ctrl-C; resume it with --resume FOLDER).

    \b
    Try: drillbit tabletop config-push-global-outage
    Rehearse a script at once: drillbit tabletop SCENARIO --script FILE --headless
    """
    given = {name for name in ("seed", "start", "speed", "out", "force")
             if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE}
    if no_predict and ctx.get_parameter_source("predict_runs") is ParameterSource.COMMANDLINE:
        raise click.UsageError("--predict-runs sets the runs of the prediction; drop it, or drop --no-predict")
    if resume is None and scenario is None:
        raise click.UsageError("name the scenario to play (a file, a workspace scenario or a built-in id; "
                               "`drillbit scenarios` lists the built-in ones), e.g. "
                               "drillbit tabletop config-push-global-outage")
    if resume is not None and given:
        raise click.UsageError(f"--resume continues the drill in its own folder with its own seed, start and speed; "
                               f"drop {', '.join('--' + g for g in sorted(given))}")
    if resume is not None and script is not None:
        raise click.UsageError("--script starts a new drill; --resume continues one: use one of them")
    if headless and script is None:
        raise click.UsageError("--headless plays a script through without the web console; add --script FILE")
    if force and not out:
        raise click.UsageError("--force replaces the drill in the --out folder; add --out")
    say_workspace()
    now = command_time()
    log = None
    try:
        with contextlib.ExitStack() as held:
            if resume is not None:
                held.enter_context(_resume_lock(resume))
                journal = read_journal(resume / TABLETOP_JOURNAL)
                for warning in journal.warnings:
                    output.err.print(f"warning: {warning}", markup=False)
                inputs = resume_inputs(journal, scenario, team, runbooks)
                log = None if no_log else open_log(db)
                start_at, seed_of = _journal_start(journal), _journal_seed(journal)
            else:
                inputs = resolve(scenario or "", team, runbooks)
                steps = _load_script(script) if script is not None else None
                from simulator import new_seed

                seed_of = new_seed() if seed is None else seed
                start_at = start or now
                folder = out or default_folder(inputs, now)
                held.enter_context(_removed_if_left_empty(folder, not folder.exists()))
                held.enter_context(drill_folder(folder, force=force))
                log = None if no_log else open_log(db)
            output.err.print(f"seed: {seed_of}", markup=False)
            named = scenario or _scenario_name(inputs)
            predicted = None if no_predict else _predict(inputs, named, team, runbooks,
                                                         runs=predict_runs, seed=seed_of, now=start_at,
                                                         as_json=as_json)
            if resume is not None:
                session = _resumed(journal, inputs, resume, named)
            else:
                session = _new(inputs, folder, start=start_at, seed=seed_of, speed=int(speed),
                               scenario_arg=named)
                if steps is not None:
                    session.tabletop.schedule(steps)
            drill, failure = _play(session, predicted=predicted, headless=headless, host=host, port=port, now=now,
                                   log=log)
    finally:
        if log is not None:
            log.close()
    if failure is not None:
        raise failure
    if drill is None:
        return
    show_result(drill, as_json=as_json)
    if not as_json:
        print_prediction(drill.result)
    if drill.result.objectives_missed:
        sys.exit(EXIT_MISSED)


def _scenario_name(inputs: Inputs) -> str:
    """How a command names the scenario again: its id when that is the built-in one, else its file."""
    from scenarios.loader import find_builtin

    path, builtin = inputs.scenario_path, find_builtin(inputs.scenario.id)
    if path is None or (builtin is not None and builtin.resolve() == path.resolve()):
        return inputs.scenario.id
    return str(path)


def _load_script(path: Path) -> Any:
    from scenarios.tabletop import load_script

    return load_script(path)


@contextlib.contextmanager
def _resume_lock(folder: Path) -> Any:
    if not folder.is_dir():
        raise ResumeError(f"no such folder: {folder} (name the folder of the drill to continue, "
                          "tabletop-SCENARIO-YYYYMMDD-HHMMSS)")
    with FolderLock(folder):
        yield


def _journal_start(journal: Journal) -> datetime:
    try:
        start = datetime.fromisoformat(str(journal.header.get("start")))
    except ValueError:
        raise ResumeError(f"{journal.path}:1: the header's 'start' is not an ISO 8601 time") from None
    if start.tzinfo is None:
        raise ResumeError(f"{journal.path}:1: the header's 'start' has no offset")
    return start


def _journal_seed(journal: Journal) -> int:
    seed = journal.header.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ResumeError(f"{journal.path}:1: the header's 'seed' is not a whole number")
    return seed


def _new(inputs: Inputs, folder: Path, *, start: datetime, seed: int, speed: int, scenario_arg: str) -> Session:
    from simulator.tabletop import Tabletop

    tt = Tabletop(inputs.scenario, inputs.team, inputs.runbooks, start=start, seed=seed, speed=speed)
    session = Session(tt, inputs, folder, start, seed, scenario_arg)
    session.writer = JournalWriter(folder / TABLETOP_JOURNAL, header=journal_header(tt, inputs))
    tt.subscribe(on_entry=session.on_entry)
    # While it runs, drill.json says so: a reader of the growing timeline knows it is partial.
    write_manifest(folder, single_manifest(inputs, folder / GAMEDAY_TIMELINE, state="running", written=0))
    return session


def _resumed(journal: Journal, inputs: Inputs, folder: Path, scenario_arg: str) -> Session:
    from simulator.tabletop import Tabletop

    tt = Tabletop.resume(_session_header(journal.header), journal.entries, inputs.scenario, inputs.team,
                         inputs.runbooks)
    session = Session(tt, inputs, folder, _journal_start(journal), _journal_seed(journal), scenario_arg,
                      entries=list(journal.entries), resumed=True, recorded=tt.phase == "finished" and _was_complete(folder))
    session.writer = JournalWriter(journal.path, whole_bytes=journal.whole_bytes)
    tt.subscribe(on_entry=session.on_entry)
    output.err.print(f"resumed {journal.path}: {len(journal.entries)} entries replayed; the drill is {tt.phase} "
                     f"at +{_clock(tt.now)}" + ("; press Resume in the facilitator view to run the clock again"
                                                if tt.phase == "paused" else ""), markup=False)
    return session


def _was_complete(folder: Path) -> bool:
    """Whether the drill in ``folder`` was written as complete (so it is in the log already)."""
    import json

    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("state") == "complete"
    except (OSError, ValueError, AttributeError):
        return False


def _clock(t: float) -> str:
    from scenarios import format_duration

    return format_duration(t)


def _serve(session: Session, *, host: str, port: int) -> None:
    """The web console until the facilitator finishes the hot wash (or a signal)."""
    from .tabletop_web import TabletopServer, is_loopback, standing_of

    tt = session.tabletop
    server = TabletopServer(tt, host=host, port=port, standing=standing_of(tt, session.inputs))
    try:
        facilitator_url, team_url = server.start()
    except DrillbitError:
        _unstarted(session)
        raise
    try:
        output.err.print(f"facilitator: {facilitator_url}  (the link carries the facilitator's code: keep it to "
                         "yourself, it runs the clock)", markup=False)
        output.err.print(f"team:        {team_url}", markup=False)
        if not is_loopback(host):
            output.err.print(f"room code:   {server.room_code} (the team link carries it; a request without it is "
                             "refused)", markup=False)
        output.err.print(f"the drill is kept in {session.folder}. It ends when the facilitator presses End, then "
                         f"Finish after the hot wash. Ctrl-C stops it here (written as interrupted); "
                         f"`drillbit tabletop --resume {session.folder}` continues it", markup=False)
        seen, shown, refused = -1, len(session.entries), 0
        while not server.finished.wait(TIMELINE_EVERY):
            if tt.version != seen:
                seen = tt.version
                _write_timeline(session)
            shown = _say_entries(session, shown)
            refused = _say_refused(tt, refused)
    finally:
        _held(server.stop)


def _play_through(session: Session) -> None:
    """The script on the virtual clock; an action the drill refuses stops it, saying where the drill is kept."""
    from simulator.tabletop import TabletopError

    try:
        session.tabletop.play_through()
    except TabletopError as exc:
        raise ScriptRefused(f"the script stopped: {exc}. The drill so far is in "
                            f"{session.folder} (its journal, tabletop.jsonl); fix the script and run it again with "
                            f"--out {session.folder} --force") from None


def _unstarted(session: Session) -> None:
    """A new drill whose console could not start (the port is taken) leaves no files:
    the same command works again once the port is free."""
    if session.entries or session.writer is None or session.resumed:
        return
    session.writer.close()
    for name in (TABLETOP_JOURNAL, MANIFEST):
        with contextlib.suppress(OSError):
            (session.folder / name).unlink()
    with contextlib.suppress(OSError):
        session.folder.rmdir()  # only if empty


def _say_entries(session: Session, shown: int) -> int:
    """One stderr line per action accepted since the last call: the facilitator's
    terminal keeps the drill's record too. Returns how many are shown."""
    entries = session.entries[shown:]
    for entry in entries:
        action = entry.get("action")
        if isinstance(action, dict):
            who = f" by {action['by']}" if action.get("by") else ""
            detail = {k: v for k, v in action.items() if k not in ("action", "by")}
            rest = " ".join(f"{k}={v}" for k, v in detail.items() if v is not None)
            output.err.print(f"+{_clock(float(entry['t']))} {action.get('action')}{who}{' ' + rest if rest else ''}",
                             markup=False)
    return shown + len(entries)


def _say_refused(tt: "Tabletop", said: int) -> int:
    """A scripted action the drill refused while served (people may have done it
    first) does not stop the drill: the facilitator's terminal says so. Returns how
    many are said."""
    refused = list(getattr(tt, "refused", ()))
    for t, action, why in refused[said:]:
        output.err.print(f"+{_clock(t)} script action {action.action} refused: {why}", markup=False)
    return len(refused)


def _write_timeline(session: Session) -> None:
    """timeline.jsonl as the drill stands: a browser that reloads, or a reader, sees it grow."""
    write_bytes(session.folder / GAMEDAY_TIMELINE,
                (session.tabletop.timeline().to_json_line() + "\n").encode("utf-8"), "timeline")


def _play(session: Session, *, predicted: Drill | None, headless: bool, host: str, port: int, now: datetime,
          log: Any) -> tuple[Drill | None, BaseException | None]:
    """The drill from its console's start to its recorded result. Returns the drill (None
    when it never started) and what cut it short (the caller raises it once the
    result is safe)."""
    tt = session.tabletop
    failure: BaseException | None = None
    try:
        if tt.phase != "finished":
            if headless:
                _play_through(session)
            else:
                _serve(session, host=host, port=port)
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM: what was recorded is kept, and can be resumed
        failure = exc
    with interrupts.held():
        if session.writer is not None:
            session.writer.close()
        timeline = tt.timeline()
        if timeline.first("drill_started") is None:
            output.err.print(f"the drill's clock never started: nothing to score. `drillbit tabletop --resume "
                             f"{session.folder}` continues it", markup=False)
            return None, failure
        phase = tt.phase
        notes = []
        state: Literal["complete", "interrupted", "failed"] = "complete"
        if failure is not None:
            state = "interrupted"
            notes.append(ENDINGS["interrupted"].format(folder=session.folder))
        elif phase not in ("hotwash", "finished"):
            state = "interrupted"
            notes.append(ENDINGS["unfinished"])
        folder = session.folder
        script = script_text(session.entries, scenario=session.scenario_arg, team=session.inputs.team.team)
        written = write_tabletop(folder, session.inputs, timeline, script, state=state)
        drill = score_tabletop(timeline, session.inputs, now=now, predicted=predicted, state=state, notes=notes,
                               hotwash=tt.hotwash(), timeline_file=written[0])
        summary = write_bytes(folder / SUMMARY, drill.result.to_json().encode("utf-8"), "summary")
        reports = write_reports(drill, folder, now=now, formats=TABLETOP_REPORTS)
        for path in (folder / TABLETOP_JOURNAL, *written, summary, *reports):
            output.err.print(f"wrote {path}", markup=False)
        if log is not None and session.recorded:
            output.err.print("already recorded in the incident log when it finished", markup=False)
        elif log is not None:
            if state == "complete":
                record_in_log(drill, log, report_path=reports[0])
            else:
                output.err.print("not recorded in the incident log yet: it is recorded when the drill is finished "
                                 f"(`drillbit tabletop --resume {folder}`)", markup=False)
    return drill, failure
