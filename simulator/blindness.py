"""Monitoring that runs on a service of the scenario (``depends_on: [telemetry]``) goes
blind while that service has an outage.

The rules, in Prometheus terms (the rule's evaluator, its metrics pipeline or its
service discovery is down, so every query returns no data):

* A rule is **blind** from the instant a fault with ``impact: outage`` is applied to
  any service it ``depends_on`` (or the response itself causes an outage there:
  ``causes``), until that service recovers: with the incident, or when an outage the
  response caused ``for`` a while ends. A ``degraded`` or ``impact: none`` fault on the dependency
  does not blind it: the data still arrives, and the rule's own ``for`` and ``every``
  already say how late it reacts. Going blind is recorded (``monitoring_blind``),
  and so is seeing again (``monitoring_restored``, with ``blind_for``).
* A blind rule evaluates nothing and cannot fire: signals that arrive meanwhile
  (metric values, log lines) are not seen by it, an ``on:`` rule's signals are lost,
  and its false positives stop too.
* At its first evaluation tick at or after going blind (``ceil(t/every)*every``; the
  same instant when the outage lands on a tick) the rule sees no data: a pending
  condition is cleared and a firing alert resolves as stale (``alert_resolved`` with
  ``stale: true``). That is what Prometheus does when a series vanishes, and what
  Alertmanager does with an alert its source stops refreshing. Detection already made
  stays made: a resolved alert does not close the incident.
* Seeing again, the rule starts afresh: a metric condition that still holds goes
  pending at the next tick and needs its whole ``for`` again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .sampling import ceil_div

if TYPE_CHECKING:
    from .monitoring import Monitoring


class Sight:
    """Which rules of one run are blind, since when, and through which dependency."""

    __slots__ = ("monitoring", "dependents", "down", "dark")

    def __init__(self, monitoring: "Monitoring"):
        self.monitoring = monitoring
        #: service -> the rules that depend on it (the same in every run: the plan's)
        self.dependents: dict[str, list[int]] = monitoring.run.plan.dependents
        self.down: set[str] = set()  # dependencies with an outage now
        self.dark: dict[int, tuple[float, str]] = {}  # blind rule -> (since, the service that blinded it)

    def fault(self, service: str, impact: str) -> None:
        """A fault was applied to ``service`` now: an outage there blinds the rules that
        depend on it."""
        if impact != "outage" or service not in self.dependents or service in self.down:
            return
        self.down.add(service)
        mon = self.monitoring
        run = mon.run
        now = run.env.now
        for ri in self.dependents[service]:
            if ri in self.dark:
                continue
            self.dark[ri] = (now, service)
            rule = run.plan.rules[ri]
            run.emit("monitoring_blind", "monitoring", rule.alert, {"service": service})
            st = mon.states[ri]
            if st.firing or st.pending is not None:
                mon._check(ri, ceil_div(now, rule.every))  # that tick finds no data

    def restored(self, service: str, *, recheck: bool = True) -> None:
        """``service`` recovered now: rules with no other dependency down see again."""
        if service not in self.down:
            return
        self.down.discard(service)
        mon = self.monitoring
        run = mon.run
        now = run.env.now
        for ri in self.dependents[service]:
            rule = run.plan.rules[ri]
            if ri not in self.dark or not self.down.isdisjoint(rule.depends_on):
                continue
            since, by = self.dark.pop(ri)
            run.emit("monitoring_restored", "monitoring", rule.alert, {"service": by, "blind_for": round(now - since, 3)})
            if recheck and rule.signal is not None:
                if rule.crosses(mon.values.get(rule.signal)):
                    mon._check(ri, ceil_div(now, rule.every))

    def recovered(self) -> None:
        """The incident recovered: every dependency with it."""
        for service in sorted(self.down):
            self.restored(service, recheck=False)
