"""simulate --explain --tz: the clock of the explained run is the zone asked for."""

from __future__ import annotations

START = "2026-11-25T12:00:00+00:00"


def test_explain_uses_the_team_zone_and_names_it(cli):
    _, out, _ = cli("simulate", "config-push-global-outage", "--seed", "1", "--start", START, "--explain", "--no-log")
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("clock: "))
    assert lines[header] == "clock: Europe/Berlin (the team's zone); +offset = time since the drill started"
    # 12:00 UTC on 25 November is 13:00 in Berlin (CET, UTC+1)
    assert lines[header + 1] == "-- Wed 25 Nov 2026 --"
    assert lines[header + 2].startswith("13:00 +0s Drill starts")


def test_explain_on_a_given_zone(cli):
    _, out, _ = cli("simulate", "config-push-global-outage", "--seed", "1", "--start", START, "--explain", "--no-log",
                    "--tz", "America/New_York")
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("clock: "))
    assert lines[header] == "clock: America/New_York; +offset = time since the drill started"
    assert lines[header + 2].startswith("07:00 +0s Drill starts")  # EST, UTC-5


def test_an_unknown_zone_is_refused_with_a_suggestion(cli):
    code, _, err = cli("simulate", "config-push-global-outage", "--explain", "--no-log", "--tz", "Europe/Berln")
    assert code == 2 and "did you mean 'Europe/Berlin'?" in err


def test_a_zone_without_explain_is_refused(cli):
    code, _, err = cli("simulate", "config-push-global-outage", "--no-log", "--tz", "UTC")
    assert code == 2 and "--tz sets the clock of --explain" in err
