"""Milestones of a hand-built timeline, with the expected times written out by hand
from DESIGN.md's definitions (the first event that marks each one)."""

from __future__ import annotations

from datetime import datetime, timezone

from scenarios.timeline import new_event, new_timeline

EVENTS = [
    (0.0, "drill_started", "system", "x", {}),
    (10.0, "impact_started", "fault", "api", {}),
    (12.0, "detected", "monitoring", "api", {"via": "alert"}),
    (15.0, "page_sent", "paging", "ana", {"purpose": "noise"}),  # not the incident's page
    (20.0, "page_missed", "paging", "rotation:primary", {"purpose": "incident"}),  # the first attempt
    (25.0, "page_sent", "paging", "ben", {"purpose": "incident"}),
    (28.0, "acknowledged", "ana", "ana", {"purpose": "noise"}),
    (30.0, "acknowledged", "ben", "ben", {"purpose": "incident"}),
    (31.0, "responder_engaged", "cy", "cy", {"role": "commander"}),
    (40.0, "responder_engaged", "ben", "ben", {"role": "responder"}),
    (41.0, "responder_engaged", "dee", "dee", {"role": "responder"}),
    (50.0, "status_update", "ben", "api", {"phase": "investigating"}),
    (60.0, "mitigated", "ben", "api", {}),
    (61.0, "mitigated", "ben", "api", {}),
    (70.0, "recovered", "system", "api", {}),
    (80.0, "resolved", "ben", "api", {}),
    (90.0, "drill_ended", "system", "x", {}),
]


def test_each_milestone_is_the_first_event_that_marks_it():
    tl = new_timeline("x", "simulated", 1, 0, datetime(2026, 12, 1, tzinfo=timezone.utc), "t",
                      tuple(new_event(*e) for e in EVENTS))
    assert tl.milestones() == {
        "impact": 10.0, "detected": 12.0, "paged": 20.0, "acknowledged": 30.0, "engaged": 40.0,
        "first_update": 50.0, "diagnosed": None, "mitigated": 60.0, "recovered": 70.0, "resolved": 80.0,
        "contained": None, "restored_data": None, "ended": 90.0,
    }
    assert {name: tl.milestone(name) for name in tl.milestones()} == tl.milestones()
