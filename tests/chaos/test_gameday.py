"""Whole game days against real containers: what the runner records is held against
what the engine says happened (its own stop and start times, its paused state), what
the containers can reach, and hand calculations of who was on call."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chaos.faults import FaultError
from chaos.gameday import Alert, GameDay, GameDayError, Mark, SteadyStateError
from chaos.gameday_people import People
from chaos.gameday_record import Record
from chaos.ledger import Ledger
from chaos.session import recover
from chaos.targets import TargetError
from scenarios.loader import load_team, loads
from scenarios.scenario import Scenario
from scenarios.timeline import Timeline, new_timeline
from scoring.metrics import measure

ROOT = Path(__file__).resolve().parents[2]
TEAM = ROOT / "examples" / "team.yaml"
RUNNER = Path(__file__).with_name("gameday_runner.py")
HTTPD = "mkdir -p /www && echo 'shop ready' > /www/index.html && exec httpd -f -p 8080 -h /www"
EVERY = 0.2
#: What the engine's record of an exit or a start may lag or lead the drill clock by
#: (the clocks are one machine's; the engine notes an exit as it reaps the process).
SLACK = 0.1
HEAD = """\
id: t-run-drill
title: The shop API goes down
kind: outage
severity: P1
services: [api]
injects:
  - at: 0s
    fault: {kind: crash, service: api}
"""
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _scenario(live: str) -> Scenario:
    return loads(HEAD + "live:\n" + textwrap.indent(textwrap.dedent(live), "  "), Scenario)


def _name(what: str) -> str:
    return f"t-run-{what}-{uuid.uuid4().hex[:8]}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with _NO_PROXY.open(url, timeout=0.5) as resp:
            return resp.status == 200
    except OSError:
        return False


def _engine_time(value: str) -> datetime:
    """The engine's RFC 3339 time with nanoseconds, to microseconds."""
    head, _, frac = value.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00")


def _drill_t(tl: Timeline, engine_time: str) -> float:
    return (_engine_time(engine_time) - tl.started_at).total_seconds()


def _clean(ledger: Ledger) -> None:
    """Nothing outstanding, and every fault the drill began reached ``restored``."""
    assert ledger.outstanding() == []
    assert ledger.entries() and all(e.state == "restored" for e in ledger.entries())


class _Poller:
    """An HTTP poller of its own, every 50 ms: (start, end, ok) of each request, in
    ``time.monotonic()`` seconds."""

    def __init__(self, url: str) -> None:
        self.url, self.seen = url, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            start = time.monotonic()
            ok = _answers(self.url)
            self.seen.append((start, time.monotonic(), ok))
            self._stop.wait(0.05)

    def __enter__(self) -> "_Poller":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


def _in_order_and_valid(tl: Timeline) -> None:
    times = [e.t for e in tl.events]
    assert times == sorted(times) and tl.events[0].kind == "drill_started" and tl.events[-1].kind == "drill_ended"
    # The reader validates every event against the vocabulary again.
    assert Timeline.from_json_line(tl.to_json_line()) == tl


@pytest.fixture(scope="module")
def team():
    return load_team(TEAM)


@pytest.fixture
def web(make_container):
    """A busybox httpd published on a fixed loopback port (the same after a restart)."""
    port = _free_port()
    c = make_container(HTTPD, name=_name("web"), ports={"8080/tcp": ("127.0.0.1", port)})
    deadline = time.monotonic() + 5
    while not _answers(f"http://127.0.0.1:{port}/"):
        assert time.monotonic() < deadline, "the test httpd never answered"
        time.sleep(0.05)
    return c, port


