"""The gap rule for runbooks a scenario expects that the team does not have.

A scenario written for many teams names the runbooks it expects (``runbooks:``);
a team without one of them still runs the drill (validation notes it), and the gap
report says what is missing. Kept apart from ``gaps.py`` so the rule reads on its own;
importing the package registers it."""

from __future__ import annotations

from typing import Iterable

from .gaps import Context, Finding, rule


@rule("expected-runbook-missing", "diagnosis & repair")
def _expected_runbooks(ctx: Context) -> Iterable[Finding]:
    have = {rb.id for rb in ctx.runbooks}
    for name in ctx.scenario.runbooks:
        if name not in have:
            yield Finding(
                "expected-runbook-missing", f"The scenario expects runbook {name}; the team has none", "medium",
                f"the scenario expects runbook {name}; the team has none, so responders improvise what it would do",
                f"write runbook {name} (or the team's own for this failure) and trigger it on the alerts that see it",
                "runbook owner", name)
