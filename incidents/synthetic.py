"""Synthetic incident history with planted patterns, for tests, benchmarks and demos.

Heavy-tailed durations (lognormal), deploy-correlated bursts (a share of incidents
begin shortly after a deploy of their service, mostly P1), weekly seasonality (fewer
incidents on weekends), an afternoon peak in the hour of day, a dominant root cause
and a service that breaks most. :attr:`Synthetic.planted` says what was planted so a
caller can check that the analyses find it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

SEVERITIES = ("P1", "P2", "P3", "P4")
ROOT_CAUSES = ("config-change", "capacity", "dependency", "bug", "hardware", "network")
#: Median time to recover per severity, seconds (the planted answer for ``stats``).
TTR_MEDIAN = {"P1": 3600.0, "P2": 2 * 3600.0, "P3": 4 * 3600.0, "P4": 8 * 3600.0}
TTR_SIGMA = 1.0
HOT_SERVICE = "checkout"
TOP_CAUSE = "config-change"
PEAK_HOURS = (13, 14, 15)
WEEKEND_WEIGHT = 0.4
DEPLOY_SHARE = 0.3  # of incidents, planted to begin within the window after a deploy
DEPLOY_WINDOW = 2 * 3600.0


@dataclass
class Synthetic:
    """Columns of a synthetic history (epoch seconds, UTC) and what was planted."""

    started: np.ndarray
    detected: np.ndarray
    acknowledged: np.ndarray
    mitigated: np.ndarray
    resolved: np.ndarray
    service: np.ndarray  # of str
    severity: np.ndarray
    root_cause: np.ndarray
    deploy_at: np.ndarray
    deploy_service: np.ndarray
    planted: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.started.size

    def write_incidents(self, path: Path, *, source: str = "synthetic", chunk: int = 100_000) -> None:
        """The log's own CSV format; times written with +00:00."""
        iso = lambda a: np.char.add(np.datetime_as_string(a.astype("datetime64[s]"), unit="s"), "+00:00")  # noqa: E731
        with open(path, "w", newline="", encoding="utf-8") as f:
            # The synthetic alerting pages when it detects: paged is the detection time.
            f.write("source,external_id,title,service,severity,started,detected,paged,acknowledged,mitigated,resolved,"
                    "root_cause\n")
            write = f.write
            for lo in range(0, len(self), chunk):
                part = slice(lo, lo + chunk)
                cols = [iso(a[part]) for a in (self.started, self.detected, self.acknowledged, self.mitigated, self.resolved)]
                for i, (st, de, ac, mi, re_, sv, se, rc) in enumerate(
                        zip(*cols, self.service[part], self.severity[part], self.root_cause[part]), lo):
                    write(f"{source},{i},{sv} {se} incident,{sv},{se},{st},{de},{de},{ac},{mi},{re_},{rc}\n")

    def write_deploys(self, path: Path) -> None:
        times = np.char.add(np.datetime_as_string(self.deploy_at.astype("datetime64[s]"), unit="s"), "+00:00")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["service", "at", "version"])
            for i, (sv, at) in enumerate(zip(self.deploy_service, times)):
                w.writerow([sv, at, f"v{i}"])


