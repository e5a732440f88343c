"""Find the scenario, team and runbooks a command should use: what the user named,
else the workspace's, else the built-in library and the example team; and check them
together, as ``drillbit validate`` does, before anything runs on them."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from examples import EXAMPLES
from scenarios import (Checked, DrillbitError, InputError, Problem, Runbook, Scenario, Team, builtin_scenarios,
                       check_files, find_builtin, yaml_files)

from scenarios.severity_map import on_team_levels

from .workspace import Located, find_workspace


class NotFound(DrillbitError):
    """A scenario, team or runbook folder that cannot be found."""


@dataclass(frozen=True)
class Inputs:
    """Everything a drill runs on, and where each came from."""

    scenario: Scenario
    team: Team
    runbooks: list[Runbook]
    team_path: Path
    workspace: Located | None
    scenario_path: Path | None = None
    runbook_dir: Path | None = None
    runbook_paths: tuple[Path, ...] = field(default=())
    #: what validation noted without refusing (severities renamed, runbooks the team lacks)
    notes: tuple[Problem, ...] = field(default=())


def _workspace_scenarios(ws: Located | None) -> list[Path]:
    if not ws:
        return []
    return [f for folder in ws.scenarios if folder.exists() for f in yaml_files(folder)]


def scenario_path(name: str, ws: Located | None, *, by_id: bool = False) -> Path:
    """A scenario file: a path, an id in the workspace's scenario folders, or a built-in id.

    ``by_id`` is for a name that comes from a file rather than from the user (the
    scenario a timeline names): it is looked up as an id only, never opened as a path."""
    p = Path(name)
    if not by_id and (p.suffix in (".yaml", ".yml") or _exists(p)):
        if not p.is_file():
            raise NotFound(f"no such scenario file: {name}")
        return p
    for f in _workspace_scenarios(ws):
        if f.stem == name:
            return f
    with_builtin = ws is None or ws.settings.include_builtin
    if with_builtin:
        builtin = find_builtin(name)
        if builtin:
            return builtin
    known = [f.stem for f in _workspace_scenarios(ws)] + ([f.stem for f in builtin_scenarios()] if with_builtin else [])
    guess = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    hint = f"; did you mean '{guess[0]}'?" if guess else "; 'drillbit scenarios' lists the built-in ones"
    where = "" if by_id else "not a file, "
    raise NotFound(f"no scenario '{name}' ({where}{'not in the workspace, ' if ws else ''}not built in){hint}")


def _exists(p: Path) -> bool:
    try:
        return p.exists()
    except OSError:  # a name too long to be a path
        return False


def _expect_kind(checked: Checked, kind: str) -> list[Problem]:
    if checked.kind is None or checked.kind == kind:
        return []
    return [Problem(str(checked.file), 1, 1, "", f"expected a {kind} file here, found a {checked.kind} file")]


def resolve(scenario: str, team: Path | None = None, runbooks: Path | None = None, *,
            scenario_by_id: bool = False) -> Inputs:
    """Load the inputs of a drill and check them together (scenario against the team's
    severity policy and the runbooks, runbooks against the team's skills), exactly as
    ``drillbit validate`` checks them. Raises InputError with every problem in any of
    the files, NotFound for a file or folder that does not exist. ``scenario_by_id``:
    ``scenario`` is an id read from a file, never a path (see :func:`scenario_path`)."""
    ws = find_workspace()
    team_path = team or (ws.team if ws else EXAMPLES / "team.yaml")
    runbook_dir = runbooks or (ws.runbooks if ws else EXAMPLES / "runbooks")
    if not team_path.is_file():
        raise NotFound(f"no such team file: {team_path}")
    if runbooks is not None and not runbooks.exists():
        raise NotFound(f"no such runbook folder: {runbooks}")
    sc_path = scenario_path(scenario, ws, by_id=scenario_by_id)
    use_runbooks = runbook_dir.exists() and bool(yaml_files(runbook_dir))
    targets: list[str | Path] = [sc_path, team_path] + ([runbook_dir] if use_runbooks else [])
    results = check_files(targets)
    sc_result, team_result, book_results = results[0], results[1], results[2:]
    problems = [p for r in results for p in r.problems]
    problems += _expect_kind(sc_result, "scenario") + _expect_kind(team_result, "team")
    for r in book_results:
        problems += _expect_kind(r, "runbook")
    if problems:
        raise InputError(problems)
    books = [r.model for r in book_results if isinstance(r.model, Runbook)]
    assert isinstance(sc_result.model, Scenario) and isinstance(team_result.model, Team)
    # Every stage after this one (engine, scorer, gap report, reports, log) sees the
    # team's own severity names; the scenario keeps the name it was written with.
    return Inputs(on_team_levels(sc_result.model, team_result.model), team_result.model, books, team_path, ws,
                  scenario_path=sc_path, runbook_dir=runbook_dir if use_runbooks else None,
                  runbook_paths=tuple(r.file for r in book_results if isinstance(r.model, Runbook)),
                  notes=tuple(sc_result.notes))
