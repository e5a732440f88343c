"""The typed event vocabulary: one payload type per event kind, the closed word lists
its fields take, and the checks a producer and a reader apply.

A payload is a frozen dataclass whose fields are exactly the ``data`` fields of
its kind (the list is in :mod:`scenarios.timeline`). A field with a default of None is
optional (``?`` in that list): absent from the JSON when unset. A field typed
``X | None`` without a default is always written, as null when it has no value (a
page's ``channel`` and ``delivered_after``, an alert's ``service`` and ``policy``).

Three ways in, each as strict as its source deserves:

- a producer that builds events one at a time (live, tabletop) calls
  :func:`checked_event`: every required field present, no unknown field, every word
  from its list; a mistake raises :class:`EventError` naming the field;
- the reader of a timelines file (:meth:`Timeline.from_json_line`) validates each
  event against :data:`READ_EVENT`, a union keyed on ``kind``: the fields it knows must
  have their types, fields may be missing (a hand-written or older line), and a field
  it does not know is accepted and ignored (kept in ``data`` and written back as read),
  because adding a data field does not change the schema version;
- a reader of events in memory asks :attr:`Event.payload`, built on first use from
  ``data`` without validating again (the data was checked where it came in). Its words
  are then the plain strings read, which compare equal to the enum members
  (``e.payload.purpose == Purpose.INCIDENT``); a field missing from the data reads as None.

The simulator builds plain dicts for speed; a test holds every event it writes to
:func:`check_payload`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, Union, get_type_hints

from typing_extensions import NotRequired, TypedDict

from pydantic import ConfigDict, Discriminator, Field, Strict, StringConstraints, ValidationError

from .base import adapter
from .errors import DrillbitError, format_path


class Phase(StrEnum):
    """What a status update says about the incident."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Purpose(StrEnum):
    """Why a page went out."""

    INCIDENT = "incident"  # the escalation policy paging for the incident
    SEVERITY = "severity"  # who else the severity policy pages (e.g. the incident commander)
    EXPERT = "expert"  # a skill or access a step needs, or the next tier when a step fails
    NOISE = "noise"  # a false-positive alert
    MANUAL = "manual"  # paged by hand: a tabletop room escalating to a person or a role


class MissReason(StrEnum):
    """Why a page was missed or could not be sent."""

    NO_ANSWER = "no-answer"
    AWAY = "away"
    UNDELIVERED = "undelivered"
    NOBODY_ON_CALL = "nobody-on-call"
    NO_HOLDER = "no-holder"


class Gap(StrEnum):
    """What a ``note`` event says the run exposed."""

    NO_RUNBOOK = "no-runbook"
    RUNBOOK_ABORTED = "runbook-aborted"
    NOBODY_ACKNOWLEDGED = "nobody-acknowledged"
    NOBODY_ON_CALL = "nobody-on-call"
    EMPTY_ROLE = "empty-role"
    UNROUTED_ALERT = "unrouted-alert"
    NO_POLICY = "no-policy"
    NOT_PAGED = "not-paged"
    MISSING_SKILL = "missing-skill"
    EXPERT_UNREACHABLE = "expert-unreachable"
    BACKUP_BROKEN = "backup-broken"
    NO_WORKING_BACKUP = "no-working-backup"
    UNDETECTED = "undetected"
    STAGE_UNDETECTED = "stage-undetected"  # a stage of the incident started and nothing detected it
    DONE_WITHOUT_SKILL = "done-without-skill"  # work done by someone without its skill, slower
    STEP_NOT_DONE = "step-not-done"  # nobody who could do a runbook step was reached
    RUNBOOK_ON_SYMPTOM = "runbook-on-symptom"  # the runbook matched a symptom, not the cause
    WRONG_LEAD = "wrong-lead"  # time lost on a misleading signal before the cause was found
    DATA_NOT_COVERED = "data-not-covered"  # part of the data is in no working backup: lost for good
    OBSERVATION = "observation"  # a person's own note during a game day or tabletop


class Period(StrEnum):
    """The part of a person's day a page reached them in."""

    WORKING = "working"
    EVENING = "evening"
    ASLEEP = "asleep"


