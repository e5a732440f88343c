"""On-call calendars: the rotation read from a calendar answers as the calendar does.

The expected answers come from the calendar alone: recurring-ical-events lists the
events at an instant, the one that began last wins (an override on top of a turn),
and a table written here by hand says who each summary or email is."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import yaml
from hypothesis import given, settings, strategies as st

from scenarios import DrillbitError, InputError, Rotation, Team, load_team, loads
from scenarios.ical import (People, export_calendar, import_calendar, parse_calendar, read_calendar_text,
                            resolved_shifts, rotations_yaml)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "ical"
TEAM = load_team(ROOT / "examples" / "team.yaml")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc


def who_is(summary_or_email: str, names: dict[str, str]) -> str | None:
    for key, member in names.items():
        if key in summary_or_email:
            return member
    return None


def calendar_says(path: Path, at: datetime, names: dict[str, str], all_day_zone=BERLIN) -> str | None:
    """Who the calendar puts on call at ``at``: of the events there, the one that began
    last, and of two that began together the one written later in the file."""
    text = path.read_text(encoding="utf-8")
    cal = icalendar.Calendar.from_ical(text)

    def instant(t):
        return t if isinstance(t, datetime) else datetime.combine(t, datetime.min.time(), all_day_zone)

    def began(e):
        return instant(e["DTSTART"].dt)

    # a wide query, then each occurrence's own DTSTART and DTEND: the library's range test
    # can miss an occurrence that a clock change lengthens, near its end
    events = [e for e in recurring_ical_events.of(cal).between(at - timedelta(days=2), at + timedelta(days=2))
              if e.get("STATUS") != "CANCELLED" and began(e) <= at < instant(e["DTEND"].dt)]
    if not events:
        return None

    last = max(events, key=lambda e: (began(e), text.rindex(f"UID:{e['UID']}")))
    attendee = str(last.get("ATTENDEE", ""))
    return who_is(attendee, names) or who_is(str(last["SUMMARY"]), names)


def hours(start: datetime, end: datetime, step=timedelta(hours=1)):
    t = start
    while t < end:
        yield t
        t += step


def read(name: str, start=None, end=None, mapping=None):
    parsed = parse_calendar(read_calendar_text(DATA / name), str(DATA / name))
    return import_calendar(parsed, TEAM, People(TEAM, mapping or {}), start, end)


WEEKLY_NAMES = {"Amara": "amara", "Jonas Becker": "jonas", "Sofia": "sofia", "Noah": "noah", "Helena": "helena"}


def test_a_weekly_turn_of_three_becomes_one_layer_and_the_exceptions_overrides():
    start, end = datetime(2026, 10, 12, tzinfo=BERLIN), datetime(2027, 1, 4, tzinfo=BERLIN)
    result = read("weekly-berlin.ics", start, end)
    assert result.layered
    [layer] = result.rotation.layers
    assert layer.members == ["amara", "jonas", "sofia"]
    assert layer.turn == 7 * 86400 and layer.timezone == "Europe/Berlin"
    assert layer.start == datetime(2026, 10, 12, 9, tzinfo=BERLIN)
    # By hand from the file: Jonas's turn of 9 November is cancelled (EXDATE) and Noah
    # covers it until Sofia's moved turn begins on Friday the 13th (RECURRENCE-ID);
    # Helena's cover of 20 November is cancelled (STATUS:CANCELLED).
    overrides = [(o.member, o.from_, o.to) for o in result.rotation.overrides]
    assert overrides == [("noah", datetime(2026, 11, 9, 9, tzinfo=BERLIN), datetime(2026, 11, 13, 9, tzinfo=BERLIN)),
                         ("sofia", datetime(2026, 11, 13, 9, tzinfo=BERLIN), datetime(2026, 11, 16, 9, tzinfo=BERLIN))]
    for at in hours(start, end):
        assert result.rotation.on_call(at, TEAM.timezone) == calendar_says(DATA / "weekly-berlin.ics", at, WEEKLY_NAMES), at


def test_the_handoff_stays_at_nine_in_berlin_across_the_end_of_summer_time():
    result = read("weekly-berlin.ics", datetime(2026, 10, 12, tzinfo=BERLIN), datetime(2026, 11, 30, tzinfo=BERLIN))
    rot = result.rotation
    # Monday 19 October is summer time (09:00 = 07:00 UTC); Monday 26 October, after the
    # clocks went back on the 25th, is winter time (09:00 = 08:00 UTC).
    assert rot.on_call(datetime(2026, 10, 19, 6, 59, tzinfo=UTC), "UTC") == "amara"
    assert rot.on_call(datetime(2026, 10, 19, 7, 0, tzinfo=UTC), "UTC") == "jonas"
    assert rot.on_call(datetime(2026, 10, 26, 7, 59, tzinfo=UTC), "UTC") == "jonas"
    assert rot.on_call(datetime(2026, 10, 26, 8, 0, tzinfo=UTC), "UTC") == "sofia"


def test_the_yaml_pastes_into_a_team_file_and_answers_the_same():
    start, end = datetime(2026, 10, 12, tzinfo=BERLIN), datetime(2027, 1, 4, tzinfo=BERLIN)
    result = read("weekly-berlin.ics", start, end)
    text = rotations_yaml("primary", result.rotation, TEAM.timezone)
    doc = yaml.safe_load(text)
    assert list(doc) == ["rotations"] and doc["rotations"]["primary"]["layers"][0]["turn"] == "7d"
    pasted = Rotation.model_validate(doc["rotations"]["primary"])
    for at in hours(start, end, timedelta(minutes=90)):
        assert pasted.on_call(at, TEAM.timezone) == result.rotation.on_call(at, TEAM.timezone)


def test_past_the_end_of_the_recurrence_layers_would_lie_so_the_shifts_become_overrides():
    # UNTIL ends the turns on 1 March 2027 (the last turn runs to the 8th); a layer has no end.
    start, end = datetime(2027, 2, 1, tzinfo=BERLIN), datetime(2027, 3, 22, tzinfo=BERLIN)
    result = read("weekly-berlin.ics", start, end)
    assert not result.layered
    assert [(g.start, g.end) for g in result.gaps] == [(datetime(2027, 3, 8, 9, tzinfo=BERLIN), end)]
    for at in hours(start, end):
        assert result.rotation.on_call(at, TEAM.timezone) == calendar_says(DATA / "weekly-berlin.ics", at, WEEKLY_NAMES), at


PD_NAMES = {"amara.okafor@": "amara", "lherrera@": "luis", "bob.tanaka@": "noah", "kenji@": "kenji",
            "jonas.becker@": "jonas"}


def test_pagerduty_entries_with_a_folded_attendee_mapped_by_email():
    result = read("pagerduty-primary.ics", mapping={"bob.tanaka@payments.example.com": "noah"})
    assert not result.unmapped
    start, end = datetime(2026, 11, 30, 8, tzinfo=UTC), datetime(2026, 12, 7, 8, tzinfo=UTC)
    assert (result.start, result.end) == (start, end)
    for at in hours(start, end, timedelta(minutes=30)):
        assert result.rotation.on_call(at, "UTC") == calendar_says(DATA / "pagerduty-primary.ics", at, PD_NAMES), at
    # the file's one hole: Saturday 08:00 to Sunday 08:00 UTC
    assert [(g.start, g.end, g.unmapped) for g in result.gaps] == [
        (datetime(2026, 12, 5, 8, tzinfo=UTC), datetime(2026, 12, 6, 8, tzinfo=UTC), ())]
    [overlap] = result.overlaps
    assert (overlap.start, overlap.end, overlap.people, overlap.chosen) == (
        datetime(2026, 12, 1, 18, tzinfo=UTC), datetime(2026, 12, 1, 22, tzinfo=UTC), ("amara", "jonas"), "jonas")


def test_someone_not_in_the_team_is_reported_with_the_line_of_their_shift():
    result = read("pagerduty-primary.ics")
    [unmapped] = result.unmapped
    lines = (DATA / "pagerduty-primary.ics").read_text(encoding="utf-8").splitlines()
    assert unmapped.who == "bob.tanaka@payments.example.com"
    assert (unmapped.shifts, unmapped.hours) == (1, 24.0)
    assert lines[unmapped.line - 1] == "DTSTART:20261204T080000Z" and unmapped.col == 1
    # nobody the team knows from Friday 08:00 UTC (Bob's shift) to Sunday 08:00 UTC
    assert [(g.start, g.end, g.unmapped) for g in result.gaps] == [
        (datetime(2026, 12, 4, 8, tzinfo=UTC), datetime(2026, 12, 6, 8, tzinfo=UTC), ("bob.tanaka@payments.example.com",))]


def test_all_day_weekend_events_lie_in_the_calendars_zone_and_count_ends_the_rule():
    start, end = datetime(2026, 11, 2, tzinfo=BERLIN), datetime(2026, 11, 30, tzinfo=BERLIN)
    result = read("opsgenie-weekend.ics", start, end)
    rot = result.rotation
    names = {"Priya": "priya", "Arjun": "arjun"}
    assert rot.on_call(datetime(2026, 11, 6, 23, 30, tzinfo=UTC), "UTC") == "priya"  # Saturday 00:30 in Berlin
    assert rot.on_call(datetime(2026, 11, 6, 22, 30, tzinfo=UTC), "UTC") is None
    assert rot.on_call(datetime(2026, 11, 28, 12, tzinfo=BERLIN), "UTC") is None  # COUNT=2: no third weekend
    for at in hours(start, end):
        assert rot.on_call(at, TEAM.timezone) == calendar_says(DATA / "opsgenie-weekend.ics", at, names), at


def test_pagerduty_entries_that_take_turns_become_a_layer_and_the_split_week_an_override():
    result = read("pagerduty-weekly.ics")
    assert result.layered
    [layer] = result.rotation.layers
    # By hand: handoffs at 09:00 Berlin on Mondays (07:00 UTC in summer, 08:00 after 25 October)
    assert (layer.members, layer.turn, layer.timezone) == (["amara", "jonas", "sofia"], 7 * 86400, "Europe/Berlin")
    assert layer.start == datetime(2026, 10, 12, 9, tzinfo=BERLIN)
    assert [(o.member, o.from_, o.to) for o in result.rotation.overrides] == [
        ("helena", datetime(2026, 11, 4, 17, tzinfo=UTC), datetime(2026, 11, 5, 7, tzinfo=UTC))]
    names = {"amara.okafor@": "amara", "jonas.becker@": "jonas", "sofia.lindqvist@": "sofia", "helena.brandt@": "helena"}
    for at in hours(result.start, result.end):
        assert result.rotation.on_call(at, TEAM.timezone) == calendar_says(DATA / "pagerduty-weekly.ics", at, names), at


def test_grafana_oncall_usernames_and_a_daily_pair_of_twelve_hour_shifts():
    start, end = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC)
    result = read("grafana-oncall-daily.ics", start, end)
    assert result.layered
    [layer] = result.rotation.layers
    assert (layer.members, layer.turn, layer.timezone) == (["amara", "luis"], 12 * 3600, "UTC")
    assert layer.start == datetime(2026, 11, 2, 8, tzinfo=UTC)
    assert [(o.member, o.from_, o.to) for o in result.rotation.overrides] == [
        ("kenji", datetime(2026, 11, 7, 8, tzinfo=UTC), datetime(2026, 11, 7, 20, tzinfo=UTC))]
    names = {"amara": "amara", "luis": "luis", "kenji": "kenji"}
    for at in hours(start, end, timedelta(minutes=30)):
        assert result.rotation.on_call(at, "UTC") == calendar_says(DATA / "grafana-oncall-daily.ics", at, names), at


def test_an_endless_recurrence_is_read_for_thirteen_weeks_without_a_range():
    result = read("grafana-oncall-daily.ics")
    assert (result.start, result.end) == (datetime(2026, 11, 2, 8, tzinfo=UTC), datetime(2027, 2, 1, 8, tzinfo=UTC))


def test_an_event_with_two_attendees_puts_both_on_call_and_says_so():
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Handwritten//EN\r\nBEGIN:VEVENT\r\nUID:pair\r\n"
            "DTSTAMP:20261101T000000Z\r\nDTSTART:20261102T080000Z\r\nDTEND:20261102T200000Z\r\nSUMMARY:Release day\r\n"
            "ATTENDEE;CN=Amara Okafor:mailto:amara@payments.example.com\r\n"
            "ATTENDEE;CN=Bob Tanaka:mailto:bob@payments.example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    result = import_calendar(parse_calendar(text, "pair.ics"), TEAM, People(TEAM, {}))
    assert sorted((s.who, s.member or "") for s in result.shifts) == [("Amara Okafor", "amara"),
                                                                      ("bob@payments.example.com", "")]
    [overlap] = result.overlaps
    assert set(overlap.people) == {"amara", "bob@payments.example.com"} and overlap.chosen == "amara"
    assert [u.who for u in result.unmapped] == ["bob@payments.example.com"]
    assert result.rotation.on_call(datetime(2026, 11, 2, 12, tzinfo=UTC), "UTC") == "amara"


@pytest.mark.parametrize("name, expected", [
    ("not-a-calendar.ics", ["1:1: expected an iCalendar file starting with BEGIN:VCALENDAR, found 'BEGIN:VCARD'"]),
    ("no-dtstart.ics", ["11:1: DTSTART: event second@example.com: expected a DTSTART (when the shift begins), found none"]),
    # line 9: the SUMMARY above is folded over lines 7 and 8; col 9 is TZID=
    ("unknown-tzid.ics", ["9:9: DTSTART: event shift@example.com: unknown time zone TZID=Europe/Berlinn: expected a "
                          "VTIMEZONE with that TZID in the file, or an IANA name such as Europe/Berlin"]),
    ("bad-rrule.ics", ["10:1: RRULE: event weekly@example.com: expected a recurrence rule such as "
                       "FREQ=WEEKLY;BYDAY=MO;COUNT=4, got 'FREQ=WEEKLY;COUNT=four' (Expected int, got: four)"]),
])
def test_malformed_calendars_get_positioned_messages(name, expected):
    path = DATA / name
    with pytest.raises(InputError) as info:
        parse_calendar(read_calendar_text(path), str(path))
    assert info.value.lines() == [f"{path}:{e}" for e in expected]


def test_an_end_that_closes_the_wrong_component_is_named_with_both_lines():
    text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    with pytest.raises(InputError) as info:
        parse_calendar(text, "x.ics")
    assert info.value.lines() == ["x.ics:4:1: expected END of BEGIN:VEVENT of line 2, found END:VTODO"]


def test_every_problem_of_a_file_at_once():
    text = (DATA / "no-dtstart.ics").read_text(encoding="utf-8").replace("DTSTART:20261102T080000Z", "DTSTART;TZID=Nowhere/City:20261102T080000")
    with pytest.raises(InputError) as info:
        parse_calendar(text, "two.ics")
    assert [(p.line, p.path) for p in info.value.problems] == [(7, "DTSTART"), (11, "DTSTART")]


@pytest.mark.parametrize("line, expected", [
    ("DTSTART:2026BAD", "x.ics:5:1: DTSTART: event x: expected a valid DTSTART, got '2026BAD' (Expected time, got: 2026BAD)"),
    ("no colon here", "x.ics:5:1: event x: expected a content line NAME:VALUE, got 'no colon here'"),
])
def test_a_line_icalendar_cannot_read_is_positioned(line, expected):
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n{line}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    with pytest.raises(InputError) as info:
        parse_calendar(text, "x.ics")
    assert expected in info.value.lines()


VALUE = st.text(alphabet=st.sampled_from(list("0123456789TZ;=,:-+/ WEEKLYDAIFRQUNTCOBMSAP")), max_size=40)


@settings(max_examples=150, deadline=None)
@given(VALUE, VALUE, VALUE, VALUE)
def test_any_values_of_the_timed_properties_import_or_raise_drillbit_errors(start, end, rule, exdate):
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Amara Okafor\r\n"
            f"DTSTART{start}\r\nDTEND{end}\r\nRRULE:{rule}\r\nEXDATE{exdate}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    try:
        parsed = parse_calendar(text, "fuzz.ics")
        import_calendar(parsed, TEAM, People(TEAM, {}), datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
    except DrillbitError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("BEGIN:VCALENDAREVTSUMRY;=\r\n 0123456789TZ-/")), max_size=300))
def test_arbitrary_text_parses_or_raises_input_error(text):
    try:
        parse_calendar("BEGIN:VCALENDAR\r\n" + text, "fuzz.ics")
    except InputError:
        pass


# ---------------------------------------------------------------- export

def exported(rotation: str, start: datetime, end: datetime) -> bytes:
    return export_calendar(TEAM, resolved_shifts(TEAM, rotation, start, end), datetime(2026, 12, 1, 12, tzinfo=UTC))


def test_the_export_meets_rfc_5545():
    data = exported("secondary", datetime(2026, 11, 2, tzinfo=BERLIN), datetime(2026, 11, 23, tzinfo=BERLIN))
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")  # 3.1: CRLF line ends
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # 3.1: lines of at most 75 octets
    cal = icalendar.Calendar.from_ical(data)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]  # 3.6: required calendar properties
    [tz] = cal.walk("VTIMEZONE")
    assert tz["TZID"] == "Europe/Berlin"
    events = cal.walk("VEVENT")
    # By hand: secondary hands over on Mondays 09:00 Berlin, noah from 26 October, then grace, wei
    assert [(str(e["SUMMARY"]), e["DTSTART"].dt, e["DTEND"].dt) for e in events] == [
        ("On call: Noah Schreiber (secondary)", datetime(2026, 11, 2, tzinfo=BERLIN), datetime(2026, 11, 2, 9, tzinfo=BERLIN)),
        ("On call: Grace Adeyemi (secondary)", datetime(2026, 11, 2, 9, tzinfo=BERLIN), datetime(2026, 11, 9, 9, tzinfo=BERLIN)),
        ("On call: Wei Jie Lim (secondary)", datetime(2026, 11, 9, 9, tzinfo=BERLIN), datetime(2026, 11, 16, 9, tzinfo=BERLIN)),
        ("On call: Noah Schreiber (secondary)", datetime(2026, 11, 16, 9, tzinfo=BERLIN), datetime(2026, 11, 23, tzinfo=BERLIN)),
    ]
    for e in events:  # 3.6.1: UID and DTSTAMP are required; the times carry the zone's TZID
        assert e["UID"] and e["DTSTAMP"].dt == datetime(2026, 12, 1, 12, tzinfo=UTC)
        assert e["DTSTART"].params["TZID"] == "Europe/Berlin" and e["DTEND"].params["TZID"] == "Europe/Berlin"
    assert len({str(e["UID"]) for e in events}) == len(events)
    # A later export over another range gives the shifts it shares the same UIDs, also the
    # one it cuts at its start (Grace's, which began at 09:00 on 2 November).
    again = icalendar.Calendar.from_ical(exported("secondary", datetime(2026, 11, 5, tzinfo=BERLIN),
                                                  datetime(2026, 11, 30, tzinfo=BERLIN)))
    assert [str(e["UID"]) for e in again.walk("VEVENT")][:3] == [str(e["UID"]) for e in events][1:]
    assert str(events[1]["UID"]) == "secondary-grace-20261102T080000Z@drillbit"


CHRISTMAS = (datetime(2026, 12, 14, tzinfo=BERLIN), datetime(2027, 1, 4, tzinfo=BERLIN))
SUMMER_TIME = (datetime(2027, 3, 1, tzinfo=BERLIN), datetime(2027, 4, 26, tzinfo=BERLIN))  # clocks go forward 28 March


@pytest.mark.parametrize("rotation, start, end, layered", [
    # primary: 8-hour turns in UTC, a weekend layer in Berlin and overrides (Christmas)
    ("primary", *CHRISTMAS, True),
    # three weekly turns are one cycle of three people, not yet shown to repeat
    ("secondary", *CHRISTMAS, False),
    ("primary", *SUMMER_TIME, True),
    ("secondary", *SUMMER_TIME, True),
], ids=["primary-christmas", "secondary-christmas", "primary-summer-time", "secondary-summer-time"])
def test_an_export_reads_back_to_the_same_on_call_answers(tmp_path, rotation, start, end, layered):
    path = tmp_path / "export.ics"
    path.write_bytes(exported(rotation, start, end))
    parsed = parse_calendar(read_calendar_text(path), str(path))
    result = import_calendar(parsed, TEAM, People(TEAM, {}), start, end)
    assert not result.unmapped and not result.gaps and not result.overlaps
    for at in hours(start, end, timedelta(minutes=30)):
        assert result.rotation.on_call(at, TEAM.timezone) == TEAM.on_call(rotation, at), at
    assert result.layered == layered
    if layered:  # the turns come back as a layer: 8 hours counted in UTC, or a week from Monday 09:00 in Berlin
        [layer] = result.rotation.layers
        [source] = [l for l in TEAM.rotations[rotation].layers if l.turn == layer.turn]
        assert sorted(layer.members) == sorted(source.members)
        if (start, end) == SUMMER_TIME:  # only a change of the clocks tells the two zones apart
            assert (layer.timezone or TEAM.timezone) == (source.timezone or TEAM.timezone)


NEW_YORK = ZoneInfo("America/New_York")
NYC_NAMES = {"Luis": "luis", "Dana": "dana", "Priya": "priya", "Marcus": "marcus", "Grace": "grace"}


def nyc_by_hand(at: datetime) -> str | None:
    """pagerduty-nyc-weekly.ics read by hand: Luis, Dana, Priya take weeks from Monday
    19 October 10:00 New York; Priya's week of 23 November is cancelled (EXDATE) and
    Marcus holds it (Thanksgiving); Grace covers 24-26 December 10:00 (Christmas)."""
    if datetime(2026, 11, 23, 10, tzinfo=NEW_YORK) <= at < datetime(2026, 11, 30, 10, tzinfo=NEW_YORK):
        return "marcus"
    if datetime(2026, 12, 24, 10, tzinfo=NEW_YORK) <= at < datetime(2026, 12, 26, 10, tzinfo=NEW_YORK):
        return "grace"
    first = datetime(2026, 10, 19, 10)  # wall clock in New York: the handoff stays at 10:00 across 1 November
    if at < first.replace(tzinfo=NEW_YORK):
        return None
    weeks = (at.astimezone(NEW_YORK).replace(tzinfo=None) - first) // timedelta(weeks=1)
    return ["luis", "dana", "priya"][weeks % 3]


NYC_RANGE = (datetime(2026, 10, 19, tzinfo=BERLIN), datetime(2027, 1, 4, tzinfo=BERLIN))


def example_team_with(pasted: str) -> Team:
    """examples/team.yaml with the import's ``rotations:`` YAML pasted under its own, as a user does."""
    team_text = (ROOT / "examples" / "team.yaml").read_text(encoding="utf-8")
    return loads(team_text.replace("rotations:\n", pasted, 1), Team, "team.yaml")


