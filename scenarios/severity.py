"""Severity policy: what each level means, who is paged, and the targets that follow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Model
from .common import Targets
from .durations import Duration, parse_duration


class SeverityLevel(Model):
    """One severity level of a team's policy. Durations are seconds."""

    definition: str = Field(description="what incidents of this level are, in words, e.g. Customer-facing outage")
    page: Literal["always", "business-hours", "never"] = Field(
        "always", description="when the on-call is paged: at any hour, in business hours only, or never"
    )
    ack: Duration | None = Field(None, description="acknowledgement target")
    mitigate: Duration | None = Field(None, description="mitigation target")
    update_every: Duration | None = Field(
        None, description="status-update cadence while investigating (and the base of the other phases' cadences)")
    update_identified: Duration | None = Field(
        None, description="cadence once the cause is identified; default: update_every")
    update_monitoring: Duration | None = Field(
        None, description="cadence once mitigated, while recovery is watched; default: twice the identified cadence")
    update_stretch: float = Field(
        0.1, ge=0.0, le=1.0,
        description="after a long time without change, the interval grows to this share of the time since the last "
                    "change (phase change or disclosure); 0: never stretches")
    update_max: Duration = Field(
        86400.0, description="the stretched interval stops growing here (an explicit longer cadence still applies)")
    breach_public: Literal["at-disclosure", "always"] = Field(
        "at-disclosure", description="a breach's updates stay internal until disclosure (customers notified, or "
                                     "containment when customers are not notified), or are public from the start")
    also_page: Targets = Field(default_factory=list, description="who else is paged (leadership, incident commander)")
    public_update: bool = Field(False, description="whether a public status-page update is required")

    @model_validator(mode="after")
    def _cadences(self) -> "SeverityLevel":
        # A zero cadence would post without end at one instant; a phase cadence without a
        # base has nothing to start the investigating phase from.
        for name in ("update_every", "update_identified", "update_monitoring", "update_max"):
            if getattr(self, name) is not None and getattr(self, name) <= 0:
                raise ValueError(f"expected '{name}' longer than 0s, such as 30m")
        if self.update_every is None and (self.update_identified is not None or self.update_monitoring is not None):
            raise ValueError("expected 'update_every' (the investigating cadence) beside "
                             "'update_identified' or 'update_monitoring'")
        return self


def _level(definition: str, page: str, ack: str | None, mitigate: str | None, update: str | None,
           also: list[str], public: bool) -> SeverityLevel:
    d = lambda s: parse_duration(s) if s else None  # noqa: E731
    return SeverityLevel(definition=definition, page=page, ack=d(ack), mitigate=d(mitigate),
                         update_every=d(update), also_page=also, public_update=public)


#: The policy used when a team file defines none.
DEFAULT_SEVERITIES: dict[str, SeverityLevel] = {
    "P0": _level("Critical customer-facing outage", "always", "5m", "1h", "30m",
                 ["role:incident-commander", "role:leadership"], True),
    "P1": _level("Major degradation of a customer-facing service", "always", "15m", "4h", "1h",
                 ["role:incident-commander"], True),
    "P2": _level("Minor issue with a workaround", "business-hours", "4h", "3d", None, [], False),
    "P3": _level("Cosmetic issue", "never", "1d", None, None, [], False),
}