class Impact(StrEnum):
    """What customers see of a fault."""

    OUTAGE = "outage"
    DEGRADED = "degraded"
    NONE = "none"


class SignalKind(StrEnum):
    """Where a signal comes from."""

    METRIC = "metric"
    LOG = "log"
    SECURITY = "security"
    CUSTOMER_REPORT = "customer-report"
    THIRD_PARTY_REPORT = "third-party-report"
    INTERNAL_REPORT = "internal-report"


class Party(StrEnum):
    """Who a breach notification goes to."""

    REGULATOR = "regulator"
    CUSTOMERS = "customers"
    LEADERSHIP = "leadership"
    PARTNERS = "partners"
    LAW_ENFORCEMENT = "law-enforcement"


class EndReason(StrEnum):
    """Why a drill ended."""

    RESOLVED = "resolved"
    HORIZON = "horizon"  # the simulation's horizon, or a game day's wall-clock limit
    RECOVERED = "recovered"  # a game day that ends once every fault is restored and the probes recovered
    ABORTED = "aborted"  # a game day's guard probe failed: every fault was restored at once
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM during a game day
    ENDED = "ended"  # a tabletop's facilitator ended the drill before the incident was resolved


class How(StrEnum):
    """How a diagnosis or a mitigation came about."""

    RUNBOOK = "runbook"
    IMPROVISED = "improvised"


class NotifiedHow(StrEnum):
    """How a party came to know: told, or one of them (a holder of the role the party
    names) engaged on the incident."""

    TOLD = "told"
    ENGAGED = "engaged"


# Bounds a reader needs on anything that came from a file (see scenarios.timeline).
MAX_NAME, MAX_TEXT = 200, 10_000
MAX_INT = 2**63 - 1

Text = Annotated[str, Strict(), StringConstraints(max_length=MAX_TEXT)]
Int = Annotated[int, Strict(), Field(ge=-MAX_INT - 1, le=MAX_INT)]
Flag = Annotated[bool, Strict()]
#: A number kept as written (an int stays an int), so a payload dumps to the same bytes.
Number = Union[Int, Annotated[float, Strict(), Field(allow_inf_nan=False)]]
#: A share from 0 to 1.
Fraction = Union[Annotated[int, Strict(), Field(ge=0, le=1)], Annotated[float, Strict(), Field(ge=0.0, le=1.0)]]
#: Seconds; their bound (ten years) is checked by the reader with its own message.
Seconds = Number

# Frozen, keyword-only. Not slotted: a payload read from data takes the data dict as
# its own (see _builder), which a slotted class cannot.
_PAYLOAD = dict(frozen=True, kw_only=True)


@dataclass(**_PAYLOAD)
class DrillStarted:
    severity: Text
    scenario_kind: Text
    team: Text | None
    timezone: Text
    local: Text


@dataclass(**_PAYLOAD)
class InjectShown:
    index: Int
    what: Text
    condition: Text | None = None


@dataclass(**_PAYLOAD)
class FaultApplied:
    fault: Text
    service: Text
    impact: Impact
    inject: Int | None = None
    condition: Text | None = None


@dataclass(**_PAYLOAD)
class FaultRestored:
    fault: Text
    service: Text


@dataclass(**_PAYLOAD)
class ImpactStarted:
    fault: Text
    service: Text
    impact: Impact
    share: Fraction | None = None  # absent: every user of the service
    of: Text | None = None  # what the share counts (users, regions, tenants …)
    caused_by: Text | None = None  # "response": an action of the response caused it
    action: Text | None = None  # that action (containment, mitigation, a runbook step)


@dataclass(**_PAYLOAD)
class ImpactRestored:
    restored: Fraction  # the share of the affected back (1.0 for a response impact that ran its time)
    service: Text | None = None  # only this service's response impact; absent: a recovery stage
    stage: Int | None = None  # 1-based stage of the recovery
    stages: Int | None = None  # how many stages the recovery has
    of: Text | None = None  # what the share counts, when every impact counts the same
    caused_by: Text | None = None
    action: Text | None = None


@dataclass(**_PAYLOAD)
class Signal:
    kind: SignalKind
    fallback: Flag
    metric: Text | None = None
    value: Number | None = None
    text: Text | None = None
    source: Text | None = None
    inject: Int | None = None
    condition: Text | None = None


