"""Adding, reading, listing and changing records; each call is one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Iterator

from sqlalchemy import Connection, and_, case, func, insert, or_, select, update

from . import schema as s
from .errors import InvalidRecord, NotFound
from .records import (EARLIEST_EPOCH, KINDS, LATEST_EPOCH, MAX_OFFSET_MINUTES, MILESTONES, STATUSES, ActionItem, Deploy, DrillRun, Finding, Incident, clean_tags,
                      epoch_now, finding_key, instant_problem, offset_minutes, stored_offset, stored_time, text_problem,
                      to_epoch)
from .store import IncidentLog


@dataclass(frozen=True)
class Filter:
    """Which incidents a listing, an export or an analysis looks at. ``kind`` None
    means real incidents and drills alike."""

    kind: str | None = "real"
    service: str | None = None
    severity: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    tag: str | None = None
    root_cause: str | None = None

    def clauses(self) -> list:
        t = s.incidents.c
        out = []
        if self.kind is not None:
            out.append(t.kind == self.kind)
        if self.service is not None:
            out.append(t.service == self.service)
        if self.severity is not None:
            out.append(t.severity == self.severity)
        if self.since is not None:
            out.append(t.started_at >= to_epoch(self.since))
        if self.until is not None:
            out.append(t.started_at < to_epoch(self.until))
        if self.tag is not None:
            out.append(("," + t.tags + ",").like(f"%,{self.tag},%"))
        if self.root_cause is not None:
            out.append(t.root_cause == self.root_cause)
        return out

    def analysable(self) -> list:
        """:meth:`clauses` and the rows an analysis can use: every time within the
        range the log keeps, milestones at or after the start. A bad row an old import
        left is listed (flagged) but never skews a median or a test."""
        return [*self.clauses(), *sound_incident_clauses()]


def sound_incident_clauses() -> list:
    t = s.incidents.c
    out = [t.started_at >= EARLIEST_EPOCH, t.started_at < LATEST_EPOCH, t.utc_offset.between(-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES)]
    for name in MILESTONES:
        col = t[f"{name}_at"]
        out.append(or_(col.is_(None), and_(col >= t.started_at, col < LATEST_EPOCH)))
    return out


# -- incidents ------------------------------------------------------------------------

def incident_values(inc: Incident, now: float | None = None) -> dict[str, Any]:
    """The row of an incident (a checked one)."""
    now = epoch_now() if now is None else now
    e = lambda t: None if t is None else to_epoch(t)  # noqa: E731
    return {
        "source": inc.source, "external_id": inc.external_id or uuid.uuid4().hex, "kind": inc.kind,
        "title": inc.title.strip(), "service": inc.service, "severity": inc.severity,
        "started_at": to_epoch(inc.started), "detected_at": e(inc.detected), "paged_at": e(inc.paged),
        "acknowledged_at": e(inc.acknowledged),
        "mitigated_at": e(inc.mitigated), "resolved_at": e(inc.resolved), "utc_offset": offset_minutes(inc.started),
        "root_cause": inc.root_cause, "summary": inc.summary, "deploy_related": inc.deploy_related,
        "tags": ",".join(inc.tags), "drill_run_id": inc.drill_run_id, "created_at": now, "updated_at": now,
    }


#: Largest id the CLI accepts: PostgreSQL's INTEGER, the id columns' type.
MAX_ID = 2**31 - 1


def _as_text(value: Any) -> str | None:
    # SQLite keeps whatever a raw write put in a column (a number, a blob): show it as text.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def incident_from_row(row: Any) -> Incident:
    """The incident of a stored row. Never raises for what a row holds: a value the log
    cannot use is left out (or shown as it is) and named in ``problems``."""
    m = row._mapping
    problems: list[str] = []
    off, why = stored_offset(m["utc_offset"])
    if why:
        problems.append(why)
    times: dict[str, datetime | None] = {}
    for name in ("started", *MILESTONES):
        t, why = stored_time(name, m[f"{name}_at"], off)
        if why:
            problems.append(why)
        times[name] = t
    text = {k: _as_text(m[k]) for k in ("source", "external_id", "kind", "title", "service", "severity", "root_cause", "summary", "tags")}
    if text["kind"] not in KINDS:
        problems.append(f"kind: stored {text['kind']!r}, expected 'real' or 'drill'")
    start = times["started"]
    for name in MILESTONES:
        t = times[name]
        if t is not None and start is not None and t < start:
            problems.append(f"{name}: {t.isoformat()} is before started ({start.isoformat()})")
    run = m["drill_run_id"]
    return Incident(
        id=m["id"], source=text["source"] or "", external_id=text["external_id"], kind=text["kind"] or "",
        title=text["title"] or "", service=text["service"], severity=text["severity"], started=start,  # type: ignore[arg-type]
        detected=times["detected"], paged=times["paged"], acknowledged=times["acknowledged"],
        mitigated=times["mitigated"], resolved=times["resolved"],
        root_cause=text["root_cause"], summary=text["summary"],
        deploy_related=None if m["deploy_related"] is None else bool(m["deploy_related"]),
        tags=tuple(t for t in (text["tags"] or "").split(",") if t), drill_run_id=run if isinstance(run, int) else None,
        problems=tuple(problems),
    )


def add_incident(store: IncidentLog, inc: Incident) -> int:
    """Store a new incident; returns its id. Raises InvalidRecord for a broken rule and
    StoreError if one with the same source and external id exists."""
    values = incident_values(inc.check())

    def work(conn: Connection) -> int:
        if inc.drill_run_id is not None:
            _require_run(conn, inc.drill_run_id)
        return conn.execute(insert(s.incidents).values(**values).returning(s.incidents.c.id)).scalar_one()

    return store.write(work)


def _require_run(conn: Connection, run_id: int) -> None:
    if conn.execute(select(s.drill_runs.c.id).where(s.drill_runs.c.id == run_id)).first() is None:
        raise NotFound(f"no drill run {run_id} in the incident log")


def get_incident(store: IncidentLog, incident_id: int) -> Incident:
    """Raises NotFound."""
    if not 1 <= incident_id <= MAX_ID:
        raise NotFound(f"no incident {incident_id} in the incident log")
    row = store.read(lambda c: c.execute(select(s.incidents).where(s.incidents.c.id == incident_id)).first())
    if row is None:
        raise NotFound(f"no incident {incident_id} in the incident log")
    return incident_from_row(row)


def list_incidents(store: IncidentLog, flt: Filter = Filter(), *, limit: int | None = None,
                   newest_first: bool = True) -> list[Incident]:
    """Incidents matching ``flt``, newest first (or oldest first)."""
    order = s.incidents.c.started_at.desc() if newest_first else s.incidents.c.started_at.asc()
    q = select(s.incidents).where(*flt.clauses()).order_by(order, s.incidents.c.id).limit(limit)
    return [incident_from_row(r) for r in store.read(lambda c: c.execute(q).all())]


def iter_incidents(conn: Connection, flt: Filter = Filter(), chunk: int = 10_000) -> Iterator[Incident]:
    """Stream incidents oldest first within an open read (for exports)."""
    q = select(s.incidents).where(*flt.clauses()).order_by(s.incidents.c.started_at, s.incidents.c.id)
    result = conn.execution_options(yield_per=chunk).execute(q)
    for row in result:
        yield incident_from_row(row)


EDITABLE = ("title", "kind", "service", "severity", "started", *MILESTONES, "root_cause", "summary", "deploy_related",
            "drill_run_id")


def edit_incident(store: IncidentLog, incident_id: int, changes: dict[str, Any], *,
                  add_tags: tuple[str, ...] = (), remove_tags: tuple[str, ...] = ()) -> Incident:
    """Change fields of an incident (names as in :class:`Incident`; a value of None
    clears it) and its tags, in one transaction. Raises NotFound, InvalidRecord."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidRecord(f"{unknown[0]}: not a field that can be edited (expected one of {', '.join(EDITABLE)})")

    if not 1 <= incident_id <= MAX_ID:
        raise NotFound(f"no incident {incident_id} in the incident log")

    def work(conn: Connection) -> Incident:
        row = conn.execute(select(s.incidents).where(s.incidents.c.id == incident_id)).first()
        if row is None:
            raise NotFound(f"no incident {incident_id} in the incident log")
        old = incident_from_row(row)
        tags = tuple(sorted((set(old.tags) | set(clean_tags(list(add_tags)))) - set(remove_tags)))
        new = replace(old, **changes, tags=tags, problems=())
        if new.started is None:
            raise InvalidRecord(f"started: the stored start of incident {incident_id} cannot be read; give a new one "
                                f"with --started (or remove the incident with `drillbit log delete {incident_id}`)")
        try:
            new.check()
        except InvalidRecord as exc:
            if not old.problems:
                raise
            raise InvalidRecord(f"{exc}; incident {incident_id} was stored with values the log does not keep: mend "
                                f"them in the same edit, or remove it with `drillbit log delete {incident_id}`") from None
        if new.drill_run_id is not None and new.drill_run_id != old.drill_run_id:
            _require_run(conn, new.drill_run_id)
        values = incident_values(new)
        for k in ("source", "external_id", "created_at"):
            values.pop(k)
        conn.execute(update(s.incidents).where(s.incidents.c.id == incident_id).values(**values))
        return new

    return store.write(work)


