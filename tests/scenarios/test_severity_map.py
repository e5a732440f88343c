"""A scenario's severity on the team's own levels: by name, by severity_map, by rank;
a map that names unknown levels is an error at its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import InputError, Scenario, Team, check_files, json_schema, loads
from scenarios.severity_map import map_severity, on_team_levels, scale_rank, severity_label, written_severity

SEV = ["SEV1", "SEV2", "SEV3"]
P = ["P0", "P1", "P2", "P3"]
NAMED = ["critical", "major", "minor"]

# (team's levels, name the scenario writes) -> the team's level, worked out by hand
# from the rules: P<n> is rank n, SEV<n> rank n-1, the team's levels are ranks 0, 1, …
# in the order written, and a rank past the last level is the last level.
BY_RANK = [
    (SEV, "P0", "SEV1"), (SEV, "P1", "SEV2"), (SEV, "P2", "SEV3"),
    (SEV, "P3", "SEV3"),  # rank 3 on three levels: clamped to the third
    (SEV, "P7", "SEV3"),
    (P, "SEV1", "P0"), (P, "SEV2", "P1"), (P, "SEV3", "P2"), (P, "SEV4", "P3"),
    (P, "SEV5", "P3"),  # rank 4 on four levels: clamped
    (P, "SEV0", "P0"),  # rank -1: clamped to the first
    (NAMED, "P0", "critical"), (NAMED, "P1", "major"), (NAMED, "P2", "minor"), (NAMED, "P3", "minor"),
    (NAMED, "SEV1", "critical"), (NAMED, "sev-2", "major"),
    (SEV, "SEV2", "SEV2"),  # a name the team defines is used as written
]


@pytest.mark.parametrize("levels, written, expected", BY_RANK)
def test_by_rank(levels, written, expected):
    m = map_severity(written, levels)
    assert m is not None and m.level == expected


@pytest.mark.parametrize("levels, written", [
    (P, "P9"),               # the team uses the P scale: a P name it lacks is a mistake
    (["SEV0", "P1", "P2"], "P0"),
    (SEV, "SEV4"),
    (SEV, "critical"),       # no rank, no map
    (SEV, ""),
])
def test_no_rule_applies(levels, written):
    assert map_severity(written, levels) is None


def test_scale_ranks():
    assert [scale_rank(n) for n in ("P0", "p3", "SEV1", "Sev-3", "critical", "P", "SEV")] == [
        ("P", 0), ("P", 3), ("SEV", 0), ("SEV", 2), None, None, None]


# The map of the README: P0 and P1 are both SEV1; names it leaves out go by rank.
MAP = {"P0": "SEV1", "P1": "SEV1", "P2": "SEV2"}
BY_MAP = [("P0", "SEV1", "map"), ("P1", "SEV1", "map"), ("P2", "SEV2", "map"),
          ("P3", "SEV3", "rank"),  # not in the map: rank 3, clamped to SEV3
          ("SEV3", "SEV3", "same")]


@pytest.mark.parametrize("written, expected, how", BY_MAP)
def test_by_map(written, expected, how):
    m = map_severity(written, SEV, MAP)
    assert m is not None and (m.level, m.how) == (expected, how)


def test_a_map_can_name_words_no_scale_has():
    m = map_severity("customer-down", SEV, {"customer-down": "SEV1"})
    assert m is not None and m.level == "SEV1" and m.label == "customer-down (the team's SEV1)"


TEAM = """\
team: t
members:
  - {id: ana, name: Ana, timezone: UTC}
rotations:
  primary:
    layers: [{start: 2026-11-02T00:00:00+00:00, turn: 1d, members: [ana]}]
escalation:
  default:
    levels: [{notify: rotation:primary, timeout: 5m}]
severity:
  SEV1: {definition: Down}
  SEV2: {definition: Degraded}
  SEV3: {definition: Minor}
"""


def test_a_map_naming_unknown_levels_is_an_error_at_its_line_and_column():
    text = TEAM + "severity_map: {P0: SEV1, P1: SEV9, P2: sev2, SEV3: SEV2}\n"
    with pytest.raises(InputError) as info:
        loads(text, Team, "team.yaml")
    # line 14 is the severity_map line; columns count from 1 to each value / key
    line = text.splitlines()[13]
    assert line.startswith("severity_map:")
    col_p1 = line.index("SEV9") + 1
    col_p2 = line.index("sev2") + 1
    assert [str(p) for p in info.value.problems] == [
        # SEV9 is as close to each level; difflib breaks the tie towards the last name
        f"team.yaml:14:{col_p1}: severity_map.P1: severity 'SEV9' is not defined; did you mean 'SEV3'?",
        f"team.yaml:14:{col_p2}: severity_map.P2: severity 'sev2' is not defined; expected one of: SEV1, SEV2, SEV3",
        f"team.yaml:14:{line.index('SEV2}') + 1}: severity_map.SEV3: 'SEV3' is one of the team's own levels; "
        "a severity_map lists the names scenarios write that the team does not define",
    ]


def test_a_valid_map_loads():
    team = loads(TEAM + "severity_map: {P0: SEV1, P1: SEV1}\n", Team, "team.yaml")
    assert team.severity_map == {"P0": "SEV1", "P1": "SEV1"}


SCENARIO = """\
id: s
title: S
kind: outage
severity: {top}
services: [api]
runbooks: [restart-api]
injects:
  - {{at: 0s, fault: {{kind: crash, service: api}}}}
monitoring:
  - {{alert: A, signal: api.errors, above: 1, severity: {rule}}}
"""


def test_a_severity_no_rule_maps_is_an_error_in_the_scenario(tmp_path: Path):
    (tmp_path / "team.yaml").write_text(TEAM)
    (tmp_path / "scenario.yaml").write_text(SCENARIO.format(top="critical", rule="P1"))
    checked = {r.file.name: r for r in check_files([tmp_path])}
    assert [str(p).replace(str(tmp_path) + "/", "") for p in checked["scenario.yaml"].problems] == [
        "scenario.yaml:4:11: severity: severity 'critical' is not defined; expected one of: SEV1, SEV2, SEV3; "
        "or map it onto one in the team's severity_map (critical: SEV1)",
    ]
    # the rule's P1 maps by rank: a note, not a problem
    assert [p.message for p in checked["scenario.yaml"].notes] == ["on the team's severity levels: P1 -> SEV2 (by rank)"]


def test_the_scenario_is_renamed_onto_the_team_and_keeps_what_it_wrote():
    team = loads(TEAM + "severity_map: {P0: SEV1, P1: SEV1}\n", Team, "team.yaml")
    sc = loads(SCENARIO.format(top="P1", rule="P2"), Scenario, "scenario.yaml")
    on = on_team_levels(sc, team)
    assert (on.severity, on.monitoring[0].severity) == ("SEV1", "SEV3")  # P1 by the map; P2 by rank: the third level
    assert written_severity(on) == "P1" and severity_label(on) == "P1 (the team's SEV1)"
    again = on_team_levels(on, team)
    assert again is on and severity_label(again) == "P1 (the team's SEV1)"
    assert sc.severity == "P1" and severity_label(sc) == "P1"  # the loaded scenario is untouched


def test_the_team_schema_describes_the_map():
    prop = json_schema("team")["properties"]["severity_map"]
    assert prop["type"] == "object" and prop["additionalProperties"] == {"type": "string"}
    assert "rank" in prop["description"]
