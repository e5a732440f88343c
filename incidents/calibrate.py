"""``calibrate``: is the drill model optimistic? Simulated drill metrics against real
incidents of a service and severity: quantiles side by side, a rank test and the
difference of medians (``scoring.compare``), and a Kolmogorov-Smirnov test of shape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from sqlalchemy import select

from scoring import compare
from scoring.stats import same_distribution_p

from . import schema as s
from .errors import InvalidRecord
from .frames import human, p_text
from .queries import Filter
from .records import METRICS
from .store import IncidentLog
from .trends import metric_columns

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


@dataclass(frozen=True)
class Calibration:
    metric: str
    service: str | None
    severity: str | None
    scenario: str | None
    drill_source: str
    drill_count: int
    drill_missed: int
    real_count: int
    quantiles: list[dict[str, Any]]  # {q, drill, real}
    difference_ci: tuple[float, float] | None
    mann_whitney_p: float | None
    ks_p: float | None
    verdict: str  # optimistic | pessimistic | consistent | not comparable
    sentence: str

    def to_json(self) -> dict[str, Any]:
        r = lambda x: None if x is None or not math.isfinite(x) else round(x, 3)  # noqa: E731
        return {"version": 1, "metric": self.metric, "service": self.service, "severity": self.severity,
                "scenario": self.scenario, "drill_source": self.drill_source, "drill_count": self.drill_count,
                "drill_missed": self.drill_missed, "real_count": self.real_count,
                "quantiles": [{"q": q["q"], "drill": r(q["drill"]), "real": r(q["real"])} for q in self.quantiles],
                "difference_ci": None if self.difference_ci is None else [r(x) for x in self.difference_ci],
                "mann_whitney_p": self.mann_whitney_p, "ks_p": self.ks_p, "verdict": self.verdict,
                "sentence": self.sentence}


def _q(v: np.ndarray, q: float) -> float:
    return float(np.quantile(v, q, method="inverted_cdf")) if v.size else math.nan


def calibrate(store: IncidentLog, *, metric: str = "ttr", service: str | None = None, severity: str | None = None,
              scenario: str | None = None, drill_values: Sequence[float] | None = None,
              alpha: float = 0.05, seed: int = 0) -> Calibration:
    """Compare drill values of ``metric`` (seconds; inf or None = missed) with real
    incidents of ``service``/``severity``. Without ``drill_values`` the drill side is
    the per-run samples of recorded drill runs (of ``scenario``, or whose services and
    severity match) plus incidents of kind ``drill`` that match. Raises InvalidRecord
    for an unknown metric."""
    if metric not in METRICS:
        raise InvalidRecord(f"metric: expected one of {', '.join(METRICS)}, got {metric!r}")
    col = metric_columns()[metric]

    def work(conn):  # noqa: ANN001, ANN202
        real_q = select(col).where(*Filter(kind="real", service=service, severity=severity).analysable(), col.is_not(None))
        real = np.array(conn.execute(real_q).scalars().all(), dtype=float)
        if drill_values is not None:
            return real, np.array([math.inf if v is None else float(v) for v in drill_values], dtype=float), "given"
        r, sm = s.drill_runs.c, s.drill_samples.c
        runs = select(r.id)
        if scenario:
            runs = runs.where(r.scenario == scenario)
        else:
            if service:
                runs = runs.where(("," + r.services + ",").like(f"%,{service},%"))
            if severity:
                runs = runs.where(r.severity == severity)
        samples = conn.execute(select(sm.value).where(sm.metric == metric, sm.run_id.in_(runs))).scalars().all()
        drills = [math.inf if v is None else float(v) for v in samples]
        source = "recorded drill runs"
        if not scenario:
            inc_q = select(col).where(*Filter(kind="drill", service=service, severity=severity).analysable(), col.is_not(None))
            extra = conn.execute(inc_q).scalars().all()
            if extra:
                drills += [float(v) for v in extra]
                source += " and drill incidents"
        return real, np.array(drills, dtype=float), source

    real, drill, source = store.read(work)
    real = real[np.isfinite(real)]
    missed = int(np.sum(~np.isfinite(drill)))
    quantiles = [{"q": q, "drill": _q(drill, q), "real": _q(real, q)} for q in QUANTILES]
    what = " ".join(x for x in (severity, service) if x) or "all"
    label = f"{METRICS[metric][0]} ({metric.upper()})"
    if drill.size < 2 or real.size < 2:
        sentence = (f"{label}: not comparable — {drill.size} drill value(s) and {real.size} real incident(s) for {what}; "
                    "at least 2 of each are needed")
        return Calibration(metric, service, severity, scenario, source, int(drill.size), missed, int(real.size), quantiles,
                           None, None, None, "not comparable", sentence)
    c = compare(drill, real, alpha=alpha, seed=seed)
    ks = same_distribution_p(np.nan_to_num(drill, posinf=np.finfo(float).max), real)
    if c.verdict == "worse":  # real incidents take longer than the drills
        verdict = "optimistic"
        sentence = (f"the drill model is optimistic about {label} for {what}: median {human(c.median_a)} in drills vs "
                    f"{human(c.median_b)} in {real.size} real incidents ({p_text(c.p_value)}); real incidents take "
                    f"{c.median_b / c.median_a:.1f}x as long" if c.median_a > 0 else
                    f"the drill model is optimistic about {label} for {what} ({p_text(c.p_value)})")
    elif c.verdict == "improved":
        verdict = "pessimistic"
        sentence = (f"the drill model is pessimistic about {label} for {what}: median {human(c.median_a)} in drills vs "
                    f"{human(c.median_b)} in {real.size} real incidents ({p_text(c.p_value)})")
    else:
        verdict = "consistent"
        sentence = (f"drills and real incidents agree on {label} for {what} as far as {drill.size} drill values and "
                    f"{real.size} incidents can tell: medians {human(c.median_a)} vs {human(c.median_b)} "
                    f"({p_text(c.p_value)})")
    if ks < alpha and verdict == "consistent":
        sentence += f", though the shapes differ (Kolmogorov-Smirnov {p_text(ks)})"
    return Calibration(metric, service, severity, scenario, source, int(drill.size), missed, int(real.size), quantiles,
                       (c.interval.low, c.interval.high) if c.interval else None, c.p_value, ks, verdict, sentence)
