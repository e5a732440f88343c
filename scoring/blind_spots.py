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
    """Service -> (the earliest offset, the fault kind) of the scenario's faults with
    ``impact: outage`` there: what blinds monitoring that depends on it."""
    out: dict[str, tuple[float, str]] = {}
    for inj in sc.injects:
        f = inj.fault
        if f is None or f.impact != "outage":
            continue
        at = max(inj.at, 0.0) if inj.at is not None else math.inf  # a `when:` inject: if its condition holds
        if f.service not in out or at < out[f.service][0]:
            out[f.service] = (at, f.kind)
    return out


@rule("monitoring-depends-on-impacted-service", "detection")
def _blind_monitoring(ctx: Context) -> Iterable[Finding]:
    sc = ctx.scenario
    down = outage_faults(sc)
    seeing = [r for r in sc.monitoring if r.routed and _sees(r, sc)]
    free = [r for r in seeing if not any(d in down for d in r.depends_on)]
    ev = ctx.batch.evidence if ctx.batch else None
    for r in seeing:
        deps = [d for d in r.depends_on if d in down]
        if not deps:
            continue
        when = ", ".join(f"{d} (a {down[d][1]} fault, " + (f"from +{format_duration(down[d][0])})" if math.isfinite(down[d][0])
                                                           else "when its condition holds)") for d in deps)
        runs = ""
        if ev is not None and ev.runs:
            n = ev.blind_runs.get(r.alert, 0)
            spans = sorted(ev.blind_seconds.get(r.alert, []))
            median = f", for a median {format_duration(round(spans[len(spans) // 2]))}" if spans else ""
            runs = f"; it was blind in {format_share(n / ev.runs)} of {_runs(ctx)}{median}"
        alone = "" if free else "; no other routed alert sees the incident, so detection waits for people outside monitoring"
        yield Finding(
            "monitoring-depends-on-impacted-service", f"Alert {r.alert} is blind while {' and '.join(deps)} is down",
            "high" if free else "critical",
            f"{r.alert} would catch this incident on its own signal, but its monitoring depends on {when}, "
            f"which has an outage in this scenario: while it is down the rule evaluates nothing and cannot fire{runs}{alone}",
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