def test_a_new_york_rotation_with_an_exdate_and_holiday_covers_pastes_into_the_team_file():
    result = read("pagerduty-nyc-weekly.ics", *NYC_RANGE)
    assert result.layered
    [layer] = result.rotation.layers
    assert (layer.members, layer.timezone) == (["luis", "dana", "priya"], "America/New_York")
    # 10:00 in New York is 14:00 UTC in summer time, 15:00 UTC after 1 November
    assert result.rotation.on_call(datetime(2026, 10, 26, 13, 59, tzinfo=UTC)) == "luis"
    assert result.rotation.on_call(datetime(2026, 10, 26, 14, 0, tzinfo=UTC)) == "dana"
    assert result.rotation.on_call(datetime(2026, 11, 2, 14, 59, tzinfo=UTC)) == "dana"
    assert result.rotation.on_call(datetime(2026, 11, 2, 15, 0, tzinfo=UTC)) == "priya"
    team = example_team_with(rotations_yaml("nyc", result.rotation, TEAM.timezone))
    for at in hours(*NYC_RANGE, timedelta(minutes=90)):
        assert team.on_call("nyc", at) == nyc_by_hand(at), at
        assert calendar_says(DATA / "pagerduty-nyc-weekly.ics", at, NYC_NAMES) == nyc_by_hand(at), at


