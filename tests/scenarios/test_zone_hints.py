"""Time zone messages suggest the zone a person meant: abbreviations and cities are
known by name, not guessed by spelling (PST is not a misspelt MST)."""

from __future__ import annotations

import pytest

from scenarios import InputError, Team, loads

TEAM = """\
team: platform
timezone: {zone}
members:
  - {{id: dana, name: Dana, timezone: Europe/Berlin}}
rotations:
  primary:
    layers:
      - {{start: 2026-01-05T09:00:00+01:00, turn: 1w, members: [dana]}}
escalation:
  default:
    levels:
      - notify: rotation:primary
"""


def _message(zone: str) -> str:
    with pytest.raises(InputError) as caught:
        loads(TEAM.format(zone=zone), Team, "team.yaml")
    (problem,) = caught.value.problems
    assert problem.path == "timezone"
    return problem.message


@pytest.mark.parametrize(("written", "meant"), [
    ("PST", "America/Los_Angeles"), ("PDT", "America/Los_Angeles"), ("America/San_Francisco", "America/Los_Angeles"),
    ("EST", "America/New_York"), ("Asia/Bangalore", "Asia/Kolkata"), ("Europe/Munich", "Europe/Berlin"),
    ("Europe/Berlni", "Europe/Berlin"), ("europe/berlin", "Europe/Berlin"), ("Berlin", "Europe/Berlin"),
])
def test_the_zone_meant_is_suggested(written: str, meant: str) -> None:
    message = _message(written)
    assert f"'{meant}'" in message
    assert "MST" not in message and "Caracas" not in message


def test_cet_suggests_the_places_that_keep_central_european_time() -> None:
    message = _message("CET")
    assert "'Europe/Berlin'" in message and "'Europe/Paris'" in message


def test_ist_is_called_ambiguous_and_lists_india_ireland_and_israel() -> None:
    message = _message("IST")
    assert "ambiguous" in message
    assert all(z in message for z in ("'Asia/Kolkata'", "'Europe/Dublin'", "'Asia/Jerusalem'"))


def test_a_name_too_long_for_a_file_is_an_input_error_not_a_crash() -> None:
    _message("Europe/" + "x" * 300)


def test_real_zones_are_accepted() -> None:
    for zone in ("UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata"):
        assert loads(TEAM.format(zone=zone), Team).timezone == zone


@pytest.mark.parametrize(("zone", "written", "offset"), [
    # New York keeps EST (-05:00) in January and EDT (-04:00) in July.
    ("America/New_York", "2026-01-05T09:00:00", "-05:00"),
    ("America/New_York", "2026-07-06T09:00:00", "-04:00"),
    ("Asia/Kolkata", "2026-07-06T09:00:00", "+05:30"),
])
def test_a_date_without_an_offset_suggests_the_teams_offset_on_that_date(zone: str, written: str, offset: str) -> None:
    text = TEAM.format(zone=zone).replace("2026-01-05T09:00:00+01:00", written)
    with pytest.raises(InputError) as caught:
        loads(text, Team, "team.yaml")
    (problem,) = caught.value.problems
    assert problem.message.endswith(f"that is {written}{offset}")
    assert zone in problem.message
