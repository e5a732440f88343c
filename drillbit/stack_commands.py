"""``drillbit stack``: build and start a stack file's containers (the offline staging
stack a game day plays against), show them, remove them.

The chaos package (docker) is imported only inside these commands.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import output

FILE = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
HOST = click.option("--host", help="The Docker engine (default: DOCKER_HOST, else the local socket).")
JSON = click.option("--json", "as_json", is_flag=True, help="Print the stack's state as JSON.")


@click.group()
def stack() -> None:
    """The offline staging stack a game day plays against: build and start it, show it, remove it."""


def _status_json(status) -> dict:  # noqa: ANN001 - chaos.stack.StackStatus, imported late
    return {"version": 1, "stack": status.stack, "up": status.up, "network": status.network,
            "network_exists": status.network_exists,
            "services": [{"service": s.service, "container": s.container, "state": s.state, "health": s.health,
                          "ports": list(s.ports)} for s in status.services]}


def _show(status) -> None:  # noqa: ANN001
    output.table(f"stack {status.stack} (network {status.network}: {'present' if status.network_exists else 'absent'})",
                 ["service", "container", "state", "health", "ports"],
                 ((s.service, s.container, s.state, s.health or "-", ", ".join(s.ports) or "-")
                  for s in status.services))


@stack.command()
@FILE
@click.option("--env", "env", multiple=True, metavar="KEY=VALUE",
              help="Add to every service's environment, e.g. DRILLBIT_RECEIVER=http://127.0.0.1:9095 (repeat).")
@click.option("--wait", "wait", default="60s", show_default=True, metavar="DURATION",
              help="How long to wait for every service to be healthy.")
@HOST
@JSON
def up(file: Path, env: tuple[str, ...], wait: str, host: str | None, as_json: bool) -> None:
    """Build the images of stack FILE (FROM scratch, with this machine's static busybox)
    and start its containers, replacing the stack if it runs already; wait until each
    is healthy."""
    from chaos.stack import bring_up, stack_status
    from scenarios import load_stack, parse_duration

    bad = [e for e in env if "=" not in e or not e.split("=", 1)[0]]
    if bad:
        raise click.BadParameter(f"expected KEY=VALUE, got {bad[0]!r}", param_hint="--env")
    try:
        within = parse_duration(wait)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--wait") from None
    model = load_stack(file)
    containers = bring_up(model, file.resolve().parent, env=dict(e.split("=", 1) for e in env), host=host,
                          healthy_within=within)
    status = stack_status(model, host=host)
    if as_json:
        output.emit_json(_status_json(status))
        return
    _show(status)
    output.out.print(f"stack {model.stack} is up: {len(containers)} container{'s' if len(containers) != 1 else ''}; "
                     f"`drillbit stack down {file}` removes it", markup=False)


@stack.command()
@FILE
@HOST
def down(file: Path, host: str | None) -> None:
    """Remove the containers and the network of stack FILE (the images stay, for the
    next `up`). Nothing left is not an error."""
    from chaos.stack import tear_down
    from scenarios import load_stack

    model = load_stack(file)
    removed = tear_down(model, host=host)
    output.out.print(f"stack {model.stack}: {'removed ' + str(removed) + ' containers and networks' if removed else 'nothing to remove'}",
                     markup=False)


@stack.command()
@FILE
@HOST
@JSON
def status(file: Path, host: str | None, as_json: bool) -> None:
    """Show each service of stack FILE: its container's state, health and published ports."""
    from chaos.stack import stack_status
    from scenarios import load_stack

    model = load_stack(file)
    now = stack_status(model, host=host)
    if as_json:
        output.emit_json(_status_json(now))
        return
    _show(now)
    output.out.print(f"stack {model.stack} is {'up' if now.up else 'absent' if now.absent else 'not (fully) up'}",
                     markup=False)
