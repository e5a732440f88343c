"""A run's events as report entries: when, in which swimlane, what happened in words,
and which mark a chart draws for it. Blameless wording: entries say what systems and
roles did; people appear by name only as the ones paged and acting.

Lanes, top to bottom: ``impact`` (faults, customer impact and the signals it causes),
``monitoring`` (alerts, detection, escalation), one lane per person in order of first
appearance (a tabletop's ``room`` where the room acted without naming anyone),
``automation`` (automated runbook steps) and ``comms`` (status updates and
notifications).

Each event kind is told once, by one function of ``_WORDING``; :func:`told` gives that
telling, :func:`tell` lays a run out as report entries and :mod:`reports.explain` as
terminal lines (``drillbit simulate --explain``), so both say the same thing the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from scenarios import Scenario, Team, format_duration, format_share
from scenarios.events import EndReason, Gap, How, Impact, MissReason, Period, Purpose
from scenarios.timeline import Event, Timeline

from . import fmt

IMPACT, MONITORING, AUTOMATION, COMMS = "impact", "monitoring", "automation", "comms"
#: A tabletop's actor when the room acted and nobody was named (nor leads the response yet).
ROOM, ROOM_WORDS = "room", "The room"
LANE_TITLES = {IMPACT: "Customer impact", MONITORING: "Monitoring & paging", AUTOMATION: "Automation",
               COMMS: "Communications"}
PERIODS = {Period.WORKING: "working hours", Period.EVENING: "evening", Period.ASLEEP: "asleep"}
_SKIP = {"step_started", "drill_started"}


@dataclass(frozen=True)
class Entry:
    """One line of a run's story."""

    t: float  # seconds since the drill started
    kind: str  # the event kind
    lane: str  # a lane key (see the module docstring) or a member id
    mark: str  # what a chart draws: impact, fault, signal, alert, detect, escalate, page, ack, miss, engage,
    #            diagnose, step-ok, step-fail, milestone, update, update-internal, notify, note
    text: str
    took: float | None = None  # seconds a step took (a chart draws a span ending at t)
    n: int | None = None  # a status update's number
    written: float | None = None  # an inject written before the drill: its (negative) offset; delivered at t = 0

    @property
    def shown(self) -> float:
        """The offset a table shows: the written one for an event before the drill."""
        return self.t if self.written is None else self.written


@dataclass(frozen=True)
class Story:
    """A run told as entries, with its lanes in drawing order."""

    entries: tuple[Entry, ...]
    lanes: tuple[tuple[str, str], ...]  # (key, title)
    names: dict[str, str]


def member_names(team: Team | None) -> dict[str, str]:
    """Member id -> display name."""
    return {m.id: m.name for m in team.members} if team else {}


def tell(timeline: Timeline, team: Team | None = None, scenario: Scenario | None = None) -> Story:
    """Every notable event of ``timeline`` as an entry, in time order; with the
    ``scenario``, an inject it writes before the drill carries that offset
    (``Entry.written``)."""
    names = member_names(team)
    steps = step_counts(timeline)
    entries: list[Entry] = []
    for e in timeline.events:
        if e.kind in _SKIP:
            continue
        entry = told(e, names, steps)
        if entry is not None:
            written = written_before(e, scenario)
            entries.append(entry if written is None else replace(entry, written=written))
    people: list[str] = []
    for en in entries:
        if en.lane not in LANE_TITLES and en.lane not in people:
            people.append(en.lane)
    lanes = [(IMPACT, LANE_TITLES[IMPACT]), (MONITORING, LANE_TITLES[MONITORING])]
    lanes += [(p, names.get(p, ROOM_WORDS if p == ROOM else p)) for p in people]
    lanes += [(k, LANE_TITLES[k]) for k in (AUTOMATION, COMMS) if any(en.lane == k for en in entries)]
    return Story(tuple(entries), tuple(lanes), names)


def written_before(e: Event, scenario: Scenario | None) -> float | None:
    """The negative offset the scenario writes for the inject ``e`` delivers (a fault,
    a signal or a card with ``at: -23h37m``), or None for anything else. The engine
    delivers such an inject at 0s: a run has no clock before its start, and what
    happened before it is the state the drill starts in."""
    if scenario is None or e.t != 0:
        return None
    if e.kind in ("fault_applied", "signal"):
        index = e.payload.inject
    elif e.kind == "inject":
        index = e.payload.index
    else:
        return None
    if index is None or not 0 <= int(index) < len(scenario.injects):
        return None
    at = scenario.injects[int(index)].at
    return float(at) if at is not None and at < 0 else None


