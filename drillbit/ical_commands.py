"""``drillbit import ical`` and ``drillbit export ical``: on-call calendars (RFC 5545)."""

from __future__ import annotations

import difflib
import re
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import click

from scenarios import Team, load_team
from scenarios.base import ID_PATTERN
from scenarios.common import zone
from scenarios.ical import (YEARS, CalendarImport, CategoryChoice, People, export_calendar, import_calendar,
                            parse_calendar, read_calendar_text, resolved_shifts, rotation_document, rotations_yaml)

from . import output
from .files import check_file_target, write_bytes, write_text
from .params import INSTANT, InstantParam
from .resolve import NotFound
from .workspace import EXAMPLES, find_workspace

DATE_HELP = "a date (midnight in the team's zone) or a time with an offset, e.g. 2026-11-02 or 2026-11-02T09:00:00+01:00"


def _team_path(path: Path | None) -> Path:
    """The team file named, else the workspace's, else the example team's."""
    ws = find_workspace()
    team_path = path or (ws.team if ws else EXAMPLES / "team.yaml")
    if not team_path.is_file():
        raise NotFound(f"no such team file: {team_path}")
    return team_path


def _team(path: Path | None) -> Team:
    """The team named, else the workspace's, else the example team."""
    return load_team(_team_path(path))


def _moment(text: str | None, team: Team, option: str) -> datetime | None:
    """A DATE option: a day starts at midnight in the team's zone."""
    if text is None:
        return None
    try:
        at = datetime.combine(date.fromisoformat(text), time(), zone(team.timezone))
    except ValueError:
        try:
            at = InstantParam().convert(text, None, None)
        except click.BadParameter as exc:
            raise click.BadParameter(f"expected {DATE_HELP}; {exc.message}", param_hint=option) from None
    if not YEARS[0] <= at.year <= YEARS[1]:  # the range arithmetic overflows past them
        raise click.BadParameter(f"expected a date in the years {YEARS[0]} to {YEARS[1]}, got {text}", param_hint=option)
    return at


def _mapping(entries: tuple[str, ...], team: Team) -> dict[str, str]:
    ids = [m.id for m in team.members]
    out = {}
    for entry in entries:
        key, sep, member = entry.rpartition("=")
        if not sep or not key.strip() or not member.strip():
            raise click.BadParameter(f"expected 'NAME OR EMAIL=MEMBER-ID', got {entry!r}", param_hint="--map")
        if member.strip() not in ids:
            guess = difflib.get_close_matches(member.strip(), ids, n=1)
            hint = f"; did you mean '{guess[0]}'?" if guess else f"; the team's members are {', '.join(ids)}"
            raise click.BadParameter(f"{member.strip()!r} is not a member of team {team.team}{hint}", param_hint="--map")
        out[key.strip()] = member.strip()
    return out


def _when(at: datetime, tz: str) -> str:
    return at.astimezone(zone(tz)).isoformat(timespec="minutes")


@click.command(name="ical")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rotation", "rotation_name", required=True, help="Name of the rotation to write.")
@click.option("--team", type=click.Path(dir_okay=False, path_type=Path),
              help="Team file whose members the calendar's people are (default: the workspace's, else the example team).")
@click.option("--map", "maps", multiple=True, metavar="'NAME OR EMAIL=MEMBER-ID'",
              help="The team member a summary, attendee name or email in the calendar is; repeatable.")
@click.option("--from", "from_", metavar="DATE", help=f"Start of the range to read: {DATE_HELP} (default: the first shift).")
@click.option("--to", metavar="DATE", help="End of the range (default: the last shift's end; 13 weeks for an endless recurrence).")
@click.option("--category", metavar="NAME",
              help="Read only the events in this CATEGORIES value (default: the rotation's name, when some event is in it).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the YAML here (default: standard output).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the result as one JSON object (the YAML under \"content\", or written to --out).")
