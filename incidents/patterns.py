"""``patterns``: what incidents have in common, each as a finding in plain words.

- deploys: the share of incidents that began within N hours after a deploy of their
  service, against the base rate — the share that would have, had the same deploys
  happened 1-4 weeks earlier or later (same time of week, so incidents and deploys
  that both cluster in working hours are not taken for a link) — with a one-sided
  binomial test (per severity too, Bonferroni-adjusted);
- weekday vs weekend: incidents per day on each, with a binomial test against the
  number of weekdays and weekend days in the span;
- hour of day: a weekday x hour heat map and a chi-square test of an even spread;
- recurring root-cause categories and services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenarios import format_share
from scoring.stats import binomial_p, uniform_p

from . import schema as s
from .errors import InvalidRecord
from .frames import fetch, local_seconds, p_text, weekday_hour
from .queries import Filter
from .records import to_epoch
from .store import IncidentLog

ALPHA = 0.05
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Fewer incidents than this in a group: no test (it could not say anything).
MIN_GROUP = 10
RECENT_DAYS = 90


@dataclass(frozen=True)
class Pattern:
    """One finding: what kind, whether it is beyond noise, the sentence, the numbers."""

    kind: str  # deploys | weekday | hour | root_cause | service | deploy_flag
    significant: bool
    sentence: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "significant": self.significant, "sentence": self.sentence, "numbers": self.numbers}


@dataclass(frozen=True)
class PatternsReport:
    incidents: int
    window_hours: float
    include_drills: bool
    tz: str | None
    span: tuple[float, float] | None
    findings: list[Pattern]
    heatmap: list[list[int]]  # [weekday Mon..Sun][hour 0..23]
    deploy_groups: list[dict[str, Any]]
    root_causes: list[dict[str, Any]]
    services: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "incidents": self.incidents, "window_hours": self.window_hours,
                "include_drills": self.include_drills, "tz": self.tz or "each incident's own UTC offset",
                "span": None if self.span is None else {"start": self.span[0], "end": self.span[1]},
                "findings": [f.to_json() for f in self.findings], "heatmap": {"rows": list(WEEKDAYS), "counts": self.heatmap},
                "deploys": self.deploy_groups, "root_causes": self.root_causes, "services": self.services}


def _hours(h: float) -> str:
    return f"{h:g}h" if h >= 1 else f"{h * 60:g}m"


def _cover(deploys: np.ndarray, window: float, start: float, end: float) -> float:
    """Share of [start, end] that lies within ``window`` after one of the sorted deploys."""
    if deploys.size == 0 or end <= start:
        return 0.0
    lo = np.maximum(deploys, start)
    hi = np.minimum(deploys + window, end)
    nxt = np.append(lo[1:], np.inf)
    covered = np.clip(np.minimum(hi, nxt) - lo, 0, None).sum()
    return float(covered / (end - start))


def find_patterns(store: IncidentLog, flt: Filter = Filter(), *, window_hours: float = 2.0, tz: str | None = None,
                  any_service: bool = False, top: int = 3) -> PatternsReport:
    """Every pattern over the incidents matching ``flt`` (real ones unless it says
    otherwise). ``window_hours``: how long after a deploy an incident counts as
    following it; ``any_service``: a deploy of any service counts, not only the
    incident's own. Times of day are local to each incident's UTC offset unless ``tz``
    names an IANA zone. Raises InvalidRecord for a window that is not positive."""
    if not window_hours > 0:
        raise InvalidRecord(f"window: expected a positive duration, got {window_hours}h")
    w = window_hours * 3600.0
    t, d = s.incidents.c, s.deploys.c
    def work(conn):  # noqa: ANN001, ANN202
        # One scan: the recurring causes and services are counted from the same columns
        # (a GROUP BY per column would scan the table again for each).
        inc = fetch(conn, s.incidents, flt.analysable(),
                    {"started_at": t.started_at, "utc_offset": t.utc_offset, "deploy_related": t.deploy_related},
                    {"service": t.service, "severity": t.severity, "root_cause": t.root_cause})
        if inc["started_at"].size == 0:
            return inc, None, None
        start = to_epoch(flt.since) if flt.since else float(inc["started_at"].min())
        end = to_epoch(flt.until) if flt.until else float(inc["started_at"].max())
        dep = fetch(conn, s.deploys, [d.at >= start - w, d.at <= end], {"at": d.at}, {"service": d.service})
        return inc, dep, (start, end)

    inc, dep, span = store.read(work)
    n = inc["started_at"].size
    include_drills = flt.kind is None
    if n == 0:
        return PatternsReport(0, window_hours, include_drills, tz, None, [], [[0] * 24 for _ in range(7)], [], [], [])
    recent = span[1] - RECENT_DAYS * 86400.0
    causes = _counts(inc["root_cause"], inc["started_at"] >= recent)
    services = _counts(inc["service"], inc["started_at"] >= recent)
    flagged = inc["deploy_related"][~np.isnan(inc["deploy_related"])]
    findings: list[Pattern] = []
    groups, deploy_findings = _deploys(inc, dep, w, span, any_service, window_hours)
    findings += deploy_findings
    local = local_seconds(inc["started_at"], inc["utc_offset"], tz)
    weekday, hour = weekday_hour(local)
    heat = np.zeros((7, 24), dtype=np.int64)
    np.add.at(heat, (weekday, hour), 1)
    findings.append(_weekday_finding(weekday, local))
    findings.append(_hour_finding(heat.sum(axis=0), n))
    findings += _recurring("root_cause", "root cause", causes, n, top)
    findings += _recurring("service", "service", services, n, top)
    if flagged.size:
        yes, total = int(flagged.sum()), int(flagged.size)
        findings.append(Pattern("deploy_flag", False, f"{format_share(yes / total)} of the {total:,} incidents with the "
                                f"deploy-related flag set are marked deploy-related", {"marked": yes, "flagged": total}))
    findings.sort(key=lambda f: not f.significant)
    return PatternsReport(n, window_hours, include_drills, tz, span, findings, heat.tolist(), groups, causes, services)


def _deploys(inc: dict[str, Any], dep: Any, w: float, span: tuple[float, float], any_service: bool,
             window_hours: float) -> tuple[list[dict[str, Any]], list[Pattern]]:
    started = inc["started_at"]
    n = started.size
    if dep is None or dep["at"].size == 0:
        return [], [Pattern("deploys", False, "no deploys are recorded for this span, so incidents cannot be set "
                            "against them (import them with `drillbit log import FILE --what deploys`)")]
    start, end = span
    after = np.zeros(n, dtype=bool)
    base = np.zeros(n, dtype=float)
    known = np.ones(n, dtype=bool)
    shifts = _shifts(end - start + w)
    if any_service:
        pairs = [(np.ones(n, dtype=bool), np.sort(dep["at"]))]
    else:
        dep_codes = dep["service"]
        by_service = {dep_codes.labels[c]: np.sort(dep["at"][dep_codes.codes == c]) for c in range(len(dep_codes.labels))}
        svc = inc["service"]
        known = svc.codes >= 0
        order = np.argsort(svc.codes, kind="stable")
        bounds = np.searchsorted(svc.codes[order], np.arange(len(svc.labels) + 1))
        pairs = [(order[bounds[c]:bounds[c + 1]], by_service.get(label)) for c, label in enumerate(svc.labels)]
    for idx, times in pairs:
        if times is None or times.size == 0:
            continue
        t = started[idx]
        after[idx] = _within(t, times, w)
        if shifts:
            # The base rate: the share that would follow a deploy had the same deploys
            # happened in other weeks (the span wraps around). Shifting by whole weeks
            # keeps the time of week, so incidents and deploys that both favour working
            # hours are not mistaken for a link.
            origin, length = start - w, shifts[0][1]
            hits = np.zeros(t.size)
            for shift, _ in shifts:
                moved = np.sort(origin + np.mod(times - origin + shift, length))
                hits += _within(t, moved, w) | _within(t, moved - length, w)
            base[idx] = hits / len(shifts)
        else:
            base[idx] = _cover(times, w, start, end)
    sev = inc["severity"]
    groups = [("all", known)]
    groups += [(label, known & (sev.codes == c)) for c, label in enumerate(sev.labels)]
    tested = sum(1 for _, m in groups[1:] if m.sum() >= MIN_GROUP)
    out_groups, findings = [], []
    scope = "a deploy" if any_service else "a deploy of their service"
    for label, mask in groups:
        k, m = int(after[mask].sum()), int(mask.sum())
        if m == 0:
            continue
        p0 = float(base[mask].mean())
        share = k / m
        lift = share / p0 if p0 > 0 else float("inf") if k else 1.0
        p = binomial_p(k, m, min(max(p0, 1e-12), 1 - 1e-12), "greater") if m >= MIN_GROUP and p0 > 0 else None
        p_adj = None if p is None else (p if label == "all" else min(1.0, p * max(tested, 1)))
        significant = p_adj is not None and p_adj < ALPHA and lift > 1
        out_groups.append({"severity": None if label == "all" else label, "incidents": m, "after_deploy": k,
                           "share": share, "base_rate": p0, "lift": lift, "p_value": p, "p_adjusted": p_adj,
                           "significant": significant})
        who = "incidents" if label == "all" else f"{label} incidents"
        if significant:
            findings.append(Pattern("deploys", True, f"{format_share(share)} of {who} began within {_hours(window_hours)} after "
                                    f"{scope}, {lift:.1f}x the base rate ({format_share(p0)}), {p_text(p_adj)}", out_groups[-1]))
        elif label == "all":
            findings.append(Pattern("deploys", False, f"{format_share(share)} of incidents began within {_hours(window_hours)} "
                                    f"after {scope}, against a base rate of {format_share(p0)}: not distinguishable from "
                                    f"chance ({p_text(p)})" if p is not None else
                                    f"{k} of {m} incidents began within {_hours(window_hours)} after {scope}: too few "
                                    "to test", out_groups[-1]))
    return out_groups, findings


WEEK = 7 * 86400.0
#: Whole-week shifts of the deploys that give the base rate (fewer on a short span).
MAX_SHIFT_WEEKS = 4


def _shifts(span: float) -> list[tuple[float, float]]:
    """(shift, wrap length) pairs: +-1..4 weeks within a span rounded up to whole weeks;
    none when the span is under three weeks (then the base rate is the share of time
    covered by post-deploy windows)."""
    weeks = int(np.ceil(span / WEEK))
    if weeks < 3:
        return []
    length = weeks * WEEK
    return [(sign * k * WEEK, length) for k in range(1, min(MAX_SHIFT_WEEKS, weeks - 1) + 1) for sign in (1, -1)]


def _within(started: np.ndarray, deploys: np.ndarray, w: float) -> np.ndarray:
    idx = np.searchsorted(deploys, started, side="right") - 1
    ok = idx >= 0
    out = np.zeros(started.size, dtype=bool)
    out[ok] = started[ok] - deploys[idx[ok]] < w
    return out


def _weekday_finding(weekday: np.ndarray, local: np.ndarray) -> Pattern:

    first, last = np.floor(local.min() / 86400.0), np.floor(local.max() / 86400.0)
    days = np.arange(first, last + 1)
    day_weekday = ((days + 3) % 7).astype(np.int64)
    n_weekend_days = int(np.sum(day_weekday >= 5))
    n_week_days = int(days.size - n_weekend_days)
    weekend = int(np.sum(weekday >= 5))
    n = weekday.size
    numbers: dict[str, Any] = {"weekday_incidents": n - weekend, "weekend_incidents": weekend,
                               "weekdays": n_week_days, "weekend_days": n_weekend_days}
    if n_weekend_days == 0 or n_week_days == 0 or n < MIN_GROUP:
        return Pattern("weekday", False, "the span is too short (or has too few incidents) to compare weekdays with "
                       "weekends", numbers)
    per_weekday = (n - weekend) / n_week_days
    per_weekend = weekend / n_weekend_days
    p = binomial_p(weekend, n, n_weekend_days / days.size)
    numbers.update(per_weekday=per_weekday, per_weekend_day=per_weekend, p_value=p)
    if p < ALPHA and per_weekend > 0 and per_weekday > 0:
        more, less, ratio = (("weekdays", "weekend days", per_weekday / per_weekend) if per_weekday > per_weekend
                             else ("weekend days", "weekdays", per_weekend / per_weekday))
        numbers["ratio"] = ratio
        return Pattern("weekday", True, f"incidents begin {ratio:.1f}x as often per day on {more} as on {less} "
                       f"({per_weekday:.1f} per weekday, {per_weekend:.1f} per weekend day), {p_text(p)}", numbers)
    return Pattern("weekday", p < ALPHA, f"weekdays and weekends see incidents at similar rates ({per_weekday:.1f} "
                   f"per weekday, {per_weekend:.1f} per weekend day, {p_text(p)})", numbers)


def _hour_finding(by_hour: np.ndarray, n: int) -> Pattern:

    numbers: dict[str, Any] = {"by_hour": by_hour.tolist()}
    if n < 24:
        return Pattern("hour", False, "too few incidents to say anything about the hour of day", numbers)
    p = uniform_p(by_hour)
    hi, lo = int(np.argmax(by_hour)), int(np.argmin(by_hour))
    share_hi, share_lo = by_hour[hi] / n, by_hour[lo] / n
    numbers.update(p_value=p, busiest_hour=hi, quietest_hour=lo, busiest_share=share_hi, quietest_share=share_lo)
    span = lambda h: f"{h:02d}:00-{(h + 1) % 24:02d}:00"  # noqa: E731
    if p < ALPHA:
        return Pattern("hour", True, f"incident starts cluster by hour of day ({p_text(p)}): the busiest hour is "
                       f"{span(hi)} with {format_share(share_hi)} of incidents ({share_hi * 24:.1f}x an even spread), the "
                       f"quietest {span(lo)} with {format_share(share_lo)}", numbers)
    return Pattern("hour", False, f"incident starts are spread over the day about evenly ({p_text(p)})", numbers)


def _counts(col: Any, recent: np.ndarray) -> list[dict[str, Any]]:
    """Incidents per value of a coded column, most first, with how many were recent."""
    known = col.codes >= 0
    total = np.bincount(col.codes[known], minlength=len(col.labels))
    late = np.bincount(col.codes[known & recent], minlength=len(col.labels))
    order = sorted(range(len(col.labels)), key=lambda i: (-total[i], col.labels[i]))
    return [{"name": col.labels[i], "count": int(total[i]), "recent": int(late[i])} for i in order if total[i]]


def _recurring(kind: str, label: str, counts: list[dict[str, Any]], n: int, top: int) -> list[Pattern]:
    if not counts:
        return []
    median = float(np.median([c["count"] for c in counts]))
    out = []
    for c in counts[:top]:
        if c["count"] < 2:
            break
        c["share"] = c["count"] / n
        ratio = c["count"] / median if median > 0 else 0.0
        vs = f", {ratio:.1f}x the median {label}" if len(counts) > 2 and ratio >= 1.5 else ""
        out.append(Pattern(kind, False, f"{label} '{c['name']}' recurs: {c['count']:,} incidents ({format_share(c['share'])}){vs}; "
                           f"{c['recent']:,} in the last {RECENT_DAYS} days", dict(c)))
    return out
