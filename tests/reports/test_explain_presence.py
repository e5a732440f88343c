"""The explained run says what happened when the policy reached someone on the
incident already: no page went out to them, and leadership knew because the CTO was
there (the run is the hand-checked one of tests/simulator/test_simulator_presence.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "simulator"))

from simkit import run, scenario  # noqa: E402
from test_simulator_presence import BREACH, INSTANT, leadership_team  # noqa: E402

from reports.explain import explain  # noqa: E402


def test_a_level_reached_through_someone_on_the_incident_is_told_as_such():
    tm = leadership_team()
    lines = explain(run(scenario(BREACH), tm, assumptions=INSTANT), tm)
    alice = next(line for line in lines if "Alice paged (level 1)" in line)
    assert alice.endswith("no ack, escalated to The CTO (on the incident already)")
    cto = next(line for line in lines if "The CTO paged" in line)
    assert cto.endswith("acknowledged after 2m")  # the severity page, answered at 2m, not at the level's 10m
    assert any(line.endswith("Leadership notified (deadline 1h from detection): The CTO is on the incident")
               for line in lines)