def import_ical(file: Path, rotation_name: str, team: Path | None, maps: tuple[str, ...], from_: str | None,
                to: str | None, category: str | None, out: Path | None, as_json: bool) -> None:
    """Read an on-call calendar (.ics from PagerDuty, Opsgenie, Grafana OnCall) as a rotation of the team.

    Weekly or daily turn-taking becomes layers, anything else overrides; people are
    matched to members by --map, then by member id or name in the attendee or summary.
    A calendar of several rotations (events with CATEGORIES) is read for the events in
    the category named --category, else --rotation.
    Prints `rotations: {NAME: ...}` to paste into the team file, and on stderr who
    could not be matched, the gaps with nobody on call and the overlaps."""
    if not re.match(ID_PATTERN, rotation_name):
        raise click.BadParameter(f"expected lowercase letters, digits, '-', '_' or '.', got {rotation_name!r}",
                                 param_hint="--rotation")
    team_model = _team(team)
    people = People(team_model, _mapping(maps, team_model))
    start, end = _moment(from_, team_model, "--from"), _moment(to, team_model, "--to")
    if out is not None:
        check_file_target(out, "rotation file")
    parsed = parse_calendar(read_calendar_text(file), str(file))
    result = import_calendar(parsed, team_model, people, start, end, category=category or rotation_name,
                             explicit=category is not None)
    text = rotations_yaml(rotation_name, result.rotation, team_model.timezone)
    if out is not None:
        write_text(out, text, "rotation file")
    if as_json:
        output.emit_json({**_import_json(rotation_name, str(file), result, people, team_model.timezone),
                          "out": None if out is None else str(out), "content": text if out is None else None})
    elif out is None:
        sys.stdout.write(text)
    _report(str(file), rotation_name, result, team_model.timezone, people, out)


def _report(file: str, name: str, result: CalendarImport, tz: str, people: People, out: Path | None) -> None:
    err = output.err
    rot = result.rotation
    err.print(f"read {file}: {len(result.shifts)} shifts from {_when(result.start, tz)} to {_when(result.end, tz)}",
              markup=False)
    if result.category is not None:
        for line in _category_lines(result.category):
            err.print(line, markup=False)
    if result.layered:
        layers = "; ".join(f"{l.name}: {', '.join(l.members)}" for l in rot.layers)
        err.print(f"rotation {name}: {len(rot.layers)} layer{'s' * (len(rot.layers) != 1)} ({layers}) and "
                  f"{len(rot.overrides)} override{'s' * (len(rot.overrides) != 1)}", markup=False)
    else:
        err.print(f"rotation {name}: {len(rot.overrides)} overrides (no regular turn-taking that layers answer "
                  "exactly as the calendar does)", markup=False)
    output.notes(result.positioned_notes)
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    for u in result.unmapped:
        err.print(f"unmapped: {u.who}: {u.shifts} shift{'s' * (u.shifts != 1)}, {u.hours:g} h ({file}:{u.line}:{u.col}); "
                  f"add --map '{u.who}=MEMBER-ID'", markup=False)
    unused = sorted(set(people.mapping) - people.used)
    for key in unused:
        err.print(f"note: --map '{key}=…' matched nobody in the calendar", markup=False)
    for g in result.gaps:
        why = f"only unmapped: {', '.join(g.unmapped)}" if g.unmapped else "nobody in the calendar"
        err.print(f"gap: {_when(g.start, tz)} to {_when(g.end, tz)} ({why})", markup=False)
    for o in result.overlaps:
        err.print(f"overlap: {_when(o.start, tz)} to {_when(o.end, tz)}: {', '.join(o.people)}; "
                  f"on call: {o.chosen or 'nobody (unmapped)'}", markup=False)
    if out is not None:
        err.print(f"wrote {out}", markup=False)


def _category_lines(choice: CategoryChoice) -> list[str]:
    """What the import did with a calendar whose events carry CATEGORIES."""
    bare = f"{choice.uncategorized} shift{'s' * (choice.uncategorized != 1)} without CATEGORIES"
    if choice.matched:
        lines = [f"kept {choice.kept} of {choice.total} shifts: those in category {choice.category}"]
        if choice.uncategorized:
            lines.append(f"note: left out {bare}, as the calendar's other events have categories")
        return lines
    lines = [f"note: no event is in category {choice.category} (the calendar's categories: {', '.join(choice.found)}); "
             f"read all {choice.total} shifts; --category NAME reads one category only"]
    if choice.uncategorized:
        lines.append(f"note: read {bare} with them, as no category matched")
    return lines


