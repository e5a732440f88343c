"""Container faults: kill (a signal), stop (a grace period), pause, restart, and killing
one process inside by name. Restoring starts, unpauses or checks the container again;
a container removed since is nothing left to restore."""

from __future__ import annotations

import signal as signals
from typing import Any

from docker import DockerClient
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from .base import Fault, FaultError, Restore, register
from .inside import find, require_running, require_tools, run, state, wait_until

#: Seconds a restore or a verify waits for the engine to report the new state.
SETTLE = 10.0


def signal_name(value: Any) -> str:
    """``SIGKILL``, ``KILL`` or ``9`` -> ``SIGKILL``; FaultError for anything else."""
    try:
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return signals.Signals(int(value)).name
        name = str(value).upper()
        return signals.Signals[name if name.startswith("SIG") else "SIG" + name].name
    except (KeyError, ValueError):
        raise FaultError(f"unknown signal {value!r}; expected a name such as SIGKILL or SIGTERM, or a number") from None


def _seconds(params: dict[str, Any], key: str, default: float) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise FaultError(f"{key} must be a number of seconds >= 0, not {value!r}")
    return float(value)


def _running_or_gone(client: DockerClient, container_id: str) -> bool:
    s = state(client, container_id)
    return s is None or (s["Running"] and not s["Paused"])


def start_again(client: DockerClient, restore: Restore) -> None:
    """Start the record's container unless it runs, is being restarted, or is gone."""
    container = find(client, restore)
    if container is None:
        return
    s = container.attrs.get("State") or {}  # find just fetched it: no second inspect
    if s.get("Running") or s.get("Restarting"):
        return
    try:
        container.start()
    except APIError as exc:
        raise FaultError(f"cannot start container {restore.name} again: {exc.explanation or exc}") from None


def verify_running(client: DockerClient, restore: Restore) -> None:
    """Raise FaultError unless the record's container runs (or was removed)."""
    wait_until(lambda: _running_or_gone(client, restore.container), SETTLE,
               f"container {restore.name} is not running after restoring {restore.kind}")


class _StartsAgain(Fault):
    """A fault that stops the container's main process; restore starts it again."""

    family = "container"

    def check(self, client: DockerClient, container: Container) -> None:
        require_running(container, self.kind)

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        return {"started_at": state(client, container.id)["StartedAt"]}

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        def down_or_restarted() -> bool:
            s = state(client, container.id)
            # An engine restart policy may start it again at once: a new start counts.
            return s is None or not s["Running"] or s["StartedAt"] != restore.data.get("started_at")
        wait_until(down_or_restarted, SETTLE, f"container {container.name} still runs after {self.kind} "
                   "(its main process, PID 1, ignores the signal unless it handles it)")

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        start_again(client, restore)

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        verify_running(client, restore)


@register
class Kill(_StartsAgain):
    """Send a signal (``signal``, default SIGKILL) to the container's main process."""

    kind = "kill"

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        return {**super().prepare(client, container), "signal": signal_name(self.params.get("signal", "SIGKILL"))}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        container.kill(signal=restore.data["signal"])


@register
class Stop(_StartsAgain):
    """Stop the container: SIGTERM, then SIGKILL after ``grace`` seconds (default 10)."""

    kind = "stop"

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        return {**super().prepare(client, container), "grace": _seconds(self.params, "grace", 10)}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        container.stop(timeout=int(restore.data["grace"]))


@register
class Pause(Fault):
    """Freeze every process of the container (the cgroup freezer); restore unpauses."""

    kind = "pause"
    family = "container"

    def check(self, client: DockerClient, container: Container) -> None:
        require_running(container, self.kind)

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        container.pause()

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        wait_until(lambda: bool((state(client, container.id) or {}).get("Paused")), SETTLE,
                   f"container {container.name} is not paused")

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        # Straight to unpause (no inspect first): a container not paused, or gone, is restored.
        try:
            client.api.unpause(restore.container)
        except NotFound:
            return
        except APIError as exc:
            if "is not paused" not in str(exc):
                raise FaultError(f"cannot unpause container {restore.name}: {exc.explanation or exc}") from None

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        wait_until(lambda: not (state(client, restore.container) or {}).get("Paused"), SETTLE,
                   f"container {restore.name} is still paused")


@register
class Restart(_StartsAgain):
    """Restart the container (SIGTERM, ``grace`` seconds, SIGKILL, start). Nothing stays
    to undo; restore starts it if a runner killed between the restart's stop and its
    start left it stopped, and checks that it runs."""

    kind = "restart"

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        return {**super().prepare(client, container), "grace": _seconds(self.params, "grace", 10)}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        container.restart(timeout=int(restore.data["grace"]))

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        wait_until(lambda: (state(client, container.id) or {}).get("StartedAt") != restore.data["started_at"],
                   SETTLE, f"container {container.name} was not restarted (its start time did not change)")


