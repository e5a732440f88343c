"""A scheduled live game day for real: a workspace whose schedule has one gameday entry,
``drillbit schedule run-due --now`` at its due time against a running stack (the
example stack's api, examples/live/api) and a SQLite incident log. Checked on their
own: the game day's timeline shows the fault applied and restored, the container is
running and unpaused as it was before, the log holds one drill run whose reason names
the entry and its due time, and a second run-due at the same instant runs nothing."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from incidents import open_store
from incidents import schema as s
from incidents.schedule import list_claims
from scenarios.timeline import Timeline
from schedule_fixtures import TEAM

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
#: A stack name of its own, so a game day elsewhere on this engine (the example
#: stack's drillbit-example) is never touched, nor touches this one.
STACK_NAME = "t-sched-gameday"
SCENARIO_ID = "sched-api-paused"
# 2027-01-12 is a Tuesday: the entry is due at 14:00 UTC, and run-due looks at 14:01.
NOW = "2027-01-12T14:01:00+00:00"
DUE = "2027-01-12T14:00:00+00:00"

STACK = """\
stack: {name}
services:
  api:
    build: api
    command: [httpd, -f, -p, "8080", -h, /www]
    ports: {{"{port}": 8080}}
    labels: {{app: api}}
    chaos: true
    healthcheck: {{command: "timeout 2 wget -q -O /dev/null http://127.0.0.1:8080/health", every: 1s}}
"""

# One short fault: the api is frozen (docker pause) for 2s, one second in.
SCENARIO = """\
id: {id}
title: The api freezes for two seconds
kind: outage
severity: P1
summary: The api container is paused for two seconds and unpaused again.
services: [api]
injects:
  - at: 0s
    fault: {{kind: crash, service: api, impact: outage}}
diagnosis:
  means: The team sees the api container paused in `docker ps`.
  improvised: {{median: 30s, p90: 2m}}
mitigation:
  means: docker unpause, if the game day has not done it already.
  improvised: {{median: 20s, p90: 1m}}
recovery:
  means: /health answers ok again.
  after_mitigation: {{median: 5s, p90: 30s}}
objectives: {{detect: 30s, acknowledge: 2m, mitigate: 5m, recover: 10m}}
live:
  end: recovered
  limit: 40s
  healthy_for: 1s
  targets:
    api: {{project: {name}, service: api}}
  faults:
    - {{at: 1s, kind: pause, target: api, duration: 2s}}
  probes:
    - {{name: api-health, http: "http://127.0.0.1:{port}/health", body: ok, every: 200ms, timeout: 500ms}}
"""

WORKSPACE = """\
workspace: scheduled-live
incident_log: sqlite:///incidents.db
schedule:
  - id: weekly-live
    cron: "0 14 * * Tue"
    timezone: UTC
    mode: gameday
    scenario: {id}
