"""Weekly time windows as people write them: ``Mon-Fri 09:00-17:30``, ``Sat-Sun``,
``daily 23:00-07:00``, ``Mon,Wed 10:00-12:00``.

A window whose end is before its start runs past midnight into the next day; the
days name the day it starts on.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?[0-9]|2[0-4]):([0-5][0-9])$")
# Word processors and chat tools turn 'Mon-Fri' into 'Mon–Fri'.
_NOT_A_HYPHEN = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
EXPECTED = "expected days and hours such as 'Mon-Fri 09:00-17:30', 'Sat-Sun' or 'daily 23:00-07:00'"


@dataclass(frozen=True)
class WeeklyWindow:
    """Days of the week (0 = Monday) and minutes of the day [start, end)."""

    days: frozenset[int]
    start: int  # minutes after local midnight
    end: int  # minutes after local midnight; <= start means it ends the next day
    text: str

    def contains(self, local: datetime) -> bool:
        """Whether a local (wall-clock) time falls inside the window."""
        minute = local.hour * 60 + local.minute + local.second / 60
        day = local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= minute < self.end
        if self.start == self.end:  # the whole day
            return day in self.days
        return (day in self.days and minute >= self.start) or ((day - 1) % 7 in self.days and minute < self.end)

    def __str__(self) -> str:
        return self.text


def parse_window(text: str) -> WeeklyWindow:
    """Parse a weekly window; raises ValueError with a did-you-mean for misspelt days."""
    raw = " ".join(str(text).split())
    dashes = _NOT_A_HYPHEN.findall(raw)
    if dashes:
        names = {"\u2013": "an en dash (–)", "\u2014": "an em dash (—)", "\u2212": "a minus sign (−)"}
        what = names.get(dashes[0], f"the dash {dashes[0]!r} (U+{ord(dashes[0]):04X})")
        raise ValueError(f"{EXPECTED}, got {text!r}: it has {what} where a hyphen (-) goes; "
                         f"write {_NOT_A_HYPHEN.sub('-', raw)!r}")
    parts = raw.split(" ")
    if not raw or len(parts) > 2:
        raise ValueError(f"{EXPECTED}, got {text!r}")
    days_text, hours_text = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")
    if _TIME.match(days_text.split("-")[0]) and not hours_text:
        days_text, hours_text = "daily", days_text
    days = _parse_days(days_text, text)
    start, end = 0, 0
    if hours_text:
        bounds = hours_text.split("-")
        if len(bounds) != 2:
            raise ValueError(f"{EXPECTED}, got {text!r}")
        start, end = (_minutes(b, text) for b in bounds)
    return WeeklyWindow(frozenset(days), start, end % 1440, raw)


#: Words for sets of days, any case; the editor's pattern is built from them too.
_WORDS = {("daily", "every-day", "everyday", "all"): range(7), ("weekdays",): range(5), ("weekends", "weekend"): (5, 6)}


def _parse_days(days_text: str, text: str) -> set[int]:
    for words, days in _WORDS.items():
        if days_text.lower() in words:
            return set(days)
    days: set[int] = set()
    for chunk in days_text.split(","):
        ends = chunk.split("-")
        if len(ends) not in (1, 2):
            raise ValueError(f"{EXPECTED}, got {text!r}")
        first, last = (_day(e, text) for e in (ends[0], ends[-1]))
        d = first
        days.add(d)
        while d != last:
            d = (d + 1) % 7
            days.add(d)
    return days


def _day(name: str, text: str) -> int:
    key = name.strip().lower()[:3]
    if key in DAYS and name.strip().lower() in (key, _full(key)):
        return DAYS.index(key)
    guess = difflib.get_close_matches(name.strip().lower(), [*DAYS, *map(_full, DAYS)], n=1, cutoff=0.5)
    hint = f"; did you mean '{guess[0][:3].capitalize()}'?" if guess else ""
    raise ValueError(f"{EXPECTED}, got {text!r}: {name!r} is not a day{hint}")


def _full(key: str) -> str:
    return {"mon": "monday", "tue": "tuesday", "wed": "wednesday", "thu": "thursday", "fri": "friday", "sat": "saturday", "sun": "sunday"}[key]


def _minutes(hhmm: str, text: str) -> int:
    m = _TIME.match(hhmm.strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"{EXPECTED}, got {text!r}: {hhmm!r} is not a time of day (HH:MM)")
    return int(m.group(1)) * 60 + int(m.group(2))


def _coerce(value: Any) -> WeeklyWindow:
    if isinstance(value, WeeklyWindow):
        return value
    if not isinstance(value, str):
        from .durations import describe

        raise ValueError(f"{EXPECTED}, got {describe(value)}")
    return parse_window(value)


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


def _pattern() -> str:
    """What :func:`parse_window` accepts, as a regular expression an editor can run
    (JavaScript's: no inline flags, so each letter is written in either case)."""
    day = "(?:" + "|".join(_any_case(n) for d in DAYS for n in (_full(d), d)) + ")"
    words = "|".join(_any_case(w) for ws in _WORDS for w in ws)
    days = f"(?:{words}|{day}(?:-{day})?(?:,{day}(?:-{day})?)*)"
    time = "(?:(?:[01]?[0-9]|2[0-3]):[0-5][0-9]|24:00)"
    hours = f"{time}-{time}"
    return rf"^\s*(?:{days}(?:\s+{hours})?|{hours})\s*$"


WINDOW_PATTERN = _pattern()
_MESSAGE = "expected days and hours such as Mon-Fri 09:00-17:30, Sat-Sun or daily 23:00-07:00"
_SCHEMA = {"type": "string", "pattern": WINDOW_PATTERN, "patternErrorMessage": _MESSAGE, "errorMessage": _MESSAGE,
           "examples": ["Mon-Fri 09:00-17:30", "Sat-Sun", "daily 23:00-07:00"]}

#: A weekly window written as text.
Window = Annotated[WeeklyWindow, BeforeValidator(_coerce), PlainSerializer(str, return_type=str), WithJsonSchema(_SCHEMA)]
#: One window or a list of them, always a list after loading.
Windows = Annotated[
    list[Window], BeforeValidator(lambda v: [v] if isinstance(v, str) else v),
    WithJsonSchema({"anyOf": [_SCHEMA, {"type": "array", "items": _SCHEMA}]}),
]
