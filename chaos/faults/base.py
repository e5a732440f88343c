"""What every fault is: prepare (gather what restoring needs, touching nothing), apply,
verify applied; and, from the ledger's record alone, restore and verify restored.

The order a runner follows (``chaos.session``): ``check`` before the drill starts
(refuse what cannot be applied here, saying what is missing), ``prepare`` → the
ledger writes the :class:`Restore` durably → ``apply`` → ``verify_applied``; later
``restore`` → ``verify_restored``. ``restore`` and ``verify_restored`` are class
methods of the record alone, because after a SIGKILL only the ledger is left; both
are idempotent (restoring a fault already gone, or a container already removed, is
not an error).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from docker import DockerClient
from docker.models.containers import Container

from ..errors import ChaosError


class FaultError(ChaosError):
    """A fault that cannot be applied here (with what is missing and how to check), or
    one whose effect or restore could not be verified."""


@dataclass(frozen=True)
class Restore:
    """What undoing one applied fault needs, as the ledger stores it (JSON values only).

    ``container`` is the container's id and ``name`` its name when applied; ``host`` the
    engine it lives on (None: the environment's); ``data`` the fault's own facts
    (the previous memory limit, the snapshot's path, the iptables rule written …)."""

    kind: str
    container: str
    name: str
    host: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class Fault:
    """One fault of kind :attr:`kind` with its parameters (from a scenario's ``live``
    fault or ``drillbit chaos apply``). Subclasses implement every step."""

    kind: ClassVar[str]
    #: The family a report groups it under: container, network, resources, data.
    family: ClassVar[str]
    #: The ledger its restore is written to, set by ``chaos.session.apply_fault`` before
    #: ``prepare`` (None outside a session): a fault that runs a process of its own
    #: (drillbit's proxy) has it watch its entry there.
    ledger_path: Path | None = None

    def __init__(self, **params: Any) -> None:
        self.params = params

    def check(self, client: DockerClient, container: Container) -> None:
        """Raise FaultError if this fault cannot be applied to ``container`` here (a
        missing kernel module, a tool absent from the image, a container not running)."""

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        """The facts restoring will need, gathered before anything is touched."""
        return {}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        raise NotImplementedError

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        """Raise FaultError unless the fault is in effect."""
        raise NotImplementedError

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        """Undo the fault the record describes; idempotent."""
        raise NotImplementedError

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        """Raise FaultError unless nothing of the fault is left."""
        raise NotImplementedError


FAULTS: dict[str, type[Fault]] = {}


def register(cls: type[Fault]) -> type[Fault]:
    """Class decorator: add a fault kind to the catalogue."""
    if cls.kind in FAULTS:
        raise ValueError(f"fault kind {cls.kind!r} registered twice")
    FAULTS[cls.kind] = cls
    return cls