@pytest.mark.docker
def test_a_stop_starts_impact_when_the_engine_stopped_it_and_recovery_after_it_started_again(web, team, tmp_path):
    c, port = web
    sc = _scenario(f"""\
        targets: {{api: {{names: [{c.name}]}}}}
        faults: [{{at: 300ms, kind: stop, target: api, duration: 2s, grace: 0s}}]
        probes: [{{name: api, http: "http://127.0.0.1:{port}/", every: 200ms, timeout: 500ms}}]
        healthy_for: 600ms
        end: recovered
        limit: 20s
        """)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    game = GameDay(sc, team, seed=1, ledger=ledger)
    t0: list[float] = []
    game.subscribe(on_event=lambda e: t0.append(time.monotonic()) if e.kind == "drill_started" else None)
    with _Poller(f"http://127.0.0.1:{port}/") as poller:
        tl = game.run()

    c.reload()
    state = c.attrs["State"]
    stopped, started = _drill_t(tl, state["FinishedAt"]), _drill_t(tl, state["StartedAt"])
    ms = tl.milestones()
    # The first failing check began within one interval of the engine's exit.
    assert stopped - EVERY - SLACK <= ms["impact"] <= stopped + EVERY + SLACK
    # Healthy from the first answer: not before the engine started it again, and within
    # one interval of the first answer an independent poller got after the outage.
    down = next(i for i, (_, _, ok) in enumerate(poller.seen) if not ok)
    first_answer = next(end for _, end, ok in poller.seen[down:] if ok) - t0[0]
    assert started <= ms["recovered"] <= first_answer + EVERY + SLACK
    applied, restored = tl.first("fault_applied"), tl.first("fault_restored")
    assert (applied.actor, applied.subject, applied.data) == ("stop", "api", {"fault": "stop", "service": "api",
                                                                             "impact": "outage"})
    assert applied.t <= stopped + SLACK and round(restored.t - applied.t, 3) >= 2.0 and restored.t <= started + SLACK
    assert tl.first("impact_started").subject == "api"
    assert tl.last("drill_ended").data == {"reason": "recovered"}
    assert state["Running"]
    _clean(ledger)
    _in_order_and_valid(tl)


@pytest.mark.docker
def test_alerts_and_marks_from_another_thread_give_the_milestones_the_scorer_measures(web, team, tmp_path):
    c, port = web
    sc = _scenario(f"""\
        targets: {{api: {{names: [{c.name}]}}}}
        faults: [{{at: 0s, kind: pause, target: api, duration: 1s}}]
        probes: [{{name: api, http: "http://127.0.0.1:{port}/", every: 200ms, timeout: 300ms}}]
        healthy_for: 400ms
        limit: 20s
        """)
    # A Wednesday, 10:00 UTC: the follow-the-sun layer (8h turns from Monday 00:00 UTC,
    # kenji amara luis arjun jonas priya) is in its 8th turn, 58h // 8h = 7, 7 % 6 = 1:
    # amara, at 11:00 in Berlin, inside her working hours.
    game = GameDay(sc, team, seed=1, ledger=Ledger(tmp_path / "ledger.jsonl"),
                   started_at=datetime(2026, 11, 4, 10, 0, tzinfo=timezone.utc))
    assert game.alert(Alert("ApiDown", True)) == []
    with pytest.raises(GameDayError, match="not started"):
        game.mark(Mark("ack"))
    seen = {k: threading.Event() for k in ("impact_started", "recovered")}
    game.subscribe(on_event=lambda e: seen[e.kind].set() if e.kind in seen else None)
    at: dict[str, float] = {}
    failures: list[BaseException] = []

    def people() -> None:
        try:
            assert seen["impact_started"].wait(10)
            at["alert"] = time.monotonic()
            fired = game.alert(Alert("ApiDown", True, severity="P1", service="api", at=at["alert"]))
            # The on-call for P1's first level; then P1's also_page, the incident commanders.
            assert [(e.kind, e.subject, e.data.get("purpose")) for e in fired] == [
                ("alert_fired", "ApiDown", None), ("detected", "ApiDown", None), ("page_sent", "amara", "incident"),
                *(("page_sent", who, "severity") for who in ("amara", "dana", "arjun"))]
            assert game.alert(Alert("ApiDown", True, severity="P1", service="api")) == []  # a repeat
            with pytest.raises(GameDayError, match="no member"):
                game.mark(Mark("ack", by="nobody-here"))
            with pytest.raises(GameDayError, match="phase"):
                game.mark(Mark("update"))
            time.sleep(0.15)
            at["ack"] = time.monotonic()
            game.mark(Mark("ack", at=at["ack"]))
            with pytest.raises(GameDayError, match="already acknowledged"):
                game.mark(Mark("ack"))
            game.mark(Mark("engaged"))
            game.mark(Mark("diagnosed", runbook="api-down"))
            game.mark(Mark("update", phase="investigating"))
            time.sleep(0.1)
            at["mitigated"] = time.monotonic()
            game.mark(Mark("mitigated", at=at["mitigated"]))
            game.alert(Alert("ApiDown", False, severity="P1", service="api"))
            game.mark(Mark("note", by="jonas", text="the pause hid behind the load balancer's retries"))
            assert seen["recovered"].wait(10)
            game.mark(Mark("resolved"))
        except BaseException as exc:  # noqa: BLE001 - reported by the test's own thread
            failures.append(exc)
            game.stop()

    helper = threading.Thread(target=people)
    helper.start()
    tl = game.run()
    helper.join(10)
    assert not failures, failures

    ms = tl.milestones()
    page, ack = tl.first("page_sent"), tl.first("acknowledged")
    assert (page.subject, page.data["target"], page.data["policy"], page.data["level"], page.data["period"]) == \
        ("amara", "rotation:primary", "P1", 1, "working")
    assert (ack.data["by"], ack.data["page"], ack.data["page_t"]) == ("amara", page.data["page"], page.t)
    assert ms["detected"] == ms["paged"] == tl.first("alert_fired").t
    assert tl.first("alert_fired").data == {"severity": "P1", "service": "api", "routed": True, "policy": "P1",
                                            "noise": False}
    assert abs((ms["acknowledged"] - ms["detected"]) - (at["ack"] - at["alert"])) <= 0.002
    assert abs((ms["mitigated"] - ms["detected"]) - (at["mitigated"] - at["alert"])) <= 0.002
    assert tl.first("diagnosed").data == {"how": "runbook", "runbook": "api-down"}
    assert tl.first("mitigated").data == {"how": "improvised"}
    assert tl.first("status_update").data == {"phase": "investigating", "public": True, "n": 1}
    assert tl.first("note", gap="observation").actor == "jonas"
    assert tl.first("alert_resolved").t >= ms["mitigated"]
    values = measure(tl, sc, team).values
    assert values["ttd"] == round(ms["detected"] - ms["impact"], 3) > 0
    assert values["tta"] == round(ms["acknowledged"] - ms["paged"], 3)
    assert values["ttm"] == round(ms["mitigated"] - ms["impact"], 3)
    assert values["ttr"] == round(ms["recovered"] - ms["impact"], 3)
    assert tl.last("drill_ended").data == {"reason": "resolved"}
    with pytest.raises(GameDayError, match="ended"):
        game.mark(Mark("note", text="too late"))
    _in_order_and_valid(tl)


