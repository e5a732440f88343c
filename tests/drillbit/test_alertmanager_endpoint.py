"""The game day's Alertmanager endpoint, as Alertmanager itself uses it: payloads built
from Alertmanager's definition of its webhook message (notify/webhook/webhook.go:
``Message`` = ``template.Data`` + version, groupKey, truncatedAlerts; template/template.go:
``Data`` and ``Alert``), POSTed over 127.0.0.1 to a real receiver in front of a real
game day (its clock started as ``run`` starts it, without containers), and the
timeline events it records. Alertmanager treats a 2xx answer as delivered, retries a
5xx and gives up on a 4xx (notify/util.go, ``Retrier.Check``)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chaos.gameday import GameDay
from chaos.ledger import Ledger
from drillbit.receiver import Receiver
from scenarios.loader import load_team, loads
from scenarios.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
#: A Wednesday, 11:00 in Berlin: the example team's follow-the-sun layer (8 h turns from
#: 2026-11-02T00:00Z over kenji, amara, luis, arjun, jonas, priya) is in its 8th turn,
#: 58 h in: 7 mod 6 = 1, amara.
STARTED = datetime(2026, 11, 4, 10, 0, tzinfo=timezone.utc)
ON_CALL = "amara"
GO_ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert with no end yet
SCENARIO = """\
id: api-down-game-day
title: The shop API goes down
kind: outage
severity: P1
services: [api, db]
injects:
  - {at: 0s, fault: {kind: crash, service: api}}
live:
  targets: {api: {names: [shop-api-1]}}
  faults: [{kind: stop, target: api}]
