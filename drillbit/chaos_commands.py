"""``drillbit chaos``: single faults on real containers outside a scenario, what the
safety ledger says is applied, and restoring it (after a crash too).

The chaos package (docker) is imported only inside these commands.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import click

from . import output
from .params import DURATION


def _ledger(path: Path | None):  # noqa: ANN202 - chaos.ledger.Ledger, imported late
    from chaos.ledger import Ledger

    return Ledger(path)


LEDGER_OPTION = click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
                             help="The safety ledger (default: $DRILLBIT_CHAOS_LEDGER, else "
                                  "~/.local/state/drillbit/chaos-ledger.jsonl).")


@click.group()
def chaos() -> None:
    """Real faults in Docker containers: apply one, list what is applied, restore it."""


@chaos.command()
@LEDGER_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the faults as JSON.")
def status(ledger: Path | None, as_json: bool) -> None:
    """List the faults the ledger says are still applied (or failed to restore), and
    whether the process that applied each is still running."""
    from chaos.watchdog import runner_alive

    book = _ledger(ledger)
    entries = book.outstanding()
    if as_json:
        output.emit_json({"version": 1, "ledger": str(book.path),
                          "faults": [{**e.to_json(), "runner_alive": runner_alive(e.runner_pid)} for e in entries]})
        return
    output.err.print(f"ledger: {book.path}", markup=False)
    if not entries:
        output.out.print("no fault is applied", markup=False)
        return
    output.table(f"faults applied ({len(entries)})", ["id", "kind", "container", "state", "since", "runner"],
                 ((e.id, e.restore.kind, e.restore.name, e.state, e.time.isoformat(timespec="seconds"),
                   f"{e.runner_pid} ({'running' if runner_alive(e.runner_pid) else 'gone'})") for e in entries))


def _restore(ledger: Path | None, *, only_orphans: bool) -> None:
    from chaos.errors import ChaosError
    from chaos.session import restore_fault
    from chaos.watchdog import runner_alive

    book = _ledger(ledger)
    entries = [e for e in reversed(book.outstanding()) if not (only_orphans and runner_alive(e.runner_pid))]
    skipped = len(book.outstanding()) - len(entries)
    failed = []
    for e in entries:
        try:
            restore_fault(book, e)
            output.out.print(f"restored {e.restore.kind} on {e.restore.name} ({e.id})", markup=False)
        except ChaosError as exc:
            failed.append(f"{e.restore.kind} on {e.restore.name} ({e.id}): {exc}")
    if skipped:
        output.err.print(f"note: {skipped} fault{'s' if skipped != 1 else ''} held by a running drill left to it; "
                         "`drillbit chaos restore --all` restores those too", markup=False)
    if not entries and not skipped:
        output.out.print("nothing to restore: no fault is applied", markup=False)
    if failed:
        raise ChaosError(f"{len(failed)} fault{'s' if len(failed) != 1 else ''} could not be restored and stay in "
                         "the ledger: " + "; ".join(failed))


@chaos.command()
@LEDGER_OPTION
def recover(ledger: Path | None) -> None:
    """After a crash (SIGKILL, power loss): restore and verify every fault whose drill
    is gone. Safe to run any number of times."""
    _restore(ledger, only_orphans=True)


@chaos.command()
@LEDGER_OPTION
@click.option("--all", "everything", is_flag=True, required=True, help="Every applied fault, a running drill's too.")
def restore(ledger: Path | None, everything: bool) -> None:  # noqa: ARG001 - --all is required to say so
    """Restore and verify every fault the ledger says is applied (--all)."""
    _restore(ledger, only_orphans=False)


def _value(text: str) -> object:
    """A --param value: JSON where it parses (0.3, 5, ["db"], true), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _target(specs: tuple[str, ...], host: str | None, count: int | None):  # noqa: ANN202
    from scenarios.live import LiveTarget

    labels = dict(s.split("=", 1) for s in specs if "=" in s)
    names = [s for s in specs if "=" not in s]
    fields: dict[str, object] = {"labels": labels, "host": host}
    if names:
        globbed = any(ch in n for n in names for ch in "*?[")
        fields["patterns" if globbed else "names"] = names
    if count is not None:
        fields["count"] = count
    try:
        return LiveTarget.model_validate(fields)
    except ValueError as exc:
        raise click.BadParameter(str(exc).splitlines()[-1], param_hint="--target") from None


