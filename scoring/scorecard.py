"""The scorecard of one run: metrics, objectives met or missed, capability ratings."""

from __future__ import annotations

from dataclasses import dataclass

from scenarios import Scenario, Team
from scenarios.timeline import Timeline

from .metrics import RunMetrics, measure
from .objectives import Objective, Outcome, judge, objectives_for
from .ratings import CapabilityRating, Rating, overall, rate


@dataclass(frozen=True)
class Scorecard:
    """Everything judged about one run."""

    timeline: Timeline
    metrics: RunMetrics
    outcomes: tuple[Outcome, ...]
    ratings: tuple[CapabilityRating, ...]
    verdict: Rating | None

    @property
    def missed(self) -> list[Outcome]:
        """Objectives not met (missed or not reached)."""
        return [o for o in self.outcomes if o.status != "met"]


def score(timeline: Timeline, scenario: Scenario, team: Team | None = None,
          objectives: list[Objective] | None = None) -> Scorecard:
    """Score one timeline against the scenario's and the severity policy's objectives."""
    m = measure(timeline, scenario, team)
    objs = objectives if objectives is not None else objectives_for(scenario, team)
    cadence = m.cadence.interval if m.cadence is not None else None
    outcomes = tuple(judge(o, m.values.get(o.metric), cadence if o.metric == "cadence_overrun" else None) for o in objs)
    ratings = tuple(rate(list(outcomes)))
    return Scorecard(timeline, m, outcomes, ratings, overall(list(ratings)))
