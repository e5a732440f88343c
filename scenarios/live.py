"""The ``live`` section of a scenario: real faults on Docker containers and the probes
that measure their impact. The chaos package executes it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Id, Model, Probability
from .durations import Duration, Offset

LiveFaultKind = Literal[
    "kill", "stop", "pause", "restart",
    "packet-loss", "partition", "bandwidth", "latency",
    "delete-path", "corrupt-file", "fill-disk", "cpu-stress", "exec",
]


class LiveTarget(Model):
    """Which containers a name stands for: by labels, names, or both; then how many."""

    labels: dict[str, str] = Field(default_factory=dict)
    names: list[str] = Field(default_factory=list)
    select: Literal["all", "one", "random"] = "all"

    @model_validator(mode="after")
    def _some_selector(self) -> "LiveTarget":
        if not (self.labels or self.names):
            raise ValueError("expected 'labels' or 'names' to select containers, got neither")
        return self


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


class Probe(Model):
    """A check run every ``every`` to measure impact and recovery."""

    name: Id
    http: str | None = None
    tcp: str | None = None
    command: str | None = None
    target: str | None = Field(None, description="for command probes: the target to run it in")
    every: Duration = 1.0
    timeout: Duration = 2.0
    expect_status: int = Field(200, ge=100, le=599)
    expect_stable: bool = Field(False, description="the output must not change (data integrity)")

    @model_validator(mode="after")
    def _one_check(self) -> "Probe":
        given = [k for k in ("http", "tcp", "command") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of http, tcp or command, got {', '.join(given) or 'none'}")
        return self


class Live(Model):
    """How to play the scenario against real containers."""

    targets: dict[Id, LiveTarget] = Field(min_length=1)
    faults: list[LiveFault] = Field(min_length=1)
    probes: list[Probe] = Field(default_factory=list)
