"""Which HSEEP capability each gap rule speaks to, for the after-action report's
"areas for improvement". A rule not listed here is shown under "cross-cutting"."""

from __future__ import annotations

from scoring.ratings import CAPABILITIES

#: Gap rule id -> capability (a key of ``scoring.ratings.CAPABILITIES``).
RULE_CAPABILITY: dict[str, str] = {
    "escalation-timeout-over-ack-target": "mobilisation",
    "rotation-coverage-gap": "mobilisation",
    "night-load-concentrated": "mobilisation",
    "slow-night-acknowledgement": "mobilisation",
    "nobody-acknowledged": "mobilisation",
    "alert-without-runbook": "diagnosis & repair",
    "no-runbook-for-scenario": "diagnosis & repair",
    "skill-missing-on-call": "diagnosis & repair",
    "no-alert-sees-scenario": "detection",
    "unrouted-alert": "detection",
    "detected-by-customers": "detection",
    "for-exceeds-detect-target": "detection",
    "noisy-alert": "detection",
    "updates-slower-than-cadence": "communication",
    "no-public-update": "communication",
    "breach-notification-at-risk": "communication",
    "no-working-backup": "recovery",
    "backup-interval-over-rpo": "recovery",
    "restore-slower-than-rto": "recovery",
}
CROSS_CUTTING = "cross-cutting"
CAPABILITY_ORDER: tuple[str, ...] = (*CAPABILITIES, CROSS_CUTTING)
#: Metric -> the capability it rates.
METRIC_CAPABILITY: dict[str, str] = {m: c for c, ms in CAPABILITIES.items() for m in ms}


def capability_of_rule(rule: str) -> str:
    return RULE_CAPABILITY.get(rule, CROSS_CUTTING)
