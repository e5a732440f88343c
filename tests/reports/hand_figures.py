"""Figures a report must show, worked out here from the timeline events and the
scenario's targets, the way DESIGN.md defines them, without drillbit's scoring:
metrics as differences of milestones, quantiles as order statistics, shares as counts
over runs, the Wilson interval and the median's bootstrap interval from their closed
forms. Formatting follows drillbit's conventions (durations as YAML writes them,
shares as percents with at most one decimal)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from statistics import NormalDist

from scenarios import format_duration
from scenarios.timeline import Timeline

INF = math.inf

#: metric -> its name in the reports
LABELS = {
    "ttd": "time to detect", "tta": "time to acknowledge", "engage": "time to engage", "ttm": "time to mitigate",
    "ttr": "time to recover", "first_update": "time to first update", "longest_silence": "longest silence",
    "cadence_overrun": "cadence overrun", "rpo": "data lost (RPO)", "rto": "time to restore data (RTO)",
}
#: scenario objective field -> metric; severity field -> metric
SCENARIO_FIELDS = {"detect": "ttd", "acknowledge": "tta", "engage": "engage", "first_update": "first_update",
                   "mitigate": "ttm", "recover": "ttr", "rpo": "rpo", "rto": "rto"}
#: (update_every is judged as the cadence overrun within 0: every silence kept its phase's interval)
SEVERITY_FIELDS = {"ack": "tta", "mitigate": "ttm", "update_every": "cadence_overrun"}

DURATION = re.compile(r"(?<![\w.:+-])\d+(?:\.\d+)?(?:ms|d|h|m|s)(?:\d+(?:\.\d+)?(?:ms|h|m|s))*(?![\w])")
PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?:–(\d+(?:\.\d+)?))?%")


def first(tl: Timeline, kind: str, **match: object) -> float | None:
    return next((e.t for e in tl.events if e.kind == kind and all(e.data.get(k) == v for k, v in match.items())), None)


def span(start: float | None, end: float | None) -> float | None:
    if start is None:
        return None
    return INF if end is None else round(end - start, 3)


def allowed_silence(level, tl: Timeline, a: float, disclosed: float | None) -> float:
    """The README's rule for the silence that begins at ``a``: the cadence of the phase
    then (investigating from detection, identified from the diagnosis, monitoring from
    mitigation), stretched to a share of the time since the last change, capped."""
    base = level.update_every
    identified = level.update_identified or base
    cadences = {"detected": base, "diagnosed": identified, "mitigated": level.update_monitoring or 2 * identified}
    began, cadence = None, base
    for milestone in ("detected", "diagnosed", "mitigated"):
        at = first(tl, milestone)
        if at is not None and at <= a:
            began, cadence = at, cadences[milestone]
    if disclosed is not None and disclosed <= a:
        began = max(began, disclosed)
    return max(cadence, min(level.update_stretch * (a - began), level.update_max))


def run_metrics(tl: Timeline, data_loss: bool, level=None, breach: bool = False) -> dict[str, float | None]:
    """Each metric of one run in seconds (inf: never happened; None: nothing to measure from)."""
    impact, detected = first(tl, "impact_started"), first(tl, "detected")
    out = {
        "ttd": span(impact, detected),
        "tta": span(first(tl, "page_sent", purpose="incident"), first(tl, "acknowledged", purpose="incident")),
        "engage": span(detected, first(tl, "responder_engaged", role="responder")),
        "ttm": span(impact, first(tl, "mitigated")),
        "ttr": span(impact, first(tl, "recovered")),
        "first_update": span(detected, first(tl, "status_update")),
    }
    if detected is None:
        out["longest_silence"] = None
        if level is not None and level.update_every is not None:
            out["cadence_overrun"] = None
    else:
        close = first(tl, "resolved")
        close = tl.events[-1].t if close is None else close
        marks = [detected, *(e.t for e in tl.events if e.kind == "status_update" and e.t <= close), close]
        out["longest_silence"] = round(max(b - a for a, b in zip(marks, marks[1:])), 3)  # the real gap
        if level is not None and level.update_every is not None:  # how far a silence ran past its phase's interval
            held = breach and level.public_update and level.breach_public == "at-disclosure"
            disclosed = first(tl, "status_update", public=True) if held else None
            past = max(round((b - a) - allowed_silence(level, tl, a, disclosed), 3) for a, b in zip(marks, marks[1:]))
            out["cadence_overrun"] = 0.0 if past <= 0.002 else past
    if data_loss:
        restored = next((e for e in tl.events if e.kind == "restored_data"), None)
        # data lost: from the last good backup to the loss
        out["rpo"] = (None if impact is None else INF) if restored is None else round(impact - restored.data["backup_t"], 3)
        out["rto"] = span(impact, restored.t if restored else None)
    return out


def objectives(case) -> list[tuple[str, str, float]]:
    """(label, metric, target seconds) of every objective: the scenario's, then the
    severity level's where it sets a different target for the metric."""
    out = []
    for field, metric in SCENARIO_FIELDS.items():
        target = getattr(case.scenario.objectives, field)
        if target is not None:
            out.append((metric, target))
    level = case.team.severity.get(case.scenario.severity)
    for field, metric in SEVERITY_FIELDS.items():
        target = getattr(level, field, None) if level else None
        if target is not None and metric == "cadence_overrun":
            target = 0.0
        if target is not None and (metric, target) not in out:
            out.append((metric, target))
    return [("status updates within the phase cadence" if m == "cadence_overrun" else f"{LABELS[m]} within {format_duration(t)}",
             m, t) for m, t in out]