"""


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs a Docker engine and a static busybox for the live schedule test: {why}")
    pytest.skip(why)


@pytest.fixture
def engine():
    """The local engine's client; the stack's images need this machine's static busybox."""
    from chaos.engine import connect
    from chaos.errors import EngineError
    from chaos.stack import BusyboxError, find_busybox

    try:
        client = connect()
        find_busybox()
    except (EngineError, BusyboxError) as exc:
        _unavailable(str(exc))
    return client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _drillbit(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The installed command, as a user runs it in a folder (``python -m`` would put the
    folder first on sys.path, and the workspace's scenarios/ folder would shadow drillbit's)."""
    return subprocess.run([str(Path(sys.executable).with_name("drillbit")), *args], cwd=cwd, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout)


def _answers(url: str) -> bool:
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=1) as r:
            return r.status == 200 and b"ok" in r.read()
    except OSError:
        return False


def _drill_runs(url: str) -> list:
    store, _ = open_store(url)
    try:
        return store.read(lambda c: c.execute(s.drill_runs.select().order_by(s.drill_runs.c.id)).all())
    finally:
        store.close()


def test_a_scheduled_game_day_runs_once_against_a_real_stack(engine, tmp_path):
    port = _free_port()
    ws = tmp_path / "ws"
    (ws / "scenarios").mkdir(parents=True)
    (ws / "team.yaml").write_text(TEAM, encoding="utf-8")
    (ws / "drillbit.yaml").write_text(WORKSPACE.format(id=SCENARIO_ID), encoding="utf-8")
    (ws / "scenarios" / f"{SCENARIO_ID}.yaml").write_text(SCENARIO.format(id=SCENARIO_ID, name=STACK_NAME, port=port),
                                                          encoding="utf-8")
    stack_dir = tmp_path / "stack"
    shutil.copytree(ROOT / "examples" / "live" / "api", stack_dir / "api")
    stack = stack_dir / "stack.yaml"
    stack.write_text(STACK.format(name=STACK_NAME, port=port), encoding="utf-8")
    db = f"sqlite:///{ws / 'incidents.db'}"
    health = f"http://127.0.0.1:{port}/health"

    up = _drillbit("stack", "up", str(stack), cwd=tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        container = f"{STACK_NAME}-api-1"
        before = engine.api.inspect_container(container)["State"]
        assert before["Running"] and not before["Paused"]
        assert _answers(health)

        started = time.monotonic()
        first = _drillbit("schedule", "run-due", "--now", NOW, "--db", db, "--json", cwd=ws)
        took = time.monotonic() - started
        assert first.returncode in (0, 1), first.stderr  # 1: the game day missed an objective
        (ran,) = json.loads(first.stdout)["ran"]
        assert (ran["entry"], ran["due"], ran["mode"], ran["scenario"], ran["state"]) == (
            "weekly-live", DUE, "gameday", SCENARIO_ID, "done"), ran
        assert ran["drill_run_id"] is not None, ran["outcome"]  # the game day said it recorded its run
        assert first.returncode == (1 if ran["missed_objectives"] else 0)
        # It played on the fault's clock: 1s before the fault, 2s of it, within the 40s limit.
        assert 3.0 <= took < 40.0 + 30.0, took

        # The game day ran: its folder (beside the workspace's drillbit.yaml) has the timeline.
        (folder,) = ws.glob(f"gameday-{SCENARIO_ID}-*")
        (line,) = (folder / "timeline.jsonl").read_text(encoding="utf-8").splitlines()
        timeline = Timeline.from_json_line(line)
        kinds = [e.kind for e in timeline.events]
        assert kinds.count("fault_applied") == 1 and kinds.count("fault_restored") == 1, kinds
        applied, restored = timeline.first("fault_applied"), timeline.first("fault_restored")
        assert (applied.subject, restored.subject) == ("api", "api")
        assert restored.t - applied.t == pytest.approx(2.0, abs=0.5)
        assert str(timeline.last("drill_ended").payload.reason) == "recovered"

        # Every fault restored: the same container, never restarted, running and not paused.
        after = engine.api.inspect_container(container)["State"]
        assert after["Running"] and not after["Paused"] and after["Status"] == "running"
        assert after["StartedAt"] == before["StartedAt"]
        assert _answers(health)
        status = _drillbit("chaos", "status", "--json", cwd=ws)
        assert status.returncode == 0 and json.loads(status.stdout)["faults"] == [], status.stdout + status.stderr

        # The incident log: one drill run, live, with the schedule's reason naming the entry and due time.
        (run,) = _drill_runs(db)
        assert (run.id, run.scenario, run.mode) == (ran["drill_run_id"], SCENARIO_ID, "live")
        assert run.schedule_reason.startswith(f"entry 'weekly-live' due {DUE} (cron '0 14 * * Tue' in UTC)"), \
            run.schedule_reason
        store, _ = open_store(db)
        try:
            (claim,) = list_claims(store)
        finally:
            store.close()
        assert (claim.entry, claim.state, claim.drill_run_id) == ("weekly-live", "done", run.id)

        # A second look at the same instant runs nothing, and plays no second game day.
        again = _drillbit("schedule", "run-due", "--now", NOW, "--db", db, "--json", cwd=ws)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["ran"] == []
        assert len(_drill_runs(db)) == 1 and len(list(ws.glob(f"gameday-{SCENARIO_ID}-*"))) == 1
    finally:
        down = _drillbit("stack", "down", str(stack), cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert engine.containers.list(all=True, filters={"label": f"drillbit.stack={STACK_NAME}"}) == []
