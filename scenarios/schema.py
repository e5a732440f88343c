"""JSON Schema for the files a user writes, for editor completion and validation."""

from __future__ import annotations

from typing import Any

from .loader import MODELS



def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``scenario``, ``team``, ``runbook``, ``workspace`` or ``stack``.

    Raises KeyError for an unknown kind.
    """
    model = MODELS[kind]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:drillbit:schema:{kind}",
        **schema,
    }
