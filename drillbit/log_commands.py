"""``drillbit log``: the incident log — real incidents and drills side by side, MTTx
trends that admit noise, patterns, action items and drill calibration."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, TextIO

import click

import incidents
from incidents import Filter
from scenarios.errors import EXIT_INPUT

from . import interrupts, output
from .files import write_streamed
from .params import INSTANT
from .workspace import find_workspace

ADD_TYPES = ("incident", "deploy", "action")
LIST_TYPES = ("incidents", "deploys", "actions", "runs", "findings")
ACTION_COLUMNS = ["id", "due", "owner", "status", "seen", "title", "from"]
#: Record ids are PostgreSQL INTEGERs on both backends; a larger number names nothing.
ID = click.IntRange(1, incidents.MAX_ID)
LIMIT = click.IntRange(1, incidents.MAX_ID)


def show_duration(seconds: float | None) -> str:
    from incidents.frames import human

    return human(seconds)


def say(text: str) -> None:
    output.out.print(text, markup=False)


def _note(text: str) -> None:
    output.err.print(text, markup=False)


class LogContext:
    """Opens the log once, on first use, and says so when it had to create or upgrade it."""

    def __init__(self, db: str | None):
        self.db = db
        self._store: incidents.IncidentLog | None = None

    def url(self) -> str:
        if self.db:
            return incidents.resolve_url(self.db)
        ws = find_workspace()
        if ws is not None:
            # A drillbit.yaml in a parent folder may choose the log: never silently.
            output.err.print(f"workspace: {ws.root}", markup=False)
            return incidents.resolve_url(None, workspace_root=ws.root, workspace_url=ws.settings.incident_log)
        return incidents.resolve_url(None)

    def store(self, *, auto_migrate: bool = True) -> incidents.IncidentLog:
        if self._store is None:
            self._store, message = incidents.open_store(self.url(), auto_migrate=auto_migrate)
            if message:
                _note(message)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            # Bounded, and a signal in the middle would make the driver log a traceback.
            with interrupts.held():
                self._store.close()


pass_log = click.make_pass_decorator(LogContext)


@click.group(name="log")
@click.option("--db", metavar="URL", help="The incident log: a SQLite file or URL, or postgresql://user@host/db "
              "(default: $DRILLBIT_DB, the workspace's incident_log, else ~/.local/share/drillbit/incidents.db).")
@click.pass_context
def log(ctx: click.Context, db: str | None) -> None:
    """The incident log: real incidents and drills, MTTx trends, patterns, action items."""
    ctx.obj = LogContext(db)
    ctx.call_on_close(ctx.obj.close)


# -- shared options -------------------------------------------------------------------

def filter_options(f):  # noqa: ANN001, ANN202
    for opt in reversed([
        click.option("--service", help="Only this service."),
        click.option("--severity", help="Only this severity."),
        click.option("--since", type=INSTANT, help="Incidents that started at or after this time."),
        click.option("--until", type=INSTANT, help="Incidents that started before this time."),
        click.option("--tag", help="Only incidents with this tag."),
        click.option("--root-cause", help="Only this root-cause category."),
    ]):
        f = opt(f)
    return f


def make_filter(kind: str | None, **kw: Any) -> Filter:
    return Filter(kind=kind, service=kw.get("service"), severity=kw.get("severity"), since=kw.get("since"),
                  until=kw.get("until"), tag=kw.get("tag"), root_cause=kw.get("root_cause"))


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


def _time_opts(f):  # noqa: ANN001, ANN202
    for name in ("resolved", "mitigated", "acknowledged", "paged", "detected"):
        f = click.option(f"--{name}", type=INSTANT, help=f"When it was {name} (ISO 8601 with offset)"
                         + ("; TTA counts from the first paging attempt." if name == "paged" else "."))(f)
    return f


# -- add ------------------------------------------------------------------------------

@log.command()
@click.argument("what", type=click.Choice(ADD_TYPES), default="incident")
@click.option("--title", help="Incident or action item title.")
@click.option("--kind", type=click.Choice(incidents.records.KINDS), default="real", show_default=True)
@click.option("--service", help="Service affected (or deployed).")
@click.option("--severity", help="Severity (P1, SEV-2, …).")
@click.option("--started", type=INSTANT, help="When impact started (ISO 8601 with offset).")
@_time_opts
@click.option("--root-cause", help="Root-cause category, e.g. config-change.")
@click.option("--summary", help="What happened, in a sentence or two.")
@click.option("--deploy-related/--not-deploy-related", default=None, help="Whether a deploy caused it.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--drill-run", type=ID, help="Id of the drill run this incident was.")
@click.option("--at", type=INSTANT, help="deploy: when it was deployed.")
@click.option("--version", "version_", help="deploy: the version deployed.")
@click.option("--owner", help="action: who owns it.")
@click.option("--due", type=click.DateTime(["%Y-%m-%d"]), help="action: due date (YYYY-MM-DD).")
@click.option("--incident", type=ID, help="action: the incident it follows from.")
@json_option
@pass_log
def add(lc: LogContext, what: str, title: str | None, kind: str, service: str | None, severity: str | None,
        started: datetime | None, detected, paged, acknowledged, mitigated, resolved, root_cause: str | None,  # noqa: ANN001
        summary: str | None, deploy_related: bool | None, tags: tuple[str, ...], drill_run: int | None,
        at: datetime | None, version_: str | None, owner: str | None, due: datetime | None, incident: int | None,
        as_json: bool) -> None:
    """Add an incident (default), a deploy or an action item.

    \b
    drillbit log add --title "Checkout 500s" --service checkout --severity P1 \\
        --started 2026-11-02T03:00:00+01:00 --resolved 2026-11-02T04:10:00+01:00
    drillbit log add deploy --service checkout --at 2026-11-02T02:40:00+01:00 --version v142
    drillbit log add action --title "Alert on 5xx rate" --owner alice --due 2026-12-01 --incident 7
    """
    store = lc.store()
    if what == "incident":
        _need(title=title, started=started)
        inc = incidents.Incident(
            title=title, started=started, kind=kind, service=service, severity=severity, detected=detected,
            paged=paged, acknowledged=acknowledged, mitigated=mitigated, resolved=resolved, root_cause=root_cause, summary=summary,
            deploy_related=deploy_related, tags=incidents.records.clean_tags(list(tags)), drill_run_id=drill_run)
        new_id = incidents.add_incident(store, inc)
        doc = incidents.get_incident(store, new_id).to_json()
    elif what == "deploy":
        _need(service=service, at=at)
        new_id = incidents.add_deploy(store, incidents.Deploy(service=service, at=at, version=version_))
        doc = {"id": new_id, "service": service, "at": at.isoformat(), "version": version_}
    else:
        _need(title=title, owner=owner)
        new_id = incidents.add_action(store, incidents.ActionItem(title=title, owner=owner, due=due.date() if due else None,
                                                                  severity=severity, incident_id=incident))
        doc = {"id": new_id, "title": title, "owner": owner, "due": due.date().isoformat() if due else None,
               "incident_id": incident, "status": "open"}
    if as_json:
        output.emit_json({"version": 1, "added": what, **doc})
    else:
        say(f"added {what} {new_id}")


def _need(**values: Any) -> None:
    missing = [k for k, v in values.items() if v is None]
    if missing:
        raise click.UsageError(f"missing --{missing[0].replace('_', '-')}")


# -- list, show, edit -----------------------------------------------------------------

@log.command(name="list")
@click.argument("what", type=click.Choice(LIST_TYPES), default="incidents")
@click.option("--kind", type=click.Choice(("real", "drill", "all")), default="all", show_default=True,
              help="incidents: real ones, drills or both.")
@filter_options
@click.option("--owner", help="actions: only this owner.")
@click.option("--status", type=click.Choice(("open", "done", "dropped", "any")), default="any", show_default=True,
              help="actions: only this status.")
@click.option("--run", "run_id", type=ID, help="findings: only those of this drill run.")
@click.option("--limit", type=LIMIT, default=50, show_default=True)
@json_option
@pass_log
def list_(lc: LogContext, what: str, kind: str, owner: str | None, status: str, run_id: int | None, limit: int,
          as_json: bool, **flt: Any) -> None:
    """List incidents (newest first), deploys, action items, drill runs or findings."""
    store = lc.store()
    today = date.today()
    if what == "incidents":
        items = incidents.list_incidents(store, make_filter(None if kind == "all" else kind, **flt), limit=limit)
        docs = [i.to_json() for i in items]
        rows = [(f"{i.id} !" if i.problems else i.id, i.kind, _minutes(i.started), i.severity, i.service, i.title,
                 show_duration(i.metrics()["ttr"]), i.root_cause) for i in items]
        cols = ["id", "kind", "started", "severity", "service", "title", "TTR", "root cause"]
    elif what == "deploys":
        items = incidents.list_deploys(store, service=flt.get("service"), since=flt.get("since"),
                                       until=flt.get("until"), limit=limit)
        docs = [d.to_json() for d in items]
        rows = [(f"{d.id} !" if d.problems else d.id, _minutes(d.at), d.service, d.version) for d in items]
        cols = ["id", "at", "service", "version"]
    elif what == "actions":
        items = incidents.list_actions(store, owner=owner, status=None if status == "any" else status, today=today)[:limit]
        docs = [a.to_json(today) for a in items]
        rows = _action_rows(items, today)
        cols = ACTION_COLUMNS
    elif what == "runs":
        items = incidents.list_runs(store, limit=limit)
        docs = [r.to_json() for r in items]
        rows = [(r.id, _minutes(r.recorded), r.scenario, r.mode, r.runs, r.verdict, r.team)
                for r in items]
        cols = ["id", "recorded", "scenario", "mode", "runs", "verdict", "team"]
    else:
        items = incidents.list_findings(store, run_id=run_id, limit=limit)
        docs = [f.to_json() for f in items]
        rows = [(f.id, f.drill_run_id, f.severity, f.rule, f.title, f.owner) for f in items]
        cols = ["id", "run", "severity", "rule", "title", "owner"]
    if as_json:
        output.emit_json({"version": 1, what: docs})
    else:
        output.table(f"{what} ({len(rows)} shown)", cols, rows)
        if what in ("incidents", "deploys"):
            _flag(what[:-1], items)


def _minutes(t: datetime | None) -> str:
    return "unreadable" if t is None else t.isoformat(timespec="minutes")


def _flag(one: str, items: list[Any]) -> None:
    """Name each stored record (marked ! in a table) that breaks the log's rules, and how
    to mend it: reading goes on, so one bad row never hides the rest of the log."""
    for item in items:
        if item.problems:
            fix = f"drillbit log edit {item.id} …, or " if one == "incident" else ""
            what = "" if one == "incident" else f" --what {one}s"
            _note(f"{one} {item.id} !: " + "; ".join(item.problems)
                  + f" (mend it with {fix}drillbit log delete {item.id}{what})")


def _action_rows(items: list[incidents.ActionItem], today: date) -> list[tuple]:
    def source(a: incidents.ActionItem) -> str:
        if a.incident_id:
            return f"incident {a.incident_id}"
        if a.drill_run_id:
            return f"drill run {a.drill_run_id}"
        return ""
    def seen(a: incidents.ActionItem) -> str:
        if a.times_seen <= 1 or a.last_seen is None:
            return str(a.times_seen)
        return f"{a.times_seen}, last {a.last_seen.date().isoformat()}"
    return [(a.id, (a.due.isoformat() if a.due else "—") + (" OVERDUE" if a.overdue(today) else ""), a.owner, a.state,
             seen(a), a.title, source(a)) for a in items]


@log.command()
@click.argument("record_id", type=ID)
@click.option("--run", "is_run", is_flag=True, help="RECORD_ID is a drill run, not an incident.")
@json_option
@pass_log
def show(lc: LogContext, record_id: int, is_run: bool, as_json: bool) -> None:
    """Show one incident (or, with --run, one drill run with its findings and action items)."""
    store = lc.store()
    if is_run:
        run, found, actions = incidents.get_run(store, record_id)
        linked = incidents.incidents_of_run(store, record_id)
        doc = {"version": 1, "run": run.to_json(), "findings": [f.to_json() for f in found],
               "action_items": [a.to_json(date.today()) for a in actions], "incidents": [i.id for i in linked]}
        if as_json:
            output.emit_json(doc)
            return
        say(f"drill run {run.id}: {run.scenario} ({run.mode}, {run.runs} run{'s' if run.runs != 1 else ''}, "
             f"seed {run.seed}, team {run.team}) recorded {_minutes(run.recorded)}; verdict {run.verdict}")
        if run.report_path:
            say(f"report: {run.report_path}")
        if run.schedule_reason:
            say(f"scheduled: {run.schedule_reason}")
        output.table("metrics", ["metric", "median", "p90", "p99", "reached", "missed"],
                     [(m, show_duration(v["median"]), show_duration(v["p90"]), show_duration(v["p99"]), v["reached"], v["missed"]) for m, v in run.metrics.items()])
        output.table("findings", ["id", "severity", "rule", "title"], [(f.id, f.severity, f.rule, f.title) for f in found])
        output.table("action items", ACTION_COLUMNS, _action_rows(actions, date.today()))
        return
    inc = incidents.get_incident(store, record_id)
    actions = [a for a in incidents.list_actions(store, status=None) if a.incident_id == record_id]
    doc = {"version": 1, "incident": inc.to_json(), "action_items": [a.to_json(date.today()) for a in actions]}
    if as_json:
        output.emit_json(doc)
        return
    m = inc.metrics()
    lines = [
        ("id", inc.id), ("kind", inc.kind), ("title", inc.title), ("service", inc.service), ("severity", inc.severity),
        *((name, (getattr(inc, name).isoformat() if getattr(inc, name) else "—"))
          for name in ("started", "detected", "paged", "acknowledged", "mitigated", "resolved")),
        ("TTD / TTA / TTM / TTR", " / ".join(show_duration(m[k]) for k in ("ttd", "tta", "ttm", "ttr"))),
        ("root cause", inc.root_cause), ("deploy related", inc.deploy_related), ("tags", ", ".join(inc.tags)),
        ("drill run", inc.drill_run_id), ("source", f"{inc.source}:{inc.external_id}"), ("summary", inc.summary),
        *((("problems", "; ".join(inc.problems)),) if inc.problems else ()),
    ]
    output.table(None, ["field", "value"], lines)
    _flag("incident", [inc])
    if actions:
        output.table("action items", ACTION_COLUMNS, _action_rows(actions, date.today()))


@log.command()
@click.argument("incident_id", type=ID)
@click.option("--title")
@click.option("--kind", type=click.Choice(incidents.records.KINDS))
@click.option("--service")
@click.option("--severity")
@click.option("--started", type=INSTANT)
@_time_opts
@click.option("--root-cause")
@click.option("--summary")
@click.option("--deploy-related/--not-deploy-related", default=None)
@click.option("--drill-run", type=ID)
@click.option("--add-tag", multiple=True, help="Add a tag (repeatable).")
@click.option("--remove-tag", multiple=True, help="Remove a tag (repeatable).")
@click.option("--clear", "clear", multiple=True, type=click.Choice(("service", "severity", "detected", "paged", "acknowledged",
              "mitigated", "resolved", "root_cause", "summary", "deploy_related", "drill_run_id")),
              help="Clear a field (repeatable).")
@json_option
@pass_log
def edit(lc: LogContext, incident_id: int, add_tag: tuple[str, ...], remove_tag: tuple[str, ...],
         clear: tuple[str, ...], as_json: bool, drill_run: int | None, **fields: Any) -> None:
    """Change fields of an incident, in one transaction."""
    changes = {k: v for k, v in fields.items() if v is not None}
    if drill_run is not None:
        changes["drill_run_id"] = drill_run
    for name in clear:
        changes[name] = None
    if not changes and not add_tag and not remove_tag:
        raise click.UsageError("nothing to change: give a field option such as --resolved, --add-tag or --clear")
    inc = incidents.edit_incident(lc.store(), incident_id, changes, add_tags=add_tag, remove_tags=remove_tag)
    if as_json:
        output.emit_json({"version": 1, "incident": inc.to_json()})
    else:
        say(f"updated incident {incident_id}")


# -- import, export -------------------------------------------------------------------

def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for p in pairs:
        field, sep, column = p.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise click.BadParameter(f"expected FIELD=COLUMN such as created_at=Opened, got {p!r}", param_hint="--map")
        out[field.strip()] = column.strip()
    return out


@log.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--what", type=click.Choice(incidents.interchange.WHAT), default="incidents", show_default=True)
@click.option("--format", "fmt", type=click.Choice(incidents.FORMATS), default="auto", show_default=True,
              help="drillbit's own columns, a PagerDuty-style export, PagerDuty's API JSON (pagerduty-json) or "
                   "Opsgenie's alert CSV (opsgenie-csv); auto: by the file's content.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
              help="Read FIELD from the file's COLUMN (repeatable), e.g. --map created_at=Opened.")
@click.option("--skip-bad", is_flag=True, help="Import the good rows and skip (and report) the bad ones.")
@click.option("--source", help="Natural-key namespace of the records (default: the file's, else 'import' or 'pagerduty').")
@click.option("--kind", type=click.Choice(incidents.records.KINDS), default="real", show_default=True,
              help="Kind of incidents whose rows do not say.")
@json_option
@pass_log
def import_(lc: LogContext, file: Path, what: str, fmt: str, maps: tuple[str, ...], skip_bad: bool,
            source: str | None, kind: str, as_json: bool) -> None:
    """Import incidents or deploys from CSV, JSON or JSON lines, all or nothing.

    Bad rows are reported as FILE:ROW: column: problem (FILE:LINE:COL for PagerDuty's
    API JSON) and nothing is imported unless
    --skip-bad is given. Importing the same file again adds nothing (each record is
    keyed by its source and external id, or PagerDuty's incident_number)."""
    store = lc.store()
    show = output.err.is_terminal and not as_json
    result = None
    try:
        with _ImportProgress(file, enabled=show) as progress:
            result = incidents.import_file(store, file, fmt=fmt, what=what, mapping=_mapping(maps),
                                           skip_bad=skip_bad, source=source, kind=kind, progress=progress)
        _print_import(result, as_json)
    except KeyboardInterrupt as exc:
        if result is None:
            raise  # rolled back: nothing was imported
        raise interrupts.after_work(exc, f"imported: {result.message}") from None
    except incidents.BadRows as exc:
        if as_json:
            output.emit_json({"version": 1, "file": str(file), "imported": False, "rows_read": exc.rows_read,
                              "bad_rows": exc.bad_rows, "problems": [str(p) for p in exc.problems]})
        else:
            for p in exc.problems[:output.MAX_SHOWN]:
                _note(str(p))
            if exc.bad_rows > min(len(exc.problems), output.MAX_SHOWN):
                _note(f"… and {exc.bad_rows - min(len(exc.problems), output.MAX_SHOWN)} more bad rows")
            if exc.rows_read:
                _note(exc.headline)
        sys.exit(EXIT_INPUT)


def _print_import(result: incidents.ImportResult, as_json: bool) -> None:
    if as_json:
        output.emit_json({**result.to_json(), "imported": True})
        return
    for p in result.problems[:output.MAX_SHOWN]:
        _note(f"skipped {p}")
    say(result.message)


class _ImportProgress:
    """A live count of rows read on a terminal; silent otherwise."""

    def __init__(self, file: Path, enabled: bool):
        self.enabled = enabled
        self.file = file

    def __enter__(self):  # noqa: ANN204
        if not self.enabled:
            return None
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.bar = Progress(SpinnerColumn(), TextColumn("importing {task.fields[file]}: {task.completed:,} rows read",
                                                               markup=False),
                            TimeElapsedColumn(), console=output.err, transient=True)
        self.bar.__enter__()
        self.task = self.bar.add_task("import", total=None, file=output.plain(self.file.name))
        return lambda rows: self.bar.update(self.task, completed=rows)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.__exit__(*exc)


@log.command()
@click.argument("what", type=click.Choice(incidents.EXPORTS), default="incidents")
@click.option("--format", "fmt", type=click.Choice(("csv", "json")), help="Default: from --out's suffix, else csv.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@click.option("--kind", type=click.Choice(("real", "drill", "all")), default="all", show_default=True)
@filter_options
@pass_log
def export(lc: LogContext, what: str, fmt: str | None, out: Path | None, kind: str, **flt: Any) -> None:
    """Export incidents, deploys, action items, drill runs or findings as CSV or JSON.
    An incidents CSV imports back as it is."""
    fmt = fmt or ("json" if out and out.suffix.lower() == ".json" else "csv")
    store = lc.store()
    flt_ = make_filter(None if kind == "all" else kind, **flt)
    if out is None:
        n = incidents.export_records(store, sys.stdout, what=what, fmt=fmt, flt=flt_)
        return
    n = _write_whole(out, lambda f: incidents.export_records(store, f, what=what, fmt=fmt, flt=flt_))
    _note(f"wrote {n} {what} to {out}")


def _write_whole(out: Path, write: Callable[[TextIO], int]) -> int:
    """Run ``write(file)`` into a file that becomes ``out`` only when complete
    (:func:`files.write_streamed`), with the system's own words when it cannot."""
    try:
        return write_streamed(out, write)
    except IsADirectoryError:
        raise click.FileError(str(out), hint="it is a folder; give a file name") from None
    except OSError as exc:
        raise click.FileError(str(out), hint=exc.strerror or str(exc)) from None


# -- stats ----------------------------------------------------------------------------

@log.command()
@click.option("--owner", help="Only this owner's items.")
@click.option("--all", "show_all", is_flag=True, help="Also done and dropped items.")
@click.option("--close", "close_id", type=ID, metavar="ID", help="Mark item ID done.")
@click.option("--drop", "drop_id", type=ID, metavar="ID", help="Mark item ID dropped (won't do).")
@click.option("--reopen", "reopen_id", type=ID, metavar="ID", help="Open item ID again.")
@click.option("--note", help="With --close/--drop/--reopen: why.")
@json_option
@pass_log
def actions(lc: LogContext, owner: str | None, show_all: bool, close_id: int | None, drop_id: int | None,
            reopen_id: int | None, note: str | None, as_json: bool) -> None:
    """Open action items by due date, overdue first; close, drop or reopen one."""
    store = lc.store()
    chosen = [(i, s) for i, s in ((close_id, "done"), (drop_id, "dropped"), (reopen_id, "open")) if i is not None]
    if len(chosen) > 1:
        raise click.UsageError("give one of --close, --drop or --reopen")
    today = date.today()
    if chosen:
        item = incidents.close_action(store, chosen[0][0], status=chosen[0][1], note=note)
        if as_json:
            output.emit_json({"version": 1, "action_item": item.to_json(today)})
        else:
            say(f"action item {item.id} is {item.status}: {item.title}")
        return
    items = incidents.list_actions(store, owner=owner, status=None if show_all else "open", today=today)
    overdue = sum(a.overdue(today) for a in items)
    if as_json:
        by_owner: dict[str, dict[str, int]] = {}
        for a in items:
            o = by_owner.setdefault(a.owner, {"open": 0, "overdue": 0})
            o["open"] += a.status == "open"
            o["overdue"] += a.overdue(today)
        output.emit_json({"version": 1, "today": today.isoformat(), "overdue": overdue,
                          "regressions": sum(a.regression and a.status == "open" for a in items), "by_owner": by_owner,
                          "action_items": [a.to_json(today) for a in items]})
        return
    regressions = sum(a.regression and a.status == "open" for a in items)
    output.table(f"action items ({len(items)}{', ' + str(overdue) + ' overdue' if overdue else ''}"
                 f"{', ' + str(regressions) + ' regressed' if regressions else ''})",
                 ACTION_COLUMNS, _action_rows(items, today))


# -- delete ---------------------------------------------------------------------------

@log.command()
@click.argument("record_id", metavar="ID", type=ID)
@click.option("--what", type=click.Choice(tuple(incidents.DELETABLE)), default="incidents", show_default=True,
              help="What ID is.")
@click.option("--yes", is_flag=True, help="Delete without asking (needed when input is not a terminal).")
@json_option
@pass_log
def delete(lc: LogContext, record_id: int, what: str, yes: bool, as_json: bool) -> None:
    """Delete one incident, deploy, action item or drill run, e.g. a bad row an old
    import left. An incident's or a run's findings go with it; action items stay."""
    store = lc.store()
    described = incidents.describe_record(store, what, record_id)
    if not yes:
        if not _stdin_is_terminal():
            raise click.UsageError(f"not deleting {described} without --yes: input is not a terminal, so nobody "
                                   "can confirm")
        if not click.confirm(f"delete {described}?", err=True):
            _note("nothing deleted")
            return
    incidents.delete_record(store, what, record_id)
    if as_json:
        output.emit_json({"version": 1, "deleted": what, "id": record_id})
    else:
        say(f"deleted {described}")


def _stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


# -- calibrate ------------------------------------------------------------------------

@log.command()
@json_option
@pass_log
def migrate(lc: LogContext, as_json: bool) -> None:
    """Create the incident log or bring its schema up to date (no data is lost)."""
    store = incidents.IncidentLog(lc.url())
    try:
        done = incidents.migrate(store)
    finally:
        store.close()
    if as_json:
        output.emit_json({"version": 1, "where": done.where, "before": done.before, "after": done.after,
                          "changed": done.changed, "message": done.message})
    else:
        say(done.message)
