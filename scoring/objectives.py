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
#: Severity-level field -> the metric it judges.
SEVERITY_OBJECTIVES: dict[str, str] = {"ack": "tta", "mitigate": "ttm", "update_every": "longest_silence"}


@dataclass(frozen=True)
class Objective:
    """A target for one metric, in seconds, and where it comes from."""

    key: str
    metric: str
    target: float
    source: str

    @property
    def label(self) -> str:
        return f"{metric_label(self.metric)} within {format_duration(self.target)}"


@dataclass(frozen=True)
class Outcome:
    """How one run did against one objective."""

    objective: Objective
    value: float | None
    status: Status

    @property
    def ratio(self) -> float | None:
        """Value over target (1.0 = exactly on target); inf when never reached."""
        if self.value is None:
            return None
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
            if target is not None and not any(o.metric == metric and o.target == target for o in out):
                out.append(Objective(f"severity.{field}", metric, target, f"severity {scenario.severity}"))
    if scenario.breach:
        for n in scenario.breach.notify:
            metric = f"notify_{n.who.replace('-', '_')}"
            if not any(o.metric == metric and o.target == n.within for o in out):
                out.append(Objective(f"breach.notify.{n.who}", metric, n.within, "breach deadline"))
    return out


def judge(objective: Objective, value: float | None) -> Outcome:
    """Met when the metric's end came within the target; missed when it came later or
    never; not reached when its start never happened."""
    if value is None:
        return Outcome(objective, None, "not reached")
    return Outcome(objective, value, "met" if value <= objective.target else "missed")
