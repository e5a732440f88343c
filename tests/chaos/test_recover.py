"""After the runner dies by SIGKILL mid-fault, `recover` — and, by itself, the watchdog
the runner started — restore every fault, as the engine shows. Held faults are restored
on Ctrl-C and SIGTERM."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chaos.faults import FAULTS
from chaos.ledger import RESTORED, Ledger
from chaos.session import Terminated, held_faults, recover, sigterm_raises
from chaos.watchdog import runner_alive, start_watchdog

pytestmark = pytest.mark.docker

RUNNER = Path(__file__).with_name("crash_runner.py")
GRACEFUL = "trap 'exit 0' TERM; while :; do sleep 0.1; done"
WITH_CHILD = "httpd -f -p 8080 & while :; do sleep 0.1; done"
MiB = 1024 * 1024

#: kind -> (container command, run options, fault params)
PLAN = {
    "kill": ("httpd -f -p 8080", {}, {}),
    "stop": (GRACEFUL, {}, {"grace": 2}),
    "pause": ("httpd -f -p 8080", {}, {}),
    "restart": (GRACEFUL, {}, {"grace": 2}),
    "kill-process": (WITH_CHILD, {}, {"process": "httpd"}),
    "cpu-hog": ("sleep 300", {}, {}),
    "memory-limit": ("sleep 300", {}, {"limit": "32m"}),
    "fill-disk": ("sleep 300", {"tmpfs": {"/data": "size=8m"}}, {"path": "/data", "percent": 80}),
}


def _in_effect(client, kind, c, data) -> bool:
    """Whether fault ``kind`` is in effect on ``c``, as the engine says."""
    s = client.api.inspect_container(c.id)["State"]
    if kind in ("kill", "stop"):
        return not s["Running"]
    if kind == "pause":
        return s["Paused"]
    if kind == "restart":
        return s["StartedAt"] != data["started_at"]  # stays so: restore only checks it runs
    if kind == "kill-process":
        return "httpd -f -p 8080" not in [p[-1] for p in c.top()["Processes"]]
    if kind == "cpu-hog":
        return any(data["marker"] in p[-1] for p in c.top()["Processes"])
    if kind == "memory-limit":
        return client.api.inspect_container(c.id)["HostConfig"]["Memory"] == 32 * MiB
    if kind == "fill-disk":
        return c.exec_run(["ls", "-a", "/data"]).output.decode().split().count(data["file"].rsplit("/", 1)[1]) == 1
    raise AssertionError(kind)


def _restored(client, kind, c, data) -> bool:
    s = client.api.inspect_container(c.id)["State"]
    if not s["Running"] or s["Paused"]:
        return False
    return kind in ("restart", "kill-process") or not _in_effect(client, kind, c, data)


def _run_and_kill(make_container, ledger_path, mode):
    with ThreadPoolExecutor(4) as pool:  # eight containers: started side by side, to keep the test short
        started = {kind: pool.submit(make_container, cmd, **opts) for kind, (cmd, opts, _) in PLAN.items()}
    containers = {kind: future.result() for kind, future in started.items()}
    plan = [[kind, containers[kind].id, params] for kind, (_, _, params) in PLAN.items()]
    runner = subprocess.Popen([sys.executable, str(RUNNER), str(ledger_path), mode, json.dumps(plan)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    ready, _, _ = select.select([runner.stdout], [], [], 60)
    if not ready:
        runner.kill()
        pytest.fail(f"the runner did not apply its faults: {runner.stderr.read().decode()}")
    line = runner.stdout.readline()
    if not line:
        runner.wait()
        pytest.fail(f"the runner failed: {runner.stderr.read().decode()}")
    said = json.loads(line)
    return runner, containers, said["watchdog"]


def _data(ledger):
    return {e.restore.kind: e.restore.data for e in ledger.entries()}


def test_recover_restores_every_fault_of_a_runner_killed_mid_fault(docker_client, make_container, tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    runner, containers, _ = _run_and_kill(make_container, ledger.path, "alone")
    data = _data(ledger)
    assert {kind for kind in PLAN if _in_effect(docker_client, kind, containers[kind], data[kind])} == set(PLAN)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait(10)

    # Killed, it restored nothing: everything is still in effect and outstanding.
    assert {k for k in PLAN if _in_effect(docker_client, k, containers[k], data[k])} == set(PLAN)
    assert sorted(e.restore.kind for e in ledger.outstanding(runner_pid=runner.pid)) == sorted(PLAN)

    outcomes = recover(ledger)
    assert sorted(e.restore.kind for e, _ in outcomes) == sorted(PLAN)
    assert [o.error for _, o in outcomes if o.state != RESTORED] == []
    assert [k for k in PLAN if not _restored(docker_client, k, containers[k], data[k])] == []
    assert ledger.outstanding() == [] and recover(ledger) == []


def test_the_watchdog_restores_a_killed_runner_s_faults_by_itself(docker_client, make_container, tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    runner, containers, watchdog = _run_and_kill(make_container, ledger.path, "watchdog")
    data = _data(ledger)
    # A Ctrl-C or a closed terminal does not stop it, nor a SIGKILL of the runner's group.
    os.kill(watchdog, signal.SIGINT)
    os.kill(watchdog, signal.SIGHUP)
    time.sleep(0.3)
    assert runner_alive(watchdog)
    assert {k for k in PLAN if _in_effect(docker_client, k, containers[k], data[k])} == set(PLAN)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait(10)

    deadline = time.monotonic() + 20
    while ledger.outstanding() and time.monotonic() < deadline:
        time.sleep(0.2)
    log = Path(f"{ledger.path}.watchdog.log")
    assert ledger.outstanding() == [], log.read_text() if log.exists() else "no watchdog log"
    assert [k for k in PLAN if not _restored(docker_client, k, containers[k], data[k])] == []
    deadline = time.monotonic() + 5
    while runner_alive(watchdog) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not runner_alive(watchdog)


def test_the_watchdog_of_a_runner_that_left_nothing_exits(tmp_path):
    runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    watchdog = start_watchdog(tmp_path / "ledger.jsonl", runner.pid)
    time.sleep(0.5)
    assert runner_alive(watchdog)  # it waits while the runner lives
    runner.kill()
    runner.wait()
    deadline = time.monotonic() + 5
    while runner_alive(watchdog) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not runner_alive(watchdog)


def test_held_faults_are_restored_on_ctrl_c(docker_client, make_container, tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    c = make_container()
    with pytest.raises(KeyboardInterrupt):
        with held_faults(ledger) as held:
            held.apply(docker_client, FAULTS["pause"](), c)
            assert docker_client.api.inspect_container(c.id)["State"]["Paused"]
            raise KeyboardInterrupt
    assert not docker_client.api.inspect_container(c.id)["State"]["Paused"]
    assert ledger.outstanding() == []


def test_held_faults_are_restored_on_sigterm(docker_client, make_container, tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    c = make_container("sleep 300")
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated):
        with sigterm_raises(), held_faults(ledger) as held:
            entry = held.apply(docker_client, FAULTS["cpu-hog"](), c)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
    assert not any(entry.restore.data["marker"] in p[-1] for p in c.top()["Processes"])
    assert ledger.outstanding() == [] and signal.getsignal(signal.SIGTERM) == before
