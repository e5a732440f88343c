"""The tabletop web console's routes: who may see and do what (loopback Host, room
code, facilitator code), what a bad request gets (400, 403, 413, 415, 422, 500), that
an accepted action reaches the session once, and that server-sent events deliver a
change. The session is mostly the fake of tabletop_fake.py, which records what reached
it; the drill's refusals are the real session's."""

from __future__ import annotations

import json
import socket
import threading
import warnings
from datetime import datetime, timezone

import httpx
import pytest

from drillbit.tabletop_web import MAX_BODY, TabletopServer, TabletopServerError, build_app, standing_of
from scenarios.tabletop import ActionError, parse_action
from simulator.tabletop import TabletopError

from tabletop_fake import FakeTabletop, real_tabletop

with warnings.catch_warnings():
    # starlette >= 1.x warns that its TestClient's httpx will be replaced; not ours to fix
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

ROOM, CODE = "room-code-1", "facilitator-code-1"


@pytest.fixture
def tabletop():
    return FakeTabletop()


def _client(tabletop, base="http://127.0.0.1:8095", **kw) -> TestClient:
    return TestClient(build_app(tabletop, room_code=ROOM, facilitator_code=CODE, **kw), base_url=base)


def _facilitator(tabletop, **kw) -> TestClient:
    client = _client(tabletop, **kw)
    assert client.get(f"/facilitator?code={CODE}", follow_redirects=False).status_code == 303
    return client


def test_the_team_view_is_open_on_loopback_and_refused_to_another_host_name(tabletop):
    assert _client(tabletop).get("/team").status_code == 200
    assert _client(tabletop, "http://localhost:8095").get("/healthz").json() == {"ok": True}
    # a name that resolved to 127.0.0.1 (DNS rebinding) is not loopback as far as the console knows
    rebound = _client(tabletop, "http://attacker.example:8095")
    for path in ("/team", "/api/state", "/events", "/static/tabletop.js"):
        assert rebound.get(path).status_code == 403, path
    assert rebound.post("/api/action", json={"action": "note", "text": "x"}).status_code == 403
    assert tabletop.journal == []


