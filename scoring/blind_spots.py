"""Gap rules for what monitoring and backups cannot cover: an alert that would see the
incident but runs on a service the incident takes down (``depends_on``), and data that
no working backup holds (``covers`` below 1). Kept apart from ``gaps.py`` so the rules
read on their own; importing the package registers them."""

from __future__ import annotations

import math
from typing import Iterable

from scenarios import Scenario, format_duration, format_share

from .gaps import Context, Finding, _runs, _sees, rule


def outage_faults(sc: Scenario) -> dict[str, tuple[float, str]]:
    """Service -> (the earliest offset, the fault kind) of the scenario's timed faults
    with ``impact: outage`` there: what blinds monitoring that depends on it (a ``when:``
    fault may never come, so it is left out)."""
    out: dict[str, tuple[float, str]] = {}
    for inj in sc.injects:
        f = inj.fault
        if f is None or f.impact != "outage" or inj.at is None:
            continue
        at = max(inj.at, 0.0)  # before the drill: applied at its start
        if f.service not in out or at < out[f.service][0]:
            out[f.service] = (at, f.kind)
    return out


def first_firing(rule_, sc: Scenario) -> float | None:
    """When a rule that sees nothing but the scenario's signals would first fire, on its
    tick grid (ticks at k*every; a metric condition must hold for ``for``), or None if no
    signal trips it. Signals of ``when:`` injects count at no time."""
    every = rule_.every
    best: float | None = None
    for inj in sc.injects:
        s = inj.signal
        if s is None or inj.at is None or not _sees_signal(rule_, s):
            continue
        tick = math.ceil(max(inj.at, 0.0) / every - 1e-9) * every
        at = tick + (math.ceil(rule_.for_ / every - 1e-9) * every if rule_.signal is not None else 0.0)
        best = at if best is None else min(best, at)
    return best


def _sees_signal(rule_, s) -> bool:
    if rule_.signal is not None:
        return s.kind == "metric" and s.metric == rule_.signal and (
            (rule_.above is not None and s.value > rule_.above) or (rule_.below is not None and s.value < rule_.below))
    return s.kind == rule_.on and (rule_.source is None or s.source == rule_.source)


def blinded(rule_, sc: Scenario) -> list[str]:
    """The services ``rule_`` depends on whose outage begins before it would first fire
    (at the same instant counts: that tick finds no data), so it cannot catch the incident."""
    fires = first_firing(rule_, sc)
    down = outage_faults(sc)
    if fires is None:
        return []
    return [d for d in rule_.depends_on if d in down and down[d][0] <= fires]


@rule("monitoring-depends-on-impacted-service", "detection")
def _blind_monitoring(ctx: Context) -> Iterable[Finding]:
    sc = ctx.scenario
    down = outage_faults(sc)
    seeing = [r for r in sc.monitoring if r.routed and _sees(r, sc)]
    free = [r for r in seeing if not blinded(r, sc)]
    ev = ctx.batch.evidence if ctx.batch else None
    for r in seeing:
        deps = blinded(r, sc)
        if not deps:
            continue
        fires = first_firing(r, sc)
        when = ", ".join(f"{d} (a {down[d][1]} fault from +{format_duration(down[d][0])})" for d in deps)
        runs = ""
        if ev is not None and ev.runs:
            n = ev.blind_runs.get(r.alert, 0)
            spans = sorted(ev.blind_seconds.get(r.alert, []))
            median = f", for a median {format_duration(round(spans[len(spans) // 2] / 60) * 60)}" if spans else ""
            runs = f"; it was blind in {format_share(n / ev.runs)} of {_runs(ctx)}{median}"
        alone = ("; no other routed alert sees the incident before its monitoring goes dark, so detection waits for "
                 "people outside monitoring") if not free else ""
        yield Finding(
            "monitoring-depends-on-impacted-service", f"Alert {r.alert} is blind while {' and '.join(deps)} is down",
            "high" if free else "critical",
            f"{r.alert} would fire at +{format_duration(fires)} on the scenario's signals, but its monitoring depends on "
            f"{when}, which is down by then: a blind rule evaluates nothing and cannot fire{runs}{alone}",
            f"watch {r.alert} from outside what it depends on: a dead-man's-switch alert (always firing, paging when it stops "
            f"arriving) or a black-box probe hosted apart from {' and '.join(deps)}, with alerting on a separate path",
            "monitoring owner", r.alert)


@rule("data-not-covered-by-backup", "recovery")
def _data_not_covered(ctx: Context) -> Iterable[Finding]:
    sc = ctx.scenario
    working = [b for b in sc.backups if b.works]
    if not working:
        return  # no-working-backup says it
    best = max(working, key=lambda b: b.covers)
    if best.covers >= 1.0:
        return
    parts = ", ".join(f"{b.kind} {format_share(b.covers)}" for b in working)
    yield Finding(
        "data-not-covered-by-backup", "Part of the data is in no working backup", "high",
        f"the working backups of '{sc.id}' hold at most {format_share(best.covers)} of the data ({parts}); the other "
        f"{format_share(1.0 - best.covers)} is in none of them, so a loss of it is for good",
        "back up what no backup holds (list the data stores and check each against a backup), and test a restore of it",
        "data owner", sc.id)
