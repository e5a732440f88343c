"""One definition of night: 22:00 to 07:00 on the person's own clock. A page then wakes
them; on-call hours then are the ones a rotation should spread fairly."""

from __future__ import annotations

from datetime import datetime

from .common import zone

#: The first hour of the night and the first hour of the morning, on a local clock.
NIGHT_START, NIGHT_END = 22, 7
#: How findings write it.
NIGHT_TEXT = f"{NIGHT_START:02d}:00–{NIGHT_END:02d}:00"


def is_night_hour(hour: int) -> bool:
    """Whether a local clock hour (0-23) is in the night."""
    return hour >= NIGHT_START or hour < NIGHT_END


def is_night(at: datetime, tz: str) -> bool:
    """Whether the aware instant ``at`` falls in the night on a clock in ``tz`` (an IANA
    zone; daylight saving time as that zone keeps it). Raises ValueError for a naive
    ``at`` and ZoneInfoNotFoundError for an unknown zone."""
    if at.tzinfo is None:
        raise ValueError("expected an aware datetime")
    return is_night_hour(at.astimezone(zone(tz)).hour)
