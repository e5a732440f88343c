"""Durations as people write them (``90s``, ``5m``, ``1h30m``, ``2d``) and as drillbit prints them.

Inside drillbit every duration is a float number of seconds.
"""

from __future__ import annotations

import math
from datetime import date, datetime
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo, WithJsonSchema

UNITS: dict[str, float] = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
# ASCII digits only, the same in Python and in an editor's (JavaScript) regular expressions.
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_PART = re.compile(rf"({_NUMBER})(ms|w|d|h|m|s)")
_WHOLE = re.compile(rf"(?:{_NUMBER}(?:ms|w|d|h|m|s))+")
#: Spaces and tabs around a duration (and after its sign) are ignored.
_BLANK = r"[ \t]*"
#: What :func:`parse_duration` accepts (units largest first, each at most once) as one
#: regular expression an editor can run: the JSON Schema's pattern. A test checks the two agree.
_ORDERED = "(?=[0-9])" + "".join(f"(?:{_NUMBER}{unit})?" for unit in UNITS)
UNSIGNED_PATTERN = f"^{_BLANK}(?:[+]{_BLANK})?{_ORDERED}{_BLANK}$"
SIGNED_PATTERN = f"^{_BLANK}(?:[-+]{_BLANK})?{_ORDERED}{_BLANK}$"
#: What an editor says when a duration does not match the pattern.
PATTERN_MESSAGE = "expected a duration such as 90s, 5m, 1h30m"
_SPELLED = {
    "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "day": "d", "days": "d", "week": "w", "weeks": "w",
}
EXPECTED = "expected a duration such as '90s', '5m', '1h30m' or '2d'"
#: The longest duration drillbit accepts, either way from the drill start. A breach
#: found after months or a restore that takes weeks fits with room to spare; a longer
#: span is no drill, and every instant it reaches stays a date Python can represent.
MAX_SECONDS = 730 * 86400.0
MAX_TEXT = "730d (two years)"


def check_bound(seconds: float, text: str) -> float:
    """``seconds`` if it lies within :data:`MAX_SECONDS` either way; ValueError otherwise."""
    if not math.isfinite(seconds) or abs(seconds) > MAX_SECONDS:
        raise ValueError(f"expected a duration of at most {MAX_TEXT}, got {text if len(text) <= 40 else text[:37] + '...'}")
    return seconds


def parse_duration(text: str, *, signed: bool = False) -> float:
    """Parse ``1h30m`` into seconds (5400.0).

    A leading ``-`` is accepted when ``signed`` (offsets before the drill start).
    Raises ValueError with a message that names the fix when the text is not a duration.
    """
    raw = text.strip(" \t")
    sign = 1.0
    body = raw
    if body.startswith("-"):
        if not signed:
            raise ValueError(f"expected a duration that is not negative, got {text!r}")
        sign, body = -1.0, body[1:].strip(" \t")
    elif body.startswith("+"):
        body = body[1:].strip(" \t")
    if _WHOLE.fullmatch(body):
        parts = _PART.findall(body)
        units = [u for _, u in parts]
        order = list(UNITS)
        if units != sorted(units, key=order.index) or len(set(units)) != len(units):
            raise ValueError(f"{EXPECTED}, with units from largest to smallest, got {text!r}")
        return check_bound(sign * sum(float(n) * UNITS[u] for n, u in parts), repr(raw))
    raise ValueError(f"{EXPECTED}, got {text!r}{_suggest(body, sign)}")


def _suggest(body: str, sign: float) -> str:
    """A did-you-mean for common spellings: '5 min', '30 seconds', '1.5h ', '90'."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)?", body)
    if not m:
        return ""
    number, unit = m.group(1), (m.group(2) or "").lower()
    unit = _SPELLED.get(unit, unit if unit in UNITS else "")
    if not unit and m.group(2) is None:
        unit = "s"
    if not unit:
        return ""
    return f"; did you mean '{'-' if sign < 0 else ''}{number}{unit}'?"


def format_duration(seconds: float) -> str:
    """Format seconds the way YAML writes them: 5400 -> ``1h30m``, 0.5 -> ``500ms``.

    Values are rounded to the nearest second above one minute and to the nearest
    millisecond below it; infinity prints as ``never``.
    """
    if math.isinf(seconds):
        return "never" if seconds > 0 else "-never"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 1:
        ms = round(s * 1000)
        return f"{sign}{ms}ms" if ms else "0s"
    if s < 60 and s != int(s):
        return f"{sign}{s:.1f}".rstrip("0").rstrip(".") + "s"
    total = int(round(s))
    out = ""
    for unit in ("d", "h", "m", "s"):
        size = int(UNITS[unit])
        count, total = divmod(total, size)
        if count:
            out += f"{count}{unit}"
    return sign + (out or "0s")


#: Validation context key set by the YAML loader: a number a person wrote without a
#: unit is ambiguous there, while Python callers pass plain seconds.
FROM_FILE = "from_file"


def _coerce(value: Any, signed: bool, info: ValidationInfo) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{EXPECTED}, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{EXPECTED}, got {value!r}")
    if isinstance(value, (int, float)):
        if not (info.context or {}).get(FROM_FILE):
            if value < 0 and not signed:
                raise ValueError(f"expected a duration that is not negative, got {value!r}")
            return check_bound(float(value), f"{value!r} seconds")
        # In a file every duration has a unit, zero included: the editor's schema says
        # the same, so the two never disagree on what is valid.
        if value == 0:
            raise ValueError(f"{EXPECTED}, got the bare number {value!r}; did you mean '0s'?")
        # A bare number is ambiguous by nature: offer the plausible units, not a guess
        # that the field's own bounds may refuse (a rotation turn of '8s').
        raise ValueError(f"{EXPECTED}, got the bare number {value!r}; did you mean '{value}s', '{value}m' or '{value}h'?")
    if isinstance(value, str):
        return parse_duration(value, signed=signed)
    raise ValueError(f"{EXPECTED}, got {describe(value)}")


def describe(value: Any) -> str:
    """Say what a user wrote, briefly, for 'expected ..., got ...' messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:6])
        return f"a mapping with keys {keys}" if value else "an empty mapping"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}" if value else "an empty list"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, (datetime, date)):
        return value.isoformat()  # as the user wrote it, not datetime.datetime(...)
    return repr(value)


#: ``patternErrorMessage`` and ``errorMessage`` are the YAML language server's own
#: keywords for what it says when the pattern, or the type (``for: 0``), does not match.
DURATION_SCHEMA = _SCHEMA = {"type": "string", "pattern": UNSIGNED_PATTERN, "patternErrorMessage": PATTERN_MESSAGE,
                             "errorMessage": PATTERN_MESSAGE, "examples": ["90s", "5m", "1h30m"]}
_SIGNED_SCHEMA = {**_SCHEMA, "pattern": SIGNED_PATTERN, "examples": ["0s", "3m", "-6h"]}

#: Non-negative seconds written as a duration string.
Duration = Annotated[
    float,
    BeforeValidator(lambda v, info: _coerce(v, False, info)),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(_SCHEMA),
]
#: Seconds relative to the drill start; may be negative (``-6h``: six hours before).
Offset = Annotated[
    float,
    BeforeValidator(lambda v, info: _coerce(v, True, info)),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(_SIGNED_SCHEMA),
]
