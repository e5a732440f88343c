"""JSON Schema for the files a user writes, for editor completion and validation.

The models export their schema; this module makes it one an editor (the YAML language
server behind VS Code, Neovim, Helix and JetBrains) can use without ever suggesting a
mistake: defaults written the way a file writes them, optional sections that complete
as a skeleton rather than as ``null``, and no key outside a named map's pattern.
"""

from __future__ import annotations

import re
from typing import Any

from .durations import SIGNED_PATTERN, UNSIGNED_PATTERN, format_duration
from .loader import MODELS
from .severity_map import scale_rank
from .team import Team

#: The pattern and message every web address (a scenario's references) gets: the
#: language server does not check ``format: uri``.
URL_PATTERN = "^https?://"
URL_MESSAGE = "expected a web address starting with https:// or http://"
_DURATION_PATTERNS = (UNSIGNED_PATTERN, SIGNED_PATTERN)


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``scenario``, ``team``, ``runbook``, ``workspace`` or ``stack``.

    Raises KeyError for an unknown kind.
    """
    model = MODELS[kind]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:drillbit:schema:{kind}",
        **_for_editors(schema),
    }


def scenario_schema_for(team: Team) -> dict[str, Any]:
    """The scenario schema with only the severities ``team`` accepts, for the scenario
    and each alert rule: its levels and the names its ``severity_map`` maps (an enum),
    and names on a numbered scale the team does not use, which drillbit maps onto its
    levels by rank (see scenarios.severity_map)."""
    schema = json_schema("scenario")
    levels = list(team.severity)
    names = [*levels, *(n for n, level in team.severity_map.items() if level in levels)]
    used = {r[0] for r in map(scale_rank, levels) if r is not None}
    ranked = [scale for scale in _RANKED if scale not in used]
    accepted: dict[str, Any] = {"type": "string", "enum": names}
    if ranked:  # one pattern, not anyOf [enum, pattern]: an editor would show the heading twice
        alternatives = [*(re.sub(r"[.^$*+?()\[\]{}|\\/]", r"\\\g<0>", n) for n in names), *map(_RANKED.get, ranked)]
        accepted = {"type": "string", "pattern": f"^(?:{'|'.join(alternatives)})$", "examples": names,
                    "patternErrorMessage": f"expected one of the team's severities ({', '.join(names)}), or "
                                           f"{' or '.join(s + '<n>' for s in ranked)} (mapped onto them by rank)"}
    rule = schema["$defs"]["AlertRule"]["properties"]
    for props in (schema["properties"], rule):
        kept = {k: v for k, v in props["severity"].items() if k in ("title", "description")}
        props["severity"] = {**kept, **accepted}
    return schema


#: Names on a numbered severity scale, as scenarios.severity_map reads them (any case).
_RANKED = {"P": "[Pp][0-9]+", "SEV": "[Ss][Ee][Vv]-?[0-9]+"}


def _for_editors(node: Any) -> Any:
    """``node`` with every sub-schema made editor-ready (see the module docstring)."""
    if isinstance(node, list):
        return [_for_editors(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _for_editors(v) for k, v in node.items()}
    branches = node.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches and "default" in node and node["default"] is None:
        # The null branch only says the field may be left out: leaving it out says so.
        rest = [b for b in branches if b != {"type": "null"}]
        del node["anyOf"]
        if len(rest) == 1:
            node = {**rest[0], **node}
        else:
            node["anyOf"] = rest
    merged = _one_of_each_type(node.get("anyOf"))
    if merged is not None:
        del node["anyOf"]
        node = {**merged, **node}
    if "default" in node and node["default"] is None:
        del node["default"]
    if node.get("pattern") in _DURATION_PATTERNS and isinstance(node.get("default"), (int, float)):
        node["default"] = format_duration(node["default"])
    for name, prop in node.get("properties", {}).items():
        if isinstance(prop, dict) and "title" not in prop:  # the heading hover shows, as pydantic writes it
            prop["title"] = name.replace("_", " ").title()
    if "patternProperties" in node:
        node.setdefault("additionalProperties", False)
    if node.get("format") == "uri":
        node.setdefault("pattern", URL_PATTERN)
        node.setdefault("patternErrorMessage", URL_MESSAGE)
    return node


#: Keywords that constrain one JSON type only, so branches of different types that use
#: only these can be one schema; the rest (title, examples, messages) only describe.
_OF_TYPE = {
    "string": {"pattern", "minLength", "maxLength", "format"},
    "array": {"items", "minItems", "maxItems", "uniqueItems"},
}
_DESCRIBING = {"title", "description", "examples", "patternErrorMessage", "errorMessage"}


def _one_of_each_type(branches: Any) -> dict[str, Any] | None:
    """``anyOf [text, list of text]`` as one schema of both types, else None: the
    language server shows the field's heading once per branch."""
    if not isinstance(branches, list) or len(branches) < 2:
        return None
    types = [b.get("type") for b in branches]
    if not all(t in _OF_TYPE for t in types) or len(set(types)) != len(types):
        return None
    if any(set(b) - {"type"} - _OF_TYPE[b["type"]] - _DESCRIBING for b in branches):
        return None
    merged: dict[str, Any] = {"type": types}
    for b in branches:
        merged.update({k: v for k, v in b.items() if k != "type" and k not in merged})
    return merged
