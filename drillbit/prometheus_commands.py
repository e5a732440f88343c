"""``drillbit import prometheus-rules`` and ``drillbit export prometheus-rules``: thin
adapters over :mod:`scenarios.prometheus_rules` (which owns the PromQL parser)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import click

from scenarios import Problem

from . import output

OUT = click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                   help="Write the file here instead of to stdout.")
JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (see the README).")


@click.command(name="prometheus-rules")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--team", type=click.Path(dir_okay=False, path_type=Path),
              help="Map severity labels onto this team's levels (default: the workspace's team, if any).")
@click.option("--scenario", type=click.Path(dir_okay=False, path_type=Path),
              help="Check the rules against this scenario: its services, and the signals its injects send.")
@OUT
@JSON
def import_prometheus_rules(file: Path, team: Path | None, scenario: Path | None, out: Path | None,
                            as_json: bool) -> None:
    """Turn a Prometheus alerting rules file into a scenario's monitoring section.

    Each alert whose expr compares a metric with a number becomes a drillbit rule
    (signal, above or below, for, every, severity, service); every rule that could
    not be translated, or only approximately, is listed on stderr with its
    FILE:LINE:COL and why. The YAML goes to stdout, or to --out; with --json
    it is the JSON's "content" unless --out writes it.
    """
    from scenarios import load_scenario, load_team
    from scenarios.prometheus_rules import import_rules, monitoring_fields, monitoring_yaml

    from .files import write_text

    team_path = team or _workspace_team()
    levels = load_team(team_path) if team_path else None
    imported = import_rules(file, team=levels, scenario=load_scenario(scenario) if scenario else None)
    counts = Counter(o.status for o in imported.outcomes)
    made, read = len(imported.monitoring), len(imported.outcomes)
    tally = (f"{made} drillbit rule{'' if made == 1 else 's'} from {read} rule{'' if read == 1 else 's'}: "
             f"{counts['translated']} translated, {counts['approximated']} approximated, "
             f"{counts['not-translated']} not translated, {counts['skipped']} recording "
             f"rule{'' if counts['skipped'] == 1 else 's'} skipped")
    text = monitoring_yaml(imported.monitoring, f"imported from {file} by `drillbit import prometheus-rules`\n{tally}")
    notes = sorted([n for o in imported.outcomes for n in o.notes] + list(imported.notes))
    if out is not None:
        write_text(out, text, "monitoring file")
    if as_json:
        output.emit_json({
            "version": 1, "file": str(file), "team": str(team_path) if team_path else None,
            "counts": {s: counts[s] for s in ("translated", "approximated", "not-translated", "skipped")},
            "monitoring": [monitoring_fields(r) for r in imported.monitoring],
            "rules": [{"group": o.group, "name": o.name, "kind": o.kind, "line": o.line, "col": o.col,
                       "expr": o.expr, "status": o.status, "alert": o.rule.alert if o.rule else None,
                       "notes": [output.problem_json(n) for n in o.notes], "left_out": list(o.left_out)}
                      for o in imported.outcomes],
            "unmapped_severities": list(imported.unmapped),
            **_result_json(notes, out, text),
        })
        return
    if out is None:
        click.echo(text, nl=False)
    output.notes(notes)
    left = Counter(item for o in imported.outcomes for item in o.left_out)
    if left:
        output.err.print("left out (drillbit's rule has no place for them): "
                         + ", ".join(f"{k} ({n} rule{'s' if n > 1 else ''})" for k, n in left.items()), markup=False)
    if imported.unmapped and levels is not None:
        output.err.print(f"severities the team file {team_path} does not take: {', '.join(imported.unmapped)}; map each "
                         f"to one of its levels ({', '.join(levels.severity)}) there: severity_map: {{"
                         + ", ".join(f"{s}: …" for s in imported.unmapped) + "}", markup=False)
    output.err.print(f"{file}: {tally}" + (f"; written to {out}" if out else ""), markup=False)


@click.command(name="prometheus-rules")
@click.argument("scenario")
@OUT
@JSON
def export_prometheus_rules(scenario: str, out: Path | None, as_json: bool) -> None:
    """Write SCENARIO's alert rules as a Prometheus rules file.

    SCENARIO is a file, or an id in the workspace or the built-in library. Each rule
    on a metric signal becomes an alerting rule (expr, for, labels.severity,
    annotations.summary) in a group whose interval is the rule's every; what
    Prometheus has no place for is listed on stderr.
    """
    from scenarios import load_scenario
    from scenarios.prometheus_rules import export_rules

    from .files import write_text
    from .resolve import scenario_path
    from .workspace import find_workspace

    path = scenario_path(scenario, find_workspace())
    sc = load_scenario(path)
    exported = export_rules(sc)
    if out is not None:
        write_text(out, exported.text, "rules file")
    if as_json:
        output.emit_json({"version": 1, "file": str(path), "scenario": sc.id, "rules": exported.rules,
                          "groups": exported.groups, **_result_json(exported.notes, out, exported.text)})
        return
    if out is None:
        click.echo(exported.text, nl=False)
    output.lines(f"note: {n.message}" for n in exported.notes)
    count = exported.rules
    output.err.print(f"{count} alerting rule{'' if count == 1 else 's'} from scenario {sc.id}"
                     + (f" written to {out}" if out else ""), markup=False)


def _result_json(notes: Sequence[Problem], out: Path | None, content: str) -> dict[str, Any]:
    """The keys every import/export command's --json ends with: the file's content
    is under "content" unless --out wrote it. "problems" is empty: a file with any
    is refused (exit 2) before a result exists."""
    return {"problems": [], "notes": [output.problem_json(n) for n in notes],
            "out": str(out) if out else None, "content": None if out else content}


def _workspace_team() -> Path | None:
    from .workspace import find_workspace

    ws = find_workspace()
    return ws.team if ws is not None and ws.team.is_file() else None
