"""A small workspace with a schedule, written as a user would, for the schedule tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

# alice holds the primary pager in the week from Monday 2027-01-04, bob the next week.
TEAM = """\
team: web-sre
timezone: UTC
members:
  - id: alice
    name: Alice Moreau
    timezone: Europe/Paris
    away:
      - {from: 2027-01-05, to: 2027-01-06, reason: dentist and a day off}
  - id: bob
    name: Bob Tanaka
    timezone: Asia/Tokyo
roles:
  incident-commander: [alice]
rotations:
  primary:
    layers:
      - start: 2027-01-04T00:00:00+00:00
        turn: 1w
        members: [alice, bob]
escalation:
  default:
    levels:
      - notify: rotation:primary
"""


def workspace(folder: Path, schedule: str, *, log: str = "sqlite:///incidents.db") -> Path:
    """A workspace in ``folder`` whose drillbit.yaml has ``schedule`` (YAML text of the
    section's entries); built-in scenarios only."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "team.yaml").write_text(TEAM)
    (folder / "drillbit.yaml").write_text(f"workspace: demo\nincident_log: {log}\nscenarios: []\nschedule:\n"
                                          + textwrap.indent(textwrap.dedent(schedule), "  "))
    return folder
