"""The versioned JSON shape of a scoring result, shared by ``drillbit score``,
``drillbit simulate --json`` and the reports.

Durations are seconds; ``null`` where a value is "never" (the milestone did not
happen, or a quantile falls among runs where it did not). Shape version 1::

    {"version": 1, "scenario": {id, title, kind, severity[, written_severity]}, "team": str|null, "runs": N,
     "require_share": 0.9,
     "verdict": "P"|"S"|"M"|"U"|null, "worst_run": TAIL|null, "objectives_missed": int,
     "metrics": {name: {label, median, median_ci: [lo, hi]|null, p90, p99, min, max, reached, missed}},
     "objectives": [{key, metric, label, target, source, met, runs, share, share_ci: [lo, hi],
                     status: met|missed|not reached (one run) | null, value (one run),
                     rating, runs_by_rating: {"P": runs, "S": runs, "M": runs, "U": runs}, worst_run: TAIL}],
     "capabilities": {capability: {rating, worst_run: TAIL, objectives: [key]}},
     "ratings": {capability: {"P": runs, "S": runs, "M": runs, "U": runs}},
     "rating_rules": [{rating, meaning, rule}], "batch_rating_rule": str,
     "counts": {name: {median, p90, max}},
     "findings": [{rule, title, severity, evidence, recommendation, owner, subject, capability}],
     "action_items": [{title, owner, due, severity, rule, subject, capability}]}

    TAIL = {rating, runs, text}: the worst rating any single run got, how many runs got
    it, and why in words ("1 of 1,000 runs never recovered").

    Optional keys, present only when the application recorded them: "timelines",
    "inputs", "reproduce", "drill", "notes", and for a game day or a tabletop "prediction":
    {runs, seed, mode: "live"|"tabletop" (absent: live), metrics: [{metric, label, objective,
    source, share_met, median, p10, p90, measured, status: measured|missed|not applicable,
    percentile (0-100)|null, word: "as predicted"|"better"|"worse"|"missed"|null}]}
    (``scoring.prediction``); for a tabletop "hotwash": [{kind: "strength"|"improvement",
    text, by: str|null, t: seconds|null}] (the notes as the room wrote them) and
    "facilitator": str (who ran it); for a scenario with ``reported:`` figures,
    "reported": {source, note, runs, metrics: [{metric, label, reported, median, p10, p90,
    measured (one run's value)|null, reached, ratio (median / reported)|null,
    word: "within 2x"|"flatters: faster than half"|"slower than double"|null}]}
    (``scoring.public_report``: the runs beside the public report of the real incident).

``verdict``, an objective's ``rating`` and a capability's ``rating`` are the rating
that at least ``require_share`` of runs achieved or bettered (for one run: that run's
rating); a capability takes its worst objective, the verdict its worst capability.
``ratings`` counts runs by the rating each run got on its own. An objective is missed
(``objectives_missed``) exactly when its rating is not P.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import date
from typing import Any

from scenarios import Scenario
from scenarios.severity_map import written_severity

from .actions import action_items
from .result import JSON_VERSION, DrillResult
from .batch import BatchScore
from .gaps import Finding
from .metrics import metric_label
from .public_report import beside_report
from .ratings import BATCH_RULE, RULES
from .verdict import Tail, judge_runs

def _s(x: float | None) -> float | None:
    if x is None or math.isinf(x):
        return None
    return round(x, 3)


def objectives_missed(batch: BatchScore, require_share: float) -> int:
    """Objectives met in fewer than ``require_share`` of runs (for one run: not met)."""
    return sum(1 for o in batch.objectives if o.share < require_share)


def _tail(t: Tail | None) -> dict[str, Any] | None:
    return None if t is None else {"rating": t.rating, "runs": t.runs, "text": t.text}


def summarise(batch: BatchScore, scenario: Scenario, team: str | None, findings: list[Finding],
              today: date, require_share: float = 0.9) -> DrillResult:
    """The result of a scored batch (a single run is a batch of one): its ratings at
    ``require_share``, and one action item per finding, due counting from ``today``."""
    return DrillResult.model_validate(_document(batch, scenario, team, findings, today, require_share))


def _document(batch: BatchScore, scenario: Scenario, team: str | None, findings: list[Finding],
              today: date, require_share: float) -> dict[str, Any]:
    single = batch.runs == 1
    outcomes = {o.objective: o for o in batch.first.outcomes} if single else {}
    share = 1.0 if single else require_share
    judged = judge_runs(batch, share)
    return {
        "version": JSON_VERSION,
        "scenario": {"id": scenario.id, "title": scenario.title, "kind": scenario.kind, "severity": scenario.severity,
                     **({"written_severity": written_severity(scenario)} if written_severity(scenario) != scenario.severity else {})},
        "team": team,
        "runs": batch.runs,
        "require_share": require_share,
        "verdict": judged.rating,
        "worst_run": _tail(judged.worst_run),
        "objectives_missed": objectives_missed(batch, share),
        "metrics": {
            name: {
                "label": metric_label(name), "median": _s(s.median),
                "median_ci": [_s(s.median_ci.low), _s(s.median_ci.high)] if s.median_ci else None,
                "p90": _s(s.p90), "p99": _s(s.p99), "min": _s(s.min), "max": _s(s.max),
                "reached": s.reached, "missed": s.missed,
            }
            for name, s in batch.metrics.items()
        },
        "objectives": [
            {
                "key": o.objective.key, "metric": o.objective.metric, "label": o.objective.label,
                "target": o.objective.target, "source": o.objective.source, "met": o.met, "runs": o.runs,
                "share": round(o.share, 6), "share_ci": [round(o.interval.low, 6), round(o.interval.high, 6)],
                "status": outcomes[o.objective].status if single else None,
                "value": _s(outcomes[o.objective].value) if single else None,
                "rating": v.rating, "runs_by_rating": dict(o.runs_by_rating), "worst_run": _tail(v.worst_run),
            }
            for o, v in zip(batch.objectives, judged.objectives)
        ],
        "capabilities": {
            c.capability: {"rating": c.rating, "worst_run": _tail(c.worst_run),
                           "objectives": [v.share.objective.key for v in c.objectives]}
            for c in judged.capabilities
        },
        "ratings": batch.ratings,
        "rating_rules": [{"rating": r, "meaning": m, "rule": rule} for r, m, rule in RULES],
        "batch_rating_rule": BATCH_RULE,
        "counts": {name: {"median": s.median, "p90": s.p90, "max": s.max} for name, s in batch.counts.items()},
        "findings": [asdict(f) for f in findings],
        "action_items": [{**asdict(a), "due": a.due.isoformat()} for a in action_items(findings, today)],
        "reported": beside_report(scenario, batch.samples, batch.runs,
                                  batch.first.metrics.values if single else None),
    }
