"""``drillbit gameday`` end to end through the application layer, with fakes for the
runner (chaos.gameday.GameDay), the receiver, the state file, the console and the
stack, so these tests do not depend on their bodies: each fake records what the command
asked of it and plays a scripted timeline. The expected figures are worked out by hand
from the scripted events."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import types
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chaos.errors import ChaosError, EngineError
from chaos.gameday import SteadyStateError
from chaos.probes import ProbeResult
from scenarios import find_builtin
from scenarios.timeline import Event, Timeline, read_jsonl

SCENARIO = "config-push-global-outage"  # objectives: detect 2m, acknowledge 5m, first update 15m, mitigate 30m, recover 2h
NO_LIVE = "ci-session-token-theft"
START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
RECEIVER_URL = "http://127.0.0.1:40123"
RESTORE_FAILED = ChaosError("restoring pause on edge-1 failed: the engine did not answer; the ledger keeps it "
                            "for `drillbit chaos recover`")


def ev(t: float, kind: str, subject: str = SCENARIO, actor: str = "system", **data) -> Event:
    return Event(t=t, kind=kind, actor=actor, subject=subject, data=data)


def live_timeline(*, ack: float = 120.0, end: str = "resolved", upto: float | None = None) -> Timeline:
    """A game day: the CPU hog at 0s, the probe failing from 5s (impact), an alert at
    65s (TTD 60s), a page at 66s acknowledged at ``ack`` (TTA = ack - 66s), mitigation
    at 605s (TTM 10m), the fault restored at 600s and recovery at 905s (TTR 15m)."""
    events = [
        ev(0, "drill_started", severity="P0", scenario_kind="outage", team="payments-sre", timezone="Europe/Berlin",
           local="10:00"),
        ev(0, "fault_applied", "edge-1", "fault-0", fault="cpu-hog", service="edge", impact="outage"),
        ev(5, "impact_started", "edge", "probe:edge", fault="cpu-hog", service="edge", impact="outage"),
        ev(65, "alert_fired", "EdgeHttp5xxHigh", "monitoring", alert="EdgeHttp5xxHigh", severity="P0", service="edge-proxy"),
        ev(65, "detected", "EdgeHttp5xxHigh", "monitoring", via="alert", alert="EdgeHttp5xxHigh", fallback=False),
        ev(66, "page_sent", "amara", "paging", page=1, to="amara", purpose="incident", policy="P0", level=1,
           timezone="Europe/Berlin", period="working"),
        ev(ack, "acknowledged", "amara", "amara", by="amara", page=1, page_t=66, purpose="incident"),
        ev(ack + 10, "responder_engaged", "amara", "amara", by="amara", role="responder"),
        ev(ack + 20, "status_update", SCENARIO, "amara", phase="investigating", public=True, n=1),
        ev(600, "fault_restored", "edge-1", "fault-0", fault="cpu-hog", service="edge"),
        ev(605, "mitigated", SCENARIO, "amara", how="improvised"),
        ev(905, "recovered", SCENARIO, "probe:edge"),
        ev(950, "resolved", SCENARIO, "amara"),
        ev(950, "status_update", SCENARIO, "amara", phase="resolved", public=True, n=2),
    ]
    events.sort(key=lambda e: e.t)
    if upto is not None:
        events = [e for e in events if e.t <= upto]
    last = events[-1].t
    events.append(ev(last, "drill_ended", reason=end))
    return Timeline(scenario=SCENARIO, mode="live", seed=5, run=None, started_at=START, team="payments-sre",
                    events=tuple(events))


class Box:
    """A container as a plan names it."""

    def __init__(self, name: str):
        self.name, self.id, self.image, self.host, self.matched = name, "abc123", "drillbit-busybox:test", "local", {}


class FakePlan:
    def __init__(self, unlabelled: tuple[str, ...] = ()):
        self.faults = ()
        self.probes = ("edge",)
        self.guards = ()
        self.containers = (Box("edge-1"),)
        self.unlabelled = tuple(Box(n) for n in unlabelled)

    def lines(self) -> list[str]:
        return ["cpu-hog on edge at +0s for 10m: edge-1", "probes: edge"]


class Script:
    """What the fakes do and what they were asked."""

    def __init__(self):
        self.timeline = live_timeline()
        self.behaviour = "run"  # run | interrupt | steady | restore-failed
        self.plan_error: Exception | None = None
        self.unlabelled: tuple[str, ...] = ()
        self.calls: list[tuple] = []
        self.gamedays: list["FakeGameDay"] = []


@pytest.fixture
def script(monkeypatch):
    s = Script()

    class Game(FakeGameDay):
        pass

    Game.script = s
    monkeypatch.setattr("chaos.gameday.GameDay", Game)

    class Receiver:
        def __init__(self, gameday, *, host="127.0.0.1", port=9095):
            s.calls.append(("receiver", port))
            self.token = "tok"
            self.url = RECEIVER_URL

        def start(self):
            s.calls.append(("receiver.start",))
            return self.url

        def stop(self):
            s.calls.append(("receiver.stop",))

    state = types.ModuleType("drillbit.gameday_state")
    state.write_state = lambda **kw: s.calls.append(("write_state", kw))
    state.clear_state = lambda: s.calls.append(("clear_state",))
    receiver = types.ModuleType("drillbit.receiver")
    receiver.Receiver = Receiver
    class LiveConsole:
        """Records how it was opened; in plain mode one line per event on its console."""

        def __init__(self, gameday, *, keys, console=None, names=None, plain=None):
            s.calls.append(("console", {"keys": keys, "plain": plain, "stderr": console.stderr}))
            self.gameday, self.console, self.plain = gameday, console, plain

        def __enter__(self):
            s.calls.append(("console.open",))
            if self.plain:
                self.gameday.subscribe(on_event=lambda e: self.console.print(f"event {e.kind}"))
            return self

        def __exit__(self, *exc):
            s.calls.append(("console.close",))

    console = types.ModuleType("drillbit.live_console")
    console.LiveConsole = LiveConsole
    stack_model = types.ModuleType("scenarios.stack")
    stack_model.load_stack = lambda path: s.calls.append(("load_stack", Path(path))) or ("stack", Path(path))
    stack_run = types.ModuleType("chaos.stack")
    stack_run.bring_up = lambda stack, base, *, env: s.calls.append(("bring_up", stack, Path(base), env)) or []
    stack_run.tear_down = lambda stack: s.calls.append(("tear_down", stack))
    for name, module in (("drillbit.gameday_state", state), ("drillbit.receiver", receiver),
                         ("drillbit.live_console", console), ("scenarios.stack", stack_model),
                         ("chaos.stack", stack_run)):
        monkeypatch.setitem(sys.modules, name, module)
    return s


class FakeGameDay:
    script: Script

    def __init__(self, scenario, team, *, seed, ledger, allow_unlabelled=None, started_at=None):
        self.script.gamedays.append(self)
        self.args = {"scenario": scenario.id, "team": team.team, "seed": seed, "ledger": ledger,
                     "allow_unlabelled": allow_unlabelled}
        self.on_event = []
        self.results: list[ProbeResult] = []
        self.recorded: Timeline | None = None
        self.started = None

    def plan(self):
        self.script.calls.append(("plan",))
        if self.script.plan_error is not None:
            raise self.script.plan_error
        return FakePlan(self.script.unlabelled)

    def subscribe(self, on_event=None, on_probe=None, on_fault=None):
        if on_event:
            self.on_event.append(on_event)

    def probe_results(self):
        return list(self.results)

    def timeline(self):
        assert self.recorded is not None
        return self.recorded

    def run(self):
        self.script.calls.append(("run",))
        if self.script.behaviour == "steady":
            raise SteadyStateError("steady state: probe edge failed before the first fault (HTTP 502)")
        self.started = time.monotonic()
        self.results.append(ProbeResult(True, self.started - 2.0, 0.01, "200 OK", "edge"))  # steady state
        for e in self.script.timeline.events:
            for f in self.on_event:
                f(e)
        self.results.append(ProbeResult(False, self.started + 5.0, 2.0, "timed out", "edge"))
        self.recorded = self.script.timeline
        if self.script.behaviour == "interrupt":
            raise KeyboardInterrupt
        if self.script.behaviour == "restore-failed":
            raise RESTORE_FAILED
        return self.recorded


@pytest.fixture
def run(cli, tmp_path, monkeypatch):
    """``run(*args)`` -> (code, out, err) of ``drillbit gameday`` with a log and folder of the test's own."""
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "log.db"

    def go(*args: str, scenario: str = SCENARIO) -> tuple[int, str, str]:
        runs = () if "--no-predict" in args else ("--predict-runs", "20")
        return cli("gameday", scenario, "--db", f"sqlite:///{db}", "--seed", "5", *runs, "--port", "0",
                   "--out", str(tmp_path / "day"), *args)

    return go


