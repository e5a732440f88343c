"""Small value types shared by the team, runbook and scenario models."""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, PlainValidator, WithJsonSchema

from .durations import describe
from .zonehints import ABBREVIATIONS, zone_hint

TARGET_KINDS = ("rotation", "person", "role")
_TARGET = re.compile(r"^(rotation|person|role):([A-Za-z0-9][A-Za-z0-9_.-]*)$")


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name (cached: called for every simulated instant)."""
    return ZoneInfo(name)


def _check_zone(value: str) -> str:
    # Legacy names such as EST and CET exist in the zone database, but they are
    # abbreviations: EST is UTC-05:00 all year, an hour off in a New York summer.
    refused = value in ABBREVIATIONS
    if not refused:
        try:
            zone(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            refused = True
    if refused:
        raise ValueError(f"expected an IANA time zone such as 'Europe/Berlin' or 'UTC', got {describe(value)}{zone_hint(value)}")
    return value


def _check_target(value: Any) -> str:
    if isinstance(value, str) and _TARGET.match(value):
        return value
    hint = ""
    if isinstance(value, str) and ":" not in value:
        hint = f"; did you mean 'rotation:{value}' or 'person:{value}'?"
    elif isinstance(value, str):
        kind = value.split(":", 1)[0]
        guess = difflib.get_close_matches(kind, TARGET_KINDS, n=1)
        if guess:
            hint = f"; did you mean '{guess[0]}:{value.split(':', 1)[1]}'?"
    raise ValueError(f"expected 'rotation:NAME', 'person:ID' or 'role:NAME', got {describe(value)}{hint}")


def split_target(target: str) -> tuple[str, str]:
    """``rotation:primary`` -> (``rotation``, ``primary``)."""
    kind, name = target.split(":", 1)
    return kind, name


_MOMENT = "a date and time with an offset such as 2026-11-02T09:00:00+01:00"


#: Dates drillbit accepts in a file. Any real rotation, override or absence lies well
#: inside; two years of drill (the longest duration) past either end stays a date
#: Python can represent in every time zone.
FIRST_YEAR, LAST_YEAR = 1970, 2199


def _in_range(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"expected a date between {FIRST_YEAR} and {LAST_YEAR}, got {describe(value)}")
    return value


def _moment(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"expected {_MOMENT}, got {describe(value)}") from None
    if not isinstance(value, datetime):
        raise ValueError(f"expected {_MOMENT}, got {describe(value)}")
    if value.tzinfo is None:
        raise ValueError(f"expected {_MOMENT}, got {value.isoformat()} (no offset)")
    _in_range(value)
    return value


def _day_or_moment(value: Any) -> date | datetime:
    if isinstance(value, date) and not isinstance(value, datetime):
        return _in_range(value)
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return _in_range(date.fromisoformat(value.strip()))
        except ValueError as exc:
            if str(exc).startswith("expected a date between"):
                raise
    try:
        return _moment(value)
    except ValueError as exc:
        if str(exc).startswith("expected a date between"):
            raise
        naive = " (no offset)" if str(exc).endswith("(no offset)") else ""
        raise ValueError(f"expected a date such as 2026-12-22 or {_MOMENT}, got {describe(value)}{naive}") from None


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


#: An IANA time-zone name.
TimeZone = Annotated[str, AfterValidator(_check_zone)]
_TARGET_SCHEMA = {"type": "string", "pattern": _TARGET.pattern, "examples": ["rotation:primary", "person:dana", "role:incident-commander"]}

#: Who to notify: ``rotation:NAME``, ``person:ID`` or ``role:NAME``.
Target = Annotated[str, BeforeValidator(_check_target), WithJsonSchema(_TARGET_SCHEMA)]
#: One target or a list of them, always a list after loading.
Targets = Annotated[
    list[Target], BeforeValidator(_one_or_many),
    WithJsonSchema({"anyOf": [_TARGET_SCHEMA, {"type": "array", "items": _TARGET_SCHEMA, "minItems": 1}]}),
]
#: A list of strings that may be written as a single string.
Names = Annotated[
    list[str], BeforeValidator(_one_or_many),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]
_MOMENT_SCHEMA = {"type": "string", "format": "date-time"}
#: A tz-aware datetime (ISO 8601 with an offset).
Aware = Annotated[datetime, PlainValidator(_moment), WithJsonSchema(_MOMENT_SCHEMA)]
#: A whole local day, or a tz-aware datetime.
DayOrAware = Annotated[
    date | datetime, PlainValidator(_day_or_moment),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, _MOMENT_SCHEMA]}),
]
