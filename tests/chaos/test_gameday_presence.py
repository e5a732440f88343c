"""A game day pages nobody who is on the incident already, as the simulator does: the
expectations are the team file's rotation and roles worked out by hand."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from chaos.gameday import Alert, GameDayError, Mark
from chaos.gameday_people import People
from chaos.gameday_record import Record
from scenarios.loader import load_team, loads
from scenarios.scenario import Scenario

SCENARIO = """\
id: t-presence
title: The shop API goes down
kind: outage
severity: P1
services: [api]
injects:
  - at: 0s
    fault: {kind: crash, service: api}
"""
#: Wednesday 4 November 2026, 10:00 UTC: the follow-the-sun layer (8h turns from Monday
#: 00:00 UTC, kenji amara luis arjun jonas priya) is in turn 58h // 8h = 7, 7 % 6 = 1:
#: amara. P1's also_page is role:incident-commander: amara, dana and arjun.
WEDNESDAY = datetime(2026, 11, 4, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def team(example_team_path):
    return load_team(example_team_path)


def _people(team) -> People:
    record = Record(threading.RLock())
    record.start(0.0, WEDNESDAY)
    return People(loads(SCENARIO, Scenario), team, record)


def test_someone_engaged_before_the_alert_is_not_paged_and_meets_the_level_that_names_them(team):
    people = _people(team)
    people.mark(Mark("engaged", by="amara"), 1.0)
    events = people.alert(Alert("ApiDown", True, severity="P1", service="api"), 5.0)
    assert [(e.kind, e.subject, e.data.get("purpose")) for e in events] == [
        ("alert_fired", "ApiDown", None), ("detected", "ApiDown", None),
        # level 1 names amara, who is on it: she acknowledges then, without a page; and
        # role:incident-commander stands for her too, so it is met: nobody is paged for it
        ("acknowledged", "amara", "incident"),
    ]
    ack = events[2]
    assert ack.data["present"] is True and ack.data["page"] == 0 and ack.data["policy"] == "P1"
    assert not [e for e in people.record.events if e.kind == "page_sent"]
    with pytest.raises(GameDayError, match="already acknowledged by amara"):
        people.mark(Mark("ack", by="amara"), 6.0)
    assert people.closing_notes(9.0) == []


def test_acknowledging_the_incident_answers_the_same_persons_severity_page(team):
    people = _people(team)
    events = people.alert(Alert("ApiDown", True, severity="P1", service="api"), 5.0)
    sent = [(e.data["page"], e.subject, e.data["purpose"]) for e in events if e.kind == "page_sent"]
    assert sent == [(1, "amara", "incident"), (2, "amara", "severity"), (3, "dana", "severity"),
                    (4, "arjun", "severity")]
    acks = people.mark(Mark("ack", by="amara"), 8.0)
    assert [(e.data["page"], e.data["purpose"], e.data["page_t"]) for e in acks] == [
        (1, "incident", 5.0), (2, "severity", 5.0)]
