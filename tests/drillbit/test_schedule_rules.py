"""Choosing from a pool (least-recent, weakest, open-actions) and what stops a drill
(blackouts, hours, an away on-call, an open incident, a tired on-call), against a
hand-built incident log and a hand-written team."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from drillbit.schedule import Facts, choose, skip_reason
from incidents import Incident, add_incident
from incidents.schedule import LastDrill
from scenarios import Team, Workspace, loads

from schedule_fixtures import TEAM

UTC = timezone.utc
POOL = ["config-push-global-outage", "db-primary-data-deleted", "ci-session-token-theft"]


def entry(**fields: object):  # noqa: ANN202
    base = {"id": "e", "cron": "0 10 * * *", "pool": POOL}
    ws = Workspace.model_validate({"workspace": "w", "schedule": [{**base, **fields}]})
    return ws.schedule[0]


def last(run_id: int, day: int, missed: int) -> LastDrill:
    return LastDrill(run_id, datetime(2026, 12, day, tzinfo=UTC), "simulated", missed, None)


AT = datetime(2027, 1, 12, 10, tzinfo=UTC)


def test_least_recent_takes_a_never_drilled_scenario_then_the_oldest():
    facts = Facts({"config-push-global-outage": last(1, 20, 0), "db-primary-data-deleted": last(2, 1, 0)}, {})
    c = choose(entry(rule="least-recent"), facts, AT, "web-sre")
    assert c.scenario == "ci-session-token-theft" and "never drilled" in c.why
    facts.last["ci-session-token-theft"] = last(3, 30, 0)
    c = choose(entry(rule="least-recent"), facts, AT, "web-sre")
    assert c.scenario == "db-primary-data-deleted"
    assert "last drilled 2026-12-01 (42 days ago)" in c.why


def test_weakest_takes_the_scenario_whose_last_scorecard_missed_most():
    facts = Facts({s: last(i, 1, m) for i, (s, m) in enumerate(zip(POOL, [1, 3, 0]), 1)}, {})
    c = choose(entry(rule="weakest"), facts, AT, "web-sre")
    assert c.scenario == "db-primary-data-deleted" and "missed 3 objectives" in c.why


def test_open_actions_takes_the_scenario_with_most_open_items():
    facts = Facts({}, {"ci-session-token-theft": ["rotate tokens", "alert on new ASN"], "config-push-global-outage": ["x"]})
    c = choose(entry(rule="open-actions"), facts, AT, "web-sre")
    assert c.scenario == "ci-session-token-theft"
    assert c.why.startswith("'ci-session-token-theft' has 2 open action items (oldest: rotate tokens)")


@pytest.fixture
def store(tmp_path):  # noqa: ANN001, ANN201
    from incidents import open_store

    log, _ = open_store(f"sqlite:///{tmp_path / 'incidents.db'}")
    yield log
    log.close()


@pytest.fixture
def team() -> Team:
    return loads(TEAM, Team)


def test_blackouts_and_hours_stop_every_mode(team, store):
    e = entry(scenario="x", pool=None, blackouts=[{"from": "2027-01-11", "to": "2027-01-13", "reason": "freeze"}])
    assert skip_reason(e, team, AT, store) == "blackout 2027-01-11 to 2027-01-13 (freeze)"
    e = entry(scenario="x", pool=None, hours="Mon-Thu 11:00-16:00")
    assert "Tue 10:00 UTC is outside the hours it may start in (Mon-Thu 11:00-16:00)" == skip_reason(e, team, AT, store)
    assert skip_reason(entry(scenario="x", pool=None), team, AT, store) is None


def test_an_away_primary_stops_a_game_day_but_not_a_simulation(team, store):
    tuesday = datetime(2027, 1, 5, 10, tzinfo=UTC)  # alice's week; she is away on the 5th and 6th
    why = skip_reason(entry(scenario="x", pool=None, mode="gameday"), team, tuesday, store)
    assert why == "the primary on-call alice is away 2027-01-05 to 2027-01-06 (dentist and a day off)"
    assert skip_reason(entry(scenario="x", pool=None, mode="simulate"), team, tuesday, store) is None


def test_an_open_real_incident_stops_a_game_day(team, store):
    add_incident(store, Incident(title="checkout 500s", kind="real", started=AT - timedelta(hours=1),
                                 source="pd", external_id="9"))
    why = skip_reason(entry(scenario="x", pool=None, mode="gameday"), team, AT, store)
    assert why is not None and why.startswith("a real incident is open: #1 'checkout 500s'")
    no_guard = entry(scenario="x", pool=None, mode="gameday", guards={"open_incident": False})
    assert skip_reason(no_guard, team, AT, store) is None


def test_a_primary_paged_too_often_in_the_last_day_stops_a_game_day(team, store):
    # bob holds the pager from Monday 2027-01-11 00:00Z. Three pages in the 24h before
    # Tuesday 10:00Z; one more, earlier, falls outside the 24 hours.
    for n, hours_before in enumerate([22, 16, 8, 27], 1):
        t = AT - timedelta(hours=hours_before)
        add_incident(store, Incident(title=f"page {n}", kind="real", started=t, paged=t, resolved=t + timedelta(minutes=20),
                                     source="pd", external_id=str(n)))
    two = entry(scenario="x", pool=None, mode="gameday", guards={"max_pages": 2})
    assert skip_reason(two, team, AT, store) == ("the primary on-call bob had 3 real pages in the 24h before, more than "
                                                 "guards.max_pages (2)")
    three = entry(scenario="x", pool=None, mode="gameday", guards={"max_pages": 3})
    assert skip_reason(three, team, AT, store) is None
    off = entry(scenario="x", pool=None, mode="gameday", guards={"max_pages": "off"})
    assert skip_reason(off, team, AT, store) is None


WEEKLY = """\
- id: weekly
  cron: "0 10 * * Mon"
  timezone: UTC
  pool: [config-push-global-outage, db-primary-data-deleted, ci-session-token-theft]
