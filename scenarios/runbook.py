"""Runbooks: timed work that can fail."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Id, Model, Probability
from .common import Names
from .distributions import Dist
from .impact import CausedImpact


class Triggers(Model):
    """A runbook applies when any of these match the incident."""

    alerts: Names = Field(default_factory=list, description="alert names that trigger the runbook, e.g. [CheckoutErrors]")
    services: Names = Field(default_factory=list,
                            description="services whose incidents trigger the runbook, e.g. [checkout]")
    tags: Names = Field(default_factory=list, description="scenario kinds or tags, e.g. data-loss, breach")


class OnFailure(Model):
    """What happens when a step fails: retry, then escalate to an expert, skip, or abort."""

    retry: int = Field(0, description="how many more attempts after the first fails, 0 to 10", ge=0, le=10)
    then: Literal["escalate", "skip", "abort"] = Field("escalate",
                                                       description="after the last failed attempt: escalate (page an expert), skip the step, or abort the runbook")
    escalate_to: str | None = Field(None, description="skill to page for; the step's own 'needs' by default")


class Step(Model):
    """One step of a runbook. ``takes`` is a duration or a distribution of them."""

    do: str = Field(min_length=1, description="what to do, in words, e.g. Roll back to the previous release")
    takes: Dist | None = Field(None, description="how long one attempt takes; a step that restores may leave it out")
    succeeds: Probability = Field(1.0, description="probability one attempt works")
    needs: str | None = Field(None, description="skill the person doing it must have")
    access: str | None = Field(None, description="access the person doing it must have")
    automated: bool = Field(False, description="true: automation does it, so it needs no one's skill or access (it still takes its time)")
    on_failure: OnFailure = Field(default_factory=OnFailure,
                                  description="what happens when the step fails: retries, then escalate, skip or abort")
    mitigates: bool = Field(False, description="impact is mitigated when this step succeeds")
    restores: bool = Field(False, description="this step restores the data from the newest working backup and takes "
                                              "that backup's restore_time (data-loss scenarios)")
    causes: list[CausedImpact] = Field(default_factory=list, description="impact this step itself causes once it "
                                       "succeeds (an access cut, a drained region)")

    @model_validator(mode="after")
    def _timed(self) -> "Step":
        if self.takes is None and not self.restores:
            raise ValueError("missing required key 'takes' (only a step with 'restores: true' may leave it out: "
                             "it lasts as long as the backup's restore)")
        return self


class Runbook(Model):
    """An ordered procedure that an alert, a service or a scenario tag can trigger."""

    id: Id = Field(description="the runbook's name, which scenarios refer to, e.g. postgres-restore")
    title: str = Field(min_length=1, description="a one-line title, e.g. Restore PostgreSQL from a snapshot")
    owner: str | None = Field(None, description="who keeps the runbook up to date, e.g. a team or a person")
    triggers: Triggers = Field(description="when the runbook applies: alerts, services or scenario tags")
    mitigates: bool = Field(False, description="finishing the runbook mitigates the impact")
    resolves: bool = Field(False, description="finishing the runbook resolves the incident")
    steps: list[Step] = Field(min_length=1, description="the steps in the order they are done")

    @model_validator(mode="after")
    def _has_trigger(self) -> "Runbook":
        t = self.triggers
        if not (t.alerts or t.services or t.tags):
            raise ValueError("expected at least one trigger (alerts, services or tags), got none")
        return self

    def skills_needed(self) -> set[str]:
        """Skills some step needs."""
        return {s.needs for s in self.steps if s.needs} | {s.on_failure.escalate_to for s in self.steps if s.on_failure.escalate_to}

    def matches(self, alerts: set[str], services: set[str], tags: set[str]) -> bool:
        """Whether an incident with these alerts, services and tags triggers this runbook."""
        t = self.triggers
        return bool(set(t.alerts) & alerts or set(t.services) & services or set(t.tags) & tags)