def step_counts(timeline: Timeline) -> dict[Any, int]:
    """Runbook id -> how many steps it has, from the run's ``runbook_started`` events."""
    return {e.payload.runbook: int(e.payload.steps or 0) for e in timeline.events if e.kind == "runbook_started"}


def told(e: Event, names: dict[str, str] | None = None, steps: dict[Any, int] | None = None) -> Entry | None:
    """The one telling of an event: its lane, its chart mark and what happened in words
    (a sentence; one that opens with a person opens with their name as written), or None for an event no reader needs (an inject that is
    not a card). ``names`` maps member ids to display names; ``steps`` (see
    :func:`step_counts`) lets a step say ``2/5``."""
    say = _WORDING.get(e.kind)
    if say is None:
        return Entry(e.t, e.kind, _person_lane(e.actor), "note", _cap(f"{e.kind.replace('_', ' ')}: {e.subject}"))
    got = say(e, e.payload, _Words(names or {}, steps or {}))
    if got is None:
        return None
    lane, mark, text, *extra = got
    return Entry(e.t, e.kind, lane, mark, text, *extra)


@dataclass(frozen=True)
class _Words:
    names: dict[str, str]
    steps: dict[Any, int]

    def who(self, x: Any) -> str:
        s = str(x)
        return self.names.get(s, ROOM_WORDS if s == ROOM else s)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _person_lane(x: Any) -> str:
    s = str(x)
    if s in ("system", "monitoring", "paging", "scenario", ""):
        return MONITORING
    if s == "automation":
        return AUTOMATION
    return s


def _spaced(word: Any) -> str:
    return str(word).replace("-", " ")


IMPACT_WORDS = {Impact.OUTAGE: "outage", Impact.DEGRADED: "degradation", Impact.NONE: "no customer-visible impact"}
MISS_WORDS = {MissReason.NO_ANSWER: "no answer within the level's timeout", MissReason.AWAY: "away",
              MissReason.UNDELIVERED: "page never delivered", MissReason.NOBODY_ON_CALL: "nobody on call",
              MissReason.NO_HOLDER: "nobody holds the skill or access"}
END_WORDS = {EndReason.RESOLVED: "incident resolved", EndReason.HORIZON: "time limit reached before resolution",
             EndReason.RECOVERED: "every fault restored and the service recovered",
             EndReason.ABORTED: "aborted: a guard probe failed and every fault was restored",
             EndReason.INTERRUPTED: "interrupted: every fault was restored",
             # A tabletop's facilitator stopped the clock (the words are plain strings:
             # the vocabulary's enum may not name every reason a newer producer writes).
             "ended": "the facilitator ended the drill"}
#: A page a person sent by hand (a tabletop's "escalate"), in words.
MANUAL = "manual"
HOW_WORDS = {How.IMPROVISED: "by improvising (no runbook)"}

# One function per kind: (lane, mark, text[, took, n]) or None. The report's entries and
# the terminal's lines (reports.explain) both tell events with these words.


def _drill_started(e, p, w):
    return MONITORING, "milestone", f"Drill starts: {e.subject} ({p.severity} {p.scenario_kind}) for team {p.team}"


def _inject(e, p, w):
    if p.what != "card":
        return None
    cond = f" ({p.condition})" if p.condition else ""
    return IMPACT, "signal", f"Scenario card shown to the team{cond}: {e.subject}"


def _fault_applied(e, p, w):
    return IMPACT, "fault", f"Fault {p.fault} on {p.service} ({IMPACT_WORDS.get(p.impact, p.impact)})"


def _fault_restored(e, p, w):
    return IMPACT, "fault", f"Fault {p.fault} on {p.service} restored"


def _share_words(p) -> str:
    """`` for 40% of tenants`` for a partial impact; nothing for every user."""
    if p.share is None:
        return ""
    return f" for {format_share(float(p.share))} of {p.of or 'users'}"


