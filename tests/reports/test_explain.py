"""explain(): a run as lines a person reads, on one clock named once."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from reports.explain import ExplainError, explain
from scenarios import DrillbitError, parse_duration
from simulator import Assumptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "simulator"))  # the simulator tests' team and scenario
from simkit import API_DOWN, TWO_LEVEL_TEAM, run, scenario, team  # noqa: E402

NEVER_ANSWERS = TWO_LEVEL_TEAM.replace("ack: {working: {mean: 5m}, evening: {mean: 5m}, asleep: {mean: 5m}}",
                                       "ack: {working: {fixed: 1m, miss: 1}, evening: {fixed: 1m, miss: 1}, asleep: {fixed: 1m, miss: 1}}")


def _events(lines: list[str]) -> list[str]:
    """The event lines: neither the header nor a day line."""
    return [line for line in lines[1:] if not line.startswith("-- ")]


def test_explain_says_who_was_paged_where_and_what_came_of_it():
    tm = team(NEVER_ANSWERS)
    tl = run(scenario(API_DOWN), tm, assumptions=Assumptions.instant())
    lines = explain(tl, tm)
    # One clock for every line: the team's zone (UTC), named once in the header.
    assert lines[0] == "clock: UTC (the team's zone); +offset = time since the drill started"
    assert lines[1] == "-- Mon 5 Jan 2026 --"
    events = _events(lines)
    assert events[0].startswith("12:00 +0s Drill starts: api-down (P1 outage)")
    # alice lives in Berlin (UTC+1 in January): her line is on the UTC clock and says
    # her own time; bob shares the clock's zone, so his line needs no second time.
    assert ("12:00 +0s Alice paged (level 1) via push; working hours in Europe/Berlin, 13:00 their time"
            " — no ack, escalated to Bob") in events
    assert "12:10 +10m Bob paged (level 2) via push; working hours in UTC — acknowledged after 1m" in events
    assert "12:11 +11m Bob engaged as responder" in events
    assert any("Gap: no runbook matches" in line for line in events)
    assert events[-1].endswith("Drill ends (incident resolved)")
    assert len(events) < len(tl.events)  # acknowledgements and escalations fold into page lines


def test_explain_on_another_clock_gives_every_line_in_that_zone():
    tm = team(NEVER_ANSWERS)
    tl = run(scenario(API_DOWN), tm, assumptions=Assumptions.instant())
    lines = explain(tl, tm, tz="Asia/Tokyo")  # UTC+9, no daylight saving
    assert lines[0] == "clock: Asia/Tokyo; +offset = time since the drill started"
    events = _events(lines)
    assert events[0].startswith("21:00 +0s Drill starts")
    assert ("21:00 +0s Alice paged (level 1) via push; working hours in Europe/Berlin, 13:00 their time"
            " — no ack, escalated to Bob") in events
    assert "21:10 +10m Bob paged (level 2) via push; working hours in UTC, 12:10 their time — acknowledged after 1m" in events
    assert "21:11 +11m Bob engaged as responder at 12:11 their time in UTC" in events
    # Every event line starts with the Tokyo time of its offset: 21:00 + offset.
    for line in events:
        clock, offset = line.split(" ")[:2]
        minutes = 21 * 60 + int(parse_duration(offset[1:]) // 60)
        assert clock == f"{minutes // 60 % 24:02d}:{minutes % 60:02d}", line


def test_a_day_line_opens_each_new_date_on_the_clock():
    tm = team(NEVER_ANSWERS)
    start = datetime(2026, 1, 5, 23, 55, tzinfo=timezone.utc)
    tl = run(scenario(API_DOWN), tm, start=start, assumptions=Assumptions.instant())
    lines = explain(tl, tm)
    days = [i for i, line in enumerate(lines) if line.startswith("-- ")]
    assert [lines[i] for i in days] == ["-- Mon 5 Jan 2026 --", "-- Tue 6 Jan 2026 --"]
    # the day line sits between the last line before midnight and the first after it
    before, after = lines[days[1] - 1], lines[days[1] + 1]
    assert before.startswith("23:5") and after.startswith("00:0")


def test_explain_without_a_team_uses_the_start_zone():
    tl = run(scenario(API_DOWN), team(TWO_LEVEL_TEAM), assumptions=Assumptions.instant())
    lines = explain(tl)
    assert lines[0].startswith("clock: UTC (the zone of the drill's start)")
    assert _events(lines)[0].startswith("12:00 +0s Drill starts")


def test_an_unknown_zone_is_a_drillbit_error():
    tl = run(scenario(API_DOWN), team(TWO_LEVEL_TEAM), assumptions=Assumptions.instant())
    with pytest.raises(ExplainError, match="IANA time zone") as info:
        explain(tl, tz="Mars/Olympus")
    assert isinstance(info.value, DrillbitError)


def test_a_run_of_updates_alike_is_one_line_and_a_milestone_starts_a_new_one():
    from scenarios.timeline import Event, Timeline

    def update(t, n, phase="monitoring"):
        return Event(t=t, kind="status_update", actor="comms", data={"phase": phase, "public": True, "n": n})

    events = [Event(t=0.0, kind="drill_started", actor="system", subject="x", data={})]
    events += [update(600.0, 1, "investigating")]
    events += [update(600.0 + 1800.0 * k, k + 1) for k in range(1, 6)]  # #2..#6, every 30m
    events += [Event(t=11000.0, kind="restored_data", actor="bob", data={"backup": "b", "rpo": 0.0, "rto": 11000.0})]
    events += [update(11400.0, 7), update(13200.0, 8)]  # two after the restore: too few to fold
    tl = Timeline(scenario="x", mode="simulated", started_at=datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc),
                  events=tuple(events))
    lines = _events(explain(tl))
    ups = [line for line in lines if "Status update" in line]
    # 5 updates #2..#6 at 30m intervals: the last at 600 + 5 * 1800 s = 2h40m
    assert ups == [
        "12:10 +10m Status update #1 (public): investigating",
        "12:40 +40m Status updates #2–#6 (public): monitoring — posted every 30m, 5 times, the last at +2h40m",
        "15:10 +3h10m Status update #7 (public): monitoring",
        "15:40 +3h40m Status update #8 (public): monitoring",
    ]


def _handmade():
    """A run written by hand: one event of most kinds, on a UTC clock from 12:00."""
    from scenarios.timeline import Event, Timeline

    def ev(t, kind, actor, subject, **data):
        return Event(t=t, kind=kind, actor=actor, subject=subject, data=data)

    events = (
        ev(0.0, "drill_started", "system", "x", severity="P1", scenario_kind="outage", team="t", timezone="UTC",
           local="2026-01-05T12:00:00+00:00"),
        ev(60.0, "page_sent", "paging", "carol", page=1, to="carol", purpose="expert", target="skill:db",
           channel="sms", delivered_after=5.0, period="asleep", timezone="Asia/Tokyo", away=True, skill="db"),
        ev(90.0, "page_missed", "paging", "carol", page=1, to="carol", purpose="expert", target="skill:db", reason="away"),
        ev(120.0, "runbook_started", "bob", "rb", runbook="rb", steps=4),
        ev(400.0, "step_finished", "bob", "Restart it", runbook="rb", step=1, attempt=2, ok=False, took=150.0),
        ev(500.0, "notified", "bob", "regulator", who="regulator", within=259200.0),
        ev(700.0, "restored_data", "bob", "snapshot", backup="snapshot", backup_t=-3600.0, rpo=3600.0, rto=700.0),
        ev(800.0, "drill_ended", "system", "x", reason="horizon"),
    )
    return Timeline(scenario="x", mode="simulated", started_at=datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc),
                    events=events)


def test_every_piece_of_a_line_is_kept():
    lines = _events(explain(_handmade()))
    # period, zone, their own time (Tokyo is UTC+9), channel, purpose, away and the outcome
    assert lines[1] == "12:01 +1m carol paged (skill:db) via sms; asleep in Asia/Tokyo, away, 21:01 their time — away, no answer"
    assert not any("unanswered" in line for line in lines)  # the miss folds into the page's line
    assert lines[2] == "12:02 +2m Runbook rb started by bob (4 steps)"
    # step 2 of 4 (0-based step 1), the attempt, how long it took
    assert lines[3] == "12:06 +6m40s Step 2/4 of rb failed by bob after 2m30s, attempt 2: Restart it"
    assert lines[4] == "12:08 +8m20s Regulator notified (deadline 3d from detection)"
    assert lines[5] == "12:11 +11m40s Data restored from the snapshot backup: RPO 1h, RTO 11m40s"
    assert lines[6] == "12:13 +13m20s Drill ends (time limit reached before resolution)"


def test_the_report_and_the_terminal_tell_an_event_in_the_same_words():
    from reports.narrative import tell

    tl = _handmade()
    story = {e.t: e.text for e in tell(tl).entries}
    for line in _events(explain(tl)):
        clock, offset, text = line.split(" ", 2)
        t = parse_duration(offset[1:]) if offset != "+0s" else 0.0
        if t in story:
            assert text.startswith(story[t]), (text, story[t])
