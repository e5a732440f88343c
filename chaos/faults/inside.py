"""What faults share to reach a container: find it again from a ledger record, run a
command inside it, require the tools a fault runs there, and wait for an effect the
engine reports a moment after the call that caused it."""

from __future__ import annotations

import time
from typing import Any, Callable

from docker import DockerClient
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from .base import FaultError, Restore


def find(client: DockerClient, restore: Restore) -> Container | None:
    """The record's container, or None when it was removed (restoring it is then done)."""
    try:
        return client.containers.get(restore.container)
    except NotFound:
        return None


def state(client: DockerClient, container_id: str) -> dict[str, Any] | None:
    """The engine's ``State`` of the container, fresh (None: removed)."""
    try:
        return client.api.inspect_container(container_id)["State"]
    except NotFound:
        return None


def run(container: Container, argv: list[str]) -> tuple[int, str]:
    """Run ``argv`` in the container (as the container's own user) and return (exit code, output)."""
    try:
        result = container.exec_run(argv, stdout=True, stderr=True)
    except APIError as exc:
        raise FaultError(f"cannot run {argv[0]!r} in container {container.name}: {exc.explanation or exc}") from None
    return result.exit_code, (result.output or b"").decode(errors="replace")


def require_running(container: Container, kind: str) -> None:
    """Raise FaultError unless the container runs (not stopped, not paused)."""
    container.reload()
    if container.status != "running":
        raise FaultError(f"{kind} needs container {container.name} running; it is {container.status} "
                         f"(check: docker inspect -f '{{{{.State.Status}}}}' {container.name})")


def require_tools(container: Container, kind: str, tools: tuple[str, ...]) -> None:
    """Raise FaultError naming each tool the fault runs inside that the image lacks."""
    missing = [t for t in tools if run(container, ["sh", "-c", 'command -v "$1"', "sh", t])[0] != 0]
    if missing:
        raise FaultError(f"{kind} runs {', '.join(tools)} inside container {container.name}, and its image has no "
                         f"{', '.join(missing)} (check: docker exec {container.name} sh -c 'command -v {missing[0]}')")


def wait_until(check: Callable[[], bool], timeout: float, what: str, *, interval: float = 0.05) -> None:
    """Poll ``check`` until true; raise FaultError("… {what}") after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise FaultError(f"{what} (still not so after {timeout:g}s)")
        time.sleep(interval)
