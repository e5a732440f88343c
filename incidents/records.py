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
#: the first paging attempt (a page sent, or a level that found nobody on call), which
#: for an incident opened in a paging tool is when it was created there (PagerDuty's
#: seconds_to_first_ack counts from created_at).
MILESTONE_FIELDS: dict[str, str] = {"impact": "started", "detected": "detected", "paged": "paged",
                                    "acknowledged": "acknowledged", "mitigated": "mitigated", "recovered": "resolved"}
#: Incident metrics: name -> (label, from field, to field), each the same span as the
#: scoring metric of that name, measured between the same milestones.
METRICS: dict[str, tuple[str, str, str]] = {
    name: (DEFINITIONS[name].label, MILESTONE_FIELDS[DEFINITIONS[name].start], MILESTONE_FIELDS[DEFINITIONS[name].end])
    for name in ("ttd", "tta", "ttm", "ttr")
}
TIME_EXAMPLE = "2026-11-27T03:00:00+01:00"
#: Instants the log keeps: from the Unix epoch to the start of 2200 (UTC). Within it every
#: time can be shown in any offset, and durations between two of them stay exact.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)
EARLIEST_EPOCH, LATEST_EPOCH = EARLIEST.timestamp(), LATEST.timestamp()
#: UTC offsets the log keeps, in minutes: ±18:00, the widest ISO 8601 profiles allow.
MAX_OFFSET_MINUTES = 18 * 60
#: The longest duration an import may state (PagerDuty's seconds_to_*): 100 years.
MAX_DURATION = 100 * 365.25 * 86400
RANGE_TEXT = "from 1970-01-01 to 2200-01-01 (UTC)"


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


def instant_problem(t: datetime) -> str | None:
    """Why the log cannot keep the tz-aware time ``t`` (None: it can)."""
    off = t.utcoffset()
    if off is None:
        return f"expected a time with an offset, got {t.isoformat()}"
    if abs(off) > timedelta(minutes=MAX_OFFSET_MINUTES):
        return f"expected a UTC offset within ±18:00, got {t.isoformat()}"
    return epoch_problem(t.timestamp(), t.isoformat())


def epoch_problem(seconds: float, shown: str) -> str | None:
    """Why epoch ``seconds`` (written as ``shown``) is outside what the log keeps."""
    if not (math.isfinite(seconds) and EARLIEST_EPOCH <= seconds < LATEST_EPOCH):
        return f"expected a time {RANGE_TEXT}, got {shown}"
    return None


def to_epoch(t: datetime) -> float:
    return t.timestamp()


def offset_minutes(t: datetime) -> int:
    off = t.utcoffset() or timedelta(0)
    return int(off.total_seconds() // 60)


def from_epoch(seconds: float | None, offset: int = 0) -> datetime | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, timezone(timedelta(minutes=offset)))


def stored_offset(value: Any) -> tuple[int, str | None]:
    """A stored UTC offset (minutes) as one the log can show, with the reason when the
    stored value could not be used as it is (then 0, UTC, is used)."""
    try:
        minutes = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0, f"utc_offset: stored {value!r} is not a number of minutes; shown in UTC"
    if abs(minutes) > MAX_OFFSET_MINUTES:
        return 0, f"utc_offset: stored {minutes} minutes is beyond ±18:00; shown in UTC"
    return minutes, None


def stored_time(name: str, value: Any, offset: int) -> tuple[datetime | None, str | None]:
    """A stored epoch time as a datetime, or (None, why) when the log cannot show it.
    A time outside the kept range that Python can still represent is shown and
    flagged, so nothing a bad import left behind makes the log unreadable."""
    if value is None:
        return None, None
    try:
        seconds = float(value)
        t = datetime.fromtimestamp(seconds, timezone(timedelta(minutes=offset)))
    except (TypeError, ValueError, OverflowError, OSError):
        return None, f"{name}: stored {value!r} is not a time drillbit can show"
    problem = epoch_problem(seconds, t.isoformat())
    return t, (f"{name}: {problem}" if problem else None)


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
    #: What is wrong with the stored row, when it was read from the log and breaks a
    #: rule (a time out of range, an unreadable value); empty for a sound record.
    problems: tuple[str, ...] = ()

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
            "problems": list(self.problems),
        }


