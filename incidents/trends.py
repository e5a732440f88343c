"""``stats``: TTD/TTA/TTM/TTR per month or quarter, optionally by severity and service,
as medians and 90th percentiles with distribution-free confidence intervals, a count,
the mean only beside them — and a trend verdict that says when the latest change is
indistinguishable from noise (``scoring.compare`` and ``scoring.simulate_power``)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from sqlalchemy import func, select

from scoring import compare, runs_needed, simulate_power

from . import schema as s
from .errors import InvalidRecord
from .frames import fetch, human, local_seconds, p_text, quantile_ci
from .queries import Filter
from .records import METRICS

#: Metric -> the incident fields it spans (from, to).
METRIC_FIELDS: dict[str, tuple[str, str]] = {m: (a, b) for m, (_, a, b) in METRICS.items()}
from .store import IncidentLog

PERIODS = ("month", "quarter", "year", "all")
GROUPS = ("severity", "service")
#: The trend comparison and its power analysis look at up to this many incidents per
#: period (a seeded sample beyond it): their bootstraps grow with n, and at this size
#: any change worth acting on is already detected.
TREND_SAMPLE = 2000
POWER_TRIALS = 200


@dataclass(frozen=True)
class MetricStats:
    """One metric over one group of incidents, in seconds."""

    count: int
    median: float
    median_ci: tuple[float, float] | None
    p90: float
    p90_ci: tuple[float, float] | None
    mean: float

    def to_json(self) -> dict[str, Any]:
        r = lambda x: round(x, 3)  # noqa: E731
        return {"count": self.count, "median": r(self.median),
                "median_ci": [r(self.median_ci[0]), r(self.median_ci[1])] if self.median_ci else None,
                "p90": r(self.p90), "p90_ci": [r(self.p90_ci[0]), r(self.p90_ci[1])] if self.p90_ci else None,
                "mean": r(self.mean)}


@dataclass(frozen=True)
class Row:
    period: str
    group: dict[str, str | None]
    incidents: int
    metrics: dict[str, MetricStats | None]

    def to_json(self) -> dict[str, Any]:
        return {"period": self.period, "group": self.group, "incidents": self.incidents,
                "metrics": {k: (v.to_json() if v else None) for k, v in self.metrics.items()}}


@dataclass(frozen=True)
class Trend:
    """The latest period against the one before, for one metric."""

    metric: str
    previous: str
    latest: str
    count_previous: int
    count_latest: int
    median_previous: float
    median_latest: float
    difference_ci: tuple[float, float] | None
    p_value: float | None
    verdict: str  # improved | worse | not distinguishable from noise | not comparable
    improvement: float
    detect_share: float | None  # how often a real improvement of this size would be detected at this volume
    needed_per_period: int | None
    sampled: bool
    sentence: str

    def to_json(self) -> dict[str, Any]:
        r = lambda x: None if x is None or not math.isfinite(x) else round(x, 3)  # noqa: E731
        return {"metric": self.metric, "previous": self.previous, "latest": self.latest,
                "count_previous": self.count_previous, "count_latest": self.count_latest,
                "median_previous": r(self.median_previous), "median_latest": r(self.median_latest),
                "difference_ci": [r(self.difference_ci[0]), r(self.difference_ci[1])] if self.difference_ci else None,
                "p_value": self.p_value, "verdict": self.verdict, "improvement": self.improvement,
                "detect_share": self.detect_share, "needed_per_period": self.needed_per_period,
                "sampled": self.sampled, "sentence": self.sentence}


@dataclass(frozen=True)
class StatsReport:
    by: str
    groups: tuple[str, ...]
    metrics: tuple[str, ...]
    include_drills: bool
    incidents: int
    rows: list[Row]
    trends: list[Trend] = field(default_factory=list)
    #: Metrics asked for that no matching incident has: metric -> the milestone none records.
    lacking: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "by": self.by, "groups": list(self.groups), "metrics": list(self.metrics),
                "include_drills": self.include_drills, "incidents": self.incidents,
                "rows": [r.to_json() for r in self.rows], "trends": [t.to_json() for t in self.trends],
                "lacking": dict(self.lacking)}


def _period_keys(local: np.ndarray, by: str) -> np.ndarray:
    """The period each local time (seconds since the epoch) falls in, as an integer."""
    months = local.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return months if by == "month" else months // 3 if by == "quarter" else months // 12


def _period_labels(local: np.ndarray, by: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Per incident the index of its period, the periods' labels, and their keys."""
    if by == "all":
        return np.zeros(local.size, dtype=np.int64), ["all"], np.zeros(1, dtype=np.int64)
    fmt = {
        "month": lambda k: f"{1970 + k // 12}-{k % 12 + 1:02d}",
        "quarter": lambda k: f"{1970 + (k * 3) // 12}-Q{(k * 3) % 12 // 3 + 1}",
        "year": lambda k: f"{1970 + k}",
    }[by]
    uniq, inv = np.unique(_period_keys(local, by), return_inverse=True)
    return inv.astype(np.int64), [fmt(int(k)) for k in uniq], uniq