@dataclass(**_PAYLOAD)
class Detected:
    via: Text  # "alert" or a SignalKind
    fallback: Flag
    alert: Text | None = None


@dataclass(**_PAYLOAD)
class AlertFired:
    severity: Text
    service: Text | None
    routed: Flag
    policy: Text | None
    noise: Flag
    value: Number | None = None


@dataclass(**_PAYLOAD)
class AlertResolved:
    noise: Flag
    stale: Flag | None = None  # true: no data (the rule's monitoring went blind), not the condition clearing


@dataclass(**_PAYLOAD)
class MonitoringBlind:
    service: Text  # the dependency whose outage blinds the rule


@dataclass(**_PAYLOAD)
class MonitoringRestored:
    service: Text
    blind_for: Seconds  # how long the rule saw nothing


@dataclass(**_PAYLOAD)
class _PageRoute:
    """What a page, its miss and its acknowledgement say about the route that sent it."""

    policy: Text | None = None
    level: Int | None = None  # 1-based
    round: Int | None = None  # 0-based repeat of the policy
    alert: Text | None = None
    skill: Text | None = None


@dataclass(**_PAYLOAD)
class PageSent(_PageRoute):
    page: Int
    to: Text
    purpose: Purpose
    target: Text
    channel: Text | None
    delivered_after: Seconds | None
    period: Period
    timezone: Text
    away: Flag
    access: Text | None = None


@dataclass(**_PAYLOAD)
class PageMissed(_PageRoute):
    purpose: Purpose
    target: Text
    reason: MissReason
    page: Int | None = None
    to: Text | None = None


@dataclass(**_PAYLOAD)
class Acknowledged(_PageRoute):
    by: Text
    page: Int
    page_t: Seconds
    purpose: Purpose
    period: Period
    present: Flag | None = None  # true: a level named someone on the incident already (``page``: how they came)


@dataclass(**_PAYLOAD)
class Escalated:
    policy: Text
    purpose: Purpose
    from_level: Int
    to_level: Int
    round: Int


@dataclass(**_PAYLOAD)
class ResponderEngaged:
    by: Text
    role: Text  # responder, expert, a role name or person
    page: Int
    skill: Text | None = None
    access: Text | None = None
    policy: Text | None = None


@dataclass(**_PAYLOAD)
class Diagnosed:
    how: How
    runbook: Text | None = None


@dataclass(**_PAYLOAD)
class RunbookStarted:
    runbook: Text
    steps: Int


@dataclass(**_PAYLOAD)
class StepStarted:
    runbook: Text
    step: Int  # 0-based
    attempt: Int  # 1-based, counting on across an escalation


@dataclass(**_PAYLOAD)
class StepFinished:
    runbook: Text
    step: Int
    attempt: Int
    ok: Flag
    took: Seconds


@dataclass(**_PAYLOAD)
class StatusUpdate:
    phase: Phase
    public: Flag
    n: Int  # 1-based
    text: Text | None = None  # what the update says (a tabletop room's words)


@dataclass(**_PAYLOAD)
class Notified:
    who: Party
    within: Seconds | None = None  # the deadline, from detection (absent: the scenario sets none for the party)
    how: NotifiedHow | None = None
    by: Text | None = None  # how ``engaged``: the holder of the role who engaged
    stage: Text | None = None  # the stage whose data it concerns: ``within`` counts from its detection


@dataclass(**_PAYLOAD)
class Contained:
    stage: Text | None = None  # in a scenario with stages: the stage contained


@dataclass(**_PAYLOAD)
class StageStarted:
    stage: Text
    title: Text


@dataclass(**_PAYLOAD)
class StageDetected:
    stage: Text
    via: Text  # "alert" or a SignalKind
    fallback: Flag
    alert: Text | None = None
    reopened: Flag | None = None  # true: detected after the incident was resolved, which re-opens it


@dataclass(**_PAYLOAD)
class RestoredData:
    backup: Text
    backup_t: Seconds  # when the copy was taken; negative = before the start
    rpo: Seconds
    rto: Seconds
    covers: Number | None = None  # share of the data the copy holds, written only below 1
    lost: Number | None = None  # share of the data no working backup covers: lost for good (with covers)


