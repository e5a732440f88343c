"""The drill language: typed models of scenarios, teams and runbooks, loaded from YAML
with errors that point at the line and column, and their JSON Schema."""

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
from .shares import format_share
from .stack import Stack, load_stack
from .severity import DEFAULT_SEVERITIES, SeverityLevel
from .team import Member, Rotation, Team
from .workspace import WORKSPACE_FILE, Workspace
from .yamlsource import Document, parse_yaml, read_yaml

__all__ = [
    "AckDist", "AlertRule", "Checked", "DEFAULT_SEVERITIES", "Dist", "Document", "DrillbitError", "Duration",
    "Inject", "InputError", "LIBRARY", "Member", "Offset", "Problem", "Rotation", "Runbook", "Scenario",
    "SeverityLevel", "Stack", "Step", "Team", "WORKSPACE_FILE", "Workspace", "build", "builtin_scenarios", "check_files",
    "detect_kind", "find_builtin", "format_duration", "format_share", "json_schema", "load", "load_runbook", "load_scenario",
    "load_stack", "load_team", "loads", "parse_duration", "parse_yaml", "read_yaml", "yaml_files",
]
