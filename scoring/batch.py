"""Many runs: distributions of every metric, the share of runs meeting each objective,
and the per-run evidence the gap rules cite. Streams: each timeline is scored and
dropped, keeping a few numbers per run."""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Sequence

import numpy as np

from scenarios import Scenario, Team
from scenarios.timeline import Timeline

from .objectives import Objective
from .ratings import CAPABILITIES, ORDER, Rating
from .run_score import RunScore, RunScorer
from .scorecard import Scorecard
from .stats import Interval, Summary, share_interval, summarize

#: The version of :meth:`BatchFold.state`'s shape: a kept fold of another version is not used.
#: 2: counts are written as doubles (version 1 wrote integers, and cut a share of data
#: lost for good, 37.5%, to 37).
FOLD_VERSION = 2


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
    scorer = RunScorer(scenario, team)
    fold = BatchFold(scorer)
    for tl in timelines:
        card = scorer.card(tl)
        fold.add(scorer.keep(tl, card), card)
    return fold.result()


class BatchFold:
    """Adds runs' scores up, in run order, into a :class:`BatchScore`: the same scores
    in the same order give the same batch wherever they were made."""

    def __init__(self, scorer: RunScorer):
        self.objectives = scorer.objectives
        self.scenario = scorer.scenario.id
        # Every run's values, in run order, as doubles (8 bytes each, where a list of
        # floats takes 32): a batch of 100,000 runs keeps about 12 MB here, not 48.
        self.values: dict[str, array] = defaultdict(_doubles)
        self.counts: dict[str, array] = defaultdict(_doubles)
        # Per objective, by position: hashing an Objective (a dataclass of tuples) for
        # every run cost more than the rest of the fold. Equal objectives share one
        # slot, as they shared a key when counted by value.
        self._slots = [self.objectives.index(o) for o in self.objectives]
        n = len(self.objectives)
        self.met = [0] * n
        self.by_rating: list[Counter] = [Counter() for _ in range(n)]
        self.never, self.not_reached = [0] * n, [0] * n
        self.ratings: dict[str, Counter] = defaultdict(Counter)
        self.verdicts: Counter = Counter()
        self.evidence = Evidence()
        self.first: Scorecard | None = None

    def add(self, run: RunScore, card: Scorecard | None = None) -> None:
        """Count one run; ``card`` is its full scorecard, needed for the first run only
        (the run a single-run report tells)."""
        if self.first is None:
            if card is None:
                raise ValueError("the first run of a batch needs its scorecard")
            self.first = card
        if len(run.outcomes) != len(self._slots):
            raise ValueError(f"a run judged against {len(run.outcomes)} objectives, not the batch's {len(self._slots)}")
        for name, v in run.values.items():
            self.values[name].append(math.inf if v is None else v)
        for name, c in run.counts.items():
            self.counts[name].append(float(c))
        met, by_rating, not_reached_, never_ = self.met, self.by_rating, self.not_reached, self.never
        for slot, (status, rating, not_reached, never) in zip(self._slots, run.outcomes):
            met[slot] += status == "met"
            by_rating[slot][rating] += 1
            not_reached_[slot] += not_reached
            never_[slot] += never
        for capability, rating in run.ratings:
            self.ratings[capability][rating] += 1
        if run.verdict is not None:
            self.verdicts[run.verdict] += 1
        _gather(self.evidence, run)

    def state(self) -> dict:
        """Everything the fold has counted (not the first run's scorecard), as JSON
        values but for each metric's and count's per-run values: the fold's own array
        of doubles (inf: missed), not copied into a list of floats four times its size,
        which the writer of the JSON text writes null for inf. :meth:`restore` gives back a fold
        whose :meth:`result` is the same, from this state or from its JSON; orders are
        kept, so whatever the batch lists comes out in the order it would have."""
        ev = self.evidence
        return {
            "values": dict(self.values),
            "counts": dict(self.counts),
            "met": self.met, "never": self.never, "not_reached": self.not_reached,
            "by_rating": [dict(c) for c in self.by_rating],
            "ratings": {c: dict(r) for c, r in self.ratings.items()},
            "verdicts": dict(self.verdicts),
            "evidence": {
                "runs": ev.runs,
                "earliest_start": ev.earliest_start.isoformat() if ev.earliest_start else None,
                "detected_by": dict(ev.detected_by), "night_pages_by": dict(ev.night_pages_by),
                # hours are keys JSON would turn into text: pairs keep them numbers
                "late_ack_by_hour": list(ev.late_ack_by_hour.items()), "pages_by_hour": list(ev.pages_by_hour.items()),
                "no_public_update": ev.no_public_update, "noise_alerts": ev.noise_alerts,
                "notify_late": dict(ev.notify_late), "silence_over_cadence": ev.silence_over_cadence,
                "worst_overrun": ev.worst_overrun, "nobody_acknowledged": ev.nobody_acknowledged,
                "blind_runs": dict(ev.blind_runs), "blind_seconds": dict(ev.blind_seconds),
                "stage_started": dict(ev.stage_started), "stage_late": dict(ev.stage_late),
                "collateral": [[list(key), _nulls(took)] for key, took in ev.collateral.items()],
            },
        }

    @classmethod
    def restore(cls, scorer: RunScorer, state: dict, first: Scorecard) -> "BatchFold":
        """The fold :meth:`state` wrote, with ``first`` as its first run's scorecard.
        Raises ValueError (or KeyError, TypeError) for a state of another shape or of
        another number of objectives than ``scorer`` judges by."""
        fold = cls(scorer)
        n = len(fold.met)
        if any(len(state[k]) != n for k in ("met", "never", "not_reached", "by_rating")):
            raise ValueError(f"a batch judged against other objectives than these {n}")
        fold.first = first
        fold.values.update({k: array("d", _infs(v)) for k, v in state["values"].items()})
        fold.counts.update({k: array("d", map(float, v)) for k, v in state["counts"].items()})
        fold.met, fold.never, fold.not_reached = ([int(x) for x in state[k]] for k in ("met", "never", "not_reached"))
        fold.by_rating = [Counter(c) for c in state["by_rating"]]
        fold.ratings.update({c: Counter(r) for c, r in state["ratings"].items()})
        fold.verdicts.update(state["verdicts"])
        d, ev = state["evidence"], fold.evidence
        ev.runs = int(d["runs"])
        ev.earliest_start = datetime.fromisoformat(d["earliest_start"]) if d["earliest_start"] else None
        for name in ("detected_by", "night_pages_by", "notify_late", "blind_runs", "stage_started", "stage_late"):
            getattr(ev, name).update(d[name])
        ev.late_ack_by_hour.update({int(h): int(n) for h, n in d["late_ack_by_hour"]})
        ev.pages_by_hour.update({int(h): int(n) for h, n in d["pages_by_hour"]})
        ev.no_public_update, ev.noise_alerts = int(d["no_public_update"]), int(d["noise_alerts"])
        ev.silence_over_cadence, ev.nobody_acknowledged = int(d["silence_over_cadence"]), int(d["nobody_acknowledged"])
        w = d["worst_overrun"]
        ev.worst_overrun = None if w is None else (float(w[0]), w[1], float(w[2]))
        ev.blind_seconds.update({a: [float(x) for x in v] for a, v in d["blind_seconds"].items()})
        ev.collateral.update({tuple(key): _infs(took) for key, took in d["collateral"]})
        if any(len(v) != ev.runs for v in (*fold.values.values(), *fold.counts.values())):
            raise ValueError(f"a batch of {ev.runs} runs with another number of values")
        return fold

    def result(self) -> BatchScore:
        """The batch so far. Raises ValueError for no runs."""
        if self.first is None:
            raise ValueError("no runs to score")
        ev, objs = self.evidence, self.objectives
        # The columns themselves, not a copy: result() is the fold's last step (appending
        # after it raises BufferError rather than changing what a score holds).
        samples = {k: _read_only(np.frombuffer(v, dtype=float)) for k, v in self.values.items()}
        return BatchScore(
            scenario=self.scenario,
            runs=ev.runs,
            metrics={k: summarize(v) for k, v in samples.items()},
            objectives=tuple(ObjectiveShare(o, self.met[i], ev.runs, share_interval(self.met[i], ev.runs),
                                            {r: self.by_rating[i][r] for r in ORDER}, self.never[i], self.not_reached[i])
                             for o, i in zip(objs, self._slots)),
            ratings={c: {r: self.ratings[c][r] for r in ORDER} for c in CAPABILITIES if c in self.ratings},
            verdicts={r: self.verdicts[r] for r in ORDER},
            counts={k: summarize(np.array(v)) for k, v in self.counts.items()},
            evidence=ev,
            first=self.first,
            samples=samples,
        )


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _doubles() -> array:
    return array("d")


