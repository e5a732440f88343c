"""The schemas never suggest a mistake and never miss one a schema can see: what they
accept agrees with what drillbit reads (durations, windows, distributions,
severities), defaults are written as a file writes them, and every field explains
itself."""

from __future__ import annotations

import itertools
import json
import re

import jsonschema
import pytest
from hypothesis import given, settings, strategies as st

from scenarios import Dist, format_duration, json_schema, loads, parse_duration
from scenarios.distributions import SHAPES_FIELDS
from scenarios.durations import PATTERN_MESSAGE, SIGNED_PATTERN, UNSIGNED_PATTERN
from scenarios.errors import InputError
from scenarios.loader import MODELS
from scenarios.schema import scenario_schema_for
from scenarios.severity_map import team_severity
from scenarios.team import Team
from scenarios.windows import WINDOW_PATTERN, parse_window

KINDS = ["scenario", "team", "runbook", "workspace", "stack"]


def nodes(schema):
    """Every sub-schema, with a JSON-pointer-like path."""
    stack = [("#", schema)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            yield path, node
            stack += [(f"{path}/{k}", v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(f"{path}/{i}", v) for i, v in enumerate(node)]


# -- durations -------------------------------------------------------------------------
def accepted(text: str, signed: bool) -> bool | None:
    """Whether parse_duration reads ``text``; None past the bound (two years), which
    is a value the schema does not limit, not a way of writing."""
    try:
        parse_duration(text, signed=signed)
        return True
    except ValueError as exc:
        return None if "at most" in str(exc) else False


PIECES = st.sampled_from(["w", "d", "h", "m", "s", "ms", "1", "30", "0", "1.5", ".", "-", "+", " ", "\t", "x", "min", "٣"])
WRITTEN = st.lists(PIECES, min_size=0, max_size=8).map("".join)


@settings(max_examples=3000, deadline=None)
@given(text=WRITTEN | st.text(max_size=12), signed=st.booleans())
def test_the_duration_pattern_accepts_exactly_what_drillbit_reads(text, signed):
    verdict = accepted(text, signed)
    if verdict is not None:
        assert bool(re.search(SIGNED_PATTERN if signed else UNSIGNED_PATTERN, text)) == verdict, text


@pytest.mark.parametrize("text, ok", [
    ("90s", True), ("1h30m", True), ("1d2h3m4s500ms", True), ("1.5h", True), ("+5m", True),
    ("30s1m", False), ("1m1m", False), ("5", False), ("5 min", False), ("-5m", False), ("", False),
])
def test_the_duration_pattern_by_hand(text, ok):
    assert bool(re.search(UNSIGNED_PATTERN, text)) is ok


def test_an_offset_may_be_negative():
    assert re.search(SIGNED_PATTERN, "-6h") and re.search(SIGNED_PATTERN, "- 6h")


def test_a_bare_zero_is_no_duration_in_a_file_nor_in_the_editor():
    text = """\
id: x
title: X
kind: outage
severity: P1
services: [a]
injects: [{at: 0s, fault: {kind: crash, service: a}}]
monitoring: [{alert: A, signal: m, above: 1, for: 0}]
"""
    with pytest.raises(InputError) as info:
        loads(text, MODELS["scenario"])
    assert "did you mean '0s'?" in str(info.value)
    assert loads(text.replace("for: 0", "for: 0s"), MODELS["scenario"]).monitoring[0].for_ == 0.0
    rule = json_schema("scenario")["$defs"]["AlertRule"]["properties"]["for"]
    assert not jsonschema.Draft202012Validator(rule).is_valid(0)


def test_duration_defaults_are_written_as_a_file_writes_them():
    scenario = json_schema("scenario")["$defs"]
    # by hand: for 0 seconds, every minute; a live fault starts at 0s; probes every 1s, 2s timeout
    assert scenario["AlertRule"]["properties"]["for"]["default"] == "0s"
    assert scenario["AlertRule"]["properties"]["every"]["default"] == "1m"
    assert scenario["LiveFault"]["properties"]["at"]["default"] == "0s"
    assert scenario["Probe"]["properties"]["every"]["default"] == "1s"
    assert scenario["Probe"]["properties"]["timeout"]["default"] == "2s"
    for kind in KINDS:
        for path, node in nodes(json_schema(kind)):
            if node.get("pattern") in (UNSIGNED_PATTERN, SIGNED_PATTERN) and "default" in node:
                assert isinstance(node["default"], str) and re.search(node["pattern"], node["default"]), (kind, path)
                assert node["patternErrorMessage"] == PATTERN_MESSAGE


def test_format_duration_writes_what_the_pattern_accepts():
    for seconds in (0, 0.5, 1, 59.5, 60, 90, 3600, 5400, 86400 * 3 + 1):
        assert re.search(UNSIGNED_PATTERN, format_duration(seconds))
    assert re.search(SIGNED_PATTERN, format_duration(-6 * 3600))


# -- the shape of every schema ----------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_every_property_has_a_description(kind):
    missing = [f"{path}/{name}" for path, node in nodes(json_schema(kind)) if isinstance(node.get("properties"), dict)
               for name, prop in node["properties"].items() if not (isinstance(prop, dict) and prop.get("description"))]
    assert missing == [], f"{len(missing)} properties without a description (add Field(description=...))"


@pytest.mark.parametrize("kind", KINDS)
def test_optional_fields_complete_as_a_skeleton_not_as_null(kind):
    for path, node in nodes(json_schema(kind)):
        assert node.get("type") != "null" and not ("default" in node and node["default"] is None), path


@pytest.mark.parametrize("kind", KINDS)
def test_named_maps_take_no_key_outside_their_pattern(kind):
    maps = [(path, node) for path, node in nodes(json_schema(kind)) if "patternProperties" in node]
    assert all(node.get("additionalProperties") is False for _, node in maps)
    if kind in ("team", "stack"):
        assert maps


def test_a_key_outside_a_named_map_is_flagged():
    team = jsonschema.Draft202012Validator(json_schema("team"))
    errors = [e for e in team.iter_errors({"roles": {"Incident Commander": ["amara"]}}) if list(e.absolute_path) == ["roles"]]
    assert errors


def test_references_must_be_web_addresses():
    schema = {**json_schema("scenario"), "required": []}
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"references": ["https://example.com/postmortem"]})
    assert not validator.is_valid({"references": ["example.com/postmortem"]})
    assert not validator.is_valid({"references": ["ftp://example.com/postmortem"]})


