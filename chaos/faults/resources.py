"""Resource faults: a CPU hog inside the container, a lowered memory limit through the
engine, and a disk filled to a percentage under a path."""

from __future__ import annotations

import re
import uuid
from typing import Any

from docker import DockerClient
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from .base import Fault, FaultError, Restore, register
from .inside import find, require_running, require_tools, run, state, wait_until

SETTLE = 10.0
#: What the kernel reports for a cgroup (v1) without a memory limit. The engine cannot
#: set a limit back to "none" (0 means "unchanged" to it), but this value is the
#: kernel's own "unlimited", so restoring to it leaves the cgroup as it was.
UNLIMITED = 9223372036854771712


def _running(client: DockerClient, container_id: str) -> bool:
    s = state(client, container_id)
    return bool(s and s["Running"] and not s["Paused"])


@register
class CpuHog(Fault):
    """``workers`` busy loops (default 1) started inside the container, each carrying a
    marker in its command line by which restore finds and kills it."""

    kind = "cpu-hog"
    family = "resources"
    TOOLS = ("ps", "kill")

    def check(self, client: DockerClient, container: Container) -> None:
        workers = self.params.get("workers", 1)
        if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 64:
            raise FaultError(f"cpu-hog workers must be a whole number from 1 to 64, not {workers!r}")
        require_running(container, self.kind)
        require_tools(container, self.kind, self.TOOLS)

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        return {"marker": f"drillbit-cpu-hog-{uuid.uuid4().hex[:12]}", "workers": self.params.get("workers", 1)}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        # The marker is each loop's $0, so it shows in the loop's command line. One
        # detached exec starts every worker.
        container.exec_run(["sh", "-c", _START_HOGS, "sh", str(restore.data["workers"]), restore.data["marker"]],
                           detach=True)

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        wait_until(lambda: len(_hogs(container, restore.data["marker"])) >= restore.data["workers"], SETTLE,
                   f"the cpu-hog loops did not start in container {container.name}")

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        container = find(client, restore)
        if container is None or not _running(client, container.id):
            return  # a stopped container's processes are gone; a paused one is restored first
        # Found and killed in one exec. The marker is passed in two halves, so this
        # script's own command line never carries it whole.
        prefix, _, token = restore.data["marker"].rpartition("-")
        run(container, ["sh", "-c", _KILL_HOGS, "sh", f"{prefix}-", token])

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        container = find(client, restore)
        if container is None:
            return
        wait_until(lambda: not _hog_lines_from_engine(client, restore), SETTLE,
                   f"a cpu-hog loop ({restore.data['marker']}) still runs in container {restore.name}")


#: Start $1 busy loops, each with $2 as its $0.
_START_HOGS = """
i=0
while [ "$i" -lt "$1" ]; do
  sh -c 'while :; do :; done' "$2" &
  i=$((i + 1))
done
"""

#: Kill every process whose command line carries the marker "$1$2" (see CpuHog.restore).
_KILL_HOGS = """
marker="$1$2"
pids=
for p in $(ps -o pid,args | while read -r pid args; do
  case "$args" in *"$marker"*) echo "$pid" ;; esac
done); do pids="$pids $p"; done
[ -z "$pids" ] || kill -9 $pids
"""


def _hogs(container: Container, marker: str) -> list[int]:
    """PIDs inside the container whose command line carries ``marker``. ps runs without
    a shell, so nothing but the hogs themselves has the marker in its arguments."""
    code, out = run(container, ["ps", "-o", "pid,args"])
    pids = []
    for line in out.splitlines()[1:] if code == 0 else []:
        pid, _, args = line.strip().partition(" ")
        if pid.isdigit() and marker in args:
            pids.append(int(pid))
    return pids


def _hog_lines_from_engine(client: DockerClient, restore: Restore) -> list[str]:
    """The hogs as the engine lists the container's processes (works paused or not)."""
    try:
        top = client.api.top(restore.container)
    except (NotFound, APIError):
        return []  # removed, or not running: no process at all
    return [" ".join(p) for p in top.get("Processes") or [] if restore.data["marker"] in " ".join(p)]


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)