def _summary(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "day" / "summary.json").read_text())


def _runs_logged(tmp_path: Path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "log.db") as conn:
        return conn.execute("SELECT scenario, mode, runs FROM drill_runs").fetchall()


def test_a_game_day_that_meets_its_objectives_writes_everything_and_exits_0(run, script, tmp_path):
    code, out, err = run()
    assert code == 0, err
    day = tmp_path / "day"
    assert list(read_jsonl(day / "timeline.jsonl")) == [script.timeline]
    manifest = json.loads((day / "drill.json").read_text())
    assert (manifest["state"], manifest["timelines"], manifest["runs_written"]) == ("complete", "timeline.jsonl", 1)
    probes = [json.loads(line) for line in (day / "probes.jsonl").read_text().splitlines()]
    assert [(p["probe"], p["ok"], p["detail"]) for p in probes] == [("edge", True, "200 OK"), ("edge", False, "timed out")]
    # Seconds since drill_started: the steady-state result 2s before it, the failing one 5s after.
    assert probes[0]["t"] == pytest.approx(-2.0, abs=0.05) and probes[1]["t"] == pytest.approx(5.0, abs=0.05)
    doc = _summary(tmp_path)
    values = {o["metric"]: o["value"] for o in doc["objectives"] if o["source"] == "scenario"}
    assert values == {"ttd": 60.0, "tta": 54.0, "first_update": 75.0, "ttm": 600.0, "ttr": 900.0}
    assert doc["objectives_missed"] == 0 and doc["drill"]["state"] == "complete"
    assert "prediction" in doc and doc["prediction"]["runs"] == 20 and doc["prediction"]["seed"] == 5
    measured = {m["metric"]: m["measured"] for m in doc["prediction"]["metrics"]}
    assert (measured["ttd"], measured["tta"], measured["ttr"]) == (60.0, 54.0, 900.0)
    html, md = (day / "scorecard.html").read_text(), (day / "scorecard.md").read_text()
    for text in (html, md):
        assert "Prediction and measure" in text and "Faults applied and restored" in text
    assert _runs_logged(tmp_path) == [(SCENARIO, "live", 1)]
    assert ("receiver", 0) in script.calls and ("write_state", {"url": RECEIVER_URL, "token": "tok",
                                                               "pid": script.calls[2][1]["pid"], "scenario": SCENARIO,
                                                               "started": script.calls[2][1]["started"]}) in script.calls
    # The receiver, the state file and the runner each in turn; the receiver stops and the state goes at the end.
    order = [c[0] for c in script.calls]
    assert order.index("write_state") < order.index("plan") < order.index("run") < order.index("clear_state")
    assert "receiver.stop" in order
    assert "predicting with 20 simulated runs" in err
    assert "prediction (20 simulated runs, seed 5) and measure" in out
    # Not a terminal: plain lines on stderr (stdout keeps the result), no keys; the console closes after the run.
    assert ("console", {"keys": False, "plain": True, "stderr": True}) in script.calls
    assert order.index("console.open") < order.index("run") < order.index("console.close")
    assert "event alert_fired" in err and "event alert_fired" not in out


