"""What each metric means: one registry that scoring, reports and the incident log
all read, so ``tta`` is the same span in a drill scorecard and in ``log calibrate``.

A metric is the time from one milestone to another (the names of
``scenarios.timeline.MILESTONES``); the incident log stores the same milestones of
real incidents under its own field names (``incidents.records.MILESTONE_FIELDS``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricDefinition:
    """One metric: its key, its name in words, the milestones it spans (``start`` to
    ``end``; ``-`` where it is not a plain difference), its unit and what it measures."""

    name: str
    label: str
    start: str
    end: str
    unit: str
    description: str


_ALL = (
    MetricDefinition("ttd", "time to detect", "impact", "detected", "seconds",
                     "from the start of impact to the first detection (an alert, or a person noticing)"),
    MetricDefinition("tta", "time to acknowledge", "paged", "acknowledged", "seconds",
                     "from the first paging attempt (a page sent, or a level that found nobody on call) to the "
                     "acknowledgement (PagerDuty's seconds_to_first_ack, which counts from the incident's creation)"),
    MetricDefinition("engage", "time to engage", "detected", "engaged", "seconds",
                     "from detection to the first responder engaged"),
    MetricDefinition("ttm", "time to mitigate", "impact", "mitigated", "seconds",
                     "from the start of impact to mitigation"),
    MetricDefinition("ttr", "time to recover", "impact", "recovered", "seconds",
                     "from the start of impact to recovery"),
    MetricDefinition("first_update", "time to first update", "detected", "first_update", "seconds",
                     "from detection to the first status update"),
    MetricDefinition("longest_silence", "longest silence", "detected", "-", "seconds",
                     "the longest stretch without a status update while the incident was open, in real seconds"),
    MetricDefinition("cadence_overrun", "cadence overrun", "detected", "-", "seconds",
                     "the longest time a stretch without a status update ran past the cadence of the phase it began "
                     "in (0: every phase's cadence was kept)"),
    MetricDefinition("contain", "time to contain", "detected", "contained", "seconds",
                     "breach: from detection to containment"),
    MetricDefinition("rpo", "data lost (RPO)", "impact", "restored_data", "seconds",
                     "data loss: the span of data lost, from the last good backup to the loss"),
    MetricDefinition("rto", "time to restore data (RTO)", "impact", "restored_data", "seconds",
                     "data loss: from the start of impact to the data restored"),
)

#: Every metric with a fixed name, in report order.
DEFINITIONS: dict[str, MetricDefinition] = {d.name: d for d in _ALL}
#: Impact weighted by its share (scoring.impact): not one span, so not in DEFINITIONS
#: (nor in the incident log's milestones); a run reports them when shares matter.
WEIGHTED_DEFINITIONS: dict[str, MetricDefinition] = {d.name: d for d in (
    MetricDefinition("weighted_outage", "weighted outage (share out × time)", "impact", "recovered", "seconds",
                     "customer-hours of outage: the share of users out times how long, summed over the incident "
                     "(0.4 out for 3h then 0.1 for 2h: 1.4 hours); impact the response caused counts too"),
    MetricDefinition("weighted_degraded", "weighted degradation (share degraded × time)", "impact", "recovered",
                     "seconds", "the share of users seeing degraded service times how long, summed"),
)}
#: Notification metrics are named after the party: ``notify_regulator``. A notification
#: tied to a stage of the incident counts from that stage's detection (``scoring.stages``).
NOTIFY_PREFIX = "notify_"
#: Per-stage metrics of a scenario with ``stages``, named after the stage
#: (``stage_dwell_vault_theft``; a hyphen in the id is an underscore).
STAGE_DWELL_PREFIX = "stage_dwell_"
STAGE_CONTAIN_PREFIX = "stage_contain_"


def definition(name: str) -> MetricDefinition:
    """The definition of ``name``, including ``notify_<party>`` metrics. Raises
    KeyError for a name that is no metric."""
    if name in DEFINITIONS:
        return DEFINITIONS[name]
    if name in WEIGHTED_DEFINITIONS:
        return WEIGHTED_DEFINITIONS[name]
    if name.startswith(NOTIFY_PREFIX) and len(name) > len(NOTIFY_PREFIX):
        party = name[len(NOTIFY_PREFIX):].replace("_", " ")
        return MetricDefinition(name, f"time to notify {party}", "detected", "notified", "seconds",
                                f"from detection (of the stage it concerns, if it names one) to notifying {party}")
    if name.startswith(STAGE_DWELL_PREFIX) and len(name) > len(STAGE_DWELL_PREFIX):
        stage = name[len(STAGE_DWELL_PREFIX):].replace("_", "-")
        return MetricDefinition(name, f"dwell time of stage {stage}", "stage_started", "stage_detected", "seconds",
                                f"from the start of stage {stage} (its first fault) to its detection; missed when it "
                                "started and nothing detected it, not reached when it never started")
    if name.startswith(STAGE_CONTAIN_PREFIX) and len(name) > len(STAGE_CONTAIN_PREFIX):
        stage = name[len(STAGE_CONTAIN_PREFIX):].replace("_", "-")
        return MetricDefinition(name, f"time to contain stage {stage}", "stage_detected", "contained", "seconds",
                                f"breach: from the detection of stage {stage} to its containment")
    raise KeyError(name)


def metric_label(name: str) -> str:
    """A metric's name in words (``notify_regulator`` -> ``time to notify regulator``)."""
    return definition(name).label


__all__ = ["DEFINITIONS", "MetricDefinition", "NOTIFY_PREFIX", "STAGE_CONTAIN_PREFIX", "STAGE_DWELL_PREFIX",
           "WEIGHTED_DEFINITIONS", "definition", "metric_label"]
