"""``drillbit mark``: record what a person did during a running game day, from any
terminal on the machine. The game day's receiver URL and token come from its state
file (:mod:`drillbit.gameday_state`), or from ``--url`` and ``--token``."""

from __future__ import annotations

import click

from . import output


@click.command()
@click.argument("kind")
@click.argument("text", nargs=-1)
@click.option("--by", metavar="MEMBER", help="Who did it: a member id of the team (default: who is on call).")
@click.option("--phase", metavar="PHASE",
              help="An update's phase: investigating, identified, monitoring or resolved.")
@click.option("--runbook", metavar="ID", help="The runbook a diagnosis or mitigation came from (default: improvised).")
@click.option("--url", metavar="URL", help="The game day's receiver (default: from the running game day's state file).")
@click.option("--token", metavar="TOKEN", help="The receiver's token, with --url.")
@click.option("--json", "as_json", is_flag=True, help="Print the recorded events as JSON.")
def mark(kind: str, text: tuple[str, ...], by: str | None, phase: str | None, runbook: str | None,
         url: str | None, token: str | None, as_json: bool) -> None:
    """Record a mark in the running game day: KIND is detected, ack, engaged,
    diagnosed, mitigated, update, resolved or note; TEXT is a note's text.

    \b
    drillbit mark ack
    drillbit mark note the dashboard shows 502s from the api
    drillbit mark update --phase identified
    drillbit mark mitigated --by bo --runbook api-restart
    """
    from reports import fmt
    from reports.narrative import told

    from .marks import mark_kind_problem, send_mark

    problem = mark_kind_problem(kind)
    if problem:
        raise click.BadParameter(problem, param_hint="KIND")
    if (url is None) != (token is None):
        raise click.UsageError("give --url and --token together (or neither, to use the running game day's)")
    if url is None:
        from .gameday_state import read_state

        state = read_state()
        url, token = state.url, state.token
    assert token is not None
    events = send_mark(url, token, {"kind": kind, "by": by, "text": " ".join(text) or None, "phase": phase,
                                    "runbook": runbook})
    if as_json:
        output.emit_json({"version": 1, "events": [e.model_dump(mode="json") for e in events]})
        return
    if not events:
        output.out.print("the game day recorded nothing for this mark", markup=False)
    for e in events:
        entry = told(e)
        words = entry.text if entry is not None else e.kind.replace("_", " ")
        output.out.print(f"{words} at {fmt.offset(e.t)}", markup=False)
