"""The schedule section of drillbit.yaml: cron due instants against hand-computed
ones (DST changes included, following Debian cron), and positioned errors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from scenarios import InputError, Workspace, json_schema, loads
from scenarios.schedule import due_instants

UTC = timezone.utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def dues(cron: str, tz: str, after: datetime, until: datetime) -> list[datetime]:
    return [d.astimezone(UTC) for d in due_instants(cron, tz, after, until)]


def test_weekday_mornings_keep_local_time_across_the_autumn_change_in_berlin():
    # CEST (UTC+2) until Sunday 2026-10-25 03:00, then CET (UTC+1): 09:00 local is
    # 07:00Z on Friday the 23rd and 08:00Z on Monday the 26th.
    assert dues("0 9 * * Mon-Fri", "Europe/Berlin", utc(2026, 10, 23), utc(2026, 10, 27)) == [
        utc(2026, 10, 23, 7), utc(2026, 10, 26, 8)]


def test_a_time_in_the_skipped_spring_hour_runs_once_right_after_the_jump():
    # Berlin skips 02:00-03:00 on 2026-03-29: 02:30 does not exist that day, so (like
    # Debian cron) it runs at 03:00 CEST = 01:00Z; the days around it at 02:30 local.
    assert dues("30 2 * * *", "Europe/Berlin", utc(2026, 3, 28), utc(2026, 3, 31)) == [
        utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]


def test_a_time_in_the_repeated_autumn_hour_runs_once_in_new_york():
    # 01:30 happens twice on 2026-11-01 in New York (EDT, then EST): once, the first.
    assert dues("30 1 * * *", "America/New_York", utc(2026, 10, 31, 12), utc(2026, 11, 2, 12)) == [
        utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]


def test_new_york_tuesdays_move_an_hour_in_utc_in_march():
    # DST starts Sunday 2026-03-08: 10:00 EST = 15:00Z, then 10:00 EDT = 14:00Z.
    assert dues("0 10 * * Tue", "America/New_York", utc(2026, 3, 1), utc(2026, 3, 11)) == [
        utc(2026, 3, 3, 15), utc(2026, 3, 10, 14)]


def test_the_range_excludes_its_start_and_includes_its_end():
    assert dues("0 10 * * *", "UTC", utc(2027, 1, 1, 10), utc(2027, 1, 3, 10)) == [utc(2027, 1, 2, 10), utc(2027, 1, 3, 10)]


def test_first_thursday_of_the_month():
    # December 2026 starts on a Tuesday; its first Thursday is the 3rd, January's the 7th.
    assert dues("0 14 * * Thu#1", "UTC", utc(2026, 12, 1), utc(2027, 1, 31)) == [utc(2026, 12, 3, 14), utc(2027, 1, 7, 14)]


GOOD = """\
workspace: demo
schedule:
  - id: weekly
    cron: "0 10 * * Tue"
    timezone: Europe/Berlin
    pool: [config-push-global-outage, db-primary-data-deleted]
    rule: weakest
    blackouts:
      - {from: 2026-12-21, to: 2027-01-03, reason: change freeze}
"""


def test_a_good_schedule_loads():
    ws = loads(GOOD, Workspace, "drillbit.yaml")
    (entry,) = ws.schedule
    assert (entry.id, entry.mode, entry.rule, entry.catch_up, entry.choices) == (
        "weekly", "simulate", "weakest", "run-once", ["config-push-global-outage", "db-primary-data-deleted"])
    assert entry.blackouts[0].covers(utc(2026, 12, 24, 12), "Europe/Berlin")
    assert not entry.blackouts[0].covers(utc(2027, 1, 4, 12), "Europe/Berlin")


BAD = """\
workspace: demo
schedule:
  - id: weekly
    cron: "61 10 * * Tue"
    timezone: Europe/Bern
    scenario: config-push-global-outage
    pool: [db-primary-data-deleted]
  - id: monthly
    cron: "0 10 * *"
    mode: live
    scenario: x
    catchup: all
"""


def test_every_problem_of_a_bad_schedule_is_reported_at_its_place():
    with pytest.raises(InputError) as info:
        loads(BAD, Workspace, "drillbit.yaml")
    lines = info.value.lines()
    assert any(line.startswith("drillbit.yaml:4:11: schedule[0].cron: expected a cron expression") and "'61 10 * * Tue'" in line
               for line in lines), lines
    assert any(line.startswith("drillbit.yaml:5:15: schedule[0].timezone: expected an IANA time zone") for line in lines), lines
    assert any(line.startswith("drillbit.yaml:9:11: schedule[1].cron: expected a cron expression of five fields") for line in lines), lines
    assert any(line.startswith("drillbit.yaml:10:11: schedule[1].mode: expected one of 'simulate', 'gameday' or 'tabletop'")
               for line in lines), lines
    assert any(line.startswith("drillbit.yaml:12:5: schedule[1].catchup:") for line in lines), lines


def test_scenario_and_pool_together_and_twice_the_same_id_are_refused():
    text = GOOD + "  - id: weekly\n    cron: '0 9 * * *'\n    scenario: a\n    pool: [b]\n"
    with pytest.raises(InputError) as info:
        loads(text, Workspace, "drillbit.yaml")
    assert any(line.startswith("drillbit.yaml:13:11: schedule[1].pool: expected 'scenario' (one scenario) or 'pool' "
                               "(a list to choose from), not both") for line in info.value.lines()), info.value.lines()
    with pytest.raises(InputError) as info:
        loads(GOOD + "  - id: neither\n    cron: '0 9 * * *'\n", Workspace, "drillbit.yaml")
    assert any(line.startswith("drillbit.yaml:10:5: schedule[1]: expected 'scenario' (one scenario) or 'pool'")
               for line in info.value.lines()), info.value.lines()
    twice = GOOD + "  - id: weekly\n    cron: '0 9 * * *'\n    scenario: a\n"
    with pytest.raises(InputError) as info:
        loads(twice, Workspace, "drillbit.yaml")
    assert any("expected each entry's id once, got 'weekly' twice" in line for line in info.value.lines())


def test_the_workspace_schema_describes_every_schedule_field():
    schema = json_schema("workspace")
    assert "schedule" in schema["properties"]
    entry = schema["$defs"]["Entry"]
    missing = [name for name, prop in entry["properties"].items() if not prop.get("description")]
    assert missing == []
    assert set(entry["properties"]["mode"]["enum"]) == {"simulate", "gameday", "tabletop"}