@dataclass(**_PAYLOAD)
class Mitigated:
    how: How
    runbook: Text | None = None
    step: Int | None = None


@dataclass(**_PAYLOAD)
class Recovered:
    pass


@dataclass(**_PAYLOAD)
class Resolved:
    pass


@dataclass(**_PAYLOAD)
class SeverityChanged:
    severity: Text  # the severity declared
    was: Text  # the severity before


@dataclass(**_PAYLOAD)
class Note:
    gap: Gap
    text: Text
    alert: Text | None = None
    policy: Text | None = None
    skill: Text | None = None
    access: Text | None = None
    backup: Text | None = None
    runbook: Text | None = None
    step: Int | None = None


@dataclass(**_PAYLOAD)
class DrillEnded:
    reason: EndReason


#: Event kind -> its payload type, in the order of the vocabulary.
PAYLOADS: dict[str, type] = {
    "drill_started": DrillStarted, "inject": InjectShown, "fault_applied": FaultApplied,
    "fault_restored": FaultRestored, "impact_started": ImpactStarted, "impact_restored": ImpactRestored,
    "signal": Signal, "detected": Detected,
    "alert_fired": AlertFired, "alert_resolved": AlertResolved, "page_sent": PageSent, "page_missed": PageMissed,
    "acknowledged": Acknowledged, "escalated": Escalated, "responder_engaged": ResponderEngaged,
    "diagnosed": Diagnosed, "runbook_started": RunbookStarted, "step_started": StepStarted,
    "step_finished": StepFinished, "status_update": StatusUpdate, "notified": Notified, "contained": Contained,
    "restored_data": RestoredData, "mitigated": Mitigated, "recovered": Recovered, "resolved": Resolved,
    "severity_changed": SeverityChanged, "note": Note, "stage_started": StageStarted,
    "stage_detected": StageDetected, "drill_ended": DrillEnded,
    "monitoring_blind": MonitoringBlind, "monitoring_restored": MonitoringRestored,
}
Payload = Union[tuple(PAYLOADS.values())]  # type: ignore[valid-type]
for _cls in PAYLOADS.values():
    _cls.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]  # how a producer is checked
    for _f in dataclasses.fields(_cls):
        if not hasattr(_cls, _f.name):  # a required field: read as None where the data lacks it
            setattr(_cls, _f.name, None)

# -- reading payloads from data that was checked already -----------------------------

_FIELDS: dict[type, tuple[str, ...]] = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in PAYLOADS.values()}


def _builder(cls: type) -> Any:
    """A function ``data -> payload`` that lends the payload the event's data dict as
    its fields: no copy, about ten times faster than ``cls(**data)`` (a frozen
    dataclass sets each field through ``object.__setattr__``; scoring builds tens of
    payloads a run). An absent field reads as None (the class holds None for every
    field); data with a field the payload does not know gets a copy without it."""
    names = _FIELDS[cls]
    known = frozenset(names)
    new, set_ = object.__new__, object.__setattr__

    def build(data: dict[str, Any]) -> Any:
        if not data.keys() <= known:
            data = {k: v for k, v in data.items() if k in known}
        obj = new(cls)
        set_(obj, "__dict__", data)
        return obj

    return build


_BUILDERS: dict[str, Any] = {kind: _builder(cls) for kind, cls in PAYLOADS.items()}


def payload_of(kind: str, data: dict[str, Any]) -> Any:
    """The typed payload of an event's ``data``, built without validating (the caller
    vouches the data was checked: by the reader, a producer check or the engine). An
    unknown field is ignored; a missing one reads as None. Raises KeyError for an
    unknown kind."""
    return _BUILDERS[kind](data)


def _need_both(note: Any) -> tuple[str, ...]:
    return ("skill", "access") if note.gap in (Gap.MISSING_SKILL, Gap.EXPERT_UNREACHABLE) else ()


#: Optional fields a payload writes as null when unset, by what else it says: a note
#: about a skill or an access names both (one of them null).
_NULLS_WRITTEN = {Note: _need_both}


