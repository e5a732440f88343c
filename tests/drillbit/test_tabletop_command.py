"""``drillbit tabletop``: a script played through headless and scored against a hand
calculation, a real console driven over HTTP to the end, a drill killed mid-way and
resumed without losing anything, damaged journals, and the command as a newcomer
types it."""

from __future__ import annotations

import json
import math
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from scenarios import load_scenario
from scenarios.loader import find_builtin
from scenarios.timeline import Timeline

SCENARIO = "config-push-global-outage"
START = "2026-12-01T10:00:00+00:00"  # a Tuesday, 11:00 in Berlin: the primary rotation is awake
BASE = ("--no-log", "--no-predict", "--seed", "1", "--start", START)

# Ack at 4m, first update at 8m, diagnosed at 15m, mitigated at 20m, recovered at 40m, resolved at 41m.
SCRIPT = """\
tabletop-script: 1
actions:
  - {at: 0s, action: start}
  - {at: 4m, action: acknowledge}
  - {at: 5m, action: note, text: "CPU is pinned on every edge machine at once"}
  - {at: 8m, action: update, phase: investigating, text: "Requests through our edge fail; we are on it"}
  - {at: 15m, action: diagnosed, text: "The WAF rules release of 10 seconds before impact"}
  - {at: 20m, action: mitigated, text: "WAF managed rules killed globally"}
  - {at: 30m, action: update, phase: monitoring, text: "Traffic is back; we are watching"}
  - {at: 40m, action: recovered}
  - {at: 41m, action: update, phase: resolved, text: "The rule is reverted and the WAF is back on"}
  - {at: 41m, action: resolved}
  - {at: 42m, action: end}
  - {at: 42m, action: hotwash, kind: strength, text: "We checked the deploy log before we debated an attack"}
  - {at: 42m, action: hotwash, kind: improvement, text: "Nobody knew where the break-glass credentials are"}
  - {at: 42m, action: finish}
"""


def alert_fires_at(rule, signal_at: float) -> float:
    """When a rule fires on a step signal at ``signal_at``, by the evaluator's tick rule
    (simulator/monitoring.py): the first tick at or after the signal, plus ``for``
    rounded up to whole ticks."""
    e = rule.every
    return math.ceil(signal_at / e) * e + math.ceil(rule.for_ / e) * e


def hand_detection() -> tuple[float, float]:
    """(impact start, detection) of SCENARIO from its YAML: the impact is the first fault
    with impact ``outage``; detection the earliest routed rule's firing."""
    sc = load_scenario(find_builtin(SCENARIO))
    impact = min(i.at for i in sc.injects if i.fault is not None and i.fault.impact != "none")
    signals = {i.signal.metric: i.at for i in sc.injects if i.signal is not None and i.signal.metric}
    fired = [alert_fires_at(r, signals[r.signal]) for r in sc.monitoring if r.routed and r.signal in signals]
    return impact, min(fired)


def run_headless(cli, tmp_path: Path, script: str = SCRIPT, *extra: str) -> tuple[int, str, str, Path]:
    (tmp_path / "script.yaml").write_text(script, encoding="utf-8")
    out = tmp_path / "drill"
    code, stdout, stderr = cli("tabletop", SCENARIO, "--script", str(tmp_path / "script.yaml"), "--headless",
                               "--out", str(out), *BASE, *extra)
    return code, stdout, stderr, out


def timeline_of(folder: Path) -> Timeline:
    return Timeline.from_json_line((folder / "timeline.jsonl").read_text(encoding="utf-8").strip())