def test_its_export_in_berlin_time_reads_back_as_the_same_new_york_layer(tmp_path):
    team = example_team_with(rotations_yaml("nyc", read("pagerduty-nyc-weekly.ics", *NYC_RANGE).rotation, TEAM.timezone))
    path = tmp_path / "nyc.ics"
    path.write_bytes(export_calendar(team, resolved_shifts(team, "nyc", *NYC_RANGE), datetime(2026, 10, 1, tzinfo=UTC)))
    result = import_calendar(parse_calendar(read_calendar_text(path), str(path)), team, People(team, {}), *NYC_RANGE)
    assert result.layered
    [layer] = result.rotation.layers
    assert (layer.members, layer.timezone) == (["luis", "dana", "priya"], "America/New_York")
    assert layer.start == datetime(2026, 10, 19, 10, tzinfo=NEW_YORK)
    assert [(o.member, o.from_, o.to) for o in result.rotation.overrides] == [
        ("marcus", datetime(2026, 11, 23, 10, tzinfo=NEW_YORK), datetime(2026, 11, 30, 10, tzinfo=NEW_YORK)),
        ("grace", datetime(2026, 12, 24, 10, tzinfo=NEW_YORK), datetime(2026, 12, 26, 10, tzinfo=NEW_YORK))]