def _import_json(name: str, file: str, result: CalendarImport, people: People, tz: str) -> dict[str, Any]:
    def iso(t: datetime) -> str:
        return t.isoformat()

    return {
        "version": 1,
        "file": file,
        "rotation": name,
        "from": iso(result.start),
        "to": iso(result.end),
        "layered": result.layered,
        "rotations": {name: rotation_document(result.rotation, tz)},
        "shifts": [{"from": iso(s.start), "to": iso(s.end), "who": s.who, "member": s.member, "summary": s.summary,
                    "uid": s.uid, "line": s.line, "col": s.col} for s in result.shifts],
        "unmapped": [{"who": u.who, "shifts": u.shifts, "hours": u.hours, "line": u.line, "col": u.col}
                     for u in result.unmapped],
        "gaps": [{"from": iso(g.start), "to": iso(g.end), "unmapped": list(g.unmapped)} for g in result.gaps],
        "overlaps": [{"from": iso(o.start), "to": iso(o.end), "people": list(o.people), "on_call": o.chosen}
                     for o in result.overlaps],
        "category": None if result.category is None else {
            "name": result.category.category, "matched": result.category.matched, "kept": result.category.kept,
            "total": result.category.total, "uncategorized": result.category.uncategorized,
            "found": list(result.category.found)},
        "unused_maps": sorted(set(people.mapping) - people.used),
        "problems": [],
        # a note on the calendar as a whole has no position: line and col are null
        "notes": [{"file": file, "line": None, "col": None, "path": "", "message": n} for n in result.notes]
                 + [output.problem_json(p) for p in result.positioned_notes],
    }


@click.command(name="ical")
@click.option("--team", type=click.Path(dir_okay=False, path_type=Path),
              help="Team file (default: the workspace's, else the example team).")
@click.option("--rotation", "rotations", multiple=True, help="Rotation to write; repeatable (default: every rotation).")
@click.option("--from", "from_", metavar="DATE", required=True, help=f"Start of the range: {DATE_HELP}.")
@click.option("--to", metavar="DATE", required=True, help="End of the range, the same way.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output).")
@click.option("--now", type=INSTANT, default="now", show_default=True,
              help="When the export is made (ISO 8601 with offset): every event's DTSTAMP. Fix it for the same bytes on each run.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the shifts as one JSON object (the calendar under \"content\", or written to --out).")
def export_ical(team: Path | None, rotations: tuple[str, ...], from_: str, to: str, out: Path | None, now: datetime,
                as_json: bool) -> None:
    """Write the team's resolved on-call schedule as an iCalendar file that calendar apps open.

    One event per shift, in the team's time zone, from --from to --to; a shift that
    runs over either end is cut there."""
    team_path = _team_path(team)
    team_model = load_team(team_path)
    for name in rotations:
        if name not in team_model.rotations:
            guess = difflib.get_close_matches(name, list(team_model.rotations), n=1)
            hint = f"; did you mean '{guess[0]}'?" if guess else f"; it has {', '.join(team_model.rotations)}"
            raise click.BadParameter(f"team {team_model.team} has no rotation {name!r}{hint}", param_hint="--rotation")
    start, end = _moment(from_, team_model, "--from"), _moment(to, team_model, "--to")
    assert start is not None and end is not None
    if end <= start:
        raise click.BadParameter(f"expected --to after --from, got {from_} to {to}", param_hint="--to")
    if out is not None:
        check_file_target(out, "calendar file")
    shifts = [s for name in (rotations or tuple(team_model.rotations))
              for s in resolved_shifts(team_model, name, start, end)]
    data = export_calendar(team_model, shifts, now)
    if out is None and not as_json:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    elif out is not None:
        write_bytes(out, data, "calendar file")
        output.err.print(f"wrote {out}: {len(shifts)} shifts of {', '.join(rotations or team_model.rotations)} "
                         f"from {_when(start, team_model.timezone)} to {_when(end, team_model.timezone)}", markup=False)
    if as_json:
        output.emit_json({"version": 1, "file": str(team_path), "from": start.isoformat(), "to": end.isoformat(),
                          "shifts": [{"uid": s.uid, "rotation": s.rotation, "member": s.member,
                                      "from": s.start.isoformat(), "to": s.end.isoformat()} for s in shifts],
                          "problems": [], "notes": [], "out": None if out is None else str(out),
                          "content": data.decode("utf-8") if out is None else None})