def test_a_headless_script_gives_the_milestones_and_scores_of_a_hand_calculation(cli, tmp_path):
    code, stdout, stderr, out = run_headless(cli, tmp_path, SCRIPT, "--json")
    assert code == 0, stderr
    impact, detected = hand_detection()
    assert (impact, detected) == (10.0, 90.0)  # the 5xx signal at 30s, every 15s, for 1m; impact at 10s
    tl = timeline_of(out)
    assert tl.mode == "tabletop" and tl.started_at.isoformat() == START
    assert tl.milestone("detected") == detected
    assert tl.first("page_sent").t == detected  # the routed alert pages at once
    assert tl.first("acknowledged").t == 240.0
    assert tl.first("status_update").t == 480.0 and tl.first("status_update").payload.text.startswith("Requests")
    assert tl.first("mitigated").t == 1200.0 and tl.first("recovered").t == 2400.0
    assert tl.first("resolved").t == 2460.0
    summary = json.loads(stdout)
    assert summary == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    metrics = {name: m["median"] for name, m in summary["metrics"].items()}
    assert metrics["ttd"] == detected - impact
    assert metrics["tta"] == 240.0 - detected
    assert metrics["first_update"] == 480.0 - detected
    assert metrics["ttm"] == 1200.0 - impact and metrics["ttr"] == 2400.0 - impact
    assert [(h["kind"], h["text"][:14]) for h in summary["hotwash"]] == [
        ("strength", "We checked the"), ("improvement", "Nobody knew wh")]
    assert json.loads((out / "drill.json").read_text())["state"] == "complete"
    for name in ("scorecard.html", "scorecard.md", "after-action-report.md", "postmortem.md", "tabletop.jsonl"):
        assert (out / name).stat().st_size > 0, name
    assert "break-glass credentials" in (out / "after-action-report.md").read_text(encoding="utf-8")


def test_the_written_script_replays_the_same_drill(cli, tmp_path):
    from scenarios.tabletop import load_script

    (tmp_path / "first").mkdir()
    code, _, stderr, out = run_headless(cli, tmp_path / "first")
    assert code == 0, stderr
    original = load_script(_write(tmp_path / "given.yaml", SCRIPT))
    written = load_script(out / "script.yaml")
    assert [(t, a.model_dump()) for t, a in written] == [(t, a.model_dump()) for t, a in original]
    again = tmp_path / "again"
    code, _, stderr = cli("tabletop", SCENARIO, "--script", str(out / "script.yaml"), "--headless", "--out",
                          str(again), *BASE)
    assert code == 0, stderr
    assert timeline_of(again).to_json_line() == timeline_of(out).to_json_line()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_script_plays_through(cli, tmp_path, root):
    example = root / "examples" / "tabletop" / "config-push-global-outage.yaml"
    code, _, stderr = cli("tabletop", SCENARIO, "--script", str(example), "--headless", "--out", str(tmp_path / "d"),
                          *BASE)
    assert code == 0, stderr
    tl = timeline_of(tmp_path / "d")
    assert tl.first("acknowledged").t == 240.0 and tl.first("resolved").t == 57 * 60.0
    assert (tmp_path / "d" / "status-page.html").stat().st_size > 0


def test_a_missed_objective_exits_1(cli, tmp_path):
    late = SCRIPT.replace("  - {at: 4m, action: acknowledge}\n", "").replace(
        "  - {at: 8m, action: update", "  - {at: 7m, action: acknowledge}\n  - {at: 8m, action: update")  # objective 5m
    assert "7m, action: acknowledge" in late
    code, stdout, stderr, out = run_headless(cli, tmp_path, late)
    assert code == 1, stderr
    assert json.loads((out / "summary.json").read_text())["metrics"]["tta"]["median"] == 420.0 - 90.0


def test_a_script_with_mistakes_is_refused_before_anything_starts(cli, tmp_path):
    bad = SCRIPT.replace("action: acknowledge}", "action: acknowlege}")
    code, _, stderr, out = run_headless(cli, tmp_path, bad)
    assert code == 2 and "script.yaml:4:" in stderr and "acknowlege" in stderr
    assert "Traceback" not in stderr and not out.exists()


@pytest.mark.parametrize("args, words", [
    (("--headless",), "--headless plays a script through without the web console; add --script FILE"),
    (("--resume", "x", "--seed", "3"), "--resume continues the drill in its own folder"),
    ((), "name the scenario to play"),
])
def test_usage_mistakes_say_what_to_do(cli, args, words):
    code, _, stderr = cli("tabletop", *((SCENARIO,) if args and args[0] == "--headless" else ()), *args)
    assert code == 2 and words in " ".join(stderr.split())