# -- distributions ---------------------------------------------------------------------
VALUES = {"fixed": "5m", "min": "1m", "mode": "2m", "max": "3m", "median": "1m", "p90": "2m", "mean": "1m"}


def dist_schema(kind="runbook"):
    schema = json_schema(kind)
    takes = schema["$defs"]["Step"]["properties"]["takes"]
    return jsonschema.Draft202012Validator({**takes, "$defs": schema["$defs"]})


@pytest.mark.parametrize("keys", [k for n in range(len(SHAPES_FIELDS) + 1) for k in itertools.combinations(SHAPES_FIELDS, n)],
                         ids=lambda k: ",".join(k) or "empty")
def test_the_schema_takes_each_distribution_shape_drillbit_takes_and_no_other(keys):
    value = {k: VALUES[k] for k in keys}
    try:
        Dist.model_validate(value, context={"from_file": True})
        ok = True
    except ValueError:
        ok = False
    assert dist_schema().is_valid(value) is ok


def test_a_median_without_p90_is_flagged():
    assert not dist_schema().is_valid({"median": "20m"})
    assert dist_schema().is_valid("20m") and dist_schema().is_valid({"median": "20m", "p90": "1h"})


# -- weekly windows --------------------------------------------------------------------
WINDOWS = ["Mon-Fri 09:00-17:30", "Sat-Sun", "daily 23:00-07:00", "Mon,Wed 10:00-12:00", "09:00-17:00",
           "monday-FRIDAY", "weekends 00:00-24:00", "Fri-Mon", "Mon 9:00-17:00", "Mon-Fir 09:00-17:00", "Mon–Fri",
           "Mon 09:00", "Mon 09:00-25:00", "Mon 24:30-01:00", "Mon, Tue", "daily", "Everyday 08:00-09:00",
           "Mon-Fri 09:00-17:00 extra", "", "Tues", "Thursday", "Mon-Tue-Wed"]


