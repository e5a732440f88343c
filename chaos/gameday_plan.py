"""A game day's plan, resolved against the engines and touching nothing: which
containers every fault touches (a partition's peers turned from target names into the
containers they resolve to), each fault checked on each container, and the probes
built over the resolved targets."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docker.models.containers import Container

from scenarios.durations import format_duration
from scenarios.live import OPT_IN_LABEL, OPT_IN_VALUE, Live, LiveFault
from scenarios.live import Probe as ProbeModel

from .engine import connect
from .faults import FAULTS, Fault
from .gameday_errors import GameDayError
from .probes import Probe, ProbeError, probe_from
from .targets import Described, describe, plan_blast_radius, resolve_live

if TYPE_CHECKING:
    from .gameday import GameDayPlan

#: Fault kinds that destroy data: a stable-output probe on their target measures the restore.
DATA_KINDS = frozenset({"delete-path", "corrupt-file"})


@dataclass(frozen=True)
class Placement:
    """One fault on one container, built with that container's parameters."""

    container: Container
    fault: Fault
    host: str | None


@dataclass(frozen=True)
class PreparedFault:
    index: int
    model: LiveFault
    placements: tuple[Placement, ...]
    described: tuple[Described, ...]


@dataclass(frozen=True)
class PreparedProbe:
    model: ProbeModel
    probe: Probe
    #: Indexes of the data faults whose restore this probe measures (a stable-output
    #: command on their target).
    data_faults: tuple[int, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """Everything :meth:`GameDay.run` executes, and what the plan shows of it."""

    faults: tuple[PreparedFault, ...]
    probes: tuple[PreparedProbe, ...]
    containers: tuple[Described, ...]
    unlabelled: tuple[Described, ...]


def _check_names(live: Live) -> None:
    targets = live.targets
    known = ", ".join(targets)
    for i, f in enumerate(live.faults):
        for name in (f.target, *f.peers):
            if name not in targets:
                raise GameDayError(f"live.faults[{i}] names the target '{name}', which live.targets does not define "
                                f"(it defines {known})")
    for p in live.probes:
        if p.target is not None and p.target not in targets:
            raise GameDayError(f"probe '{p.name}' checks the target '{p.target}', which live.targets does not define "
                            f"(it defines {known})")


def _params(model: LiveFault, container: Container, resolved: dict[str, list[Container]]) -> dict[str, Any]:
    params = model.params()
    if model.peers:
        # Two groups: a partition cuts this container off from every container of the
        # peers' targets, a proxied fault slows or breaks its connections to them (a
        # container in both groups is not its own peer).
        peers = [c.id for name in model.peers for c in resolved[name] if c.id != container.id]
        if not peers:
            raise GameDayError(f"{model.kind} of {model.target}: its peers ({', '.join(model.peers)}) resolve to no "
                            f"container other than {container.name}")
        params["peers"] = list(dict.fromkeys(peers))
    return params


def prepare(live: Live, *, seed: int, allow_unlabelled: bool | None) -> Prepared:
    """Resolve, check and build (see the module). Raises TargetError, FaultError,
    EngineError or GameDayError."""
    _check_names(live)
    allow = live.allow_unlabelled if allow_unlabelled is None else allow_unlabelled
    resolved = resolve_live(live, rng=random.Random(seed), allow_unlabelled=allow)
    touched: dict[str, list[Container]] = {}
    faults = []
    for i, model in enumerate(live.faults):
        target = live.targets[model.target]
        client = connect(target.host)
        placements = []
        for c in resolved[model.target]:
            fault = FAULTS[model.kind](**_params(model, c, resolved))
            fault.check(client, c)
            placements.append(Placement(c, fault, target.host))
        touched.setdefault(model.target, list(resolved[model.target]))
        for peer in model.peers:
            touched.setdefault(peer, list(resolved[peer]))
        faults.append(PreparedFault(i, model, tuple(placements), tuple(describe(resolved[model.target], target))))
    plan_blast_radius(touched, live.max_blast_radius)
    seen: dict[tuple[str, str], Described] = {}
    for name, containers in touched.items():
        for d in describe(containers, live.targets[name]):
            seen.setdefault((d.host, d.id), d)
    unlabelled = [d for d in seen.values() if d.matched.get(OPT_IN_LABEL) != OPT_IN_VALUE] if allow else []
    data_targets: dict[str, list[int]] = {}
    for f in faults:
        if f.model.kind in DATA_KINDS:
            data_targets.setdefault(f.model.target, []).append(f.index)
    probes = []
    for model in live.probes:
        try:
            probe = probe_from(model, resolved)
        except ProbeError as exc:
            raise GameDayError(str(exc)) from None
        data = tuple(data_targets.get(model.target or "", ())) if model.command and model.expect_stable else ()
        probes.append(PreparedProbe(model, probe, data))
    return Prepared(tuple(faults), tuple(probes), tuple(seen.values()), tuple(unlabelled))


def plan_lines(plan: "GameDayPlan") -> list[str]:
    """The plan as plain lines: each fault (when, for how long, its parameters, the
    containers it touches), the probes, the guards and who is touched without opting in."""
    lines = []
    for pf in plan.faults:
        f = pf.fault
        how_long = f"for {format_duration(f.duration)}" if f.duration is not None else "until the end"
        params = ", ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in f.params().items())
        lines.append(f"fault {pf.index + 1}: {f.kind} on {f.target} at {format_duration(f.at)}, {how_long}"
                     + (f" ({params})" if params else "")
                     + f", {len(pf.containers)} container{'s' if len(pf.containers) != 1 else ''}:")
        lines.extend(f"  {d}" for d in pf.containers)
    lines.append(f"probes: {', '.join(plan.probes) or 'none'}")
    lines.append(f"guards: {', '.join(plan.guards) or 'none'}")
    lines.append(f"containers touched: {len(plan.containers)}")
    if plan.unlabelled:
        lines.append(f"touched without the label {OPT_IN_LABEL}={OPT_IN_VALUE} (allowed explicitly, and recorded): "
                     + ", ".join(d.name for d in plan.unlabelled))
    return lines


def probe_names(probes: Sequence[PreparedProbe], guard: bool) -> tuple[str, ...]:
    return tuple(p.model.name for p in probes if p.model.guard is guard)
