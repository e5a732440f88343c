"""Partial impact, staged recovery and impact the response itself causes.

* A fault's impact may reach only a ``share`` of its service's users, regions or
  tenants (``of``, a word the reports use). 1.0, the default, is every one of them.
* Recovery may come back in ``stages``: each stage is the share of the affected that is
  restored by ``after`` (a duration or a distribution, counted from mitigation). The
  shares rise to 1.0, and the incident is recovered when the last one is back.
* An action of the response may itself cause impact (``causes``): cutting all access to
  contain a permissions leak is an outage like any other. It lasts until the incident's
  recovery (and comes back in its stages), or ``for`` a duration after the action; the
  incident is not recovered while it lasts.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from .base import Model
from .distributions import Dist

#: A share of a service's users (or regions, tenants): above 0, at most 1.
Share = Annotated[float, Field(gt=0.0, le=1.0, description="a share above 0 and at most 1 (0.3 = 30%)")]
#: What a share counts, in words (``users``, ``regions``, ``tenants``, ``orgs with Pardot``).
ShareOf = Annotated[str, Field(min_length=1, max_length=80, description="what the share counts, in words "
                                                                       "(users, regions, tenants …)")]
#: What a share counts when a file does not say.
DEFAULT_OF = "users"
CausedKind = Literal["outage", "degraded"]


class RecoveryStage(Model):
    """A share of the affected back in service ``after`` mitigation."""

    after: Dist = Field(description="time from mitigation until this share is back (a duration or a distribution)")
    share: Share = Field(description="the share of the affected that is back by then, counting earlier stages "
                                     "(the last stage is 1.0)")


def check_stages(stages: list[RecoveryStage]) -> list[RecoveryStage]:
    """``stages`` if their shares rise strictly and end at 1.0; else ValueError."""
    if not stages:
        return stages
    shares = [s.share for s in stages]
    for i, (a, b) in enumerate(zip(shares, shares[1:])):
        if not b > a:
            raise ValueError(f"expected each stage's share above the one before (they count the share back so far), "
                             f"got {b:g} after {a:g} at stage {i + 2}")
    if shares[-1] != 1.0:
        raise ValueError(f"expected the last stage's share to be 1.0 (everyone back: that is recovery), got {shares[-1]:g}")
    return stages


#: Recovery stages as a field type: checked as a whole (shares rising to 1.0).
Stages = Annotated[list[RecoveryStage], AfterValidator(check_stages)]


class CausedImpact(Model):
    """Impact an action of the response causes (an access cut, a region drained)."""

    service: str = Field(min_length=1, description="the service that loses service because of the action")
    impact: CausedKind = Field("outage", description="what its customers see")
    share: Share = Field(1.0, description="the share of its users (regions, tenants …) affected")
    of: ShareOf = Field(DEFAULT_OF)
    for_: Dist | None = Field(None, alias="for", description="how long it lasts after the action; "
                              "without it, until the incident recovers (in the recovery's stages)")
    note: str | None = Field(None, description="what the action does, in words")
