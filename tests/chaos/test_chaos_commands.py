"""``drillbit chaos`` as a user runs it against a real engine: a dry run touches
nothing, a timed fault is applied and restored, a runner killed mid-fault is recovered
by ``recover``, and ``status`` says what the ledger holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).with_name("crash_runner.py")


def paused(container) -> bool:
    container.reload()
    return container.attrs["State"]["Paused"]


def test_a_dry_run_prints_the_plan_and_touches_nothing(cli, make_container, tmp_path):
    c = make_container()
    ledger = tmp_path / "ledger.jsonl"
    code, out, err = cli("chaos", "apply", "pause", "--target", c.name, "--for", "5s", "--dry-run",
                         "--ledger", str(ledger))
    assert code == 0, err
    assert f"pause for 5s on 1 container:\n  {c.name} {c.id[:12]} " in out and "dry run: nothing was touched" in out
    assert not paused(c) and not ledger.exists()


def test_a_timed_fault_is_applied_then_restored_and_the_ledger_says_so(cli, make_container, tmp_path):
    c = make_container()
    ledger = tmp_path / "ledger.jsonl"
    code, out, err = cli("chaos", "apply", "pause", "--target", c.name, "--for", "1s", "--ledger", str(ledger))
    assert code == 0, err
    assert f"applied pause to {c.name}" in out and "restored pause on 1 container" in out
    assert not paused(c)
    states = [json.loads(line)["state"] for line in ledger.read_text().splitlines()]
    assert states[-1] == "restored" and "applied" in states
    code, out, _ = cli("chaos", "status", "--ledger", str(ledger))
    assert (code, out) == (0, "no fault is applied\n")


def test_an_unlabelled_container_is_refused_unless_allowed(cli, make_container, tmp_path):
    c = make_container(labels={})
    code, _, err = cli("chaos", "apply", "pause", "--target", c.name, "--for", "1s", "--dry-run",
                       "--ledger", str(tmp_path / "l.jsonl"))
    assert code == 2 and "drillbit.chaos=allow" in err and "Traceback" not in err
    code, out, err = cli("chaos", "apply", "pause", "--target", c.name, "--for", "1s", "--dry-run", "--allow-unlabelled",
                         "--ledger", str(tmp_path / "l.jsonl"))
    assert code == 0 and c.name in out and "--allow-unlabelled" in err


def test_an_unknown_kind_names_the_kinds(cli, make_container):
    code, _, err = cli("chaos", "apply", "unplug", "--target", "x")
    assert code == 2 and "expected one of" in err and "pause" in err


def test_recover_restores_what_a_killed_runner_left(cli, make_container, tmp_path):
    c = make_container()
    ledger = tmp_path / "ledger.jsonl"
    runner = subprocess.Popen([sys.executable, str(RUNNER), str(ledger), "alone", json.dumps([["pause", c.id, {}]])],
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        runner.stdout.readline()  # the fault is applied
        assert paused(c)
        os.killpg(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
    code, out, _ = cli("chaos", "status", "--ledger", str(ledger))
    assert code == 0 and "pause" in out and "(gone)" in out
    code, out, err = cli("chaos", "recover", "--ledger", str(ledger))
    assert code == 0, err
    assert f"restored pause on {c.name}" in out and not paused(c)
    assert cli("chaos", "recover", "--ledger", str(ledger))[1] == "nothing to restore: no fault is applied\n"
