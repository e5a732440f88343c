"""The ``live`` section of a scenario: real faults on Docker containers and the probes
that measure their impact. The chaos package executes it."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from .base import Id, Model, Probability
from .durations import Duration, Offset

LiveFaultKind = Literal[
    "kill", "stop", "pause", "restart", "kill-process",
    "disconnect", "partition", "packet-loss", "dns-failure", "bandwidth", "latency",
    "connection-reset", "connection-timeout",
    "cpu-hog", "memory-limit", "fill-disk",
    "delete-path", "corrupt-file",
]

#: The fields of a fault through drillbit's TCP proxy (``port`` with ``peers`` or ``listen``).
_PROXIED = ("port", "peers", "listen", "stream", "toxicity")
#: Fields that only the kernel's form of bandwidth and latency takes (tc on a device).
_KERNEL_ONLY = ("burst", "device")

#: Per fault kind: the fields it needs, then the fields it may take (beyond ``at``,
#: ``kind``, ``target``, ``duration`` and ``note``). The chaos catalogue implements
#: the same kinds (a test keeps the two equal).
FAULT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "kill": ((), ("signal",)),
    "stop": ((), ("grace",)),
    "pause": ((), ()),
    "restart": ((), ("grace",)),
    "kill-process": (("process",), ("signal",)),
    "disconnect": ((), ("network",)),
    "partition": (("peers",), ()),
    "packet-loss": (("loss",), ("direction",)),
    "dns-failure": ((), ()),
    "bandwidth": (("rate",), ("burst", "device", *_PROXIED)),
    "latency": (("delay",), ("jitter", "device", *_PROXIED)),
    "connection-reset": (("port",), ("peers", "listen", "stream", "toxicity", "after")),
    "connection-timeout": (("port",), ("peers", "listen", "stream", "toxicity", "after")),
    "cpu-hog": ((), ("workers",)),
    "memory-limit": (("limit",), ("swap",)),
    "fill-disk": (("path",), ("percent",)),
    "delete-path": (("path",), ()),
    "corrupt-file": (("path",), ("bytes", "offset")),
}


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

    names: list[ContainerName] = Field(default_factory=list, description="exact container names, e.g. [shop-api-1]")
    patterns: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list, description="globs on container names, e.g. shop-api-*")
    labels: dict[str, str] = Field(default_factory=dict, description="container labels that must all hold, e.g. {app: shop}")
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


_RATE = re.compile(r"\d+(\.\d+)?(bit|kbit|mbit|gbit|tbit|bps|kbps|mbps|gbps|tbps)")
_SIZE = re.compile(r"\d+(\.\d+)?[kmgt]?b?", re.IGNORECASE)


def _rate(value: str) -> str:
    if not _RATE.fullmatch(value):
        raise ValueError(f"expected a rate in tc units such as '1mbit' or '500kbit', got {value!r}")
    return value


def _size(value: str) -> str:
    if not _SIZE.fullmatch(value):
        raise ValueError(f"expected a size such as '64m' or '1g', got {value!r}")
    return value


def _absolute(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"expected an absolute path inside the container, got {value!r}")
    return value


def _host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host.strip("[]") or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT such as '127.0.0.1:5432', got {value!r}")
    return value


def _tc_time(seconds: float) -> str:
    """Seconds in tc's units (whole microseconds), e.g. 0.1 -> '100000us'."""
    return f"{round(seconds * 1_000_000)}us"