def test_a_tzid_that_is_an_abbreviation_is_read_but_turns_are_counted_in_a_place():
    # EST5EDT is in the zone database, but a layer needs a place such as America/New_York
    text = (DATA / "pagerduty-nyc-weekly.ics").read_text(encoding="utf-8").replace("America/New_York", "EST5EDT")
    result = import_calendar(parse_calendar(text, "est.ics"), TEAM, People(TEAM, {}), *NYC_RANGE)
    assert all(l.timezone != "EST5EDT" for l in result.rotation.layers)
    for at in hours(*NYC_RANGE, timedelta(minutes=30)):
        assert result.rotation.on_call(at, TEAM.timezone) == nyc_by_hand(at), at


def test_an_overrides_only_rotation_says_in_the_yaml_why_its_layer_applies_nowhere():
    result = read("pagerduty-primary.ics")
    assert not result.layered
    text = rotations_yaml("primary", result.rotation, TEAM.timezone)
    lines = text.splitlines()
    at = lines.index("    - name: nowhere")
    assert lines[at - 2].startswith("    # ") and "needs at least one layer" in lines[at - 2]
    assert yaml.safe_load(text)["rotations"]["primary"]["layers"][0]["only"] == []


def test_a_range_that_stops_before_an_exception_says_where_the_layer_goes_wrong_after_it():
    # cut before Thanksgiving: the layer would give Priya the week Marcus holds from 23 November 10:00 New York
    result = read("pagerduty-nyc-weekly.ics", datetime(2026, 10, 19, tzinfo=BERLIN), datetime(2026, 11, 23, tzinfo=BERLIN))
    assert result.layered
    assert [n for n in result.notes if n.startswith("after the imported range")] == [
        "after the imported range the layers go on and the calendar differs: from 2026-11-23T16:00+01:00 the calendar "
        "has marcus on call, the rotation priya; import a longer range (--to) or check the rotation there"]
    # read without a range (13 weeks of the endless rules), nothing differs in the 13 weeks after it
    assert not [n for n in read("pagerduty-nyc-weekly.ics").notes if n.startswith("after the imported range")]


