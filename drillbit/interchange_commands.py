"""``drillbit import`` and ``drillbit export``: the formats teams already have.

Each format's commands live in a module of their own, imported only when one of
them runs (an iCal import must not pay for the PromQL parser, and neither for
``drillbit --version``).
"""

from __future__ import annotations

import click

from .lazygroup import LazyGroup

# name -> (where the command is, the first sentence of its help as `drillbit import --help` shows it)
IMPORTERS: dict[str, tuple[str, str]] = {
    "chaostoolkit": ("drillbit.chaostoolkit_commands:import_chaostoolkit",
                     "Turn a Chaos Toolkit experiment (JSON or YAML) into a scenario with a live section."),
    "ical": ("drillbit.ical_commands:import_ical",
             "Read an on-call calendar (.ics from PagerDuty, Opsgenie, Grafana OnCall) as a rotation of the team."),
    "prometheus-rules": ("drillbit.prometheus_commands:import_prometheus_rules",
                         "Turn a Prometheus alerting rules file into a scenario's monitoring section."),
}
EXPORTERS: dict[str, tuple[str, str]] = {
    "chaostoolkit": ("drillbit.chaostoolkit_commands:export_chaostoolkit",
                     "Write a game day's record (its folder) as a Chaos Toolkit journal."),
    "ical": ("drillbit.ical_commands:export_ical",
             "Write the team's resolved on-call schedule as an iCalendar file that calendar apps open."),
    "prometheus-rules": ("drillbit.prometheus_commands:export_prometheus_rules",
                         "Write SCENARIO's alert rules as a Prometheus rules file."),
}


@click.group(name="import", cls=LazyGroup, lazy=IMPORTERS)
def import_group() -> None:
    """Turn another tool's file into drillbit's: on-call calendars, alerting rules, chaos experiments."""


@click.group(name="export", cls=LazyGroup, lazy=EXPORTERS)
def export_group() -> None:
    """Write drillbit's data in another tool's format: on-call calendars, alerting rules, chaos journals."""