def _summaries(values: np.ndarray, key_sets: Sequence[tuple[np.ndarray, int]],
               confidence: float) -> list[list[MetricStats | None]]:
    """Per key set, per key: the metric's summary over its finite values (None when it
    has none). The values are sorted once; each key set then needs only a stable sort
    of small integers, which keeps a million incidents fast."""
    ok = np.isfinite(values)
    v = values[ok]
    order = np.argsort(v)
    v = v[order]
    out = []
    for keys, nkeys in key_sets:
        k = keys[ok][order]
        k = k.astype(np.int16 if nkeys < 32_000 else np.int64)  # stable sort of int16 is a radix sort
        by_key = np.argsort(k, kind="stable")
        vs, ks = v[by_key], k[by_key]
        bounds = np.searchsorted(ks, np.arange(nkeys + 1))
        row: list[MetricStats | None] = []
        for i in range(nkeys):
            seg = vs[bounds[i]:bounds[i + 1]]
            if seg.size == 0:
                row.append(None)
                continue
            med, mlo, mhi = quantile_ci(seg, 0.5, confidence)
            p90, plo, phi = quantile_ci(seg, 0.9, confidence)
            many = seg.size > 1
            row.append(MetricStats(int(seg.size), med, (mlo, mhi) if many else None, p90,
                                   (plo, phi) if many else None, float(seg.mean())))
        out.append(row)
    return out


def metric_columns():  # noqa: ANN201
    """SQL expressions of each metric in seconds (NULL where an end is missing)."""
    t = s.incidents.c
    return {m: (getattr(t, f"{b}_at") - getattr(t, f"{a}_at")).label(m) for m, (_, a, b) in METRICS.items()}


