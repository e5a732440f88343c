"""Click parameter types for what drillbit users type: durations, instants, shares."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from scenarios import parse_duration
from scenarios.common import FIRST_YEAR, LAST_YEAR

#: What an instant looks like, in every message about one.
INSTANT_EXAMPLE = "2026-11-30T09:00:00+01:00"
class DurationParam(click.ParamType):
    """``90s``, ``5m``, ``1h30m``, ``4w`` -> seconds."""

    name = "duration"

    def convert(self, value, param, ctx):  # noqa: ANN001
        if isinstance(value, (int, float)):
            return float(value)
        try:
            # Bounded as in files (parse_duration refuses more than 730d).
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class InstantParam(click.ParamType):
    """ISO 8601 with an offset, or ``now``."""

    name = "instant"

    def convert(self, value, param, ctx):  # noqa: ANN001
        if isinstance(value, datetime):
            return value
        if value == "now":
            return datetime.now(timezone.utc).replace(microsecond=0)
        try:
            t = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"expected an ISO 8601 time with an offset such as {INSTANT_EXAMPLE}, got {value!r}", param, ctx)
        if t.tzinfo is None:
            # Written out in full: appending an offset to a bare date ("2026-11-30+00:00")
            # is not a time anyone can type back in.
            utc = t.replace(tzinfo=timezone.utc).isoformat()
            self.fail(f"expected a time with an offset such as {INSTANT_EXAMPLE}, or {utc} for UTC; "
                      f"got {value!r}", param, ctx)
        try:
            year = t.astimezone(timezone.utc).year
        except OverflowError:  # year 1 at a positive offset, or 9999 at a negative one
            year = t.year
        if not FIRST_YEAR <= year <= LAST_YEAR:
            # Durations are added to it; outside these years that leaves the calendar.
            self.fail(f"expected a time from {FIRST_YEAR} to {LAST_YEAR} (in UTC), got {value!r}", param, ctx)
        return t


class SeedParam(click.ParamType):
    """A whole number in 0..2**63 - 1, the range the incident log can store."""

    name = "seed"

    def convert(self, value, param, ctx):  # noqa: ANN001
        from simulator import MAX_SEED  # the engine is loaded only by commands that take a seed

        if isinstance(value, int):
            seed = value
        else:
            try:
                seed = int(str(value).strip())
            except ValueError:
                self.fail(f"expected a whole number from 0 to {MAX_SEED}, got {value!r}", param, ctx)
        if not 0 <= seed <= MAX_SEED:
            self.fail(f"expected a seed from 0 to {MAX_SEED} (2**63 - 1, what the incident log stores), "
                      f"got {value}", param, ctx)
        return seed


class ShareParam(click.ParamType):
    """``90%`` or ``0.9`` -> 0.9."""

    name = "share"

    def convert(self, value, param, ctx):  # noqa: ANN001
        if isinstance(value, float):
            return value
        text = str(value).strip()
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            self.fail(f"expected a share such as 90% or 0.9, got {value!r}", param, ctx)
        if not 0 < share <= 1:
            self.fail(f"expected a share above 0 and at most 100%, got {value!r}", param, ctx)
        return share


class ZoneParam(click.ParamType):
    """An IANA time zone name such as ``Europe/Berlin``."""

    name = "zone"

    def convert(self, value, param, ctx):  # noqa: ANN001
        from scenarios.common import _check_zone

        try:
            return _check_zone(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class TimelinesParam(click.Path):
    """A timelines file, or the folder of a drill (what ``simulate --out``, ``gameday``
    and ``tabletop`` write into): the timelines it holds."""

    name = "timelines"

    def __init__(self) -> None:
        super().__init__(exists=True, path_type=Path)

    def convert(self, value, param, ctx):  # noqa: ANN001
        path = super().convert(value, param, ctx)
        if not path.is_dir():
            return path
        # What the drill's folder holds is told by the modes that write it (the application layer).
        from .app import GAMEDAY_TIMELINE, PLAIN_TIMELINES, TIMELINES

        names = (TIMELINES, PLAIN_TIMELINES, GAMEDAY_TIMELINE)
        held = [path / name for name in names if (path / name).is_file()]
        if not held:
            self.fail(f"{click.format_filename(path)} is a folder without a drill's timelines "
                      f"({', '.join(names)}); name the timelines file", param, ctx)
        if len(held) > 1:
            self.fail(f"{click.format_filename(path)} holds more than one timelines file "
                      f"({', '.join(p.name for p in held)}); name the one to read", param, ctx)
        return held[0]


DURATION = DurationParam()
INSTANT = InstantParam()
SHARE = ShareParam()
ZONE = ZoneParam()
SEED = SeedParam()
TIMELINES = TimelinesParam()
