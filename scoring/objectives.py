"""Objectives a run is judged against: the scenario's own, the severity policy's, and
the breach notification deadlines. Each is met, missed, or not reached."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scenarios import DEFAULT_SEVERITIES, Scenario, Team, format_duration

from .metrics import metric_label

Status = Literal["met", "missed", "not reached"]

#: Scenario ``objectives`` field -> the metric it judges.
SCENARIO_OBJECTIVES: dict[str, str] = {
    "detect": "ttd", "acknowledge": "tta", "engage": "engage", "first_update": "first_update",
    "mitigate": "ttm", "recover": "ttr", "contain": "contain", "notify_regulator": "notify_regulator",
    "notify_customers": "notify_customers", "rpo": "rpo", "rto": "rto",
}
#: Severity-level field -> the metric it judges. ``update_every`` sets the phase
#: cadence, so it is judged as ``cadence_overrun`` within 0: every silence kept the
#: interval of its phase (the longest silence itself is shown as information).
SEVERITY_OBJECTIVES: dict[str, str] = {"ack": "tta", "mitigate": "ttm", "update_every": "cadence_overrun"}
#: Metrics whose severity objective is a target of 0 rather than the field's value.
ZERO_TARGET = frozenset({"cadence_overrun"})


@dataclass(frozen=True)
class Objective:
    """A target for one metric, in seconds, and where it comes from."""

    key: str
    metric: str
    target: float
    source: str

    @property
    def label(self) -> str:
        if self.metric == "cadence_overrun" and self.target == 0:
            return "status updates within the phase cadence"
        return f"{metric_label(self.metric)} within {format_duration(self.target)}"


@dataclass(frozen=True)
class Outcome:
    """How one run did against one objective."""

    objective: Objective
    value: float | None
    status: Status
    scale: float | None = None  # a zero target's yardstick: the interval a cadence overrun ran past

    @property
    def ratio(self) -> float | None:
        """Value over target (1.0 = exactly on target); inf when never reached. A cadence
        overrun is rated by its silence over the interval it ran past (1.5: half as
        long again as the phase's cadence)."""
        if self.value is None:
            return None
        if self.objective.target == 0 and self.scale:
            return (self.scale + self.value) / self.scale
        if self.objective.target == 0:
            return 1.0 if self.value == 0 else math.inf
        return self.value / self.objective.target


def objectives_for(scenario: Scenario, team: Team | None) -> list[Objective]:
    """Every objective that applies, scenario first, then severity policy, then breach
    deadlines; a severity target equal to a scenario target for the same metric is
    not repeated."""
    out: list[Objective] = []
    for field, metric in SCENARIO_OBJECTIVES.items():
        target = getattr(scenario.objectives, field)
        if target is not None:
            out.append(Objective(field, metric, target, "scenario"))
    levels = team.severity if team else DEFAULT_SEVERITIES
    level = levels.get(scenario.severity)
    if level is not None:
        for field, metric in SEVERITY_OBJECTIVES.items():
            target = getattr(level, field)
            if target is not None and metric in ZERO_TARGET:
                target = 0.0
            if target is not None and not any(o.metric == metric and o.target == target for o in out):
                out.append(Objective(f"severity.{field}", metric, target, f"severity {scenario.severity}"))
    if scenario.breach:
        for n in scenario.breach.notify:
            metric = f"notify_{n.who.replace('-', '_')}"
            if not any(o.metric == metric and o.target == n.within for o in out):
                out.append(Objective(f"breach.notify.{n.who}", metric, n.within, "breach deadline"))
    return out


def judge(objective: Objective, value: float | None, scale: float | None = None) -> Outcome:
    """Met when the metric's end came within the target; missed when it came later or
    never; not reached when its start never happened. ``scale``: see ``Outcome.scale``."""
    if value is None:
        return Outcome(objective, None, "not reached", scale)
    return Outcome(objective, value, "met" if value <= objective.target else "missed", scale)
