"""The tabletop web console's pages: the facilitator's view and the team's view, as
server-rendered HTML, and the fragments of them that change (re-rendered on every change
and swapped in by the page's script), from a :meth:`simulator.tabletop.Tabletop.state`.

Public API::

    render_page(view, state, *, standing=None, room=None) -> str
    render_fragments(view, state, *, standing=None) -> {fragment id: HTML}
    static_asset(name) -> (bytes, media type)        # the console's CSS and JS
    VIEWS, ASSETS

Everything shown comes from the state; every value is escaped (text typed in the room
reaches every browser). The pages load nothing from anywhere but the console itself.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

import jinja2
import markupsafe

from scenarios import DrillbitError
from scenarios.untrusted import printable

from .fmt import duration, offset
from .template_cache import use_cache

View = Literal["team", "facilitator"]
VIEWS: tuple[str, ...] = ("team", "facilitator")
TEMPLATES = Path(__file__).parent / "templates" / "tabletop"
#: The console's own assets: file name -> media type (nothing else is served).
ASSETS = {"tabletop.css": "text/css; charset=utf-8", "tabletop.js": "text/javascript; charset=utf-8"}
#: The fragments each view re-renders on a change, in page order.
FRAGMENTS: dict[str, tuple[str, ...]] = {
    "team": ("clock", "injects", "pages", "signals", "runbooks", "status_page", "record", "hotwash"),
    "facilitator": ("clock", "injects", "waiting", "scorecard", "record", "hotwash"),
}
#: What the team's runbook-step and milestone buttons say.
MILESTONES = ("diagnosed", "contained", "restored", "mitigated", "recovered", "resolved")


class PageError(DrillbitError):
    """A view or an asset that does not exist."""


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        finalize=_printable,
    )
    env.filters["offset"] = lambda t: "—" if t is None else offset(float(t))
    env.filters["duration"] = lambda s: duration(None if s is None else float(s), never="not yet")
    env.filters["label"] = lambda s: str(s).replace("_", " ")
    env.filters["clocktime"] = _clocktime
    env.filters["daysecond"] = _daysecond
    return use_cache(env, "tabletop")


def _printable(value: Any) -> Any:
    """No control characters reach the page (see reports.render)."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(printable(str(value)))
    return printable(value) if isinstance(value, str) else value


def _clocktime(iso: str | None) -> str:
    """``2026-11-02T03:04:05+01:00`` -> ``03:04:05`` (the team's wall clock in the drill)."""
    if not iso:
        return "—"
    try:
        return datetime.fromisoformat(str(iso)).strftime("%H:%M:%S")
    except ValueError:
        return str(iso)


def _daysecond(iso: str | None) -> str:
    """Seconds since midnight of the instant, in its own zone: the page's script moves
    the wall clock on from there between changes (a browser's zone is not the team's)."""
    try:
        at = datetime.fromisoformat(str(iso))
    except (TypeError, ValueError):
        return ""
    return str(at.hour * 3600 + at.minute * 60 + at.second)


def _check(view: str) -> None:
    if view not in VIEWS:
        raise PageError(f"unknown view {view!r}; expected one of: {', '.join(VIEWS)}")


def _roles(state: Mapping[str, Any]) -> list[str]:
    return sorted({r for m in state.get("members", ()) for r in m.get("roles", ())})


def render_fragments(view: View, state: Mapping[str, Any], *,
                     standing: Sequence[Mapping[str, Any]] | None = None) -> dict[str, str]:
    """The HTML of each of ``view``'s live fragments (see :data:`FRAGMENTS`).
    Raises PageError for an unknown view."""
    _check(view)
    module = _env().get_template("fragments.html.j2").make_module(
        {"state": state, "view": view, "standing": standing, "milestones": MILESTONES})
    return {name: str(getattr(module, name)()).strip() for name in FRAGMENTS[view]}


def render_page(view: View, state: Mapping[str, Any], *, standing: Sequence[Mapping[str, Any]] | None = None,
                room: str | None = None) -> str:
    """The whole page of ``view``; ``room`` is the room code the page's requests carry
    (None on loopback). Raises PageError for an unknown view."""
    fragments = render_fragments(view, state, standing=standing)
    return _env().get_template(f"{view}.html.j2").render(
        state=state, view=view, fragments=fragments, room=room, roles=_roles(state), milestones=MILESTONES)


def static_asset(name: str) -> tuple[bytes, str]:
    """The console asset ``name`` and its media type. Raises PageError for any other name."""
    media = ASSETS.get(name)
    if media is None:
        raise PageError(f"no asset {name!r}")
    return (TEMPLATES / name).read_bytes(), media