def test_the_readme_command_helps_a_newcomer_in_an_empty_home(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-m", "drillbit", "tabletop", SCENARIO, "--help"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage: drillbit tabletop [OPTIONS] [SCENARIO]" in done.stdout
    for option in ("--script", "--headless", "--resume", "--speed", "--host", "--port"):
        assert option in done.stdout
    assert list(tmp_path.iterdir()) == []  # help writes nothing


# -- a real console, over HTTP -----------------------------------------------------------------
class Console:
    """``drillbit tabletop`` in a subprocess, and an HTTP client holding the facilitator's cookie."""

    def __init__(self, cwd: Path, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "drillbit", "tabletop", *args, "--port", "0"], cwd=cwd,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.err: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.facilitator = self._wait_for("facilitator: ").split()[1]
        self.team = self._wait_for("team: ").split()[1]
        base = self.facilitator.split("/facilitator")[0]
        self.client = httpx.Client(base_url=base, timeout=10.0)
        assert self.client.get(self.facilitator, follow_redirects=True).status_code == 200

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def _wait_for(self, prefix: str) -> str:
        while True:
            line = self.lines.get(timeout=60)
            if line is None:
                raise AssertionError("the command ended early: " + "".join(self.err))
            if line.startswith(prefix):
                return line

    def act(self, **doc: object) -> dict:
        r = self.client.post("/api/action?view=facilitator", json=doc)
        assert r.status_code == 200, r.text
        return r.json()["entry"]

    def wait(self) -> int:
        code = self.proc.wait(timeout=60)
        self._reader.join(timeout=10)
        return code

    def close(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


@pytest.fixture
def consoles():
    started: list[Console] = []

    def start(cwd: Path, *args: str) -> Console:
        c = Console(cwd, *args)
        started.append(c)
        return c

    yield start
    for c in started:
        c.close()


def test_a_served_drill_driven_over_http_to_the_end(consoles, tmp_path):
    c = consoles(tmp_path, SCENARIO, "--out", "drill", *BASE)
    assert c.team.endswith("/team")  # loopback: no room code
    c.act(action="start")
    c.act(action="escalate", to="amara")
    ack = c.act(action="acknowledge", by="amara")
    c.act(action="note", text="paged by hand while the alert is pending")
    c.act(action="severity", level="P2")
    rejected = c.client.post("/api/action", json={"action": "step", "runbook": "waf-global-kill-switch", "step": 2,
                                                  "ok": True})
    assert rejected.status_code == 422  # a step of a runbook nobody started: refused, nothing changed
    c.act(action="end")
    c.act(action="hotwash", kind="strength", text="escalated by hand without waiting")
    c.act(action="finish")
    assert c.wait() in (0, 1), "".join(c.err)
    out = tmp_path / "drill"
    tl = timeline_of(out)
    assert tl.first("acknowledged", by="amara").t == ack["t"]
    assert tl.first("note").payload.text == "paged by hand while the alert is pending"
    assert tl.first("severity_changed").payload.severity == "P2"
    assert tl.last("drill_ended") is not None
    assert json.loads((out / "drill.json").read_text())["state"] == "complete"
    journal = [json.loads(line) for line in (out / "tabletop.jsonl").read_text().splitlines()]
    kinds = [e["action"]["action"] for e in journal[1:] if "action" in e]
    assert kinds == ["start", "escalate", "acknowledge", "note", "severity", "end", "hotwash", "finish"]


def test_a_drill_killed_mid_way_resumes_with_nothing_lost(consoles, tmp_path):
    c = consoles(tmp_path, SCENARIO, "--out", "drill", *BASE)
    c.act(action="start")
    c.act(action="escalate", to="amara")
    c.act(action="acknowledge", by="amara")
    notes = [f"note {i} before the kill" for i in range(5)]
    for text in notes:
        c.act(action="note", text=text)
    c.act(action="severity", level="P2")
    c.proc.send_signal(signal.SIGKILL)
    c.wait()
    out = tmp_path / "drill"
    again = consoles(tmp_path, "--resume", "drill", "--no-log", "--no-predict")
    state = again.client.get("/api/state?view=facilitator").json()["state"]
    assert state["phase"] == "paused"
    again.act(action="resume")
    again.act(action="note", text="after the restart")
    again.act(action="end")
    again.act(action="finish")
    assert again.wait() in (0, 1), "".join(again.err)
    tl = timeline_of(out)
    room_notes = [e.payload.text for e in tl.find("note") if e.actor != "monitoring" and "kill" in e.payload.text
                  or e.payload.text == "after the restart"]
    assert room_notes == [*notes, "after the restart"]  # every note, in order, none twice
    assert tl.first("acknowledged", by="amara") is not None
    assert tl.first("severity_changed").payload.severity == "P2"
    assert json.loads((out / "drill.json").read_text())["state"] == "complete"


# -- resuming from damaged journals, and on other inputs ----------------------------------------
def test_a_torn_last_line_is_dropped_with_a_warning(cli, tmp_path):
    code, _, stderr, out = run_headless(cli, tmp_path)
    assert code == 0, stderr
    with open(out / "tabletop.jsonl", "ab") as f:
        f.write(b'{"n": 999, "t": 3000.0, "acti')
    code, _, stderr = cli("tabletop", "--resume", str(out), "--no-log", "--no-predict")
    assert code == 0, stderr
    assert "warning:" in stderr and "dropped a torn last line" in stderr
    assert b'"n": 999' not in (out / "tabletop.jsonl").read_bytes()  # cut off when the journal went on


def test_a_journal_damaged_in_the_middle_is_refused_with_file_and_line(cli, tmp_path):
    code, _, stderr, out = run_headless(cli, tmp_path)
    assert code == 0
    lines = (out / "tabletop.jsonl").read_bytes().split(b"\n")
    lines[2] = b"{not json"
    (out / "tabletop.jsonl").write_bytes(b"\n".join(lines))
    code, _, stderr = cli("tabletop", "--resume", str(out), "--no-log", "--no-predict")
    assert code == 2 and f"{out / 'tabletop.jsonl'}:3: not a JSON object" in stderr and "Traceback" not in stderr


def test_resuming_on_a_changed_team_file_is_refused(cli, tmp_path, example_team_path):
    team = tmp_path / "team.yaml"
    team.write_text(example_team_path.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, stderr, out = run_headless(cli, tmp_path, SCRIPT, "--team", str(team))
    assert code == 0, stderr
    team.write_text(team.read_text(encoding="utf-8") + "\n# edited since\n", encoding="utf-8")
    code, _, stderr = cli("tabletop", "--resume", str(out), "--no-log", "--no-predict")
    assert code == 2 and "cannot resume" in stderr and "is not the one the drill was played on" in stderr


def test_a_new_drill_refuses_a_folder_holding_one(cli, tmp_path):
    code, _, _, out = run_headless(cli, tmp_path)
    assert code == 0
    code, _, stderr = cli("tabletop", SCENARIO, "--out", str(out), *BASE)
    assert code == 2 and "already holds a drill" in stderr


def test_a_finished_drill_is_recorded_once_with_mode_tabletop(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    (tmp_path / "script.yaml").write_text(SCRIPT, encoding="utf-8")
    args = ("--no-predict", "--seed", "1", "--start", START, "--db", url)
    code, _, stderr = cli("tabletop", SCENARIO, "--script", str(tmp_path / "script.yaml"), "--headless", "--out",
                          str(tmp_path / "d"), *args)
    assert code == 0, stderr
    code, _, stderr = cli("tabletop", "--resume", str(tmp_path / "d"), "--no-predict", "--db", url)
    assert code == 0 and "already recorded" in stderr  # a finished drill resumed is written again, not recorded
    code, out, _ = cli("log", "--db", url, "list", "runs", "--json")
    runs = json.loads(out)["runs"]
    assert [(r["scenario"], r["mode"], r["seed"]) for r in runs] == [(SCENARIO, "tabletop", 1)]


def test_sigterm_writes_the_drill_as_interrupted_and_exits_143(consoles, tmp_path):
    c = consoles(tmp_path, SCENARIO, "--out", "drill", *BASE)
    c.act(action="start")
    c.act(action="note", text="before the signal")
    c.proc.send_signal(signal.SIGTERM)
    assert c.wait() == 143, "".join(c.err)
    manifest = json.loads((tmp_path / "drill" / "drill.json").read_text())
    assert manifest["state"] == "interrupted"
    summary = json.loads((tmp_path / "drill" / "summary.json").read_text())
    assert any("--resume" in note for note in summary["notes"])
    assert timeline_of(tmp_path / "drill").first("note").payload.text == "before the signal"


def test_a_port_in_use_is_refused_and_leaves_no_drill_behind(cli, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, stderr = cli("tabletop", SCENARIO, "--out", str(tmp_path / "d"), "--port", str(port), *BASE)
    assert code == 2 and str(port) in stderr and "Traceback" not in stderr
    assert not (tmp_path / "d").exists()  # the same command works once the port is free