#: What ``delete_record`` removes: name -> (table, singular for messages).
DELETABLE = {"incidents": (s.incidents, "incident"), "deploys": (s.deploys, "deploy"),
             "actions": (s.action_items, "action item"), "runs": (s.drill_runs, "drill run")}


def describe_record(store: IncidentLog, what: str, record_id: int) -> str:
    """One line naming the record (for a confirmation prompt). Raises NotFound."""
    table, one = _deletable(what)
    row = None if not 1 <= record_id <= MAX_ID else store.read(
        lambda c: c.execute(select(table).where(table.c.id == record_id)).first())
    if row is None:
        raise NotFound(f"no {one} {record_id} in the incident log")
    m = row._mapping
    label = {"incidents": "title", "deploys": "service", "actions": "title", "runs": "scenario"}[what]
    return f"{one} {record_id}: {_as_text(m[label])}"


def delete_record(store: IncidentLog, what: str, record_id: int) -> None:
    """Remove one record, whatever its stored values hold. Deleting an incident or a
    drill run removes its findings (and a run its metrics); action items and incidents
    that pointed at it stay, unlinked. Raises NotFound, InvalidRecord for ``what``."""
    table, one = _deletable(what)
    if not 1 <= record_id <= MAX_ID:
        raise NotFound(f"no {one} {record_id} in the incident log")

    def work(conn: Connection) -> None:
        if conn.execute(table.delete().where(table.c.id == record_id)).rowcount == 0:
            raise NotFound(f"no {one} {record_id} in the incident log")

    store.write(work)


