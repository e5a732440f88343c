"""The verdict of a batch: each objective, capability and the drill rated by what the
required share of runs achieved (:func:`scoring.ratings.share_rating`), and beside it
the worst single run as a tail, in words every format prints alike
("1 of 1,000 runs never recovered")."""

from __future__ import annotations

from dataclasses import dataclass

from scenarios import format_duration

from .batch import BatchScore, ObjectiveShare
from .metrics import METRICS, metric_label
from .ratings import CAPABILITIES, ORDER, SOME_CHALLENGES_RATIO, Rating, share_rating, worst

#: Metric -> what a run did not do when its milestone never happened ("never …").
NEVER: dict[str, str] = {
    "ttd": "detected the incident", "tta": "acknowledged a page", "engage": "engaged a responder",
    "ttm": "mitigated", "ttr": "recovered", "first_update": "posted a status update",
    "contain": "contained the breach", "rpo": "restored the data", "rto": "restored the data",
}
#: Start milestone -> what a run did not do when a metric had nothing to measure from.
NEVER_STARTED: dict[str, str] = {"impact": "had impact", "paged": "paged anyone", "detected": "detected the incident"}
#: Reasons a tail names at most; the rest are counted.
MAX_REASONS = 3


@dataclass(frozen=True)
class Tail:
    """The worst single run: its rating, how many runs share it, and why, in words."""

    rating: Rating
    runs: int
    of: int
    text: str


@dataclass(frozen=True)
class ObjectiveVerdict:
    share: ObjectiveShare
    rating: Rating
    worst_run: Tail


@dataclass(frozen=True)
class CapabilityVerdict:
    capability: str
    rating: Rating
    worst_run: Tail
    objectives: tuple[ObjectiveVerdict, ...]


@dataclass(frozen=True)
class Verdict:
    """A batch judged at ``require_share``; ``rating`` is None when nothing was rated."""

    require_share: float
    rating: Rating | None
    worst_run: Tail | None
    objectives: tuple[ObjectiveVerdict, ...]
    capabilities: tuple[CapabilityVerdict, ...]


def _runs(n: int, of: int) -> str:
    if of == 1:
        return "the run"
    return f"{n:,} of {of:,} runs"


def _never(metric: str) -> str:
    if metric.startswith("notify_"):
        return f"notified {metric[7:].replace('_', ' ')}"
    return NEVER.get(metric, f"reached the end of {metric_label(metric)}")


def _never_started(metric: str) -> str:
    start = METRICS[metric][1] if metric in METRICS else "detected"
    return f"never {NEVER_STARTED.get(start, start)}, so {metric_label(metric)} could not start"


def _reasons(s: ObjectiveShare, rating: Rating, *, named: bool = True) -> list[tuple[int, str]]:
    """(runs, what they did) for the runs of ``s`` rated ``rating``; ``named`` says which
    objective (beside a capability or the verdict, not beside the objective itself)."""
    o = s.objective
    n = s.runs_by_rating.get(rating, 0)
    if rating == "P":
        return [(n, f"met {o.label}")]
    if rating == "U":
        parts = [(s.never, f"never {_never(o.metric)}"), (s.not_reached, _never_started(o.metric))]
        return [(k, what) for k, what in parts if k]
    limit = format_duration(o.target * SOME_CHALLENGES_RATIO)
    ratio = f"{SOME_CHALLENGES_RATIO:g}x"
    if o.metric == "cadence_overrun":  # rated by the silence over its phase's interval (Outcome.ratio)
        bound = "up to" if rating == "S" else "over"
        return [(n, (f"missed {o.label}, with " if named else "had ") + f"a silence of {bound} {ratio} its phase's cadence")]
    if not named:
        return [(n, f"took up to {ratio} the target ({limit} at most)" if rating == "S"
                 else f"took over {ratio} the target (over {limit})")]
    if rating == "S":
        return [(n, f"missed {o.label}, by at most {ratio} (up to {limit})")]
    return [(n, f"missed {o.label} by more than {ratio} (over {limit})")]


def _tail(rating: Rating, runs: int, of: int, reasons: list[tuple[int, str]]) -> Tail:
    if rating == "P":
        return Tail(rating, runs, of, "every run met every objective" if of > 1 else "the run met every objective")
    merged: dict[str, int] = {}
    for k, what in reasons:  # RPO and RTO both end at the restore: say it once
        merged[what] = max(k, merged.get(what, 0))
    if len(merged) == 1 and next(iter(merged.values())) == runs:
        return Tail(rating, runs, of, f"{_runs(runs, of)} {next(iter(merged))}")
    # The most common reasons first, and only a few: the tail is a line beside the verdict.
    ranked = sorted(merged.items(), key=lambda kv: -kv[1])
    shown = [f"{k:,} {what}" if of > 1 else what for what, k in ranked[:MAX_REASONS]]
    if len(ranked) > MAX_REASONS:
        shown.append(f"and {len(ranked) - MAX_REASONS} more")
    detail = "; ".join(shown)
    if of == 1:
        return Tail(rating, runs, of, f"the run was rated {rating} ({detail})")
    return Tail(rating, runs, of, f"{_runs(runs, of)} rated {rating} ({detail})")


def _objective(s: ObjectiveShare, require_share: float) -> ObjectiveVerdict:
    rating = share_rating(s.runs_by_rating, require_share) or "P"
    low = worst(r for r in ORDER if s.runs_by_rating.get(r)) or "P"
    n = s.runs_by_rating.get(low, 0)
    if low == "P":
        tail = Tail("P", n, s.runs, f"every run met {s.objective.label}" if s.runs > 1 else f"the run met {s.objective.label}")
    else:
        tail = _tail(low, n, s.runs, _reasons(s, low, named=False))
    return ObjectiveVerdict(s, rating, tail)


def judge_runs(batch: BatchScore, require_share: float) -> Verdict:
    """Rate every objective at ``require_share`` (0–1] of runs, each capability by its
    worst objective and the drill by its worst capability; give the worst single run
    of each beside it."""
    objectives = tuple(_objective(s, require_share) for s in batch.objectives)
    capabilities = []
    for cap, metrics in CAPABILITIES.items():
        mine = tuple(v for v in objectives if v.share.objective.metric in metrics)
        if not mine:
            continue
        by = batch.ratings.get(cap, {})
        low = worst(r for r in ORDER if by.get(r)) or "P"
        reasons = [reason for v in mine if v.worst_run.rating == low for reason in _reasons(v.share, low)]
        capabilities.append(CapabilityVerdict(cap, worst(v.rating for v in mine) or "P",
                                              _tail(low, by.get(low, 0), batch.runs, reasons), mine))
    rating = worst(c.rating for c in capabilities)
    tail = None
    if capabilities:
        low = worst(r for r in ORDER if batch.verdicts.get(r)) or "P"
        reasons = [reason for v in objectives if v.worst_run.rating == low for reason in _reasons(v.share, low)]
        tail = _tail(low, batch.verdicts.get(low, 0), batch.runs, reasons)
    return Verdict(require_share, rating, tail, objectives, tuple(capabilities))
