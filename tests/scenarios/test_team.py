"""Who is on call, who is asleep, who is away: the questions the simulator asks a team."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from scenarios import InputError, Team, loads
from scenarios.windows import parse_window

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")

TEAM = """
team: t
timezone: Europe/Berlin
members:
  - {id: ana, name: Ana, timezone: Europe/Berlin, skills: [postgres]}
  - {id: ben, name: Ben, timezone: America/New_York, working_hours: "Mon-Fri 08:00-16:00"}
  - {id: chen, name: Chen, timezone: Asia/Singapore, sleep: "00:30-08:00",
     away: [{from: 2026-12-22, to: 2027-01-02}]}
  - {id: dana, name: Dana, timezone: Europe/Berlin}
roles: {incident-commander: [dana], leadership: [dana]}
rotations:
  primary:
    layers:
      - name: follow-the-sun
        start: 2026-11-02T00:00:00+00:00
        turn: 8h
        members: [chen, ana, ben]
        timezone: UTC
      - name: weekend
        start: 2026-11-07T00:00:00+00:00
        turn: 1w
        members: [dana, ana]
        only: Sat-Sun
        timezone: UTC
    overrides:
      - {member: dana, from: 2026-12-24T00:00:00+01:00, to: 2026-12-27T00:00:00+01:00}
  secondary:
    layers:
      - {start: 2026-11-02T09:00:00+01:00, turn: 1w, members: [ben, ana]}
escalation:
  default:
    levels:
      - {notify: rotation:primary, timeout: 5m}
      - {notify: [rotation:secondary, role:incident-commander]}
"""


@pytest.fixture(scope="module")
def team() -> Team:
    return loads(TEAM, Team, "team.yaml")


def at(*args, tz=UTC) -> datetime:
    return datetime(*args, tzinfo=tz)


@pytest.mark.parametrize("when, who", [
    (at(2026, 11, 3, 7, 59, 59), "chen"),     # Tuesday: first 8h turn of the day
    (at(2026, 11, 3, 8, 0, 0), "ana"),        # handoff at 08:00 UTC exactly
    (at(2026, 11, 3, 16, 0, 0), "ben"),
    (at(2026, 11, 4, 0, 0, 0), "chen"),
    (at(2026, 11, 7, 12, 0), "dana"),         # Saturday: the weekend layer is higher and wins
    (at(2026, 11, 14, 12, 0), "ana"),         # next weekend: next weekly turn
    (at(2026, 11, 9, 12, 0), "ana"),          # Monday: the weekend layer does not apply
    (at(2026, 12, 25, 3, 0), "dana"),         # the override wins over every layer
])
def test_on_call_resolves_layers_restrictions_and_overrides(team, when, who):
    assert team.on_call("primary", when) == who


def test_nobody_is_on_call_before_a_rotation_starts(team):
    assert team.on_call("primary", at(2026, 11, 1, 12)) is None


def test_weekly_handoff_follows_the_local_wall_clock_across_daylight_saving(team):
    # Berlin leaves summer time on 2027-03-28; the Monday 09:00 handoff stays at 09:00 local.
    before = datetime(2027, 3, 29, 8, 59, tzinfo=BERLIN)
    after = datetime(2027, 3, 29, 9, 0, tzinfo=BERLIN)
    assert team.on_call("secondary", before) != team.on_call("secondary", after)


@pytest.mark.parametrize("member, when, period", [
    ("ana", at(2026, 11, 3, 10, 0, tz=BERLIN), "working"),
    ("ana", at(2026, 11, 3, 20, 0, tz=BERLIN), "evening"),
    ("ana", at(2026, 11, 4, 3, 0, tz=BERLIN), "asleep"),
    ("ana", at(2026, 11, 7, 10, 0, tz=BERLIN), "evening"),   # Saturday morning: not working, awake
    ("ben", at(2026, 11, 3, 14, 0), "working"),                # 09:00 in New York
    ("chen", at(2026, 11, 3, 16, 45), "asleep"),               # 00:45 in Singapore
])
def test_periods_are_in_the_members_own_zone(team, member, when, period):
    assert team.member(member).period_at(when) == period


def test_away_dates_cover_whole_local_days(team):
    chen = team.member("chen")
    assert chen.is_away(at(2027, 1, 2, 15, 0))          # 23:00 on the last day in Singapore
    assert not chen.is_away(at(2027, 1, 2, 16, 30))     # 00:30 the day after, in Singapore


def test_policy_selection_falls_back_to_default(team):
    assert team.policy_for("Anything", "api", "P0") == "default"


def test_windows_crossing_midnight_belong_to_their_start_day():
    w = parse_window("Fri 22:00-06:00")
    assert w.contains(datetime(2026, 11, 28, 5, 59))      # Saturday early morning
    assert not w.contains(datetime(2026, 11, 27, 5, 0))   # Friday early morning


def test_reference_errors_are_all_reported_with_positions():
    broken = TEAM.replace("members: [dana, ana]", "members: [dna, ana]").replace("rotation:secondary", "rotation:secondry")
    with pytest.raises(InputError) as info:
        loads(broken, Team, "team.yaml")
    assert [str(p) for p in info.value.problems] == [
        "team.yaml:22:19: rotations.primary.layers[1].members[0]: member 'dna' is not defined; did you mean 'dana'?",
        "team.yaml:34:19: escalation.default.levels[1].notify[0]: rotation 'secondry' is not defined; did you mean 'secondary'?",
    ]


def test_every_change_of_who_is_on_call_is_at_a_listed_change_point(team):
    start, end = at(2026, 11, 5), at(2026, 12, 28)  # handoffs, weekend layers and the override at Christmas
    for name, rotation in team.rotations.items():
        points = rotation.changes(start, end, team.timezone)
        assert points[0] == start and points == sorted(points)
        step = timedelta(minutes=5)
        t = start
        while t + step < end:
            if rotation.on_call(t, team.timezone) != rotation.on_call(t + step, team.timezone):
                assert any(t < p <= t + step for p in points), (name, t)
            t += step


def test_nothing_changes_between_two_change_points(team):
    rotation = team.rotations["primary"]
    points = rotation.changes(at(2026, 11, 20), at(2026, 11, 23), team.timezone)
    for a, b in zip(points, points[1:]):
        mid = a + (b - a) / 2
        assert rotation.on_call(a, team.timezone) == rotation.on_call(mid, team.timezone)