@pytest.mark.docker
def test_an_unhealthy_system_is_refused_and_nothing_is_touched(make_container, team, tmp_path):
    port = _free_port()
    c = make_container("exec sleep 300", name=_name("idle"), ports={"8080/tcp": ("127.0.0.1", port)})
    sc = _scenario(f"""\
        targets: {{api: {{names: [{c.name}]}}}}
        faults: [{{at: 0s, kind: stop, target: api, grace: 0s}}]
        probes: [{{name: api, http: "http://127.0.0.1:{port}/", every: 200ms, timeout: 300ms}}]
        """)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    game = GameDay(sc, team, seed=1, ledger=ledger)
    with pytest.raises(SteadyStateError, match="probe 'api' fails before any fault: no answer"):
        game.run()
    before = c.attrs["State"]["StartedAt"]
    c.reload()
    assert c.attrs["State"]["Running"] and c.attrs["State"]["StartedAt"] == before
    assert not ledger.path.exists()  # no fault began
    assert not Path(f"{ledger.path}.watchdog.log").exists()  # no watchdog was started
    assert game.timeline().events == ()


@pytest.mark.docker
def test_a_failing_guard_aborts_the_drill_and_restores_at_once(web, team, tmp_path):
    c, port = web
    sc = _scenario(f"""\
        targets: {{api: {{names: [{c.name}]}}}}
        faults: [{{at: 300ms, kind: pause, target: api, duration: 30s}}]
        probes:
          - {{name: api, http: "http://127.0.0.1:{port}/", every: 200ms, timeout: 300ms}}
          - {{name: api-running, health: true, target: api, every: 200ms, guard: true}}
        limit: 20s
        """)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    game = GameDay(sc, team, seed=1, ledger=ledger)
    assert (game.plan().probes, game.plan().guards) == (("api",), ("api-running",))
    tl = game.run()
    assert tl.last("drill_ended").data == {"reason": "aborted"}
    assert tl.duration < 5.0  # not the fault's 30s
    assert tl.first("fault_restored").t < tl.duration
    c.reload()
    assert c.attrs["State"]["Running"] and not c.attrs["State"]["Paused"]
    assert _answers(f"http://127.0.0.1:{port}/")
    _clean(ledger)