def _deletable(what: str) -> tuple[Any, str]:
    if what not in DELETABLE:
        raise InvalidRecord(f"what: expected one of {', '.join(DELETABLE)}, got {what!r}")
    return DELETABLE[what]


def count_incidents(store: IncidentLog, flt: Filter = Filter(kind=None)) -> int:
    return store.read(lambda c: c.execute(select(func.count()).select_from(s.incidents).where(*flt.clauses())).scalar_one())


# -- deploys --------------------------------------------------------------------------

def deploy_values(dep: Deploy) -> dict[str, Any]:
    return {"source": dep.source, "external_id": dep.external_id or f"{dep.service}@{to_epoch(dep.at):.3f}",
            "service": dep.service, "at": to_epoch(dep.at), "utc_offset": offset_minutes(dep.at),
            "version": dep.version}


def add_deploy(store: IncidentLog, dep: Deploy) -> int:
    """Store a deploy event; returns its id. Raises InvalidRecord for a broken rule."""
    if not dep.service:
        raise InvalidRecord("service: expected the deployed service, got nothing")
    for name in ("service", "version", "source", "external_id"):
        problem = text_problem(name, getattr(dep, name))
        if problem:
            raise InvalidRecord(f"{name}: {problem}")
    problem = instant_problem(dep.at)
    if problem:
        raise InvalidRecord(f"at: {problem}")
    values = deploy_values(dep)
    return store.write(lambda c: c.execute(insert(s.deploys).values(**values).returning(s.deploys.c.id)).scalar_one())


def _deploy(row: Any) -> Deploy:
    m = row._mapping
    off, off_problem = stored_offset(m["utc_offset"])
    at, problem = stored_time("at", m["at"], off)
    return Deploy(id=m["id"], service=_as_text(m["service"]) or "", at=at,  # type: ignore[arg-type]
                  version=_as_text(m["version"]),
                  source=m["source"], external_id=m["external_id"],
                  problems=tuple(p for p in (off_problem, problem) if p))


