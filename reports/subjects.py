"""What a gap finding is about, in words. A finding's ``subject`` is a short key
(``P1/P1``, ``skill:comms``, a rotation or alert name) that keeps findings apart in the
incident log; a report says what the key names: ``escalation policy 'P1' against the
P1 acknowledgement target``."""

from __future__ import annotations

from typing import Callable


def _policy_severity(s: str) -> str:
    policy, _, severity = s.partition("/")
    return f"escalation policy '{policy}' against the {severity} acknowledgement target" if severity else f"escalation policy '{s}'"


def _need(s: str) -> str:
    what, _, name = s.partition(":")
    return f"access to {name}" if what == "access" else f"skill '{name or s}'"


def _on_call_member(s: str, names: dict[str, str] | None) -> str:
    rotation, _, member = s.partition("/")
    return f"{(names or {}).get(member, member)}'s shifts in rotation '{rotation}'"


def _alerts(s: str) -> str:
    names = [n for n in s.split(",") if n]
    return ("alert rule " if len(names) == 1 else "alert rules ") + ", ".join(names)


#: Gap rule id -> how its subject reads. Every rule of ``scoring.gaps`` has one.
SUBJECTS: dict[str, Callable[[str], str]] = {
    "escalation-timeout-over-ack-target": _policy_severity,
    "rotation-coverage-gap": lambda s: f"rotation '{s}'",
    "rotation-not-started": lambda s: f"the start of rotation '{s}'",
    "away-while-on-call": lambda s: _on_call_member(s, None),
    "single-point-of-failure": lambda s: f"team member {s}",
    "night-load-concentrated": lambda s: f"on-call member {s}",
    "slow-night-acknowledgement": lambda s: f"severity {s} pages at night",
    "nobody-acknowledged": lambda s: s,
    "alert-without-runbook": _alerts,
    "no-runbook-for-scenario": lambda s: f"scenario {s}",
    "expected-runbook-missing": lambda s: f"runbook {s}",
    "skill-missing-on-call": _need,
    "no-alert-sees-scenario": lambda s: f"scenario {s}",
    "unrouted-alert": _alerts,
    "detected-by-customers": lambda s: f"scenario {s}",
    "for-exceeds-detect-target": _alerts,
    "noisy-alert": _alerts,
    "updates-slower-than-cadence": lambda s: f"the update cadence of severity {s}",
    "no-public-update": lambda s: f"public updates for severity {s}",
    "breach-notification-at-risk": lambda s: f"the notification of {s.replace('-', ' ')}",
    "no-working-backup": lambda s: f"the backups of scenario {s}",
    "backup-interval-over-rpo": lambda s: f"the {s} backup",
    "restore-slower-than-rto": lambda s: f"restores from the {s} backup",
    "monitoring-depends-on-impacted-service": _alerts,
    "data-not-covered-by-backup": lambda s: f"the backups of scenario {s}",
    "stage-undetected": lambda s: f"stage {s} of the incident",
    # ACTION:SERVICE (the action may hold a colon of its own: a runbook step's text)
    "collateral-impact": lambda s: f"what {s.rpartition(':')[0]} did to {s.rpartition(':')[2]}",
}


def describe_subject(rule: str, subject: str, names: dict[str, str] | None = None) -> str:
    """The subject of a finding of ``rule`` in words ("" for none); member ids read as
    their names (``names``: id -> name). A rule without a wording keeps the key."""
    if not subject:
        return ""
    if rule == "night-load-concentrated" and names and subject in names:
        return f"on-call member {names[subject]}"
    if rule == "single-point-of-failure" and names and subject in names:
        return f"team member {names[subject]}"
    if rule == "away-while-on-call":
        return _on_call_member(subject, names)
    words = SUBJECTS.get(rule)
    return words(subject) if words else subject
