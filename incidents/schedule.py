"""What the game-day schedule keeps in the incident log and reads from it.

A due instant of a schedule entry is *claimed* before anything runs: one row per
(entry, instant), inserted in a transaction under a unique key, so that of two
``run-due`` processes — on one machine or on several sharing a PostgreSQL log — the
database lets exactly one insert it; the other finds it taken and moves on. The row
then records how the run ended and the drill run it recorded. The reads are what
the schedule decides with: when a team last drilled each scenario, its last
scorecards, its open action items, open real incidents and recent real pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from sqlalchemy import Connection, and_, func, or_, select, update

from . import schema as s
from .records import from_epoch, iso, offset_minutes
from .store import IncidentLog

#: How a claimed run ended; ``running`` until it does (or for good, when the process
#: running it died: ``list`` shows it as such).
STATES: tuple[str, ...] = ("running", "done", "failed", "interrupted", "skipped")


@dataclass(frozen=True)
class Claim:
    """One due instant of an entry as the log keeps it."""

    id: int
    entry: str
    due: datetime
    mode: str
    scenario: str | None
    rule: str | None
    reason: str
    state: str
    outcome: str | None
    drill_run_id: int | None
    claimed_by: str
    claimed_at: datetime
    finished_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "entry": self.entry, "due": iso(self.due), "mode": self.mode, "scenario": self.scenario,
                "rule": self.rule, "reason": self.reason, "state": self.state, "outcome": self.outcome,
                "drill_run_id": self.drill_run_id, "claimed_by": self.claimed_by,
                "claimed_at": iso(self.claimed_at), "finished_at": iso(self.finished_at)}


def claim(store: IncidentLog, entry: str, due: datetime, *, mode: str, scenario: str | None, rule: str | None,
          reason: str, claimed_by: str, state: str = "running", outcome: str | None = None,
          now: datetime | None = None) -> int | None:
    """Claim ``entry``'s tz-aware ``due`` instant: the new row's id, or None when some
    process claimed it already (then it must not run here). ``state`` is ``running``
    for a run about to start, or a final state (with its ``outcome``) for an instant
    recorded without a run (``skipped``). Raises StoreError."""
    at = (now or datetime.now(timezone.utc)).timestamp()
    done = None if state == "running" else at

    def work(conn: Connection) -> int | None:
        row = conn.execute(s.insert(conn, s.schedule_runs).values(
            entry=entry, due_at=due.timestamp(), utc_offset=offset_minutes(due), mode=mode, scenario=scenario,
            rule=rule, reason=reason, state=state, outcome=outcome, drill_run_id=None, claimed_by=claimed_by,
            claimed_at=at, finished_at=done,
        ).on_conflict_do_nothing(index_elements=["entry", "due_at"]).returning(s.schedule_runs.c.id)).first()
        return None if row is None else int(row[0])

    return store.write(work)


def finish(store: IncidentLog, claim_id: int, *, state: str, outcome: str, drill_run_id: int | None = None,
           now: datetime | None = None) -> None:
    """Record how the claimed run ``claim_id`` ended. Raises StoreError, or ValueError
    for a state not in :data:`STATES`."""
    if state not in STATES or state == "running":
        raise ValueError(f"state: expected one of {', '.join(STATES[1:])}, got {state!r}")
    at = (now or datetime.now(timezone.utc)).timestamp()
    store.write(lambda conn: conn.execute(update(s.schedule_runs).where(s.schedule_runs.c.id == claim_id).values(
        state=state, outcome=outcome, drill_run_id=drill_run_id, finished_at=at)))


def give_reason(store: IncidentLog, run_id: int, reason: str) -> None:
    """Record on drill run ``run_id`` why the schedule ran it. Raises StoreError."""
    store.write(lambda conn: conn.execute(update(s.drill_runs).where(s.drill_runs.c.id == run_id)
                                          .values(schedule_reason=reason)))


def run_with_summary(store: IncidentLog, *, scenario: str, mode: str, since: datetime,
                     summary: Mapping[str, Any]) -> int | None:
    """The id of the latest drill run of ``scenario`` in ``mode`` recorded at or after
    ``since`` whose stored summary is the document ``summary`` (parsed JSON), or None:
    how a drill that printed its summary is found again. Raises StoreError."""
    t = s.drill_runs.c
    rows = store.read(lambda conn: conn.execute(
        select(t.id, t.summary).where(t.scenario == scenario, t.mode == mode, t.recorded_at >= since.timestamp())
        .order_by(t.id.desc())).all())
    for run_id, text in rows:
        try:
            if json.loads(text) == summary:
                return run_id
        except ValueError:  # a run stored by hand without a summary is not the one
            continue
    return None


def checked_until(store: IncidentLog, entry: str) -> datetime | None:
    """Up to when ``entry``'s due instants were looked at (its cursor, or its latest
    claimed instant if later); None for an entry the log has never seen."""
    def work(conn: Connection) -> float | None:
        cursor = conn.execute(select(s.schedule_cursors.c.checked_until)
                              .where(s.schedule_cursors.c.entry == entry)).scalar()
        latest = conn.execute(select(func.max(s.schedule_runs.c.due_at)).where(s.schedule_runs.c.entry == entry)).scalar()
        known = [v for v in (cursor, latest) if v is not None]
        return max(known) if known else None

    return from_epoch(store.read(work))


def advance(store: IncidentLog, entry: str, until: datetime) -> None:
    """Move ``entry``'s cursor to ``until`` (never backwards). Raises StoreError."""
    c = s.schedule_cursors.c

    def work(conn: Connection) -> None:
        at = until.timestamp()
        conn.execute(s.insert(conn, s.schedule_cursors).values(entry=entry, checked_until=at)
                     .on_conflict_do_nothing(index_elements=["entry"]))
        conn.execute(update(s.schedule_cursors).where(and_(c.entry == entry, c.checked_until < at))
                     .values(checked_until=at))

    store.write(work)


