"""Monitoring: metric signals form piecewise-constant series that alert rules
evaluate on a fixed grid; event signals trip ``on:`` rules; noise fires at random.

Tick semantics (what a Prometheus-style evaluator does, and all it can know):

* A rule with ``every: e`` is evaluated at the ticks ``k*e`` seconds after the drill
  start, k = 0, 1, 2, …. A signal arriving at the same instant as a tick is seen by it.
* Between ticks nothing is observed: a condition that turns false and true again
  between two ticks is never seen to break.
* The first tick that sees the condition true starts it *pending*; the rule fires at
  the first tick at least ``for`` after that one, if every tick in between saw it
  true; a tick that sees it false clears the pending state (and resolves a firing
  alert). A metric with no signal yet has no value, and no condition holds on it.
* So a step signal at ``t0`` fires at ``ceil(t0/e)*e + ceil(for/e)*e``: exactly ``for``
  later than the same rule with ``for: 0`` whenever ``for`` is a multiple of ``e``.
* ``sensitivity`` below 1: each pending episode is caught with that probability.
* ``on:`` rules fire at the first tick at or after a signal of their kind arrives,
  with probability ``sensitivity`` per signal (``for`` does not apply); they stay
  firing until the incident recovers.
* Noise: a rule with ``false_positives_per_week`` fires spuriously as a Poisson
  process at that rate (unless it is firing for real at that moment).
* The first routed alert detects the incident and starts its escalation policy;
  alerts firing later join the incident (recorded, and they count when the responder
  picks a runbook) without paging again. An unrouted alert pages nobody and is
  recorded as a gap; so is a routed one that no escalation policy takes.
* At recovery every firing alert resolves and every series returns to no value.
* A rule that ``depends_on`` a service with an outage is blind: it sees nothing, cannot
  fire, and a firing alert goes stale (:mod:`simulator.blindness` states the rules).

Ticks are evaluated only where something can change (after a signal, at a pending
rule's due tick), which gives the same firings as evaluating every tick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .blindness import Sight
from .sampling import ceil_div

if TYPE_CHECKING:
    from .run import Run

WEEK = 7 * 86400.0


class RuleState:
    """Where one rule stands: the tick index it went pending at, firing, or blind to
    the current episode (missed by a sensitivity draw)."""

    __slots__ = ("pending", "firing", "blind", "checks", "queued")

    def __init__(self) -> None:
        self.pending: int | None = None
        self.firing = False
        self.blind = False
        self.checks: set[int] = set()
        self.queued = False


class Monitoring:
    """The scenario's alert rules against the signals of one run."""

    def __init__(self, run: "Run"):
        self.run = run
        self.values: dict[str, float] = {}
        self.states = [RuleState() for _ in run.plan.rules]
        #: rules blind while a service they depend on is down
        self.sight = Sight(self)
        self.dark = self.sight.dark
        for ri in run.plan.noisy_rules:
            self._next_noise(ri)

    # -- signals ------------------------------------------------------------------
    def signal(self, kind: str, metric: str | None, value: float | None, text: str | None,
               source: str | None, *, fallback: bool, inject: int | None = None, condition: str | None = None) -> None:
        """A signal arrives now: record it and let the rules that watch it react."""
        run = self.run

        def build() -> dict[str, Any]:
            data: dict[str, Any] = {"kind": kind, "fallback": fallback}
            data.update((k, v) for k, v in (("inject", inject), ("condition", condition), ("metric", metric),
                                            ("value", value), ("text", text), ("source", source)) if v is not None)
            return data

        # An inject's signal says the same in every run (its fields are the inject's).
        data = run.plan.data(("signal", inject, condition, fallback), build) if inject is not None else build()
        run.emit("signal", source or kind, metric or kind, data)
        plan = run.plan
        if metric is not None and value is not None:
            self.values[metric] = value
            if run.stages is not None:
                run.stages.signalled(metric)
            for ri in plan.metric_rules.get(metric, ()):
                if ri in self.dark:  # the value exists, but the rule cannot see it
                    continue
                rule, st = plan.rules[ri], self.states[ri]
                # An idle rule whose condition does not hold has nothing to notice.
                if st.pending is None and not st.firing and not rule.crosses(value):
                    continue
                self._check(ri, ceil_div(run.env.now, rule.every))
        for ri in plan.on_rules.get(kind, ()):
            st, rule = self.states[ri], plan.rules[ri]
            if st.firing or st.queued or ri in self.dark or (rule.source is not None and rule.source != source):
                continue
            if rule.sensitivity < 1.0 and run.rng.random() >= rule.sensitivity:
                continue
            st.queued = True
            if run.stages is not None:
                run.stages.caught(ri)
            tick = ceil_div(run.env.now, rule.every) * rule.every
            run.late(tick - run.env.now, lambda _e, ri=ri: self._fire_on(ri))

    def _fire_on(self, ri: int) -> None:
        st = self.states[ri]
        st.queued = False
        if not st.firing and not self.run.finished and ri not in self.dark:
            self.fire(ri, None)

    # -- threshold rules ------------------------------------------------------------
    def _check(self, ri: int, k: int) -> None:
        """Evaluate rule ``ri`` at tick ``k`` (once, however many reasons ask)."""
        st = self.states[ri]
        if k in st.checks:
            return
        st.checks.add(k)
        run = self.run
        every = run.plan.rules[ri].every
        run.late(k * every - run.env.now, lambda _e: self._evaluate(ri, k))

    def _evaluate(self, ri: int, k: int) -> None:
        st = self.states[ri]
        st.checks.discard(k)
        run = self.run
        if run.finished:
            return
        rule = run.plan.rules[ri]
        if ri in self.dark:
            self._stale(ri)
            return
        v = self.values.get(rule.signal)  # type: ignore[arg-type]
        if not rule.crosses(v):
            st.pending, st.blind = None, False
            if st.firing:
                st.firing = False
                run.emit("alert_resolved", "monitoring", rule.alert, run.plan.data(("resolved",), _not_noise))
            return
        if st.firing or st.blind:
            return
        if st.pending is None:
            st.pending = k
            if rule.sensitivity < 1.0 and run.rng.random() >= rule.sensitivity:
                st.blind = True
                return
        due = st.pending + ceil_div(rule.for_, rule.every)
        if k >= due:
            self.fire(ri, v)
        else:
            self._check(ri, due)

    def _stale(self, ri: int) -> None:
        """A blind rule's tick finds no data: nothing pending, and a firing alert resolves."""
        st = self.states[ri]
        st.pending, st.blind = None, False
        if st.firing:
            st.firing = False
            self.run.emit("alert_resolved", "monitoring", self.run.plan.rules[ri].alert, {"noise": False, "stale": True})

    def fault(self, service: str, impact: str) -> None:
        """A fault was applied to ``service``: rules that depend on it may go blind."""
        if self.sight.dependents:
            self.sight.fault(service, impact)

    def restored(self, service: str) -> None:
        """``service`` is back before the incident recovers (an impact the response caused
        for a while): rules blind through it alone see again."""
        if self.sight.down:
            self.sight.restored(service)

    # -- firing -------------------------------------------------------------------
    def fire(self, ri: int, value: float | None, noise: bool = False) -> None:
        """Rule ``ri`` fires now; a real alert may detect the incident."""
        run, plan = self.run, self.run.plan
        rule = plan.rules[ri]
        policy = plan.rule_policy[ri]

        def build() -> dict[str, Any]:
            data: dict[str, Any] = {"severity": plan.rule_severity[ri], "service": rule.service, "routed": rule.routed,
                                    "policy": policy, "noise": noise}
            if value is not None:
                data["value"] = value
            return data

        # keyed by the value's repr: equal numbers written differently (1, 1.0, -0.0) stay apart
        run.emit("alert_fired", "monitoring", rule.alert,
                 plan.data(("alert_fired", ri, noise, None if value is None else repr(value)), build))
        if noise:
            if policy is not None:
                run.paging.noise(rule.alert, policy)
            return
        self.states[ri].firing = True
        run.alerts.append(rule.alert)
        if not rule.routed:
            run.note("unrouted-alert", rule.alert, f"alert {rule.alert} fired but is not routed to anyone", alert=rule.alert)
        elif policy is None:
            run.note("no-policy", rule.alert, f"no escalation policy takes alert {rule.alert}", alert=rule.alert)
        else:
            stage = run.stages.stage_of_rule(ri) if run.stages is not None else None
            run.detect("alert", "monitoring", rule.alert, policy=policy, severity=plan.rule_severity[ri], alert=rule.alert,
                       stage=stage)

    def recovered(self) -> None:
        """Service is back: every firing alert resolves and the series go quiet."""
        run = self.run
        if self.sight.down:
            self.sight.recovered()
        self.values.clear()
        for ri, st in enumerate(self.states):
            st.pending, st.blind = None, False
            if st.firing:
                st.firing = False
                run.emit("alert_resolved", "monitoring", run.plan.rules[ri].alert, run.plan.data(("resolved",), _not_noise))

    # -- noise ----------------------------------------------------------------------
    def _next_noise(self, ri: int) -> None:
        run = self.run
        rate = run.plan.rules[ri].false_positives_per_week
        gap = float(run.rng.exponential(WEEK / rate))
        if run.env.now + gap < run.horizon:
            run.after(gap, lambda _e: self._noise(ri))

    def _noise(self, ri: int) -> None:
        if self.run.finished:
            return
        if not self.states[ri].firing and ri not in self.dark:
            self.fire(ri, None, noise=True)
        self._next_noise(ri)


def _not_noise() -> dict[str, Any]:
    return {"noise": False}
