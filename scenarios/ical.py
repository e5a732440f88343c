"""On-call calendars (RFC 5545 iCalendar) to and from rotations.

This module owns the ``icalendar``, ``recurring-ical-events`` and ``python-dateutil``
libraries: nothing else in drillbit imports them. The first two parse the text and
expand RRULE, RDATE, EXDATE and RECURRENCE-ID; dateutil counts a rule's occurrences
lazily first, since the expansion holds them all. This module reads the expanded
shifts as who is on call when, and writes a rotation's resolved schedule back as a
calendar.

icalendar keeps no line numbers, so problems are positioned from an index of the
source's content lines (folded lines unfolded, each keeping the physical line it
started on).
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
import yaml
from dateutil.rrule import rrulestr

from .common import zone
from .durations import format_duration
from .errors import DrillbitError, InputError, Problem
from .team import MIN_TURN, Layer, Override, Rotation, Team
from .yamlsource import line_col, read_regular_file
from .zonehints import ABBREVIATIONS

#: Occurrences one recurring event may have in the range read: more is a mistake (or an
#: attack), not an on-call rotation; a year of hourly turns is 8,760.
MAX_OCCURRENCES = 10_000
#: Recurrences finer than this cannot be turns of a rotation (MIN_TURN is an hour).
_TOO_FINE = ("SECONDLY", "MINUTELY")
#: The years a DTSTART or DTEND may be in; past them the range arithmetic overflows.
YEARS = (1900, 9000)
#: Without an end in the calendar or on the command line, an endless RRULE is read this far.
ENDLESS_HORIZON = timedelta(weeks=13)
#: How far beyond the range the recurrences are expanded, so none that overlaps it is left out.
EXPANSION_MARGIN = timedelta(days=2)
_TIMED = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
_LAYER_RULE_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST"}
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: The name of the layer of a rotation made of overrides alone (see :func:`_nowhere`).
NOWHERE = "nowhere"
UTC = timezone.utc


# ---------------------------------------------------------------- source positions

@dataclass
class _ContentLine:
    """One unfolded content line and the physical lines it was folded over."""

    line: int
    text: str
    # (physical line, offset in ``text`` where that physical line's characters begin)
    pieces: list[tuple[int, int]] = field(default_factory=list)

    @property
    def name(self) -> str:
        m = re.match(r"[A-Za-z0-9-]+", self.text)
        return m.group(0).upper() if m else ""

    def value(self) -> str:
        return self.text.split(":", 1)[1] if ":" in self.text else ""

    def position(self, offset: int = 0) -> tuple[int, int]:
        """(line, col) of the character at ``offset`` of the unfolded text."""
        line, start = self.pieces[0]
        for piece_line, piece_start in self.pieces:
            if piece_start <= offset:
                line, start = piece_line, piece_start
        # a continuation line starts with the one space or tab that unfolding removed
        return line, offset - start + (1 if start else 0) + 1


def _content_lines(text: str) -> list[_ContentLine]:
    out: list[_ContentLine] = []
    for number, raw in enumerate(re.split(r"\r\n|\n|\r", text), 1):
        if raw[:1] in (" ", "\t") and out:
            out[-1].pieces.append((number, len(out[-1].text)))
            out[-1].text += raw[1:]
        elif raw.strip():
            out.append(_ContentLine(number, raw, [(number, 0)]))
    return out


@dataclass
class _EventSource:
    """Where one VEVENT is in the file: its BEGIN line and its own properties' lines."""

    begin: _ContentLine
    props: dict[str, list[_ContentLine]] = field(default_factory=dict)

    def at(self, name: str, param: str | None = None) -> tuple[int, int]:
        lines = self.props.get(name)
        if not lines:
            return self.begin.position()
        if param is not None:
            offset = lines[0].text.upper().find(f";{param}=")
            if offset >= 0:
                return lines[0].position(offset + 1)
        return lines[0].position()


# ---------------------------------------------------------------- reading a calendar

class CalendarError(DrillbitError):
    """A calendar with nothing to import, or a range that ends before it starts."""