def list_deploys(store: IncidentLog, *, service: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, limit: int | None = None) -> list[Deploy]:
    t = s.deploys.c
    q = select(s.deploys).where(*_deploy_clauses(service, since, until)).order_by(t.at.desc(), t.id).limit(limit)
    return [_deploy(r) for r in store.read(lambda c: c.execute(q).all())]


def _deploy_clauses(service: str | None, since: datetime | None, until: datetime | None) -> list:
    t = s.deploys.c
    out = []
    if service:
        out.append(t.service == service)
    if since:
        out.append(t.at >= to_epoch(since))
    if until:
        out.append(t.at < to_epoch(until))
    return out


# -- action items ---------------------------------------------------------------------

def add_action(store: IncidentLog, item: ActionItem) -> int:
    """Store an action item (status open unless given); returns its id."""
    if not item.title.strip():
        raise InvalidRecord("title: expected what to do, got nothing")
    if not item.owner.strip():
        raise InvalidRecord("owner: expected who owns it, got nothing")
    if item.status not in STATUSES:
        raise InvalidRecord(f"status: expected one of {', '.join(STATUSES)}, got {item.status!r}")
    values = _action_values(item)

    def work(conn: Connection) -> int:
        if item.incident_id is not None and conn.execute(
                select(s.incidents.c.id).where(s.incidents.c.id == item.incident_id)).first() is None:
            raise NotFound(f"no incident {item.incident_id} in the incident log")
        return conn.execute(insert(s.action_items).values(**values).returning(s.action_items.c.id)).scalar_one()

    return store.write(work)


def _action_values(item: ActionItem) -> dict[str, Any]:
    return {"title": item.title.strip(), "owner": item.owner.strip(), "due": item.due, "status": item.status,
            "severity": item.severity, "finding_id": item.finding_id, "incident_id": item.incident_id,
            "drill_run_id": item.drill_run_id, "note": item.note,
            "created_at": to_epoch(item.created) if item.created else epoch_now(),
            "closed_at": to_epoch(item.closed) if item.closed else None}


def _action(row: Any) -> ActionItem:
    m = row._mapping
    return ActionItem(id=m["id"], title=m["title"], owner=m["owner"], due=m["due"], status=m["status"],
                      severity=m["severity"], finding_id=m["finding_id"], incident_id=m["incident_id"],
                      drill_run_id=m["drill_run_id"], note=m["note"], created=_when(m["created_at"]),
                      closed=_when(m["closed_at"]), finding_key=m["finding_key"], times_seen=m["times_seen"],
                      last_seen=_when(m["last_seen"]), regression=bool(m["regression"]),
                      reopened=_when(m["reopened_at"]))


def _when(value: Any) -> datetime | None:
    """A stored UTC epoch time, or None when it cannot be shown (never raises)."""
    return stored_time("", value, 0)[0]


def list_actions(store: IncidentLog, *, owner: str | None = None, status: str | None = "open",
                 today: date | None = None) -> list[ActionItem]:
    """Action items, overdue first, then by due date (undated last), owner and id."""
    t = s.action_items.c
    today = today or date.today()
    clauses = []
    if owner:
        clauses.append(t.owner == owner)
    if status:
        clauses.append(t.status == status)
    overdue = case((and_(t.status == "open", t.due < today), 0), else_=1)
    undated = case((t.due.is_(None), 1), else_=0)
    q = select(s.action_items).where(*clauses).order_by(overdue, undated, t.due, t.owner, t.id)
    return [_action(r) for r in store.read(lambda c: c.execute(q).all())]


def close_action(store: IncidentLog, action_id: int, *, status: str = "done", note: str | None = None) -> ActionItem:
    """Mark an action item done or dropped (or reopen it with ``open``)."""
    if status not in STATUSES:
        raise InvalidRecord(f"status: expected one of {', '.join(STATUSES)}, got {status!r}")
    if not 1 <= action_id <= MAX_ID:
        raise NotFound(f"no action item {action_id} in the incident log")

    def work(conn: Connection) -> ActionItem:
        t = s.action_items.c
        row = conn.execute(select(s.action_items).where(t.id == action_id)).first()
        if row is None:
            raise NotFound(f"no action item {action_id} in the incident log")
        values: dict[str, Any] = {"status": status, "closed_at": None if status == "open" else epoch_now()}
        if note is not None:
            values["note"] = note
        conn.execute(update(s.action_items).where(t.id == action_id).values(**values))
        return _action(conn.execute(select(s.action_items).where(t.id == action_id)).one())

    return store.write(work)