class LiveFault(Model):
    """A fault injected ``at`` after the game day's start; restored after ``duration``
    or when the game day ends. Which fields a kind needs and takes is
    :data:`FAULT_FIELDS`; giving another kind's field is an error."""

    at: Offset = Field(0.0, description="when the fault starts, after the game day starts, e.g. 30s")
    kind: LiveFaultKind = Field(description="the fault to put on the containers, e.g. kill, pause, latency")
    target: str = Field(description="the target (one of live.targets) whose containers get the fault")
    duration: Duration | None = Field(None,
                                      description="how long the fault lasts before drillbit restores it, e.g. 5m (default: until the end)")
    signal: str | None = Field(None, description="kill, kill-process: the signal, SIGKILL by default")
    grace: Duration | None = Field(None, description="stop, restart: seconds before SIGKILL (10s by default)")
    process: str | None = Field(None, description="kill-process: the process name inside the container")
    network: str | None = Field(None, description="disconnect: the Docker network (default: every network it is on)")
    peers: list[str] = Field(default_factory=list, description="partition: target names cut off from this one, both ways; "
                                                               "with 'port': the targets whose connections on that port go through drillbit's proxy")
    loss: Probability | None = Field(None, description="packet-loss: share of packets dropped")
    direction: Literal["input", "output", "both"] | None = Field(None, description="packet-loss: which traffic (both by default)")
    rate: Annotated[str, AfterValidator(_rate)] | None = Field(None, description="bandwidth: e.g. 1mbit")
    burst: Annotated[str, AfterValidator(_rate)] | None = Field(None, description="bandwidth: the bucket, e.g. 32kbit")
    device: str | None = Field(None, description="bandwidth, latency: the interface inside the container (eth0)")
    delay: Duration | None = Field(None, description="latency: added delay")
    jitter: Duration | None = Field(None, description="latency: random variation of the delay")
    port: int | None = Field(None, ge=1, le=65535, description="latency, bandwidth, connection-reset, connection-timeout: "
                                                               "only connections to this TCP port, through drillbit's proxy "
                                                               "(with 'peers' or 'listen')")
    listen: Annotated[str, AfterValidator(_host_port)] | None = Field(
        None, description="with 'port': the proxy listens at this HOST:PORT (e.g. 127.0.0.1:18080) and forwards to the "
                          "target's port; clients and probes use this address")
    stream: Literal["upstream", "downstream"] | None = Field(
        None, description="with 'port': which way the proxy affects, client to server (upstream) or server to "
                          "client (downstream, the default)")
    toxicity: Probability | None = Field(None, description="with 'port': the share of connections affected (1 by default)")
    after: Duration | None = Field(None, description="connection-timeout: close a stalled connection after this long "
                                                     "without data (0, the default: never); connection-reset: reset "
                                                     "this long after the first data (0 by default)")
    workers: int | None = Field(None, ge=1, le=64, description="cpu-hog: busy processes (1 by default)")
    limit: Annotated[str, AfterValidator(_size)] | None = Field(None, description="memory-limit: the lowered limit, e.g. 64m")
    swap: Annotated[str, AfterValidator(_size)] | None = Field(None, description="memory-limit: memory plus swap")
    path: Annotated[str, AfterValidator(_absolute)] | None = Field(None, description="fill-disk, delete-path, corrupt-file: a path inside the container")
    percent: float | None = Field(None, gt=0, le=100, description="fill-disk: how full the filesystem gets (95 by default)")
    bytes: int | None = Field(None, ge=1, description="corrupt-file: how many bytes are overwritten (64 by default)")
    offset: int | None = Field(None, ge=0, description="corrupt-file: where overwriting starts")
    note: str | None = Field(None, description="a remark for the people in the room")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> "LiveFault":
        needs, takes = FAULT_FIELDS[self.kind]
        missing = [f for f in needs if getattr(self, f) in (None, [])]
        if missing:
            raise ValueError(f"a {self.kind} fault needs '{missing[0]}'")
        given = [f for f in PARAM_FIELDS if f not in needs and f not in takes and getattr(self, f) not in (None, [])]
        if given:
            owners = [k for k, (n, t) in FAULT_FIELDS.items() if given[0] in n or given[0] in t]
            raise ValueError(f"'{given[0]}' is not a field of a {self.kind} fault (it belongs to {', '.join(owners)})")
        if "listen" in takes:
            self._proxy_fields()
        return self

    def _proxy_fields(self) -> None:
        proxied = self.port is not None
        if self.peers and self.listen:
            raise ValueError("give 'peers' (the target's connections to them go through drillbit's proxy) or "
                             "'listen' (clients use the proxy's address), not both")
        if proxied and not (self.peers or self.listen):
            raise ValueError(f"a {self.kind} fault on 'port' needs 'peers' (the target's connections to them go "
                             "through drillbit's proxy) or 'listen: 127.0.0.1:PORT' (the proxy's address)")
        if not proxied:
            stray = [f for f in _PROXIED if f != "port" and getattr(self, f) not in (None, [])]
            if stray:
                raise ValueError(f"'{stray[0]}' belongs to a {self.kind} fault through drillbit's proxy: give 'port' too")
        elif self.kind in ("latency", "bandwidth"):
            stray = [f for f in _KERNEL_ONLY if getattr(self, f) is not None]
            if stray:
                raise ValueError(f"'{stray[0]}' belongs to the kernel's {self.kind} (tc), not to one on 'port' "
                                 "through drillbit's proxy")

    def params(self) -> dict[str, object]:
        """The fault's parameters as the chaos catalogue takes them (``loss`` is its
        ``probability``, durations of ``latency`` in tc units). ``peers`` stay target
        names: the runner turns them into containers."""
        out: dict[str, object] = {}
        for name in PARAM_FIELDS:
            value = getattr(self, name)
            if value in (None, []):
                continue
            if name == "loss":
                out["probability"] = value
            elif name in ("delay", "jitter"):
                out[name] = _tc_time(value)
            else:
                out[name] = value
        return out

    @property
    def label(self) -> str:
        """How reports name it: ``kind on target``."""
        return f"{self.kind} on {self.target}"


