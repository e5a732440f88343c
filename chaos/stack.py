"""Build, start and remove a stack file's containers (:class:`scenarios.stack.Stack`):
a small staging stack for game days, without Compose and without pulling an image.

Each service's image is ``FROM scratch`` with this machine's static busybox (its
applets linked into /bin) and the files of the service's ``build`` folder copied into
/, built through the engine from a tar made in memory. Every container, the network
and every image carry ``drillbit.stack=<name>``, which is how :func:`tear_down` finds
them again; containers also carry Compose's project and service labels, so a
scenario's targets can name them as they would a Compose stack's.
"""

from __future__ import annotations

import io
import shutil
import struct
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from docker import DockerClient
from docker.errors import APIError, BuildError, DockerException, NotFound
from docker.models.containers import Container

from scenarios.live import COMPOSE_PROJECT, COMPOSE_SERVICE, OPT_IN_LABEL, OPT_IN_VALUE
from scenarios.stack import STACK_LABEL, Service, Stack

from .engine import connect
from .errors import ChaosError

#: Where the busybox is looked for when it is not on PATH.
BUSYBOX = "/bin/busybox"
#: Seconds :func:`bring_up` waits for every service to be healthy (or running).
HEALTHY_WITHIN = 60.0
_NS = 1_000_000_000
_PT_INTERP = 3


class StackError(ChaosError):
    """A stack that cannot be built, started, found or removed."""


class BusyboxError(StackError):
    """No static busybox on this machine to build the images from."""


@dataclass(frozen=True)
class ServiceStatus:
    """One service as the engine sees it: ``state`` is the container's status
    (running, paused, exited …) or ``absent``; ``health`` healthy, unhealthy, starting,
    or None without a healthcheck; ``ports`` the published ``127.0.0.1:HOST->PORT``."""

    service: str
    container: str
    state: str
    health: str | None
    ports: tuple[str, ...] = ()

    @property
    def up(self) -> bool:
        return self.state == "running" and self.health in (None, "healthy")


@dataclass(frozen=True)
class StackStatus:
    """The stack's network (whether it exists) and each service's status."""

    stack: str
    network: str
    network_exists: bool
    services: tuple[ServiceStatus, ...]

    @property
    def up(self) -> bool:
        """Every service running and healthy, on its network."""
        return self.network_exists and all(s.up for s in self.services)

    @property
    def absent(self) -> bool:
        """Nothing of the stack exists."""
        return not self.network_exists and all(s.state == "absent" for s in self.services)


def is_static(path: str | Path) -> bool:
    """Whether the ELF executable at ``path`` is statically linked (it asks for no
    program interpreter, so it runs in an empty image). False for anything not ELF."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF":
                return False
            bits64, little = head[4] == 2, head[5] == 1
            end = "<" if little else ">"
            if bits64:
                phoff, = struct.unpack_from(end + "Q", head, 32)
                phentsize, phnum = struct.unpack_from(end + "HH", head, 54)
            else:
                phoff, = struct.unpack_from(end + "I", head, 28)
                phentsize, phnum = struct.unpack_from(end + "HH", head, 42)
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                kind, = struct.unpack(end + "I", f.read(4))
                if kind == _PT_INTERP:
                    return False
            return True
    except (OSError, struct.error):
        return False


def find_busybox() -> Path:
    """This machine's busybox, checked to be static. Raises BusyboxError saying how to
    get one."""
    found = shutil.which("busybox") or BUSYBOX
    if not Path(found).is_file():
        raise BusyboxError("a stack's images are built from this machine's static busybox, and there is none: "
                           "install it (`apt-get install busybox-static`)")
    if not is_static(found):
        raise BusyboxError(f"{found} is linked dynamically, so it cannot run in an empty image: install the static "
                           "one (`apt-get install busybox-static`), which replaces it")
    return Path(found)


def _mode(data: bytes) -> int:
    # A script is executable whatever the checkout or the installed package kept of its
    # mode bits (CGI scripts must be).
    return 0o755 if data.startswith(b"#!") else 0o644


def build_context(folder: Path, busybox: Path) -> bytes:
    """The image's build context as an uncompressed tar: a Dockerfile, the busybox and
    every file under ``folder`` (in ``app/``, copied into the image's /)."""
    dockerfile = ("FROM scratch\n"
                  "COPY busybox /bin/busybox\n"
                  'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
                  "COPY app/ /\n"
                  'CMD ["/bin/sh"]\n').encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add(name: str, data: bytes, mode: int) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))

        add("Dockerfile", dockerfile, 0o644)
        add("busybox", busybox.read_bytes(), 0o755)
        app = tarfile.TarInfo("app")
        app.type, app.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(app)
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_dir():
                info = tarfile.TarInfo(f"app/{rel}")
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif path.is_file():
                data = path.read_bytes()
                add(f"app/{rel}", data, _mode(data))
    return buf.getvalue()


