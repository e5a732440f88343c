"""The metrics of one run, as differences of milestones (DESIGN.md's table).

A metric whose end never happened is ``inf`` ("missed"), never zero; one whose start
never happened is None ("not reached": there was nothing to measure from).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

from scenarios import DEFAULT_SEVERITIES, Scenario, SeverityLevel, Team
from scenarios.cadence import interval_at
from scenarios.events import Purpose
from scenarios.night import NIGHT_END, NIGHT_START
from scenarios.night import is_night as _is_night_at
from scenarios.timeline import Event, Timeline

from .definitions import DEFINITIONS, metric_label  # noqa: F401 - metric_label is re-exported
from .stages import stage_values
from .impact import weighted_values

INF = math.inf
NIGHT = (NIGHT_START, NIGHT_END)  # a page in the night of the responder's own zone wakes them (scenarios.night)

#: Metric name -> (label, start milestone, end milestone), in report order; a view of
#: the registry in ``definitions`` kept for the callers that unpack triples.
METRICS: dict[str, tuple[str, str, str]] = {d.name: (d.label, d.start, d.end) for d in DEFINITIONS.values()}
#: The count a run with a partial restore adds: the percent of the data no working backup
#: covered (a share, not a duration, so it sits with the counts; absent otherwise).
LOST_FOR_GOOD = "percent_of_data_lost_for_good"
COUNTS = ("pages_sent", "pages_missed", "escalations", "night_pages", "people_involved", "steps_failed", "noise_alerts")


@dataclass(frozen=True)
class RunMetrics:
    """Metric values in seconds (inf: missed; None: not reached) and counts of one run."""

    values: dict[str, float | None]
    counts: dict[str, int]
    milestones: dict[str, float | None]
    detected_via: str | None
    night_pages_by: dict[str, int] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict, repr=False)  # by kind, in order
    cadence: "CadenceOverrun | None" = None  # the silence that ran longest past its phase's interval


def by_kind(tl: Timeline) -> dict[str, list[Event]]:
    """The run's events grouped by kind, each group in time order (one pass, made once
    per timeline: see :meth:`Timeline.by_kind_and_milestones`; do not change it)."""
    return tl.by_kind_and_milestones()[0]


def measure(tl: Timeline, scenario: Scenario | None = None, team: Team | None = None) -> RunMetrics:
    """Compute every metric and count of one timeline.

    The scenario says which metrics apply (containment for breaches; RPO and RTO for
    data loss; a notification metric per party it names); the team is not needed
    because pages carry the responder's time zone.
    """
    kinds, ms = tl.by_kind_and_milestones()
    ms = dict(ms)  # the run's own: RunMetrics hands it out
    values: dict[str, float | None] = {}
    for name, (_, start, end) in METRICS.items():
        if name in ("longest_silence", "cadence_overrun", "rpo", "rto", "contain"):
            continue
        values[name] = _span(ms[start], ms[end])
    levels = team.severity if team is not None else DEFAULT_SEVERITIES
    level = levels.get(scenario.severity) if scenario is not None else None
    values["longest_silence"] = _longest_silence(tl, ms, kinds["status_update"])
    overrun = cadence_overrun(tl, ms, kinds["status_update"], level, scenario is not None and scenario.kind == "breach")
    if level is not None and level.update_every is not None:
        values["cadence_overrun"] = overrun.overrun if overrun is not None else None
    kind = scenario.kind if scenario else None
    if kind == "breach" or ms["contained"] is not None:
        values["contain"] = _span(ms["detected"], ms["contained"])
    if kind == "data-loss" or ms["restored_data"] is not None:
        restored = kinds["restored_data"][0].payload if kinds["restored_data"] else None
        values["rpo"] = float(restored.rpo) if restored and restored.rpo is not None else (None if ms["impact"] is None else INF)
        values["rto"] = _span(ms["impact"], ms["restored_data"])
    parties = [n.who for n in scenario.breach.notify] if scenario and scenario.breach else []
    for e in kinds["notified"]:
        who = str(e.subject if e.payload.who is None else e.payload.who)
        if who not in parties:
            parties.append(who)
    for who in parties:
        sent = next((e for e in kinds["notified"] if e.payload.who == who), None)
        values[f"notify_{who.replace('-', '_')}"] = _span(ms["detected"], sent.t if sent else None)
    if kinds.get("stage_started") or kinds.get("stage_detected"):  # an incident in stages
        values.update(stage_values(kinds, scenario))
    values.update(weighted_values(scenario, tl))  # partial and staged impact: share x time
    counts, night_by = _counts(tl, kinds)
    restored = kinds["restored_data"][0].payload if kinds["restored_data"] else None
    if restored is not None and restored.lost is not None:  # a backup that covers only part of the data
        counts[LOST_FOR_GOOD] = round(float(restored.lost) * 100, 3)  # type: ignore[assignment]
    detected = kinds["detected"][0].payload if kinds["detected"] else None
    return RunMetrics(values, counts, ms, str(detected.via) if detected else None, night_by, kinds, overrun)


def _span(start: float | None, end: float | None) -> float | None:
    if start is None:
        return None
    if end is None:
        return INF
    return round(max(0.0, end - start), 3)  # event times are whole milliseconds


def _marks(tl: Timeline, ms: dict[str, float | None], updates: list[Event]) -> list[float]:
    """Detection, every update while the incident was open, and its close (resolution,
    or the end of the drill if it was never resolved): the silences lie between."""
    close = ms["resolved"] if ms["resolved"] is not None else tl.duration
    return [ms["detected"], *(e.t for e in updates if e.t <= close), close]


def _longest_silence(tl: Timeline, ms: dict[str, float | None], updates: list[Event]) -> float | None:
    """The longest stretch without a status update while the incident was open, in real
    seconds: from detection to the first update, between updates, and from the last
    update to resolution (or to the end of the drill if it was never resolved)."""
    if ms["detected"] is None:
        return None
    marks = _marks(tl, ms, updates)
    return round(max((b - a for a, b in zip(marks, marks[1:])), default=0.0), 3)


@dataclass(frozen=True)
class CadenceOverrun:
    """The silence that ran longest past the interval that applied to it: seconds past
    it, the phase it began in, the interval, and the silence itself."""

    overrun: float
    phase: str
    interval: float
    silence: float


#: Event times are whole milliseconds: a silence within 2ms of its interval kept it.
CADENCE_TOLERANCE = 0.002


def cadence_overrun(tl: Timeline, ms: dict[str, float | None], updates: list[Event],
                    level: SeverityLevel | None, breach: bool = False) -> CadenceOverrun | None:
    """Each silence judged against the interval that applied when it began
    (``scenarios.cadence.interval_at``: its phase, the time since the last change, and a
    breach's updates held until disclosure): the worst, by seconds past its interval.
    None when the level sets no cadence or nothing was detected; an overrun of 0 when
    every silence kept its interval."""
    if ms["detected"] is None or level is None or level.update_every is None:
        return None
    held = breach and level.public_update and level.breach_public == "at-disclosure"
    disclosed = next((e.t for e in updates if e.payload.public is True), None) if held else None
    marks = _marks(tl, ms, updates)
    worst: CadenceOverrun | None = None
    for a, b in zip(marks, marks[1:]):
        phase, interval = interval_at(level, a, ms, disclosed)
        allowed = interval or level.update_every
        past = round(b - a - allowed, 3)  # whole milliseconds, so the tolerance compares exactly
        past = 0.0 if past <= CADENCE_TOLERANCE else past
        if worst is None or past > worst.overrun:
            worst = CadenceOverrun(past, phase, allowed, round(b - a, 3))
    return worst


def _counts(tl: Timeline, kinds: dict[str, list[Event]]) -> tuple[dict[str, int], dict[str, int]]:
    noise = Purpose.NOISE  # an enum member's lookup costs more than a local's, and this runs per event
    pages = [e for e in kinds["page_sent"] if e.payload.purpose != noise]
    night_by: dict[str, int] = {}
    for e in pages:
        p = e.payload
        if isinstance(p.timezone, str) and is_night(tl, e.t, p.timezone):
            who = str(e.subject if p.to is None else p.to)
            night_by[who] = night_by.get(who, 0) + 1
    # Who acknowledged or engaged (a step's doer is one of them: steps carry no ``by``).
    people = {str(e.payload.by) for kind in ("acknowledged", "responder_engaged") for e in kinds[kind]
              if e.payload.by not in (None, "automation")}
    counts = {
        "pages_sent": len(pages),
        "pages_missed": sum(1 for e in kinds["page_missed"] if e.payload.purpose != noise),
        "escalations": len(kinds["escalated"]),
        "night_pages": sum(night_by.values()),
        "people_involved": len(people),
        "steps_failed": sum(1 for e in kinds["step_finished"] if e.payload.ok is False),
        "noise_alerts": sum(1 for e in kinds["alert_fired"] if e.payload.noise is True),
    }
    return counts, night_by


def is_night(tl: Timeline, t: float, tz: str) -> bool:
    """Whether ``t`` seconds into the drill is in the night (22:00–07:00) in ``tz``."""
    return _is_night_at(tl.started_at + timedelta(seconds=t), tz)
