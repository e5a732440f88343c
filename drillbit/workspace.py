"""Find and read the workspace (``drillbit.yaml``) a command runs in, and create new ones."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from examples import EXAMPLES
from scenarios import LIBRARY, WORKSPACE_FILE, DrillbitError, Team, Workspace, json_schema, load, yaml_files
from scenarios.schema import scenario_schema_for

from .files import OutputError, ensure_dir, write_bytes

#: Built-in scenarios a new workspace starts with: one of each kind.
STARTER_SCENARIOS = ("config-push-global-outage", "db-primary-data-deleted", "ci-session-token-theft")
#: Which files each schema applies to, for editors using the YAML language server.
SCHEMA_GLOBS = {
    "scenario": ["scenarios/**/*.yaml", "scenarios/**/*.yml"],
    "team": ["team.yaml"],
    "runbook": ["runbooks/**/*.yaml", "runbooks/**/*.yml"],
    "workspace": ["drillbit.yaml"],
}


class WorkspaceError(DrillbitError):
    """A workspace cannot be created or is incomplete."""


@dataclass(frozen=True)
class Located:
    """A workspace and the folder it lives in; its paths resolved against that folder."""

    root: Path
    settings: Workspace

    @property
    def team(self) -> Path:
        return self.root / self.settings.team

    @property
    def runbooks(self) -> Path:
        return self.root / self.settings.runbooks

    @property
    def scenarios(self) -> list[Path]:
        return [self.root / s for s in self.settings.scenarios]

    @property
    def reports(self) -> Path:
        return self.root / self.settings.reports

    def files(self) -> list[Path]:
        """Every file of the workspace: its settings, team, runbooks and scenarios."""
        found = [self.root / WORKSPACE_FILE, self.team]
        for folder in (self.runbooks, *self.scenarios):
            if folder.exists():
                found.extend(yaml_files(folder))
        return found


def find_workspace(start: Path | None = None) -> Located | None:
    """The workspace holding ``start`` (default: the current folder), searching upwards
    but not above the user's home folder nor above a repository's root (a folder
    holding ``.git``): a ``drillbit.yaml`` in some folder further up belongs to someone
    else, and would silently choose the team and the incident log.

    Raises InputError when the ``drillbit.yaml`` found is invalid.
    """
    here = (start or Path.cwd()).resolve()
    try:
        home: Path | None = Path.home().resolve()
    except (RuntimeError, KeyError, OSError):  # no HOME and no password entry
        home = None
    for folder in (here, *here.parents):
        candidate = folder / WORKSPACE_FILE
        if candidate.is_file():
            return Located(folder, load(candidate, Workspace))
        if folder == home or (folder / ".git").exists():
            return None
    return None


def init_workspace(target: Path, name: str | None = None) -> list[Path]:
    """Create a workspace in ``target`` seeded with the example team, its runbooks and a
    few built-in scenarios. Never overwrites: raises WorkspaceError if any file exists."""
    name = name or target.resolve().name
    plan: dict[Path, Path | str] = {
        target / WORKSPACE_FILE: _settings_text(name),
        target / "team.yaml": EXAMPLES / "team.yaml",
    }
    for rb in sorted((EXAMPLES / "runbooks").glob("*.yaml")):
        plan[target / "runbooks" / rb.name] = rb
    for sid in STARTER_SCENARIOS:
        src = LIBRARY / f"{sid}.yaml"
        if src.exists():
            plan[target / "scenarios" / src.name] = src
    # The workspace's scenarios are checked against its own team's severities; the
    # stack schema is not mapped (stack files have no set place) but a modeline can name it.
    team = load(EXAMPLES / "team.yaml", Team)
    for kind in (*SCHEMA_GLOBS, "stack"):
        plan[target / "schemas" / f"{kind}.json"] = schema_text(kind, team)
    plan[target / ".vscode" / "settings.json"] = json.dumps(editor_settings(), indent=2) + "\n"
    ensure_dir(target, "workspace folder")
    clashes = [p for p in plan if p.exists() or p.is_symlink()]
    if clashes:
        raise WorkspaceError(f"{clashes[0]} already exists; drillbit init never overwrites files (choose an empty folder)")
    for dest, src in plan.items():
        ensure_dir(dest.parent, "workspace folder")
        data = src.read_bytes() if isinstance(src, Path) else src.encode("utf-8")
        try:
            write_bytes(dest, data, "workspace file", exclusive=True)
        except OutputError as exc:
            if dest.exists():
                raise WorkspaceError(f"{dest} already exists; drillbit init never overwrites files "
                                     "(choose an empty folder)") from None
            raise exc
    ensure_dir(target / "reports", "reports folder")
    return list(plan)


def schema_for(kind: str, team: Team | None = None) -> dict[str, Any]:
    """The JSON Schema of ``kind``; with ``team``, the scenario schema accepts only that
    team's severities (see scenarios.schema.scenario_schema_for).

    Raises KeyError for a kind without a schema.
    """
    return scenario_schema_for(team) if team is not None and kind == "scenario" else json_schema(kind)


def schema_text(kind: str, team: Team | None = None) -> str:
    """:func:`schema_for` as the text of a schema file."""
    return json.dumps(schema_for(kind, team), indent=2) + "\n"


def editor_settings() -> dict[str, object]:
    """The editor settings ``drillbit init`` writes (VS Code's ``.vscode/settings.json``;
    the same keys configure the YAML language server in any editor)."""
    return {
        "yaml.schemas": {f"schemas/{kind}.json": globs for kind, globs in SCHEMA_GLOBS.items()},
        # YAML 1.1 reads 'on: log' as true and 'no' as false; drillbit reads YAML 1.2.
        "yaml.yamlVersion": "1.2",
    }


def _settings_text(name: str) -> str:
    return f"""\
# A drillbit workspace: commands run anywhere below this folder use these files.
workspace: {name}
team: team.yaml                  # who responds: members, rotations, escalation, paging
runbooks: runbooks               # folder of runbook files
scenarios: [scenarios]           # folders (or files) of scenarios
incident_log: sqlite:///incidents.db   # or postgresql://user@host/db
reports: reports                 # where reports are written
include_builtin: true            # also offer the built-in scenario library
# Drills that run on a schedule (`drillbit schedule next`, `drillbit schedule run-due`;
# see the README, "Scheduled game days"). Uncomment and adapt:
# schedule:
#   - id: weekly-sim
#     cron: "0 10 * * Tue"         # minute hour day-of-month month day-of-week
#     timezone: Europe/Berlin      # the zone the cron line is read in
#     mode: simulate               # simulate | gameday | tabletop
#     pool: [config-push-global-outage, db-primary-data-deleted]
#     rule: least-recent           # least-recent | weakest | open-actions
#     blackouts:
#       - {{from: 2026-12-21, to: 2027-01-03, reason: year-end change freeze}}
"""