def _impact_started(e, p, w):
    if p.caused_by == "response":
        what = "an outage" if p.impact == Impact.OUTAGE else "degraded service"
        return IMPACT, "impact", f"The response ({p.action}) causes {what} of {p.service}{_share_words(p)}"
    if p.impact == Impact.NONE:  # a fault customers do not see: an internal system (a laptop, a build host)
        return IMPACT, "impact", f"Impact begins on {p.service} (an internal system; nothing customers see)"
    return IMPACT, "impact", f"Customer impact begins on {p.service} ({p.impact}){_share_words(p)}"


def _impact_restored(e, p, w):
    if p.service is not None:
        return IMPACT, "impact", f"The impact on {p.service} caused by the response ({p.action}) is over"
    of = p.of or "the affected users"
    return IMPACT, "impact", f"{format_share(float(p.restored))} of {of} restored (stage {p.stage} of {p.stages})"


def _signal(e, p, w):
    if p.metric is not None:
        return IMPACT, "signal", f"Signal {p.metric} = {_num(p.value)}"
    fb = " (fallback detection)" if p.fallback else ""
    return IMPACT, "signal", f"{_cap(_spaced(p.kind or 'signal'))}{fb}: {p.text}"


def _detected(e, p, w):
    if p.via == "alert":
        return MONITORING, "detect", f"Incident detected by alert {p.alert}"
    extra = " — no alert had caught it" if p.fallback else ""
    return MONITORING, "detect", f"Incident detected via {_spaced(p.via)}{extra}"


def _alert_fired(e, p, w):
    if p.noise:
        return MONITORING, "alert", f"Alert {e.subject} fired (false positive)"
    route = f"routed to policy {p.policy}" if p.policy else "not routed: it pages nobody"
    return MONITORING, "alert", f"Alert {e.subject} fired ({p.severity}), {route}"


def _alert_resolved(e, p, w):
    if p.stale:
        return MONITORING, "alert", f"Alert {e.subject} resolved for want of data: its monitoring is blind"
    return MONITORING, "alert", f"Alert {e.subject} resolved" + (" (false positive dismissed)" if p.noise else "")


def _monitoring_blind(e, p, w):
    return MONITORING, "miss", f"Alert {e.subject} is blind: it depends on {p.service}, which is down"


def _monitoring_restored(e, p, w):
    blind = format_duration(float(p.blind_for)) if p.blind_for is not None else "a while"
    return MONITORING, "alert", f"Alert {e.subject} sees again: it was blind for {blind} while {p.service} was down"


def _escalated(e, p, w):
    return MONITORING, "escalate", f"Policy {p.policy} escalates from level {p.from_level} to level {p.to_level}"


def _page_sent(e, p, w):
    to = e.subject if p.to is None else p.to
    if p.purpose == MANUAL:
        # Someone in the room paged them (a tabletop's escalate): a role says which.
        target = str(p.target or "")
        paged = "paged by hand" + (f" (role {target[len('role:'):]})" if target.startswith("role:") else "")
    else:
        purpose = {Purpose.INCIDENT: f"level {p.level}" if p.level else "incident", Purpose.SEVERITY: str(p.target),
                   Purpose.EXPERT: str(p.target), Purpose.NOISE: "false-positive alert"}.get(p.purpose, str(p.purpose))
        paged = f"paged ({purpose})"
    via = f" via {p.channel}" if p.channel else " — not delivered on any channel"
    away = ", away" if p.away else ""
    return (_person_lane(to), "page",
            f"{w.who(to)} {paged}{via}; {PERIODS.get(p.period, str(p.period))} in {p.timezone}{away}")


def _page_missed(e, p, w):
    reason = MISS_WORDS.get(p.reason, str(p.reason))
    if p.to is not None:
        return _person_lane(p.to), "miss", f"Page to {w.who(p.to)} unanswered: {reason}"
    return MONITORING, "miss", f"Could not page {p.target}: {reason}"


def _by(e, p) -> Any:
    return e.actor if p.by is None else p.by


def _acknowledged(e, p, w):
    if p.present:  # the policy reached someone on the incident already: no page went out
        return _person_lane(_by(e, p)), "ack", f"{w.who(_by(e, p))}, on the incident already, took it at level {p.level}"
    return _person_lane(_by(e, p)), "ack", f"{w.who(_by(e, p))} acknowledged the page"


def _responder_engaged(e, p, w):
    role = _spaced(p.role or "responder")
    skill = f" ({p.skill})" if p.skill else ""
    return _person_lane(_by(e, p)), "engage", f"{w.who(_by(e, p))} engaged as {role}{skill}"


