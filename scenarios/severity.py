"""Severity policy: what each level means, who is paged, and the targets that follow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Model
from .common import Targets
from .durations import Duration, parse_duration


class SeverityLevel(Model):
    """One severity level of a team's policy. Durations are seconds."""

    definition: str
    page: Literal["always", "business-hours", "never"] = Field(
        "always", description="when the on-call is paged: at any hour, in business hours only, or never"
    )
    ack: Duration | None = Field(None, description="acknowledgement target")
    mitigate: Duration | None = Field(None, description="mitigation target")
    update_every: Duration | None = Field(None, description="status-update cadence while the incident is open")
    also_page: Targets = Field(default_factory=list, description="who else is paged (leadership, incident commander)")
    public_update: bool = Field(False, description="whether a public status-page update is required")


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