def dump(payload: Any) -> dict[str, Any]:
    """A payload as event ``data``: optional fields that are unset are left out, words
    are plain strings; the inverse of :func:`payload_of`."""
    out: dict[str, Any] = {}
    keep = _NULLS_WRITTEN[type(payload)](payload) if type(payload) in _NULLS_WRITTEN else ()
    for f in dataclasses.fields(payload):
        v = getattr(payload, f.name)
        if v is None and f.default is None and f.name not in keep:
            continue
        out[f.name] = v.value if isinstance(v, StrEnum) else v
    return out


# -- the producer's check ------------------------------------------------------------


class EventError(DrillbitError):
    """An event a producer built that does not fit the vocabulary."""


def check_payload(kind: str, data: dict[str, Any] | Any) -> Any:
    """Validate ``data`` (a dict, or a payload of the kind) strictly as the payload of
    ``kind`` and return the typed payload. Raises EventError naming the first fields
    that are missing, unknown or of the wrong type, and for an unknown kind."""
    cls = PAYLOADS.get(kind)
    if cls is None:
        raise EventError(f"kind: expected one of {', '.join(PAYLOADS)}, got {kind!r}")
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        if not isinstance(data, cls):
            raise EventError(f"data: expected a {cls.__name__} payload for a {kind} event, got {type(data).__name__}")
        data = dump(data)
    try:
        return adapter(cls).validate_python(data)
    except ValidationError as exc:
        raise EventError(f"{kind} event: {describe_errors(exc, ('data',))}") from None


def checked_event(t: float, kind: str, actor: str, subject: str, payload: Any):
    """An Event whose data was checked strictly against its kind's payload type (for
    producers that build events one at a time: live, tabletop). ``t`` is seconds since
    the drill started, rounded here to milliseconds. Raises EventError naming the field
    that does not fit, and for a negative or non-finite ``t``."""
    from .timeline import MAX_T, new_event

    if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 <= t <= MAX_T:
        raise EventError(f"t: expected seconds from 0 to {MAX_T:g}, got {t!r}")
    for name, value in (("actor", actor), ("subject", subject)):
        if not isinstance(value, str) or len(value) > (MAX_NAME if name == "actor" else MAX_TEXT):
            raise EventError(f"{name}: expected text of at most {MAX_NAME if name == 'actor' else MAX_TEXT} characters")
    typed = check_payload(kind, payload)
    e = new_event(round(float(t), 3) + 0.0, kind, actor, subject, dump(typed))
    e.__pydantic_private__["_payload"] = typed
    return e


def describe_errors(exc: ValidationError, prefix: tuple = ()) -> str:
    """Pydantic's errors as ``data.purpose: expected …`` (at most five)."""
    from .problems import message_for
    from .timeline import Timeline

    parts = []
    for err in exc.errors(include_url=False)[:5]:
        path = prefix + tuple(err["loc"])
        parts.append(f"{format_path(path)}: {message_for(err, path, Timeline)}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


# -- the reader's shape --------------------------------------------------------------


def _read_shape(kind: str, cls: type) -> Any:
    """The shape a reader checks ``data`` of ``kind`` against: the payload's fields,
    each optional, unknown fields allowed (and not validated: they are ignored)."""
    hints = get_type_hints(cls, include_extras=True)
    shape = TypedDict(f"_{cls.__name__}Data", {name: NotRequired[hints[name]] for name in _FIELDS[cls]})  # type: ignore[operator]
    shape.__pydantic_config__ = ConfigDict(extra="allow")  # type: ignore[attr-defined]
    return shape


def read_event_shape(seconds: Any, name: Any, text: Any) -> Any:
    """The union of event shapes, keyed on ``kind``, that a reader validates with: for
    each kind ``{t, kind, actor, subject?, data?}`` with ``data`` of that kind's shape.
    The timeline module passes its bounds for ``t``, ``actor`` and ``subject``."""
    shapes = []
    for kind, cls in PAYLOADS.items():
        data = _read_shape(kind, cls)
        shape = TypedDict(f"_{cls.__name__}Event", {  # type: ignore[operator]
            "t": seconds, "kind": Literal[kind], "actor": name, "subject": NotRequired[text], "data": NotRequired[data],
        })
        shape.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
        shapes.append(shape)
    return Annotated[Union[tuple(shapes)], Discriminator("kind")]  # type: ignore[valid-type]
