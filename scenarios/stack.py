"""A stack file: a small staging stack of FROM-scratch containers that a game day plays
against (``examples/live/stack.yaml``). ``chaos.stack`` builds and runs it.

The shape::

    stack: drillbit-example          # the name: containers carry com.docker.compose.project=<name>
    network: drillbit-example        # the bridge network made for it (default: the name)
    services:
      api:                           # com.docker.compose.service=api; reachable as "api" on the network
        build: api                   # a folder beside this file, copied into the image's /
        command: [httpd, -f, -p, "8080", -h, /www]
        ports: {"18080": 8080}       # host port (always bound on 127.0.0.1) -> container port, TCP
        labels: {app: api}
        chaos: true                  # carries drillbit.chaos=allow, so faults may touch it
        env: {GREETING: hello}
        healthcheck: {command: "timeout 2 wget -q -O /dev/null http://127.0.0.1:8080/health", every: 1s}
        network_mode: bridge         # or host (then no ports)
        tmpfs: {/tmp: 16m}           # a RAM filesystem of that size at that path

Every image is ``FROM scratch`` with the host's static busybox (applets linked into
/bin), so nothing is ever pulled.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from .base import Id, Model
from .durations import Duration
from .live import OPT_IN_LABEL

#: Labels drillbit sets on a stack's containers itself; a stack file may not set them.
RESERVED_LABEL_PREFIXES = ("com.docker.compose.", "drillbit.")
#: The label naming the stack a container, network or image belongs to.
STACK_LABEL = "drillbit.stack"

_NETWORK_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SIZE = re.compile(r"\d+[kmg]?", re.IGNORECASE)


def _network_name(value: str) -> str:
    if not _NETWORK_NAME.fullmatch(value):
        raise ValueError(f"expected a Docker network name (letters, digits, '_', '.', '-'), got {value!r}")
    return value


def _relative_folder(value: str) -> str:
    if not value or value.startswith("/"):
        raise ValueError(f"expected a folder relative to the stack file, such as 'api', got {value!r}")
    return value


def _host_port(value: str) -> str:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        hint = ""
        if ":" in value:
            hint = f"; ports are always published on 127.0.0.1, so write just the port: {value.rpartition(':')[2]!r}"
        raise ValueError(f"expected a host port from 1 to 65535, got {value!r}{hint}")
    return value


def _absolute(value: str) -> str:
    if not value.startswith("/") or value == "/":
        raise ValueError(f"expected an absolute path inside the container other than /, got {value!r}")
    return value


def _size(value: str) -> str:
    if not _SIZE.fullmatch(value):
        raise ValueError(f"expected a size such as '16m' or '512k', got {value!r}")
    return value


def _env_name(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(f"expected an environment variable name (letters, digits, '_'), got {value!r}")
    return value


HostPort = Annotated[str, AfterValidator(_host_port)]
ContainerPort = Annotated[int, Field(ge=1, le=65535)]


class Healthcheck(Model):
    """The engine's healthcheck: ``command`` runs with ``sh -c`` in the container every
    ``every``; ``retries`` failures in a row make it unhealthy."""

    command: Annotated[str, StringConstraints(min_length=1)] = Field(
        description="a shell command (run with sh -c in the container); exit status 0 is healthy")
    every: Duration = Field(1.0, description="how often the check runs")
    timeout: Duration = Field(2.0, description="a check slower than this fails")
    retries: int = Field(3, ge=1, le=100, description="failures in a row before the container is unhealthy")
    start_period: Duration = Field(0.0, description="failures in this long after the start do not count")

    @model_validator(mode="after")
    def _engine_bounds(self) -> "Healthcheck":
        # The engine refuses intervals under a millisecond (and 0 means "its default").
        for name in ("every", "timeout"):
            if getattr(self, name) < 0.001:
                raise ValueError(f"'{name}' must be at least 1ms")
        return self


class Service(Model):
    """One container of the stack."""

    build: Annotated[str, AfterValidator(_relative_folder)] = Field(
        description="a folder beside the stack file; its files are copied into the image's / (a file starting "
                    "with '#!' becomes executable)")
    command: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        min_length=1, description="the main process and its arguments (no shell unless you call sh -c)")
    ports: dict[HostPort, ContainerPort] = Field(
        default_factory=dict, description="host port (published on 127.0.0.1 only) -> container port, TCP")
    labels: dict[Annotated[str, StringConstraints(min_length=1)], str] = Field(default_factory=dict,
                                                                               description="container labels, name -> value, e.g. {app: shop}")
    chaos: bool = Field(False, description=f"carry {OPT_IN_LABEL}=allow, so drillbit may put faults on it")
    env: dict[Annotated[str, AfterValidator(_env_name)], str] = Field(default_factory=dict,
                                                                      description="environment variables of the container, NAME -> value")
    healthcheck: Healthcheck | None = Field(None, description="the engine's healthcheck of the container")
    network_mode: Literal["bridge", "host"] = Field(
        "bridge", description="bridge: on the stack's network, reachable by the service's name; host: the "
                              "host's network (to reach ports published on 127.0.0.1)")
    tmpfs: dict[Annotated[str, AfterValidator(_absolute)], Annotated[str, AfterValidator(_size)]] = Field(
        default_factory=dict, description="path -> size of a RAM filesystem mounted there, e.g. {/tmp: 16m}")

    @model_validator(mode="after")
    def _consistent(self) -> "Service":
        reserved = [k for k in self.labels if k.startswith(RESERVED_LABEL_PREFIXES)]
        if reserved:
            raise ValueError(f"label '{reserved[0]}' is set by drillbit (com.docker.compose.*, drillbit.*); "
                             "use 'chaos: true' for drillbit.chaos=allow, and another label name otherwise")
        if self.network_mode == "host" and self.ports:
            raise ValueError("a service with network_mode host uses the host's ports directly; remove 'ports'")
        return self


class Stack(Model):
    """A stack file: its name, its network and its services (see the module)."""

    stack: Id = Field(description="the stack's name: Compose project label of its containers, prefix of their names")
    network: Annotated[str, AfterValidator(_network_name)] | None = Field(
        None, description="the bridge network made for it (default: the stack's name)")
    services: dict[Id, Service] = Field(min_length=1,
                                        description="service name -> the container it runs (the name is its host name on the stack's network)")

    @model_validator(mode="after")
    def _ports_once(self) -> "Stack":
        seen: dict[str, str] = {}
        for name, service in self.services.items():
            for port in service.ports:
                if port in seen:
                    raise ValueError(f"host port {port} is published by both '{seen[port]}' and '{name}'")
                seen[port] = name
        return self

    @property
    def network_name(self) -> str:
        """The network's name (``network``, else the stack's name)."""
        return self.network or self.stack

    def container_name(self, service: str) -> str:
        """``<stack>-<service>-1``, as Compose names the first replica."""
        return f"{self.stack}-{service}-1"

    def image_name(self, service: str) -> str:
        """The tag of the image built for ``service``."""
        return f"{self.stack}-{service}:latest"


def check_stack_folders(stack: Stack, base_dir: Path) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, message) for each service whose ``build`` is not a folder under ``base_dir``."""
    found = []
    for name, service in stack.services.items():
        folder = base_dir / service.build
        if not folder.is_dir():
            found.append((("services", name, "build"),
                          f"no folder {service.build!r} beside the stack file (looked for {folder})"))
    return found


def load_stack(path: str | Path) -> Stack:
    """Load the stack file at ``path``; its ``build`` folders must exist beside it.
    Raises InputError with every problem at its file:line:col."""
    from .loader import load  # the loader knows every file kind, this one included

    return load(path, Stack)
