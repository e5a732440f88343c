"""Running what the schedule says is due: claim each due instant in the incident log,
then run it (a simulation, a live game day, a tabletop's facilitator pack) or record
why it was skipped, and keep how it ended beside the claim."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from scenarios import DrillbitError

from . import interrupts
from .schedule import Due, Planned, due_now, entries, plan_at, read_facts, seed_for, team_of, who_claims
from .workspace import Located

if TYPE_CHECKING:
    from incidents import IncidentLog

@dataclass(frozen=True)
class Ran:
    """What ``run-due`` did with one due instant."""

    entry: str
    due: datetime
    mode: str
    scenario: str
    state: str  # done | failed | skipped | interrupted | taken (another process claimed it)
    reason: str
    outcome: str
    drill_run_id: int | None = None
    missed_objectives: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"entry": self.entry, "due": self.due.isoformat(), "mode": self.mode, "scenario": self.scenario,
                "state": self.state, "reason": self.reason, "outcome": self.outcome, "drill_run_id": self.drill_run_id,
                "missed_objectives": self.missed_objectives}


def run_due(ws: Located, store: "IncidentLog", now: datetime, *, only: str | None = None,
            said: Callable[[Ran], None] = lambda ran: None) -> list[Ran]:
    """Run every instant due since each entry was last looked at, up to ``now``, once
    across every process sharing the log; ``said`` hears of each as it ends. Raises
    what the log raises (StoreError); a SIGINT/SIGTERM during a drill (an
    :class:`interrupts.Interrupted`) marks its claim ``interrupted``, tells ``said``
    and is raised on."""
    from incidents.schedule import advance, checked_until

    done: list[Ran] = []
    chosen = [e for e in entries(ws) if only is None or e.id == only]
    if only is not None and not chosen:
        from .schedule import ScheduleError

        raise ScheduleError(f"no schedule entry '{only}' (entries: {', '.join(e.id for e in entries(ws))})")
    for entry in chosen:
        team, team_path = team_of(ws, entry)
        facts = read_facts(store, team.team, entry.choices)
        for due in due_now(entry, checked_until(store, entry.id), now):
            plan = plan_at(entry, team, due.due, store, facts)
            ran = _handle(ws, store, plan, due, team_path, now, said)
            if ran.state == "done":
                facts.planned[ran.scenario] = now
            done.append(ran)
            said(ran)
        advance(store, entry.id, now)
    return done


def _handle(ws: Located, store: "IncidentLog", plan: Planned, due: Due, team_path: Path, now: datetime,
            said: Callable[[Ran], None]) -> Ran:
    from incidents.schedule import claim, finish

    skip = due.missed or plan.skip
    entry, scenario = plan.entry, plan.choice.scenario
    reason = plan.reason if due.missed is None else f"{plan.reason}; skipped: {due.missed}"

    def ran(state: str, outcome: str, run_id: int | None = None, missed: bool = False) -> Ran:
        return Ran(entry.id, plan.due, entry.mode, scenario, state, reason, outcome, run_id, missed)

    claimed = None
    try:
        # Held: a signal between the claim's commit and here would leave it 'running' for good.
        with interrupts.held():
            claimed = claim(store, entry.id, plan.due, mode=entry.mode, scenario=scenario, rule=plan.choice.rule,
                            reason=reason, claimed_by=who_claims(), state="skipped" if skip else "running",
                            outcome=skip, now=now)
        if claimed is None:
            return ran("taken", "another run-due claimed it first")
        if skip:
            return ran("skipped", skip)
        state, outcome, run_id, missed = _run(ws, store, plan, team_path, now, reason)
    except KeyboardInterrupt:
        if claimed is not None and not skip:
            cut = "stopped by a signal before it finished"
            with interrupts.held():
                finish(store, claimed, state="interrupted", outcome=cut)
                said(ran("interrupted", cut))
        raise
    except DrillbitError as exc:
        if claimed is None:  # the log itself failed: run_due raises it
            raise
        state, outcome, run_id, missed = "failed", " ".join(exc.lines()), None, False
    except Exception:
        # A claim left running would say a process died; this one is alive to say why.
        if claimed is not None:
            finish(store, claimed, state="failed", outcome="internal error (see the error log)")
        raise
    with interrupts.held():  # the drill ran: its claim says so even when a signal comes now
        finish(store, claimed, state=state, outcome=outcome, drill_run_id=run_id)
    return ran(state, outcome, run_id, missed)


def _run(ws: Located, store: "IncidentLog", plan: Planned, team_path: Path, now: datetime,
         reason: str) -> tuple[str, str, int | None, bool]:
    """(state, outcome, drill run id, whether an objective was missed)."""
    entry = plan.entry
    if entry.mode == "tabletop":
        from .schedule_pack import write_pack

        paths = write_pack(ws, plan, team_path)
        return "done", f"wrote the facilitator's pack {paths[0]} and {paths[1]}", None, False
    if entry.mode == "gameday":
        return _gameday(store, plan, team_path, reason)
    from simulator import horizon_for

    from .app import record_drill, run_drill
    from .provenance import reproduce_command
    from .resolve import resolve

    inputs = resolve(plan.choice.scenario, team_path)
    seed = seed_for(entry, plan.due)
    command = reproduce_command(plan.choice.scenario, seed=seed, start=plan.due, runs=entry.runs, window=entry.window,
                                horizon=None, team=team_path, runbooks=None)
    drill = run_drill(inputs, runs=entry.runs, seed=seed, start=plan.due, horizon=horizon_for(inputs.scenario, inputs.runbooks),
                      command=command, now=now, window=entry.window)
    run_id = record_drill(drill, store, recorded_at=now, schedule_reason=reason)
    r = drill.result
    missed = r.objectives_missed
    return ("done", f"simulated {r.runs:,} run{'s' if r.runs != 1 else ''}: {missed} objective"
            f"{'' if missed == 1 else 's'} missed; drill run {run_id}", run_id, bool(missed))


def _gameday(store: "IncidentLog", plan: Planned, team_path: Path, reason: str) -> tuple[str, str, int | None, bool]:
    """A live game day, run as ``drillbit gameday --json`` in a child process (it owns
    the containers, the webhook and the console), then its drill run given the reason.
    Its run is the one whose summary it printed; without one it failed, whatever it exited."""
    from incidents.schedule import give_reason, run_with_summary

    # -P: run in the workspace, `-m` would put it first on sys.path, and its scenarios/
    # folder (or any module there) would shadow drillbit's own packages.
    words = [sys.executable, "-P", "-m", "drillbit", "gameday", plan.choice.scenario, "--team", str(team_path),
             "--no-console", "--json"]
    # The child stamps its run with the host's clock (not a pretended --now); a second's
    # slack for a clock that ticks between here and there.
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    # The log's URL goes by the environment: a password in argv is visible to everyone on the host.
    child = subprocess.Popen(words, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "DRILLBIT_DB": store.url})
    try:
        out, err = child.communicate()
    except KeyboardInterrupt:
        # The game day restores its faults on SIGTERM: let it finish that, even when
        # a second signal comes, then say it stopped.
        with interrupts.held():
            child.terminate()
            child.communicate()
        raise
    summary = _summary(out)
    run_id = None if summary is None else run_with_summary(store, scenario=plan.choice.scenario, mode="live",
                                                            since=started, summary=summary)
    last = next((line for line in reversed(err.strip().splitlines()) if line.strip()), "no message")
    if run_id is None:
        return "failed", f"drillbit gameday exited {child.returncode} without recording a drill run: {last}", None, False
    give_reason(store, run_id, reason)
    if child.returncode in (0, 1):  # 1: an objective missed, or the game day was aborted
        return "done", f"game day ended (exit {child.returncode}); drill run {run_id}", run_id, child.returncode == 1
    return "failed", f"drillbit gameday exited {child.returncode}: {last}", run_id, False


def _summary(out: str) -> dict[str, Any] | None:
    """The summary document ``drillbit gameday --json`` printed, or None."""
    try:
        doc = json.loads(out)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
