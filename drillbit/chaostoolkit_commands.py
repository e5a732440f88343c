"""``drillbit import chaostoolkit`` and ``drillbit export chaostoolkit``: thin adapters
over scenarios.chaostoolkit (experiment -> scenario) and chaos.chaostoolkit_journal
(game-day folder -> journal)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from scenarios import DrillbitError

from . import __version__, output
from .files import write_text


@click.command(name="chaostoolkit")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the scenario YAML here (default: stdout).")
@click.option("--severity", default="P2", show_default=True, help="The scenario's severity.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: what was not imported, and the YAML under \"content\" unless --out.")
def import_chaostoolkit(file: Path, out: Path | None, severity: str, as_json: bool) -> None:
    """Turn a Chaos Toolkit experiment (JSON or YAML) into a scenario with a live section.

    Probes of the steady-state hypothesis become live probes, docker stop, kill, pause,
    restart and network disconnect actions become faults, started as the method's pauses
    say and lasting until the rollback that undoes them; everything that is not
    imported is listed with why, as FILE:LINE:COL of the experiment."""
    from scenarios.chaostoolkit import import_experiment

    imported = import_experiment(file, severity=severity)
    text = imported.to_yaml()
    if out is not None:
        write_text(out, text, "scenario")
    if as_json:
        output.emit_json({**imported.to_json(), "out": str(out) if out else None, "content": None if out else text})
        return
    if out is None:
        click.echo(text, nl=False)
    output.lines(str(p) for p in imported.unmapped)
    output.notes(imported.changed)
    live = imported.scenario.live
    summary = (f"imported {file}: {len(live.faults)} fault{'s' if len(live.faults) != 1 else ''}, "
               f"{len(live.probes)} probe{'s' if len(live.probes) != 1 else ''}, "
               f"{len(imported.unmapped)} part{'s' if len(imported.unmapped) != 1 else ''} not imported")
    output.err.print(summary + (f"; wrote {out}" if out else ""), markup=False)


@click.command(name="chaostoolkit")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the journal here, e.g. journal.json (default: stdout).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: status, faults, rollbacks, and the journal under \"content\" unless --out.")
def export_chaostoolkit(folder: Path, out: Path | None, as_json: bool) -> None:
    """Write a game day's record (its folder) as a Chaos Toolkit journal.

    The journal has the shape chaostoolkit-lib writes, for the tools that read
    journals (such as `chaos report`)."""
    from chaos.chaostoolkit_journal import journal, read_gameday
    from scenarios import Problem, load_scenario

    notes: list[Problem] = []
    timeline, probes, manifest = read_gameday(folder)
    scenario = None
    inputs = manifest.get("inputs")
    ref = inputs.get("scenario") if isinstance(inputs, dict) else None
    path = ref.get("path") if isinstance(ref, dict) else None
    if isinstance(path, str) and Path(path).is_file():
        try:
            scenario = load_scenario(path)
        except DrillbitError:
            notes.append(Problem(path, 1, 1, "", "no longer loads; the journal's experiment names what the timeline does"))
            output.err.print(f"note: {path} {notes[-1].message}", markup=False)
    doc = journal(timeline, probes, manifest, scenario=scenario, producer=f"drillbit {__version__}")
    text = json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
    if out is not None:
        write_text(out, text, "journal")
        output.err.print(f"wrote {out}: status {doc['status']}, {len(doc['run'])} fault{'s' if len(doc['run']) != 1 else ''}, "
                         f"{len(doc['rollbacks'])} rollback{'s' if len(doc['rollbacks']) != 1 else ''}"
                         + (", deviated" if doc["deviated"] else ""), markup=False)
    if as_json:
        output.emit_json({"version": 1, "file": str(folder), "status": doc["status"], "deviated": doc["deviated"],
                          "faults": len(doc["run"]), "rollbacks": len(doc["rollbacks"]), "problems": [],
                          "notes": [output.problem_json(p) for p in notes], "out": None if out is None else str(out),
                          "content": text if out is None else None})
    elif out is None:
        click.echo(text, nl=False)
