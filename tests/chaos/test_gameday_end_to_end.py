"""A whole game day as a user runs it: `drillbit gameday` against the example stack
(examples/live/stack.yaml), an Alertmanager webhook and `drillbit mark` from other
processes, and the timeline's TTD and TTR compared with what an independent poller of
the service saw, within one probe interval."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from scenarios.timeline import Timeline

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "examples" / "live" / "stack.yaml"
HEALTH = "http://127.0.0.1:18080/health"
#: The game day's probe interval: the bound every measured time must meet.
EVERY = 0.2
#: How often the test's own poller looks (its own error adds to the bound).
POLL = 0.05

SCENARIO = """\
id: e2e-api-stopped
title: The example api stops for a few seconds
kind: outage
severity: P1
summary: The api container of the example stack is stopped and started again.
services: [api]
injects:
  - at: 0s
    fault: {{kind: crash, service: api, impact: outage}}
monitoring:
  - {{alert: ApiDown, signal: api.health_failures, above: 2, every: 1s, severity: P1, service: api}}
diagnosis:
  means: The team sees the api container stopped.
  improvised: {{median: 1m, p90: 3m}}
mitigation:
  means: The api answers again.
  improvised: {{median: 1m, p90: 3m}}
recovery:
  means: The health probe passes.
  after_mitigation: {{median: 1m, p90: 3m}}
objectives: {{detect: 1m, acknowledge: 5m, mitigate: 10m, recover: 15m}}
live:
  stack: {stack}
  end: resolved
  limit: 2m
  healthy_for: 1s
  targets:
    api: {{project: drillbit-example, service: api}}
  faults:
    - {{at: 2s, kind: stop, target: api, duration: 4s, grace: 0s}}
  probes:
    - {{name: api-health, http: "{health}", every: 200ms, timeout: 1s}}
"""


class Poller:
    """Polls the api's health every POLL seconds on its own, each check on its own
    thread (so one hung while the api starts does not blind it), and remembers the
    outage: when the first failing check went out, and when the first healthy check
    after it answered."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, float, bool]] = []  # (sent, answered, ok), wall clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _check(self) -> None:
        sent = time.time()
        try:
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(HEALTH, timeout=2) as r:
                ok = r.status == 200
        except OSError:
            ok = False
        self.seen.append((sent, time.time(), ok))

    def _run(self) -> None:
        while not self._stop.is_set():
            at = time.time()
            threading.Thread(target=self._check, daemon=True).start()
            self._stop.wait(max(0.0, at + POLL - time.time()))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def outage(self) -> tuple[float | None, float | None]:
        """(when the first failing check after a healthy one went out, when the first
        healthy check sent after that answered)."""
        seen = sorted(self.seen)
        up_before, down = False, None
        for sent, _, ok in seen:
            if ok and down is None:
                up_before = True
            elif not ok and up_before:
                down = sent
                break
        if down is None:
            return None, None
        answers = [answered for sent, answered, ok in seen if ok and sent > down]
        return down, min(answers) if answers else None

    def failures_since(self, since: float) -> int:
        return sum(1 for sent, _, ok in list(self.seen) if sent >= since and not ok)


