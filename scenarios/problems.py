"""Turn pydantic's validation errors into messages a person can act on:
``expected …, got …`` plus a did-you-mean where one fits."""

from __future__ import annotations

import difflib
import re
import types
import typing
from datetime import datetime
from typing import Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from .durations import describe
from .errors import Problem
from .yamlsource import Document

_FRIENDLY = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "datetime_type": "a date and time such as 2026-11-02T09:00:00+01:00",
    "datetime_parsing": "a date and time such as 2026-11-02T09:00:00+01:00",
    "datetime_from_date_parsing": "a date and time such as 2026-11-02T09:00:00+01:00",
    "date_type": "a date such as 2026-12-22",
    "date_parsing": "a date such as 2026-12-22",
    "date_from_datetime_inexact": "a date such as 2026-12-22",
    "url_parsing": "a URL such as https://example.com/postmortem",
    "url_scheme": "an http or https URL",
    "url_type": "a URL such as https://example.com/postmortem",
    "timezone_aware": "a date and time with an offset such as 2026-11-02T09:00:00+01:00",
}


def problems_from(exc: ValidationError, doc: Document, model: type[BaseModel]) -> list[Problem]:
    """One Problem per pydantic error, positioned in ``doc``."""
    out = []
    for err in exc.errors(include_url=False):
        on_key = "[key]" in err["loc"]  # the problem is a mapping key itself, not its value
        path = _data_path(tuple(part for part in err["loc"] if part != "[key]"), doc.data)
        message = _comma_in_flow_text(err, path, doc, model) or message_for(err, path, model) + _offset_hint(err, path, doc.data)
        out.append(doc.problem(path, message, key=on_key or err["type"] == "extra_forbidden"))
    return out


def _comma_in_flow_text(err: dict[str, Any], path: tuple, doc: Document, model: type[BaseModel]) -> str | None:
    """In ``{note: restarted, then failed}`` the comma ends the note, and the rest of the
    sentence becomes a key with no value: say so instead of 'unknown key'."""
    if err["type"] != "extra_forbidden" or not path or err.get("input") is not None or path[:-1] not in doc.flow_mappings:
        return None
    mapping, name = _at(doc.data, path[:-1]), str(path[-1])
    if not isinstance(mapping, dict) or path[-1] not in mapping or difflib.get_close_matches(name, allowed_keys(model, path[:-1]), n=1, cutoff=0.6):
        return None
    keys = list(mapping)
    first = last = keys.index(path[-1])
    while first > 0 and mapping[keys[first - 1]] is None:
        first -= 1
    while last + 1 < len(keys) and mapping[keys[last + 1]] is None:
        last += 1
    if first == 0 or not isinstance(mapping[keys[first - 1]], str):
        return None
    owner = keys[first - 1]
    sentence = ", ".join([mapping[owner], *map(str, keys[first:last + 1])])
    return (f"unknown key '{name}': inside {{…}} a ',' ends a value, so the rest of the text of '{owner}' "
            f"became a key; put the text in quotes: {owner}: {_quote(sentence)}")


def _quote(text: str) -> str:
    return f"'{text}'" if "'" not in text else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def error_paths(exc: ValidationError, doc: Document) -> set[tuple[str | int, ...]]:
    """Where in the data each pydantic error is (the parts that did not validate)."""
    return {_data_path(tuple(part for part in err["loc"] if part != "[key]"), doc.data) for err in exc.errors(include_url=False)}