def test_a_missed_objective_exits_1_and_is_still_recorded(run, script, tmp_path):
    script.timeline = live_timeline(ack=466.0)  # TTA 400s, over the 5m objective
    code, _, err = run()
    assert code == 1, err
    doc = _summary(tmp_path)
    tta = next(o for o in doc["objectives"] if o["key"] == "acknowledge")
    assert (tta["status"], tta["value"]) == ("missed", 400.0)
    assert _runs_logged(tmp_path) == [(SCENARIO, "live", 1)]


def test_an_aborted_game_day_exits_1_even_when_its_objectives_were_met(run, script, tmp_path):
    script.timeline = live_timeline(end="aborted")
    code, _, err = run()
    assert code == 1, err
    doc = _summary(tmp_path)
    assert doc["objectives_missed"] == 0
    assert any("aborted: a guard probe failed" in n for n in doc["notes"])


def test_ctrl_c_writes_what_was_recorded_restores_and_exits_130(run, script, tmp_path):
    script.timeline = live_timeline(upto=300, end="interrupted")
    script.behaviour = "interrupt"
    code, _, err = run()
    assert code == 130, err
    assert err.strip().endswith("interrupted")
    assert list(read_jsonl(tmp_path / "day" / "timeline.jsonl")) == [script.timeline]
    doc = _summary(tmp_path)
    assert doc["drill"]["state"] == "interrupted"
    assert any("ended early" in n and "Ctrl-C" in n for n in doc["notes"])
    assert json.loads((tmp_path / "day" / "drill.json").read_text())["state"] == "interrupted"
    assert _runs_logged(tmp_path) == [(SCENARIO, "live", 1)]
    assert ("receiver.stop",) in script.calls and ("clear_state",) in script.calls