def test_a_range_starting_in_the_hour_a_clock_change_adds_to_a_shift_finds_who_holds_it():
    # Dana's week began on 26 October 10:00 EDT and ends on 2 November 10:00 EST, 169 hours
    # later; from 09:30 EST (14:30 UTC) she still holds the pager for half an hour
    result = read("pagerduty-nyc-weekly.ics", datetime(2026, 11, 2, 14, 30, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
    assert not result.gaps
    assert result.rotation.on_call(datetime(2026, 11, 2, 14, 45, tzinfo=UTC)) == "dana"
    assert result.rotation.on_call(datetime(2026, 11, 2, 15, 0, tzinfo=UTC)) == "priya"


# ---------------------------------------------------------------- several rotations in one calendar

DECEMBER = (datetime(2026, 12, 1, tzinfo=BERLIN), datetime(2026, 12, 15, tzinfo=BERLIN))


def test_each_exported_event_names_its_rotation_in_categories():
    start, end = DECEMBER
    shifts = [s for name in TEAM.rotations for s in resolved_shifts(TEAM, name, start, end)]
    cal = icalendar.Calendar.from_ical(export_calendar(TEAM, shifts, datetime(2026, 12, 1, 12, tzinfo=UTC)))
    # RFC 5545 3.8.1.2: CATEGORIES is a list of text values; each event is in its rotation's one
    for event in cal.walk("VEVENT"):
        rotation = str(event["SUMMARY"]).rsplit("(", 1)[1].rstrip(")")
        assert event["CATEGORIES"].to_ical() == rotation.encode()


@pytest.mark.parametrize("rotation", ["primary", "secondary", "security"])
def test_a_calendar_of_every_rotation_reads_back_each_rotation_by_its_name(tmp_path, rotation):
    start, end = DECEMBER
    path = tmp_path / "oncall.ics"
    shifts = [s for name in TEAM.rotations for s in resolved_shifts(TEAM, name, start, end)]
    path.write_bytes(export_calendar(TEAM, shifts, datetime(2026, 12, 1, 12, tzinfo=UTC)))
    parsed = parse_calendar(read_calendar_text(path), str(path))
    result = import_calendar(parsed, TEAM, People(TEAM, {}), start, end, category=rotation)
    assert result.category.matched and result.category.total == len(shifts)
    assert result.category.kept == sum(s.rotation == rotation for s in shifts) == len(result.shifts)
    assert not result.overlaps and not result.unmapped
    own = TEAM.rotations[rotation]
    for at in hours(start, end, timedelta(minutes=30)):
        assert result.rotation.on_call(at, TEAM.timezone) == own.on_call(at, TEAM.timezone), at


def read_categories(category, explicit):
    parsed = parse_calendar(read_calendar_text(DATA / "opsgenie-categories.ics"), "opsgenie-categories.ics")
    return import_calendar(parsed, TEAM, People(TEAM, {}), datetime(2026, 12, 7, tzinfo=BERLIN),
                           datetime(2026, 12, 12, tzinfo=BERLIN), category=category, explicit=explicit)


def test_a_category_named_apart_from_the_rotation_keeps_its_events_and_moved_occurrences():
    result = read_categories("payments primary", explicit=True)  # CATEGORIES:Payments Primary, any case
    # By hand: Amara 7 Dec 09:00 to 10 Dec 09:00 daily, the turn of the 8th moved to 12:00 (its
    # RECURRENCE-ID has no CATEGORIES: it belongs to the event it moves); Grace (secondary) and
    # Noah (no CATEGORIES) are left out
    assert {s.member for s in result.shifts} == {"amara"} and len(result.shifts) == 3
    c = result.category
    assert (c.matched, c.kept, c.total, c.uncategorized) == (True, 3, 5, 1)
    assert c.found == ("Payments Primary", "Payments Secondary")
    assert [(g.start, g.end) for g in result.gaps] == [
        (datetime(2026, 12, 7, tzinfo=BERLIN), datetime(2026, 12, 7, 9, tzinfo=BERLIN)),
        (datetime(2026, 12, 8, 9, tzinfo=BERLIN), datetime(2026, 12, 8, 12, tzinfo=BERLIN)),
        (datetime(2026, 12, 10, 9, tzinfo=BERLIN), datetime(2026, 12, 12, tzinfo=BERLIN))]
    assert result.rotation.on_call(datetime(2026, 12, 10, 10, tzinfo=BERLIN)) is None


def test_no_event_in_the_rotations_category_reads_every_event_and_a_named_one_must_exist():
    implicit = read_categories("primary", explicit=False)
    assert not implicit.category.matched and implicit.category.uncategorized == 1
    assert len(implicit.shifts) == implicit.category.total == 5
    assert implicit.rotation.on_call(datetime(2026, 12, 10, 10, tzinfo=BERLIN)) == "noah"
    with pytest.raises(DrillbitError, match="is in category 'payments tertiary'; its categories are Payments Primary, "
                                            "Payments Secondary"):
        read_categories("payments tertiary", explicit=True)


def test_a_calendar_without_categories_reads_as_without_a_category():
    start, end = datetime(2026, 10, 12, tzinfo=BERLIN), datetime(2027, 1, 4, tzinfo=BERLIN)
    parsed = parse_calendar(read_calendar_text(DATA / "weekly-berlin.ics"), "weekly-berlin.ics")
    plain = import_calendar(parsed, TEAM, People(TEAM, {}), start, end)
    named = import_calendar(parsed, TEAM, People(TEAM, {}), start, end, category="primary")
    assert named.category is None and named.rotation == plain.rotation and named.shifts == plain.shifts
    with pytest.raises(DrillbitError, match="its events have no CATEGORIES"):
        import_calendar(parsed, TEAM, People(TEAM, {}), start, end, category="primary", explicit=True)


def test_times_that_cannot_make_shifts_are_each_positioned_at_once():
    # Hand-counted: line 9 DTEND before its DTSTART, line 16 a negative DURATION, lines 22-23 a
    # DTSTART and DTEND in the year 9999, line 31 RRULE:FREQ=SECONDLY with FREQ= at column 7.
    path = DATA / "impossible-times.ics"
    with pytest.raises(InputError) as info:
        parse_calendar(read_calendar_text(path), str(path))
    assert info.value.lines() == [
        f"{path}:9:1: DTEND: expected a time after DTSTART 20261102T090000Z, got DTEND:20261102T080000Z "
        "(event 3f1c9a2e-backwards@opsgenie.com)",
        f"{path}:16:1: DURATION: expected a time after DTSTART 20261103T090000Z, got DURATION:-PT1H "
        "(event 3f1c9a2e-negative@opsgenie.com)",
        f"{path}:22:1: DTSTART: expected a time in the years 1900 to 9000, got '99991231T230000Z' "
        "(event 3f1c9a2e-far@opsgenie.com)",
        f"{path}:23:1: DTEND: expected a time in the years 1900 to 9000, got '99991231T235900Z' "
        "(event 3f1c9a2e-far@opsgenie.com)",
        f"{path}:31:7: RRULE: expected FREQ=HOURLY or longer (a turn lasts at least 1h), got FREQ=SECONDLY "
        "(event 3f1c9a2e-tick@opsgenie.com)"]


def hourly(rule: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Handwritten//EN\r\nBEGIN:VEVENT\r\nUID:hourly\r\n"
            "DTSTAMP:20261101T000000Z\r\nDTSTART:20261102T000000Z\r\nDURATION:PT1H\r\nSUMMARY:Amara Okafor\r\n"
            f"RRULE:{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.mark.parametrize("rule", ["FREQ=MINUTELY", "FREQ=MINUTELY;INTERVAL=90"])
def test_a_rule_finer_than_hourly_is_refused_whatever_its_interval(rule):
    with pytest.raises(InputError, match=r"h\.ics:10:7: RRULE: expected FREQ=HOURLY or longer"):
        parse_calendar(hourly(rule), "h.ics")


def test_a_rule_with_more_occurrences_than_the_cap_is_refused_at_its_rrule():
    from scenarios.ical import MAX_OCCURRENCES

    parsed = parse_calendar(hourly(f"FREQ=HOURLY;COUNT={MAX_OCCURRENCES + 1}"), "h.ics")
    with pytest.raises(InputError, match=rf"h\.ics:10:1: RRULE: expected at most {MAX_OCCURRENCES} occurrences"):
        import_calendar(parsed, TEAM, People(TEAM, {}))
    # An endless rule read over a range holding more than the cap (a year and a half of hours) too.
    endless = parse_calendar(hourly("FREQ=HOURLY"), "h.ics")
    with pytest.raises(InputError, match=r"h\.ics:10:1: RRULE: expected at most"):
        import_calendar(endless, TEAM, People(TEAM, {}), datetime(2026, 11, 2, tzinfo=UTC), datetime(2028, 5, 2, tzinfo=UTC))
    # Two days of hourly turns (48) are read.
    two_days = import_calendar(parse_calendar(hourly("FREQ=HOURLY;COUNT=48"), "h.ics"), TEAM, People(TEAM, {}))
    assert len(two_days.shifts) == 48 and two_days.end == datetime(2026, 11, 4, tzinfo=UTC)


def test_a_folder_is_refused_as_not_a_regular_file(tmp_path):
    with pytest.raises(InputError, match=r"1:1: this is a folder, not a regular file; drillbit reads iCalendar"):
        read_calendar_text(tmp_path)
