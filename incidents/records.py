"""The records of the incident log as Python values, and the rules they obey.

Wall-clock times are tz-aware datetimes; the store keeps them as epoch seconds plus
the offset the incident's start was written with, and gives them back in that offset.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from scoring.definitions import DEFINITIONS

from .errors import InvalidRecord

Kind = Literal["real", "drill"]
KINDS: tuple[str, ...] = ("real", "drill")
STATUSES: tuple[str, ...] = ("open", "done", "dropped")
#: Milestones of an incident after its start, in order.
MILESTONES: tuple[str, ...] = ("detected", "paged", "acknowledged", "mitigated", "resolved")
#: The timeline's milestone names (``scoring.definitions``) -> the incident's fields.
#: ``started`` is when impact started and ``resolved`` stands for recovery; ``paged`` is
#: when the first page went out, which for an incident opened in a paging tool is
#: when it was created there (PagerDuty's seconds_to_first_ack counts from created_at).
MILESTONE_FIELDS: dict[str, str] = {"impact": "started", "detected": "detected", "paged": "paged",
                                    "acknowledged": "acknowledged", "mitigated": "mitigated", "recovered": "resolved"}
#: Incident metrics: name -> (label, from field, to field), each the same span as the
#: scoring metric of that name, measured between the same milestones.
METRICS: dict[str, tuple[str, str, str]] = {
    name: (DEFINITIONS[name].label, MILESTONE_FIELDS[DEFINITIONS[name].start], MILESTONE_FIELDS[DEFINITIONS[name].end])
    for name in ("ttd", "tta", "ttm", "ttr")
}
TIME_EXAMPLE = "2026-11-27T03:00:00+01:00"


def parse_time(value: str | datetime) -> datetime:
    """An ISO 8601 time with an offset (``Z`` allowed). Raises ValueError with the
    expected form for anything else, including a time without an offset."""
    if isinstance(value, datetime):
        t = value
    else:
        text = str(value).strip()
        try:
            t = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"expected an ISO 8601 time with an offset such as {TIME_EXAMPLE}, got {text!r}") from None
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"expected a time with an offset (e.g. {t.isoformat()}+00:00), got {str(value)!r}")
    return t


def to_epoch(t: datetime) -> float:
    return t.timestamp()


def offset_minutes(t: datetime) -> int:
    off = t.utcoffset() or timedelta(0)
    return int(off.total_seconds() // 60)


def from_epoch(seconds: float | None, offset: int = 0) -> datetime | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, timezone(timedelta(minutes=offset)))


def iso(t: datetime | date | None) -> str | None:
    return None if t is None else t.isoformat()


def epoch_now() -> float:
    return datetime.now(timezone.utc).timestamp()


def clean_tags(tags: Any) -> tuple[str, ...]:
    """Tags from a list or a comma/semicolon-separated string, stripped, deduplicated,
    sorted. Raises ValueError for a tag that is not text."""
    if tags is None or tags == "":
        return ()
    if isinstance(tags, str):
        parts = tags.replace(";", ",").split(",")
    elif isinstance(tags, (list, tuple, set)):
        parts = []
        for t in tags:
            if not isinstance(t, str):
                raise ValueError(f"expected tags as text, got {t!r}")
            if "," in t:
                raise ValueError(f"expected tags without commas, got {t!r}")
            parts.append(t)
    else:
        raise ValueError(f"expected a list of tags or 'a,b', got {tags!r}")
    return tuple(sorted({p.strip() for p in parts if p.strip()}))


@dataclass(frozen=True)
class Incident:
    """A real incident or a drill, with its milestones (tz-aware)."""

    title: str
    started: datetime
    kind: str = "real"
    service: str | None = None
    severity: str | None = None
    detected: datetime | None = None
    acknowledged: datetime | None = None
    mitigated: datetime | None = None
    resolved: datetime | None = None
    paged: datetime | None = None
    root_cause: str | None = None
    summary: str | None = None
    deploy_related: bool | None = None
    tags: tuple[str, ...] = ()
    drill_run_id: int | None = None
    source: str = "manual"
    external_id: str | None = None
    id: int | None = None

    def check(self) -> "Incident":
        """Return the incident if it obeys the rules; raise InvalidRecord naming the
        field otherwise."""
        problem = incident_problem(self)
        if problem:
            raise InvalidRecord(f"{problem[0]}: {problem[1]}")
        return self

    def metrics(self) -> dict[str, float | None]:
        """TTD, TTA, TTM, TTR in seconds (None when either end is unknown), as
        ``scoring.definitions`` defines them: TTA runs from the page, so an incident
        without a page time has none."""
        out: dict[str, float | None] = {}
        for name, (_, a, b) in METRICS.items():
            start, end = getattr(self, a), getattr(self, b)
            out[name] = None if start is None or end is None else (end - start).total_seconds()
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "title": self.title, "service": self.service, "severity": self.severity,
            "started": iso(self.started), "detected": iso(self.detected), "paged": iso(self.paged),
            "acknowledged": iso(self.acknowledged),
            "mitigated": iso(self.mitigated), "resolved": iso(self.resolved), "root_cause": self.root_cause,
            "summary": self.summary, "deploy_related": self.deploy_related, "tags": list(self.tags),
            "drill_run_id": self.drill_run_id, "source": self.source, "external_id": self.external_id,
            "metrics": {k: (None if v is None else round(v, 3)) for k, v in self.metrics().items()},
        }


def incident_problem(inc: Incident) -> tuple[str, str] | None:
    """The first (field, message) that breaks a rule, or None."""
    if not inc.title or not inc.title.strip():
        return "title", "expected a title, got nothing"
    if inc.kind not in KINDS:
        return "kind", f"expected 'real' or 'drill', got {inc.kind!r}"
    for name in ("started", *MILESTONES):
        t = getattr(inc, name)
        if t is not None and (not isinstance(t, datetime) or t.tzinfo is None):
            return name, f"expected a time with an offset, got {t!r}"
    for name in MILESTONES:
        t = getattr(inc, name)
        if t is not None and t < inc.started:
            return name, f"expected a time at or after started ({inc.started.isoformat()}), got {t.isoformat()}"
    return None


def incident_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Incident))


@dataclass(frozen=True)
class Deploy:
    """A deploy of a service at a time, for pattern analysis."""

    service: str
    at: datetime
    version: str | None = None
    source: str = "manual"
    external_id: str | None = None
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "service": self.service, "at": iso(self.at), "version": self.version,
                "source": self.source, "external_id": self.external_id}


@dataclass(frozen=True)
class ActionItem:
    """Something to do after a drill or an incident, with an owner and a due date."""

    title: str
    owner: str
    due: date | None = None
    status: str = "open"
    severity: str | None = None
    finding_id: int | None = None
    incident_id: int | None = None
    drill_run_id: int | None = None
    note: str | None = None
    created: datetime | None = None
    closed: datetime | None = None
    id: int | None = None
    finding_key: str | None = None
    times_seen: int = 1
    last_seen: datetime | None = None
    regression: bool = False  # it was done, and its finding came back
    reopened: datetime | None = None

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.due is not None and self.due < today

    @property
    def state(self) -> str:
        """The status as people read it: ``open (regression)`` for an item reopened
        because its finding came back after it was done."""
        return f"{self.status} (regression)" if self.regression and self.status == "open" else self.status

    def to_json(self, today: date | None = None) -> dict[str, Any]:
        doc = {"id": self.id, "title": self.title, "owner": self.owner, "due": iso(self.due), "status": self.status,
               "severity": self.severity, "finding_id": self.finding_id, "incident_id": self.incident_id,
               "drill_run_id": self.drill_run_id, "note": self.note, "created": iso(self.created),
               "closed": iso(self.closed), "finding_key": self.finding_key, "times_seen": self.times_seen,
               "last_seen": iso(self.last_seen), "regression": self.regression, "reopened": iso(self.reopened)}
        if today is not None:
            doc["overdue"] = self.overdue(today)
        return doc


@dataclass(frozen=True)
class Finding:
    """A gap-report finding stored with the drill run (or incident) it came from."""

    rule: str
    title: str
    severity: str
    evidence: str = ""
    recommendation: str = ""
    owner: str = ""
    subject: str = ""
    drill_run_id: int | None = None
    incident_id: int | None = None
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "title": self.title, "severity": self.severity,
                "evidence": self.evidence, "recommendation": self.recommendation, "owner": self.owner,
                "subject": self.subject, "drill_run_id": self.drill_run_id, "incident_id": self.incident_id}


@dataclass(frozen=True)
class DrillRun:
    """One recorded drill (a Monte Carlo batch, a tabletop or a game day)."""

    id: int
    uid: str
    scenario: str
    scenario_title: str | None
    scenario_kind: str | None
    severity: str | None
    services: tuple[str, ...]
    team: str | None
    mode: str
    seed: int | None
    runs: int
    verdict: str | None
    objectives_missed: int | None
    recorded: datetime
    report_path: str | None
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "uid": self.uid, "scenario": self.scenario, "scenario_title": self.scenario_title,
                "scenario_kind": self.scenario_kind, "severity": self.severity, "services": list(self.services),
                "team": self.team, "mode": self.mode, "seed": self.seed, "runs": self.runs, "verdict": self.verdict,
                "objectives_missed": self.objectives_missed, "recorded": iso(self.recorded),
                "report_path": self.report_path, "metrics": self.metrics}


def finding_key(scenario: str, rule: str, subject: str) -> str:
    """The identity of a finding across drills: the same rule about the same subject in
    the same scenario is the same finding, whatever its evidence says this time."""
    return json.dumps([scenario, rule, subject], separators=(",", ":"), ensure_ascii=False)


def finite_or_none(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


__all__ = ["ActionItem", "Deploy", "DrillRun", "Finding", "Incident", "KINDS", "METRICS", "MILESTONES", "MILESTONE_FIELDS",
           "STATUSES", "finding_key",
           "clean_tags", "from_epoch", "iso", "offset_minutes", "parse_time", "to_epoch"]