def _offset_hint(err: dict[str, Any], path: tuple, data: Any) -> str:
    """For a date and time written without an offset: the one it has in the zone that
    applies there (the nearest enclosing ``timezone``: a layer's, a member's, the
    team's), on that date, so daylight saving is taken into account."""
    value = err.get("input")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return ""
    if not isinstance(value, datetime) or value.tzinfo is not None or err["type"] != "value_error":
        return ""
    name, whose = "UTC", "the team's zone when it names none"
    for end in range(len(path), -1, -1):
        node = _at(data, path[:end])
        if isinstance(node, dict) and isinstance(node.get("timezone"), str):
            owner = "the team" if end == 0 else "the layer" if path[end - 2:end - 1] == ("layers",) else "the member"
            name, whose = node["timezone"], f"{owner}'s zone"
            break
    try:
        aware = value.replace(tzinfo=ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ""
    return f"; in {name} ({whose}) that is {aware.isoformat()}"


def _at(data: Any, path: tuple) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _data_path(loc: tuple, data: Any) -> tuple[str | int, ...]:
    """Keep the parts of pydantic's location that exist in the data; drop the names
    pydantic adds for union branches and validators (``function-after[...]``, ``date``)."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if _is_tag(node, part, loc[i + 1:]):
            continue  # a tagged union's branch, named by the tag's value in the mapping
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(part, str) and (isinstance(node, dict) or node is None) and not _is_branch_name(part):
            path.append(part)  # a key that is missing or unknown: keep it for the message
            node = None
    return tuple(path)


def _is_tag(node: Any, part: Any, rest: tuple) -> bool:
    """Whether ``part`` names the branch of a tagged union that pydantic put in the
    location: a value of the mapping (``action: step``), followed by more of the path,
    and not a key the rest of the path goes into (``step: 1`` holds nothing further)."""
    if not (isinstance(node, dict) and isinstance(part, str) and rest and any(v == part for v in node.values())):
        return False
    return part not in node or not isinstance(node[part], (dict, list))


def _is_branch_name(part: str) -> bool:
    return bool(re.match(r"^(function-\w+\[|lax-or-strict|json-or-python|union\[|chain\[|nullable\[)", part)) or part in {
        "date", "datetime", "str", "int", "float", "bool", "list", "dict", "none",
    }


def message_for(err: dict[str, Any], path: tuple, model: type[BaseModel]) -> str:
    """One pydantic error as 'expected …, got …' (``path`` is where it is in the data)."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "missing":
        return f"missing required key '{path[-1]}'" if path else "missing required value"
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else "?"
        allowed = allowed_keys(model, path[:-1], tuple(p for p in err["loc"] if isinstance(p, str)))
        guess = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if guess:
            return f"unknown key '{name}'; did you mean '{guess[0]}'?"
        return f"unknown key '{name}'; expected one of: {', '.join(sorted(allowed))}" if allowed else f"unknown key '{name}'"
    if kind == "union_tag_invalid":
        key = str(ctx.get("discriminator", "")).strip("'")
        tags = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        tag = str(ctx.get("tag", ""))
        guess = difflib.get_close_matches(tag, tags, n=1, cutoff=0.6)
        hint = f"; did you mean '{guess[0]}'?" if guess else f"; expected one of: {', '.join(tags)}"
        return f"unknown {key} '{tag}'{hint}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind in ("literal_error", "enum"):
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        if not options:  # numbers (a format's version): as pydantic lists them
            return f"expected {ctx.get('expected')}, got {describe(value)}"
        quoted = [repr(o) for o in options]
        listing = f"{', '.join(quoted[:-1])} or {quoted[-1]}" if len(quoted) > 1 else "".join(quoted)
        text = f"expected one of {listing}, got {describe(value)}"
        guess = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5) if isinstance(value, str) else []
        return text + (f"; did you mean '{guess[0]}'?" if guess else "")
    if kind == "string_pattern_mismatch":
        return f"expected a name of lowercase letters, digits, '-', '_' or '.', got {describe(value)}" + _slug_hint(value)
    if kind in ("too_short", "too_long"):
        what = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "text"
        if kind == "too_short":
            n = ctx.get("min_length", 1)
            return f"expected {what} with at least {n} {'entry' if n == 1 else 'entries'}, got {describe(value)}"
        return f"expected {what} with at most {ctx.get('max_length')} entries"
    if kind == "string_too_short":
        return "expected text that is not empty"
    if kind == "string_too_long":
        return f"expected text of at most {ctx.get('max_length')} characters"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "?")
        return f"expected a number {op} {bound}, got {describe(value)}"
    if kind in _FRIENDLY:
        return f"expected {_FRIENDLY[kind]}, got {describe(value)}"
    return f"{err['msg'][0].lower()}{err['msg'][1:]}, got {describe(value)}"


def _slug_hint(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    slug = re.sub(r"[^a-z0-9_.-]+", "-", value.strip().lower()).strip("-")
    return f"; did you mean '{slug}'?" if slug and slug != value else ""


def allowed_keys(model: type[BaseModel], path: tuple, branches: tuple[str, ...] = ()) -> list[str]:
    """The keys a mapping at ``path`` (a data path) accepts, by walking the model types;
    ``branches`` names the tagged unions' branches taken (pydantic's location has them)."""
    t: Any = model
    for part in path:
        t = _unwrap(t, part, branches)
        if t is None:
            return []
    t = _unwrap(t, None, branches)
    if isinstance(t, type) and issubclass(t, BaseModel):
        return [f.alias or name for name, f in t.model_fields.items()]
    return []


def _tagged(model: type[BaseModel], branches: tuple[str, ...]) -> bool:
    """Whether a field of ``model`` is a one-word Literal naming one of ``branches``."""
    for f in model.model_fields.values():
        args = typing.get_args(f.annotation) if typing.get_origin(f.annotation) is Literal else ()
        if any(a in branches for a in args):
            return True
    return False


def _unwrap(t: Any, part: str | int | None, branches: tuple[str, ...] = ()) -> Any:
    """Step into type ``t`` by one path part (or just strip wrappers when part is None)."""
    while True:
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            t = typing.get_args(t)[0]
            continue
        if origin in (Union, types.UnionType):
            options = [a for a in typing.get_args(t) if a is not type(None)]
            models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
            models = [m for m in models if _tagged(m, branches)] or models
            containers = [a for a in options if typing.get_origin(a) in (list, dict, tuple)]
            picks = models or containers or options
            t = picks[0] if picks else None
            continue
        break
    if part is None or t is None:
        return t
    origin = typing.get_origin(t)
    if isinstance(t, type) and issubclass(t, BaseModel):
        for name, f in t.model_fields.items():
            if part in (name, f.alias):
                return f.annotation
        return None
    if origin in (list, tuple) and isinstance(part, int):
        return typing.get_args(t)[0]
    if origin is dict:
        return typing.get_args(t)[1]
    return None