#: Every per-kind field of :class:`LiveFault`.
PARAM_FIELDS: tuple[str, ...] = tuple(sorted({f for n, t in FAULT_FIELDS.values() for f in (*n, *t)}))


#: The shortest probe interval: faster than this, the probes become the load.
MIN_EVERY = 0.1


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

    name: Id = Field(description="the probe's name in the timeline and the report, e.g. checkout-api")
    http: Annotated[str, AfterValidator(_http_url)] | None = Field(None,
                                                                   description="an http:// or https:// address to GET, e.g. http://127.0.0.1:8080/health")
    tcp: Annotated[str, AfterValidator(_host_port)] | None = Field(None, description="HOST:PORT to connect to")
    command: str | None = Field(None, description="a command run in the target's containers; exit status 0 passes")
    health: bool = Field(False, description="the target's health status (running, when it has no healthcheck)")
    target: str | None = Field(None, description="for command and health probes: the target to check")
    every: Duration = Field(1.0, description="how often the probe runs, at least 100ms, e.g. 1s")
    timeout: Duration = Field(2.0, description="a check slower than this fails, e.g. 2s")
    expect_status: int = Field(200, description="http: the status code that passes, e.g. 200", ge=100, le=599)
    body: str | None = Field(None, description="http: text the response body must contain")
    body_regex: Annotated[str, AfterValidator(_regex)] | None = Field(None, description="http: a regular expression the body must match")
    max_latency: Duration | None = Field(None, description="http: slower than this counts as failing")
    expect_stable: bool = Field(False, description="the output must not change (data integrity)")
    guard: bool = Field(False, description="something that must stay healthy: a failure aborts the game day and "
                                           "restores every fault (not counted as the drill's impact)")

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

    targets: dict[Id, LiveTarget] = Field(min_length=1,
                                          description="target name -> the running containers it stands for (faults and probes name targets)")
    faults: list[LiveFault] = Field(min_length=1,
                                    description="the real faults to put on the targets, each at an offset from the start")
    probes: list[Probe] = Field(default_factory=list,
                                description="checks that measure impact and recovery while the game day runs")
    healthy_for: Duration = Field(5.0, description="probes healthy this long after a failure count as recovered")
    steady_for: Duration = Field(0.0, description="before the first fault, every probe passes and stays passing this long")
    limit: Duration = Field(1800.0, description="the wall-clock limit: the game day ends and restores everything after this long")
    end: Literal["resolved", "recovered"] = Field(
        "resolved", description="when the game day ends: 'resolved' (a person marks it resolved) or 'recovered' "
                                "(every fault restored and the probes recovered); the limit ends it either way")
    stack: str | None = Field(None, description="a stack file (relative to the scenario) the game day brings up "
                                                "first and removes afterwards, such as examples/live/stack.yaml")
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