# -- drill runs and findings ----------------------------------------------------------

def _run(row: Any, metrics: dict[str, dict[str, Any]] | None = None) -> DrillRun:
    m = row._mapping
    return DrillRun(id=m["id"], uid=m["uid"], scenario=m["scenario"], scenario_title=m["scenario_title"],
                    scenario_kind=m["scenario_kind"], severity=m["severity"],
                    services=tuple(x for x in (m["services"] or "").split(",") if x), team=m["team"], mode=m["mode"],
                    seed=m["seed"], runs=m["runs"], verdict=m["verdict"], objectives_missed=m["objectives_missed"],
                    recorded=_when(m["recorded_at"]), report_path=m["report_path"], metrics=metrics or {},
                    schedule_reason=m["schedule_reason"])


def list_runs(store: IncidentLog, *, scenario: str | None = None, limit: int | None = None) -> list[DrillRun]:
    t = s.drill_runs.c
    q = select(s.drill_runs).where(*([t.scenario == scenario] if scenario else [])).order_by(t.recorded_at.desc(), t.id.desc()).limit(limit)
    return [_run(r) for r in store.read(lambda c: c.execute(q).all())]


def get_run(store: IncidentLog, run_id: int) -> tuple[DrillRun, list[Finding], list[ActionItem]]:
    """A drill run with its metric summaries, findings and action items. Raises NotFound."""
    if not 1 <= run_id <= MAX_ID:
        raise NotFound(f"no drill run {run_id} in the incident log")

    def work(conn: Connection):
        row = conn.execute(select(s.drill_runs).where(s.drill_runs.c.id == run_id)).first()
        if row is None:
            raise NotFound(f"no drill run {run_id} in the incident log")
        mt = s.drill_metrics.c
        metrics = {r.metric: {"median": r.median, "p90": r.p90, "p99": r.p99, "reached": r.reached, "missed": r.missed}
                   for r in conn.execute(select(s.drill_metrics).where(mt.run_id == run_id).order_by(mt.metric))}
        found = [_finding(r) for r in conn.execute(
            select(s.findings).where(s.findings.c.drill_run_id == run_id).order_by(s.findings.c.id))]
        # A run's items include those an earlier run opened for the findings it saw again.
        keys = [finding_key(row.scenario, f.rule, f.subject) for f in found]
        at = s.action_items.c
        actions = [_action(r) for r in conn.execute(
            select(s.action_items).where(or_(at.drill_run_id == run_id, at.finding_key.in_(keys))).order_by(at.id))]
        return _run(row, metrics), found, actions

    return store.read(work)


def _finding(row: Any) -> Finding:
    m = row._mapping
    return Finding(id=m["id"], rule=m["rule"], title=m["title"], severity=m["severity"], evidence=m["evidence"],
                   recommendation=m["recommendation"], owner=m["owner"], subject=m["subject"],
                   drill_run_id=m["drill_run_id"], incident_id=m["incident_id"])


def list_findings(store: IncidentLog, *, run_id: int | None = None, rule: str | None = None,
                  limit: int | None = None) -> list[Finding]:
    t = s.findings.c
    clauses = ([t.drill_run_id == run_id] if run_id is not None else []) + ([t.rule == rule] if rule else [])
    q = select(s.findings).where(*clauses).order_by(t.id.desc()).limit(limit)
    return [_finding(r) for r in store.read(lambda c: c.execute(q).all())]


def incidents_of_run(store: IncidentLog, run_id: int) -> list[Incident]:
    q = select(s.incidents).where(s.incidents.c.drill_run_id == run_id).order_by(s.incidents.c.id)
    return [incident_from_row(r) for r in store.read(lambda c: c.execute(q).all())]


__all__ = ["DELETABLE", "EDITABLE", "MAX_ID", "Filter", "add_action", "add_deploy", "add_incident", "close_action",
           "count_incidents", "delete_record", "describe_record", "edit_incident", "get_incident", "get_run", "incidents_of_run", "iter_incidents", "list_actions",
           "list_deploys", "list_findings", "list_incidents", "list_runs"]