def incident_stats(store: IncidentLog, flt: Filter = Filter(), *, by: str = "month", groups: Sequence[str] = (),
                   metrics: Sequence[str] = tuple(METRICS), improvement: float = 0.1, tz: str | None = None,
                   confidence: float = 0.95, seed: int = 0, now: datetime | None = None) -> StatsReport:
    """Summaries of incident metrics per period (``month``, ``quarter``, ``year`` or
    ``all``; in each incident's own UTC offset unless ``tz``) and group, plus the trend
    of each metric between the last two *finished* periods (the period holding ``now``,
    default the current time, is still under way). ``flt.kind`` "real" leaves drills out.
    Raises InvalidRecord for an unknown period, group or metric."""
    if by not in PERIODS:
        raise InvalidRecord(f"by: expected one of {', '.join(PERIODS)}, got {by!r}")
    for g in groups:
        if g not in GROUPS:
            raise InvalidRecord(f"group: expected one of {', '.join(GROUPS)}, got {g!r}")
    for m in metrics:
        if m not in METRICS:
            raise InvalidRecord(f"metric: expected one of {', '.join(METRICS)}, got {m!r}")
    if not 0 < improvement < 1:
        raise InvalidRecord(f"improvement: expected a share between 0 and 1, got {improvement}")
    t = s.incidents.c
    cols = metric_columns()
    numeric = {"started_at": t.started_at, "utc_offset": t.utc_offset, **{m: cols[m] for m in metrics}}
    data = store.read(lambda c: fetch(c, s.incidents, flt.analysable(), numeric, {g: getattr(t, g) for g in groups}))
    n = data["started_at"].size
    report_groups = tuple(groups)
    if n == 0:
        return StatsReport(by, report_groups, tuple(metrics), flt.kind is None, 0, [], [])
    # A metric no incident has (PagerDuty exports know no detection time) is named once,
    # not shown as a table of dashes.
    lacking = _lacking(store, flt, [m for m in metrics if not np.isfinite(data[m]).any()])
    metrics = tuple(m for m in metrics if m not in lacking)
    local = local_seconds(data["started_at"], data["utc_offset"], tz)
    pkeys, plabels, period_keys = _period_labels(local, by)
    # One key per (period, group...) combination that occurs.
    parts = [pkeys] + [data[g].codes.astype(np.int64) + 1 for g in groups]
    radix = [len(plabels)] + [len(data[g].labels) + 1 for g in groups]
    combo = np.zeros(n, dtype=np.int64)
    for p, r in zip(parts, radix):
        combo = combo * r + p
    uniq, keys = np.unique(combo, return_inverse=True)
    counts = np.bincount(keys, minlength=uniq.size)
    with_totals = by != "all" and (bool(groups) or len(plabels) > 1)
    g_uniq, g_keys, g_radix = _group_keys(data, groups)
    key_sets = [(keys, uniq.size)] + ([(g_keys, g_uniq.size)] if with_totals else [])
    summaries = {m: _summaries(data[m], key_sets, confidence) for m in metrics}
    per_metric = {m: summaries[m][0] for m in metrics}
    rows: list[Row] = []
    for i, code in enumerate(uniq):
        rest, labels = int(code), []
        for r in reversed(radix):
            rest, d = divmod(rest, r)
            labels.append(d)
        labels.reverse()
        group = {g: (data[g].label(labels[j + 1] - 1)) for j, g in enumerate(groups)}
        rows.append(Row(plabels[labels[0]], group, int(counts[i]), {m: per_metric[m][i] for m in metrics}))
    # Rows come sorted by period, then by group codes; order groups by name for people.
    rows.sort(key=lambda r: (r.period, tuple("" if v is None else v for v in r.group.values())))
    if with_totals:
        rows.extend(_total_rows(data, metrics, groups, g_uniq, g_keys, g_radix, {m: summaries[m][1] for m in metrics}))
    # A period still under way is shown, but a trend compares finished periods only: half
    # a month of incidents is not a month.
    now_local = local_seconds(np.array([(now or datetime.now(timezone.utc)).timestamp()]), np.array([0.0]), tz or "UTC")
    finished = len(plabels) - int(by != "all" and period_keys[-1] >= _period_keys(now_local, by)[0])
    trends = _trends(data, metrics, pkeys, plabels[:finished], improvement, seed) if finished > 1 else []
    return StatsReport(by, report_groups, tuple(metrics), flt.kind is None, n, rows, trends, lacking)


def _lacking(store: IncidentLog, flt: Filter, empty: Sequence[str]) -> dict[str, str]:
    """For each metric without a value: the milestone no matching incident records
    (the later one when each end is recorded by some, but never both together)."""
    if not empty:
        return {}
    fields = sorted({f for m in empty for f in METRIC_FIELDS[m]})
    cols = [func.count(getattr(s.incidents.c, f"{f}_at")) for f in fields]
    counts = dict(zip(fields, store.read(lambda c: c.execute(select(*cols).where(*flt.analysable())).one())))
    return {m: next((f for f in METRIC_FIELDS[m] if not counts[f]), METRIC_FIELDS[m][-1]) for m in empty}