def _peer_ids(spec: object, host: str | None) -> list[str]:
    """``--param peers=…`` (one name, glob or label=value, or a JSON list of them) as the
    ids of the containers they match. Peers are not touched (their traffic is cut or
    redirected in the target's namespace), so they need no opt-in label."""
    from chaos.targets import resolve

    specs = [spec] if isinstance(spec, str) else spec
    if not isinstance(specs, list) or not specs or not all(isinstance(s, str) and s for s in specs):
        raise click.BadParameter(f"peers is a container name, a glob, label=value, or a JSON list of them, got {spec!r}",
                                 param_hint="--param")
    ids: list[str] = []
    for one in specs:
        target = _target((one,), host, None)
        for c in resolve(target, rng=random.Random(), allow_unlabelled=True, exclude_self=False, name=f"peer {one}"):
            if c.id not in ids:
                ids.append(c.id)
    return ids


@chaos.command()
@click.argument("kind")
@click.option("--target", "targets", multiple=True, required=True, metavar="NAME|PATTERN|LABEL=VALUE",
              help="Containers: a name, a glob of names (shop-*), or a label (app=api); repeat to narrow.")
@click.option("--count", type=click.IntRange(1), help="Only this many of the matching containers, drawn at random.")
@click.option("--for", "duration", type=DURATION, default="1m", show_default=True, help="How long the fault lasts.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter of the fault, e.g. signal=SIGTERM, probability=0.3, path=/data, rate=1mbit; "
                   "peers= takes names, globs or label=value (a JSON list for several): peers=web-*.")
@click.option("--host", help="The Docker engine (default: DOCKER_HOST, else the local socket).")
@click.option("--allow-unlabelled", is_flag=True, help="Target containers without the label drillbit.chaos=allow.")
@click.option("--dry-run", is_flag=True, help="Resolve the targets and print the plan; touch nothing.")
@LEDGER_OPTION
def apply(kind: str, targets: tuple[str, ...], count: int | None, duration: float, params: tuple[str, ...],
          host: str | None, allow_unlabelled: bool, dry_run: bool, ledger: Path | None) -> None:
    """Apply one fault of KIND to containers for a while, then restore it.

    The restore is written to the safety ledger before anything is touched, a watchdog
    restores it if this command is killed, and Ctrl-C or SIGTERM restores it at once
    (drillbit turns both into an interruption that unwinds through the held faults)."""
    from chaos.engine import connect
    from chaos.faults import FAULTS
    from chaos.session import held_faults
    from chaos.targets import describe, resolve
    from chaos.watchdog import start_watchdog

    if kind not in FAULTS:
        raise click.BadParameter(f"expected one of {', '.join(sorted(FAULTS))}, got {kind!r}", param_hint="KIND")
    bad = [p for p in params if "=" not in p]
    if bad:
        raise click.BadParameter(f"expected KEY=VALUE, got {bad[0]!r}", param_hint="--param")
    values = {k: _value(v) for k, v in (p.split("=", 1) for p in params)}
    if "peers" in values:
        values["peers"] = _peer_ids(values["peers"], host)
    target = _target(targets, host, count)
    containers = resolve(target, rng=random.Random(), allow_unlabelled=allow_unlabelled)
    fault = FAULTS[kind](**values)
    client = connect(host)
    for c in containers:
        fault.check(client, c)
    plan = describe(containers, target)
    output.out.print(f"{kind} for {duration:g}s on {len(plan)} container{'s' if len(plan) != 1 else ''}:", markup=False)
    for row in plan:
        output.out.print(f"  {row}", markup=False)
    if allow_unlabelled:
        output.err.print("note: --allow-unlabelled: containers without drillbit.chaos=allow may be targeted",
                         markup=False)
    if dry_run:
        output.out.print("dry run: nothing was touched", markup=False)
        return
    book = _ledger(ledger)
    start_watchdog(book.path)
    with held_faults(book) as held:
        for c in containers:
            entry = held.apply(client, fault, c, host=host, checked=True)  # checked above, before the plan
            output.out.print(f"applied {kind} to {c.name} ({entry.id}); restoring in {duration:g}s", markup=False)
        time.sleep(duration)
    output.out.print(f"restored {kind} on {len(containers)} container{'s' if len(containers) != 1 else ''}", markup=False)
