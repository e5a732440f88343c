"""What the people of a drill wrote themselves, for the drafts: a tabletop's hot wash
(what went well, what did not), the observations noted while the drill ran (``note``
events with gap ``observation``: a tabletop's room, a game day's marks) and who
facilitated.

These are quoted, never paraphrased or filled in: a draft shows each text as written
and says "none recorded" where nobody wrote anything, so no reader takes drillbit's
words for the team's.
"""

from __future__ import annotations

from typing import Any

from scenarios.events import Gap

from . import fmt
from .narrative import member_names
from .view import Inputs


def _who(by: str | None, names: dict[str, str]) -> str:
    """A member's display name, else the name as written; empty when nobody was named."""
    if not by:
        return ""
    return names.get(by, by)


def hotwash(inp: Inputs) -> dict[str, list[dict[str, str]]]:
    """The hot wash's notes in the order given: ``strengths`` and ``improvements``,
    each ``{"text", "by", "at"}`` (``at`` the drill-clock offset, empty if unknown)."""
    names = member_names(inp.team)
    out: dict[str, list[dict[str, str]]] = {"strengths": [], "improvements": []}
    for note in inp.result.hotwash:
        out["strengths" if note.kind == "strength" else "improvements"].append(
            {"text": note.text, "by": _who(note.by, names), "at": "" if note.t is None else fmt.offset(note.t)})
    return out


def observations(inp: Inputs) -> list[dict[str, str]]:
    """The notes people took during the run (gap ``observation``), in time order:
    ``{"text", "by", "at"}``."""
    tl = inp.timeline
    if tl is None:
        return []
    names = member_names(inp.team)
    return [{"text": str(e.payload.text), "by": _who(e.actor, names), "at": fmt.offset(e.t)}
            for e in tl.events if e.kind == "note" and e.payload.gap == Gap.OBSERVATION]


def facilitator(inp: Inputs) -> str | None:
    """Who facilitated, when the application recorded it (a member's display name)."""
    return _who(inp.result.facilitator, member_names(inp.team)) or None


def room_view(inp: Inputs) -> dict[str, Any]:
    """What both drafts show of the people's own words."""
    tl = inp.timeline
    return {"tabletop": tl is not None and tl.mode == "tabletop", "facilitator": facilitator(inp),
            "hotwash": hotwash(inp), "has_hotwash": bool(inp.result.hotwash), "observations": observations(inp)}