def test_steady_state_refused_exits_1_touching_and_writing_nothing(run, script, tmp_path):
    script.behaviour = "steady"
    code, _, err = run()
    assert code == 1
    assert "steady state: probe edge failed" in err
    assert not (tmp_path / "day").exists()  # the folder it made is gone again, nothing in it
    assert ("clear_state",) in script.calls and ("receiver.stop",) in script.calls


def test_a_scenario_without_a_live_section_exits_2_with_a_fix(run, script):
    code, _, err = run(scenario=NO_LIVE)
    assert code == 2
    assert f"scenario '{NO_LIVE}' has no 'live' section" in err and f"drillbit simulate {NO_LIVE}" in err
    assert script.gamedays == [] and script.calls == []


def test_json_prints_the_summary_json_document(run, script, tmp_path):
    code, out, err = run("--json")
    assert code == 0, err
    printed = json.loads(out)
    assert printed == _summary(tmp_path)
    assert printed["version"] == 1 and printed["runs"] == 1 and "prediction" in printed


def test_dry_run_prints_the_plan_and_stops_before_anything_runs(run, script, tmp_path):
    code, out, err = run("--dry-run", "--allow-unlabelled")
    assert code == 0, err
    assert "cpu-hog on edge at +0s for 10m: edge-1" in out and "dry run: nothing was touched" in out
    assert [c[0] for c in script.calls] == ["plan"]
    assert script.gamedays[0].args["allow_unlabelled"] is True and script.gamedays[0].args["seed"] == 5
    assert not (tmp_path / "day").exists()


def test_without_the_flag_the_scenario_decides_about_unlabelled_containers_and_the_report_names_them(run, script, tmp_path):
    script.unlabelled = ("edge-2", "edge-1")
    code, _, err = run()
    assert code == 0, err
    assert script.gamedays[0].args["allow_unlabelled"] is None
    assert "touched containers without drillbit.chaos=allow: edge-1, edge-2" in _summary(tmp_path)["notes"]
    assert "touched containers without drillbit.chaos=allow: edge-1, edge-2" in (tmp_path / "day" / "scorecard.md").read_text()