def _diagnosed(e, p, w):
    how = f"with runbook {p.runbook}" if p.runbook else HOW_WORDS.get(p.how, f"by {p.how}")
    return _person_lane(e.actor), "diagnose", f"Cause diagnosed by {w.who(e.actor)} {how}"


def _runbook_started(e, p, w):
    return _person_lane(e.actor), "diagnose", f"Runbook {e.subject} started by {w.who(e.actor)} ({p.steps} steps)"


def _step_finished(e, p, w):
    took = float(p.took or 0.0)
    ok = bool(p.ok)
    n = w.steps.get(p.runbook)
    of = f"/{n}" if n else ""
    attempt = f", attempt {p.attempt}" if p.attempt not in (1, None) else ""
    return (_person_lane(e.actor), "step-ok" if ok else "step-fail",
            f"Step {int(p.step or 0) + 1}{of} of {p.runbook} {'done' if ok else 'failed'} by {w.who(e.actor)} "
            f"after {format_duration(took)}{attempt}: {e.subject}", took)


def _status_update(e, p, w):
    audience = "public" if p.public else "internal"
    # The room's own words, quoted as written (a simulated update has none).
    said = f" — “{p.text}”" if getattr(p, "text", None) else ""
    return (COMMS, "update" if p.public else "update-internal", f"Status update #{p.n} ({audience}): {p.phase}{said}",
            None, _int(p.n))


def _severity_changed(e, p, w):
    was = f" (was {p.was})" if p.was else ""
    who = "the room" if e.actor == ROOM else w.who(e.actor)
    by = f" by {who}" if _person_lane(e.actor) not in (MONITORING, AUTOMATION) else ""
    return _person_lane(e.actor), "milestone", f"Severity declared {p.severity}{by}{was}"


def _notified(e, p, w):
    who = e.subject if p.who is None else p.who
    detection = f"the detection of stage {p.stage}" if p.stage else "detection"
    deadline = f" (deadline {format_duration(float(p.within))} from {detection})" if p.within is not None else ""
    joined = f": {w.who(p.by)} is on the incident" if p.how == "engaged" and p.by else ""
    return COMMS, "notify", f"{_cap(_spaced(who))} notified{deadline}{joined}"


def _contained(e, p, w):
    what = f"Stage {p.stage} of the breach contained" if p.stage else "Breach contained"
    return _person_lane(e.actor), "milestone", what


def _stage_started(e, p, w):
    return IMPACT, "milestone", f"Stage {p.stage} starts: {p.title}"


def _stage_detected(e, p, w):
    how = f"by alert {p.alert}" if p.via == "alert" else f"via {_spaced(p.via)}"
    again = " — the incident was resolved, and is re-opened" if p.reopened else ""
    return MONITORING, "detect", f"Stage {p.stage} detected {how}{again}"


def _restored_data(e, p, w):
    rpo_rto = (f": RPO {format_duration(float(p.rpo))}, RTO {format_duration(float(p.rto))}"
               if p.rpo is not None and p.rto is not None else "")
    part = (f"; it holds {format_share(float(p.covers))} of the data, so {format_share(float(p.lost))} is lost for good"
            if p.covers is not None and p.lost is not None else "")
    return _person_lane(e.actor), "milestone", f"Data restored from the {p.backup} backup{rpo_rto}{part}"


def _mitigated(e, p, w):
    how = f"with runbook {p.runbook}" if p.runbook else "by improvising"
    return _person_lane(e.actor), "milestone", f"Impact mitigated by {w.who(e.actor)} {how}"


def _recovered(e, p, w):
    return IMPACT, "milestone", "Service recovered"


def _resolved(e, p, w):
    return _person_lane(e.actor), "milestone", "Incident resolved"


def _note(e, p, w):
    return _person_lane(e.actor), "note", f"{'Note' if p.gap == Gap.OBSERVATION else 'Gap'}: {p.text}"


def _drill_ended(e, p, w):
    return MONITORING, "milestone", f"Drill ends ({END_WORDS.get(p.reason, p.reason)})"


