"""The facilitator's pack a scheduled tabletop writes: everything needed to run the
drill from paper — the scenario, who holds which role and who is on call at the
time, the injects in order with their clock times, the questions and objectives —
gathered here and rendered by ``reports.facilitator_pack`` as Markdown and HTML."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from reports.facilitator_pack import FacilitatorPack, PackInject
from scenarios import Scenario, Team
from scenarios.common import zone
from scenarios.durations import format_duration
from simulator.tabletop_state import inject_title

from .files import ensure_dir, write_bytes
from .schedule import Planned
from .workspace import Located

OBJECTIVE_WORDS = {"detect": "detect", "acknowledge": "acknowledge the first page", "engage": "engage a responder",
                   "first_update": "post the first status update", "mitigate": "mitigate", "recover": "recover",
                   "contain": "contain the breach", "notify_regulator": "notify the regulator",
                   "notify_customers": "notify customers", "rpo": "lose at most (RPO)", "rto": "restore data (RTO)"}


def pack(plan: Planned, scenario: Scenario, team: Team) -> FacilitatorPack:
    """The pack's content: what both renderings show."""
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
        injects.append(PackInject(when, inject_title(inj), inj.what, card.body if card else None,
                                  card.facilitator if card else None, tuple(card.questions) if card else ()))
    return FacilitatorPack(
        title=scenario.title, scenario=scenario.id, kind=str(scenario.kind), severity=scenario.severity,
        summary=scenario.summary, services=tuple(scenario.services),
        when=f"{start:%A %Y-%m-%d %H:%M} {plan.entry.timezone}", entry=plan.entry.id, why=plan.reason, team=team.team,
        on_call=tuple((r, names.get(team.on_call(r, plan.due) or "", "nobody")) for r in team.rotations),
        roles=tuple((role, ", ".join(names.get(m, m) for m in who)) for role, who in team.roles.items()),
        injects=tuple(injects),
        objectives=tuple(f"{OBJECTIVE_WORDS.get(k, k)} within {format_duration(v)}" for k, v in scenario.objectives
                         if v is not None))


def write_pack(ws: Located, plan: Planned, team_path: Path) -> list[Path]:
    """Write ``facilitator.md`` and ``facilitator.html`` for ``plan`` into
    ``REPORTS/schedule/ENTRY/DUE/`` and return their paths. Raises InputError,
    NotFound (the scenario or team), OutputError."""
    from reports.facilitator_pack import render_pack

    from .resolve import resolve

    inputs = resolve(plan.choice.scenario, team_path)
    content = pack(plan, inputs.scenario, inputs.team)
    folder = ensure_dir(ws.reports / "schedule" / plan.entry.id / plan.due.strftime("%Y-%m-%dT%H%M%z"), "pack folder")
    return [write_bytes(folder / f"facilitator.{fmt}", render_pack(content, fmt).encode("utf-8"), "facilitator's pack")
            for fmt in ("md", "html")]
