"""A scheduled tabletop writes the facilitator's pack: the scenario, roles and who is
on call then, the injects in order at their clock times, the questions and the
objectives — checked against a hand-written scenario and team."""

from __future__ import annotations

import json
from pathlib import Path

from schedule_fixtures import workspace

SCENARIO = """\
id: cache-stampede
title: Cache stampede after a deploy
kind: outage
severity: P2
summary: A deploy flushes the page cache and the database drowns in reads.
services: [web]
injects:
  - at: 25m
    card:
      title: The head of support asks for an ETA
      body: Support has 40 open tickets about slow checkout.
      facilitator: Hold this until someone has posted a status update.
      questions: [Who answers support?, What do you tell customers?]
  - when: {not_acknowledged_by: 15m}
    card: {title: Support escalates to the on-call manager}
  - at: 0s
    fault: {kind: bad-deploy, service: web}
  - at: 10m
    signal: {kind: customer-report, text: Pages take 30 seconds to load}
objectives:
  acknowledge: 5m
  mitigate: 1h
"""

TABLETOP = """\
- id: wednesday-tabletop
  cron: "30 9 * * Wed"
  timezone: Europe/Paris
  mode: tabletop
  scenario: cache-stampede
"""


def test_the_pack_lists_what_a_facilitator_needs_in_order(cli, monkeypatch, tmp_path: Path):
    ws = workspace(tmp_path / "ws", TABLETOP)
    (ws / "drillbit.yaml").write_text((ws / "drillbit.yaml").read_text().replace("scenarios: []", "scenarios: [scenarios]"))
    (ws / "scenarios").mkdir()
    (ws / "scenarios" / "cache-stampede.yaml").write_text(SCENARIO)
    monkeypatch.chdir(ws)
    # Wednesday 2027-01-13 09:30 in Paris is 08:30Z, in bob's week on the primary pager.
    code, out, err = cli("schedule", "run-due", "--now", "2027-01-13T08:31:00+00:00", "--json",
                         "--db", f"sqlite:///{ws / 'incidents.db'}")
    assert code == 0, err
    (ran,) = json.loads(out)["ran"]
    assert ran["state"] == "done", ran
    folder = ws / "reports" / "schedule" / "wednesday-tabletop" / "2027-01-13T0930+0100"
    md = (folder / "facilitator.md").read_text()
    assert md.startswith("# Tabletop: Cache stampede after a deploy\n")
    assert "**When:** Wednesday 2027-01-13 09:30 Europe/Paris" in md
    assert "- primary: Bob Tanaka" in md and "- incident-commander: Alice Moreau" in md
    injects = [line for line in md.splitlines() if line[:3] in ("1. ", "2. ", "3. ", "4. ")]
    assert injects == [
        "1. **09:30 (start)** — bad-deploy on web (fault)",
        "2. **09:40 (+10m)** — Pages take 30 seconds to load (signal)",
        "3. **09:55 (+25m)** — The head of support asks for an ETA (card)",
        "4. **if not acknowledged by 15m** — Support escalates to the on-call manager (card)",
    ]
    assert "   - ask: Who answers support?\n   - ask: What do you tell customers?" in md
    assert "facilitator notes: Hold this until someone has posted a status update." in md
    assert "- acknowledge the first page within 5m\n- mitigate within 1h" in md
    page = (folder / "facilitator.html").read_text()
    assert page.startswith("<!doctype html>") and "<li>ask: Who answers support?</li>" in page


def test_the_pack_escapes_what_a_scenario_says_for_each_format():
    from reports.facilitator_pack import FacilitatorPack, PackInject, render_pack

    content = FacilitatorPack(
        title="<script>alert(1)</script> *now*", scenario="x", kind="outage", severity="P2", summary=None,
        services=("web",), when="Wednesday", entry="e", why="scenario 'x'", team="web-sre",
        on_call=(("primary", "Bob"),), roles=(),
        injects=(PackInject("09:30 (start)", "t", "card", body="# not a heading"),), objectives=())
    md = render_pack(content, "md")
    assert md.startswith("# Tabletop: \\<script\\>alert(1)\\</script\\> \\*now\\*\n")
    assert "   - what the team is told: \\# not a heading\n" in md and "- none set" in md
    page = render_pack(content, "html")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; *now*" in page
