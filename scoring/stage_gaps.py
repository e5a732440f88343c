"""The gap rule of incidents in stages: a stage that went undetected, or was found
only after the deadline of the notifications it concerns would have passed (counting
from when it started), in some runs."""

from __future__ import annotations

from typing import Iterable

from scenarios import format_duration, format_share

from .gaps import MIN_SHARE, Context, Finding, rule
from .stages import late_after


@rule("stage-undetected", "detection")
def _stage_undetected(ctx: Context) -> Iterable[Finding]:
    if ctx.batch is None:
        return
    ev = ctx.batch.evidence
    for stage in ctx.scenario.stages:
        started, late = ev.stage_started.get(stage.id, 0), ev.stage_late.get(stage.id, 0)
        if not started or late / started < MIN_SHARE:
            continue
        deadline = late_after(ctx.scenario, stage.id)
        past = (f", or detected more than {format_duration(deadline)} after it started (the shortest deadline of the "
                "notifications it concerns)") if deadline is not None else ""
        yield Finding(
            "stage-undetected", f"Stage {stage.id} of the incident goes unseen", "critical",
            f"stage {stage.id} ({stage.title}) went undetected{past} in {format_share(late / started)} of the "
            f"{started} runs it started in",
            f"add detection that sees stage {stage.id} on its own signals (not only the first stage's alerts), and "
            "after containing one stage hunt for the others before declaring the incident resolved",
            "security lead", stage.id)