def generate(n: int, *, seed: int = 0, days: int = 364, start: datetime = datetime(2025, 1, 6, tzinfo=timezone.utc),
             services: int = 12, deploys_per_day: float = 1.0, last_month_ttr_factor: float = 1.0,
             deploy_share: float = DEPLOY_SHARE) -> Synthetic:
    """``n`` incidents over ``days`` days from ``start`` (a Monday, UTC). Each service
    deploys about ``deploys_per_day`` times per weekday, in working hours. The last 30
    days' recovery times are multiplied by ``last_month_ttr_factor`` (a planted trend);
    ``deploy_share`` of incidents begin within 2h after a deploy (0: no link)."""
    rng = np.random.default_rng(seed)
    t0 = start.timestamp()
    names = np.array([HOT_SERVICE] + [f"svc-{i:02d}" for i in range(1, services)])
    weights = np.array([4.0] + [1.0] * (services - 1))
    weights /= weights.sum()
    # Deploys: weekdays, 09:00-17:00 UTC.
    per_service = rng.poisson(deploys_per_day * days * 5 / 7, services)
    d_service = np.repeat(np.arange(services), per_service)
    d_day = rng.integers(0, days, d_service.size)
    weekday_days = d_day[((d_day % 7) < 5)]  # start is a Monday
    d_service = d_service[((d_day % 7) < 5)]
    d_at = t0 + weekday_days * 86400.0 + rng.uniform(9 * 3600, 17 * 3600, weekday_days.size)
    order = np.argsort(d_at)
    d_at, d_service = d_at[order], d_service[order]
    # Incidents: some begin right after a deploy, the rest follow the weekly and daily rhythm.
    burst = rng.random(n) < deploy_share
    nb = int(burst.sum())
    pick = rng.integers(0, d_at.size, nb)
    started = np.empty(n)
    service = np.empty(n, dtype=np.int64)
    started[burst] = d_at[pick] + np.minimum(rng.exponential(1800.0, nb), DEPLOY_WINDOW - 1)
    service[burst] = d_service[pick]
    nq = n - nb
    day_w = np.where(np.arange(days) % 7 < 5, 1.0, WEEKEND_WEIGHT)
    day = rng.choice(days, nq, p=day_w / day_w.sum())
    hour_w = np.ones(24)
    hour_w[list(PEAK_HOURS)] = 3.0
    hour = rng.choice(24, nq, p=hour_w / hour_w.sum())
    started[~burst] = t0 + day * 86400.0 + hour * 3600.0 + rng.uniform(0, 3600, nq)
    service[~burst] = rng.choice(services, nq, p=weights)
    sev_quiet = rng.choice(4, n, p=[0.1, 0.2, 0.35, 0.35])
    sev_burst = rng.choice(4, n, p=[0.6, 0.2, 0.1, 0.1])
    severity = np.where(burst, sev_burst, sev_quiet)
    cause_w = np.array([0.35, 0.15, 0.15, 0.15, 0.1, 0.1])
    cause = np.where(burst, 0, rng.choice(len(ROOT_CAUSES), n, p=cause_w))
    ttd = rng.lognormal(np.log(180.0), 0.5, n)
    tta = rng.lognormal(np.log(120.0), 0.7, n)
    med = np.array([TTR_MEDIAN[s] for s in SEVERITIES])[severity]
    ttr = rng.lognormal(np.log(med), TTR_SIGMA)
    last_month = started >= t0 + (days - 30) * 86400.0
    ttr = np.where(last_month, ttr * last_month_ttr_factor, ttr)
    # Values below the median stay below it, so the planted medians are exact.
    ttr = np.maximum(ttr, ttd + tta + 60.0)
    ttm = ttd + tta + (ttr - ttd - tta) * rng.uniform(0.3, 0.9, n)
    order = np.argsort(started)
    pick = lambda a: a[order]  # noqa: E731
    sev_names = np.array(SEVERITIES)
    planted = {
        "deploy_share": deploy_share, "deploy_window_hours": DEPLOY_WINDOW / 3600, "deploy_severity": "P1",
        "weekend_weight": WEEKEND_WEIGHT, "peak_hours": PEAK_HOURS, "top_cause": TOP_CAUSE, "hot_service": HOT_SERVICE,
        "ttr_median": TTR_MEDIAN, "last_month_ttr_factor": last_month_ttr_factor,
    }
    return Synthetic(
        started=pick(started), detected=pick(started + ttd), acknowledged=pick(started + ttd + tta),
        mitigated=pick(started + ttm), resolved=pick(started + ttr), service=pick(names[service]),
        severity=pick(sev_names[severity]), root_cause=pick(np.array(ROOT_CAUSES)[cause]),
        deploy_at=d_at, deploy_service=names[d_service], planted=planted,
    )