"""
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def alert(name: str, status: str = "firing", **labels: str) -> dict:
    """One ``template.Alert`` as Alertmanager writes it."""
    return {"status": status, "labels": {"alertname": name, **labels},
            "annotations": {"summary": f"{name} on {labels.get('instance', 'api')}"},
            "startsAt": "2026-11-04T09:59:30Z",
            "endsAt": GO_ZERO_TIME if status == "firing" else "2026-11-04T10:05:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0",
            # 64 bits of the labels, the same in every process (hash() is not: bodies are
            # test ids, which every xdist worker must collect alike)
            "fingerprint": hashlib.sha256(json.dumps([name, sorted(labels.items())]).encode()).hexdigest()[:16]}


def message(*alerts: dict, truncated: int = 0, group: dict | None = None) -> dict:
    """One notification (``webhook.Message``): the group's status is firing while any
    of its alerts fires; commonLabels are the labels every alert shares."""
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    common = dict(set.intersection(*(set(a["labels"].items()) for a in alerts))) if alerts else {}
    group = group or {"alertname": alerts[0]["labels"].get("alertname", "")}
    return {"receiver": "drillbit", "status": status, "alerts": list(alerts), "groupLabels": group,
            "commonLabels": common, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
            # fields a newer Alertmanager adds (template.Data): read past, never refused
            "notification_reason": "", "routeLabels": {},
            "version": "4", "groupKey": "{}:{" + ", ".join(f'{k}="{v}"' for k, v in sorted(group.items())) + "}",
            "truncatedAlerts": truncated}


@pytest.fixture
def game(tmp_path):
    gameday = GameDay(loads(SCENARIO, Scenario), load_team(ROOT / "examples" / "team.yaml"), seed=1,
                      ledger=Ledger(tmp_path / "ledger.jsonl"), started_at=STARTED)
    gameday._record.start(time.monotonic(), STARTED)  # the drill clock, as run() starts it
    return gameday


@pytest.fixture
def receiver(game):
    with Receiver(game, port=0) as r:
        yield r


def post(receiver: Receiver, body: bytes | dict, content_type: str = "application/json") -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(receiver.url + "/alertmanager", data=data, method="POST",
                                 headers={"Content-Type": content_type, "User-Agent": "Alertmanager/0.28.1"})
    try:
        with _NO_PROXY.open(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def kinds(game: GameDay) -> list[tuple[str, str]]:
    return [(e.kind, e.subject) for e in game.timeline().events]


def test_a_firing_alert_is_fired_detected_and_pages_who_is_on_call(receiver, game):
    status, answer = post(receiver, message(alert("ApiDown", severity="P1", service="api", job="shop")))
    assert status == 200 and answer["alerts"] == 1 and answer["recorded"] >= 3
    events = game.timeline().events
    fired = next(e for e in events if e.kind == "alert_fired")
    assert (fired.actor, fired.subject, fired.data["severity"], fired.data["service"], fired.data["routed"]) == (
        "monitoring", "ApiDown", "P1", "api", True)
    detected = next(e for e in events if e.kind == "detected")
    assert detected.data["via"] == "alert" and detected.data["alert"] == "ApiDown" and detected.t == fired.t
    page = next(e for e in events if e.kind == "page_sent")
    assert page.subject == ON_CALL
    assert len(events) == answer["recorded"]


def test_without_a_service_label_the_job_names_the_service_and_the_scenario_names_the_severity(receiver, game):
    post(receiver, message(alert("DbSlow", job="db")))
    fired = next(e for e in game.timeline().events if e.kind == "alert_fired")
    assert (fired.data["service"], fired.data["severity"]) == ("db", "P1")


def test_a_repeated_notification_records_the_alert_once(receiver, game):
    firing = message(alert("ApiDown", severity="P1", service="api"))
    post(receiver, firing)
    before = kinds(game)
    status, answer = post(receiver, firing)  # repeat_interval later, Alertmanager sends the group again
    assert (status, answer) == (200, {"alerts": 1, "recorded": 0})
    assert kinds(game) == before and before.count(("alert_fired", "ApiDown")) == 1


def test_a_resolved_alert_is_recorded_once_and_only_after_it_fired(receiver, game):
    assert post(receiver, message(alert("ApiDown", "resolved", service="api")))[1]["recorded"] == 0  # never fired here
    post(receiver, message(alert("ApiDown", severity="P1", service="api")))
    status, answer = post(receiver, message(alert("ApiDown", "resolved", severity="P1", service="api")))
    assert (status, answer) == (200, {"alerts": 1, "recorded": 1})
    assert post(receiver, message(alert("ApiDown", "resolved", severity="P1", service="api")))[1]["recorded"] == 0
    assert [k for k in kinds(game) if k[0].startswith("alert_")] == [("alert_fired", "ApiDown"),
                                                                     ("alert_resolved", "ApiDown")]
    # fired again after it resolved: a new alert
    post(receiver, message(alert("ApiDown", severity="P1", service="api")))
    assert kinds(game).count(("alert_fired", "ApiDown")) == 2


def test_each_alert_of_a_group_is_its_own_by_its_labels(receiver, game):
    group = message(alert("ApiDown", severity="P1", service="api", instance="api-1:8080"),
                    alert("ApiDown", severity="P1", service="api", instance="api-2:8080"),
                    alert("ApiLatencyHigh", "resolved", severity="P2", service="api"),
                    group={"service": "api"})
    status, answer = post(receiver, group)
    assert status == 200 and answer["alerts"] == 3
    alerts = [k for k in kinds(game) if k[0].startswith("alert_")]
    assert alerts == [("alert_fired", "ApiDown"), ("alert_fired", "ApiDown")]  # the resolved one never fired here
    assert [k[0] for k in kinds(game)].count("detected") == 1


def test_a_truncated_group_records_the_alerts_it_holds_and_a_note_of_how_many_were_cut(receiver, game):
    # max_alerts: 1 in the webhook_config: Alertmanager sends one alert and counts the rest
    cut = message(alert("ApiDown", severity="P1", service="api", instance="api-1:8080"),
                  truncated=2, group={"service": "api"})
    status, answer = post(receiver, cut)
    assert (status, answer["alerts"]) == (200, 1)
    assert kinds(game).count(("alert_fired", "ApiDown")) == 1
    [note] = [e for e in game.timeline().events if e.kind == "note"]
    assert (note.actor, note.subject, note.payload.gap) == ("system", "{service=api}", "observation")
    assert "left 2 alerts of group {service=api} out" in note.payload.text and "max_alerts" in note.payload.text
    post(receiver, cut)  # the group again, as repeat_interval sends it: noted once
    assert [e.kind for e in game.timeline().events].count("note") == 1


def test_a_group_with_nothing_cut_records_no_note(receiver, game):
    post(receiver, message(alert("ApiDown", service="api"), truncated=0))
    assert ("note" not in [e.kind for e in game.timeline().events])


def test_a_body_declared_larger_than_4_mib_is_a_413_before_it_is_sent(receiver, game):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", int(receiver.url.rsplit(":", 1)[1]), timeout=5)
    conn.putrequest("POST", "/alertmanager")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(4 * 1024 * 1024 + 1))
    conn.endheaders()  # the body is never sent: the answer comes from the length alone
    response = conn.getresponse()
    assert response.status == 413 and "larger than 4 MiB" in json.loads(response.read())["error"]
    conn.close()
    assert game.timeline().events == ()


def test_a_chunked_body_past_4_mib_is_a_413(receiver, game):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", int(receiver.url.rsplit(":", 1)[1]), timeout=5)
    body = b'{"version": "4", "alerts": [' + b" " * (4 * 1024 * 1024)  # no Content-Length: counted as it arrives
    conn.request("POST", "/alertmanager", body=iter([body]), headers={"Content-Type": "application/json"},
                 encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    assert game.timeline().events == ()


@pytest.mark.parametrize("body, error", [
    (b'{"version": "4", "status": "firing", "alerts": [', "the webhook body is not JSON: 1:"),
    (b"", "the webhook body is not JSON: 1:1: Expecting value"),
    (json.dumps({**message(alert("ApiDown")), "version": "3"}).encode(), 'has version "3"; drillbit reads'),
    (json.dumps(message({**alert("ApiDown"), "labels": {"severity": "P1"}})).encode(),
     "alerts[0].labels.alertname: missing"),
    (json.dumps(message({**alert("ApiDown"), "status": "pending"})).encode(), "alerts[0].status: "),
])
def test_a_body_that_is_no_webhook_is_a_400_saying_why_and_records_nothing(receiver, game, body, error):
    status, answer = post(receiver, body)
    assert status == 400 and error in answer["error"]
    assert game.timeline().events == ()


def test_a_body_sent_as_another_type_is_a_415(receiver, game):
    status, answer = post(receiver, message(alert("ApiDown")), content_type="text/plain")
    assert status == 415 and "Content-Type: application/json" in answer["error"]
    assert game.timeline().events == ()


def test_another_method_is_a_405(receiver, game):
    try:
        _NO_PROXY.open(receiver.url + "/alertmanager", timeout=5)
        raise AssertionError("a GET was answered")
    except urllib.error.HTTPError as exc:
        assert exc.code == 405
    assert game.timeline().events == ()


def test_notifications_from_several_groups_at_once_each_fire_once(receiver, game):
    names = [f"Alert{i}" for i in range(8)]
    threads = [threading.Thread(target=post, args=(receiver, message(alert(n, service="api")))) for n in names * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    fired = sorted(s for k, s in kinds(game) if k == "alert_fired")
    assert fired == names