@register
class KillProcess(Fault):
    """Kill the processes named ``process`` inside the container with ``signal``
    (default SIGKILL). The main process (PID 1) is refused: that is the ``kill`` fault.
    Nothing of a killed process can be undone; restore checks the container still runs,
    and the ledger keeps what was killed."""

    kind = "kill-process"
    family = "container"
    TOOLS = ("pidof", "ps", "kill")

    def check(self, client: DockerClient, container: Container) -> None:
        if not isinstance(self.params.get("process"), str) or not self.params["process"]:
            raise FaultError("kill-process needs process: the name of a process inside the container")
        require_running(container, self.kind)
        require_tools(container, self.kind, self.TOOLS)
        # Refused before the drill starts; apply refuses the same again at its time
        # (before killing anything), should the processes have changed since.
        name = self.params["process"]
        pids = _pids(container, name)
        if not pids:
            raise FaultError(_none_named(name, container))
        if 1 in pids:
            raise FaultError(_main_process(name, container))

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        # Which processes carry the name is learned in the same exec that kills them (one
        # round trip, and no gap in which the set can change); nothing needs undoing, so
        # the record is complete without them, and apply adds them before it is marked applied.
        return {"process": self.params["process"], "signal": signal_name(self.params.get("signal", "SIGKILL"))}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        name, sig = restore.data["process"], restore.data["signal"].removeprefix("SIG")
        code, out = run(container, ["sh", "-c", _KILL_BY_NAME, "sh", name, sig])
        head, _, rest = out.partition("\n")
        pids = sorted(int(p) for p in head.removeprefix("pids:").split() if p.isdigit())
        if code == 3:
            raise FaultError(_none_named(name, container))
        if code == 4:
            raise FaultError(_main_process(name, container))
        commands = _parse_ps(rest.partition("killing\n")[0])
        restore.data["pids"] = pids
        restore.data["commands"] = [commands.get(p, name) for p in pids]
        if code != 0:
            raise FaultError(f"kill -s {sig} {' '.join(map(str, pids))} in container {container.name} failed: "
                             f"{rest.partition('killing')[2].strip()}")

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        wanted = set(restore.data["pids"])
        wait_until(lambda: not wanted & set(_pids(container, restore.data["process"])), SETTLE,
                   f"process {restore.data['process']!r} still runs in container {container.name} "
                   f"after {restore.data['signal']} (it may handle the signal)")

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        return None

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        wait_until(lambda: _running_or_gone(client, restore.container), SETTLE,
                   f"container {restore.name} no longer runs after {restore.data.get('process')!r} was killed")


def _none_named(name: str, container: Container) -> str:
    return f"no process named {name!r} runs in container {container.name} (check: docker exec {container.name} ps)"


def _main_process(name: str, container: Container) -> str:
    return (f"{name!r} is the main process (PID 1) of container {container.name}; "
            "killing it stops the container: use the kill fault")


def _pids(container: Container, name: str) -> list[int]:
    code, out = run(container, ["pidof", name])
    return sorted(int(p) for p in out.split() if p.isdigit()) if code == 0 else []


#: Kill the processes named $1 with signal $2 in one exec, with one ps: a process is
#: named $1 as pidof has it (its comm, its argv[0], or argv[0]'s basename). Refuse PID 1
#: (exit 4) and a name nothing runs as (exit 3) before killing anything; print
#: "pids: …", then "PID ARGS" of each (what was killed, for the ledger), then "killing"
#: and kill's own errors. The script's own shell, and the ps it ran (gone by then), are
#: left out, so a process named sh or ps can be the target too.
_KILL_BY_NAME = """
out=$(ps -o pid,comm,args)
pids=
lines=
while read -r pid comm args; do
  case "$pid" in ''|*[!0-9]*) continue ;; esac
  [ "$pid" = "$$" ] && continue
  argv0=${args%% *}
  [ "$comm" = "$1" ] || [ "$argv0" = "$1" ] || [ "${argv0##*/}" = "$1" ] || continue
  [ -d "/proc/$pid" ] || continue
  [ "$pid" = 1 ] && { echo "pids: 1"; exit 4; }
  pids="$pids $pid"
  lines="$lines$pid $args
"
done <<EOF
$out
EOF
[ -n "$pids" ] || { echo "pids:"; exit 3; }
echo "pids:$pids"
echo "PID ARGS"
printf '%s' "$lines"
echo killing
exec 2>&1
kill -s "$2" $pids
"""


def _parse_ps(out: str) -> dict[int, str]:
    """Each process's command line by its PID, from ``ps -o pid,args`` (header first)."""
    found: dict[int, str] = {}
    for line in out.splitlines()[1:]:
        pid, _, args = line.strip().partition(" ")
        if pid.isdigit():
            found[int(pid)] = args.strip()
    return found

