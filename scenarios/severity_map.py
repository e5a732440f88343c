"""A scenario's severity on the team's own levels.

Scenarios are shared between teams (the built-in library is written in P0-P3), and
teams name their levels their own way (P0-P3, SEV1-SEV3, critical/major/minor). A
name the scenario writes becomes one of the team's levels by the first rule that
applies:

1. the team defines the name: it is used as written;
2. the team's ``severity_map`` lists it: the level it names;
3. by rank, when the name is on a numbered scale the team does not use: ``P<n>``
   has rank n (P0 first) and ``SEV<n>`` rank n-1 (SEV1 first); the team's levels in
   the order written, most severe first, are ranks 0, 1, 2 …; a rank past the
   team's last level is clamped to it. A scale the team uses is its own: a name
   missing from it (P9 on a P0-P3 team) is a mistake, not a rank.

Anything else is an error, reported at the scenario's line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # annotations only
    from .scenario import Scenario
    from .team import Team

How = Literal["same", "map", "rank"]
_SCALES = ((re.compile(r"^P([0-9]+)\Z", re.IGNORECASE), "P", 0), (re.compile(r"^SEV-?([0-9]+)\Z", re.IGNORECASE), "SEV", 1))


@dataclass(frozen=True)
class Mapped:
    """How one severity name the scenario writes lands on the team's levels."""

    written: str
    level: str
    how: How
    clamped: bool = False

    @property
    def label(self) -> str:
        """``P1 (the team's SEV2)`` where the names differ, else the name."""
        return self.written if self.written == self.level else f"{self.written} (the team's {self.level})"

    def describe(self) -> str:
        """``P1 -> SEV2 (by rank)``, for validate and simulate output."""
        why = {"same": "defined by the team", "map": "severity_map",
               "rank": "by rank" + (", clamped to the last level" if self.clamped else "")}[self.how]
        return f"{self.written} -> {self.level} ({why})"


def scale_rank(name: str) -> tuple[str, int] | None:
    """(scale, rank) of a numbered severity name: ``P2`` -> ("P", 2), ``SEV1`` -> ("SEV", 0).
    None for a name on no known scale."""
    for pattern, scale, first in _SCALES:
        m = pattern.match(name)
        if m:
            return scale, int(m.group(1)) - first
    return None


def map_severity(name: str, levels: list[str], severity_map: dict[str, str] | None = None) -> Mapped | None:
    """``name`` on the levels ``levels`` (most severe first) by the rules of this module;
    None when no rule applies."""
    if name in levels:
        return Mapped(name, name, "same")
    if severity_map and name in severity_map and severity_map[name] in levels:
        return Mapped(name, severity_map[name], "map")
    ranked = scale_rank(name)
    if ranked is None or not levels:
        return None
    scale, rank = ranked
    if any((r := scale_rank(lv)) is not None and r[0] == scale for lv in levels):
        return None
    index = min(max(rank, 0), len(levels) - 1)
    return Mapped(name, levels[index], "rank", clamped=index != rank)


def team_severity(team: Team, name: str) -> Mapped | None:
    """``name`` on ``team``'s levels, or None."""
    return map_severity(name, list(team.severity), team.severity_map)


def scenario_severities(sc: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Every severity name the scenario writes, with its path in the file."""
    out: list[tuple[tuple[str | int, ...], str]] = [(("severity",), sc.severity)]
    out += [(("monitoring", i, "severity"), r.severity) for i, r in enumerate(sc.monitoring) if r.severity]
    return out


def on_team_levels(sc: Scenario, team: Team) -> Scenario:
    """The scenario with every severity it writes renamed to the team's level, and the
    names as written kept (see :func:`written_severity`). A name no rule maps is left
    as written (validation reports it). Idempotent."""
    def level(name: str) -> str:
        m = team_severity(team, name)
        return m.level if m else name

    top = level(sc.severity)
    rules = [r.model_copy(update={"severity": level(r.severity)}) if r.severity and level(r.severity) != r.severity else r
             for r in sc.monitoring]
    if top == sc.severity and all(a is b for a, b in zip(rules, sc.monitoring)):
        return sc
    out = sc.model_copy(update={"severity": top, "monitoring": rules})
    out._severity_written = written_severity(sc)
    return out


def written_severity(sc: Scenario) -> str:
    """The scenario's severity as its file writes it (before :func:`on_team_levels`)."""
    return sc._severity_written or sc.severity


def severity_label(sc: Scenario) -> str:
    """``P1 (the team's SEV2)`` for a scenario renamed onto a team whose name differs,
    else the severity alone."""
    written = written_severity(sc)
    return written if written == sc.severity else f"{written} (the team's {sc.severity})"
