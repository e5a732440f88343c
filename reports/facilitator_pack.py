"""The facilitator's pack of a scheduled tabletop: everything needed to run the drill
from paper, as Markdown and as one self-contained HTML page (it prints and mails as
is). The content is plain values gathered by the schedule (``drillbit.schedule_pack``);
every value is escaped for the format it lands in.

Public API::

    render_pack(content, fmt) -> str     # fmt: "md" or "html"
"""

from __future__ import annotations

from typing import Any, Mapping

from .render import ReportError, _env

#: The template of each format the pack is written in.
PACK_TEMPLATES = {"md": "facilitator.md.j2", "html": "facilitator.html.j2"}


def render_pack(content: Mapping[str, Any], fmt: str) -> str:
    """The pack ``content`` (title, scenario, kind, severity, summary, services, when,
    entry, why, team, on_call and roles as (name, who) pairs, injects, objectives) as
    ``fmt``, "md" or "html". Raises ReportError for another format."""
    if fmt not in PACK_TEMPLATES:
        raise ReportError(f"facilitator's pack: expected format md or html, got {fmt!r}")
    return _env(fmt).get_template(PACK_TEMPLATES[fmt]).render(p=content)


__all__ = ["PACK_TEMPLATES", "render_pack"]
