"""Impact weighted by how much of the service was out: a share of users over time.

TTR says how long until everyone was back; it says the same of an outage of every
user and of one tenant in ten. The weighted figures integrate the share affected over
time: ``weighted_outage`` is the sum of share out x time, in seconds (0.4 of the users
out for 3h, then 0.1 for 2h: 1.4 customer-hours, written 1h24m: as long as an outage of
every user would have to last to hurt as much). ``weighted_degraded`` is the same for
degraded service. Impact the response caused counts like any other.

At one instant, impacts of the same kind overlap as far as they can (the largest share
counts), because the scenario does not say which users each one reaches. An impact
lasts until recovery, shrinking with each recovery stage (``impact_restored`` without
a service), unless an ``impact_restored`` naming its service and action ended it
earlier. A run that never recovered has a weighted figure of ``inf`` (missed), like
TTR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scenarios import Scenario
from scenarios.timeline import Timeline

#: metric name -> the impact kind it weighs
WEIGHTED = {"weighted_outage": "outage", "weighted_degraded": "degraded"}


@dataclass(frozen=True)
class Stretch:
    """One impact: from ``start`` to ``end`` (None: until recovery, in its stages)."""

    kind: str
    service: str
    share: float
    of: str
    start: float
    end: float | None
    by_response: bool
    action: str | None


def stretches(tl: Timeline) -> list[Stretch]:
    """Every impact customers see (outage or degraded) in the run, in order."""
    kinds = tl.by_kind_and_milestones()[0]
    ended: dict[tuple[str, str], float] = {}
    for e in kinds["impact_restored"]:
        if e.payload.service is not None:
            ended.setdefault((str(e.payload.service), str(e.payload.action)), e.t)
    out = []
    for e in kinds["impact_started"]:
        if e.payload.impact not in WEIGHTED.values():
            continue
        p = e.payload
        share = 1.0 if p.share is None else float(p.share)
        service = str(p.service or e.subject)
        by_response = p.caused_by == "response"
        end = ended.get((service, str(p.action))) if by_response else None
        out.append(Stretch(str(p.impact), service, share, str(p.of or "users"), e.t, end, by_response,
                           None if p.action is None else str(p.action)))
    return out


def affected(tl: Timeline, kind: str, spans: list[Stretch] | None = None) -> list[tuple[float, float]]:
    """The share affected by impact of ``kind`` as steps: (from t, share), the last
    step at recovery (or the drill's end) with share 0. ``spans``: the run's
    ``stretches``, where the caller has them already."""
    impacts = [s for s in (stretches(tl) if spans is None else spans) if s.kind == kind]
    kinds, ms = tl.by_kind_and_milestones()
    recovered = ms["recovered"]  # the first recovered event's t
    close = recovered if recovered is not None else tl.duration
    stages = [(e.t, float(e.payload.restored)) for e in kinds["impact_restored"] if e.payload.service is None]
    marks = sorted({close, *(s.start for s in impacts), *(s.end for s in impacts if s.end is not None),
                    *(t for t, _ in stages)})
    steps: list[tuple[float, float]] = []
    for a, b in zip(marks, marks[1:] + [math.inf]):
        if a >= close:
            break
        mid = (a + b) / 2 if b != math.inf else a
        back = max((r for t, r in stages if t <= mid), default=0.0)
        share = 0.0
        for s in impacts:
            if s.start <= mid and (s.end is None or mid < s.end):
                share = max(share, s.share if s.end is not None else s.share * (1.0 - back))
        if not steps or steps[-1][1] != share:
            steps.append((a, share))
    steps.append((close, 0.0))
    return steps


def weighted(tl: Timeline, kind: str, spans: list[Stretch] | None = None) -> float:
    """Share x seconds of impact of ``kind`` (inf when impact of it never recovered)."""
    steps = affected(tl, kind, spans)
    if tl.by_kind_and_milestones()[1]["recovered"] is None and any(share > 0 for _, share in steps):
        return math.inf
    return round(sum(a[1] * (b[0] - a[0]) for a, b in zip(steps, steps[1:])), 3)


#: (action, service, impact kind, share, what the share counts) of an impact the response caused
Collateral = tuple[str, str, str, float | None, str | None]


def collateral(tl: Timeline) -> dict[Collateral, float]:
    """Impact the response caused in the run: (action, service, kind, share, of) -> how long
    it lasted, in seconds (to its own end, else recovery; inf if neither came)."""
    recovered = tl.by_kind_and_milestones()[1]["recovered"]  # the first recovered event's t
    out: dict[Collateral, float] = {}
    for s in stretches(tl):
        if not s.by_response:
            continue
        end = s.end if s.end is not None else recovered
        key = (s.action or "the response", s.service, s.kind, s.share, s.of)
        out.setdefault(key, math.inf if end is None else round(end - s.start, 3))
    return out


def uses_shares(scenario: Scenario | None, tl: Timeline) -> bool:
    """Whether the run needs the weighted figures: the scenario states partial impact,
    staged recovery or impact the response causes, or the run has such impact (a
    runbook step that causes it)."""
    if scenario is not None:
        faults = [i.fault for i in scenario.injects if i.fault is not None]
        if (any(f.share < 1.0 for f in faults) or (scenario.recovery and scenario.recovery.stages)
                or (scenario.mitigation and scenario.mitigation.causes)
                or (scenario.breach and scenario.breach.contain_causes)):
            return True
    kinds = tl.by_kind_and_milestones()[0]
    return bool(kinds["impact_restored"]) or any(e.payload.share is not None or e.payload.caused_by is not None
                                                 for e in kinds["impact_started"])


def weighted_values(scenario: Scenario | None, tl: Timeline) -> dict[str, float]:
    """The weighted figures a run reports: ``weighted_outage`` whenever shares matter,
    ``weighted_degraded`` when anything was degraded. Empty for a scenario that uses
    none of it (its scorecard stays as it was)."""
    if not uses_shares(scenario, tl):
        return {}
    spans = stretches(tl)
    kinds = {s.kind for s in spans}
    return {name: weighted(tl, kind, spans) for name, kind in WEIGHTED.items() if kind == "outage" or kind in kinds}