def _wait(what: str, ready, proc: subprocess.Popen, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"drillbit gameday exited ({proc.returncode}) while waiting for {what}:\n"
                        f"{proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def _answers() -> bool:
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(HEALTH, timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def _webhook(status: str) -> bytes:
    """An Alertmanager webhook (version 4) as its documentation gives it."""
    now = datetime.now().astimezone().isoformat()
    alert = {"status": status, "labels": {"alertname": "ApiDown", "severity": "P1", "service": "api"},
             "annotations": {"summary": "api /health failing"}, "startsAt": now,
             "endsAt": now if status == "resolved" else "0001-01-01T00:00:00Z",
             "generatorURL": "http://prometheus.local/graph", "fingerprint": "5b1d0b6c0e1f2a3b"}
    return json.dumps({"version": "4", "groupKey": "{}:{alertname=\"ApiDown\"}", "truncatedAlerts": 0,
                       "status": status, "receiver": "drillbit", "groupLabels": {"alertname": "ApiDown"},
                       "commonLabels": alert["labels"], "commonAnnotations": alert["annotations"],
                       "externalURL": "http://alertmanager.local", "alerts": [alert]}).encode()


def _post(url: str, body: bytes) -> None:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=5) as r:
        assert r.status == 200


def test_a_game_day_measures_what_an_independent_poller_saw(tmp_path, docker_client, image):
    home = tmp_path / "home"
    home.mkdir()
    scenario = tmp_path / "e2e.yaml"
    scenario.write_text(SCENARIO.format(stack=STACK, health=HEALTH), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRILLBIT_", "XDG_"))}
    env.update(HOME=str(home), PYTHONUNBUFFERED="1")
    drillbit = [sys.executable, "-m", "drillbit"]
    out = tmp_path / "out"
    poller = Poller()
    proc = subprocess.Popen([*drillbit, "gameday", str(scenario), "--team", str(ROOT / "examples" / "team.yaml"),
                             "--port", "0", "--no-console", "--predict-runs", "20", "--out", str(out)],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    state_file = home / ".local" / "state" / "drillbit" / "gameday.json"
    try:
        state = _wait("the game day's state file", lambda: state_file.exists() and json.loads(state_file.read_text()),
                      proc, timeout=180)
        _wait("the api to answer", _answers, proc, timeout=180)
        poller.start()
        down = _wait("the api to stop", lambda: poller.outage()[0], proc)
        # An alert rule that waits for a second of failures, as monitoring does.
        _wait("a second of failed checks", lambda: poller.failures_since(down) >= 1 / POLL, proc)
        alerted = time.time()
        _post(state["url"].rstrip("/") + "/alertmanager", _webhook("firing"))
        marked = subprocess.run([*drillbit, "mark", "ack"], env=env, capture_output=True, text=True, timeout=60)
        assert marked.returncode == 0, marked.stdout + marked.stderr
        _wait("the api to answer again", lambda: poller.outage()[1], proc)
        time.sleep(1.5)  # the game day's healthy_for, and a little more
        _post(state["url"].rstrip("/") + "/alertmanager", _webhook("resolved"))
        for kind in ("mitigated", "resolved"):
            marked = subprocess.run([*drillbit, "mark", kind], env=env, capture_output=True, text=True, timeout=60)
            assert marked.returncode == 0, marked.stdout + marked.stderr
        output, _ = proc.communicate(timeout=120)
    finally:
        poller.stop()
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=60)
    assert proc.returncode in (0, 1), output

    down, up = poller.outage()
    assert down is not None and up is not None
    (line,) = (out / "timeline.jsonl").read_text(encoding="utf-8").splitlines()
    tl = Timeline.from_json_line(line)
    assert tl.mode == "live"
    start = tl.started_at.timestamp()
    ms = tl.milestones()
    bound = EVERY + POLL
    # Impact: the game day's first failing probe, against the poller's first failure.
    assert abs(start + ms["impact"] - down) <= bound, (start + ms["impact"] - down, output)
    # TTD: from that impact to the webhook this test sent.
    ttd = ms["detected"] - ms["impact"]
    assert abs(ttd - (alerted - down)) <= bound, (ttd, alerted - down)
    # TTR: recovery is the start of the healthy stretch, the poller's first success.
    ttr = ms["recovered"] - ms["impact"]
    assert abs(ttr - (up - down)) <= bound, (ttr, up - down)
    assert ms["acknowledged"] is not None and ms["mitigated"] is not None and ms["resolved"] is not None

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["metrics"]["ttd"]["median"] == pytest.approx(ttd, abs=0.001)
    assert summary["prediction"] is not None
    assert (out / "probes.jsonl").stat().st_size > 0
    # Nothing is left: no fault in the ledger, no container of the stack.
    status = subprocess.run([*drillbit, "chaos", "status", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(status.stdout)["faults"] == []
    assert docker_client.containers.list(all=True, filters={"label": "com.docker.compose.project=drillbit-example"}) == []
    # The incident log holds it as a live drill.
    logged = subprocess.run([*drillbit, "log", "list", "runs", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert logged.returncode == 0, logged.stderr
    assert "e2e-api-stopped" in logged.stdout