"""


def test_next_rotates_a_pool_by_the_log_and_by_what_it_plans(cli, monkeypatch, tmp_path):
    import json

    from sqlalchemy import insert

    from incidents import open_store
    from incidents import schema as s
    from schedule_fixtures import workspace

    ws = workspace(tmp_path / "ws", WEEKLY)
    url = f"sqlite:///{ws / 'incidents.db'}"
    log, _ = open_store(url)

    def fill(conn):  # noqa: ANN001, ANN202
        for rid, (sid, day) in enumerate([("config-push-global-outage", 1), ("db-primary-data-deleted", 2)], 1):
            conn.execute(insert(s.drill_runs).values(uid=f"u{rid}", scenario=sid, services="x", team="web-sre",
                                                     mode="simulated", runs=1, summary="{}",
                                                     recorded_at=datetime(2026, 12, day, tzinfo=UTC).timestamp()))
        # another team's drill does not count for this one
        conn.execute(insert(s.drill_runs).values(uid="u9", scenario="ci-session-token-theft", services="x",
                                                 team="other", mode="simulated", runs=1, summary="{}",
                                                 recorded_at=datetime(2026, 12, 30, tzinfo=UTC).timestamp()))
    log.write(fill)
    log.close()
    monkeypatch.chdir(ws)
    code, out, err = cli("schedule", "next", "--count", "4", "--now", "2027-01-01T00:00:00+00:00", "--json", "--db", url)
    assert code == 0, err
    plans = json.loads(out)["next"]
    assert [(p["due"], p["scenario"]) for p in plans] == [
        ("2027-01-04T10:00:00+00:00", "ci-session-token-theft"),   # never drilled by web-sre
        ("2027-01-11T10:00:00+00:00", "config-push-global-outage"),  # 2026-12-01, the older of the two
        ("2027-01-18T10:00:00+00:00", "db-primary-data-deleted"),
        ("2027-01-25T10:00:00+00:00", "ci-session-token-theft"),   # planned for the 4th, the longest ago by then
    ]
    assert plans[0]["why"].startswith("'ci-session-token-theft' never drilled by team 'web-sre'")
    assert "last drilled 2026-12-01 (41 days ago)" in plans[1]["why"]
    assert all(p["rule"] == "least-recent" and p["skip"] is None for p in plans)


def test_list_finds_a_leap_day_drill_four_years_ahead(cli, monkeypatch, tmp_path):
    import json

    from schedule_fixtures import workspace

    ws = workspace(tmp_path / "ws", '- id: leap\n  cron: "0 10 29 2 *"\n  scenario: config-push-global-outage\n')
    monkeypatch.chdir(ws)
    code, out, err = cli("schedule", "list", "--now", "2028-03-01T00:00:00+00:00", "--json",
                         "--db", f"sqlite:///{ws / 'incidents.db'}")
    assert code == 0, err
    # 2028 is a leap year; 2029-2031 are not; 2032 is.
    assert json.loads(out)["entries"][0]["next_due"] == "2032-02-29T10:00:00+00:00"


def test_next_keeps_one_teams_plans_out_of_another_teams_choices(cli, monkeypatch, tmp_path):
    import json

    from schedule_fixtures import TEAM, workspace

    pool = "[config-push-global-outage, db-primary-data-deleted]"
    ws = workspace(tmp_path / "ws", f"""\
        - id: web
          cron: "0 10 * * Mon"
          timezone: UTC
          pool: {pool}
        - id: db
          cron: "0 11 * * Mon"
          timezone: UTC
          team: db-team.yaml
          pool: {pool}
        """)
    (ws / "db-team.yaml").write_text(TEAM.replace("team: web-sre", "team: db-sre"))
    monkeypatch.chdir(ws)
    code, out, err = cli("schedule", "next", "--count", "3", "--now", "2027-01-01T00:00:00+00:00", "--json",
                         "--db", f"sqlite:///{ws / 'incidents.db'}")
    assert code == 0, err
    plans = [(p["entry"], p["due"], p["scenario"]) for p in json.loads(out)["next"]]
    assert [p[:2] for p in plans] == [("web", "2027-01-04T10:00:00+00:00"), ("db", "2027-01-04T11:00:00+00:00"),
                                      ("web", "2027-01-11T10:00:00+00:00")]
    # Neither team has drilled either scenario: db-sre chooses just as web-sre did, unmoved by
    # web-sre's plan an hour before; web-sre's own next plan moves on to the other scenario.
    assert plans[1][2] == plans[0][2]
    assert plans[2][2] != plans[0][2]
