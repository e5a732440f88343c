"""Findings become action items with an owner role and a due date from their severity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .gaps import Finding

#: Days to fix a finding of each severity.
DUE_DAYS = {"critical": 7, "high": 30, "medium": 60, "low": 90}


@dataclass(frozen=True)
class ActionItem:
    """Something to do, who owns it, and by when."""

    title: str
    owner: str
    due: date
    severity: str
    rule: str
    subject: str
    capability: str = ""


def action_items(findings: list[Finding], today: date) -> list[ActionItem]:
    """One action item per finding, due ``DUE_DAYS[severity]`` after ``today``."""
    return [
        ActionItem(f"{f.recommendation[0].upper()}{f.recommendation[1:]}", f.owner,
                   today + timedelta(days=DUE_DAYS[f.severity]), f.severity, f.rule, f.subject, f.capability)
        for f in findings
    ]