def list_claims(store: IncidentLog, *, entry: str | None = None, limit: int | None = None) -> list[Claim]:
    """Claimed instants, the latest first (of one entry, or of all)."""
    q = select(s.schedule_runs).order_by(s.schedule_runs.c.due_at.desc(), s.schedule_runs.c.id.desc())
    if entry is not None:
        q = q.where(s.schedule_runs.c.entry == entry)
    if limit is not None:
        q = q.limit(limit)
    return [_claim(r) for r in store.read(lambda conn: conn.execute(q).all())]


def _claim(r: Any) -> Claim:
    due = from_epoch(r.due_at, r.utc_offset)
    claimed = from_epoch(r.claimed_at)
    assert due is not None and claimed is not None
    return Claim(r.id, r.entry, due, r.mode, r.scenario, r.rule, r.reason, r.state, r.outcome, r.drill_run_id,
                 r.claimed_by, claimed, from_epoch(r.finished_at))


# -- what the schedule decides with ----------------------------------------------------------

@dataclass(frozen=True)
class LastDrill:
    """The latest recorded drill of a scenario by a team."""

    run_id: int
    recorded: datetime
    mode: str
    objectives_missed: int | None
    verdict: str | None


def last_drills(store: IncidentLog, team: str, scenarios: Sequence[str]) -> dict[str, LastDrill]:
    """Scenario id -> the latest drill run ``team`` recorded of it (any mode); a
    scenario never drilled by the team is absent."""
    r = s.drill_runs.c
    q = (select(r.id, r.scenario, r.recorded_at, r.mode, r.objectives_missed, r.verdict)
         .where(and_(r.team == team, r.scenario.in_(list(scenarios)))).order_by(r.recorded_at, r.id))
    out: dict[str, LastDrill] = {}
    for row in store.read(lambda conn: conn.execute(q).all()):
        recorded = from_epoch(row.recorded_at)
        assert recorded is not None
        out[row.scenario] = LastDrill(row.id, recorded, row.mode, row.objectives_missed, row.verdict)
    return out


def open_actions(store: IncidentLog, team: str, scenarios: Sequence[str]) -> dict[str, list[str]]:
    """Scenario id -> titles of the open action items that drills of it by ``team``
    found (oldest first); a scenario with none is absent."""
    a, r = s.action_items.c, s.drill_runs.c
    q = (select(r.scenario, a.title).join(s.drill_runs, r.id == a.drill_run_id)
         .where(and_(a.status == "open", r.team == team, r.scenario.in_(list(scenarios))))
         .order_by(a.created_at, a.id))
    out: dict[str, list[str]] = {}
    for row in store.read(lambda conn: conn.execute(q).all()):
        out.setdefault(row.scenario, []).append(row.title)
    return out


@dataclass(frozen=True)
class RealIncident:
    """A real incident, as far as the schedule's guards care."""

    id: int
    title: str
    started: datetime
    paged: datetime | None


def open_incidents(store: IncidentLog, at: datetime) -> list[RealIncident]:
    """Real incidents started by ``at`` and not resolved by then."""
    i = s.incidents.c
    q = (select(i.id, i.title, i.started_at, i.paged_at, i.utc_offset)
         .where(and_(i.kind == "real", i.started_at <= at.timestamp(),
                     or_(i.resolved_at.is_(None), i.resolved_at > at.timestamp())))
         .order_by(i.started_at, i.id))
    return [_real(row) for row in store.read(lambda conn: conn.execute(q).all())]


def pages_between(store: IncidentLog, since: datetime, until: datetime) -> list[RealIncident]:
    """Real incidents whose first page (else their start, for logs without page times)
    fell in [since, until]."""
    i = s.incidents.c
    paged = func.coalesce(i.paged_at, i.started_at)
    q = (select(i.id, i.title, i.started_at, i.paged_at, i.utc_offset)
         .where(and_(i.kind == "real", paged >= since.timestamp(), paged <= until.timestamp()))
         .order_by(paged, i.id))
    return [_real(row) for row in store.read(lambda conn: conn.execute(q).all())]


def _real(row: Any) -> RealIncident:
    started = from_epoch(row.started_at, row.utc_offset)
    assert started is not None
    return RealIncident(row.id, row.title, started, from_epoch(row.paged_at, row.utc_offset))


__all__ = ["Claim", "LastDrill", "RealIncident", "STATES", "advance", "checked_until", "claim", "finish", "give_reason", "last_drills",
           "list_claims", "open_actions", "open_incidents", "pages_between", "run_with_summary"]

