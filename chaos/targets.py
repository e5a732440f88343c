"""Which real containers a scenario's target names: matched on a Docker engine, refused
without the opt-in label, never drillbit's own container, counted by the target's rule
with the drill's seeded generator, and bounded by the drill's blast radius."""

from __future__ import annotations

import fnmatch
import os
import random
import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil
from pathlib import Path
from typing import Any

from docker.errors import DockerException
from docker.models.containers import Container

from scenarios.live import COMPOSE_PROJECT, COMPOSE_SERVICE, OPT_IN_LABEL, OPT_IN_VALUE, Live, LiveTarget

from .engine import connect
from .errors import ChaosError, EngineError

#: How many running containers a "matched nothing" message lists.
LISTED = 10
_CONTAINER_ID = re.compile(r"[0-9a-f]{64}")


class TargetError(ChaosError):
    """A target that matches nothing, touches a container that did not opt in, asks for
    more containers than match, or a drill that would exceed its blast radius."""


def own_container_ids(cgroup: str | Path = "/proc/self/cgroup", mountinfo: str | Path = "/proc/self/mountinfo",
                      hostname: str | None = None) -> set[str]:
    """Ids (full, or the 12-character hostname Docker gives a container) under which
    drillbit's own container may appear; empty on a host.

    cgroup v1 and the systemd driver name the container in ``/proc/self/cgroup``; with
    cgroup v2 and a private namespace that reads ``0::/``, but Docker still bind-mounts
    ``/var/lib/docker/containers/ID/hostname``, which ``mountinfo`` shows."""
    ids: set[str] = set()
    for path in (cgroup, mountinfo):
        try:
            ids.update(_CONTAINER_ID.findall(Path(path).read_text(encoding="utf-8", errors="replace")))
        except OSError:
            pass
    name = socket.gethostname() if hostname is None else hostname
    if re.fullmatch(r"[0-9a-f]{12,64}", name):
        ids.add(name)
    return ids


def _is_own(container: Container, own: set[str]) -> bool:
    return any(container.id.startswith(i) for i in own)


def _name(container: Container) -> str:
    return container.name or container.attrs.get("Name", "").lstrip("/")


def _labels(container: Container) -> dict[str, str]:
    return dict(container.attrs.get("Config", {}).get("Labels") or {})


def _name_matches(target: LiveTarget, name: str) -> bool:
    if not (target.names or target.patterns):
        return True
    return name in target.names or any(fnmatch.fnmatchcase(name, p) for p in target.patterns)


def _wanted(target: LiveTarget) -> str:
    parts = []
    if target.names:
        parts.append(f"names {', '.join(target.names)}")
    if target.patterns:
        parts.append(f"patterns {', '.join(target.patterns)}")
    labels = target.required_labels()
    if labels:
        parts.append("labels " + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())))
    return "; ".join(parts)


def _running(client: Any, labels: Mapping[str, str]) -> list[Container]:
    filters: dict[str, Any] = {"status": "running"}
    if labels:
        filters["label"] = [f"{k}={v}" for k, v in labels.items()]
    try:
        # A container removed between the engine's list and its inspection (another
        # process's, on a shared engine) is simply not running any more.
        found = client.containers.list(filters=filters, ignore_removed=True)
    except DockerException as exc:
        raise EngineError(f"cannot list containers: {exc}") from None
    # Sorted by name so that a seeded draw picks the same containers whatever order the engine lists them in.
    return sorted(found, key=_name)


def _draw(rng: Any, items: Sequence[Container], k: int) -> list[Container]:
    """``k`` distinct items drawn by ``rng`` (a random.Random or a numpy Generator)."""
    if isinstance(rng, random.Random):
        return rng.sample(list(items), k)
    if rng is None:
        raise TargetError("a random selection needs the drill's random generator")
    return [items[int(i)] for i in rng.choice(len(items), size=k, replace=False)]


