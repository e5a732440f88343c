"""How numbers and instants read in every report: durations as YAML writes them,
shares as whole percents, wall-clock times in one named zone. Formatting only; every
number comes from scoring or from the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from scenarios import format_duration, format_share
from scenarios.common import zone


def duration(seconds: float | None, never: str = "never") -> str:
    """``150`` -> ``2m30s``; None (the milestone never happened) -> ``never``."""
    return never if seconds is None else format_duration(seconds)


def offset(seconds: float) -> str:
    """An offset from the drill start: ``+2m30s``; before it, as a scenario writes it:
    ``-23h37m``."""
    return format_duration(seconds) if seconds < 0 else "+" + format_duration(seconds)


def pct(share: float | None) -> str:
    """``0.7551`` -> ``75.5%`` (see :func:`scenarios.format_share`); None -> ``—``."""
    return format_share(share)


def interval(lo: float | None, hi: float | None, fmt=pct) -> str:
    """``[0.69, 0.81]`` -> ``69–81%`` for shares, ``1m26s–2m36s`` for durations."""
    a, b = fmt(lo), fmt(hi)
    if fmt is pct and a.endswith("%") and b.endswith("%"):
        return f"{a[:-1]}–{b}"
    return f"{a}–{b}"


def count(n: float) -> str:
    """A count that may be a float median: ``6.0`` -> ``6``, ``6.5`` -> ``6.5``."""
    return f"{n:g}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


class Clock:
    """Wall-clock times of a drill in one zone (the team's)."""

    def __init__(self, started_at: datetime, tz: str) -> None:
        self.started_at = started_at
        self.tz = tz
        self.zone = zone(tz)

    def at(self, t: float) -> datetime:
        """The local instant ``t`` seconds after the start, to the nearest second (as
        offsets are written)."""
        return (self.started_at + timedelta(seconds=round(t))).astimezone(self.zone)

    def time(self, t: float) -> str:
        """``11:02:30``."""
        return self.at(t).strftime("%H:%M:%S")

    def day(self, t: float) -> str:
        """``Mon 30 Nov 2026``."""
        return day(self.at(t))

    def stamp(self, t: float) -> str:
        """``Mon 30 Nov 2026, 11:02 CET``."""
        return stamp(self.at(t))


def day(at: datetime) -> str:
    return f"{at:%a} {at.day} {at:%b %Y}"


def stamp(at: datetime) -> str:
    """``Mon 30 Nov 2026, 11:02 CET`` (the zone's abbreviation, else its offset)."""
    name = at.tzname() or at.strftime("%z")
    if name and name[0] in "+-":
        name = "UTC" + name
    return f"{day(at)}, {at:%H:%M} {name}"
