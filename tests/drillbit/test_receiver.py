"""The game day's receiver: Alertmanager webhooks and marks reach the game day, on
loopback only. The routes are driven through starlette's TestClient and once through
a real uvicorn on a free port with urllib; the game day is the fake of conftest.py
(the runner is written elsewhere), which records what reached it."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
import warnings

import pytest

from chaos.gameday import Alert, FaultState, Mark
from chaos.probes import ProbeResult
from drillbit.receiver import Receiver, ReceiverError, build_app

with warnings.catch_warnings():
    # starlette >= 1.x warns that its TestClient's httpx will be replaced; not ours to fix
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# Written from Alertmanager's webhook message (notify/webhook/webhook.go, template/template.go).
WEBHOOK = {
    "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "receiver": "drillbit", "status": "firing",
    "externalURL": "http://alertmanager:9093", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
    "alerts": [
        {"status": "firing", "labels": {"alertname": "ApiDown", "severity": "P1", "service": "api", "job": "web"},
         "annotations": {}, "startsAt": "2026-12-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "", "fingerprint": "1"},
        {"status": "resolved", "labels": {"alertname": "DbSlow", "job": "db"}, "annotations": {},
         "startsAt": "2026-12-01T09:00:00Z", "endsAt": "2026-12-01T10:00:00Z", "generatorURL": "", "fingerprint": "2"},
    ],
}


@pytest.fixture
def client(gameday):
    return TestClient(build_app(gameday, TOKEN), base_url="http://127.0.0.1:9095")


def test_each_alert_of_a_webhook_reaches_the_game_day(client, gameday):
    r = client.post("/alertmanager", json=WEBHOOK)
    assert r.status_code == 200
    assert r.json() == {"alerts": 2, "recorded": 2}  # the fake records one event per alert
    assert gameday.alerts == [
        Alert(name="ApiDown", firing=True, severity="P1", service="api", labels=WEBHOOK["alerts"][0]["labels"]),
        # no service label: the job stands in for it
        Alert(name="DbSlow", firing=False, severity=None, service="db", labels={"alertname": "DbSlow", "job": "db"}),
    ]


def test_a_webhook_the_game_day_ignores_records_nothing(client, gameday):
    gameday.clock = None  # not started: the contract says alerts are ignored
    assert client.post("/alertmanager", json=WEBHOOK).json() == {"alerts": 2, "recorded": 0}


def test_a_bad_webhook_is_answered_400_with_what_is_wrong(client, gameday):
    r = client.post("/alertmanager", content=b'{"version": "4",\n "status": }',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"error": "the webhook body is not JSON: 2:12: Expecting value"}
    r = client.post("/alertmanager", json={**WEBHOOK, "version": "2"})
    assert r.status_code == 400 and 'version "2"' in r.json()["error"]
    assert gameday.alerts == []


def test_a_post_that_is_not_json_or_names_another_host_is_refused(gameday):
    app = build_app(gameday, TOKEN)
    local = TestClient(app, base_url="http://127.0.0.1:9095")
    r = local.post("/alertmanager", content=json.dumps(WEBHOOK), headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    # a name that resolved to 127.0.0.1 (DNS rebinding) is not loopback as far as the receiver knows
    rebound = TestClient(app, base_url="http://attacker.example:9095")
    assert rebound.get("/state").status_code == 403
    assert rebound.post("/alertmanager", json=WEBHOOK).status_code == 403
    assert TestClient(app, base_url="http://localhost:9095").get("/healthz").json() == {"ok": True}
    assert gameday.alerts == []


def test_a_mark_needs_the_token(client, gameday):
    assert client.post("/marks", json={"kind": "ack"}).status_code == 401
    r = client.post("/marks", json={"kind": "ack"}, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert client.post("/marks", json={"kind": "ack"}, headers={"Authorization": TOKEN}).status_code == 401
    assert gameday.marks == []


def test_a_mark_reaches_the_game_day_and_answers_its_events(client, gameday):
    r = client.post("/marks", json={"kind": "mitigated", "by": "bo", "runbook": "api-restart"}, headers=AUTH)
    assert r.status_code == 200
    assert gameday.marks == [Mark(kind="mitigated", by="bo", runbook="api-restart")]
    assert r.json() == {"events": [{"t": 192.0, "kind": "mitigated", "actor": "bo", "subject": "shop-outage",
                                    "data": {"how": "runbook", "runbook": "api-restart"}}]}


def test_a_mark_the_game_day_refuses_is_422_with_its_own_message(client, gameday):
    r = client.post("/marks", json={"kind": "update"}, headers=AUTH)
    assert r.status_code == 422
    assert r.json() == {"error": "an update needs a phase (investigating, identified, monitoring, resolved)"}


@pytest.mark.parametrize("body, status, error", [
    ({"kind": "akc"}, 422,
     "unknown mark 'akc'; did you mean 'ack'? (one of detected, ack, engaged, diagnosed, mitigated, update, "
     "resolved, note)"),
    ({"kind": "ack", "who": "bo"}, 400, "unknown key 'who' in the mark; a mark has kind, by, text, phase, runbook"),
    (["ack"], 400, "a mark is a JSON object with kind, by, text, phase, runbook"),
    ({"kind": "ack", "by": 7}, 400, "the mark: by: Input should be a valid string"),
])
def test_a_body_that_is_no_mark_is_refused_before_the_game_day(client, gameday, body, status, error):
    r = client.post("/marks", json=body, headers=AUTH)
    assert (r.status_code, r.json()) == (status, {"error": error})
    assert gameday.marks == []


def test_state_is_the_game_days_snapshot_as_json(client, gameday):
    gameday.probes = {"api-http": ProbeResult(False, 1000.5, 0.012, "HTTP 502", "api-http")}
    gameday.faults = (FaultState(0, "pause api", ("shop-api-1",), "applied", at=60.0, until=180.0),)
    client.post("/marks", json={"kind": "note", "text": "502s"}, headers=AUTH)
    assert client.get("/state").json() == {
        "clock": 192.0,
        "probes": {"api-http": {"ok": False, "at": 1000.5, "latency": 0.012, "detail": "HTTP 502", "probe": "api-http"}},
        "faults": [{"index": 0, "label": "pause api", "containers": ["shop-api-1"], "state": "applied",
                    "at": 60.0, "until": 180.0, "error": None}],
        "events": [{"t": 192.0, "kind": "note", "actor": "amara", "subject": "shop-outage",
                    "data": {"gap": "observation", "text": "502s"}}],
        "ended": None,
    }


def test_an_error_inside_the_game_day_is_a_500_naming_the_traceback_log(client, gameday, monkeypatch):
    def broken():
        raise RuntimeError("snapshot failed")

    monkeypatch.setattr(gameday, "state", broken)
    r = client.get("/state")
    assert r.status_code == 500
    log = r.json()["error"].split("traceback in ")[1].rstrip(")")
    assert "RuntimeError: snapshot failed" in open(log, encoding="utf-8").read()


# -- a real server ---------------------------------------------------------------------


def _call(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_a_real_uvicorn_on_a_free_port_serves_the_routes_and_lets_the_port_go(gameday):
    receiver = Receiver(gameday, port=0)
    url = receiver.start()
    try:
        assert url == receiver.url == f"http://127.0.0.1:{receiver.port}" and receiver.port > 0
        assert _call(url + "/healthz") == (200, {"ok": True})
        assert _call(url + "/alertmanager", WEBHOOK) == (200, {"alerts": 2, "recorded": 2})
        assert _call(url + "/marks", {"kind": "ack"}) [0] == 401
        status, answer = _call(url + "/marks", {"kind": "ack"}, {"Authorization": f"Bearer {receiver.token}"})
        assert status == 200 and answer["events"][0]["kind"] == "acknowledged"
        assert [e["kind"] for e in _call(url + "/state")[1]["events"]] == ["alert_fired", "alert_resolved",
                                                                         "acknowledged"]
        assert [a.name for a in gameday.alerts] == ["ApiDown", "DbSlow"] and gameday.marks == [Mark(kind="ack")]
    finally:
        receiver.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", receiver.port), timeout=2).close()


def test_each_receiver_has_its_own_unguessable_token(gameday):
    a, b = Receiver(gameday, port=0), Receiver(gameday, port=0)
    assert a.token != b.token and len(a.token) >= 32


def test_a_taken_port_is_refused_naming_it(gameday):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(ReceiverError) as info:
            Receiver(gameday, port=port).start()
        assert f"port {port} on 127.0.0.1 is taken" in str(info.value)
    finally:
        taken.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com", ""])
def test_a_host_that_is_not_loopback_is_refused(gameday, host):
    with pytest.raises(ReceiverError, match="listens on a loopback address only"):
        Receiver(gameday, host=host)


def test_localhost_and_other_loopback_addresses_are_accepted(gameday):
    assert Receiver(gameday, host="localhost").host == "127.0.0.1"
    assert Receiver(gameday, host="127.0.0.2", port=9999).url == "http://127.0.0.2:9999"
    assert Receiver(gameday, host="::1", port=9999).url == "http://[::1]:9999"


def test_the_context_manager_starts_and_stops(gameday):
    with Receiver(gameday, port=0) as receiver:
        assert _call(receiver.url + "/healthz")[0] == 200
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", receiver.port), timeout=2).close()


def test_a_server_builds_every_loaded_model_before_its_threads_start():
    # Models are built on first use, and pydantic's first-use build is not thread-safe
    # in every release: no request thread may be the first to use one.
    import subprocess
    import sys
    from pathlib import Path

    probe = """
from starlette.applications import Starlette
import scoring, drillbit.receiver as r
from scenarios.base import Model, Record
def loaded(cls):
    return [cls] + [s for c in cls.__subclasses__() for s in loaded(c)]
assert not all(c.__pydantic_complete__ for c in loaded(Model) + loaded(Record))  # some wait for their first use
served = r.ServerThread(Starlette(), r.bind_socket("127.0.0.1", 0, r.ReceiverError, "others"), "probe")
assert served.start()
served.stop()
print([c.__name__ for c in loaded(Model) + loaded(Record) if not c.__pydantic_complete__])
"""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root, check=True)
    assert result.stdout.strip() == "[]"