def build_images(stack: Stack, base_dir: str | Path, *, client: DockerClient | None = None) -> dict[str, str]:
    """Build every service's image; return service -> image tag. Raises BusyboxError,
    StackError (a missing folder, a failed build with the end of its log)."""
    client = client or connect()
    busybox = find_busybox()
    tags = {}
    for name, service in stack.services.items():
        folder = Path(base_dir) / service.build
        if not folder.is_dir():
            raise StackError(f"service '{name}' builds from {folder}, which is not a folder")
        tag = stack.image_name(name)
        try:
            client.images.build(fileobj=io.BytesIO(build_context(folder, busybox)), custom_context=True, tag=tag,
                                rm=True, forcerm=True, labels={STACK_LABEL: stack.stack})
        except BuildError as exc:
            log = "".join(str(part.get("stream") or part.get("error") or "") for part in exc.build_log)
            raise StackError(f"building the image of service '{name}' failed: {exc.msg}\n{log[-1500:]}") from None
        except (APIError, DockerException) as exc:
            raise StackError(f"building the image of service '{name}' failed: {exc}") from None
        tags[name] = tag
    return tags


def labels_of(stack: Stack, name: str, service: Service) -> dict[str, str]:
    """Every label the service's container carries."""
    labels = {**service.labels, COMPOSE_PROJECT: stack.stack, COMPOSE_SERVICE: name, STACK_LABEL: stack.stack}
    if service.chaos:
        labels[OPT_IN_LABEL] = OPT_IN_VALUE
    return labels


def _run_kwargs(stack: Stack, name: str, service: Service, env: Mapping[str, str],
                client: DockerClient) -> dict[str, object]:
    kwargs: dict[str, object] = {
        "name": stack.container_name(name), "detach": True, "labels": labels_of(stack, name, service),
        # The caller's values win: a game day passes DRILLBIT_RECEIVER to every service.
        "environment": {**service.env, **env},
        "tmpfs": {path: f"size={size}" for path, size in service.tmpfs.items()},
    }
    if service.healthcheck:
        h = service.healthcheck
        kwargs["healthcheck"] = {"test": ["CMD-SHELL", h.command], "interval": int(h.every * _NS),
                                 "timeout": int(h.timeout * _NS), "retries": h.retries,
                                 "start_period": int(h.start_period * _NS)}
    if service.network_mode == "host":
        kwargs["network_mode"] = "host"  # the host's name too: engines refuse a hostname beside it
    else:
        kwargs["hostname"] = name
        kwargs["network"] = stack.network_name
        # The service's name is its address on the network, as under Compose.
        kwargs["networking_config"] = {stack.network_name: client.api.create_endpoint_config(aliases=[name])}
        kwargs["ports"] = {f"{port}/tcp": ("127.0.0.1", int(host)) for host, port in service.ports.items()}
    return kwargs


def _foreign(client: DockerClient, stack: Stack) -> list[str]:
    """Containers and networks with the stack's names that are not the stack's."""
    found = []
    for name in stack.services:
        try:
            c = client.containers.get(stack.container_name(name))
        except NotFound:
            continue
        if (c.labels or {}).get(STACK_LABEL) != stack.stack:
            found.append(f"container {c.name}")
    for net in client.networks.list(names=[stack.network_name]):
        if net.name == stack.network_name and (net.attrs.get("Labels") or {}).get(STACK_LABEL) != stack.stack:
            found.append(f"network {net.name}")
    return found


def bring_up(stack: Stack, base_dir: str | Path, *, env: Mapping[str, str] = {},  # noqa: B006 - never mutated
             host: str | None = None, healthy_within: float = HEALTHY_WITHIN) -> list[Container]:
    """Build the stack's images (``build`` folders relative to ``base_dir``, the stack
    file's folder), replace whatever of the stack runs already, create its network,
    start every service (``env`` added to each one's environment) and wait up to
    ``healthy_within`` seconds until each is healthy (running, without a healthcheck).
    Returns the containers in the stack file's order.

    Raises BusyboxError (no static busybox), StackError (a build or a start failed, a
    service not healthy in time, with its logs; a container or network of the same
    name that is not this stack's), EngineError. After a failure to start, nothing of
    the stack is left running."""
    client = connect(host)
    foreign = _foreign(client, stack)
    if foreign:
        raise StackError(f"{' and '.join(foreign)} already exist{'s' if len(foreign) == 1 else ''} and "
                         f"{'is' if len(foreign) == 1 else 'are'} not part of stack {stack.stack} (no label "
                         f"{STACK_LABEL}={stack.stack}); remove {'it' if len(foreign) == 1 else 'them'} "
                         "(docker rm -f / docker network rm) or rename the stack")
    build_images(stack, base_dir, client=client)
    tear_down(stack, host=host)
    try:
        client.networks.create(stack.network_name, driver="bridge", labels={STACK_LABEL: stack.stack})
        containers = []
        for name, service in stack.services.items():
            try:
                containers.append(client.containers.run(stack.image_name(name), service.command,
                                                        **_run_kwargs(stack, name, service, env, client)))
            except APIError as exc:
                raise StackError(f"starting service '{name}' failed: {exc.explanation or exc}") from None
        _wait_healthy(client, stack, containers, healthy_within)
    except BaseException:
        tear_down(stack, host=host)
        raise
    for c in containers:
        c.reload()
    return containers


