"""How much of a service is out, and for how long: partial impact, staged recovery and
impact the response itself causes (the language is in :mod:`scenarios.impact`).

* A fault with a ``share`` below 1 writes it (and what it counts, ``of``) on its
  ``impact_started``; a fault of share 1 writes what it always did.
* Recovery in stages: when recovery begins (at mitigation), each stage's ``after`` is
  drawn in order, no earlier than the stage before; the recovery lasts until the last
  one. Each earlier stage is an ``impact_restored`` event (``restored``: the share of
  the affected back, ``stage``, ``stages``, and ``of`` when every impact counts the same
  population) at mitigation + its time (or once the data
  is back, if a restore holds recovery longer); the last stage is ``recovered``.
* An action that ``causes`` impact (mitigation, containment, a runbook step that
  succeeded) starts it at once: an ``impact_started`` with ``caused_by: response`` and
  the ``action``. Impact that lasts until recovery comes back with it, in its stages;
  impact ``for`` a duration ends with an ``impact_restored`` naming its service and
  action, and the incident is not recovered before that.

Nothing here draws from the generator unless the scenario has stages or an impact
``for`` a duration, so a scenario that uses neither runs exactly as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from scenarios.impact import DEFAULT_OF, CausedImpact
from scenarios.scenario import Fault

if TYPE_CHECKING:
    from .run import Run

#: ``caused_by`` of an impact the response caused.
RESPONSE = "response"


def share_fields(share: float, of: str) -> dict[str, Any]:
    """The fields a partial impact adds to its event: none for every user of it."""
    if share >= 1.0 and of == DEFAULT_OF:
        return {}
    return {"share": float(share), "of": of}


def fault_fields(fault: Fault) -> dict[str, Any]:
    """What a fault's ``impact_started`` says beyond its fault, service and impact."""
    return share_fields(fault.share, fault.of)


class Impacts:
    """Impact the response causes, and recovery in stages, for one run."""

    def __init__(self, run: "Run"):
        self.run = run
        #: response impacts with a duration still under way: they hold recovery back
        self.holding = 0
        self.restored = 0.0  # the share of the affected back so far (recovery stages)
        #: what the shares of the impacts lasting until recovery count (``users``, ``tenants`` …)
        self.of: list[str] = []

    def fault(self, fault: Fault) -> None:
        """A fault's impact started: its share comes back with the recovery's stages."""
        if fault.impact != "none" and fault.of not in self.of:
            self.of.append(fault.of)

    # -- impact the response causes -------------------------------------------------
    def acted(self, action: str, who: str, causes: Sequence[CausedImpact]) -> None:
        """``who`` did ``action`` (``mitigation``, ``containment``, a runbook step),
        which causes ``causes``: each starts now."""
        run = self.run
        for c in causes:
            data: dict[str, Any] = {"fault": RESPONSE, "service": c.service, "impact": c.impact,
                                    **share_fields(c.share, c.of), "caused_by": RESPONSE, "action": action}
            run.emit("impact_started", who, c.service, data)
            if c.for_ is None and c.of not in self.of:
                self.of.append(c.of)
            if c.for_ is not None:
                self.holding += 1
                lasts = run.plan.sample(c.for_)(run.rng)
                run.after(lasts, lambda _e, c=c: self._ended(c, action))

    def _ended(self, c: CausedImpact, action: str) -> None:
        run = self.run
        self.holding -= 1
        if not run.recovered:
            run.emit("impact_restored", "system", c.service,
                     {"service": c.service, "restored": 1.0, "caused_by": RESPONSE, "action": action})
        run.progress()

    # -- recovery in stages ------------------------------------------------------------
    def recovery_time(self, began: float) -> float | None:
        """Recovery in stages: draw each stage's time (from mitigation at ``began``),
        schedule the stages before the last, and return the last one's time; None for
        a scenario that recovers all at once."""
        run = self.run
        stages = run.plan.recovery_stages
        if not stages:
            return None
        at, times = 0.0, []
        for after, _share in stages:
            at = max(at, after(run.rng))  # a stage never comes back before the one it follows
            times.append(at)
        now = run.env.now
        for n, ((_after, share), t) in enumerate(zip(stages[:-1], times), start=1):
            run.after(max(0.0, began + t - now), lambda _e, n=n, share=share: self._stage(n, share, len(stages)))
        return times[-1]

    def _stage(self, n: int, share: float, of: int) -> None:
        run = self.run
        if run.recovered or share <= self.restored:
            return
        self.restored = share
        data: dict[str, Any] = {"restored": float(share), "stage": n, "stages": of}
        if len(self.of) == 1:  # one population: the report can say "50% of tenants"
            data["of"] = self.of[0]
        run.emit("impact_restored", "system", run.plan.scenario.id, data)
