"""Per-stage figures of a run of a scenario with ``stages`` (see ``simulator.stages``):
when each stage started, was detected and was contained, and the notification
metrics of parties whose notification concerns a stage, counted from that stage's
detection. Runs of a scenario without stages get none of these."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scenarios import Scenario
from scenarios.timeline import Event

from .definitions import NOTIFY_PREFIX, STAGE_CONTAIN_PREFIX, STAGE_DWELL_PREFIX


@dataclass(frozen=True)
class StageTimes:
    """One stage in one run: seconds since the drill started (None: never)."""

    stage: str
    started: float | None
    detected: float | None
    contained: float | None
    reopened: bool = False


def metric_key(prefix: str, stage: str) -> str:
    """``stage_dwell_`` + ``vault-theft`` -> ``stage_dwell_vault_theft``."""
    return prefix + stage.replace("-", "_")


def stage_times(kinds: dict[str, list[Event]], scenario: Scenario | None) -> list[StageTimes]:
    """Each stage's times, in the scenario's order (else the order the run met them)."""
    order = [s.id for s in scenario.stages] if scenario is not None else []
    started = {str(e.payload.stage): e.t for e in kinds.get("stage_started", [])}
    detected: dict[str, Event] = {}
    for e in kinds.get("stage_detected", []):
        detected.setdefault(str(e.payload.stage), e)
    contained: dict[str, float] = {}
    for e in kinds.get("contained", []):
        if e.payload.stage is not None:
            contained.setdefault(str(e.payload.stage), e.t)
    for sid in [*started, *detected]:
        if sid not in order:
            order.append(sid)
    return [StageTimes(sid, started.get(sid), detected[sid].t if sid in detected else None, contained.get(sid),
                       bool(detected[sid].payload.reopened) if sid in detected else False) for sid in order]


def _span(start: float | None, end: float | None) -> float | None:
    if start is None:
        return None
    if end is None:
        return math.inf
    return round(max(0.0, end - start), 3)


def stage_values(kinds: dict[str, list[Event]], scenario: Scenario | None) -> dict[str, float | None]:
    """The per-stage metrics of one run, and the notification metrics of the parties
    whose notification concerns a stage: from the stage's detection to the party told;
    missed when the stage started and was never detected (its data was taken and nobody
    was told), not reached when the stage never started."""
    stages = stage_times(kinds, scenario)
    if not stages:
        return {}
    by_id = {s.stage: s for s in stages}
    breach = scenario is not None and (scenario.kind == "breach" or scenario.breach is not None)
    out: dict[str, float | None] = {}
    for s in stages:
        out[metric_key(STAGE_DWELL_PREFIX, s.stage)] = _span(s.started, s.detected)
        if breach:
            out[metric_key(STAGE_CONTAIN_PREFIX, s.stage)] = _span(s.detected, s.contained)
    tied = {n.who: n.stage for n in scenario.breach.notify if n.stage is not None} if scenario and scenario.breach else {}
    for who, sid in tied.items():
        st = by_id.get(sid)
        sent = next((e.t for e in kinds.get("notified", []) if e.payload.who == who), None)
        if st is None or st.started is None:
            value = None if sent is None else 0.0
        elif st.detected is None:
            value = math.inf
        else:
            value = _span(st.detected, sent)
        out[NOTIFY_PREFIX + who.replace("-", "_")] = value
    return out


def late_after(scenario: Scenario, stage: str) -> float | None:
    """The shortest deadline of the notifications that concern ``stage`` (seconds), or
    None: a stage found later than that after it started was found after the deadline
    would have passed, had the clock started when the data was taken."""
    notes = scenario.breach.notify if scenario.breach else []
    return min((float(n.within) for n in notes if n.stage == stage), default=None)

