"""What the post-mortem says of partial impact, staged recovery and impact the response
caused: rows for the impact table, and the facts under it (the weighted outage, the
share back at each stage)."""

from __future__ import annotations

import math
from typing import Any

from scenarios import format_share
from scenarios.timeline import Timeline
from scoring import metric_label

from . import fmt

#: The phrase that marks impact the response caused, in the table and the sentences.
BY_RESPONSE = "caused by the response"


def share_words(payload: Any) -> str:
    """``40% of tenants`` for a partial impact, empty for every user."""
    if payload.share is None:
        return ""
    return f"{format_share(float(payload.share))} of {payload.of or 'users'}"


def response_rows(tl: Timeline, clock: "fmt.Clock", until: str) -> list[dict[str, Any]]:
    """A row per impact the response caused: its service, what it did, from when until
    when (its own end, else the incident's recovery, ``until``). Customers see it (it is
    an outage or a degradation), whatever the scenario's faults say of the service."""
    ends = {(str(e.payload.service), str(e.payload.action)): e.t for e in tl.events
            if e.kind == "impact_restored" and e.payload.service is not None}
    rows = []
    for e in tl.find("impact_started", caused_by="response"):
        p = e.payload
        service, share = str(p.service or e.subject), share_words(p)
        end = ends.get((service, str(p.action)))
        rows.append({"service": service, "kind": str(p.impact),
                     "impact": f"{p.impact}{' of ' + share if share else ''} ({BY_RESPONSE}: {p.action})",
                     "from": clock.time(e.t), "until": clock.stamp(end) if end is not None else until,
                     "customer_facing": True, "by_response": str(p.action), "share": share})
    return rows


def impact_facts(tl: Timeline, values: dict[str, float | None], clock: "fmt.Clock") -> list[tuple[str, str]]:
    """The weighted figures (``1h24m (1.4 customer-hours)``) and the share back at each
    recovery stage, for a run that has them; nothing otherwise."""
    facts = []
    for name in ("weighted_outage", "weighted_degraded"):
        if name in values:
            v = values[name]
            label = metric_label(name)
            if v is None or math.isinf(v):
                text = "not over when the drill ended"
            else:
                text = f"{fmt.duration(v)} ({v / 3600:,.1f} customer-hours: share affected × hours)"
            facts.append((label[:1].upper() + label[1:], text))
    for e in tl.find("impact_restored"):
        p = e.payload
        if p.service is None:
            facts.append((f"Recovery stage {p.stage} of {p.stages}",
                          f"{format_share(float(p.restored))} of {p.of or 'the affected users'} restored at "
                          f"{clock.time(e.t)} ({fmt.offset(e.t)})"))
    return facts