def order_statistic(values: list[float], q: float) -> float:
    """The smallest value with at least a share q of the values at or below it."""
    v = sorted(values)
    return v[max(math.ceil(q * len(v)), 1) - 1]


def median_bootstrap_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float]:
    """The percentile-bootstrap interval of the median in closed form: a resample's
    median is at most v_j when at least ceil(n/2) of its n draws are, a binomial tail."""
    v = sorted(values)
    n, k = len(v), math.ceil(len(v) / 2)

    def cdf(j: int) -> float:
        p = sum(1 for x in v if x <= v[j]) / n
        return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))

    tail = (1 - confidence) / 2
    low = next(v[j] for j in range(n) if cdf(j) >= tail - 1e-12)
    high = next(v[j] for j in range(n) if cdf(j) >= 1 - tail - 1e-12)
    return low, high


def wilson(met: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = met / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (0.0 if met == 0 else centre - half), (1.0 if met == n else centre + half)


def pct(share: float) -> str:
    text = f"{share * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def dur(seconds: float | None) -> str:
    return "never" if seconds is None or math.isinf(seconds) else format_duration(seconds)


@dataclass
class MetricFigures:
    """What a report may say about one metric over a case's runs."""

    values: list[float]  # per run; inf: missed
    targets: list[float]

    @property
    def median(self) -> float:
        return order_statistic(self.values, 0.5)

    def allowed(self, first_run: float | None) -> set[str]:
        """Every duration a line about this metric may show: its values, its targets, and
        1.5x each target (where rating S ends and M begins)."""
        figures = {dur(first_run), *(dur(t) for t in self.targets), *(dur(1.5 * t) for t in self.targets)}
        if len(self.values) > 1:
            figures |= {dur(order_statistic(self.values, q)) for q in (0.5, 0.9, 0.99)}
            figures |= {dur(x) for x in (*median_bootstrap_interval(self.values), min(self.values), max(self.values))}
        return figures


def figures(case) -> dict[str, MetricFigures]:
    data_loss = case.scenario.kind == "data-loss"
    level = case.team.severity.get(case.scenario.severity)
    per_run = [run_metrics(tl, data_loss, level, case.scenario.kind == "breach") for tl in case.timelines]
    targets = {m: [t for _, metric, t in objectives(case) if metric == m] for m in LABELS}
    return {m: MetricFigures([INF if r[m] is None else r[m] for r in per_run], targets[m])
            for m in LABELS if m in per_run[0]}


def counts(tl: Timeline) -> dict[str, int]:
    """Per-run counts that need no time zone: pages sent and missed (noise pages
    aside), escalations, failed steps, noise alerts."""
    return {
        "pages sent": sum(1 for e in tl.events if e.kind == "page_sent" and e.data.get("purpose") != "noise"),
        "pages missed": sum(1 for e in tl.events if e.kind == "page_missed" and e.data.get("purpose") != "noise"),
        "escalations": sum(1 for e in tl.events if e.kind == "escalated"),
        "steps failed": sum(1 for e in tl.events if e.kind == "step_finished" and e.data.get("ok") is False),
        "noise alerts": sum(1 for e in tl.events if e.kind == "alert_fired" and e.data.get("noise") is True),
    }