def _group_keys(data: dict[str, Any], groups: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    n = data["started_at"].size
    combo = np.zeros(n, dtype=np.int64)
    radix = [len(data[g].labels) + 1 for g in groups]
    for g, r in zip(groups, radix):
        combo = combo * r + data[g].codes.astype(np.int64) + 1
    uniq, keys = np.unique(combo, return_inverse=True)
    return uniq, keys.astype(np.int64), radix


def _total_rows(data: dict[str, Any], metrics: Sequence[str], groups: Sequence[str], uniq: np.ndarray,
                keys: np.ndarray, radix: list[int], per_metric: dict[str, list[MetricStats | None]]) -> list[Row]:
    """Rows of period ``all``: per group over every period (or one row without groups)."""
    counts = np.bincount(keys, minlength=uniq.size)
    rows = []
    for i, code in enumerate(uniq):
        rest, labels = int(code), []
        for r in reversed(radix):
            rest, d = divmod(rest, r)
            labels.append(d)
        labels.reverse()
        group = {g: data[g].label(labels[j] - 1) for j, g in enumerate(groups)}
        rows.append(Row("all", group, int(counts[i]), {m: per_metric[m][i] for m in metrics}))
    rows.sort(key=lambda r: tuple("" if v is None else v for v in r.group.values()))
    return rows


def _sample(v: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    if v.size <= TREND_SAMPLE:
        return v, False
    return rng.choice(v, TREND_SAMPLE, replace=False), True


def _trends(data: dict[str, Any], metrics: Sequence[str], pkeys: np.ndarray, plabels: list[str], improvement: float,
            seed: int) -> list[Trend]:
    last, prev = len(plabels) - 1, len(plabels) - 2
    out = []
    for m in metrics:
        v = data[m]
        a_all = v[(pkeys == prev) & np.isfinite(v)]
        b_all = v[(pkeys == last) & np.isfinite(v)]
        rng = np.random.default_rng(seed)
        a, sa = _sample(a_all, rng)
        b, sb = _sample(b_all, rng)
        if a.size < 2 or b.size < 2:
            med = lambda x: float(np.median(x)) if x.size else math.nan  # noqa: E731
            out.append(Trend(m, plabels[prev], plabels[last], int(a_all.size), int(b_all.size), med(a), med(b), None,
                             None, "not comparable", improvement, None, None, False,
                             f"{m.upper()}: not comparable ({a_all.size} incidents in {plabels[prev]}, "
                             f"{b_all.size} in {plabels[last]}; at least 2 each are needed)"))
            continue
        c = compare(a, b, seed=seed)
        detect = needed = None
        if c.verdict != "not comparable" and a.size >= 4:
            per_group = min(a.size, b.size)
            detect = simulate_power(a, improvement, per_group=per_group, trials=POWER_TRIALS, seed=seed).detected
            if c.verdict == "not distinguishable from noise" and detect < 0.8:
                needed = runs_needed(a, improvement, trials=POWER_TRIALS, seed=seed, limit=200_000)
        out.append(Trend(
            metric=m, previous=plabels[prev], latest=plabels[last], count_previous=int(a_all.size),
            count_latest=int(b_all.size), median_previous=c.median_a, median_latest=c.median_b,
            difference_ci=(c.interval.low, c.interval.high) if c.interval else None, p_value=c.p_value,
            verdict=c.verdict, improvement=improvement, detect_share=detect, needed_per_period=needed,
            sampled=sa or sb,
            sentence=_sentence(m, plabels[prev], plabels[last], int(a_all.size), int(b_all.size), c, improvement,
                               detect, needed, sa or sb),
        ))
    return out


def _sentence(m: str, prev: str, last: str, na: int, nb: int, c, improvement: float, detect: float | None,  # noqa: ANN001
              needed: int | None, sampled: bool) -> str:
    name = m.upper()
    if c.verdict == "not comparable":
        return f"{name}: not comparable ({na} incidents in {prev}, {nb} in {last}; at least 2 each are needed)"
    head = (f"{name}: median {human(c.median_b)} in {last} vs {human(c.median_a)} in {prev}"
            + (f" (difference {human(c.difference)}, 95% interval {human(c.interval.low)} to {human(c.interval.high)})"
               if c.interval else ""))
    pct = f"{improvement * 100:.0f}%"
    note = f" (tested on a sample of {TREND_SAMPLE} per period)" if sampled else ""
    if c.verdict in ("improved", "worse"):
        return f"{head}: {c.verdict}, {p_text(c.p_value)}{note}."
    # The counts come in the order of the medians before them: latest first.
    text = f"{head}: not distinguishable from noise at {nb} vs {na} incidents ({p_text(c.p_value)}){note}."
    if detect is not None:
        text += f" A real {pct} improvement would be detected in {detect * 100:.0f}% of comparisons this size"
        if needed:
            text += f"; about {needed:,} incidents per period are needed to see one 80% of the time"
        elif detect < 0.8:
            text += "; even 200,000 incidents per period would not reliably show one"
        text += "."
    return text