def test_the_facilitator_link_sets_a_strict_http_only_cookie_and_leaves_the_address_bar(tabletop):
    client = _client(tabletop)
    assert client.get("/facilitator").status_code == 403
    assert client.get("/api/state?view=facilitator").status_code == 403
    assert client.get("/events?view=facilitator").status_code == 403
    assert client.get("/facilitator?code=guess").status_code == 403
    r = client.get(f"/facilitator?code={CODE}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/facilitator"
    cookie = r.headers["set-cookie"].lower()
    assert f"drillbit_facilitator={CODE}".lower() in cookie
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get("/facilitator")
    assert page.status_code == 200
    # the facilitator sees the notes the team does not, escaped as text
    assert "Let them find the dashboard themselves." in page.text
    assert "A journalist &lt;calls&gt;" in page.text and "<calls>" not in page.text
    assert "Let them find the dashboard" not in client.get("/team").text


def test_only_the_facilitator_moves_the_clock_or_releases_injects(tabletop):
    team = _client(tabletop)
    for action in ({"action": "start"}, {"action": "release", "inject": 0}, {"action": "speed", "factor": 5}):
        r = team.post("/api/action", json=action)
        assert r.status_code == 403 and "facilitator" in r.json()["error"]
    assert tabletop.journal == [] and tabletop.phase == "ready"
    facilitator = _facilitator(tabletop)
    r = facilitator.post("/api/action", json={"action": "start"})
    assert r.status_code == 200 and tabletop.phase == "running"
    assert r.json()["entry"]["action"] == {"action": "start"}
    assert [e["action"]["action"] for e in tabletop.journal] == ["start"]


def test_every_answer_forbids_other_origins_and_framing(tabletop):
    r = _client(tabletop).get("/team")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "no-referrer"
    # the page loads its assets from the console itself, and they are served
    assert 'src="/static/tabletop.js"' in r.text and 'href="/static/tabletop.css"' in r.text
    js = _client(tabletop).get("/static/tabletop.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "EventSource" in js.text
    assert _client(tabletop).get("/static/..%2Fteam.html.j2").status_code == 404
    assert "http" not in _client(tabletop).get("/static/tabletop.css").text  # nothing fetched from elsewhere


def test_a_console_open_to_the_network_needs_the_room_code(tabletop):
    stranger = _client(tabletop, "http://192.0.2.10:8095", open_network=True)
    assert stranger.get("/team").status_code == 403
    assert stranger.get("/team?room=wrong").status_code == 403
    assert stranger.post("/api/action", json={"action": "note", "text": "hi"}).status_code == 403
    assert tabletop.journal == []
    member = _client(tabletop, "http://192.0.2.10:8095", open_network=True)
    r = member.get(f"/team?room={ROOM}")
    assert r.status_code == 200
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    # then the cookie carries the code: the page's own requests need no query string
    assert member.get("/api/state").status_code == 200
    assert member.post("/api/action", json={"action": "note", "text": "hi", "by": "bo"}).status_code == 200
    assert [e["action"] for e in tabletop.journal] == [{"action": "note", "text": "hi", "by": "bo"}]
    # the room code is not the facilitator's
    assert member.post("/api/action", json={"action": "start"}).status_code == 403


def test_the_links_of_a_console_open_to_the_network_carry_the_room_code(tabletop):
    server = TabletopServer(tabletop, host="0.0.0.0", port=8095)  # not started: only its links
    here = f"http://{socket.getfqdn()}:8095"  # every interface: the link names this machine, which others can open
    assert server.team_url == f"{here}/team?room={server.room_code}"
    assert server.facilitator_url == f"{here}/facilitator?code={server.facilitator_code}&room={server.room_code}"
    assert TabletopServer(tabletop, host="192.0.2.10", port=8095).team_url.startswith("http://192.0.2.10:8095/team?room=")
    assert server.room_code != server.facilitator_code and len(server.room_code) >= 12
    assert TabletopServer(tabletop, port=8095).team_url == "http://127.0.0.1:8095/team"  # loopback: no code
    # the facilitator's link lets the facilitator in, room and all
    client = TestClient(server.app, base_url="http://192.0.2.10:8095")
    r = client.get(server.facilitator_url.removeprefix(here), follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/facilitator").status_code == 200
    assert client.post("/api/action", json={"action": "start"}).status_code == 200


@pytest.mark.parametrize("body, expected", [
    (b"{not json", "the action is not JSON"),
    (b"[1, 2]", "expected an object"),
    (b'{"action": "launch"}', "unknown action 'launch'"),
    (b'{"action": "update", "phase": "done", "text": "x"}', "update: phase"),
    (b'{"action": "note", "text": "   "}', "note: text"),
    (b"[" * 8000 + b"]" * 8000, "nests too deep"),
    (b'\xff\xfe{"action": "note"}', "the action is not JSON"),
])
def test_a_body_that_is_not_an_action_is_400_with_what_is_wrong(tabletop, body, expected):
    r = _client(tabletop).post("/api/action", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert expected in r.json()["error"]
    try:
        parse_action(json.loads(body))
    except ActionError as exc:  # the message is the vocabulary's own
        assert r.json()["error"] == str(exc)
    except (ValueError, RecursionError):
        pass  # not JSON at all: the console's own words
    assert tabletop.journal == []


def test_a_body_over_16_kib_is_413_and_one_not_json_is_415(tabletop):
    client = _client(tabletop)
    big = json.dumps({"action": "note", "text": "x" * (MAX_BODY + 1)}).encode()
    assert client.post("/api/action", content=big, headers={"Content-Type": "application/json"}).status_code == 413
    r = client.post("/api/action", content=b'{"action": "note", "text": "hi"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    # a cross-site HTML form can send only these; none is an action
    for media in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        assert client.post("/api/action", content=b"action=note", headers={"Content-Type": media}).status_code == 415
    assert tabletop.journal == []


def test_an_action_the_drill_refuses_is_422_with_its_message_and_changes_nothing():
    clock = [0.0]
    session, journal = real_tabletop(clock)
    client = _facilitator(session)
    assert client.post("/api/action", json={"action": "start"}).status_code == 200
    clock[0] = 60.0  # before the first alert: no page waits for an answer
    session.tick()
    before = client.get("/api/state").json()["state"]
    for action in ({"action": "acknowledge", "by": "amara"},                       # nothing to acknowledge
                   {"action": "step", "runbook": "postgres-restore-from-snapshot", "step": 1, "ok": True},
                   {"action": "resolved"}, {"action": "release", "inject": 99}):
        r = client.post("/api/action", json=action)
        assert r.status_code == 422, action
        # the drill's own words, and the drill's own refusal
        with pytest.raises(TabletopError) as refused:
            session.act(parse_action(action), facilitator=True)
        assert r.json() == {"error": str(refused.value)}
    assert "nothing to acknowledge" in client.post("/api/action", json={"action": "acknowledge"}).json()["error"]
    assert client.get("/api/state").json()["state"] == before
    assert [e["action"] for e in journal if "action" in e] == [{"action": "start"}]


def test_an_unexpected_error_is_500_naming_the_error_log(tabletop, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))

    def broken(**kw):
        raise RuntimeError("the state exploded")

    monkeypatch.setattr(tabletop, "state", broken)
    r = _client(tabletop).get("/api/state")
    assert r.status_code == 500
    logs = list((tmp_path / "drillbit" / "errors").iterdir())
    assert len(logs) == 1 and str(logs[0]) in r.json()["error"]
    assert "the state exploded" in logs[0].read_text()


def _events(client: httpx.Client, url: str):
    """The server-sent events of ``url`` as (event, data) pairs, read as they come."""
    with client.stream("GET", url, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event, data = None, []
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and data:
                yield event, json.loads("\n".join(data))
                event, data = None, []


def test_server_sent_events_deliver_a_change_to_every_view(tabletop):
    with TabletopServer(tabletop, port=0) as server:
        facilitator_url, team_url = server.facilitator_url, server.team_url
        assert team_url == f"http://127.0.0.1:{server.port}/team"
        with httpx.Client(base_url=server.url) as team, httpx.Client(base_url=server.url) as fac:
            assert fac.get(facilitator_url.removeprefix(server.url), follow_redirects=False).status_code == 303
            streams = {"team": _events(team, "/events?view=team"), "facilitator": _events(fac, "/events?view=facilitator")}
            first = {view: next(s) for view, s in streams.items()}
            for view, (event, update) in first.items():
                assert event == "state" and update["version"] == tabletop.version
                assert "Drop the shared cache" not in update["fragments"]["record"]
            r = team.post("/api/action", json={"action": "note", "text": "Drop the shared cache", "by": "bo"})
            assert r.status_code == 200
            for view, stream in streams.items():
                event, update = next(stream)
                assert update["version"] > first[view][1]["version"]
                assert "Drop the shared cache" in update["fragments"]["record"], view
            for stream in streams.values():
                stream.close()


def test_a_taken_port_is_a_clear_error_and_stop_releases_the_port(tabletop):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        with pytest.raises(TabletopServerError, match=f"port {port} on 127.0.0.1 is taken"):
            TabletopServer(tabletop, port=port).start()
    finally:
        busy.close()
    server = TabletopServer(tabletop, port=port)
    server.start()
    assert httpx.get(f"{server.url}/healthz").json() == {"ok": True}
    server.stop()
    again = socket.socket()
    again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    again.bind(("127.0.0.1", port))  # free again
    again.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("drillbit-tabletop")]


def test_the_tick_thread_moves_the_clock_and_finished_is_set_at_the_end():
    clock = [100.0]
    tabletop = FakeTabletop(clock)
    with TabletopServer(tabletop, port=0) as server:
        fac = httpx.Client(base_url=server.url)
        fac.get(server.facilitator_url, follow_redirects=False)
        fac.post("/api/action", json={"action": "start"})
        clock[0] += 61.0  # past the first inject's 60s
        version = tabletop.version
        while tabletop.state(facilitator=True)["injects"][0]["status"] != "released":
            version = tabletop.wait_changed(version, 5.0)
        assert not server.finished.is_set()
        for action in ("end", "finish"):
            assert fac.post("/api/action", json={"action": action}).status_code == 200
        assert server.finished.wait(5.0)
        fac.close()


class _Scored(FakeTabletop):
    """A session whose timeline so far is the first part of a simulated run."""

    def __init__(self, timeline):
        super().__init__()
        self._timeline = timeline

    def timeline(self):
        return self._timeline


def test_the_scorecard_as_it_stands_scores_the_timeline_so_far():
    from drillbit.resolve import resolve
    from scenarios.timeline import Timeline
    from simulator import simulate_many

    inputs = resolve("db-primary-data-deleted")
    run = next(simulate_many(inputs.scenario, inputs.team, inputs.runbooks, runs=1, seed=3,
                             start=datetime(2026, 11, 2, 3, tzinfo=timezone.utc)))
    # the incident's page and its acknowledgement (not an also-page for comms or a manager)
    ack = next(i for i, e in enumerate(run.events) if e.kind == "acknowledged" and e.data.get("purpose") == "incident")
    # the drill so far: up to the acknowledgement, before any mitigation
    part = Timeline(**{**run.model_dump(exclude={"events"}), "mode": "tabletop", "events": run.events[:ack + 1]})
    assert part.first("mitigated") is None
    figures = {f["metric"]: f for f in standing_of(_Scored(part), inputs)()}
    by_hand = part.first("acknowledged", purpose="incident").t - part.first("page_sent", purpose="incident").t
    assert figures["tta"]["value"] == pytest.approx(by_hand)
    assert figures["tta"]["status"] == ("met" if by_hand <= figures["tta"]["target"] else "missed")
    assert figures["ttm"]["value"] is None  # not reached yet, not zero
    assert figures["ttm"]["status"] == "not reached yet"  # the drill still runs: the room may get there
    client = _facilitator(_Scored(part), standing=standing_of(_Scored(part), inputs))
    assert "Scorecard as it stands now" in client.get("/facilitator").text
    assert client.get("/api/state?view=facilitator").json()["standing"][0]["label"]
