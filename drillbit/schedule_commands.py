"""``drillbit schedule``: the game-day schedule of ``drillbit.yaml`` — list it, show
what runs next and why, run what is due (once, across every process sharing the
incident log), or stay in the foreground and run each drill when it is due."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Callable

import click

from scenarios.errors import EXIT_INPUT, EXIT_MISSED
from scenarios.untrusted import redact

from . import output
from .params import INSTANT

if TYPE_CHECKING:
    from .log_commands import LogContext
    from .schedule_run import Ran
    from .workspace import Located

#: The environment variable that sets the schedule's clock, as ``--now`` does.
ENV_NOW = "DRILLBIT_NOW"
#: The longest a sleeping ``serve`` goes without looking at the clock again, seconds.
MAX_NAP = 30.0

DB = click.option("--db", metavar="URL", help="The incident log (default: $DRILLBIT_DB, the workspace's "
                  "incident_log, else ~/.local/share/drillbit/incidents.db).")
NOW = click.option("--now", type=INSTANT, envvar=ENV_NOW, help="Pretend it is this instant (ISO 8601 with offset; "
                   f"also ${ENV_NOW}): for rehearsals and tests. The clock runs on from there.")
JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.group()
def schedule() -> None:
    """Scheduled drills from drillbit.yaml's 'schedule': list, next, run-due, serve, history."""


def _workspace() -> "Located":
    from .schedule import ScheduleError, check_targets, entries
    from .workspace import find_workspace

    ws = find_workspace()
    if ws is None:
        raise ScheduleError("no drillbit.yaml here or in a folder above; the schedule lives in a workspace "
                            "(`drillbit init` creates one)")
    entries(ws)  # none: say so before the incident log is opened (or created)
    check_targets(ws)
    return ws


def _log(db: str | None) -> "LogContext":
    from .drills import open_log

    return open_log(db)


@schedule.command(name="list")
@DB
@NOW
@JSON
def list_entries(db: str | None, now: datetime | None, as_json: bool) -> None:
    """Each entry: when it is due, what it drills, the next due time and what happened last."""
    from incidents.schedule import list_claims

    from .schedule import LOOKAHEAD, entries, schedule_clock
    from scenarios.schedule import due_instants

    ws = _workspace()
    at = schedule_clock(now)()
    log = _log(db)
    try:
        rows = []
        for e in entries(ws):
            last = next(iter(list_claims(log.store(), entry=e.id, limit=1)), None)
            nxt = next(due_instants(e.cron, e.timezone, at, at + LOOKAHEAD), None)
            rows.append({"entry": e.id, "mode": e.mode, "cron": e.cron, "timezone": e.timezone,
                         "scenario": e.scenario, "pool": e.pool, "rule": e.rule if e.pool else None,
                         "catch_up": e.catch_up, "next_due": nxt.isoformat() if nxt else None,
                         "last": last.to_json() if last else None})
    finally:
        log.close()
    if as_json:
        output.emit_json({"version": 1, "now": at.isoformat(), "entries": rows})
        return
    output.table(None, ["entry", "mode", "when", "drills", "next due", "last"],
                 ([r["entry"], r["mode"], f"{r['cron']} ({r['timezone']})",
                   r["scenario"] or f"pool of {len(r['pool'])} by {r['rule']}", r["next_due"] or "-",
                   f"{r['last']['state']} at {r['last']['due']}" if r["last"] else "never"] for r in rows))


@schedule.command(name="next")
@click.option("--count", type=click.IntRange(1, 1000), default=5, show_default=True, help="How many due times to show.")
@DB
@NOW
@JSON
def next_due(count: int, db: str | None, now: datetime | None, as_json: bool) -> None:
    """The next COUNT due times of all entries: what each would drill and why that
    scenario, or why it would be skipped (as the incident log stands now)."""
    from .schedule import schedule_clock, upcoming

    ws = _workspace()
    at = schedule_clock(now)()
    log = _log(db)
    try:
        plans = upcoming(ws, log.store(), at, count)
    finally:
        log.close()
    if as_json:
        output.emit_json({"version": 1, "now": at.isoformat(), "next": [p.to_json() for p in plans]})
        return
    for p in plans:
        local = p.due.astimezone(p.due.tzinfo)
        output.out.print(f"{local:%a %Y-%m-%d %H:%M %Z}  {p.entry.id} ({p.entry.mode}): {p.choice.scenario}"
                         + (f"  SKIP: {p.skip}" if p.skip else ""), markup=False)
        output.out.print(f"    why: {p.choice.rule + ': ' if p.choice.rule else ''}{p.choice.why}", markup=False)


