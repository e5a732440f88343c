"""How long a team may stay silent: the status-update cadence of a severity level, by
phase and by how long nothing has changed.

The interval after an update posted in ``phase``, ``since`` seconds after the last
change (the phase began, or a breach was disclosed), is

    max(cadence(phase), min(update_stretch * since, update_max))

so an incident keeps the phase's cadence for its first ``cadence / update_stretch``
seconds, then the interval grows in proportion to the quiet (each update waits a
share of the time since the last change), and never beyond ``update_max``: a phase of
duration D holds at most about ``1/s + ln(s*M/c)/ln(1+s) + D/M`` updates (s the
stretch, M the cap, c the cadence), which bounds a run's updates whatever it lasts.
The simulator posts at these intervals; the scorer judges each silence against the
interval that applied when it began, so both read this one definition.
"""

from __future__ import annotations

from typing import Mapping

from .severity import SeverityLevel

#: The phases an open incident goes through, and the milestone each begins at.
PHASE_STARTS: dict[str, str] = {"investigating": "detected", "identified": "diagnosed", "monitoring": "mitigated"}


def phase_cadence(level: SeverityLevel, phase: str) -> float | None:
    """Seconds between updates in ``phase`` before any stretching; None when the level
    sets no cadence or the incident is resolved."""
    base = level.update_every
    if base is None:
        return None
    identified = level.update_identified if level.update_identified is not None else base
    if phase == "investigating":
        return base
    if phase == "identified":
        return identified
    if phase == "monitoring":
        return level.update_monitoring if level.update_monitoring is not None else 2 * identified
    return None


def update_interval(level: SeverityLevel, phase: str, since: float) -> float | None:
    """Seconds until the next update after one posted in ``phase``, ``since`` seconds
    after the last change; None when no further update is due."""
    cadence = phase_cadence(level, phase)
    if cadence is None:
        return None
    return max(cadence, min(level.update_stretch * max(since, 0.0), level.update_max))


def interval_at(level: SeverityLevel, t: float, milestones: Mapping[str, float | None],
                disclosed: float | None = None) -> tuple[str, float | None]:
    """The phase at ``t`` seconds into a run and the interval that applies to an update
    posted then, from the run's milestones (names of :data:`PHASE_STARTS`' values) and
    the instant a held-back breach was disclosed (None: not held, or not yet)."""
    phase, began = "investigating", milestones.get("detected")
    for name, milestone in PHASE_STARTS.items():
        at = milestones.get(milestone)
        if at is not None and at <= t and (began is None or at >= began):
            phase, began = name, at
    if disclosed is not None and disclosed <= t:
        began = disclosed if began is None else max(began, disclosed)
    return phase, update_interval(level, phase, t - (began if began is not None else t))


__all__ = ["PHASE_STARTS", "interval_at", "phase_cadence", "update_interval"]
