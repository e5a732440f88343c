"""A tabletop's actions written back as a script (``tabletop-script: 1``) that
``drillbit tabletop --script`` replays: how a facilitator rehearses a drill the room
played, or plays it again with another team file.

Each action is written as a JSON object, which is YAML too (JSON is a subset of YAML
1.2 for everything written here), so the file needs no YAML writer and loads with
:func:`scenarios.tabletop.load_script` like a script written by hand.
"""

from __future__ import annotations

import json
import math
from typing import Any, Iterable

from scenarios import format_duration
from scenarios.tabletop import SCRIPT_VERSION


def script_at(t: float) -> str:
    """A drill time as a script's ``at``: ``4m`` when whole seconds say it exactly, else
    seconds with the microseconds the journal kept (so the replay takes it at the same
    instant)."""
    if t == int(t):
        return format_duration(t) if t else "0s"
    text = f"{t:.6f}".rstrip("0").rstrip(".")
    return f"{text}s"


def script_actions(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The actions of journal ``entries`` in order, each with its ``at`` first (clock
    checkpoints are not actions and are left out)."""
    out = []
    for entry in entries:
        action = entry.get("action")
        if not isinstance(action, dict):
            continue
        t = float(entry["t"])
        if not math.isfinite(t):
            continue
        out.append({"at": script_at(max(0.0, t)), **{k: v for k, v in action.items() if v is not None}})
    return out


def script_text(entries: Iterable[dict[str, Any]], *, scenario: str, team: str) -> str:
    """The script of a drill's journal ``entries`` (see the module)."""
    lines = [f"# The actions of a tabletop of {scenario} with team {team}, at their drill times.",
             f"# Replay it: drillbit tabletop {scenario} --script script.yaml (add --headless to play it through",
             "# at once, without the web console).",
             f"tabletop-script: {SCRIPT_VERSION}", "actions:"]
    actions = script_actions(entries)
    lines += [f"  - {json.dumps(a, ensure_ascii=False)}" for a in actions]
    if not actions:
        lines[-1] = "actions: []"
    return "\n".join(lines) + "\n"
