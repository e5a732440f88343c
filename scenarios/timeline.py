"""The timeline: the ordered record of one drill run, the same for every mode.

Simulation, tabletop and live game days all produce a :class:`Timeline`; the scorer
reads nothing else. Times are float seconds since the drill started (``t``), rounded
to milliseconds. One timeline is one JSON line (:meth:`Timeline.to_json_line`); a batch
is a JSON Lines file (:func:`write_jsonl`, :func:`read_jsonl`).

JSON line shape (``SCHEMA_VERSION`` 1)::

    {"events": [{"actor": .., "data": {..}, "kind": .., "subject": .., "t": 12.5}, ..],
     "mode": "simulated", "run": 0, "scenario": "db-primary-data-deleted",
     "schema": 1, "seed": 7, "started_at": "2026-11-02T03:00:00+01:00", "team": "payments-sre"}

Keys are sorted, separators compact and ``t`` rounded to milliseconds, so the same
content always gives the same bytes (producers round the times they put in ``data``
to milliseconds too; other numbers, such as metric values, are kept as they are). ``schema`` changes only when a reader of an old
line would misread it (a renamed kind or field); adding a data field does not change it.

Event kinds and their ``data`` fields
-------------------------------------
The list below is the vocabulary; :mod:`scenarios.events` holds it as code: a payload
type per kind (``Event.payload``), its word lists as string enums, the strict check a
producer uses (:func:`scenarios.events.checked_event`) and the shape a reader checks.
A reader accepts a field it does not know and ignores it (it is kept in ``data`` and
written back unchanged), and reads a missing one as None; a field it knows must have
its type and, for a word, one of its list.

Every event has ``t``, ``kind``, ``actor`` (who or what caused it: a member id,
``monitoring``, ``paging``, ``scenario``, ``automation``, a fault kind, a signal's
source, ``system``) and ``subject`` (what it is about). Fields marked ``?`` may be
absent; :meth:`Timeline.first` reads an absent field as None. Times inside ``data`` are
seconds (rounded to milliseconds) like ``t``. A page's ``purpose`` is ``incident`` (the
escalation policy paging for the incident), ``severity`` (who else the severity policy
pages, e.g. the incident commander), ``expert`` (someone with a skill or access a step
needs, or the next tier when a step fails), ``noise`` (a false-positive alert) or
``manual`` (paged by hand: a tabletop room escalating to a person or a role).

``drill_started``   actor system, subject the scenario id.
                    {severity, scenario_kind, team, timezone (the team's), local (ISO start in it)}
``inject``          a card (a human inject) shown to the team. actor scenario, subject its title.
                    {index (position in the scenario's injects), what: card,
                    condition? (``not_mitigated_by 25m`` for a ``when:`` inject)}.
                    Fault and signal injects are recorded as ``fault_applied`` and ``signal``
                    events that carry the inject's ``inject`` index (and ``condition?``).
``fault_applied``   actor the fault kind, subject the service.
                    {fault, service, impact: outage|degraded|none, inject?, condition?}
``fault_restored``  actor the fault kind, subject the service. {fault, service} (live mode)
``impact_started``  actor the fault kind, subject the service; one per fault that customers
                    see (every fault when none is visible, as in a silent breach).
                    {fault, service, impact, share? (0-1, absent: every user of it), of? (what the
                    share counts: users, regions, tenants …), caused_by? (``response``: an action
                    of the response caused it; then actor is who did it and fault is
                    ``response``), action? (containment, mitigation, ``step 2 of <runbook> (…)``)}
``impact_restored`` part of the impact is over. A recovery stage: actor system, subject the
                    scenario id, {restored (share of the affected back so far), stage (1-based),
                    stages, of? (what the shares count, when every impact counts the same)}; the last stage is ``recovered``. A response impact that ran its
                    time: subject the service, {service, restored: 1.0, caused_by, action}.
``signal``          actor the source (else the kind), subject the metric (else the kind).
                    {kind: metric|log|security|customer-report|third-party-report|internal-report,
                    fallback: bool (the scenario's detection fallback), metric?, value?, text?,
                    source?, inject?, condition?}
``detected``        the incident is first noticed; at most once per run. actor ``monitoring``
                    or the signal kind, subject the alert name or the signal kind.
                    {via: alert|<signal kind>, fallback: bool, alert?}. Emitted for the first
                    *routed* alert (one that pages) or a human detection such as the
                    fallback report; an unrouted or a noise alert does not detect.
``alert_fired``     actor monitoring, subject the alert name.
                    {severity, service (null if the rule names none), routed: bool,
                    policy (null when it pages nobody), noise: bool, value? (metric rules)}
``alert_resolved``  actor monitoring (a noise alert: who dismissed it), subject the alert name.
                    {noise: bool, stale? (true: the rule went blind and its alert resolved
                    for want of data, not because the condition cleared)}
``monitoring_blind`` actor monitoring, subject the alert name: a service the rule
                    ``depends_on`` has an outage, and the rule sees nothing. {service}
``monitoring_restored`` actor monitoring, subject the alert name: the rule sees again (its
                    dependency recovered). {service, blind_for (seconds it was blind)}
``page_sent``       actor paging, subject the member paged.
                    {page (id, unique in the run), to, purpose, target (``rotation:primary``,
                    ``role:…``, ``person:…``, ``skill:…``, ``access:…``, ``policy:…``),
                    channel (the first channel that delivered; null if none did),
                    delivered_after (seconds; null if undelivered), period:
                    working|evening|asleep (the member's, at the page), timezone (theirs),
                    away: bool, policy?, level? (1-based), round? (0-based repeat), alert?,
                    skill?, access?}
``page_missed``     actor paging, subject the member (or the target when nobody could be paged).
                    {purpose, target, reason: no-answer|away|undelivered|nobody-on-call|no-holder,
                    page?, to?, policy?, level?, round?, alert?, skill?}. For a page: nobody
                    answered it within its level's timeout; for a target: a gap.
``acknowledged``    actor the member, subject the member.
                    {by, page, page_t (when that page was sent), purpose, period, policy?,
                    level?, round?, alert?, skill?, present? (true: the level named someone
                    on the incident already, who took it without a page; page is the one
                    that brought them)}
``escalated``       actor paging, subject the policy.
                    {policy, purpose: incident, from_level, to_level, round}
``responder_engaged`` actor the member, subject the member.
                    {by, role: responder|expert|<role name>|person, page, skill?, access?, policy?}
``diagnosed``       actor who diagnosed, subject the scenario id. {how: runbook|improvised, runbook?}
``runbook_started`` actor the responder, subject the runbook id. {runbook, steps (how many)}
``step_started``    actor who does it (a member or ``automation``), subject the step's text.
                    {runbook, step (0-based), attempt (1-based, counting on across an escalation)}
``step_finished``   as step_started, plus {ok: bool, took (seconds)}
``status_update``   actor who posted it, subject the scenario id.
                    {phase: investigating|identified|monitoring|resolved, public: bool, n (1-based),
                    text? (what the update said: a tabletop room's words)}
``notified``        actor the responder, subject the party.
                    {who: regulator|customers|leadership|partners|law-enforcement,
                    within? (the deadline, seconds from detection; absent when the scenario
                    sets none for the party), how?: told|engaged (engaged: a holder of the
                    team's role of that name engaged on the incident), by? (that holder),
                    stage? (the stage whose data it concerns: within counts from its detection)}
``contained``       actor the responder, subject the scenario id. {stage? (a scenario with
                    stages: the stage contained; one event per stage)}
``restored_data``   actor the responder, subject the backup kind.
                    {backup, backup_t (when the copy was taken; negative = before the start),
                    rpo (loss time - backup_t), rto (this event's t - the impact start),
                    covers? and lost? (written only for a backup covering part of the data:
                    the share it holds, and the share no working backup covers, lost for good)}
``mitigated``       actor who mitigated, subject the scenario id.
                    {how: runbook|improvised, runbook?, step? (0-based step that mitigated)}
``recovered``       actor system, subject the scenario id. {}
``resolved``        actor the responder (system if none), subject the scenario id. {}
``severity_changed`` a tabletop room declared another severity. actor who declared it,
                    subject the scenario id. {severity (the new one), was (the one before)}
``note``            a gap the run exposed. actor system or a member, subject what it is about.
                    {gap, text, alert?, policy?, skill?, access?, backup?, runbook?, step?}
                    (a missing-skill or expert-unreachable note writes both skill and access,
                    one of them null)
                    with gap one of: no-runbook, runbook-aborted, nobody-acknowledged,
                    nobody-on-call, empty-role, unrouted-alert, no-policy, not-paged (the
                    severity pages only in business hours or never), missing-skill,
                    expert-unreachable, backup-broken, no-working-backup, undetected,
                    done-without-skill (skill), step-not-done (runbook, step, skill, access),
                    runbook-on-symptom (runbook), wrong-lead (subject: the lead),
                    data-not-covered (backup: the one restored; part of the data is lost for good),
                    observation (a person's own note in a game day or tabletop),
                    stage-undetected (subject: the stage id)
``stage_started``   a scenario with stages: a stage's first fault (else its first inject) was
                    delivered. actor scenario, subject the stage id. {stage, title}
``stage_detected``  a scenario with stages: something set off by that stage's own signals
                    detected it; once per stage. actor and subject as ``detected``.
                    {stage, via: alert|<signal kind>, fallback: bool, alert?, reopened? (true:
                    the incident had been resolved, and the stage re-opens it)}
``drill_ended``     the last event. actor system, subject the scenario id.
                    {reason: resolved|horizon|recovered|aborted|interrupted|ended (a tabletop's
                    facilitator ended the drill before the incident was resolved)}

Milestones
----------
:meth:`Timeline.milestones` derives the instants the scorer subtracts:
impact = first ``impact_started``; detected = the ``detected`` event (emitted for the
first *routed* alert or for a human detection such as the scenario's fallback report;
an unrouted alert or a noise alert does not detect); paged = the first paging attempt
for the incident: the first ``page_sent`` or ``page_missed`` with purpose incident (a
level with nobody on call is an attempt too, so TTA counts from it); acknowledged = first ``acknowledged`` with purpose incident;
engaged = first ``responder_engaged`` with role responder; first_update = first
``status_update``; then the first ``diagnosed``, ``mitigated``, ``recovered``,
``resolved``, ``contained`` and ``restored_data``. A milestone that never happened is None.
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import json
import math
import os
import re
import stat
import weakref
from collections import defaultdict
from datetime import datetime, timezone
from itertools import starmap
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Iterable, Iterator, Literal, Union

from isal import igzip, isal_zlib
from typing_extensions import NotRequired, TypedDict

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, PrivateAttr, StringConstraints, ValidationError

from .base import Id, Model, adapter
from .common import FIRST_YEAR, LAST_YEAR, _check_zone
from .errors import DrillbitError, format_path
from .events import MAX_INT, MAX_NAME, MAX_TEXT, Payload, payload_of, read_event_shape
from .exact_json import dumps as exact_dumps
from .exact_json import timeline_line

#: Version of the JSON line shape; written as ``schema`` in every line.
SCHEMA_VERSION = 1

# What a reader accepts. A timeline may come from anywhere (a file someone mailed), so
# every value the scorer computes with is bounded where it is read: a time beyond these
# bounds cannot come from a drill and would overflow the date arithmetic downstream.
#: The latest ``t``: ten years, far beyond any horizon a drill runs to.
MAX_T = 10 * 366 * 86400.0
#: The latest year of a ``started_at``: a run's start is drawn up to a window (at most
#: 730d) after ``--start``, whose latest year is LAST_YEAR.
LAST_START_YEAR = LAST_YEAR + 2
# MAX_NAME: longest ``actor`` or ``team``; MAX_TEXT: longest ``subject`` or text in ``data``
# (defined with the payloads, which bound their text fields).
#: Longest line of a timelines file, in bytes.
MAX_LINE = 16 * 1024 * 1024
# MAX_INT: whole numbers are stored as 64-bit integers (the incident log's range).
#: ``data`` fields that hold seconds, bounded like ``t``.
TIME_FIELDS = frozenset(("delivered_after", "took", "page_t", "backup_t", "rpo", "rto", "within", "blind_for"))

EventKind = Literal[
    "drill_started", "inject", "fault_applied", "fault_restored", "impact_started", "impact_restored", "signal",
    "detected", "alert_fired", "alert_resolved", "page_sent", "page_missed", "acknowledged",
    "escalated", "responder_engaged", "diagnosed", "runbook_started", "step_started",
    "step_finished", "status_update", "notified", "contained", "restored_data", "mitigated",
    "recovered", "resolved", "severity_changed", "note", "stage_started", "stage_detected", "drill_ended",
    "monitoring_blind", "monitoring_restored",
]
EVENT_KINDS: tuple[str, ...] = EventKind.__args__  # type: ignore[attr-defined]
Mode = Literal["simulated", "tabletop", "live"]
Scalar = Union[bool, int, float, str, None]
#: A data value: a JSON scalar or a list of them.
DataValue = Union[bool, int, float, str, None, list[Scalar]]

_Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
_Name = Annotated[str, StringConstraints(max_length=MAX_NAME)]


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class TimelineError(DrillbitError):
    """A timeline line or file that cannot be read."""


class NotATimeline(TimelineError):
    """A line that is not a timeline at all: not JSON, not an object, another schema."""


class Event(Model):
    """One thing that happened at ``t`` seconds after the drill started."""

    t: float = Field(ge=0.0, description="seconds since the drill started")
    kind: EventKind
    actor: str
    subject: str = ""
    data: dict[str, DataValue] = Field(default_factory=dict)

    #: The typed payload, built from ``data`` on first use (see :attr:`payload`).
    _payload: Any = PrivateAttr(None)

    @property
    def payload(self) -> Payload:
        """``data`` as the typed payload of this kind (:mod:`scenarios.events`), built
        once and cached: ``e.payload.purpose`` rather than ``e.data.get("purpose")``."""
        private = self.__pydantic_private__
        p = private.get("_payload")
        if p is None:
            p = private["_payload"] = payload_of(self.kind, self.data)
        return p

    def __eq__(self, other: object) -> bool:
        # The cached payload is not part of what an event is.
        if not isinstance(other, Event):
            return NotImplemented
        return (self.t, self.kind, self.actor, self.subject, self.data) == (other.t, other.kind, other.actor, other.subject, other.data)

    __hash__ = None  # type: ignore[assignment]  # data is a dict

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> "Event":
        """A copy (not validated, as pydantic's) whose payload is built from its own data."""
        fields = {"t": self.t, "kind": self.kind, "actor": self.actor, "subject": self.subject,
                  "data": copy.deepcopy(self.data) if deep else self.data, **(update or {})}
        return new_event(**fields)

    def matches(self, kind: str | None, match: dict[str, Any]) -> bool:
        """Whether this event has ``kind`` (any kind if None) and ``data[key] == value``
        for every item of ``match`` (an absent key reads as None)."""
        if kind is not None and self.kind != kind:
            return False
        data = self.data
        return all(data.get(k) == v for k, v in match.items())


#: Milestone name -> (event kind, or kinds, and data match) of the first event that marks it.
MILESTONES: dict[str, tuple[str | tuple[str, ...], dict[str, Any]]] = {
    "impact": ("impact_started", {}),
    "detected": ("detected", {}),
    # The first paging attempt: a page sent, or a level that found nobody to page.
    "paged": (("page_sent", "page_missed"), {"purpose": "incident"}),
    "acknowledged": ("acknowledged", {"purpose": "incident"}),
    "engaged": ("responder_engaged", {"role": "responder"}),
    "first_update": ("status_update", {}),
    "diagnosed": ("diagnosed", {}),
    "mitigated": ("mitigated", {}),
    "recovered": ("recovered", {}),
    "resolved": ("resolved", {}),
    "contained": ("contained", {}),
    "restored_data": ("restored_data", {}),
    "ended": ("drill_ended", {}),
}

_MILESTONE_KINDS = {name: ((k,) if isinstance(k, str) else k, m) for name, (k, m) in MILESTONES.items()}
#: Event kind -> the (milestone, data match) it may mark: a run's events are looked at once each.
_MILESTONES_OF_KIND: dict[str, list[tuple[str, dict[str, Any]]]] = {}
for _name, (_kinds, _match) in _MILESTONE_KINDS.items():
    for _kind in _kinds:
        _MILESTONES_OF_KIND.setdefault(_kind, []).append((_name, _match))
_MILESTONE_ITEMS_OF_KIND = {kind: [(name, tuple(match.items())) for name, match in candidates]
                            for kind, candidates in _MILESTONES_OF_KIND.items()}
#: id(timeline) -> (weak reference, its by_kind_and_milestones()), as _LINES keeps lines.
_INDEXES: dict[int, tuple[weakref.ref, tuple[dict[str, list["Event"]], dict[str, float | None]]]] = {}


class Timeline(Model):
    """The ordered record of one drill run."""

    scenario: str
    mode: Mode
    seed: int | None = None
    run: int | None = Field(None, ge=0, description="index of the run in a Monte Carlo batch")
    started_at: AwareDatetime
    team: str | None = None
    events: tuple[Event, ...] = ()

    # -- queries the scorer uses -------------------------------------------------
    def first(self, kind: str, **match: Any) -> Event | None:
        """The first event of ``kind`` whose data has every ``key=value`` given, or None."""
        for e in self.events:
            if e.kind == kind and e.matches(None, match):
                return e
        return None

    def last(self, kind: str, **match: Any) -> Event | None:
        """The last such event, or None."""
        for e in reversed(self.events):
            if e.kind == kind and e.matches(None, match):
                return e
        return None

    def find(self, kind: str | None = None, **match: Any) -> list[Event]:
        """Every event of ``kind`` (every kind if None) whose data matches, in order."""
        return [e for e in self.events if e.matches(kind, match)]

    def at(self, kind: str, **match: Any) -> float | None:
        """Seconds of the first matching event, or None if it never happened."""
        e = self.first(kind, **match)
        return None if e is None else e.t

    def milestone(self, name: str) -> float | None:
        """Seconds at which a milestone (a key of :data:`MILESTONES`) was reached, or None.
        Raises KeyError for an unknown name."""
        kinds, match = _MILESTONE_KINDS[name]
        for e in self.events:
            if e.kind in kinds and e.matches(None, match):
                return e.t
        return None

    def milestones(self) -> dict[str, float | None]:
        """Every milestone in one pass: name -> seconds, None where it never happened."""
        return dict(self.by_kind_and_milestones()[1])

    def by_kind_and_milestones(self) -> tuple[dict[str, list[Event]], dict[str, float | None]]:
        """The events grouped by kind (each group in order; a kind without events reads
        as an empty list) and every milestone (as :meth:`milestones`), from one pass
        over the events, made once per timeline: a timeline does not change, and the
        scorer's parts ask for both. Shared: read them, do not change them."""
        known = _INDEXES.get(id(self))
        if known is not None and known[0]() is self:
            return known[1]
        groups: dict[str, list[Event]] = defaultdict(list)
        out: dict[str, float | None] = dict.fromkeys(MILESTONES)
        left = len(out)
        of_kind = _MILESTONE_ITEMS_OF_KIND
        for e in self.events:
            kind = e.kind
            groups[kind].append(e)
            if left:
                candidates = of_kind.get(kind)
                if candidates is not None:
                    for name, items in candidates:
                        if out[name] is None:
                            data = e.data
                            for key, value in items:  # e.matches(None, match), inline
                                if not data.get(key) == value:
                                    break
                            else:
                                out[name] = e.t
                                left -= 1
        index = (groups, out)
        key = id(self)
        _INDEXES[key] = (weakref.ref(self, lambda _ref, key=key: _INDEXES.pop(key, None)), index)
        return index

    @property
    def duration(self) -> float:
        """Seconds from the start to the last event."""
        return self.events[-1].t if self.events else 0.0

    # -- JSON lines --------------------------------------------------------------
    def to_json_line(self) -> str:
        """One compact JSON line (no newline): sorted keys, ``t`` rounded to
        milliseconds, byte-identical for the same content. Raises ValueError for a
        non-finite number in ``data``."""
        known = _LINES.get(id(self))
        if known is not None and known[0]() is self:
            return known[1]
        return encode_line(self.scenario, self.mode, self.seed, self.run, self.started_at, self.team,
                           [(e.t, e.kind, e.actor, e.subject, e.data) for e in self.events])

    @classmethod
    def from_json_line(cls, line: str, *, trusted: bool = False) -> "Timeline":
        """Parse and validate one line written by :meth:`to_json_line`.

        ``trusted=True`` is for lines drillbit itself wrote (a worker process handing
        runs back, a file whose hash its drill.json records): validation is skipped and
        the line is remembered, so :meth:`to_json_line` returns it without encoding
        again. A trusted line that lacks a field is validated after all, to say which.
        Raises TimelineError for text that is not JSON, another schema version, or a
        shape that does not validate.
        """
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise NotATimeline(f"expected one JSON object per line, got invalid JSON: {exc}") from None
        except RecursionError:
            raise NotATimeline("expected one JSON object per line, got JSON nested too deeply to be a timeline") from None
        except ValueError:  # a whole number of more digits than Python converts (4,300)
            raise NotATimeline("expected one JSON object per line, got a number of thousands of digits") from None
        if not isinstance(doc, dict):
            raise NotATimeline("expected a JSON object for a timeline")
        if not trusted and _SURROGATE_ESCAPE.search(line) and _has_lone_surrogate(doc):
            raise TimelineError(_LONE_SURROGATE)
        version = doc.pop("schema", None)
        if version != SCHEMA_VERSION:
            raise NotATimeline(f"expected timeline schema {SCHEMA_VERSION}, got {version!r}")
        if trusted:
            try:
                tl = new_timeline(
                    doc["scenario"], doc["mode"], doc["seed"], doc["run"],
                    datetime.fromisoformat(doc["started_at"]), doc["team"],
                    tuple(new_event(e["t"], e["kind"], e["actor"], e["subject"], e["data"]) for e in doc["events"]),
                )
            except (KeyError, TypeError, ValueError):
                # Not the shape drillbit writes after all: validated below, to say what is wrong.
                if _SURROGATE_ESCAPE.search(line) and _has_lone_surrogate(doc):
                    raise TimelineError(_LONE_SURROGATE) from None
            else:
                _remember(tl, line.rstrip("\n"))
                return tl
        try:
            # Plain typed dicts, then the (already checked) models: 2.5x faster than validating
            # the models themselves. Built on first use: the fast path above reads drillbit's own lines.
            shape = adapter(_LineShape).validate_python(doc)
        except ValidationError as exc:
            raise TimelineError(f"not a valid timeline: {_explain(exc, doc)}") from None
        events = doc["events"]  # as read: an unknown data field is kept as it was written
        _check_data(events)
        if _NOT_FINITE.search(line):
            _check_finite(events)
        return new_timeline(
            shape["scenario"], shape["mode"], shape.get("seed"), shape.get("run"), shape["started_at"],
            shape.get("team"), tuple(new_event(float(e["t"]), e["kind"], e["actor"], e.get("subject", ""), e.get("data", {}))
                                     for e in events),
        )


def _check_instant(t: datetime) -> datetime:
    try:
        year = t.astimezone(timezone.utc).year
    except OverflowError:  # year 1 at a positive offset, or 9999 at a negative one
        year = t.year
    if not FIRST_YEAR <= year <= LAST_START_YEAR:
        raise ValueError(f"expected a time from {FIRST_YEAR} to {LAST_START_YEAR} (in UTC), got {t.isoformat()}")
    return t


_Seconds = Annotated[float, Field(ge=0.0, le=MAX_T, allow_inf_nan=False)]
_Instant = Annotated[AwareDatetime, AfterValidator(_check_instant)]


# Each event is checked against the shape of its kind (the payload's fields, each
# optional; unknown data fields are accepted and ignored, see scenarios.events).
_EventShape = read_event_shape(_Seconds, _Name, _Text)


class _LineShape(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    scenario: Id
    mode: Mode
    seed: NotRequired[Annotated[int, Field(ge=0, le=MAX_INT)] | None]
    run: NotRequired[Annotated[int, Field(ge=0, le=MAX_INT)] | None]
    started_at: _Instant
    team: NotRequired[_Name | None]
    events: list[_EventShape]


def _check_data(events: list[dict[str, Any]]) -> None:
    """What the shape cannot say: times in ``data`` bounded like ``t``, time zones that
    exist. Raises TimelineError naming the field."""
    for i, e in enumerate(events):
        data = e.get("data")
        if not data:
            continue
        for key in TIME_FIELDS.intersection(data):
            v = data[key]
            if v is None:  # e.g. delivered_after of a page nobody received
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not -MAX_T <= v <= MAX_T:
                shown = repr(v) if len(repr(v)) <= 60 else f"{type(v).__name__} {repr(v)[:40]}…"
                raise TimelineError(f"not a valid timeline: events[{i}].data.{key}: expected seconds from "
                                    f"{-MAX_T:g} to {MAX_T:g} (ten years), got {shown}")
        tz = data.get("timezone")
        if tz is not None:
            ok = isinstance(tz, str)
            try:
                if ok:
                    _check_zone(tz)
            except (ValueError, OSError):
                ok = False
            if not ok:
                shown = repr(tz) if not isinstance(tz, str) or len(tz) <= 60 else f"text of {len(tz):,} characters"
                raise TimelineError(f"not a valid timeline: events[{i}].data.timezone: expected an IANA time zone "
                                    f"such as 'Europe/Berlin' or 'UTC', got {shown}")


# A JSON escape of a UTF-16 surrogate: a lone one decodes to text no file can hold.
_LONE_SURROGATE = "expected text in UTF-8, got an escaped lone UTF-16 surrogate (\\ud800 to \\udfff)"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(doc: Any) -> bool:
    stack = [doc]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            try:
                x.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(x, dict):
            stack.extend(x.keys())
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return False


# What json reads as a number JSON cannot hold: NaN, an infinity, an exponent of three
# digits or 309 digits in a row (too large for a double: read as an infinity).
_NOT_FINITE = re.compile(r"NaN|Infinity|[eE][+-]?\d{3}|\d{309}")


def _check_finite(events: list[dict[str, Any]]) -> None:
    """No NaN or infinity in any event's data (drillbit could not write it back).
    Raises TimelineError naming the first such field."""
    for i, e in enumerate(events):
        stack = [(f"events[{i}].data", e.get("data"))]
        while stack:
            path, x = stack.pop()
            if isinstance(x, dict):
                stack.extend((f"{path}.{k}", v) for k, v in reversed(x.items()))
            elif isinstance(x, list):
                stack.extend((f"{path}[{j}]", v) for j, v in reversed(list(enumerate(x))))
            elif type(x) is float and not math.isfinite(x):
                raise TimelineError(f"not a valid timeline: {path}: expected a finite number, got {x!r}")


def _explain(exc: ValidationError, doc: dict[str, Any]) -> str:
    """Pydantic's errors in the words the YAML loader uses: ``events[3].kind: expected …``."""
    from .problems import message_for

    parts = []
    for err in exc.errors(include_url=False)[:5]:
        path = tuple(err["loc"])
        if len(path) > 2 and path[0] == "events" and path[2] in EVENT_KINDS:
            path = path[:2] + path[3:]  # the union's branch: the event's own kind
        if err["type"] == "union_tag_invalid":
            path += ("kind",)
            err = {**err, "type": "literal_error", "input": err["ctx"]["tag"],
                   "ctx": {"expected": ", ".join(repr(k) for k in EVENT_KINDS)}}
        parts.append(f"{format_path(path)}: {message_for(err, path, Timeline)}" if path else message_for(err, path, Timeline))
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


# Lines a producer encoded already (a worker process, a trusted read), by object
# identity; the weak reference guards against a recycled id and drops the line with
# its timeline. Timelines are immutable, so a remembered line stays right.
_LINES: dict[int, tuple[weakref.ref, str]] = {}


def remember_line(tl: Timeline, line: str) -> None:
    """Let ``tl.to_json_line()`` return ``line`` without encoding: for a producer that
    encoded the same content already (a worker process). The caller vouches that
    ``line`` is exactly what :meth:`Timeline.to_json_line` would write."""
    _remember(tl, line)


def _remember(tl: Timeline, line: str) -> None:
    key = id(tl)
    _LINES[key] = (weakref.ref(tl, lambda _ref, key=key: _LINES.pop(key, None)), line)


_EVENT_FIELDS = frozenset(("t", "kind", "actor", "subject", "data"))
_TIMELINE_FIELDS = frozenset(("scenario", "mode", "seed", "run", "started_at", "team", "events"))
_new = object.__new__
_set = object.__setattr__


def _slot_setter(cls: type, name: str):
    """The setter of a model's slot (``__dict__``, ``__pydantic_private__`` …), called
    directly: what ``object.__setattr__(obj, name, value)`` ends up calling, without
    looking the name up on every call."""
    for klass in cls.__mro__:
        d = klass.__dict__.get(name)
        if d is not None and hasattr(d, "__set__"):
            return d.__set__
    return lambda obj, value: _set(obj, name, value)


_set_dict, _set_fields, _set_extra, _set_private = (
    _slot_setter(Event, n) for n in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"))


def new_event(t: float, kind: str, actor: str, subject: str, data: dict[str, Any]) -> Event:
    """An Event built without validation, for engines that assemble it from models that
    were validated already (about 8x faster than ``Event(...)``). The caller guarantees
    the field types; ``t`` should be rounded to milliseconds."""
    e = _new(Event)
    _set_dict(e, {"t": t, "kind": kind, "actor": actor, "subject": subject, "data": data})
    _set_fields(e, _EVENT_FIELDS)
    _set_extra(e, None)
    _set_private(e, {"_source": None, "_payload": None})
    return e


def new_timeline(scenario: str, mode: str, seed: int | None, run: int | None, started_at: datetime,
                 team: str | None, events: tuple[Event, ...]) -> Timeline:
    """A Timeline built without validation (see :func:`new_event`)."""
    tl = _new(Timeline)
    _set_dict(tl, {"scenario": scenario, "mode": mode, "seed": seed, "run": run,
                   "started_at": started_at, "team": team, "events": events})
    _set_fields(tl, _TIMELINE_FIELDS)
    _set_extra(tl, None)
    _set_private(tl, {"_source": None})
    return tl


def new_events(records: Iterable[tuple[float, str, str, str, dict[str, Any]]]) -> tuple[Event, ...]:
    """Events from (t, kind, actor, subject, data) records (see :func:`new_event`)."""
    return tuple(starmap(new_event, records))


def encode_line(scenario: str, mode: str, seed: int | None, run: int | None, started_at: datetime,
                team: str | None, events: Iterable[tuple[float, str, str, str, dict[str, Any]]],
                fixed: "FixedData | None" = None, *, rounded: bool = False) -> str:
    """The JSON line of a timeline given as plain values, events as (t, kind, actor,
    subject, data) tuples: exactly what :meth:`Timeline.to_json_line` writes, for a
    producer that has not built the models. ``fixed``: the producer's data that never
    changes, whose JSON is written already. ``rounded``: the producer vouches that each
    t is already ``round(t, 3) + 0.0``, so it is not checked again. Raises ValueError
    for a non-finite number."""
    if type(events) is not list and type(events) is not tuple:
        events = list(events)  # read more than once below
    try:
        line = timeline_line(scenario, mode, seed, run, started_at, team, events, SCHEMA_VERSION,
                             fixed._proven if fixed is not None else _NONE_PROVEN, rounded)
        if line is not None:
            return line
    except Exception:
        pass  # not of a form orjson is known to write as json does: the json paths below
    try:
        return _fast_line(scenario, mode, seed, run, started_at, team, events, fixed._json if fixed is not None else None)
    except Exception:
        pass  # anything unusual: the whole document through the encoder, which raises what it raises
    doc = {
        "schema": SCHEMA_VERSION,
        "scenario": scenario,
        "mode": mode,
        "seed": seed,
        "run": run,
        "started_at": started_at.isoformat(),
        "team": team,
        "events": [{"t": _ms(t), "kind": k, "actor": a, "subject": s, "data": d} for t, k, a, s, d in events],
    }
    return _ENCODER.encode(doc)


# The same bytes as ``_ENCODER.encode`` of the whole document, about twice as fast: the
# C encoder behind _ENCODER is kept (encode() builds a new one per call) and writes each
# event's data; the event's own keys are in a fixed order, so each (kind, actor,
# subject) is written once and kept, and ``t`` is the repr json itself writes.
_MARKERS: dict[int, Any] = {}  # the circular-reference check, as check_circular=True keeps it
_C_ENCODE = json.encoder.c_make_encoder
_encode = (_C_ENCODE(_MARKERS, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False, False)
           if _C_ENCODE is not None else lambda o, _level: _ENCODER.iterencode(o))
_float_repr = float.__repr__
#: (kind, actor, subject) -> the event's JSON before its data and between its data and ``t``
_OUTER: dict[tuple[Any, Any, Any], tuple[str, str]] = {}
#: How many are kept: a batch has a few hundred; lines read from elsewhere may bring any.
_MAX_OUTER = 8192
_NONE_PROVEN: frozenset[int] = frozenset()


class FixedData:
    """Event data a producer builds once and never changes again (the same dict in every
    run of a batch, say a fault's ``fault_applied``), with its JSON written once for
    :func:`encode_line`. Each dict is kept alive here, so its id stays its own."""

    __slots__ = ("_json", "_proven")

    def __init__(self) -> None:
        self._json: dict[int, tuple[dict[str, Any], str]] = {}
        #: ids of the dicts in ``_json`` that orjson writes as json does (scenarios.exact_json)
        self._proven: set[int] = set()

    def fix(self, data: dict[str, Any]) -> dict[str, Any]:
        """Take ``data`` as never changing from now on; returns it."""
        if id(data) not in self._json:
            try:
                text = "".join(_encode(data, 0))
            except Exception:  # left to encode_line, which refuses it as it always did
                _MARKERS.clear()
                return data
            self._json[id(data)] = (data, text)
            if exact_dumps(data) == text:
                self._proven.add(id(data))
        return data


def _fast_line(scenario: str, mode: str, seed: int | None, run: int | None, started_at: datetime,
               team: str | None, events: Iterable[tuple[float, str, str, str, dict[str, Any]]],
               fixed: dict[int, tuple[dict[str, Any], str]] | None) -> str:
    encode, join, outer, parts = _encode, "".join, _OUTER, []
    fixed_get = fixed.get if fixed else None
    try:
        for t, k, a, s, d in events:
            o = outer.get((k, a, s))
            if o is None:
                o = (f'{{"actor":{join(encode(a, 0))},"data":',
                     f',"kind":{join(encode(k, 0))},"subject":{join(encode(s, 0))},"t":')
                if len(outer) >= _MAX_OUTER:
                    outer.clear()
                outer[(k, a, s)] = o
            r = round(t, 3)
            r = r + 0.0 if r else 0.0  # as _ms: no "-0.0"
            if type(r) is float:
                rt = _float_repr(r)
                if rt[-1] in "nf":  # nan, inf
                    raise ValueError(rt)
            else:
                rt = join(encode(r, 0))
            f = fixed_get(id(d)) if fixed_get is not None else None
            parts.append(f"{o[0]}{f[1] if f is not None and f[0] is d else join(encode(d, 0))}{o[1]}{rt}}}")
        tail = join(encode({"mode": mode, "run": run, "scenario": scenario, "schema": SCHEMA_VERSION, "seed": seed,
                            "started_at": started_at.isoformat(), "team": team}, 0))
    except BaseException:
        _MARKERS.clear()  # an encoder that failed half-way leaves its marks behind
        raise
    return f'{{"events":[{",".join(parts)}],{tail[1:]}'


def _ms(x: float) -> float:
    r = round(x, 3)
    return r + 0.0 if r else 0.0  # no "-0.0"


def write_jsonl(path: str | Path, timelines: Iterable[Timeline]) -> int:
    """Write timelines to ``path`` one per line, consuming the iterable lazily (memory
    stays flat however many runs there are); gzip-compressed when the name ends in
    ``.gz``. Returns how many were written."""
    n = 0
    raw = open(path, "wb")
    with raw, (igzip.GzipFile(fileobj=raw, mode="wb", compresslevel=TIMELINES_LEVEL, mtime=0)
               if str(path).endswith(".gz") else contextlib.nullcontext(raw)) as f:
        for tl in timelines:
            f.write(tl.to_json_line().encode("utf-8"))
            f.write(b"\n")
            n += 1
    return n


#: What a reader is told when the first line is not a timeline at all.
_WRONG_KIND = ("; is this a timelines file (JSON Lines, one timeline per line, as "
               "'drillbit simulate --out' writes)?")
#: The first bytes of a gzip member: a timelines file starting so is read decompressed, whatever its name.
GZIP_MAGIC = b"\x1f\x8b"
#: zlib's gzip level for drillbit's other compressed files (the kept scores): most of the
#: size gone for little time.
GZIP_LEVEL = 3
#: isal's level for timelines files: the outage's ~12.7 KB line becomes ~1.05 KB, about
#: 5% more than zlib's level 3 gives, in a fifth of the time (measured 7 against 34 µs a
#: run). isal (Intel's ISA-L) writes the same gzip format; any gzip reader reads it.
TIMELINES_LEVEL = 2


def gzip_member(data: bytes) -> bytes:
    """``data`` as one gzip member, as a batch writes each chunk of its runs: members
    laid end to end are one gzip file. The header carries no time, so the bytes depend
    on ``data`` alone (and on isal's release)."""
    packer = isal_zlib.compressobj(TIMELINES_LEVEL, isal_zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


@contextlib.contextmanager
def open_timelines(path: str | Path) -> Iterator[BinaryIO]:
    """A timelines file opened for reading its text as bytes: decompressed when it is
    gzip (detected by its first bytes, not its name; one member or many, as a writer
    appending chunks leaves it). Raises TimelineError for a path that is not a regular
    file (a FIFO or a device would hang or never end) or cannot be opened; reading a
    damaged gzip stream raises what isal's reader raises (see :func:`_lines`)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise TimelineError(f"{path}: cannot read the timelines: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise TimelineError(f"{path}: expected a timelines file, found {'a folder' if stat.S_ISDIR(mode) else 'something that is not a regular file'}")
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise TimelineError(f"{path}: cannot read the timelines: {exc.strerror or exc}") from None
    with f:
        if f.read(2) == GZIP_MAGIC:
            f.seek(0)
            # isal's reader: gzip.GzipFile's text and errors (IsalError where zlib's reader
            # raises zlib.error), read about 2.5x as fast.
            with igzip.GzipFile(fileobj=f, mode="rb") as z:
                yield z  # type: ignore[misc]
        else:
            f.seek(0)
            yield f


#: What isal's reader raises for a damaged gzip stream: cut short (EOFError), a bad header
#: or checksum (BadGzipFile, an OSError), deflate data that does not decode (IsalError).
_GZIP_DAMAGE = (EOFError, OSError, isal_zlib.error)


def _damaged(path: str | Path, number: int, exc: BaseException) -> TimelineError:
    """The message for a stream that breaks off while reading line ``number``."""
    if isinstance(exc, EOFError):
        what = "the gzip-compressed data ends early: the file was cut short (an interrupted copy?)"
    elif isinstance(exc, (gzip.BadGzipFile, isal_zlib.error)):
        what = f"the gzip-compressed data is damaged ({exc})"
    else:
        return TimelineError(f"{path}:{number}: cannot read the timelines: {getattr(exc, 'strerror', None) or exc}")
    return TimelineError(f"{path}:{number}: {what}; restore the file, or simulate the drill again")


def _lines(path: str | Path, f: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of every line of ``f``, each read up to :data:`MAX_LINE` + 1
    bytes, numbered in the (decompressed) text. Raises TimelineError naming
    ``file:line`` for a damaged gzip stream."""
    number = 0
    while True:
        try:
            raw = f.readline(MAX_LINE + 1)
        except _GZIP_DAMAGE as exc:
            raise _damaged(path, number + 1, exc) from None
        if not raw:
            return
        number += 1
        yield number, raw


def count_timelines(path: str | Path) -> int:
    """How many non-empty lines (one timeline each) a timelines file holds, plain or
    gzip. Raises TimelineError as :func:`open_timelines` and for a damaged gzip stream."""
    n = 0
    with open_timelines(path) as f:
        for _number, raw in _lines(path, f):
            if raw.strip():
                n += 1
    return n


def read_jsonl(path: str | Path, *, trusted: bool = False) -> Iterator[Timeline]:
    """Yield the timelines of a JSON Lines file, plain or gzip-compressed (see
    :func:`open_timelines`), one at a time; blank lines are skipped. Raises
    TimelineError naming ``file:line`` (of the decompressed text) for a line that does
    not parse, is not UTF-8 or is longer than :data:`MAX_LINE`, or where a gzip stream
    is cut short or damaged, and for a path that is not a regular file.

    ``trusted=True`` is for a file whose bytes drillbit itself wrote (its drill.json
    records their hash): lines are parsed without validation
    (:meth:`Timeline.from_json_line`)."""
    with open_timelines(path) as f:
        seen = False
        for number, raw in _lines(path, f):
            if len(raw) > MAX_LINE:
                raise TimelineError(f"{path}:{number}: line longer than {MAX_LINE // (1024 * 1024)} MiB; "
                                    f"a timeline is far shorter" + ("" if seen else _WRONG_KIND))
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise TimelineError(f"{path}:{number}: expected UTF-8 text, got the byte 0x{raw[exc.start]:02x} at "
                                    f"column {len(raw[:exc.start].decode('utf-8', 'replace')) + 1}"
                                    + ("" if seen else _WRONG_KIND)) from None
            if not line.strip():
                continue
            try:
                yield Timeline.from_json_line(line, trusted=trusted)
            except TimelineError as exc:
                hint = _WRONG_KIND if isinstance(exc, NotATimeline) and not seen else ""
                raise TimelineError(f"{path}:{number}: {exc}{hint}") from None
            seen = True
