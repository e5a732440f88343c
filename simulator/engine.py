"""One simulated run: scenario x team x runbooks at a wall-clock start -> Timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

import numpy as np

from scenarios import Runbook, Scenario, Team
from scenarios.common import zone
from scenarios.timeline import Timeline

from .assumptions import Assumptions
from .clock import run_until
from .errors import SimulationError
from .injects import schedule_injects
from .plan import Plan
from .run import Run

DEFAULT_HORIZON = 72 * 3600.0


def horizon_for(scenario: Scenario, runbooks: Sequence[Runbook] = ()) -> float:
    """A horizon long enough for the planned response to finish in nearly every run:
    72 hours after the scenario's last scripted moment (its latest inject or fallback
    detection), plus the 90th percentiles of the slowest work that can follow it — the
    slowest working restore, the longest matching runbook, improvised phases and
    recovery (its slowest stage), and the longest impact the response causes ``for`` a
    while (it holds recovery back).
    Weeks-long restores and breaches detected after months are then still seen through.
    """
    last = max([i.at for i in scenario.injects if i.at is not None] +
               ([scenario.detection_fallback.after] if scenario.detection_fallback else []), default=0.0)
    # Sums of 90th percentiles: already above the 90th percentile of the sum, and far
    # from the runaway 99th percentiles of heavy-tailed estimates.
    p90 = lambda d: d.quantile(0.9) if d is not None else 0.0  # noqa: E731
    restore = max((p90(b.restore_time) for b in scenario.backups if b.works), default=0.0)
    alerts, services, tags = {r.alert for r in scenario.monitoring}, set(scenario.services), {scenario.kind, *scenario.tags}
    runbook = max((sum(p90(s.takes) * (1 + s.on_failure.retry) for s in rb.steps)
                   for rb in runbooks if rb.matches(alerts, services, tags)), default=0.0)
    phases = sum(p90(getattr(p, field, None)) for p in (scenario.diagnosis, scenario.mitigation, scenario.recovery)
                 if p for field in ("takes", "improvised", "after_mitigation"))
    if scenario.diagnosis is not None:  # wrong leads come before the diagnosis itself
        phases += sum(p90(w.costs) for w in scenario.diagnosis.wrong_leads)
    if scenario.recovery is not None and scenario.recovery.stages:  # recovery in stages: the slowest stage
        phases += max(p90(st.after) for st in scenario.recovery.stages)
    caused = [*(scenario.mitigation.causes if scenario.mitigation else ()),
              *(scenario.breach.contain_causes if scenario.breach else ())]
    phases += max((p90(c.for_) for c in caused if c.for_ is not None), default=0.0)  # it holds recovery back
    return max(DEFAULT_HORIZON, last + DEFAULT_HORIZON + restore + runbook + phases)


def simulate(scenario: Scenario, team: Team, runbooks: Sequence[Runbook], start: datetime,
             rng: np.random.Generator, *, horizon: float = DEFAULT_HORIZON, run: int | None = None,
             seed: int | None = None, assumptions: Assumptions | None = None) -> Timeline:
    """Simulate one drill starting at the tz-aware instant ``start``.

    Every random draw comes from ``rng``, so the same generator state gives a
    byte-identical timeline. The run ends at resolution (once pending breach
    notifications are sent) or at ``horizon`` seconds, whichever is first. ``run`` and
    ``seed`` are only recorded in the timeline. Raises SimulationError for a naive
    ``start`` or a horizon that is not positive.
    """
    return run_plan(Plan(scenario, team, runbooks, assumptions), start, rng, horizon=horizon, run=run, seed=seed)


def run_plan(plan: Plan, start: datetime, rng: np.random.Generator, *, horizon: float = DEFAULT_HORIZON,
             run: int | None = None, seed: int | None = None) -> Timeline:
    """:func:`simulate` for inputs compiled once (a batch reuses one Plan)."""
    return execute(plan, start, rng, horizon).timeline(run, seed)


def execute(plan: Plan, start: datetime, rng: np.random.Generator, horizon: float = DEFAULT_HORIZON) -> Run:
    """Run the simulation and return its raw record (see :class:`Run`)."""
    check_start(start, horizon)
    r = Run(plan, start, rng, horizon)
    begin(r, horizon)
    run_until(r.env, r.done)
    return r


def check_start(start: datetime, horizon: float) -> None:
    """Raise SimulationError for a naive ``start`` or a horizon that is not positive."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise SimulationError(f"expected a start time with a time zone, got {start.isoformat()}")
    if not horizon > 0:
        raise SimulationError(f"expected a horizon above 0s, got {horizon}")


def begin(r: Run, horizon: float) -> None:
    """Record the start, queue the scenario's injects and the end at ``horizon``."""
    sc, team = r.plan.scenario, r.plan.team
    local = r.clock.start.astimezone(zone(team.timezone))
    r.emit("drill_started", "system", sc.id, {"severity": sc.severity, "scenario_kind": sc.kind, "team": team.team,
                                             "timezone": team.timezone, "local": local.isoformat()})
    schedule_injects(r)
    r.after(horizon, lambda _e: r.finish("horizon"))