_WORDING: dict[str, Callable[[Event, Any, _Words], tuple | None]] = {
    "drill_started": _drill_started, "inject": _inject, "fault_applied": _fault_applied,
    "fault_restored": _fault_restored, "impact_started": _impact_started,
    "impact_restored": _impact_restored, "signal": _signal, "detected": _detected,
    "alert_fired": _alert_fired, "alert_resolved": _alert_resolved, "escalated": _escalated,
    "page_sent": _page_sent, "page_missed": _page_missed, "acknowledged": _acknowledged,
    "responder_engaged": _responder_engaged, "diagnosed": _diagnosed, "runbook_started": _runbook_started,
    "step_finished": _step_finished, "status_update": _status_update, "notified": _notified,
    "contained": _contained, "restored_data": _restored_data, "mitigated": _mitigated, "recovered": _recovered,
    "resolved": _resolved, "note": _note, "drill_ended": _drill_ended, "severity_changed": _severity_changed,
    "monitoring_blind": _monitoring_blind, "monitoring_restored": _monitoring_restored,
    "stage_started": _stage_started, "stage_detected": _stage_detected,
}


def _int(v: Any) -> int | None:
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


# -- repeated status updates ---------------------------------------------------------

#: Fewest updates alike in a row that a table gives one line instead of one each.
MIN_REPEATS = 3
#: Events that change what an update is about: a run of updates alike ends at them.
_TURNS = ("mitigated", "restored_data", "contained", "recovered", "resolved")


def update_runs(timeline: Timeline) -> list[tuple[Event, ...]]:
    """The run's status updates in runs of updates alike: the same phase, the same
    audience, the same words (a tabletop's updates carry what the room wrote; each
    text is told), and no milestone (mitigation, data restored, containment,
    recovery) between them. Every update is in exactly one run, in order."""
    runs: list[list[Event]] = []
    current: list[Event] | None = None
    key = None
    for e in timeline.events:
        if e.kind in _TURNS:
            current = None
        elif e.kind == "status_update":
            k = (e.payload.phase, bool(e.payload.public), e.data.get("text"))
            if current is not None and k == key:
                current.append(e)
            else:
                current, key = [e], k
                runs.append(current)
    return [tuple(r) for r in runs]


def cadence(times: list[float]) -> str:
    """How often updates at ``times`` (seconds, at least two) came: ``every 30m``, or
    ``every 28m–31m`` when the gaps differ by more than a second."""
    gaps = [b - a for a, b in zip(times, times[1:])]
    lo, hi = min(gaps), max(gaps)
    if hi - lo <= 1.0:
        return f"every {fmt.duration(round((lo + hi) / 2))}"
    return f"every {fmt.duration(round(lo))}–{fmt.duration(round(hi))}"


def repeated(run: tuple[Event, ...]) -> str:
    """``posted every 30m, 33 times, the last at +16h19m34s`` for a run of updates."""
    times = [e.t for e in run]
    return f"posted {cadence(times)}, {len(run)} times, the last at {fmt.offset(times[-1])}"


def collapse_updates(entries: tuple[Entry, ...] | list[Entry], timeline: Timeline) -> list[Entry]:
    """``entries`` with each run of at least MIN_REPEATS updates alike told in one
    entry at the first update's time (a table reads one line, not thirty)."""
    first_of: dict[int, tuple[Event, ...]] = {}
    folded: set[int] = set()
    for run in folded_runs(timeline):
        ns = [_int(e.payload.n) for e in run]
        first_of[ns[0]] = run  # type: ignore[index]
        folded.update(n for n in ns[1:] if n is not None)
    out = []
    for en in entries:
        if en.kind != "status_update" or en.n is None:
            out.append(en)
        elif en.n in first_of:
            out.append(Entry(en.t, en.kind, en.lane, en.mark, told_run(first_of[en.n]), n=en.n))
        elif en.n not in folded:
            out.append(en)
    return out


def folded_runs(timeline: Timeline) -> list[tuple[Event, ...]]:
    """The runs of updates alike long enough (MIN_REPEATS) to be told in one line."""
    return [r for r in update_runs(timeline) if len(r) >= MIN_REPEATS and None not in (_int(e.payload.n) for e in r)]


def told_run(run: tuple[Event, ...]) -> str:
    """``Status updates #2–#6 (public): monitoring — posted every 30m, 5 times, the last at +2h40m``."""
    p = run[0].payload
    audience = "public" if p.public else "internal"
    return f"Status updates #{p.n}–#{run[-1].payload.n} ({audience}): {p.phase} — {repeated(run)}"


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