def resolve(target: LiveTarget, *, rng: Any, allow_unlabelled: bool = False, exclude_self: bool = True,
            name: str | None = None) -> list[Container]:
    """The running containers ``target`` stands for, on its engine (``target.host``, else
    the environment's), sorted by name.

    ``rng`` (random.Random or numpy.random.Generator) draws for ``random``, ``count`` and
    ``percent``, so a seeded drill picks the same. ``name`` is the target's name in the
    scenario, for messages. Raises TargetError when nothing matches (listing what runs),
    a match lacks ``drillbit.chaos=allow`` and ``allow_unlabelled`` is false, or
    ``count`` exceeds the matches; EngineError when the engine does not answer."""
    called = f"target '{name}'" if name else "the target"
    client = connect(target.host)
    own = own_container_ids() if exclude_self else set()
    labelled = _running(client, target.required_labels())
    matched = [c for c in labelled if _name_matches(target, _name(c))]
    mine = [c for c in matched if _is_own(c, own)]
    matched = [c for c in matched if not _is_own(c, own)]
    if not matched:
        if mine:
            raise TargetError(f"{called} matches only drillbit's own container ({_name(mine[0])}); drillbit never targets itself")
        running = [_name(c) for c in _running(client, {})]
        listing = ", ".join(running[:LISTED]) + (f" and {len(running) - LISTED} more" if len(running) > LISTED else "")
        raise TargetError(f"{called} matched no running container on {target.host or 'the local engine'}: looked for "
                          f"{_wanted(target)}; running: {listing or 'none'}")
    if not allow_unlabelled:
        refused = [_name(c) for c in matched if _labels(c).get(OPT_IN_LABEL) != OPT_IN_VALUE]
        if refused:
            raise TargetError(f"{called} matches containers that did not opt in to chaos: {', '.join(refused)}; add the "
                              f"label {OPT_IN_LABEL}={OPT_IN_VALUE} to them (or allow unlabelled containers explicitly)")
    rule = target.how_many
    if rule == "all":
        return matched
    if rule == "one":
        return matched[:1]
    if rule == "random":
        k = 1
    elif rule == "count":
        k = target.count or 1
        if k > len(matched):
            raise TargetError(f"{called} asks for {k} containers, but only {len(matched)} match: "
                              f"{', '.join(_name(c) for c in matched)}")
    else:
        # A share rounds up, so any positive percentage touches at least one container.
        k = min(len(matched), max(1, ceil(len(matched) * (target.percent or 0) / 100 - 1e-9)))
    return sorted(_draw(rng, matched, k), key=_name)


def _key(container: Container) -> tuple[str, str]:
    return (str(getattr(container.client.api, "base_url", "")), container.id)


def plan_blast_radius(resolved: Mapping[str, Sequence[Container]], max_blast_radius: int) -> list[Container]:
    """The distinct containers the drill would touch (one container in two targets counts
    once), in target order. Raises TargetError when they exceed ``max_blast_radius``."""
    distinct: dict[tuple[str, str], Container] = {}
    for containers in resolved.values():
        for c in containers:
            distinct.setdefault(_key(c), c)
    if len(distinct) > max_blast_radius:
        per = ", ".join(f"{n} ({len(cs)})" for n, cs in resolved.items())
        raise TargetError(f"the drill would touch {len(distinct)} containers, more than max_blast_radius "
                          f"{max_blast_radius}: {per}; narrow the targets or raise live.max_blast_radius")
    return list(distinct.values())


def resolve_live(live: Live, *, rng: Any, allow_unlabelled: bool | None = None,
                 exclude_self: bool = True) -> dict[str, list[Container]]:
    """Every target of a ``live`` section resolved (in its order), then checked against
    its blast radius. ``allow_unlabelled`` None takes the section's own setting."""
    allow = live.allow_unlabelled if allow_unlabelled is None else allow_unlabelled
    out = {n: resolve(t, rng=rng, allow_unlabelled=allow, exclude_self=exclude_self, name=n)
           for n, t in live.targets.items()}
    plan_blast_radius(out, live.max_blast_radius)
    return out


@dataclass(frozen=True)
class Described:
    """One container as a dry run shows it."""

    name: str
    id: str
    image: str
    matched: dict[str, str] = field(default_factory=dict)
    host: str = "local"

    def __str__(self) -> str:
        labels = " ".join(f"{k}={v}" for k, v in sorted(self.matched.items()))
        return f"{self.name} {self.id} {self.image} [{labels}] on {self.host}"


def describe(containers: Iterable[Container], target: LiveTarget | None = None) -> list[Described]:
    """What a dry run prints per container: name, short id, image, the labels that
    matched (``target``'s, or the opt-in and Compose labels without one), and host."""
    keys = set(target.required_labels()) if target is not None else {COMPOSE_PROJECT, COMPOSE_SERVICE}
    keys.add(OPT_IN_LABEL)
    out = []
    for c in containers:
        labels = _labels(c)
        image = c.attrs.get("Config", {}).get("Image") or c.attrs.get("Image", "")[:19]
        host = target.host if target is not None and target.host else os.environ.get("DOCKER_HOST") or "local"
        out.append(Described(_name(c), c.id[:12], image, {k: v for k, v in labels.items() if k in keys}, host))
    return out
