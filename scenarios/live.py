"""The ``live`` section of a scenario: real faults on Docker containers and the probes
that measure their impact. The chaos package executes it."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from .base import Id, Model, Probability
from .durations import Duration, Offset

LiveFaultKind = Literal[
    "kill", "stop", "pause", "restart",
    "packet-loss", "partition", "bandwidth", "latency",
    "delete-path", "corrupt-file", "fill-disk", "cpu-stress", "exec",
]


#: Docker's own rule for container names; a name outside it can never match.
_CONTAINER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
#: A Docker engine address as the docker client takes it.
_ENGINE_URL = re.compile(r"(unix|tcp|ssh|npipe|http|https)://\S+")


def _container_name(value: str) -> str:
    if any(c in value for c in "*?["):
        raise ValueError(f"'names' are exact, got the glob {value!r}; did you mean 'patterns: [{value}]'?")
    if value.startswith("/"):
        raise ValueError(f"expected a container name without the leading '/', got {value!r}; did you mean {value[1:]!r}?")
    if not _CONTAINER_NAME.fullmatch(value):
        raise ValueError(f"expected a Docker container name (letters, digits, '_', '.', '-'), got {value!r}")
    return value


def _engine_url(value: str) -> str:
    if not _ENGINE_URL.fullmatch(value):
        hint = f"; did you mean 'tcp://{value}'?" if re.fullmatch(r"[\w.-]+:\d+", value) else ""
        raise ValueError(f"expected a Docker engine URL such as 'tcp://10.0.0.5:2376' or 'unix:///var/run/docker.sock', got {value!r}{hint}")
    return value


ContainerName = Annotated[str, AfterValidator(_container_name)]
EngineUrl = Annotated[str, AfterValidator(_engine_url)]
#: The label a container must carry before drillbit touches it (unless a drill says otherwise).
OPT_IN_LABEL = "drillbit.chaos"
OPT_IN_VALUE = "allow"
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"


class LiveTarget(Model):
    """Which running containers a name stands for, then how many of them.

    ``names`` (exact) and ``patterns`` (globs such as ``shop-api-*``) are alternatives:
    a container matches when its name matches any of them. ``labels``, ``project`` and
    ``service`` (Compose's ``com.docker.compose.*`` labels) must all hold. Given both
    kinds, a container must satisfy both. How many: ``select`` (``all``; ``one``, the
    first by name; ``random``, one drawn by the drill's seed), or ``count`` or
    ``percent`` (drawn by the seed); one of the three, not two."""

    names: list[ContainerName] = Field(default_factory=list)
    patterns: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list, description="globs on container names, e.g. shop-api-*")
    labels: dict[str, str] = Field(default_factory=dict)
    project: str | None = Field(None, description="the Compose project (label com.docker.compose.project)")
    service: str | None = Field(None, description="the Compose service (label com.docker.compose.service)")
    select: Literal["all", "one", "random"] | None = Field(None, description="all (the default), one (the first by name) or random (one drawn by the seed)")
    count: int | None = Field(None, ge=1, description="this many containers, drawn by the seed")
    percent: float | None = Field(None, gt=0, le=100, description="this share of the matching containers (at least one), drawn by the seed")
    host: EngineUrl | None = Field(None, description="the Docker engine the containers run on; default DOCKER_HOST, else the local one")

    @field_validator("count", "percent")
    @classmethod
    def _one_way_to_count(cls, value, info: ValidationInfo):
        given = [k for k in ("select", "count") if k != info.field_name and info.data.get(k) is not None]
        if value is not None and given:
            raise ValueError(f"say how many once: '{given[0]}' or '{info.field_name}', not both")
        return value

    @model_validator(mode="after")
    def _some_selector(self) -> "LiveTarget":
        if not (self.labels or self.names or self.patterns or self.project or self.service):
            raise ValueError("expected 'names', 'patterns', 'labels', 'project' or 'service' to select containers, got none")
        for key, field in ((COMPOSE_PROJECT, "project"), (COMPOSE_SERVICE, "service")):
            if key in self.labels and getattr(self, field) is not None:
                raise ValueError(f"'{field}' is the label {key}; give it once, not in 'labels' as well")
        return self

    @property
    def how_many(self) -> str:
        """``all``, ``one``, ``random``, ``count`` or ``percent``: the rule in force."""
        if self.count is not None:
            return "count"
        if self.percent is not None:
            return "percent"
        return self.select or "all"

    def required_labels(self) -> dict[str, str]:
        """Every label a container must carry to match, Compose's included."""
        out = dict(self.labels)
        if self.project is not None:
            out[COMPOSE_PROJECT] = self.project
        if self.service is not None:
            out[COMPOSE_SERVICE] = self.service
        return out


class LiveFault(Model):
    """A fault injected at ``at``; restored after ``duration`` or at the end of the drill."""

    at: Offset = 0.0
    kind: LiveFaultKind
    target: str
    duration: Duration | None = None
    signal: str | None = Field(None, description="kill: the signal, SIGKILL by default")
    path: str | None = Field(None, description="delete-path, corrupt-file, fill-disk: the path inside the container")
    loss: Probability | None = Field(None, description="packet-loss: share of packets dropped")
    rate: str | None = Field(None, description="bandwidth: e.g. 1mbit")
    delay: Duration | None = Field(None, description="latency: added delay")
    peers: list[str] = Field(default_factory=list, description="partition: target names cut off from this one")
    command: str | None = Field(None, description="exec: the command to run")
    restore_command: str | None = Field(None, description="exec: the command that undoes it")
    note: str | None = None


#: The shortest probe interval: faster than this, the probes become the load.
MIN_EVERY = 0.1


def _host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host.strip("[]") or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT such as '127.0.0.1:5432', got {value!r}")
    return value


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"expected a regular expression, got {value!r}: {exc}") from None
    return value


class Probe(Model):
    """A check run every ``every`` (100ms at the fastest) to measure impact and recovery:
    an HTTP request, a TCP connect, a command in a target's container, or the
    container's health status (``health: true`` with ``target``)."""

    name: Id
    http: Annotated[str, AfterValidator(_http_url)] | None = None
    tcp: Annotated[str, AfterValidator(_host_port)] | None = Field(None, description="HOST:PORT to connect to")
    command: str | None = None
    health: bool = Field(False, description="the target's health status (running, when it has no healthcheck)")
    target: str | None = Field(None, description="for command and health probes: the target to check")
    every: Duration = 1.0
    timeout: Duration = 2.0
    expect_status: int = Field(200, ge=100, le=599)
    body: str | None = Field(None, description="http: text the response body must contain")
    body_regex: Annotated[str, AfterValidator(_regex)] | None = Field(None, description="http: a regular expression the body must match")
    max_latency: Duration | None = Field(None, description="http: slower than this counts as failing")
    expect_stable: bool = Field(False, description="the output must not change (data integrity)")

    @field_validator("every")
    @classmethod
    def _not_too_fast(cls, value: float) -> float:
        if value < MIN_EVERY:
            raise ValueError(f"expected an interval of at least 100ms, got {value * 1000:g}ms")
        return value

    @model_validator(mode="after")
    def _one_check(self) -> "Probe":
        given = [k for k in ("http", "tcp", "command", "health") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of http, tcp, command or health, got {', '.join(given) or 'none'}")
        if self.health and not self.target:
            raise ValueError("a health probe needs a 'target' whose containers it checks")
        if self.body and self.body_regex:
            raise ValueError("give 'body' (text the body contains) or 'body_regex', not both")
        if (self.body or self.body_regex or self.max_latency is not None) and not self.http:
            raise ValueError("'body', 'body_regex' and 'max_latency' belong to an http probe")
        return self


class Live(Model):
    """How to play the scenario against real containers."""

    targets: dict[Id, LiveTarget] = Field(min_length=1)
    faults: list[LiveFault] = Field(min_length=1)
    probes: list[Probe] = Field(default_factory=list)
    healthy_for: Duration = Field(5.0, description="probes healthy this long after a failure count as recovered")
    max_blast_radius: int = Field(10, ge=1, description="the most distinct containers one drill may touch")
    allow_unlabelled: bool = Field(False, description=f"touch containers without the label {OPT_IN_LABEL}={OPT_IN_VALUE} (the report records it)")

    @model_validator(mode="after")
    def _counts_within_blast_radius(self) -> "Live":
        # A count can be checked before any engine is asked; what names and labels
        # match is known only then (chaos.targets.plan_blast_radius).
        for name, t in self.targets.items():
            if t.count is not None and t.count > self.max_blast_radius:
                raise ValueError(f"target '{name}' asks for {t.count} containers, more than max_blast_radius "
                                 f"{self.max_blast_radius}; lower it or raise 'max_blast_radius'")
        return self
