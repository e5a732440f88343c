"""What the input models leave unsaid: how long people take for the parts of a
response that scenarios, teams and runbooks do not spell out.

Each default is a distribution of seconds. A scenario's own ``diagnosis``,
``mitigation`` and ``recovery`` phases, a breach's ``contain`` and ``takes``, and the
team's ``response`` section (engage, triage, first update, noise triage, expert wait)
win over these. Tests pass :meth:`Assumptions.instant` to make the human overheads zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from scenarios import Dist, Team


def _d(**kw: str) -> Dist:
    return Dist.model_validate(kw)


def _fixed(seconds: float) -> Dist:
    return Dist(fixed=seconds)


def _engage() -> dict[str, Dist]:
    # From acknowledging a page to working on it: at a desk, at home, out of bed.
    return {
        "working": _d(median="1m", p90="3m"),
        "evening": _d(median="3m", p90="8m"),
        "asleep": _d(median="5m", p90="15m"),
    }


@dataclass(frozen=True)
class Assumptions:
    """Durations the simulator assumes where the inputs are silent."""

    #: acknowledged -> engaged, by the responder's period at the page.
    engage: dict[str, Dist] = field(default_factory=_engage)
    #: engaged -> diagnosed, when a runbook matches (the runbook names the problem).
    triage: Dist = field(default_factory=lambda: _d(median="5m", p90="15m"))
    #: engaged -> diagnosed without a runbook, when the scenario gives no diagnosis.improvised.
    diagnosis: Dist = field(default_factory=lambda: _d(median="30m", p90="2h"))
    #: diagnosed -> mitigated without a runbook, when the scenario gives no mitigation.improvised.
    mitigation: Dist = field(default_factory=lambda: _d(median="1h", p90="4h"))
    #: mitigated -> recovered, when the scenario gives no recovery phase.
    recovery: Dist = field(default_factory=lambda: _d(median="15m", p90="1h"))
    #: engaged -> first status update.
    first_update: Dist = field(default_factory=lambda: _d(median="10m", p90="25m"))
    #: engaged -> contained (breach), when the scenario gives no breach.contain.
    contain: Dist = field(default_factory=lambda: _d(median="2h", p90="8h"))
    #: diagnosed -> notified, for a breach notification without ``takes``.
    notify: Dist = field(default_factory=lambda: _d(median="4h", p90="24h"))
    #: acknowledged noise alert -> dismissed; the responder answers nothing else meanwhile.
    noise_triage: Dist = field(default_factory=lambda: _d(median="10m", p90="30m"))
    #: seconds an expert or severity page waits for an answer before trying the next person.
    page_timeout: float = 900.0

    @classmethod
    def instant(cls) -> "Assumptions":
        """Zero human overheads (engage, triage, first update, noise): for tests that
        check closed-form answers."""
        zero = _fixed(0.0)
        return cls(engage={"working": zero, "evening": zero, "asleep": zero}, triage=zero,
                   first_update=zero, noise_triage=zero)

    def for_team(self, team: Team) -> "Assumptions":
        """These assumptions with whatever the team's ``response`` section states."""
        habits = team.response
        changes: dict[str, object] = {k: getattr(habits, k) for k in ("triage", "first_update", "noise_triage")
                                      if getattr(habits, k) is not None}
        if habits.engage is not None:
            changes["engage"] = {p: getattr(habits.engage, p) or self.engage[p] for p in self.engage}
        if habits.expert_wait is not None:
            changes["page_timeout"] = habits.expert_wait
        return replace(self, **changes)  # type: ignore[arg-type]

    def but(self, **changes: object) -> "Assumptions":
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT_ASSUMPTIONS = Assumptions()
