"""The JSON Schema editors use must accept every valid file drillbit ships and flag
the mistakes a schema can see."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jsonschema
import pytest

import scenarios
from scenarios import detect_kind, json_schema
from scenarios.schema import scenario_schema_for

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted([*scenarios.builtin_scenarios(), *(ROOT / "examples").rglob("*.yaml"),
                  *(ROOT / "drillbit" / "starters").glob("*.yaml")])


def as_json(value):
    """YAML gives dates and datetimes; JSON (what an editor checks) has strings."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


@pytest.mark.parametrize("kind", ["scenario", "team", "runbook", "workspace", "stack"])
def test_schemas_are_valid_draft_2020_12(kind):
    jsonschema.Draft202012Validator.check_schema(json_schema(kind))


def test_a_workspace_scenario_schema_is_valid_draft_2020_12():
    team = scenarios.load_team(ROOT / "examples" / "team.yaml")
    jsonschema.Draft202012Validator.check_schema(scenario_schema_for(team))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_file_passes_its_schema(path):
    text = path.read_text(encoding="utf-8").replace("$name", "starter")
    doc = scenarios.parse_yaml(text, str(path))
    validator = jsonschema.Draft202012Validator(json_schema(detect_kind(doc)))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(as_json(doc.data))]
    assert errors == []


def test_the_schema_flags_unknown_keys_and_bad_durations():
    validator = jsonschema.Draft202012Validator(json_schema("runbook"))
    bad = {"id": "x", "title": "t", "triggers": {"tags": ["a"]}, "steps": [{"do": "a", "takes": "5 min", "tkaes": "1m"}]}
    messages = " ".join(e.message for e in validator.iter_errors(bad))
    assert "tkaes" in messages
    assert "5 min" in messages
