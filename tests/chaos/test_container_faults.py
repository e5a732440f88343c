"""Container faults on real containers: each applied, its effect seen through the engine,
restored, and restored again (idempotent), also after the container was removed."""

from __future__ import annotations

import time

import pytest

from chaos.faults import FAULTS, FaultError
from chaos.faults import container as container_faults
from chaos.ledger import APPLIED, RESTORED, Ledger
from chaos.session import apply_fault, restore_fault

pytestmark = pytest.mark.docker

#: A main process that exits at once on SIGTERM (a shell as PID 1 handles only what it traps).
GRACEFUL = "trap 'exit 0' TERM; while :; do sleep 0.1; done"
#: httpd as a child of the shell, so killing it leaves the container running.
WITH_CHILD = "httpd -f -p 8080 & while :; do sleep 0.1; done"


@pytest.fixture
def ledger(tmp_path):
    return Ledger(tmp_path / "ledger.jsonl")


def _state(client, c):
    return client.api.inspect_container(c.id)["State"]


def _restore_and_check_nothing_left(ledger, entry):
    assert restore_fault(ledger, entry).state == RESTORED
    assert restore_fault(ledger, entry).state == RESTORED  # twice: still fine
    assert ledger.outstanding() == []


def test_kill_stops_the_main_process_and_restore_starts_it(docker_client, make_container, ledger):
    c = make_container()
    entry = apply_fault(docker_client, FAULTS["kill"](), c, ledger)
    s = _state(docker_client, c)
    assert entry.state == APPLIED and not s["Running"] and s["ExitCode"] == 137  # 128 + SIGKILL
    assert [e.id for e in ledger.outstanding()] == [entry.id]
    _restore_and_check_nothing_left(ledger, entry)
    assert _state(docker_client, c)["Running"]


def test_a_signal_the_main_process_ignores_is_refused_and_restored_not_left_silently(
        docker_client, make_container, ledger, monkeypatch):
    monkeypatch.setattr(container_faults, "SETTLE", 1.0)
    c = make_container("httpd -f -p 8080")  # PID 1 without a handler: the kernel drops SIGTERM
    with pytest.raises(FaultError, match="still runs after kill"):
        apply_fault(docker_client, FAULTS["kill"](signal="TERM"), c, ledger)
    assert ledger.outstanding() == [] and ledger.entries()[0].state == RESTORED
    assert _state(docker_client, c)["Running"]


def test_stop_sends_sigterm_first_and_restore_starts_it(docker_client, make_container, ledger):
    c = make_container(GRACEFUL)
    entry = apply_fault(docker_client, FAULTS["stop"](grace=5), c, ledger)
    s = _state(docker_client, c)
    assert not s["Running"] and s["ExitCode"] == 0  # it exited by its TERM trap, not SIGKILL
    assert entry.restore.data["grace"] == 5
    _restore_and_check_nothing_left(ledger, entry)
    assert _state(docker_client, c)["Running"]


def test_pause_freezes_the_container_and_restore_unpauses_it(docker_client, make_container, ledger):
    c = make_container()
    entry = apply_fault(docker_client, FAULTS["pause"](), c, ledger)
    assert _state(docker_client, c)["Paused"]
    _restore_and_check_nothing_left(ledger, entry)
    s = _state(docker_client, c)
    assert s["Running"] and not s["Paused"]


def test_restart_starts_the_container_anew(docker_client, make_container, ledger):
    c = make_container(GRACEFUL)
    before = _state(docker_client, c)["StartedAt"]
    entry = apply_fault(docker_client, FAULTS["restart"](grace=5), c, ledger)
    s = _state(docker_client, c)
    assert s["Running"] and s["StartedAt"] != before
    _restore_and_check_nothing_left(ledger, entry)


def test_restoring_a_restart_cut_short_by_a_crash_starts_the_container(docker_client, make_container, ledger):
    c = make_container(GRACEFUL)
    entry = apply_fault(docker_client, FAULTS["restart"](grace=5), c, ledger)
    c.stop(timeout=5)  # as if the runner died between the restart's stop and its start
    _restore_and_check_nothing_left(ledger, entry)
    assert _state(docker_client, c)["Running"]


def _commands(c):
    return [p[-1] for p in c.top()["Processes"]]


def _started(c, command: str, within: float = 10.0) -> bool:
    """Whether ``command`` runs in ``c`` within a few seconds: a container just started
    may still show the shell that forked it, not yet the program it runs."""
    deadline = time.monotonic() + within
    while command not in _commands(c):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_kill_process_kills_the_named_process_and_records_it(docker_client, make_container, ledger):
    c = make_container(WITH_CHILD)
    assert _started(c, "httpd -f -p 8080")
    entry = apply_fault(docker_client, FAULTS["kill-process"](process="httpd"), c, ledger)
    assert "httpd -f -p 8080" not in _commands(c) and _state(docker_client, c)["Running"]
    assert entry.restore.data["commands"] == ["httpd -f -p 8080"] and entry.restore.data["signal"] == "SIGKILL"
    _restore_and_check_nothing_left(ledger, entry)


def test_kill_process_refuses_the_main_process_and_a_name_that_does_not_run(docker_client, make_container, ledger):
    c = make_container("httpd -f -p 8080")
    with pytest.raises(FaultError, match="main process .PID 1.*use the kill fault"):
        apply_fault(docker_client, FAULTS["kill-process"](process="httpd"), c, ledger)
    with pytest.raises(FaultError, match="no process named 'nginx'"):
        apply_fault(docker_client, FAULTS["kill-process"](process="nginx"), c, ledger)
    assert ledger.entries() == [] and _state(docker_client, c)["Running"]


def test_a_stopped_container_is_refused_before_the_ledger_is_written(docker_client, make_container, ledger):
    c = make_container()
    c.kill()
    with pytest.raises(FaultError, match="needs container .* running; it is exited"):
        apply_fault(docker_client, FAULTS["pause"](), c, ledger)
    assert ledger.entries() == []


@pytest.mark.parametrize("kind, params", [("kill", {}), ("pause", {}), ("kill-process", {"process": "httpd"})])
def test_restoring_after_the_container_was_removed_is_not_an_error(docker_client, make_container, ledger,
                                                                   kind, params):
    c = make_container(WITH_CHILD)
    entry = apply_fault(docker_client, FAULTS[kind](**params), c, ledger)
    c.remove(force=True)
    _restore_and_check_nothing_left(ledger, entry)
