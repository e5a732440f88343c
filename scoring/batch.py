"""Many runs: distributions of every metric, the share of runs meeting each objective,
and the per-run evidence the gap rules cite. Streams: each timeline is scored and
dropped, keeping a few numbers per run."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

import numpy as np

from scenarios import Scenario, Team
from scenarios.common import zone
from scenarios.timeline import Timeline

from .objectives import Objective, objectives_for
from .impact import collateral
from .ratings import CAPABILITIES, ORDER, Rating, rate_outcome
from .scorecard import Scorecard, score
from .stages import gather_stages
from .stats import Interval, Summary, share_interval, summarize


@dataclass
class Evidence:
    """Per-run facts the gap rules need, gathered while streaming."""

    runs: int = 0
    earliest_start: datetime | None = None  # rotation scans of the gap rules begin here
    detected_by: Counter = field(default_factory=Counter)  # alert / customer-report / … / never
    night_pages_by: Counter = field(default_factory=Counter)  # member -> night pages over all runs
    late_ack_by_hour: Counter = field(default_factory=Counter)  # local hour of first page -> runs acked late
    pages_by_hour: Counter = field(default_factory=Counter)  # local hour of first page -> runs
    no_public_update: int = 0
    noise_alerts: int = 0
    notify_late: Counter = field(default_factory=Counter)  # party -> runs late or never
    silence_over_cadence: int = 0  # runs where a silence ran past its phase's cadence
    worst_overrun: tuple[float, str, float] | None = None  # (seconds past, phase, its cadence) over all runs
    nobody_acknowledged: int = 0
    blind_runs: Counter = field(default_factory=Counter)  # alert -> runs in which its monitoring went blind
    blind_seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # alert -> blind spans
    stage_started: Counter = field(default_factory=Counter)  # stage -> runs it started in
    stage_late: Counter = field(default_factory=Counter)  # stage -> runs it went undetected, or past a deadline
    #: impact the response caused: (action, service, kind, share, of) -> its duration in each run it happened
    collateral: dict = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True)
class ObjectiveShare:
    """How many runs met an objective, and how the others did."""

    objective: Objective
    met: int
    runs: int
    interval: Interval
    runs_by_rating: dict[Rating, int] = field(default_factory=dict)  # rating -> runs (all ratings, zeros too)
    never: int = 0  # runs whose milestone never happened
    not_reached: int = 0  # runs where the metric's start never happened

    @property
    def share(self) -> float:
        return self.met / self.runs


@dataclass(frozen=True)
class BatchScore:
    """The judgement of a Monte Carlo batch (or of any set of runs)."""

    scenario: str
    runs: int
    metrics: dict[str, Summary]
    objectives: tuple[ObjectiveShare, ...]
    ratings: dict[str, dict[str, int]]  # capability -> rating -> runs
    verdicts: dict[Rating, int]  # the overall rating of each run -> runs
    counts: dict[str, Summary]
    evidence: Evidence
    first: Scorecard  # the first run, for a single-run report
    samples: dict[str, np.ndarray]  # metric -> its value in each run (inf: missed), for charts and the log


def score_many(timelines: Iterable[Timeline], scenario: Scenario, team: Team | None = None) -> BatchScore:
    """Score every timeline, keeping only numbers (a few floats a run). Raises
    ValueError for no runs."""
    objs = objectives_for(scenario, team)
    level = (team.severity if team else {}).get(scenario.severity)
    values: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, list[float]] = defaultdict(list)
    met = Counter()
    by_rating: dict[Objective, Counter] = defaultdict(Counter)
    never, not_reached = Counter(), Counter()
    ratings: dict[str, Counter] = defaultdict(Counter)
    verdicts: Counter = Counter()
    ev = Evidence()
    first: Scorecard | None = None
    ack_target = next((o.target for o in objs if o.metric == "tta"), None)
    tz = team.timezone if team else "UTC"
    for tl in timelines:
        card = score(tl, scenario, team, objs)
        first = first or card
        ev.runs += 1
        for name, v in card.metrics.values.items():
            values[name].append(math.inf if v is None else v)
        for name, c in card.metrics.counts.items():
            counts[name].append(float(c))
        for o in card.outcomes:
            met[o.objective] += o.status == "met"
            by_rating[o.objective][rate_outcome(o)] += 1
            not_reached[o.objective] += o.value is None
            never[o.objective] += o.value is not None and math.isinf(o.value)
        for r in card.ratings:
            ratings[r.capability][r.rating] += 1
        if card.verdict is not None:
            verdicts[card.verdict] += 1
        _gather(ev, tl, card, ack_target, tz, level)
        if scenario.stages:
            gather_stages(ev, card.metrics.events, scenario)
    if first is None:
        raise ValueError("no runs to score")
    samples = {k: np.array(v) for k, v in values.items()}
    return BatchScore(
        scenario=scenario.id,
        runs=ev.runs,
        metrics={k: summarize(v) for k, v in samples.items()},
        objectives=tuple(ObjectiveShare(o, met[o], ev.runs, share_interval(met[o], ev.runs),
                                        {r: by_rating[o][r] for r in ORDER}, never[o], not_reached[o]) for o in objs),
        ratings={c: {r: ratings[c][r] for r in ORDER} for c in CAPABILITIES if c in ratings},
        verdicts={r: verdicts[r] for r in ORDER},
        counts={k: summarize(np.array(v)) for k, v in counts.items()},
        evidence=ev,
        first=first,
        samples=samples,
    )


def _gather(ev: Evidence, tl: Timeline, card: Scorecard, ack_target: float | None, tz: str, level) -> None:
    if ev.earliest_start is None or tl.started_at < ev.earliest_start:
        ev.earliest_start = tl.started_at
    ev.detected_by[card.metrics.detected_via or "never"] += 1
    ev.night_pages_by.update(card.metrics.night_pages_by)
    kinds = card.metrics.events
    paged = card.metrics.milestones["paged"]  # the first attempt, where TTA counts from
    if paged is not None:
        hour = (tl.started_at + timedelta(seconds=paged)).astimezone(zone(tz)).hour
        ev.pages_by_hour[hour] += 1
        tta = card.metrics.values.get("tta")
        if ack_target is not None and tta is not None and tta > ack_target:
            ev.late_ack_by_hour[hour] += 1
    if level is not None and level.public_update and card.metrics.milestones["detected"] is not None \
            and not any(e.payload.public is True for e in kinds["status_update"]):
        ev.no_public_update += 1
    ev.noise_alerts += card.metrics.counts["noise_alerts"]
    for o in card.outcomes:
        if o.objective.metric.startswith("notify_") and o.status != "met":
            ev.notify_late[o.objective.metric[7:]] += 1
        if o.objective.metric == "cadence_overrun" and o.status == "missed":
            ev.silence_over_cadence += 1
    gap = card.metrics.cadence
    if gap is not None and gap.overrun > 0 and (ev.worst_overrun is None or gap.overrun > ev.worst_overrun[0]):
        ev.worst_overrun = (gap.overrun, gap.phase, gap.interval)
    if card.metrics.milestones["paged"] is not None and card.metrics.milestones["acknowledged"] is None:
        ev.nobody_acknowledged += 1
    if kinds["impact_started"] and any(e.payload.caused_by is not None for e in kinds["impact_started"]):
        for key, took in collateral(tl).items():
            ev.collateral[key].append(took)
    if kinds["monitoring_blind"]:
        _gather_blind(ev, kinds, tl.duration)


def _gather_blind(ev: Evidence, kinds, end: float) -> None:
    """How long each rule was blind: to its ``monitoring_restored``, else to the drill's end."""
    back = {e.subject: float(e.payload.blind_for) for e in kinds["monitoring_restored"]}
    for e in kinds["monitoring_blind"]:
        ev.blind_runs[e.subject] += 1
        ev.blind_seconds[e.subject].append(back.get(e.subject, max(0.0, end - e.t)))
