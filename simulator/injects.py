"""The scenario's own timeline: injects at their offsets, conditional injects, faults
that start impact, and the fallback detection when no alert sees the incident.

An inject is delivered at most once. A held inject (a tabletop's facilitator holds it)
is not delivered at its time, nor when its condition holds; :func:`release` delivers
it, or any inject not yet delivered, now."""

from __future__ import annotations

from typing import Any

from scenarios.durations import format_duration
from scenarios.scenario import Inject

from .impacts import fault_fields
from .plan import LOSS_FAULTS
from .run import Run


def schedule_injects(run: Run) -> None:
    """Queue every inject of the scenario. Injects written before the start (a negative
    ``at``) are delivered at 0s."""
    for at, i, inj in run.plan.timed:
        run.after(max(at, 0.0), lambda _e, i=i, inj=inj: deliver(run, i, inj, None))
    for secs, i, inj, name, text in run.plan.conditional:
        run.after(secs, lambda _e, i=i, inj=inj, name=name, text=text: _conditional(run, i, inj, name, text))


def _conditional(run: Run, i: int, inj: Inject, name: str, text: str) -> None:
    if run.finished:
        return
    holds = {
        "not_detected_by": not run.detected,
        "not_acknowledged_by": run.acked_by is None,
        "not_mitigated_by": not run.mitigated,
        "updated_by": run.comms.count > 0,
        "not_updated_by": run.comms.count == 0,
    }[name]
    if holds:
        deliver(run, i, inj, text)
    elif i not in run.delivered and i not in run.held:
        run.skipped.add(i)


RELEASED = "released by the facilitator"


def release(run: Run, i: int) -> None:
    """Deliver inject ``i`` now (held or not, its time or condition come or not), with
    the condition text :data:`RELEASED`; nothing if it was delivered already."""
    run.held.discard(i)
    run.skipped.discard(i)
    deliver(run, i, run.plan.scenario.injects[i], RELEASED)


def deliver(run: Run, i: int, inj: Inject, condition: str | None) -> None:
    """Deliver one inject. A card is recorded as an ``inject`` event; a fault or a
    signal as its own event (``fault_applied``, ``signal``) carrying ``inject: i``.
    Nothing for an inject delivered already or held."""
    if run.finished or i in run.delivered or i in run.held:
        return
    stages = run.stages
    if stages is not None and not stages.begin(i):
        return  # its stage was contained: the intruder's foothold is gone
    run.delivered[i] = run.env.now
    if inj.fault is not None:
        _fault(run, i, inj, condition)
    elif inj.signal is not None:
        s = inj.signal
        run.monitoring.signal(s.kind, s.metric, s.value, s.text, s.source, fallback=False, inject=i, condition=condition)
    else:
        run.emit("inject", "scenario", inj.card.title,  # type: ignore[union-attr]
                 run.plan.data(("inject", i, condition), lambda: _with_condition({"index": i, "what": "card"}, condition)))
    if stages is not None:
        stages.end()


def _fault(run: Run, i: int, inj: Inject, condition: str | None) -> None:
    f = inj.fault
    assert f is not None
    plan = run.plan
    run.emit("fault_applied", f.kind, f.service, plan.data(("fault_applied", i, condition), lambda: _with_condition(
        {"fault": f.kind, "service": f.service, "impact": f.impact, "inject": i}, condition)))
    run.monitoring.fault(f.service, f.impact)  # monitoring that runs on the service may go blind
    if i in run.plan.impact_faults:
        run.emit("impact_started", f.kind, f.service, plan.data(("impact_started", i), lambda: {
            "fault": f.kind, "service": f.service, "impact": f.impact, **fault_fields(f)}))
        run.impacts.fault(f)
        if run.impact_t is None:
            run.impact_t = run.env.now
            fb = run.plan.scenario.detection_fallback
            if fb is not None:
                run.after(fb.after, lambda _e: _fallback(run))
    if f.kind in LOSS_FAULTS and run.loss_t is None:
        run.loss_t = run.env.now


def _with_condition(data: dict[str, Any], condition: str | None) -> dict[str, Any]:
    if condition is not None:
        data["condition"] = condition
    return data


def _fallback(run: Run) -> None:
    if run.finished or run.detected:
        return
    fb = run.plan.scenario.detection_fallback
    assert fb is not None
    text = f"{fb.via} reports the incident ({format_duration(fb.after)} after impact began, before any alert paged)"
    run.monitoring.signal(fb.via, None, None, text, None, fallback=True)
    sc = run.plan.scenario
    run.detect(fb.via, fb.via, fb.via, policy=run.plan.fallback_policy, severity=sc.severity, fallback=True)

