"""What people do in a tabletop drill: the room's actions, the facilitator's, and the
script file that replays them at their times.

A browser's request, a line of the tabletop's journal and an entry of a script are
all one :data:`Action` (a mapping whose ``action`` key names the kind), validated here
before the simulator sees it. Whether an action makes sense *now* (a page to
acknowledge, a runbook step that is current) is the tabletop session's question.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Discriminator, Field, StringConstraints, ValidationError

from .base import Id, Model, adapter
from .durations import Duration, format_duration
from .errors import DrillbitError, format_path

#: The longest text an action carries (a status update, a note): a paragraph, not a file.
MAX_TEXT = 2000
#: Text a person types: one to MAX_TEXT characters, surrounding space stripped.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Who = Annotated[Id, Field(description="the team member who does it (default: who leads the response)")]

Phase = Literal["investigating", "identified", "monitoring", "resolved"]
Party = Literal["regulator", "customers", "leadership", "partners", "law-enforcement"]
#: The drill clock's speed factors a facilitator can choose.
SPEEDS = (1, 2, 5, 10)


class ActionError(DrillbitError):
    """A request or script entry that is not an action (unknown kind, missing or wrong field)."""


class _Action(Model):
    by: Who | None = None


# -- the room's actions ------------------------------------------------------------------
class Acknowledge(_Action):
    """Answer a page: ``page`` (its number), else the first open page of ``by``, else the first open page."""

    action: Literal["acknowledge"]
    page: int | None = Field(None, ge=1)


class Escalate(_Action):
    """Page a person (a member id) or a role (``role:NAME``) now, by hand."""

    action: Literal["escalate"]
    to: Annotated[str, StringConstraints(pattern=r"^(role:)?[a-z0-9][a-z0-9_.-]*$", max_length=90)]


class DeclareSeverity(_Action):
    """Declare the incident's severity (one of the team's severity names)."""

    action: Literal["severity"]
    level: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class StartRunbook(_Action):
    action: Literal["runbook"]
    runbook: Id


class FinishStep(_Action):
    """The current step (1-based ``step``) of a started runbook is done (``ok``) or failed."""

    action: Literal["step"]
    runbook: Id
    step: int = Field(ge=1)
    ok: bool


class StatusUpdate(_Action):
    action: Literal["update"]
    phase: Phase
    text: Text


class Notify(_Action):
    action: Literal["notify"]
    party: Party
    text: Text | None = None


class Milestone(_Action):
    """The room declares a milestone: the cause is known, the breach contained, the data
    restored, the incident mitigated, recovered or resolved."""

    action: Literal["diagnosed", "contained", "restored", "mitigated", "recovered", "resolved"]
    text: Text | None = None


class Note(_Action):
    action: Literal["note"]
    text: Text


# -- the facilitator's actions -------------------------------------------------------------
class Clock(Model):
    """Start the drill clock, pause it, resume it; ``end`` stops it for the hot wash;
    ``finish`` closes the hot wash (the reports are then written)."""

    action: Literal["start", "pause", "resume", "end", "finish"]


class Speed(Model):
    action: Literal["speed"]
    factor: Literal[1, 2, 5, 10]


class InjectControl(Model):
    """Release an inject now, or hold it (it is not delivered at its time until released).
    ``inject`` is its 0-based index in the scenario's ``injects``."""

    action: Literal["release", "hold"]
    inject: int = Field(ge=0)


class HotWash(_Action):
    """A hot-wash note, after the clock has ended: what went well (``strength``) or did
    not (``improvement``)."""

    action: Literal["hotwash"]
    kind: Literal["strength", "improvement"]
    text: Text


Action = Annotated[
    Union[Acknowledge, Escalate, DeclareSeverity, StartRunbook, FinishStep, StatusUpdate, Notify, Milestone, Note,
          Clock, Speed, InjectControl, HotWash],
    Discriminator("action"),
]