def _nulls(values: Sequence[float]) -> list[float | None]:
    return [None if math.isinf(v) else v for v in values]


def _infs(values: Sequence[float | None]) -> list[float]:
    return [math.inf if v is None else float(v) for v in values]


def _gather(ev: Evidence, run: RunScore) -> None:
    ev.runs += 1
    if ev.earliest_start is None or run.started_at < ev.earliest_start:
        ev.earliest_start = run.started_at
    ev.detected_by[run.detected_via] += 1
    ev.night_pages_by.update(run.night_pages_by)
    if run.page_hour is not None:
        ev.pages_by_hour[run.page_hour] += 1
        if run.late_ack:
            ev.late_ack_by_hour[run.page_hour] += 1
    ev.no_public_update += run.no_public_update
    ev.noise_alerts += run.counts["noise_alerts"]
    for party in run.notify_late:
        ev.notify_late[party] += 1
    ev.silence_over_cadence += run.silence_over_cadence
    if run.overrun is not None and (ev.worst_overrun is None or run.overrun[0] > ev.worst_overrun[0]):
        ev.worst_overrun = run.overrun
    ev.nobody_acknowledged += run.nobody_acknowledged
    for key, took in run.collateral:
        ev.collateral[key].append(took)
    for alert, seconds in run.blind:
        ev.blind_runs[alert] += 1
        ev.blind_seconds[alert].append(seconds)
    for stage, late in run.stages:
        ev.stage_started[stage] += 1
        if late:
            ev.stage_late[stage] += 1
