"""The facilitator's pack a scheduled tabletop writes: everything needed to run the
drill from paper — the scenario, who holds which role and who is on call at the
time, the injects in order with their clock times, the questions and objectives —
as Markdown and as a self-contained HTML page."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path
from typing import Any

from scenarios import Scenario, Team
from scenarios.common import zone
from scenarios.durations import format_duration
from scenarios.untrusted import printable
from simulator.tabletop_state import inject_title

from .files import ensure_dir, write_bytes
from .schedule import Planned
from .workspace import Located

OBJECTIVE_WORDS = {"detect": "detect", "acknowledge": "acknowledge the first page", "engage": "engage a responder",
                   "first_update": "post the first status update", "mitigate": "mitigate", "recover": "recover",
                   "contain": "contain the breach", "notify_regulator": "notify the regulator",
                   "notify_customers": "notify customers", "rpo": "lose at most (RPO)", "rto": "restore data (RTO)"}


def pack(plan: Planned, scenario: Scenario, team: Team) -> dict[str, Any]:
    """The pack's content as plain values (what both renderings show)."""
    tz = zone(plan.entry.timezone)
    start = plan.due.astimezone(tz)
    names = {m.id: m.name for m in team.members}
    injects = []
    for inj in sorted(scenario.injects, key=lambda i: (i.at is None, i.at or 0.0)):
        if inj.at is not None:
            at = start + timedelta(seconds=inj.at)
            day = "" if at.date() == start.date() else f"{at:%a %Y-%m-%d} "
            when = f"{day}{at:%H:%M} (+{format_duration(inj.at)})" if inj.at else f"{at:%H:%M} (start)"
        else:
            assert inj.when is not None
            cond, secs = next((k, v) for k, v in inj.when if v is not None)
            when = f"if {cond.replace('_', ' ')} {format_duration(secs)}"
        card = inj.card
        injects.append({"when": when, "title": inject_title(inj), "kind": inj.what,
                        "body": card.body if card else None, "facilitator": card.facilitator if card else None,
                        "questions": list(card.questions) if card else []})
    objectives = [f"{OBJECTIVE_WORDS.get(k, k)} within {format_duration(v)}" for k, v in scenario.objectives
                  if v is not None]
    return {
        "title": scenario.title, "scenario": scenario.id, "kind": str(scenario.kind), "severity": scenario.severity,
        "summary": scenario.summary, "services": list(scenario.services),
        "when": f"{start:%A %Y-%m-%d %H:%M} {plan.entry.timezone}", "entry": plan.entry.id, "why": plan.reason,
        "team": team.team,
        "on_call": [(r, names.get(team.on_call(r, plan.due) or "", "nobody")) for r in team.rotations],
        "roles": [(role, ", ".join(names.get(m, m) for m in who)) for role, who in team.roles.items()],
        "injects": injects, "objectives": objectives,
    }


def markdown(p: dict[str, Any]) -> str:
    """The pack as Markdown."""
    t = lambda v: printable(str(v))  # noqa: E731
    lines = [f"# Tabletop: {t(p['title'])}", "", f"**When:** {t(p['when'])}  ", f"**Team:** {t(p['team'])}  ",
             f"**Scenario:** `{t(p['scenario'])}` ({t(p['kind'])}, severity {t(p['severity'])}; services: "
             f"{t(', '.join(p['services']))})  ", f"**Why this drill:** {t(p['why'])}", ""]
    if p["summary"]:
        lines += ["## Summary", "", t(p["summary"]).strip(), ""]
    lines += ["## Who is on call then", ""] + [f"- {t(r)}: {t(who)}" for r, who in p["on_call"]] + [""]
    if p["roles"]:
        lines += ["## Roles", ""] + [f"- {t(role)}: {t(who)}" for role, who in p["roles"]] + [""]
    lines += ["## Injects, in order", ""]
    for n, inj in enumerate(p["injects"], 1):
        lines.append(f"{n}. **{t(inj['when'])}** — {t(inj['title'])} ({inj['kind']})")
        for label in ("body", "facilitator"):
            if inj[label]:
                lines.append(f"   - {'facilitator notes' if label == 'facilitator' else 'what the team is told'}: "
                             f"{' '.join(t(inj[label]).split())}")
        lines += [f"   - ask: {t(q)}" for q in inj["questions"]]
    lines += ["", "## Objectives", ""] + ([f"- {t(o)}" for o in p["objectives"]] or ["- none set"]) + [""]
    return "\n".join(lines)


def html_page(p: dict[str, Any]) -> str:
    """The pack as one HTML page (no external files: it prints and mails as is)."""
    e = lambda v: html.escape(printable(str(v)))  # noqa: E731
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tabletop: {e(p['title'])}</title>",
             "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em}"
             "li{margin:.3em 0}.when{font-weight:600}</style></head><body>",
             f"<h1>Tabletop: {e(p['title'])}</h1>",
             f"<p><b>When:</b> {e(p['when'])}<br><b>Team:</b> {e(p['team'])}<br><b>Scenario:</b> <code>{e(p['scenario'])}"
             f"</code> ({e(p['kind'])}, severity {e(p['severity'])}; services: {e(', '.join(p['services']))})<br>"
             f"<b>Why this drill:</b> {e(p['why'])}</p>"]
    if p["summary"]:
        parts.append(f"<h2>Summary</h2><p>{e(p['summary'])}</p>")
    parts.append("<h2>Who is on call then</h2><ul>" + "".join(f"<li>{e(r)}: {e(w)}</li>" for r, w in p["on_call"]) + "</ul>")
    if p["roles"]:
        parts.append("<h2>Roles</h2><ul>" + "".join(f"<li>{e(r)}: {e(w)}</li>" for r, w in p["roles"]) + "</ul>")
    items = []
    for inj in p["injects"]:
        sub = [f"<li>what the team is told: {e(inj['body'])}</li>"] if inj["body"] else []
        sub += [f"<li>facilitator notes: {e(inj['facilitator'])}</li>"] if inj["facilitator"] else []
        sub += [f"<li>ask: {e(q)}</li>" for q in inj["questions"]]
        items.append(f"<li><span class=\"when\">{e(inj['when'])}</span> — {e(inj['title'])} ({e(inj['kind'])})"
                     + (f"<ul>{''.join(sub)}</ul>" if sub else "") + "</li>")
    parts.append("<h2>Injects, in order</h2><ol>" + "".join(items) + "</ol>")
    parts.append("<h2>Objectives</h2><ul>" + "".join(f"<li>{e(o)}</li>" for o in p["objectives"] or ["none set"])
                 + "</ul></body></html>\n")
    return "\n".join(parts)


def write_pack(ws: Located, plan: Planned, team_path: Path) -> list[Path]:
    """Write ``facilitator.md`` and ``facilitator.html`` for ``plan`` into
    ``REPORTS/schedule/ENTRY/DUE/`` and return their paths. Raises InputError,
    NotFound (the scenario or team), OutputError."""
    from .resolve import resolve

    inputs = resolve(plan.choice.scenario, team_path)
    content = pack(plan, inputs.scenario, inputs.team)
    folder = ensure_dir(ws.reports / "schedule" / plan.entry.id / plan.due.strftime("%Y-%m-%dT%H%M%z"), "pack folder")
    return [write_bytes(folder / "facilitator.md", markdown(content).encode("utf-8"), "facilitator's pack"),
            write_bytes(folder / "facilitator.html", html_page(content).encode("utf-8"), "facilitator's pack")]