ROOM_ACTIONS = ("acknowledge", "escalate", "severity", "runbook", "step", "update", "notify", "diagnosed",
                "contained", "restored", "mitigated", "recovered", "resolved", "note", "hotwash")
#: Only the facilitator may take these (the facilitator may take the room's too).
FACILITATOR_ACTIONS = ("start", "pause", "resume", "speed", "release", "hold", "end", "finish")


def parse_action(doc: object) -> Action:
    """``doc`` (parsed JSON) as an Action. Raises ActionError naming the kind or the
    first wrong field, and the kinds there are."""
    if not isinstance(doc, dict):
        raise ActionError(f"expected an object such as {{\"action\": \"acknowledge\"}}, got {type(doc).__name__}")
    kind = doc.get("action")
    if kind not in ROOM_ACTIONS + FACILITATOR_ACTIONS:
        known = ", ".join(ROOM_ACTIONS + FACILITATOR_ACTIONS)
        raise ActionError(f"unknown action {kind!r}; expected one of: {known}")
    try:
        return adapter(Action).validate_python(doc)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = tuple(first["loc"])
        where = format_path(loc[1:] if loc[:1] == (kind,) else loc)  # the union's tag is not a field
        raise ActionError(f"{kind}: {where + ': ' if where else ''}{first['msg']}") from None


# -- scripts ---------------------------------------------------------------------------------
#: A script file: ``tabletop-script: 1`` and ``actions``, a list of mappings, each an
#: ``at`` (drill time from the start, a duration such as 4m) and an action's fields:
#:
#:     tabletop-script: 1
#:     actions:
#:       - {at: 0s, action: start}
#:       - {at: 4m, action: acknowledge, by: amara}
#:       - {at: 9m, action: update, phase: investigating, text: Checkout is failing; we are on it}
SCRIPT_VERSION = 1


def _at(cls: type[Model]) -> type[Model]:
    """``cls`` with the drill time ``at`` it is taken at: one entry of a script."""
    return type(cls.__name__, (cls,), {
        "__annotations__": {"at": Duration},
        "at": Field(description="drill time from the start, such as 4m"),
        "__module__": __name__,
        "__doc__": cls.__doc__,
    })


ScriptEntry = Annotated[Union[tuple(_at(c) for c in Action.__origin__.__args__)], Discriminator("action")]  # type: ignore[attr-defined]


class Script(Model):
    """A tabletop script: the actions of a drill at their drill times (see above)."""

    tabletop_script: Literal[1] = Field(alias="tabletop-script", description="the script format's version")
    actions: list[ScriptEntry] = Field(default_factory=list)


def load_script(path) -> list[tuple[float, Action]]:  # noqa: ANN001 - a str or a Path
    """The script at ``path``: (drill seconds, action) in file order (times must not go
    backwards). Raises InputError with file:line:col for every mistake (a bad duration,
    an unknown action or field), as the other input files do."""
    from .loader import build
    from .yamlsource import read_yaml

    return script_entries(build(read_yaml(path), Script))


def script_entries(script: Script) -> list[tuple[float, Action]]:
    """A validated script's entries as (drill seconds, action)."""
    out = []
    for entry in script.actions:
        base = type(entry).__mro__[1]
        fields = {k: getattr(entry, k) for k in base.model_fields}
        out.append((float(entry.at), base.model_construct(**fields)))
    return out


def script_problems(script: Script) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, message) for every entry whose time is before the previous entry's."""
    found = []
    last = 0.0
    actions = script.actions if isinstance(script.actions, list) else []
    for i, entry in enumerate(actions):
        at = getattr(entry, "at", None)
        if not isinstance(at, (int, float)):  # an entry that did not validate: its problem is reported already
            continue
        if at < 0:
            found.append((("actions", i, "at"), "expected a time from 0s on (the drill starts at 0s)"))
        elif entry.at < last:
            found.append((("actions", i, "at"), f"expected a time from {format_duration(last)} on: "
                                                "times in a script must not go backwards"))
        last = max(last, at)
    return found
