"""The facilitator's pack of a scheduled tabletop: everything needed to run the drill
from paper, as Markdown and as one self-contained HTML page (it prints and mails as
is). The content is a :class:`FacilitatorPack` the schedule gathers
(``drillbit.schedule_pack``); every value is escaped for the format it lands in.

Public API::

    FacilitatorPack, PackInject          # the pack's content, typed rows
    render_pack(pack, fmt) -> str        # fmt: "md" or "html"
"""

from __future__ import annotations

from dataclasses import dataclass

from .render import ReportError, template_env

#: The template of each format the pack is written in.
PACK_TEMPLATES = {"md": "facilitator.md.j2", "html": "facilitator.html.j2"}


@dataclass(frozen=True)
class PackInject:
    """One inject as the facilitator plays it."""

    when: str  # a clock time ("09:40 (+10m)") or the condition that fires it
    title: str
    kind: str  # fault, signal, card, ...
    body: str | None = None  # what the team is told
    facilitator: str | None = None  # notes for the facilitator only
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class FacilitatorPack:
    """What both renderings of the pack show."""

    title: str
    scenario: str  # the scenario's id
    kind: str
    severity: str
    summary: str | None
    services: tuple[str, ...]
    when: str  # the start, in the entry's time zone, as words
    entry: str  # the schedule entry's id
    why: str  # why the schedule chose this drill
    team: str
    on_call: tuple[tuple[str, str], ...]  # (rotation, who)
    roles: tuple[tuple[str, str], ...]  # (role, who)
    injects: tuple[PackInject, ...]  # in the order they are played
    objectives: tuple[str, ...]


def render_pack(pack: FacilitatorPack, fmt: str) -> str:
    """``pack`` as ``fmt``, "md" or "html". Raises ReportError for another format."""
    if fmt not in PACK_TEMPLATES:
        raise ReportError(f"facilitator's pack: expected format md or html, got {fmt!r}")
    return template_env(fmt).get_template(PACK_TEMPLATES[fmt]).render(p=pack)


__all__ = ["FacilitatorPack", "PACK_TEMPLATES", "PackInject", "render_pack"]
