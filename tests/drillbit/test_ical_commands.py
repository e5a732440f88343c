"""`drillbit import ical` and `drillbit export ical` as a user runs them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import yaml

from scenarios import Rotation, load_team

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "ical"
TEAM_PATH = str(ROOT / "examples" / "team.yaml")
BERLIN = ZoneInfo("Europe/Berlin")


def test_import_prints_rotation_yaml_and_reports_on_stderr(cli):
    code, out, err = cli("import", "ical", str(DATA / "weekly-berlin.ics"), "--rotation", "primary", "--team", TEAM_PATH,
                         "--from", "2026-10-12", "--to", "2027-01-04")
    assert code == 0, err
    rotation = Rotation.model_validate(yaml.safe_load(out)["rotations"]["primary"])
    assert rotation.layers[0].members == ["amara", "jonas", "sofia"]
    assert "rotation primary: 1 layer (calendar turns: amara, jonas, sofia) and 2 overrides" in err
    # before the first turn at 09:00 on 12 October nobody is on call
    assert "gap: 2026-10-12T00:00+02:00 to 2026-10-12T09:00+02:00 (nobody in the calendar)" in err
    assert "overlap: 2026-11-13T09:00+01:00 to 2026-11-16T09:00+01:00: noah, sofia; on call: sofia" in err


def test_import_names_the_unmapped_and_how_to_map_them(cli):
    code, out, err = cli("import", "ical", str(DATA / "pagerduty-primary.ics"), "--rotation", "primary", "--team", TEAM_PATH)
    assert code == 0
    assert (f"unmapped: bob.tanaka@payments.example.com: 1 shift, 24 h ({DATA / 'pagerduty-primary.ics'}:31:1); "
            "add --map 'bob.tanaka@payments.example.com=MEMBER-ID'") in err
    assert "gap: 2026-12-04T09:00+01:00 to 2026-12-06T09:00+01:00 (only unmapped: bob.tanaka@payments.example.com)" in err


def test_import_json_and_out(cli, tmp_path):
    out_file = tmp_path / "rotation.yaml"
    code, out, err = cli("import", "ical", str(DATA / "pagerduty-primary.ics"), "--rotation", "primary", "--team", TEAM_PATH,
                         "--map", "bob.tanaka@payments.example.com=noah", "--out", str(out_file), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["rotation"] == "primary" and doc["unmapped"] == [] and not doc["layered"]
    assert doc["gaps"] == [{"from": "2026-12-05T08:00:00+00:00", "to": "2026-12-06T08:00:00+00:00", "unmapped": []}]
    assert doc["overlaps"][0]["people"] == ["amara", "jonas"] and doc["overlaps"][0]["on_call"] == "jonas"
    assert yaml.safe_load(out_file.read_text(encoding="utf-8"))["rotations"] == doc["rotations"]
    assert f"wrote {out_file}" in err


def test_import_refuses_a_map_to_someone_not_in_the_team(cli):
    code, _, err = cli("import", "ical", str(DATA / "pagerduty-primary.ics"), "--rotation", "primary", "--team", TEAM_PATH,
                       "--map", "bob.tanaka@payments.example.com=bobby")
    assert code == 2
    assert "'bobby' is not a member of team payments-sre" in err


def test_a_malformed_calendar_is_a_positioned_message_and_exit_2(cli):
    path = DATA / "unknown-tzid.ics"
    code, out, err = cli("import", "ical", str(path), "--rotation", "primary", "--team", TEAM_PATH)
    assert code == 2 and out == ""
    assert err.startswith(f"{path}:9:9: DTSTART: event shift@example.com: unknown time zone TZID=Europe/Berlinn")
    assert "Traceback" not in err


def test_export_writes_a_calendar_and_the_import_reads_it_back(cli, tmp_path):
    ics = tmp_path / "primary.ics"
    code, out, err = cli("export", "ical", "--team", TEAM_PATH, "--rotation", "primary", "--from", "2026-12-21",
                         "--to", "2026-12-28", "--out", str(ics), "--json")
    assert code == 0, err
    shifts = json.loads(out)["shifts"]
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    assert len(cal.walk("VEVENT")) == len(shifts) > 0
    code, out, err = cli("import", "ical", str(ics), "--rotation", "primary", "--team", TEAM_PATH,
                         "--from", "2026-12-21", "--to", "2026-12-28")
    assert code == 0, err
    read_back = Rotation.model_validate(yaml.safe_load(out)["rotations"]["primary"])
    team = load_team(TEAM_PATH)
    at = datetime(2026, 12, 21, tzinfo=BERLIN)
    while at < datetime(2026, 12, 28, tzinfo=BERLIN):
        assert read_back.on_call(at, team.timezone) == team.on_call("primary", at), at
        at += timedelta(minutes=30)


def test_export_names_an_unknown_rotation(cli):
    code, _, err = cli("export", "ical", "--team", TEAM_PATH, "--rotation", "primray", "--from", "2026-12-21",
                       "--to", "2026-12-28")
    assert code == 2 and "did you mean 'primary'?" in err


def test_the_import_and_export_groups_list_each_command_with_its_own_short_help():
    import click

    from drillbit.interchange_commands import export_group, import_group

    for group in (import_group, export_group):
        for name, (_, sentence) in group.lazy.items():
            command = group.get_command(click.Context(group), name)
            assert command.name == name
            assert sentence == command.get_short_help_str(limit=10_000)


def test_export_with_now_stamps_every_event_with_it_and_repeats_byte_for_byte(cli, tmp_path):
    files = [tmp_path / "a.ics", tmp_path / "b.ics"]
    for path in files:
        code, _, err = cli("export", "ical", "--team", TEAM_PATH, "--from", "2026-12-21", "--to", "2026-12-28",
                           "--now", "2026-12-01T12:00:00+01:00", "--out", str(path))
        assert code == 0, err
    assert files[0].read_bytes() == files[1].read_bytes()
    events = icalendar.Calendar.from_ical(files[0].read_bytes()).walk("VEVENT")
    assert events and {e["DTSTAMP"].to_ical() for e in events} == {b"20261201T110000Z"}  # RFC 5545 3.8.7.2: UTC


def test_a_calendar_of_every_rotation_imports_each_rotation_by_its_name(cli, tmp_path):
    ics = tmp_path / "oncall.ics"
    code, _, err = cli("export", "ical", "--team", TEAM_PATH, "--from", "2026-12-01", "--to", "2026-12-15",
                       "--out", str(ics))
    assert code == 0, err
    team = load_team(TEAM_PATH)
    for name in ("primary", "secondary", "security"):
        code, out, err = cli("import", "ical", str(ics), "--rotation", name, "--team", TEAM_PATH,
                             "--from", "2026-12-01", "--to", "2026-12-15")
        assert code == 0, err
        assert f"shifts: those in category {name}" in err and "overlap:" not in err
        read_back = Rotation.model_validate(yaml.safe_load(out)["rotations"][name])
        at = datetime(2026, 12, 1, tzinfo=BERLIN)
        while at < datetime(2026, 12, 15, tzinfo=BERLIN):
            assert read_back.on_call(at, team.timezone) == team.rotations[name].on_call(at, team.timezone), (name, at)
            at += timedelta(minutes=30)


def test_category_picks_a_category_other_than_the_rotations_name(cli):
    path = DATA / "opsgenie-categories.ics"
    code, out, err = cli("import", "ical", str(path), "--rotation", "primary", "--team", TEAM_PATH, "--from", "2026-12-07",
                         "--to", "2026-12-12", "--category", "Payments Primary", "--json")
    assert code == 0, err
    assert json.loads(out)["category"] == {"name": "Payments Primary", "matched": True, "kept": 3, "total": 5,
                                           "uncategorized": 1, "found": ["Payments Primary", "Payments Secondary"]}
    assert "kept 3 of 5 shifts: those in category Payments Primary" in err
    assert "note: left out 1 shift without CATEGORIES, as the calendar's other events have categories" in err
    # without --category no event is in category primary: every event is read, and the reader told why
    code, out, err = cli("import", "ical", str(path), "--rotation", "primary", "--team", TEAM_PATH, "--from", "2026-12-07",
                         "--to", "2026-12-12")
    assert code == 0, err
    assert ("note: no event is in category primary (the calendar's categories: Payments Primary, Payments Secondary); "
            "read all 5 shifts; --category NAME reads one category only") in err
    assert "note: read 1 shift without CATEGORIES with them, as no category matched" in err
    code, out, err = cli("import", "ical", str(path), "--rotation", "primary", "--team", TEAM_PATH, "--category", "Primary")
    assert code == 2 and out == ""
    assert err == (f"error: no event of {path} is in category 'Primary'; its categories are Payments Primary, "
                   "Payments Secondary\n")


def test_a_calendar_without_categories_reports_none(cli):
    code, out, err = cli("import", "ical", str(DATA / "pagerduty-primary.ics"), "--rotation", "primary", "--team",
                         TEAM_PATH, "--json")
    assert code == 0, err
    assert json.loads(out)["category"] is None and "categor" not in err


KEYS = ["version", "file", "problems", "notes", "out", "content"]


def test_import_json_without_out_carries_the_yaml_and_notes_are_problem_shaped(cli):
    path = str(DATA / "weekly-berlin.ics")
    code, out, err = cli("import", "ical", path, "--rotation", "primary", "--team", TEAM_PATH, "--json")
    assert code == 0, err
    doc = json.loads(out)  # the one JSON object is all of stdout
    assert set(KEYS) <= set(doc) and doc["version"] == 1 and doc["file"] == path and doc["out"] is None
    assert yaml.safe_load(doc["content"])["rotations"] == doc["rotations"] and doc["problems"] == []
    # weekly-berlin.ics's turns end (UNTIL=20270301T080000Z): a note on the calendar as a whole, so without a position
    assert doc["notes"] and all(set(n) == {"file", "line", "col", "path", "message"} for n in doc["notes"])
    assert {"file": path, "line": None, "col": None, "path": ""}.items() <= doc["notes"][0].items()
    assert "(COUNT or UNTIL)" in doc["notes"][0]["message"]


def test_export_json_without_out_carries_the_calendar_and_with_out_names_the_file(cli, tmp_path):
    args = ("export", "ical", "--team", TEAM_PATH, "--rotation", "primary", "--from", "2026-12-21", "--to", "2026-12-28",
            "--now", "2026-12-01T00:00:00Z", "--json")
    code, out, err = cli(*args)
    assert code == 0, err
    doc = json.loads(out)
    assert set(KEYS) <= set(doc) and doc["file"] == TEAM_PATH and doc["out"] is None and doc["problems"] == []
    events = icalendar.Calendar.from_ical(doc["content"]).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [s["uid"] for s in doc["shifts"]] and events
    ics = tmp_path / "primary.ics"
    code, out, err = cli(*args, "--out", str(ics))
    assert code == 0, err
    written = json.loads(out)
    assert written["out"] == str(ics) and written["content"] is None and ics.read_bytes().decode() == doc["content"]


def test_a_date_past_the_year_9000_is_bad_usage_not_a_traceback(cli):
    code, _, err = cli("import", "ical", str(DATA / "weekly-berlin.ics"), "--rotation", "primary", "--team", TEAM_PATH,
                       "--from", "9999-12-30")
    assert code == 2 and "expected a date in the years 1900 to 9000, got 9999-12-30" in err
