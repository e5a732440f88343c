"""Coverage gaps: exact, and at a cost that does not grow with shorter turns."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from scenarios import InputError, Team, loads
from scoring.coverage import coverage_gaps

UTC = timezone.utc
MONDAY = datetime(2026, 1, 5, tzinfo=UTC)

TEAM = """
team: t
members:
  - {id: ana, name: Ana, timezone: UTC}
  - {id: ben, name: Ben, timezone: UTC}
rotations:
  primary:
    layers:
      - start: 2026-01-05T09:00:00+00:00
        turn: TURN
        members: [ana, ben]
        only: Mon-Fri 09:00-17:00
        timezone: UTC
escalation:
  default:
    levels:
      - notify: rotation:primary
"""


def team(turn: str = "1w") -> Team:
    return loads(TEAM.replace("TURN", turn), Team, "team.yaml")


def _with_turn(t: Team, seconds: float) -> Team:
    # Past the bound the loader enforces, to show the scan does not depend on it.
    layer = t.rotations["primary"].layers[0].model_copy(update={"turn": seconds})
    rotation = t.rotations["primary"].model_copy(update={"layers": [layer]})
    return t.model_copy(update={"rotations": {"primary": rotation}})


def _hand_gaps() -> list[tuple[datetime, datetime]]:
    # Covered Mon-Fri 09:00-17:00 UTC only; the week from Monday 00:00.
    gaps, open_at = [], MONDAY
    for day in range(5):
        gaps.append((open_at, MONDAY + timedelta(days=day, hours=9)))
        open_at = MONDAY + timedelta(days=day, hours=17)
    gaps.append((open_at, MONDAY + timedelta(days=7)))
    return gaps


@pytest.mark.parametrize("turn", ["1h", "8h", "1w"])
def test_gaps_are_the_hours_outside_the_restriction(turn):
    assert [(g.start, g.end) for g in coverage_gaps(team(turn), "primary", MONDAY, days=7)] == _hand_gaps()


def test_a_millisecond_turn_costs_no_more_than_a_weekly_one():
    # A 1ms turn hung this scan (2.4 billion handoffs in 28 days); handoffs never open
    # a gap, so the scan asks only where the layer starts or stops applying.
    started = time.monotonic()
    gaps = coverage_gaps(_with_turn(team(), 0.001), "primary", MONDAY, days=28)
    assert time.monotonic() - started < 5
    assert len(gaps) == 4 * 5 + 1
    rotation = _with_turn(team(), 0.001).rotations["primary"]
    weekly = team().rotations["primary"]
    end = MONDAY + timedelta(days=28)
    assert rotation.changes(MONDAY, end, "UTC", handoffs=False) == weekly.changes(MONDAY, end, "UTC", handoffs=False)


def test_handoffs_are_still_changes_of_who_is_on_call():
    rotation = team("1h").rotations["primary"]
    points = rotation.changes(MONDAY, MONDAY + timedelta(days=1), "UTC")
    assert set(range(9, 18)) <= {p.hour for p in points}  # every hourly handoff inside the window
    assert [rotation.on_call(datetime(2026, 1, 5, h, 30, tzinfo=UTC)) for h in (9, 10, 11, 17)] == ["ana", "ben", "ana", None]


@pytest.mark.parametrize("turn", ["1ms", "1s", "59m59s"])
def test_a_turn_shorter_than_an_hour_is_refused_with_a_reason(turn):
    with pytest.raises(InputError) as caught:
        team(turn)
    assert "expected a turn of at least 1h" in str(caught.value) and "before anyone can answer a page" in str(caught.value)