@pytest.mark.docker
def test_the_limit_ends_the_drill_and_restores_a_fault_without_a_duration(web, team, tmp_path):
    c, port = web
    sc = _scenario(f"""\
        targets: {{api: {{names: [{c.name}]}}}}
        faults: [{{at: 0s, kind: pause, target: api}}]
        probes: [{{name: api, http: "http://127.0.0.1:{port}/", every: 200ms, timeout: 300ms}}]
        limit: 1500ms
        """)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    tl = GameDay(sc, team, seed=1, ledger=ledger).run()
    end = tl.last("drill_ended")
    assert end.data == {"reason": "horizon"} and 1.5 <= end.t < 3.0
    assert 1.5 <= tl.first("fault_restored").t <= end.t
    assert tl.first("impact_started") is not None and tl.first("recovered") is None
    c.reload()
    assert not c.attrs["State"]["Paused"]
    _clean(ledger)


@pytest.mark.docker
def test_sigterm_to_the_runner_restores_everything_and_records_the_interruption(web, team, tmp_path):
    c, _ = web
    scenario = tmp_path / "drill.yaml"
    scenario.write_text(HEAD + "live:\n" + textwrap.indent(textwrap.dedent(f"""\
        targets: {{api: {{names: [{c.name}]}}}}
        faults: [{{at: 0s, kind: pause, target: api}}]
        limit: 60s
        """), "  "), encoding="utf-8")
    ledger = Ledger(tmp_path / "ledger.jsonl")
    proc = subprocess.Popen([sys.executable, str(RUNNER), str(scenario), str(TEAM), str(ledger.path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout.readline() == "applied\n", proc.stderr.read()
        c.reload()
        assert c.attrs["State"]["Paused"]  # the engine says it is in effect
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    tl = Timeline.from_json_line(out.strip().splitlines()[-1])
    assert tl.last("drill_ended").data == {"reason": "interrupted"}
    assert [e.kind for e in tl.find("fault_restored")] == ["fault_restored"]
    c.reload()
    assert not c.attrs["State"]["Paused"]
    _clean(ledger)


def _reaches(src, ip: str) -> bool:
    return src.exec_run(["sh", "-c", f"timeout 1 wget -q -O /dev/null http://{ip}:8080/"]).exit_code == 0


@pytest.mark.docker
def test_a_partition_between_two_groups_blocks_every_cross_pair_while_it_holds(make_container, team, tmp_path):
    a = [make_container(HTTPD, name=_name(f"a{i}")) for i in (1, 2)]
    b = [make_container(HTTPD, name=_name(f"b{i}")) for i in (1, 2)]
    ip = {c.name: c.attrs["NetworkSettings"]["IPAddress"] for c in a + b}
    cross = [(x, y) for x in a for y in b] + [(y, x) for x in a for y in b]
    inside = [(a[0], a[1]), (b[0], b[1])]
    sc = _scenario(f"""\
        targets:
          front: {{names: [{a[0].name}, {a[1].name}]}}
          back: {{names: [{b[0].name}, {b[1].name}]}}
        faults: [{{at: 0s, kind: partition, target: front, peers: [back]}}]
        limit: 30s
        """)
    game = GameDay(sc, team, seed=1, ledger=Ledger(tmp_path / "ledger.jsonl"))
    applied = threading.Event()
    game.subscribe(on_event=lambda e: applied.set() if e.kind == "fault_applied" else None)
    during: dict[str, list[bool]] = {}

    def check(pairs):
        with ThreadPoolExecutor(len(pairs)) as pool:
            return list(pool.map(lambda p: _reaches(p[0], ip[p[1].name]), pairs))

    def probe_then_stop() -> None:
        try:
            if applied.wait(15):
                during["cross"], during["inside"] = check(cross), check(inside)
        finally:
            game.stop("resolved")

    helper = threading.Thread(target=probe_then_stop)
    helper.start()
    tl = game.run()
    helper.join(15)
    assert during["cross"] == [False] * 8
    assert during["inside"] == [True, True]
    assert check(cross) == [True] * 8  # restored
    assert tl.last("drill_ended").data == {"reason": "resolved"}
    _clean(game.ledger)


@pytest.mark.docker
def test_the_teams_own_restore_of_deleted_data_is_measured(make_container, team, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    c = make_container("mkdir -p /data && echo 'order 1' > /data/orders.db && exec sleep 300", name=_name("db"))
    sc = _scenario(f"""\
        targets: {{db: {{names: [{c.name}]}}}}
        faults: [{{at: 200ms, kind: delete-path, target: db, path: /data/orders.db}}]
        probes: [{{name: data, command: "sha256sum /data/orders.db", target: db, every: 200ms, expect_stable: true}}]
        limit: 30s
        """)
    game = GameDay(sc, team, seed=1, ledger=Ledger(tmp_path / "ledger.jsonl"))
    seen = {k: threading.Event() for k in ("fault_applied", "impact_started", "restored_data")}
    game.subscribe(on_event=lambda e: seen[e.kind].set() if e.kind in seen else None)
    wrote: dict[str, float] = {}

    def restore_it_ourselves() -> None:
        try:
            # Once the fault is verified in place and the probe saw the loss.
            if seen["fault_applied"].wait(10) and seen["impact_started"].wait(10):
                wrote["before"] = game.state().clock
                c.exec_run(["sh", "-c", "echo 'order 1' > /data/orders.db"])
                wrote["after"] = game.state().clock
                seen["restored_data"].wait(5)
        finally:
            game.mark(Mark("resolved", by="amara"))

    helper = threading.Thread(target=restore_it_ourselves)
    helper.start()
    tl = game.run()
    helper.join(10)
    ms = tl.milestones()
    restored = tl.first("restored_data")
    assert restored is not None, [e.kind for e in tl.events]
    assert wrote["before"] <= restored.t <= wrote["after"] + EVERY + SLACK
    assert restored.data["rpo"] == 0 and restored.data["backup_t"] == tl.first("fault_applied").t
    assert restored.data["rto"] == round(restored.t - ms["impact"], 3)
    assert tl.first("fault_restored") is not None
    assert c.exec_run(["cat", "/data/orders.db"]).output == b"order 1\n"
    assert not any((tmp_path / "state" / "drillbit" / "snapshots").iterdir())
    _clean(game.ledger)


@pytest.mark.docker
def test_the_plan_names_the_containers_and_who_did_not_opt_in_and_touches_nothing(make_container, team, tmp_path):
    front = make_container("exec sleep 300", name=_name("front"), labels={})
    back = make_container("exec sleep 300", name=_name("back"))
    sc = _scenario(f"""\
        targets:
          front: {{names: [{front.name}]}}
          back: {{names: [{back.name}]}}
        faults: [{{at: 1s, kind: partition, target: front, peers: [back], duration: 1m}}]
        """)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    with pytest.raises(TargetError, match=front.name):
        GameDay(sc, team, seed=1, ledger=ledger).plan()
    plan = GameDay(sc, team, seed=1, ledger=ledger, allow_unlabelled=True).plan()
    assert [d.name for d in plan.unlabelled] == [front.name]
    assert {d.name for d in plan.containers} == {front.name, back.name}
    text = "\n".join(plan.lines())
    assert (f"fault 1: partition on front at 1s, for 1m (peers=back), 1 container:\n"
            f"  {front.name} {front.id[:12]}") in text
    assert f"(allowed explicitly, and recorded): {front.name}" in text
    assert not ledger.path.exists()


def _killed_at(container, kind: str, game: GameDay, *, match: str) -> Timeline:
    """Play ``game``, killing ``container`` when an event of ``kind`` is recorded; the
    run must raise FaultError matching ``match``. Returns what was recorded."""
    game.subscribe(on_event=lambda e: container.kill() if e.kind == kind else None)
    with pytest.raises(FaultError, match=match):
        game.run()
    return game.timeline()


@pytest.mark.docker
def test_a_fault_that_can_no_longer_be_applied_aborts_the_drill(make_container, team, tmp_path):
    c = make_container("exec sleep 300", name=_name("gone"))
    sc = _scenario(f"""\
        targets: {{api: {{names: [{c.name}]}}}}
        faults: [{{at: 1s, kind: pause, target: api, duration: 5s}}]
        limit: 20s
        """)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    # Between the plan and the fault's moment the container stops: pause is refused then.
    tl = _killed_at(c, "drill_started", GameDay(sc, team, seed=1, ledger=ledger), match="pause")
    assert tl.last("drill_ended").data == {"reason": "aborted"} and tl.duration < 5.0
    assert tl.first("fault_applied") is None
    assert ledger.outstanding() == []


def test_a_person_detecting_it_and_an_ack_without_any_page_are_kept_and_tta_has_no_start(team):
    sc = _scenario("""\
        targets: {api: {names: [shop-api-1]}}
        faults: [{kind: stop, target: api}]
        """)
    record = Record(threading.RLock())
    record.start(0.0, datetime(2026, 11, 4, 10, 0, tzinfo=timezone.utc))  # amara's turn (see above)
    people = People(sc, team, record)
    assert [e.data for e in people.mark(Mark("detected"), 1.0)] == [{"via": "internal-report", "fallback": False}]
    assert people.mark(Mark("detected"), 2.0) == []  # detected once
    (ack,) = people.mark(Mark("ack"), 3.0)
    assert (ack.actor, ack.data) == ("amara", {"by": "amara", "page": 0, "page_t": 3.0, "purpose": "incident",
                                               "period": "working"})
    assert people.closing_notes(4.0) == []  # detected, and no page went unanswered
    tl = new_timeline(sc.id, "live", 1, None, record.started_at, team.team, tuple(record.events))
    assert (tl.milestone("detected"), tl.milestone("paged"), tl.milestone("acknowledged")) == (1.0, None, 3.0)
    assert measure(tl, sc, team).values["tta"] is None  # nothing to measure from: not reached, not zero


def test_a_severity_that_pages_only_in_business_hours_pages_nobody_at_night(team):
    sc = _scenario("""\
        targets: {api: {names: [shop-api-1]}}
        faults: [{kind: stop, target: api}]
        """)
    record = Record(threading.RLock())
    # 23:00 in Berlin on a Wednesday: outside the team's Mon-Fri 09:00-17:00 there.
    record.start(0.0, datetime(2026, 11, 4, 22, 0, tzinfo=timezone.utc))
    people = People(sc, team, record)
    events = people.alert(Alert("ApiSlow", True, severity="P2", service="api"), 5.0)
    assert [(e.kind, e.data.get("gap")) for e in events] == [("alert_fired", None), ("detected", None),
                                                              ("note", "not-paged")]
    assert people.closing_notes(9.0) == []  # no page went out, so none went unanswered


@pytest.mark.docker
def test_a_restore_that_fails_is_raised_and_left_in_the_ledger_for_recover(make_container, team, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    c = make_container("mkdir -p /data && echo 'order 1' > /data/orders.db && exec sleep 300", name=_name("lost"))
    sc = _scenario(f"""\
        targets: {{db: {{names: [{c.name}]}}}}
        faults: [{{at: 0s, kind: delete-path, target: db, path: /data/orders.db, duration: 1s}}]
        limit: 2s
        """)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    # With the container stopped, the snapshot cannot be put back into it.
    tl = _killed_at(c, "fault_applied", GameDay(sc, team, seed=1, ledger=ledger),
                    match="restoring delete-path on db failed")
    assert tl.last("drill_ended").data == {"reason": "horizon"} and tl.first("fault_restored") is None
    (left,) = ledger.outstanding()
    assert left.state == "restore-failed"
    c.start()
    [(_, outcome)] = recover(ledger)
    assert outcome.state == "restored" and ledger.outstanding() == []
    assert c.exec_run(["cat", "/data/orders.db"]).output == b"order 1\n"