@schedule.command()
@click.option("--entry", "only", metavar="ID", help="Only this entry.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="How many, the latest first.")
@DB
@JSON
def history(only: str | None, limit: int, db: str | None, as_json: bool) -> None:
    """Due times the incident log has claimed, the latest first: what ran or was
    skipped, and why."""
    from incidents.schedule import list_claims

    _workspace()
    log = _log(db)
    try:
        claims = list_claims(log.store(), entry=only, limit=limit)
    finally:
        log.close()
    if as_json:
        output.emit_json({"version": 1, "claims": [c.to_json() for c in claims]})
        return
    for c in claims:
        output.out.print(f"{c.due.isoformat()} {c.entry} ({c.mode}) {c.scenario or '-'}: {c.state}"
                         + (f" — {c.outcome}" if c.outcome else ""), markup=False)
        output.out.print(f"    why: {c.reason}", markup=False)


def _say(as_json: bool) -> Callable[["Ran"], None]:
    def said(ran: "Ran") -> None:
        if as_json:
            return
        head = f"{ran.due.isoformat()} {ran.entry} ({ran.mode}) {ran.scenario}: {ran.state}"
        output.out.print(f"{head} — {ran.outcome}", markup=False)

    return said


def _exit_code(ran: list["Ran"]) -> int:
    if any(r.state == "failed" for r in ran):
        return EXIT_INPUT
    return EXIT_MISSED if any(r.missed_objectives for r in ran) else 0


@schedule.command(name="run-due")
@click.option("--entry", "only", metavar="ID", help="Only this entry.")
@DB
@NOW
@JSON
def run_due_command(only: str | None, db: str | None, now: datetime | None, as_json: bool) -> None:
    """Run every drill due since the last run-due, once even when several run at once
    (each due time is claimed in the incident log first); missed times follow each
    entry's catch_up. Exits 1 when a drill missed an objective, 2 when one failed."""
    from .schedule import schedule_clock
    from .schedule_run import run_due

    ws = _workspace()
    at = schedule_clock(now)()
    log = _log(db)
    try:
        ran = run_due(ws, log.store(), at, only=only, said=_say(as_json))
    finally:
        log.close()
    if as_json:
        output.emit_json({"version": 1, "now": at.isoformat(), "ran": [r.to_json() for r in ran]})
    elif not ran:
        output.err.print(f"nothing due at {at.isoformat()}", markup=False)
    sys.exit(_exit_code(ran))


@schedule.command()
@DB
@NOW
@JSON
def serve(db: str | None, now: datetime | None, as_json: bool) -> None:
    """Stay in the foreground: run what is due, sleep until the next due time, repeat
    (--json: one JSON line a due time). SIGTERM or Ctrl-C stops it (exit 143 or 130); a drill it cut short is marked
    interrupted in the incident log and named on stderr."""
    from .schedule import schedule_clock, next_due as earliest
    from .schedule_run import run_due

    ws = _workspace()
    clock = schedule_clock(now)
    log = _log(db)
    store = log.store()
    said = _say(as_json)

    cut: list["Ran"] = []

    def each(ran: "Ran") -> None:
        said(ran)
        if ran.state == "interrupted":
            cut.append(ran)
        if as_json:  # one line a drill: a daemon's output is read as it comes
            sys.stdout.write(redact(json.dumps(ran.to_json())) + "\n")
            sys.stdout.flush()

    try:
        output.err.print(f"serving the schedule of {ws.root / 'drillbit.yaml'} ({len(ws.settings.schedule)} entries); "
                         "SIGTERM or Ctrl-C stops", markup=False)
        while True:
            looked = clock()
            try:
                run_due(ws, store, looked, said=each)
            except KeyboardInterrupt:
                for ran in cut:
                    output.err.print(f"stopping: {ran.entry} ({ran.scenario}, due {ran.due.isoformat()}) was cut "
                                     "short and is marked interrupted in the incident log", markup=False)
                raise
            # From when run_due looked, not from now: a time that fell due while a drill
            # ran is run at once rather than missed until the next wake.
            wake = earliest(ws, looked)
            if wake is None:
                output.err.print("no entry is due again; stopping", markup=False)
                return
            if wake > clock():
                output.err.print(f"next due {wake.isoformat()}; sleeping", markup=False)
            while (left := (wake - clock()).total_seconds()) > 0:
                time.sleep(min(left, MAX_NAP))
    finally:
        log.close()