def test_no_predict_leaves_the_prediction_out_and_excludes_predict_runs(run, script, tmp_path, cli):
    code, _, err = run("--no-predict")
    assert code == 0, err
    assert "prediction" not in _summary(tmp_path)
    assert "Prediction and measure" not in (tmp_path / "day" / "scorecard.md").read_text()
    code, _, err = cli("gameday", SCENARIO, "--no-predict", "--predict-runs", "5")
    assert code == 2 and "--predict-runs" in err


def _with_stack(tmp_path: Path) -> Path:
    text = find_builtin(SCENARIO).read_text(encoding="utf-8").replace("\nlive:\n", "\nlive:\n  stack: stack/stack.yaml\n")
    folder = tmp_path / "scenarios"
    folder.mkdir()
    path = folder / "edge.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_stack_comes_up_beside_the_receiver_and_goes_down_at_the_end(run, script, tmp_path):
    path = _with_stack(tmp_path)
    code, _, err = run(scenario=str(path))
    assert code == 0, err
    stack_file = path.parent / "stack" / "stack.yaml"
    assert ("load_stack", stack_file) in script.calls
    assert ("bring_up", ("stack", stack_file), stack_file.parent, {"DRILLBIT_RECEIVER": RECEIVER_URL}) in script.calls
    order = [c[0] for c in script.calls]
    assert order.index("receiver.start") < order.index("bring_up") < order.index("plan") < order.index("run")
    assert order.index("run") < order.index("tear_down")


def test_keep_stack_leaves_it_up_and_ctrl_c_tears_it_down(run, script, tmp_path):
    path = _with_stack(tmp_path)
    code, _, err = run("--keep-stack", scenario=str(path))
    assert code == 0, err
    assert "tear_down" not in [c[0] for c in script.calls]
    script.calls.clear()
    script.behaviour = "interrupt"
    script.timeline = live_timeline(upto=100, end="interrupted")
    code, _, err = run("--force", scenario=str(path))
    assert code == 130, err
    assert "tear_down" in [c[0] for c in script.calls]


def test_drillbit_score_reads_the_game_days_folder_with_its_own_inputs(run, script, tmp_path, cli):
    code, _, err = run()
    assert code == 0, err
    code, out, err = cli("score", str(tmp_path / "day" / "timeline.jsonl"), "--json")
    assert code == 0, err
    again, own = json.loads(out), _summary(tmp_path)
    assert again["inputs"] == own["inputs"] and again["objectives"] == own["objectives"]
    assert "note:" not in err  # scored with the drill's own scenario and team, nothing to say


def test_a_failed_restore_still_writes_and_records_the_game_day_then_says_so(run, script, tmp_path):
    script.behaviour = "restore-failed"
    code, _, err = run()
    assert code == RESTORE_FAILED.exit_code
    assert "restoring pause on edge-1 failed" in err
    doc = _summary(tmp_path)
    assert doc["drill"]["state"] == "failed"
    assert f"the game day failed: {RESTORE_FAILED}" in doc["notes"]
    assert json.loads((tmp_path / "day" / "drill.json").read_text())["state"] == "failed"
    assert _runs_logged(tmp_path) == [(SCENARIO, "live", 1)]


def test_a_plan_refused_after_the_stack_came_up_tears_it_down_and_exits_2(run, script, tmp_path):
    script.plan_error = EngineError("target 'edge' matches no running container")
    code, _, err = run(scenario=str(_with_stack(tmp_path)))
    assert code == 2 and "matches no running container" in err
    order = [c[0] for c in script.calls]
    assert "run" not in order and {"tear_down", "clear_state", "receiver.stop"} <= set(order)
    assert not (tmp_path / "day").exists()


def test_a_refused_game_day_leaves_a_folder_it_did_not_make(run, script, tmp_path):
    (tmp_path / "day").mkdir()
    script.plan_error = EngineError("target 'edge' matches no running container")
    code, _, _ = run()
    assert code == 2 and (tmp_path / "day").is_dir()