def _wait_healthy(client: DockerClient, stack: Stack, containers: list[Container], within: float) -> None:
    deadline = time.monotonic() + within
    waiting = {c.id: c for c in containers}
    while waiting:
        for cid, c in list(waiting.items()):
            state = client.api.inspect_container(cid)["State"]
            health = (state.get("Health") or {}).get("Status")
            if state.get("Status") in ("exited", "dead"):
                raise StackError(f"container {c.name} exited with code {state.get('ExitCode')} while starting:\n"
                                 f"{_tail(c)}")
            if health == "unhealthy":
                raise StackError(f"container {c.name} is unhealthy: {_last_check(state)}\n{_tail(c)}")
            if state.get("Running") and health in (None, "healthy"):
                del waiting[cid]
        if not waiting:
            return
        if time.monotonic() > deadline:
            names = ", ".join(c.name for c in waiting.values())
            raise StackError(f"not healthy within {within:g}s: {names} "
                             f"({'; '.join(_last_check(client.api.inspect_container(i)['State']) for i in waiting)})")
        time.sleep(0.2)


def _last_check(state: dict) -> str:
    log = (state.get("Health") or {}).get("Log") or []
    if not log:
        return "no healthcheck result yet"
    last = log[-1]
    return f"the healthcheck exited {last.get('ExitCode')}: {(last.get('Output') or '').strip()[:300] or 'no output'}"


def _tail(container: Container) -> str:
    try:
        return container.logs(tail=20).decode(errors="replace").strip() or "(no output)"
    except DockerException:
        return "(its logs cannot be read)"


def tear_down(stack: Stack, *, host: str | None = None) -> int:
    """Remove the stack's containers (running or not) and its network; return how many
    things were removed. Idempotent: nothing left is not an error. Only what carries
    ``drillbit.stack=<name>`` is touched. Raises StackError if something stays (a
    network another container was attached to, with its name)."""
    client = connect(host)
    removed = 0
    try:
        for c in client.containers.list(all=True, filters={"label": f"{STACK_LABEL}={stack.stack}"}):
            try:
                c.remove(force=True, v=True)
                removed += 1
            except NotFound:
                pass
        for net in client.networks.list(filters={"label": f"{STACK_LABEL}={stack.stack}"}):
            net.reload()
            others = [c.get("Name", cid[:12]) for cid, c in (net.attrs.get("Containers") or {}).items()]
            if others:
                raise StackError(f"network {net.name} of stack {stack.stack} still has {', '.join(others)} on it, "
                                 f"which are not the stack's; disconnect them (docker network disconnect {net.name} "
                                 "NAME) and tear down again")
            try:
                net.remove()
                removed += 1
            except NotFound:
                pass
    except APIError as exc:
        raise StackError(f"removing stack {stack.stack} failed: {exc.explanation or exc}") from None
    return removed


def stack_status(stack: Stack, *, host: str | None = None) -> StackStatus:
    """What of the stack exists and how each service is."""
    client = connect(host)
    nets = [n for n in client.networks.list(filters={"label": f"{STACK_LABEL}={stack.stack}"})
            if n.name == stack.network_name]
    services = []
    for name in stack.services:
        cname = stack.container_name(name)
        try:
            c = client.containers.get(cname)
        except NotFound:
            services.append(ServiceStatus(name, cname, "absent", None))
            continue
        state = c.attrs.get("State", {})
        bound = c.attrs.get("NetworkSettings", {}).get("Ports") or {}
        ports = tuple(f"{b['HostIp']}:{b['HostPort']}->{port}" for port, binds in sorted(bound.items())
                      for b in binds or [])
        services.append(ServiceStatus(name, cname, state.get("Status", "unknown"),
                                      (state.get("Health") or {}).get("Status"), ports))
    return StackStatus(stack.stack, stack.network_name, bool(nets), tuple(services))
