"""Find the scenario, team and runbooks a command should use: what the user named,
else the workspace's, else the built-in library and the example team."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from examples import EXAMPLES
from scenarios import DrillbitError, Runbook, Scenario, Team, find_builtin, load_runbook, load_scenario, load_team, yaml_files

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


def scenario_path(name: str, ws: Located | None) -> Path:
    """A scenario file: a path, an id in the workspace's scenario folders, or a built-in id."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise NotFound(f"no such scenario file: {name}")
        return p
    if ws:
        for folder in ws.scenarios:
            for f in yaml_files(folder) if folder.exists() else []:
                if f.stem == name:
                    return f
    if ws is None or ws.settings.include_builtin:
        builtin = find_builtin(name)
        if builtin:
            return builtin
    raise NotFound(f"no scenario '{name}' (not a file{', not in the workspace' if ws else ''}, not built in); "
                   "'drillbit scenarios' lists the built-in ones")


def resolve(scenario: str, team: Path | None = None, runbooks: Path | None = None) -> Inputs:
    """Load the inputs of a drill. Raises InputError for bad files, NotFound for missing ones."""
    ws = find_workspace()
    team_path = team or (ws.team if ws else EXAMPLES / "team.yaml")
    runbook_dir = runbooks or (ws.runbooks if ws else EXAMPLES / "runbooks")
    if not team_path.exists():
        raise NotFound(f"no such team file: {team_path}")
    books = [load_runbook(f) for f in yaml_files(runbook_dir)] if runbook_dir.exists() else []
    return Inputs(load_scenario(scenario_path(scenario, ws)), load_team(team_path), books, team_path, ws)