def parse_bytes(value: Any) -> int:
    """``67108864``, ``"64m"``, ``"64MiB"``, ``"1g"`` -> bytes (powers of 1024)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    m = _SIZE.match(str(value))
    if not m:
        raise FaultError(f"a memory size is bytes or a number with k, m or g (64m), not {value!r}")
    return int(float(m.group(1)) * 1024 ** " kmg".index((m.group(2) or " ").lower()))


@register
class MemoryLimit(Fault):
    """Lower the container's memory limit to ``limit`` (bytes or 64m; swap limited to
    the same unless ``swap`` says otherwise) through the engine; restore sets the
    limits recorded before."""

    kind = "memory-limit"
    family = "resources"
    MINIMUM = 6 * 1024 * 1024  # the engine refuses less

    def check(self, client: DockerClient, container: Container) -> None:
        if "limit" not in self.params:
            raise FaultError("memory-limit needs limit: the memory the container may use (64m)")
        if parse_bytes(self.params["limit"]) < self.MINIMUM:
            raise FaultError(f"memory-limit limit must be at least 6m (the engine refuses less), "
                             f"not {self.params['limit']!r}")
        require_running(container, self.kind)

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        host = client.api.inspect_container(container.id)["HostConfig"]
        memory, swap = host.get("Memory") or 0, host.get("MemorySwap") or 0
        limit = parse_bytes(self.params["limit"])
        return {"previous_memory": memory, "previous_swap": swap,
                "restore_memory": memory or UNLIMITED,
                # 0 beside a limit is the engine's default of twice the limit; -1 or none: unlimited.
                "restore_swap": UNLIMITED if memory == 0 or swap == -1 else (swap or 2 * memory),
                "limit": limit, "swap": parse_bytes(self.params.get("swap", limit))}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        container.update(mem_limit=restore.data["limit"], memswap_limit=restore.data["swap"])

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        host = client.api.inspect_container(container.id)["HostConfig"]
        if host.get("Memory") != restore.data["limit"]:
            raise FaultError(f"container {container.name}'s memory limit is {host.get('Memory')}, "
                             f"not {restore.data['limit']}")

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        if find(client, restore) is None:
            return
        try:
            client.api.update_container(restore.container, mem_limit=restore.data["restore_memory"],
                                        memswap_limit=restore.data["restore_swap"])
        except NotFound:
            return
        except APIError as exc:
            raise FaultError(f"cannot set container {restore.name}'s memory limit back: "
                             f"{exc.explanation or exc}") from None

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        try:
            host = client.api.inspect_container(restore.container)["HostConfig"]
        except NotFound:
            return
        if host.get("Memory") not in (restore.data["previous_memory"], restore.data["restore_memory"]):
            raise FaultError(f"container {restore.name}'s memory limit is {host.get('Memory')}, "
                             f"not the {restore.data['previous_memory'] or 'unlimited'} it had")


@register
class FillDisk(Fault):
    """Write a file under ``path`` (default /tmp) until its filesystem is ``percent``
    full (default 95); restore deletes the file."""

    kind = "fill-disk"
    family = "resources"
    TOOLS = ("df", "dd", "rm")

    def check(self, client: DockerClient, container: Container) -> None:
        percent = self.params.get("percent", 95)
        if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 < percent <= 100:
            raise FaultError(f"fill-disk percent must be a number above 0 and at most 100, not {percent!r}")
        require_running(container, self.kind)
        require_tools(container, self.kind, self.TOOLS)
        path = str(self.params.get("path", "/tmp"))
        if run(container, ["sh", "-c", 'test -d "$1"', "sh", path])[0] != 0:
            raise FaultError(f"fill-disk path {path} is not a folder in container {container.name} "
                             f"(check: docker exec {container.name} ls -ld {path})")

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        path = str(self.params.get("path", "/tmp")).rstrip("/") or "/"
        # The size to write is measured by the exec that writes it (one round trip);
        # restore deletes the file by its name, which is known before anything is written.
        return {"path": path, "file": f"{path.rstrip('/')}/.drillbit-fill-{uuid.uuid4().hex[:12]}",
                "percent": self.params.get("percent", 95)}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        d = restore.data
        # Thousandths of a percent, so the shell's whole-number arithmetic can take 95.5.
        code, out = run(container, ["sh", "-c", _FILL, "sh", d["path"], d["file"], str(round(d["percent"] * 1000))])
        head, _, rest = out.partition("\n")
        words = head.split()
        if code == 3:
            raise FaultError(f"cannot read the disk usage of {d['path']} in container {container.name}: {rest.strip()}")
        if code == 4 and len(words) == 4:
            used, available = int(words[1]), int(words[2])
            raise FaultError(f"{d['path']} in container {container.name} is already {100 * used // (used + available)}% "
                             f"full, not below the {d['percent']}% asked")
        if len(words) == 4 and words[3].isdigit():
            d["kib"] = int(words[3])
        # A full disk before the count is reached is the point; any other failure is not.
        if code != 0 and "space" not in rest.lower():
            raise FaultError(f"dd into {d['file']} in container {container.name} failed: {rest.strip()}")

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        used, available = disk_usage(container, restore.data["path"])
        reached = 100 * used / (used + available)
        if reached < restore.data["percent"] - 1:
            raise FaultError(f"{restore.data['path']} in container {container.name} is {reached:.0f}% full, "
                             f"not {restore.data['percent']}%")

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        container = find(client, restore)
        if container is None or not _running(client, container.id):
            return  # verify_restored says whether a stopped container still holds the file
        code, out = run(container, ["rm", "-f", restore.data["file"]])
        if code != 0:
            raise FaultError(f"cannot delete {restore.data['file']} in container {restore.name}: {out.strip()}")

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        try:
            # The archive API reads the container's filesystem even when it is stopped.
            client.api.get_archive(restore.container, restore.data["file"])
        except NotFound:
            return
        running = _running(client, restore.container)
        raise FaultError(f"{restore.data['file']} is still in container {restore.name}"
                         + ("" if running else " (it is not running, so it cannot be deleted now: start it and "
                                               "run `drillbit chaos recover`)"))


#: Fill the filesystem of $1 to $3 thousandths of a percent with the file $2, in one
#: exec: print "usage USED AVAILABLE KIB" (KiB, as df's own percentage counts them:
#: used / (used + available)), then run dd; exit 3 when df cannot be read, 4 when the
#: filesystem is already that full (nothing written).
_FILL = """
df -k -P "$1" > /dev/null 2>&1 || { echo usage; df -k -P "$1" 2>&1; exit 3; }
df -k -P "$1" | {
  read -r header
  read -r fs total used available rest
  case "$used$available" in ''|*[!0-9]*) echo usage; exit 3 ;; esac
  # ceil(percent / 100 * (used + available)) - used
  kib=$(( ($3 * (used + available) + 99999) / 100000 - used ))
  echo "usage $used $available $kib"
  [ "$kib" -gt 0 ] || exit 4
  exec 2>&1
  dd if=/dev/zero of="$2" bs=1024 count="$kib"
}
"""


def disk_usage(container: Container, path: str) -> tuple[int, int]:
    """(used, available) KiB of the filesystem holding ``path``, as ``df`` in the
    container says (df's own percentage is used / (used + available))."""
    code, out = run(container, ["df", "-k", "-P", path])
    lines = out.strip().splitlines()
    fields = lines[-1].split() if code == 0 and len(lines) >= 2 else []
    if len(fields) < 4 or not (fields[2].isdigit() and fields[3].isdigit()):
        raise FaultError(f"cannot read the disk usage of {path} in container {container.name}: {out.strip()}")
    return int(fields[2]), int(fields[3])
