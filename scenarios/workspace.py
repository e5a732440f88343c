"""``drillbit.yaml``: where a workspace keeps its team, runbooks, scenarios and results."""

from __future__ import annotations

from pydantic import Field

from .base import Model
from .common import Names
from .schedule import Schedule

WORKSPACE_FILE = "drillbit.yaml"


class Workspace(Model):
    """Paths are relative to the folder holding ``drillbit.yaml``."""

    workspace: str = Field(min_length=1, description="the workspace's name")
    team: str = Field("team.yaml", description="the team file")
    runbooks: str = Field("runbooks", description="folder of runbook files")
    scenarios: Names = Field(default_factory=lambda: ["scenarios"], description="folders or files of scenarios")
    incident_log: str = Field("sqlite:///incidents.db", description="SQLAlchemy URL of the incident log")
    reports: str = Field("reports", description="folder for reports")
    include_builtin: bool = Field(True, description="also offer the built-in scenario library")
    schedule: Schedule = Field(default_factory=list, description="drills that run on a cron schedule "
                               "(`drillbit schedule run-due`)")
