"""Commands run from the host inside a container's network namespace.

Network faults use the host's own ``iptables`` and ``tc`` through ``nsenter -t PID -n``,
so the container's image needs neither tool (a FROM-scratch service has none) and the
rules live and die with the container's namespace. That only works on the engine of
this machine: the container's PID must be one the host can see.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Sequence

from docker.models.containers import Container

from .faults.base import FaultError

#: Seconds one iptables/tc call may take before it is treated as hung.
TIMEOUT = 10.0


def require_tools(kind: str, *tools: str) -> None:
    """Raise FaultError naming every host tool ``kind`` needs that is not on PATH."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise FaultError(f"{kind} needs {', '.join(missing)} on this host (run from the host into the "
                         f"container's network namespace): install them (util-linux, iptables, iproute2) "
                         f"and check with `which {' '.join(missing)}`")


def namespace_pid(kind: str, container: Container) -> int:
    """The PID whose network namespace is ``container``'s. Raises FaultError when the
    container is not running or its process is not on this host (another engine)."""
    container.reload()
    state = container.attrs.get("State", {})
    pid = int(state.get("Pid") or 0)
    if not state.get("Running") or pid <= 0:
        raise FaultError(f"{kind} needs a running container: {container.name} is {state.get('Status', 'unknown')}; "
                         f"check with `docker ps -a --filter id={container.id[:12]}`")
    if not Path(f"/proc/{pid}/ns/net").exists():
        raise FaultError(f"{kind} runs nsenter on the container's host: process {pid} of {container.name} is not "
                         "on this machine (is the engine remote?); run drillbit on the engine's host")
    return pid


def run(pid: int, argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in the network namespace of process ``pid``. With ``check``, a
    non-zero exit raises FaultError carrying the command and its stderr."""
    done = subprocess.run(["nsenter", "-t", str(pid), "-n", *argv], capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    if check and done.returncode != 0:
        raise FaultError(f"`{' '.join(argv)}` in the network namespace of process {pid} failed "
                         f"(exit {done.returncode}): {done.stderr.strip()}")
    return done


def kernel_has_qdisc(kind: str, *args: str) -> bool:
    """Whether this kernel can create qdisc ``kind``, tried on the loopback of a
    throwaway namespace (gone when the command exits, so nothing real is touched)."""
    done = subprocess.run(["unshare", "-n", "tc", "qdisc", "add", "dev", "lo", "root", kind, *args],
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)
    return done.returncode == 0