#: (end, start) pairs whose span a metric reads, beyond "at or after started".
_ORDER = (("acknowledged", "paged"),)
#: Longest text each column keeps (PostgreSQL enforces them; SQLite would not).
TEXT_LIMITS = {"source": 100, "external_id": 200, "kind": 10, "service": 200, "severity": 40, "root_cause": 200,
               "version": 200}


def text_problem(name: str, value: Any) -> str | None:
    """Why text ``value`` of column ``name`` cannot be stored (None: it can)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"expected text, got {type(value).__name__}"
    limit = TEXT_LIMITS.get(name)
    if limit is not None and len(value) > limit:
        return f"expected at most {limit} characters, got {len(value)}"
    if "\x00" in value:
        return "expected text without NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "expected text, got a lone surrogate (not valid Unicode)"
    return None


def incident_problem(inc: Incident) -> tuple[str, str] | None:
    """The first (field, message) that breaks a rule, or None."""
    if not inc.title or not inc.title.strip():
        return "title", "expected a title, got nothing"
    if inc.kind not in KINDS:
        return "kind", f"expected 'real' or 'drill', got {inc.kind!r}"
    if inc.started is None:
        return "started", "expected when the incident started, got nothing"
    for name in ("title", "service", "severity", "root_cause", "summary", "source", "external_id"):
        problem = text_problem(name, getattr(inc, name))
        if problem:
            return name, problem
    for tag in inc.tags:
        problem = text_problem("tags", tag)
        if problem:
            return "tags", problem
    for name in ("started", *MILESTONES):
        t = getattr(inc, name)
        if t is not None and (not isinstance(t, datetime) or t.tzinfo is None or t.utcoffset() is None):
            return name, f"expected a time with an offset, got {t!r}"
        problem = None if t is None else instant_problem(t)
        if problem:
            return name, problem
    for name in MILESTONES:
        t = getattr(inc, name)
        if t is not None and t < inc.started:
            return name, f"expected a time at or after started ({inc.started.isoformat()}), got {t.isoformat()}"
    for end, start in _ORDER:
        a, b = getattr(inc, end), getattr(inc, start)
        if a is not None and b is not None and a < b:
            return end, f"expected a time at or after {start} ({b.isoformat()}), got {a.isoformat()}"
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
    #: What is wrong with the stored row (as :attr:`Incident.problems`).
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "service": self.service, "at": iso(self.at), "version": self.version,
                "source": self.source, "external_id": self.external_id, "problems": list(self.problems)}


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
    schedule_reason: str | None = None  # why the schedule ran it (None: run by hand)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "uid": self.uid, "scenario": self.scenario, "scenario_title": self.scenario_title,
                "scenario_kind": self.scenario_kind, "severity": self.severity, "services": list(self.services),
                "team": self.team, "mode": self.mode, "seed": self.seed, "runs": self.runs, "verdict": self.verdict,
                "objectives_missed": self.objectives_missed, "recorded": iso(self.recorded),
                "report_path": self.report_path, "metrics": self.metrics, "schedule_reason": self.schedule_reason}


def finding_key(scenario: str, rule: str, subject: str) -> str:
    """The identity of a finding across drills: the same rule about the same subject in
    the same scenario is the same finding, whatever its evidence says this time."""
    return json.dumps([scenario, rule, subject], separators=(",", ":"), ensure_ascii=False)


def finite_or_none(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


__all__ = ["EARLIEST", "LATEST", "MAX_DURATION", "MAX_OFFSET_MINUTES", "TEXT_LIMITS", "ActionItem", "Deploy", "DrillRun", "Finding", "Incident", "KINDS", "METRICS", "MILESTONES", "MILESTONE_FIELDS",
           "STATUSES", "finding_key",
           "clean_tags", "epoch_problem", "from_epoch", "instant_problem", "stored_offset", "stored_time", "text_problem", "iso", "offset_minutes", "parse_time", "to_epoch"]
