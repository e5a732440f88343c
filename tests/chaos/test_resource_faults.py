"""Resource faults on real containers: the hog's process and its CPU time, the memory
limit the engine and the kernel report, the filesystem's usage as df says; then
restored and verified gone."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chaos.faults import FAULTS, FaultError, Restore
from chaos.ledger import RESTORED, Ledger
from chaos.session import apply_fault, restore_fault

pytestmark = pytest.mark.docker

MiB = 1024 * 1024


@pytest.fixture
def ledger(tmp_path):
    return Ledger(tmp_path / "ledger.jsonl")


def _restore_twice(ledger, entry):
    assert restore_fault(ledger, entry).state == RESTORED
    assert restore_fault(ledger, entry).state == RESTORED
    assert ledger.outstanding() == []


def _hogs(c, marker):
    return [p for p in c.top()["Processes"] if marker in p[-1]]


def _cpu_ticks(host_pid: str) -> int:
    fields = Path(f"/proc/{host_pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_cpu_hog_burns_cpu_until_restore_kills_it(docker_client, make_container, ledger):
    c = make_container("sleep 300")
    entry = apply_fault(docker_client, FAULTS["cpu-hog"](workers=2), c, ledger)
    marker = entry.restore.data["marker"]
    hogs = _hogs(c, marker)
    assert len(hogs) == 2
    before = _cpu_ticks(hogs[0][1])
    time.sleep(0.5)
    assert _cpu_ticks(hogs[0][1]) > before  # the kernel counts it running, not sleeping
    _restore_twice(ledger, entry)
    assert _hogs(c, marker) == [] and [p[-1] for p in c.top()["Processes"]] == ["sleep 300"]


def _kernel_memory_limit(c) -> int | None:
    for path in (f"/sys/fs/cgroup/memory/docker/{c.id}/memory.limit_in_bytes",
                 f"/sys/fs/cgroup/system.slice/docker-{c.id}.scope/memory.max"):
        if Path(path).exists():
            text = Path(path).read_text().strip()
            return -1 if text == "max" else int(text)
    return None


def _limits(client, c):
    host = client.api.inspect_container(c.id)["HostConfig"]
    return host["Memory"], host["MemorySwap"]


def test_memory_limit_lowers_the_limit_and_restore_gives_an_unlimited_container_back_its_freedom(
        docker_client, make_container, ledger):
    c = make_container("sleep 300")
    kernel_before = _kernel_memory_limit(c)
    entry = apply_fault(docker_client, FAULTS["memory-limit"](limit="32m"), c, ledger)
    assert _limits(docker_client, c) == (32 * MiB, 32 * MiB)
    if kernel_before is not None:
        assert _kernel_memory_limit(c) == 32 * MiB
    _restore_twice(ledger, entry)
    assert _kernel_memory_limit(c) == kernel_before  # the kernel's "no limit", as before
    assert _limits(docker_client, c)[0] not in (32 * MiB,)


def test_memory_limit_restores_a_limit_the_container_had(docker_client, make_container, ledger):
    c = make_container("sleep 300", mem_limit="128m", memswap_limit="256m")
    entry = apply_fault(docker_client, FAULTS["memory-limit"](limit=16 * MiB), c, ledger)
    assert _limits(docker_client, c) == (16 * MiB, 16 * MiB)
    assert entry.restore.data["previous_memory"] == 128 * MiB
    _restore_twice(ledger, entry)
    assert _limits(docker_client, c) == (128 * MiB, 256 * MiB)


def test_memory_limit_below_what_the_engine_allows_is_refused_first(docker_client, make_container, ledger):
    c = make_container("sleep 300")
    with pytest.raises(FaultError, match="at least 6m"):
        apply_fault(docker_client, FAULTS["memory-limit"](limit="1m"), c, ledger)
    with pytest.raises(FaultError, match="needs limit"):
        apply_fault(docker_client, FAULTS["memory-limit"](), c, ledger)
    assert ledger.entries() == []


def _df_percent(c, path) -> int:
    out = c.exec_run(["df", "-k", "-P", path]).output.decode().splitlines()[-1].split()
    return int(out[4].rstrip("%"))


def test_fill_disk_fills_the_filesystem_and_restore_deletes_the_file(docker_client, make_container, ledger):
    c = make_container("sleep 300", tmpfs={"/data": "size=16m"})
    assert _df_percent(c, "/data") == 0
    entry = apply_fault(docker_client, FAULTS["fill-disk"](path="/data", percent=80), c, ledger)
    assert 80 <= _df_percent(c, "/data") <= 82
    name = entry.restore.data["file"].rsplit("/", 1)[1]
    assert name in c.exec_run(["ls", "-a", "/data"]).output.decode().split()
    _restore_twice(ledger, entry)
    assert _df_percent(c, "/data") == 0
    assert name not in c.exec_run(["ls", "-a", "/data"]).output.decode().split()


def test_a_fill_file_left_in_a_stopped_container_is_reported_until_it_is_started_and_restored(
        docker_client, make_container):
    c = make_container("sleep 300")
    # A small file on the container's own filesystem stands for the fill (a real fill of
    # the overlay would fill this machine's disk); stopped, nothing can run there to delete it.
    c.exec_run(["dd", "if=/dev/zero", "of=/.drillbit-fill-test", "bs=1024", "count=4"])
    record = Restore(kind="fill-disk", container=c.id, name=c.name,
                     data={"path": "/", "file": "/.drillbit-fill-test", "kib": 4, "percent": 1})
    kind = FAULTS["fill-disk"]
    c.stop(timeout=0)
    kind.restore(docker_client, record)
    with pytest.raises(FaultError, match="still in container .*not running.*start it"):
        kind.verify_restored(docker_client, record)
    c.start()
    kind.restore(docker_client, record)
    kind.verify_restored(docker_client, record)
    assert c.exec_run(["test", "-e", "/.drillbit-fill-test"]).exit_code == 1


def test_restore_after_the_container_was_removed(docker_client, make_container, ledger):
    c = make_container("sleep 300", tmpfs={"/data": "size=8m"})
    entries = [apply_fault(docker_client, FAULTS["cpu-hog"](), c, ledger),
               apply_fault(docker_client, FAULTS["memory-limit"](limit="64m"), c, ledger),
               apply_fault(docker_client, FAULTS["fill-disk"](path="/data", percent=50), c, ledger)]
    c.remove(force=True)
    for entry in entries:
        assert restore_fault(ledger, entry).state == RESTORED
    assert ledger.outstanding() == []


def test_fill_disk_of_a_folder_that_is_not_there_is_refused_first(docker_client, make_container, ledger):
    c = make_container("sleep 300")  # the test image has no /tmp
    with pytest.raises(FaultError, match="path /tmp is not a folder"):
        apply_fault(docker_client, FAULTS["fill-disk"](), c, ledger)
    assert ledger.entries() == []
