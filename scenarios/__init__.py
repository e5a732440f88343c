"""The drill language: typed models of scenarios, teams and runbooks, loaded from YAML
with errors that point at the line and column, and their JSON Schema.

Each name below is imported from its module when first used, so a command loads only
the part of the language it reads: validating a team builds no scenario, stack or
tabletop model, and a command that prints a problem loads no model at all."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Name -> the module of this package that defines it.
_WHERE = {
    "AckDist": "distributions", "Dist": "distributions",
    "Duration": "durations", "Offset": "durations", "format_duration": "durations", "parse_duration": "durations",
    "DrillbitError": "errors", "InputError": "errors", "Problem": "errors",
    **dict.fromkeys(["LIBRARY", "Checked", "build", "builtin_scenarios", "check_files", "detect_kind", "find_builtin",
                     "load", "load_runbook", "load_scenario", "load_team", "loads", "yaml_files"], "loader"),
    "Runbook": "runbook", "Step": "runbook",
    "AlertRule": "scenario", "Inject": "scenario", "Scenario": "scenario",
    "json_schema": "schema",
    "format_share": "shares",
    "Stack": "stack", "load_stack": "stack",
    "DEFAULT_SEVERITIES": "severity", "SeverityLevel": "severity",
    "Member": "team", "Rotation": "team", "Team": "team",
    "WORKSPACE_FILE": "workspace", "Workspace": "workspace",
    "Document": "yamlsource", "parse_yaml": "yamlsource", "read_yaml": "yamlsource",
}

__all__ = [
    "AckDist", "AlertRule", "Checked", "DEFAULT_SEVERITIES", "Dist", "Document", "DrillbitError", "Duration",
    "Inject", "InputError", "LIBRARY", "Member", "Offset", "Problem", "Rotation", "Runbook", "Scenario",
    "SeverityLevel", "Stack", "Step", "Team", "WORKSPACE_FILE", "Workspace", "build", "builtin_scenarios", "check_files",
    "detect_kind", "find_builtin", "format_duration", "format_share", "json_schema", "load", "load_runbook", "load_scenario",
    "load_stack", "load_team", "loads", "parse_duration", "parse_yaml", "read_yaml", "yaml_files",
]


def __getattr__(name: str) -> Any:
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next use is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


if TYPE_CHECKING:
    from .distributions import AckDist, Dist
    from .durations import Duration, Offset, format_duration, parse_duration
    from .errors import DrillbitError, InputError, Problem
    from .loader import (
        LIBRARY, Checked, build, builtin_scenarios, check_files, detect_kind, find_builtin, load,
        load_runbook, load_scenario, load_team, loads, yaml_files,
    )
    from .runbook import Runbook, Step
    from .scenario import AlertRule, Inject, Scenario
    from .schema import json_schema
    from .severity import DEFAULT_SEVERITIES, SeverityLevel
    from .shares import format_share
    from .stack import Stack, load_stack
    from .team import Member, Rotation, Team
    from .workspace import WORKSPACE_FILE, Workspace
    from .yamlsource import Document, parse_yaml, read_yaml
