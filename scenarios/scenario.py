"""Scenarios: a story of injects, the monitoring that can see it, and what counts as done."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field, PrivateAttr, field_validator, model_validator

from .base import Id, Model, Probability
from .distributions import Dist
from .durations import Duration, Offset
from .impact import DEFAULT_OF, CausedImpact, Share, ShareOf, Stages
from .live import Live
from .stages import Stage

ScenarioKind = Literal["outage", "breach", "data-loss", "degradation"]
SignalKind = Literal["metric", "log", "security", "customer-report", "third-party-report", "internal-report"]
Impact = Literal["outage", "degraded", "none"]
FaultKind = Literal[
    "crash", "bad-deploy", "config-push", "dependency-down", "region-outage", "network-partition",
    "packet-loss", "latency", "dns-failure", "certificate-expired", "disk-full", "resource-exhaustion",
    "overload", "data-deleted", "data-corrupted", "encrypted", "credential-leaked", "intrusion",
    "exfiltration", "privilege-escalation", "malware",
]


class Fault(Model):
    """Something breaks in a service."""

    kind: FaultKind = Field(description="what breaks, e.g. bad-deploy, disk-full, credential-leaked")
    service: str = Field(description="the service that breaks, one of the scenario's services, e.g. checkout")
    impact: Impact = Field("outage", description="what customers of the service see")
    share: Share = Field(1.0, description="the share of the service's users (regions, tenants …) who see it")
    of: ShareOf = Field(DEFAULT_OF)
    note: str | None = Field(None, description="what happens, in words")


class Signal(Model):
    """Evidence that something is wrong: a metric value, a log line, a report."""

    kind: SignalKind = Field("metric",
                             description="metric, log, security, customer-report, third-party-report or internal-report")
    metric: str | None = Field(None,
                               description="metric signals: the metric's name, which alert rules watch, e.g. checkout_5xx_rate")
    value: float | None = Field(None, description="metric signals: the metric's new value, e.g. 0.3")
    text: str | None = Field(None, description="other signals: the log line or report, in words")
    source: str | None = Field(None, description="where it comes from, which alert rules can filter on, e.g. edr, waf")

    @model_validator(mode="after")
    def _complete(self) -> "Signal":
        if self.kind == "metric" and (self.metric is None or self.value is None):
            raise ValueError("expected 'metric' and 'value' for a metric signal (or set 'kind' to log, security, customer-report…)")
        if self.kind != "metric" and not self.text:
            raise ValueError(f"expected 'text' for a {self.kind} signal")
        return self


class Card(Model):
    """A human inject: shown to the team in a tabletop, with notes for the facilitator."""

    title: str = Field(min_length=1, description="the card's heading, e.g. A customer tweets that checkout fails")
    body: str | None = Field(None, description="what the team reads, in words")
    facilitator: str | None = Field(None, description="notes for the facilitator only")
    questions: list[str] = Field(default_factory=list, description="questions the facilitator asks the team")


class Condition(Model):
    """A conditional inject fires at a time when a milestone has (or has not) happened
    by then: ``not_acknowledged_by: 15m``, ``updated_by: 30m`` (a status update was
    posted), ``not_updated_by: 30m``."""

    not_detected_by: Duration | None = Field(None,
                                             description="fires at this time if the incident was not detected by then, e.g. 10m")
    not_acknowledged_by: Duration | None = Field(None,
                                                 description="fires at this time if no page was acknowledged by then, e.g. 15m")
    not_mitigated_by: Duration | None = Field(None,
                                              description="fires at this time if the impact was not mitigated by then, e.g. 1h")
    updated_by: Duration | None = Field(None,
                                        description="fires at this time if a status update was posted by then, e.g. 30m")
    not_updated_by: Duration | None = Field(None,
                                            description="fires at this time if no status update was posted by then, e.g. 30m")

    @model_validator(mode="after")
    def _one(self) -> "Condition":
        given = [k for k, v in self if v is not None]
        if len(given) != 1:
            raise ValueError("expected exactly one of not_detected_by, not_acknowledged_by, not_mitigated_by, "
                             f"updated_by or not_updated_by, got {', '.join(given) or 'none'}")
        return self


class Inject(Model):
    """One entry of the scenario's timeline: at an offset, or when a condition holds."""

    at: Offset | None = Field(None,
                              description="when it happens, from the drill start, e.g. 3m (negative: before the start, e.g. -2d)")
    when: Condition | None = Field(None, description="instead of 'at': when a milestone has (or has not) happened by a time")
    fault: Fault | None = Field(None, description="something breaks in a service")
    signal: Signal | None = Field(None, description="evidence that something is wrong: a metric value, a log line, a report")
    card: Card | None = Field(None, description="a card shown to the team in a tabletop")
    stage: Id | None = Field(None, description="the stage it belongs to (one of the scenario's 'stages'; default: the first)")

    @model_validator(mode="after")
    def _shape(self) -> "Inject":
        if (self.at is None) == (self.when is None):
            raise ValueError("expected exactly one of 'at' (an offset such as 3m) or 'when' (a condition)")
        given = [k for k in ("fault", "signal", "card") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of fault, signal or card, got {', '.join(given) or 'none'}")
        return self

    @property
    def what(self) -> str:
        """``fault``, ``signal`` or ``card``."""
        return "fault" if self.fault else "signal" if self.signal else "card"


#: More than one spurious firing an hour, day and night: an alert noisier than that is
#: muted, not answered, and each false alarm costs the simulator as much as a page, so
#: a run of the longest drill (two years) stays a matter of seconds.
MAX_FALSE_POSITIVES = 200.0


class AlertRule(Model):
    """A monitoring rule: fires when ``signal`` crosses a threshold for ``for``, checked
    every ``every``; or, with ``on``, when a signal of that kind arrives."""

    alert: str = Field(min_length=1, description="the alert's name as pages and runbooks see it, e.g. CheckoutErrors")
    signal: str | None = Field(None, description="metric name the rule watches")
    on: SignalKind | None = Field(None, description="fire on signals of this kind (log, security …)")
    source: str | None = Field(None, description="with 'on': only signals from this source (edr, waf, canary …)")
    above: float | None = Field(None, description="fire while the metric is above this value, e.g. 0.05")
    below: float | None = Field(None, description="fire while the metric is below this value, e.g. 0.99")
    for_: Duration = Field(0.0,
                           description="how long the threshold must stay crossed before the alert fires, e.g. 2m", alias="for")
    every: Duration = Field(60.0, description="evaluation interval")
    severity: str | None = Field(None, description="the alert's severity, for routing and escalation, e.g. P1")
    service: str | None = Field(None, description="the service the alert is about, for routing, e.g. checkout")
    routed: bool = Field(True, description="false: the alert fires but pages nobody")
    sensitivity: Probability = Field(1.0, description="chance the rule catches a matching signal (weak signals)")
    false_positives_per_week: float = Field(0.0, description=f"noise: spurious firings per week, at most {MAX_FALSE_POSITIVES:g}")
    depends_on: list[Id] = Field(default_factory=list, description="services the rule's own monitoring runs on (telemetry, "
                                 "service discovery): while one of them has an outage the rule is blind")

    @model_validator(mode="after")
    def _shape(self) -> "AlertRule":
        if (self.signal is None) == (self.on is None):
            raise ValueError("expected exactly one of 'signal' (a metric) or 'on' (a signal kind)")
        if self.source is not None and self.on is None:
            raise ValueError("expected 'source' only together with 'on' (it filters signals of that kind)")
        if self.signal is not None and (self.above is None) == (self.below is None):
            raise ValueError("expected exactly one threshold, 'above' or 'below'")
        if self.every <= 0:
            raise ValueError("expected an evaluation interval 'every' longer than 0s")
        return self

    def crosses(self, value: float | None) -> bool:
        """Whether a metric ``value`` is past the rule's threshold (``above`` or ``below``)."""
        if value is None:
            return False
        return value > self.above if self.above is not None else value < self.below  # type: ignore[operator]

    @field_validator("false_positives_per_week")
    @classmethod
    def _sane_noise(cls, value: float) -> float:
        if not 0 <= value <= MAX_FALSE_POSITIVES:  # also refuses nan
            raise ValueError(f"expected a number of false positives a week from 0 to {MAX_FALSE_POSITIVES:g} "
                             f"(more than one an hour, day and night: an alert noisier than that is muted, not answered), got {value:g}")
        return value


class Fallback(Model):
    """How the incident is noticed when no alert catches it."""

    after: Duration = Field(description="how long after the impact starts someone notices without an alert, e.g. 20m")
    via: SignalKind = Field("customer-report", description="how it is noticed: customer-report, log, security …")


class Phase(Model):
    """What counts as reaching a milestone, and how long it takes without a runbook."""

    means: str | None = Field(None, description="what counts, in words")
    improvised: Dist | None = Field(None, description="time to achieve it by improvising (no runbook)")
    after_mitigation: Dist | None = Field(None, description="recovery: time from mitigation to full recovery")
    needs: str | None = Field(None, description="skill required")


class Mitigation(Phase):
    """Mitigation, and impact the mitigation itself causes (see scenarios.impact)."""

    causes: list[CausedImpact] = Field(default_factory=list, description="impact the mitigation itself causes "
                                       "(an access cut, a drained region), from the moment of mitigation")


class Recovery(Phase):
    """Recovery all at once (``after_mitigation``) or in ``stages`` (see scenarios.impact)."""

    stages: Stages = Field(default_factory=list, description="the share of the affected back over time after "
                           "mitigation; the last stage (share 1.0) is recovery")

    @model_validator(mode="after")
    def _one_way(self) -> "Recovery":
        if self.stages and self.after_mitigation is not None:
            raise ValueError("expected either 'after_mitigation' (recovery all at once) or 'stages' (in shares), not both")
        return self


class WrongLead(Model):
    """A misleading signal the team follows before finding the cause."""

    lead: str = Field(min_length=1, description="what the team suspects, in words")
    costs: Dist = Field(description="time spent on it before it is dropped")
    chance: Probability = Field(1.0, description="probability the team follows it")


class Diagnosis(Phase):
    """Finding the cause: its own uncertain work, runbook or not (see the README)."""

    takes: Dist | None = Field(None, description="time to find the cause, whether or not a runbook addresses it "
                                                 "(without it: 'improvised' when no runbook addresses the cause)")
    wrong_leads: list[WrongLead] = Field(default_factory=list, description="leads followed before the cause is found "
                                         "(not when a runbook that addresses the cause is at hand)")
    cause: list[str] = Field(default_factory=list, description="runbook ids or trigger tags that address the cause "
                             "(default: the scenario's 'runbooks'); any other matching runbook treats a symptom")


class Notification(Model):
    """A party that must be told within a deadline (breach)."""

    who: Literal["regulator", "customers", "leadership", "partners", "law-enforcement"] = Field(
        description="who must be told: regulator, customers, leadership, partners or law-enforcement")
    within: Duration = Field(description="the deadline from detection, e.g. 72h")
    takes: Dist | None = Field(None, description="time to prepare and send it")
    stage: Id | None = Field(None, description="the stage whose data it concerns: it is sent only once that stage "
                             "is detected, and 'within' counts from that detection (default: the first detection)")


class Breach(Model):
    """Containment and notification for a security incident."""

    data: list[str] = Field(default_factory=list, description="classes of data exposed")
    contain: Dist | None = Field(None, description="time from engagement to containment")
    contain_causes: list[CausedImpact] = Field(default_factory=list, description="impact the containment itself "
                                               "causes (access cut to stop a leak), from the moment of containment")
    notify: list[Notification] = Field(default_factory=list, description="parties that must be told, each within a deadline")


class Backup(Model):
    """A backup mechanism; ``last_success`` is relative to the drill start (``-6h``)."""

    kind: str = Field(description="what kind of backup, in words, e.g. nightly snapshot")
    every: Duration = Field(description="how often the backup runs, e.g. 1d")
    last_success: Offset = Field(description="its last good run, before the drill start, e.g. -6h")
    restore_time: Dist = Field(description="how long a restore from it takes, e.g. {median: 2h, p90: 6h}")
    works: bool = Field(True, description="false: the job runs but produces nothing usable")
    verified: bool = Field(False, description="restores are tested regularly")
    covers: float = Field(1.0, description="share of the data the backup holds, above 0 and at most 1 (1: all of it); "
                          "data no working backup covers is lost for good",
                          json_schema_extra={"exclusiveMinimum": 0, "maximum": 1})

    @field_validator("covers", mode="before")
    @classmethod
    def _percent(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().endswith("%"):
            number = value.strip()[:-1].strip()
            try:
                hint = f"; did you mean {float(number) / 100:g}?"
            except ValueError:
                hint = ""
            raise ValueError(f"expected a share of the data as a number above 0 and at most 1 (0.6 for 60%), got {value!r}{hint}")
        return value

    @field_validator("covers")
    @classmethod
    def _share(cls, value: float) -> float:
        if not 0.0 < value <= 1.0:  # also refuses nan
            raise ValueError(f"expected a share of the data above 0 and at most 1 (0.6 for 60%; 1 for all of it), got {value:g}")
        return value

    @model_validator(mode="after")
    def _past(self) -> "Backup":
        if self.last_success > 0:
            raise ValueError("expected 'last_success' at or before the drill start, such as -6h")
        if self.every <= 0:
            raise ValueError("expected 'every' longer than 0s")
        return self


class Objectives(Model):
    """Targets the drill is judged against; all durations."""

    detect: Duration | None = Field(None, description="target time from the impact start to detection, e.g. 5m")
    acknowledge: Duration | None = Field(None, description="target time from the first page to an acknowledgement, e.g. 5m")
    engage: Duration | None = Field(None, description="target time from detection to the first responder at work, e.g. 15m")
    first_update: Duration | None = Field(None,
                                          description="target time from detection to the first status update, e.g. 30m")
    mitigate: Duration | None = Field(None, description="target time from the impact start to mitigation, e.g. 1h")
    recover: Duration | None = Field(None, description="target time from the impact start to full recovery, e.g. 4h")
    contain: Duration | None = Field(None, description="breach: target time from detection to containment, e.g. 4h")
    notify_regulator: Duration | None = Field(None,
                                              description="breach: target time from detection to the regulator told, e.g. 72h")
    notify_customers: Duration | None = Field(None,
                                              description="breach: target time from detection to customers told, e.g. 72h")
    rpo: Duration | None = Field(None, description="data loss: the most data that may be lost, as time, e.g. 1h")
    rto: Duration | None = Field(None,
                                 description="data loss: target time from the impact start to the data restored, e.g. 4h")


class Reported(Model):
    """What the public report of the incident a scenario is modelled on says it took:
    the figures the simulation is set beside (keys are the scoring metrics' names)."""

    source: AnyHttpUrl | None = Field(None, description="the reference the figures come from (one of 'references')")
    ttd: Duration | None = Field(None, description="time to detect")
    tta: Duration | None = Field(None, description="time to acknowledge")
    ttm: Duration | None = Field(None, description="time to mitigate")
    ttr: Duration | None = Field(None, description="time to recover")
    contain: Duration | None = Field(None, description="breach: time from detection to containment")
    rpo: Duration | None = Field(None, description="data lost")
    rto: Duration | None = Field(None, description="time to restore data")
    notify_customers: Duration | None = Field(None, description="breach: detection to customers told")
    notify_regulator: Duration | None = Field(None, description="breach: detection to the regulator told")
    note: str | None = Field(None, description="where in the report the figures are, and how they were read")


class Scenario(Model):
    """A scripted incident."""

    id: Id = Field(description="the scenario's name on the command line, e.g. checkout-bad-deploy")
    title: str = Field(min_length=1, description="a one-line title, e.g. Checkout returns errors after a deploy")
    kind: ScenarioKind = Field(description="outage, breach, data-loss or degradation")
    severity: str = Field(
        description="the incident's severity, one of the team's levels (or a name mapped onto them), e.g. P1")
    summary: str | None = Field(None, description="what happens, in a few sentences")
    references: list[AnyHttpUrl] = Field(default_factory=list, description="public post-mortems it is modelled on")
    reported: Reported | None = Field(None, description="what the public report says the real incident took")
    tags: list[str] = Field(default_factory=list,
                            description="words runbooks can trigger on, e.g. [deploy, cdn]")
    services: list[Id] = Field(min_length=1, description="the services involved, e.g. [checkout, payments]")
    runbooks: list[Id] = Field(default_factory=list, description="runbooks the team is expected to use; unless diagnosis.cause says otherwise, the ones that address the cause")
    stages: list[Stage] = Field(default_factory=list, description="an incident in stages, each with its own "
                                "detection and containment (see the README); none: one stage")
    injects: list[Inject] = Field(min_length=1,
                                  description="what happens, in order: faults, signals and cards, each at an offset or on a condition")
    monitoring: list[AlertRule] = Field(default_factory=list, description="the alert rules that can see the incident")
    detection_fallback: Fallback | None = Field(None, description="how the incident is noticed when no alert catches it")
    diagnosis: Diagnosis | None = Field(None,
                                        description="finding the cause: how long it takes, and the wrong leads on the way")
    mitigation: Mitigation | None = Field(None,
                                          description="what counts as mitigated, and how long it takes without a runbook")
    recovery: Recovery | None = Field(None, description="what counts as recovered, and how long it takes after mitigation")
    breach: Breach | None = Field(None, description="security incidents: containment and who must be told")
    backups: list[Backup] = Field(default_factory=list, description="data loss: the backups there are and how they behave")
    objectives: Objectives = Field(default_factory=Objectives,
                                   description="targets the drill is judged against, e.g. {detect: 5m, mitigate: 1h}")
    live: Live | None = Field(None, description="how to play it against real containers in a live game day")
    #: the severity as the file wrote it, once renamed onto a team's levels (severity_map.py)
    _severity_written: str | None = PrivateAttr(None)