def _reads(text: str) -> bool:
    try:
        parse_window(text)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("text", WINDOWS)
def test_the_window_pattern_accepts_what_drillbit_reads(text):
    assert bool(re.search(WINDOW_PATTERN, text)) is _reads(text)


DAYISH = st.sampled_from(["Mon", "fri", "Sunday", "daily", "weekdays", "Tue", "-", ",", " ", "09:00", "9:30", "24:00",
                          "17:00", "-", "x", "25:00"])


@settings(max_examples=1000, deadline=None)
@given(text=st.lists(DAYISH, max_size=6).map("".join))
def test_the_window_pattern_agrees_on_many_strings(text):
    assert bool(re.search(WINDOW_PATTERN, text)) is _reads(text), text


# -- the workspace's own severities ----------------------------------------------------
TEAM_SEV = """\
team: platform
members: [{id: ana, name: Ana, timezone: UTC}]
rotations: {primary: {layers: [{start: 2026-01-05T09:00:00Z, turn: 1w, members: [ana]}]}}
escalation: {default: {levels: [{notify: rotation:primary}]}}
severity:
  SEV1: {definition: Down}
  SEV2: {definition: Degraded}
severity_map: {critical: SEV1}
"""


def test_a_workspace_scenario_schema_takes_the_teams_severities_only():
    schema = scenario_schema_for(loads(TEAM_SEV, Team))
    severity = jsonschema.Draft202012Validator(schema["properties"]["severity"])
    rule = jsonschema.Draft202012Validator(schema["$defs"]["AlertRule"]["properties"]["severity"])
    # the team's levels, its severity_map's names, and P<n>, which drillbit maps by rank
    for name in ("SEV1", "SEV2", "critical", "P0", "P7"):
        assert severity.is_valid(name) and rule.is_valid(name), name
    for name in ("SEV9", "P-1", "major", "sev1 "):
        assert not severity.is_valid(name), name
    assert "SEV1" in json.dumps(schema["properties"]["severity"])


def test_one_or_a_list_is_one_schema_that_checks_both():
    notify = jsonschema.Draft202012Validator(json_schema("team")["$defs"]["Level"]["properties"]["notify"])
    assert notify.is_valid("rotation:primary") and notify.is_valid(["rotation:primary", "role:leadership"])
    for wrong in ("primary", [], ["primary"], 5):
        assert not notify.is_valid(wrong), wrong
    only = jsonschema.Draft202012Validator(json_schema("team")["$defs"]["Layer"]["properties"]["only"])
    assert only.is_valid("Mon-Fri 09:00-17:00") and only.is_valid(["Sat-Sun", "daily 23:00-07:00"])
    assert not only.is_valid("Mon-Fir") and not only.is_valid(["Mon-Fir"])


@pytest.mark.parametrize("kind", KINDS)
def test_no_field_is_split_into_branches_of_one_type_each(kind):
    """anyOf [text, list] shows a field's heading twice in the editor: it is one schema."""
    for path, node in nodes(json_schema(kind)):
        types = [b.get("type") for b in node.get("anyOf", [])]
        assert not ({"string", "array"} <= set(types)), path


TEAM_WORDS = TEAM_SEV.replace("SEV1: {definition: Down}", "critical: {definition: Down}").replace(
    "SEV2: {definition: Degraded}", "major: {definition: Degraded}").replace("{critical: SEV1}", "{blocker: critical}")
NAMES = ["SEV1", "SEV2", "SEV3", "sev-2", "Sev02", "SEV", "SEV-", "SEV1a", "P0", "p3", "P12", "P", "P-1", "PP1",
         "P\u0663", "critical", "Critical", "major", "blocker", "minor", " P1", "P1 ", ""]


@pytest.mark.parametrize("team_text", [TEAM_SEV, TEAM_WORDS], ids=["sev-levels", "word-levels"])
def test_the_severity_schema_accepts_exactly_the_names_drillbit_maps(team_text):
    team = loads(team_text, Team)
    severity = jsonschema.Draft202012Validator(scenario_schema_for(team)["properties"]["severity"])
    for name in NAMES:
        assert severity.is_valid(name) is (team_severity(team, name) is not None), name