def read_calendar_text(path: str | Path) -> str:
    """The text of an .ics file (a regular file of at most yamlsource's MAX_BYTES).
    Raises InputError for a file that cannot be read or is not UTF-8 text."""
    name = str(path)
    try:
        raw = read_regular_file(Path(path), name, "iCalendar")
    except OSError as exc:
        raise InputError([Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = line_col(raw[:exc.start])
        raise InputError([Problem(name, line, col, "", "expected UTF-8 text (RFC 5545 calendars are UTF-8), "
                                                       f"found the byte 0x{raw[exc.start]:02X}")]) from None


def _structure(text: str, name: str) -> tuple[list[_ContentLine], list[_EventSource], list[Problem]]:
    """Index the content lines and check BEGIN/END nesting; no icalendar yet."""
    lines = _content_lines(text)
    problems: list[Problem] = []
    if not lines or lines[0].text.strip().upper() != "BEGIN:VCALENDAR":
        found = repr(lines[0].text[:40]) if lines else "an empty file"
        return lines, [], [Problem(name, lines[0].line if lines else 1, 1, "",
                                   f"expected an iCalendar file starting with BEGIN:VCALENDAR, found {found}")]
    stack: list[tuple[str, _ContentLine]] = []
    events: list[_EventSource] = []
    current: _EventSource | None = None
    for cl in lines:
        if cl.name in ("BEGIN", "END"):
            kind = cl.value().strip().upper()
            if cl.name == "BEGIN":
                stack.append((kind, cl))
                if kind == "VEVENT" and len(stack) == 2:
                    current = _EventSource(cl)
                    events.append(current)
                continue
            if not stack or stack[-1][0] != kind:
                open_ = f"BEGIN:{stack[-1][0]} of line {stack[-1][1].line}" if stack else "no open component"
                problems.append(Problem(name, *cl.position(), "", f"expected END of {open_}, found END:{kind}"))
                return lines, events, problems
            stack.pop()
            if kind == "VEVENT" and len(stack) == 1:
                current = None
        elif current is not None and len(stack) == 2:
            current.props.setdefault(cl.name, []).append(cl)
    if stack:
        kind, cl = stack[-1]
        problems.append(Problem(name, *cl.position(), "", f"expected END:{kind} for this BEGIN:{kind}, found the end of the file"))
    return lines, events, problems


def _bad_line(lines: list[_ContentLine], name: str) -> list[Problem]:
    """The content lines icalendar refuses, each parsed alone inside its components."""
    problems: list[Problem] = []
    stack: list[str] = []
    for cl in lines:
        if cl.name == "BEGIN":
            stack.append(cl.value().strip().upper())
            continue
        if cl.name == "END":
            if stack:
                stack.pop()
            continue
        probe = "".join(f"BEGIN:{k}\r\n" for k in stack) + cl.text + "\r\n" + "".join(f"END:{k}\r\n" for k in reversed(stack))
        try:
            icalendar.Calendar.from_ical(probe)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            problems.append(Problem(name, *cl.position(), cl.name, f"cannot read this line: {str(exc).strip() or type(exc).__name__}"))
    return problems


@dataclass(frozen=True)
class ParsedCalendar:
    """A calendar read with icalendar, with the source positions of its VEVENTs."""

    name: str
    calendar: icalendar.Calendar
    events: tuple[_EventSource, ...]


def parse_calendar(text: str, name: str) -> ParsedCalendar:
    """Parse iCalendar text and check what an on-call import needs: every VEVENT has
    a DTSTART, every TZID names a VTIMEZONE of the file or an IANA zone, every RRULE
    and date reads. Raises InputError with every problem, each at FILE:LINE:COL."""
    lines, sources, problems = _structure(text, name)
    if problems:
        raise InputError(problems)
    try:
        cal = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputError(_bad_line(lines, name) or [Problem(name, 1, 1, "", f"cannot read the calendar: {exc}")]) from None
    events = [c for c in cal.subcomponents if c.name == "VEVENT"]
    for event, src in zip(events, sources):
        problems += _event_problems(event, src, name)
    if problems:
        raise InputError(problems)
    return ParsedCalendar(name, cal, tuple(sources))


def _uid(event: Any) -> str:
    return str(event.get("UID", "(no UID)"))


def _event_problems(event: Any, src: _EventSource, name: str) -> list[Problem]:
    uid = _uid(event)
    out = []
    errors = list(getattr(event, "errors", []))
    for prop, message in errors:
        if prop is None:  # a line icalendar could not split into name, parameters and value
            where = next((cl for lines in src.props.values() for cl in lines if cl.text in str(message)), src.begin)
            out.append(Problem(name, *where.position(), "", f"event {uid}: expected a content line NAME:VALUE, "
                                                            f"got {where.text[:60]!r}"))
            continue
        expected = {"RRULE": "a recurrence rule such as FREQ=WEEKLY;BYDAY=MO;COUNT=4"}.get(prop, f"a valid {prop}")
        out.append(Problem(name, *src.at(prop), prop, f"event {uid}: expected {expected}, got {_source_value(src, prop)!r} "
                                                      f"({message})"))
    broken = {prop for prop, _ in errors}
    if "DTSTART" not in event:
        out.append(Problem(name, *src.begin.position(), "DTSTART",
                           f"event {uid}: expected a DTSTART (when the shift begins), found none"))
    for prop in _TIMED:
        if prop in broken:
            continue
        for value in _values(event.get(prop)):
            params = getattr(value, "params", {}) or {}
            tzid = params.get("TZID")
            moments = [d.dt for d in value.dts] if hasattr(value, "dts") else [getattr(value, "dt", None)]
            if tzid and any(isinstance(m, datetime) and m.tzinfo is None for m in moments):
                out.append(Problem(name, *src.at(prop, "TZID"), prop,
                                   f"event {uid}: unknown time zone TZID={tzid}: expected a VTIMEZONE with that TZID in "
                                   "the file, or an IANA name such as Europe/Berlin"))
                break
    out += _time_problems(event, src, name, broken)
    return out


def _time_problems(event: Any, src: _EventSource, name: str, broken: set[str]) -> list[Problem]:
    """An event's times that cannot make shifts: outside :data:`YEARS`, ending before
    they start, or recurring more often than a turn can be long."""
    uid = _uid(event)
    out = []
    for prop in ("DTSTART", "DTEND"):
        value = None if prop in broken else getattr(event.get(prop), "dt", None)
        if isinstance(value, date) and not YEARS[0] <= value.year <= YEARS[1]:
            out.append(Problem(name, *src.at(prop), prop, f"expected a time in the years {YEARS[0]} to {YEARS[1]}, "
                                                          f"got {_source_value(src, prop)!r} (event {uid})"))
    if out or broken & {"DTSTART", "DTEND", "DURATION"} or "DTSTART" not in event:
        return out
    begin = _instant(event["DTSTART"].dt, UTC)
    for prop in ("DTEND", "DURATION"):
        value = getattr(event.get(prop), "dt", None)
        if value is None:
            continue
        finish = begin + value if isinstance(value, timedelta) else _instant(value, UTC)
        if finish < begin:
            out.append(Problem(name, *src.at(prop), prop, f"expected a time after DTSTART {_source_value(src, 'DTSTART')}"
                                                          f", got {prop}:{_source_value(src, prop)} (event {uid})"))
    if "RRULE" not in broken:
        for line, rule in zip(src.props.get("RRULE", []), _values(event.get("RRULE"))):
            freq = str(rule.get("FREQ", [""])[0]).upper()
            if freq in _TOO_FINE:
                at = line.text.upper().find("FREQ=", line.text.find(":"))
                out.append(Problem(name, *line.position(max(at, 0)), "RRULE",
                                   f"expected FREQ=HOURLY or longer (a turn lasts at least {format_duration(MIN_TURN)}), "
                                   f"got FREQ={freq} (event {uid})"))
    return out


def _source_value(src: _EventSource, prop: str) -> str:
    lines = src.props.get(prop)
    return lines[0].value() if lines else ""


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# ---------------------------------------------------------------- categories

def _categories(event: Any) -> tuple[str, ...]:
    """The event's CATEGORIES (every CATEGORIES line), as written; read without
    icalendar's ``categories`` property, which adds an empty one to an event that has none."""
    return tuple(str(c).strip() for line in _values(event.get("CATEGORIES")) for c in getattr(line, "cats", [])
                 if str(c).strip())


def _event_categories(parsed: ParsedCalendar) -> list[tuple[str, ...]]:
    """Each VEVENT's categories in file order; a moved occurrence (RECURRENCE-ID) without
    its own is in those of the event it moves, so filtering keeps the two together."""
    events = [c for c in parsed.calendar.subcomponents if c.name == "VEVENT"]
    own = [_categories(e) for e in events]
    masters = {_uid(e): cats for e, cats in zip(events, own) if "RECURRENCE-ID" not in e}
    return [cats or (masters.get(_uid(e), ()) if "RECURRENCE-ID" in e else ()) for e, cats in zip(events, own)]


def _select(parsed: ParsedCalendar, keep: list[bool]) -> ParsedCalendar:
    """The calendar with only the VEVENTs whose ``keep`` is true (its other components kept)."""
    cal = icalendar.Calendar()
    cal.update(parsed.calendar)  # its own properties (X-WR-TIMEZONE, X-WR-CALNAME)
    flags = iter(keep)
    for component in parsed.calendar.subcomponents:
        if component.name != "VEVENT" or next(flags):
            cal.add_component(component)
    sources = tuple(src for src, kept in zip(parsed.events, keep) if kept)
    return ParsedCalendar(parsed.name, cal, sources)


@dataclass(frozen=True)
class CategoryChoice:
    """Which events of a calendar whose events carry CATEGORIES were read as the rotation.

    Counts are shifts within the imported range."""

    category: str
    matched: bool  # some event is in ``category``: only those were read; else every event was
    kept: int
    total: int
    uncategorized: int  # shifts of events without CATEGORIES: left out when ``matched``, else read
    found: tuple[str, ...]  # the calendar's categories, in the order of the file


def _in_category(parsed: ParsedCalendar, category: str, explicit: bool) -> tuple[ParsedCalendar, bool, tuple[str, ...]]:
    """The events of ``category`` (compared without regard to case), whether there are any,
    and the calendar's categories; every event when none is in it. Raises CalendarError when
    ``explicit`` (the user named the category) and no event is in it."""
    cats = _event_categories(parsed)
    found = tuple(dict.fromkeys(c for cs in cats for c in cs))
    wanted = category.casefold()
    keep = [any(c.casefold() == wanted for c in cs) for cs in cats]
    if any(keep):
        return _select(parsed, keep), True, found
    if explicit:
        listed = f"its categories are {', '.join(found)}" if found else "its events have no CATEGORIES"
        raise CalendarError(f"no event of {parsed.name} is in category {category!r}; {listed}")
    return parsed, False, found


# ---------------------------------------------------------------- shifts from a calendar

@dataclass(frozen=True)
class Shift:
    """One expanded occurrence: someone on call from ``start`` to ``end`` (UTC)."""

    start: datetime
    end: datetime
    who: str  # what the calendar calls the person (an email, a name, a summary)
    member: str | None  # the team member, None if unmapped
    summary: str
    uid: str
    line: int
    col: int
    order: tuple[int, int]  # position in the file (then among the event's attendees), for ties in overlaps


@dataclass(frozen=True)
class Span:
    """An interval in which the calendar's answer does not change."""

    start: datetime
    end: datetime
    shifts: tuple[Shift, ...]  # every shift covering it; the last one wins

    @property
    def winner(self) -> Shift | None:
        return self.shifts[-1] if self.shifts else None

    @property
    def member(self) -> str | None:
        """Who the calendar puts on call here (None: nobody, or only unmapped people)."""
        return self.winner.member if self.winner else None


class People:
    """Who a VEVENT names, matched to the team: explicit ``--map`` entries first,
    then a member id or name equal to an attendee's name or the summary, then the
    one member whose id or name is a whole word of the summary."""

    def __init__(self, team: Team, mapping: Mapping[str, str]):
        self.team = team
        self.mapping = {k.strip().casefold(): v for k, v in mapping.items()}
        self.used: set[str] = set()
        self._exact = {}
        for m in team.members:
            self._exact[m.id.casefold()] = m.id
            self._exact[m.name.casefold()] = m.id
        self._words = [(re.compile(rf"(?<!\w){re.escape(key)}(?!\w)"), member) for key, member in self._exact.items()]

    def identify(self, event: Any) -> list[tuple[str, str | None]]:
        """Each person the event puts on call: (how the calendar names them, member id
        or None). An event with several attendees names each; otherwise the attendee
        (or organizer) and the summary name one person together."""
        summary = str(event.get("SUMMARY", "")).strip()
        attendees = _values(event.get("ATTENDEE"))
        if len(attendees) > 1:
            return [self._match([p], "") for p in attendees]
        return [self._match(attendees or _values(event.get("ORGANIZER")), summary)]

    def _match(self, people: list[Any], summary: str) -> tuple[str, str | None]:
        emails, names = [], []
        for p in people:
            address = str(p)
            if address.lower().startswith("mailto:"):
                emails.append(address[7:].strip())
            cn = (getattr(p, "params", {}) or {}).get("CN")
            if cn:
                names.append(str(cn).strip())
        texts = names + ([summary] if summary else [])
        keys = emails + texts
        who = keys[0] if keys else "(nobody named)"
        for key in keys:
            if key.casefold() in self.mapping:
                self.used.add(key.casefold())
                return key, self.mapping[key.casefold()]
        for key in texts:
            if key.casefold() in self._exact:
                return key, self._exact[key.casefold()]
        for key in texts:
            # "Noah Schreiber (covering Jonas)" is Noah: the longest name or id found wins, a tie is no answer
            found: dict[str, int] = {}
            for pattern, member in self._words:
                if pattern.search(key.casefold()):
                    found[member] = max(found.get(member, 0), len(pattern.pattern))
            best = sorted(found.items(), key=lambda kv: -kv[1])
            if best and (len(best) == 1 or best[0][1] > best[1][1]):
                return key, best[0][0]
        return who, None


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)
    return datetime.combine(value, time(), tz).astimezone(UTC)


def _calendar_zone(parsed: ParsedCalendar, default: str) -> ZoneInfo:
    """The zone of floating times and all-day events: X-WR-TIMEZONE if it is an IANA name, else ``default``."""
    name = str(parsed.calendar.get("X-WR-TIMEZONE", "")).strip()
    try:
        return zone(name) if name else zone(default)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # not an IANA name: the team's zone is the better guess
        return zone(default)


def _occurrences_past_cap(parsed: ParsedCalendar, start: datetime, end: datetime) -> list[Problem]:
    """The recurring events with more than MAX_OCCURRENCES occurrences starting in
    [start, end), counted lazily (the expansion would hold them all), each at its RRULE."""
    problems = []
    events = [c for c in parsed.calendar.subcomponents if c.name == "VEVENT"]
    for event, src in zip(events, parsed.events):
        first = event["DTSTART"].dt
        if "RRULE" not in event or not isinstance(first, date):
            continue
        first = first if isinstance(first, datetime) else datetime.combine(first, time())
        lo, hi = (start, end) if first.tzinfo else (start.astimezone(UTC).replace(tzinfo=None),
                                                     end.astimezone(UTC).replace(tzinfo=None))
        count = 0
        for rule in _values(event["RRULE"]):
            try:
                starts = rrulestr(rule.to_ical().decode(), dtstart=first).xafter(lo, inc=True)
            except (ValueError, TypeError):  # the expansion words this one, below
                continue
            count += sum(1 for _ in itertools.islice(itertools.takewhile(lambda t: t < hi, starts), MAX_OCCURRENCES + 1))
        if count > MAX_OCCURRENCES:
            problems.append(Problem(parsed.name, *src.at("RRULE"), "RRULE",
                                    f"expected at most {MAX_OCCURRENCES} occurrences from {start.isoformat()} to "
                                    f"{end.isoformat()}, found more in {_source_value(src, 'RRULE')!r} (event "
                                    f"{_uid(event)}); read a shorter range (--from, --to) or end the rule sooner (COUNT, UNTIL)"))
    return problems


def _expand(parsed: ParsedCalendar, start: datetime, end: datetime) -> list[Any]:
    """Occurrences in [start, end); a rule the expansion refuses is positioned at its RRULE,
    and so is one with more than MAX_OCCURRENCES occurrences there."""
    too_many = _occurrences_past_cap(parsed, start, end)
    if too_many:
        raise InputError(too_many)
    try:
        return list(recurring_ical_events.of(parsed.calendar).between(start, end))
    except Exception:  # noqa: BLE001 - find which event the library refused, below
        pass
    problems = []
    events = [c for c in parsed.calendar.subcomponents if c.name == "VEVENT"]
    for event, src in zip(events, parsed.events):
        alone = icalendar.Calendar()
        for tz in parsed.calendar.walk("VTIMEZONE"):
            alone.add_component(tz)
        alone.add_component(event)
        try:
            list(recurring_ical_events.of(alone).between(start, end))
        except Exception as exc:  # noqa: BLE001 - the library's errors have no common base
            prop = "RRULE" if "RRULE" in event else "DTSTART"
            problems.append(Problem(parsed.name, *src.at(prop), prop,
                                    f"event {_uid(event)}: expected a recurrence that can be expanded, got "
                                    f"{_source_value(src, prop)!r} ({exc})"))
    raise InputError(problems or [Problem(parsed.name, 1, 1, "", "the calendar's recurrences cannot be expanded")])


def calendar_shifts(parsed: ParsedCalendar, people: People, start: datetime, end: datetime,
                    default_tz: str) -> tuple[list[Shift], list[Problem]]:
    """Every shift that overlaps [start, end), expanded and matched to members, with
    notes on events that put nobody on call (no end, no duration). Raises InputError."""
    tz = _calendar_zone(parsed, default_tz)
    sources: dict[tuple[str, str | None], tuple[int, _EventSource]] = {}
    events = [c for c in parsed.calendar.subcomponents if c.name == "VEVENT"]
    for order, (event, src) in enumerate(zip(events, parsed.events)):
        rid = event.get("RECURRENCE-ID")
        sources[(_uid(event), _instant(rid.dt, tz).isoformat() if rid else None)] = (order, src)
    shifts, notes = [], []
    # recurring-ical-events can leave out an occurrence that ends just after ``start`` when a
    # clock change lies inside it and the query's zone is another: ask for more, keep what overlaps
    for occ in _expand(parsed, start - EXPANSION_MARGIN, end + EXPANSION_MARGIN):
        if str(occ.get("STATUS", "")).upper() == "CANCELLED":  # RFC 5545 3.8.1.11: the shift is called off
            continue
        rid = occ.get("RECURRENCE-ID")
        key = (_uid(occ), _instant(rid.dt, tz).isoformat() if rid else None)
        order, src = sources.get(key) or sources.get((key[0], None)) or (len(events), parsed.events[0])
        begin = _instant(occ["DTSTART"].dt, tz)
        finish = _instant(occ["DTEND"].dt, tz) if "DTEND" in occ else begin
        if begin >= end or (finish <= start and begin < start):  # in the margin only
            continue
        if finish <= begin:
            notes.append(Problem(parsed.name, *src.at("DTSTART"), "DTEND",
                                 f"event {_uid(occ)} at {begin.isoformat()} has no length (no DTEND or DURATION after "
                                 "its DTSTART); it puts nobody on call"))
            continue
        named = people.identify(occ)
        for rank, (who, member) in enumerate(named):
            # of several attendees the first is on call where they overlap: a later order wins
            shifts.append(Shift(begin, finish, who, member, str(occ.get("SUMMARY", "")), _uid(occ),
                                *src.at("DTSTART"), (order, len(named) - rank)))
    shifts.sort(key=lambda s: (s.start, s.order))
    return shifts, sorted(set(notes))


def spans(shifts: Iterable[Shift], start: datetime, end: datetime) -> list[Span]:
    """[start, end) cut where the calendar's answer changes; in an overlap the shift
    that began last (then the later in the file) wins, as an override on top of a
    regular shift does."""
    shifts = list(shifts)
    cuts = sorted({start, end} | {t for s in shifts for t in (s.start, s.end) if start < t < end})
    out: list[Span] = []
    for a, b in zip(cuts, cuts[1:]):
        covering = tuple(sorted((s for s in shifts if s.start <= a and s.end >= b), key=lambda s: (s.start, s.order)))
        if out and out[-1].end == a and out[-1].shifts == covering:
            out[-1] = Span(out[-1].start, b, covering)
        else:
            out.append(Span(a, b, covering))
    return out


# ---------------------------------------------------------------- spans to a rotation

def _wall(at: datetime, tz: ZoneInfo) -> datetime:
    return at.astimezone(tz).replace(tzinfo=None)


def _turn_layers(parsed: ParsedCalendar, people: People, default_tz: str) -> tuple[list[Layer], list[str]]:
    """Layers for recurring events that take turns: n events repeating every n turns,
    each lasting one turn and starting one turn after the previous (a weekly rotation
    of three people written as three events with RRULE:FREQ=WEEKLY;INTERVAL=3).
    Also the notes to show with them (a recurrence ends, the layer does not)."""
    tz_default = _calendar_zone(parsed, default_tz)
    groups: dict[tuple[float, float, str], list[tuple[datetime, str, Any]]] = {}
    for event in parsed.calendar.walk("VEVENT"):
        rule = event.get("RRULE")
        if rule is None or "RECURRENCE-ID" in event or "RDATE" in event or "DTEND" not in event:
            continue
        if set(rule) - _LAYER_RULE_PARTS or rule.get("FREQ", [None])[0] not in ("WEEKLY", "DAILY"):
            continue
        begin, finish = event["DTSTART"].dt, event["DTEND"].dt
        if not isinstance(begin, datetime):
            begin, finish = datetime.combine(begin, time()), datetime.combine(finish, time())
        tz = begin.tzinfo or tz_default
        if not isinstance(tz, ZoneInfo) or _layer_zone(tz.key) is None:
            continue  # a VTIMEZONE of the file's own, or EST5EDT: a layer needs an IANA place name
        begin = begin.replace(tzinfo=tz)
        finish = finish.replace(tzinfo=finish.tzinfo or tz)
        days = rule.get("BYDAY")
        if days and (rule["FREQ"][0] != "WEEKLY" or [str(d) for d in days] != [_DAY_CODES[begin.weekday()]]):
            continue
        period = (7 if rule["FREQ"][0] == "WEEKLY" else 1) * 86400.0 * int(rule.get("INTERVAL", [1])[0])
        turn = (_wall(finish, tz) - _wall(begin, tz)).total_seconds()
        named = people.identify(event)
        member = named[0][1] if len(named) == 1 else None
        if member is None or turn < MIN_TURN or period % turn:
            continue
        groups.setdefault((period, turn, tz.key), []).append((begin, member, rule))
    layers, notes = [], []
    for (period, turn, key), found in groups.items():
        found.sort(key=lambda f: f[0])
        first = _wall(found[0][0], zone(key))
        regular = len(found) == round(period / turn) and all(
            _wall(b, zone(key)) == first + timedelta(seconds=i * turn) for i, (b, _, _) in enumerate(found))
        if not regular:
            continue
        layers.append(Layer(name="calendar turns", start=found[0][0], turn=turn,
                            members=[m for _, m, _ in found], timezone=key))
        if any("COUNT" in r or "UNTIL" in r for _, _, r in found):
            notes.append(f"the calendar's turns of {format_duration(turn)} ({', '.join(m for _, m, _ in found)}) end "
                         "(COUNT or UNTIL) and the layer does not: check the rotation after the imported range")
    return layers, notes


def _layer_zone(name: str) -> str | None:
    """``name`` if a layer may count its turns in it: an IANA place, not an abbreviation such as EST."""
    if not name or name in ABBREVIATIONS:
        return None
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


def _handoff_zones(parsed: ParsedCalendar, shifts: list[Shift], team: Team) -> list[str]:
    """The zones whose wall clock a calendar's turns may be counted on: the team's, the
    calendar's own (X-WR-TIMEZONE, each DTSTART's TZID), UTC, then those of the members on
    call (an export is written in the team's zone, a rotation may hand over in New York).
    Of zones that answer alike the earlier is kept, so UTC before a zone without summer time."""
    names = [team.timezone, str(parsed.calendar.get("X-WR-TIMEZONE", "")).strip()]
    for event in parsed.calendar.walk("VEVENT"):
        tz = getattr(event["DTSTART"].dt, "tzinfo", None)
        if isinstance(tz, ZoneInfo):
            names.append(tz.key)
    member_zone = {m.id: m.timezone for m in team.members}
    names += ["UTC"] + [member_zone[s.member] for s in shifts if s.member in member_zone]
    return [n for n in dict.fromkeys(names) if _layer_zone(n)]


def _repeating_layer(cut: list[Span], shifts: list[Shift], tz_name: str, start: datetime,
                     end: datetime) -> Layer | None:
    """A layer for shifts listed one by one (a PagerDuty feed) that take turns: the most
    common shift length on the wall clock of ``tz_name`` is the turn, the earliest such
    shift fixes the handoff time, and the smallest cycle of members that holds for
    three slots in four, repeating at least twice, is the order. None if there is none;
    the caller checks that it answers as the calendar does."""
    tz = zone(tz_name)
    whole = [s for s in shifts if s.member and start <= s.start and s.end <= end]
    lengths = Counter(round((_wall(s.end, tz) - _wall(s.start, tz)).total_seconds()) for s in whole)
    if not lengths:
        return None
    turn, count = lengths.most_common(1)[0]
    if turn < MIN_TURN or count < 2:
        return None
    anchor = _wall(min(s.start for s in whole if round((_wall(s.end, tz) - _wall(s.start, tz)).total_seconds()) == turn), tz)
    first = anchor - timedelta(seconds=math.ceil((anchor - _wall(start, tz)).total_seconds() / turn) * turn)
    slots: list[str | None] = []
    while (a := (first + timedelta(seconds=len(slots) * turn)).replace(tzinfo=tz)) < end:
        b = (first + timedelta(seconds=(len(slots) + 1) * turn)).replace(tzinfo=tz)
        slots.append(_holder(cut, max(a, start), min(b, end)))
    distinct = {m for m in slots if m}
    for n in range(1, min(2 * len(distinct), len(slots) // 2) + 1):
        members = [Counter(m for m in slots[j::n] if m).most_common(1) for j in range(n)]
        if not all(members):
            continue
        order = [m[0][0] for m in members]
        if sum(m == order[k % n] for k, m in enumerate(slots)) >= 0.75 * len(slots):
            return Layer(name="calendar turns", start=first.replace(tzinfo=tz), turn=float(turn), members=order,
                         timezone=tz_name)
    return None


def _from_next_handoff(layer: Layer) -> Layer:
    """``layer`` starting one turn later, with the same members on call from then: the
    layer of :func:`_repeating_layer` starts at or before the range, where the calendar
    may have nobody, and a layer that applies there could not answer as it does."""
    tz = zone(layer.timezone or "UTC")
    later = (_wall(layer.start, tz) + timedelta(seconds=layer.turn)).replace(tzinfo=tz)
    return layer.model_copy(update={"start": later, "members": layer.members[1:] + layer.members[:1]})


def _holder(cut: list[Span], a: datetime, b: datetime) -> str | None:
    """The member on call for more than half of [a, b), if anyone is."""
    held: Counter[str] = Counter()
    for span in cut[max(0, bisect.bisect_right([s.start for s in cut], a) - 1):]:
        if span.start >= b:
            break
        if span.member:
            held[span.member] += (min(span.end, b) - max(span.start, a)).total_seconds()
    best = held.most_common(1)
    return best[0][0] if best and best[0][1] * 2 > (b - a).total_seconds() else None


def _overrides(base: Rotation, spans_: list[Span], tz: str) -> list[Override] | None:
    """Overrides that make ``base`` answer as the spans do; None where the calendar
    has nobody but ``base`` has someone (an override cannot make a gap)."""
    out: list[Override] = []
    for span in spans_:
        cuts = base.changes(span.start, span.end, tz) if base.layers else [span.start]
        for a, b in zip(cuts, cuts[1:] + [span.end]):
            if base.on_call(a, tz) == span.member:
                continue
            if span.member is None:
                return None
            reason = span.winner.summary[:200] if span.winner and span.winner.summary else None
            if out and out[-1].member == span.member and out[-1].to == a:
                out[-1] = Override.model_validate({"member": span.member, "from": out[-1].from_, "to": b,
                                                   "reason": out[-1].reason})
            else:
                out.append(Override.model_validate({"member": span.member, "from": a, "to": b, "reason": reason}))
    return out


def _first_difference(rotation: Rotation, spans_: list[Span], tz: str) -> tuple[datetime, str | None] | None:
    """The first instant of the spans where ``rotation`` answers otherwise than the
    calendar, with the calendar's answer there; None where they agree throughout."""
    starts = [s.start for s in spans_]
    for at in sorted(set(rotation.changes(spans_[0].start, spans_[-1].end, tz)) | set(starts)):
        span = spans_[bisect.bisect_right(starts, at) - 1]
        if rotation.on_call(at, tz) != span.member:
            return at, span.member
    return None


def _after_the_range(parsed: ParsedCalendar, people: People, rotation: Rotation, end: datetime, tz: str) -> str | None:
    """A note when the layers, which never end, put someone else on call than the
    calendar does in the :data:`ENDLESS_HORIZON` after the imported range."""
    later = end + ENDLESS_HORIZON
    shifts, _ = calendar_shifts(parsed, people, end, later, tz)
    found = _first_difference(rotation, spans(shifts, end, later), tz)
    if found is None:
        return None
    at, member = found
    when = at.astimezone(zone(tz)).isoformat(timespec="minutes")
    return (f"after the imported range the layers go on and the calendar differs: from {when} "
            f"the calendar has {member or 'nobody'} on call, the rotation {rotation.on_call(at, tz) or 'nobody'}; "
            "import a longer range (--to) or check the rotation there")


def _nowhere(start: datetime, member: str) -> Layer:
    """The layer of a rotation made of overrides alone (a rotation needs a layer): its
    empty list of windows makes it apply at no time."""
    return Layer(name=NOWHERE, start=start, turn=7 * 86400.0, members=[member], only=[])


@dataclass(frozen=True)
class Gap:
    """An interval in the range where the rotation has nobody, and why."""

    start: datetime
    end: datetime
    unmapped: tuple[str, ...]  # the calendar's people there that no member matched


@dataclass(frozen=True)
class Overlap:
    """An interval where the calendar puts several people on call at once."""

    start: datetime
    end: datetime
    people: tuple[str, ...]
    chosen: str | None


@dataclass(frozen=True)
class Unmapped:
    """Someone the calendar names whom no team member matches."""

    who: str
    shifts: int
    hours: float
    line: int
    col: int


@dataclass(frozen=True)
class CalendarImport:
    """A calendar read as a rotation over [start, end), and what a person should check."""

    rotation: Rotation
    layered: bool
    start: datetime
    end: datetime
    shifts: tuple[Shift, ...]
    spans: tuple[Span, ...]
    gaps: tuple[Gap, ...]
    overlaps: tuple[Overlap, ...]
    unmapped: tuple[Unmapped, ...]
    notes: tuple[str, ...]
    positioned_notes: tuple[Problem, ...]
    category: CategoryChoice | None = None  # None: no category asked for, or the calendar has no CATEGORIES


def import_calendar(parsed: ParsedCalendar, team: Team, people: People, start: datetime | None = None,
                    end: datetime | None = None, category: str | None = None, explicit: bool = False) -> CalendarImport:
    """Read a parsed calendar as a rotation of ``team``'s members over [start, end).

    With ``category``, a calendar whose events carry CATEGORIES (several rotations in one
    file) is read for the events in that category alone, when any is in it; otherwise
    every event is read (``explicit``: the user named the category, and CalendarError
    is raised instead).

    Regular turn-taking becomes layers where layers and overrides together answer
    exactly as the calendar does at every instant of the range; otherwise the shifts
    become overrides. Without ``start``/``end``: from the first shift to the last one's
    end (an endless RRULE is read for :data:`ENDLESS_HORIZON`). Raises InputError."""
    whole, found, matched = parsed, (), False
    if category is not None:
        parsed, matched, found = _in_category(parsed, category, explicit)
    start, end = _default_range(parsed, team.timezone, start, end)
    shifts, positioned = calendar_shifts(parsed, people, start, end, team.timezone)
    choice = None
    if found:
        def count(cal: ParsedCalendar) -> int:  # a People of its own: shifts left out do not use up a --map
            return len(calendar_shifts(cal, People(team, people.mapping), start, end, team.timezone)[0])

        bare = _select(whole, [not cs for cs in _event_categories(whole)])
        choice = CategoryChoice(category or "", matched, len(shifts), count(whole) if matched else len(shifts),
                                count(bare) if bare.events else 0, found)
    cut = spans(shifts, start, end)
    candidates = [_turn_layers(parsed, people, team.timezone)]
    for tz_name in _handoff_zones(parsed, shifts, team):
        found = _repeating_layer(cut, shifts, tz_name, start, end)
        candidates += [([layer], []) for layer in ([found, _from_next_handoff(found)] if found else [])]
    rotation, layered, notes = None, False, []
    for layers, layer_notes in candidates:  # of the faithful ones, the one that needs the fewest overrides
        if not layers:
            continue
        overrides = _overrides(Rotation(layers=layers), cut, team.timezone)
        if overrides is None or (rotation is not None and len(overrides) >= len(rotation.overrides)):
            continue
        candidate = Rotation(layers=layers, overrides=overrides)
        if _first_difference(candidate, cut, team.timezone) is None:
            rotation, layered, notes = candidate, True, layer_notes
    if rotation is not None:
        later = _after_the_range(parsed, people, rotation, end, team.timezone)
        notes = notes + ([later] if later else [])
    else:
        first = next((s.member for s in shifts if s.member), team.members[0].id)
        overrides = _overrides(Rotation(layers=[_nowhere(start, first)]), cut, team.timezone) or []
        rotation = Rotation(layers=[_nowhere(start, first)], overrides=overrides)
    description = f"Imported from {Path(parsed.name).name}"
    calname = str(parsed.calendar.get("X-WR-CALNAME", "")).strip()
    if calname:
        description += f" ({calname})"
    if not layered:
        description += ("; its shifts as overrides, and a layer 'nowhere' that applies at no time "
                        "(a rotation needs a layer)")
    rotation = rotation.model_copy(update={"description": description})
    return CalendarImport(rotation, layered, start, end, tuple(shifts), tuple(cut), _gaps(cut), _overlaps(cut),
                          _unmapped(shifts), tuple(notes), tuple(positioned), choice)


def _default_range(parsed: ParsedCalendar, tz_name: str, start: datetime | None,
                   end: datetime | None) -> tuple[datetime, datetime]:
    if start is not None and end is not None:
        if end <= start:
            raise CalendarError(f"expected --to after --from, got {start.isoformat()} to {end.isoformat()}")
        return start.astimezone(UTC), end.astimezone(UTC)
    tz = _calendar_zone(parsed, tz_name)
    events = list(parsed.calendar.walk("VEVENT"))
    if not events:
        raise CalendarError(f"{parsed.name} holds no events; nothing to import")
    begin = start.astimezone(UTC) if start else min(_instant(e["DTSTART"].dt, tz) for e in events)
    if end is None:
        endless = any("RRULE" in e and not ({"COUNT", "UNTIL"} & set(e["RRULE"])) for e in events)
        if endless:
            end = begin + ENDLESS_HORIZON
        else:
            found = _expand(parsed, begin, begin + timedelta(days=3 * 366))
            end = max((_instant(o["DTEND"].dt if "DTEND" in o else o["DTSTART"].dt, tz) for o in found),
                      default=begin + timedelta(days=1))
    if end <= begin:
        raise CalendarError(f"expected the range to end after {begin.isoformat()}, got {end.isoformat()}")
    return begin, end.astimezone(UTC)


def _gaps(cut: list[Span]) -> tuple[Gap, ...]:
    out: list[Gap] = []
    for s in cut:
        if s.member is not None:
            continue
        unmapped = tuple(sorted({x.who for x in s.shifts if x.member is None}))
        if out and out[-1].end == s.start:
            out[-1] = Gap(out[-1].start, s.end, tuple(sorted(set(out[-1].unmapped) | set(unmapped))))
        else:
            out.append(Gap(s.start, s.end, unmapped))
    return tuple(out)


def _overlaps(cut: list[Span]) -> tuple[Overlap, ...]:
    out = []
    for s in cut:
        people = tuple(dict.fromkeys(x.member or x.who for x in s.shifts))
        if len(people) > 1:
            out.append(Overlap(s.start, s.end, people, s.member))
    return tuple(out)


def _unmapped(shifts: list[Shift]) -> tuple[Unmapped, ...]:
    found: dict[str, list[Shift]] = {}
    for s in shifts:
        if s.member is None:
            found.setdefault(s.who, []).append(s)
    return tuple(Unmapped(who, len(ss), sum((s.end - s.start).total_seconds() for s in ss) / 3600, ss[0].line, ss[0].col)
                 for who, ss in found.items())


def rotation_document(rotation: Rotation, tz: str = "UTC") -> dict[str, Any]:
    """A rotation as it is written in a team file: durations as ``1w``, instants in
    ISO 8601 at their offset in zone ``tz`` (a layer's start in the layer's zone)."""
    def iso(at: datetime, name: str | None = None) -> str:
        return at.astimezone(zone(name or tz)).isoformat()

    doc: dict[str, Any] = {}
    if rotation.description:
        doc["description"] = rotation.description
    doc["layers"] = []
    for layer in rotation.layers:
        item: dict[str, Any] = {"name": layer.name} if layer.name else {}
        item.update(start=iso(layer.start, layer.timezone), turn=format_duration(layer.turn), members=list(layer.members))
        if layer.only is not None:
            item["only"] = [str(w) for w in layer.only]
        if layer.timezone:
            item["timezone"] = layer.timezone
        doc["layers"].append(item)
    doc["overrides"] = [{"member": o.member, "from": iso(o.from_), "to": iso(o.to),
                         **({"reason": o.reason} if o.reason else {})} for o in rotation.overrides]
    return doc


def rotations_yaml(name: str, rotation: Rotation, tz: str = "UTC") -> str:
    """``rotations: {name: ...}`` as YAML to paste into a team file (see :func:`rotation_document`),
    with a comment on the layer that applies at no time, saying why it is there."""
    text = yaml.safe_dump({"rotations": {name: rotation_document(rotation, tz)}}, sort_keys=False, allow_unicode=True,
                          width=100)
    return re.sub(rf"^( *)- name: {NOWHERE}$",
                  r"\1# The calendar's shifts are the overrides below. A rotation needs at least one layer;\n"
                  r"\1# this one applies at no time (only: []), so only the overrides put anyone on call.\n"
                  rf"\1- name: {NOWHERE}", text, count=1, flags=re.M)


# ---------------------------------------------------------------- a rotation to a calendar

#: How far before --from an export looks for where its first shift really began (for its UID).
LOOKBACK = timedelta(days=62)


@dataclass(frozen=True)
class OnCallShift:
    """One stretch of a resolved rotation: ``member`` on call from ``start`` to ``end``;
    ``began`` is when the stretch really began when the range cut it (else ``start``)."""

    rotation: str
    member: str
    start: datetime
    end: datetime
    began: datetime

    @property
    def uid(self) -> str:
        """The same shift gets the same UID on every export, whatever the range, so a
        calendar app updates it in place."""
        return f"{self.rotation}-{self.member}-{self.began.astimezone(UTC):%Y%m%dT%H%M%SZ}@drillbit"


def resolved_shifts(team: Team, rotation: str, start: datetime, end: datetime) -> list[OnCallShift]:
    """Who ``rotation`` puts on call over [start, end), as consecutive shifts (a
    stretch with nobody on call is no shift). Raises KeyError for an unknown rotation."""
    rot = team.rotations[rotation]
    earlier = start - LOOKBACK
    cuts = rot.changes(earlier, end, team.timezone)
    out: list[OnCallShift] = []
    for a, b in zip(cuts, cuts[1:] + [end]):
        who = rot.on_call(a, team.timezone)
        if who is None:
            continue
        if out and out[-1].member == who and out[-1].end == a:
            out[-1] = OnCallShift(rotation, who, out[-1].start, b, out[-1].began)
        else:
            out.append(OnCallShift(rotation, who, a, b, a))
    return [OnCallShift(s.rotation, s.member, max(s.start, start), s.end, s.began) for s in out if s.end > start]


def export_calendar(team: Team, shifts: Iterable[OnCallShift], stamp: datetime) -> bytes:
    """A VCALENDAR with one VEVENT per shift, times in the team's zone (TZID with its
    VTIMEZONE), CRLF line ends and lines folded at 75 octets as RFC 5545 asks.
    ``stamp`` is the DTSTAMP of every event (when the export was made)."""
    tz = zone(team.timezone)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//drillbit//on-call export//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{team.team} on call")
    cal.add("x-wr-timezone", team.timezone)
    names = {m.id: m.name for m in team.members}
    shifts = list(shifts)
    for s in shifts:
        event = icalendar.Event()
        event.add("uid", s.uid)
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", s.start.astimezone(tz))
        event.add("dtend", s.end.astimezone(tz))
        name = names.get(s.member, s.member)
        event.add("summary", f"On call: {name} ({s.rotation})")
        event.add("description", f"Team {team.team}, rotation {s.rotation}, member {s.member}.")
        event.add("transp", "TRANSPARENT")
        event.categories = [s.rotation]  # RFC 5545 3.8.1.2: an importer keeps one rotation of several in a file
        cal.add_component(event)
    # The zone's rules for the exported years only, not the 1970-2038 default (hundreds of lines).
    first = min((s.start for s in shifts), default=stamp) - timedelta(days=366)
    last = max((s.end for s in shifts), default=stamp) + timedelta(days=366)
    cal.add_missing_timezones(first_date=first.date(), last_date=last.date())
    return cal.to_ical()
