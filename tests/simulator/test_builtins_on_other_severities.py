"""Every built-in scenario (written in P0-P3) runs against teams that name their
severities otherwise: SEV1-SEV3 by rank, and critical/major/minor/cosmetic by an
explicit severity_map. The mapping each run used is checked against tables written
here by hand, and the SEV team (the example team with its levels and policies renamed)
must run exactly the drill the example team runs, names aside."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from scenarios.loader import builtin_scenarios, load_runbook, load_scenario, load_team
from simulator import horizon_for, simulate
from simulator.plan import Plan

ROOT = Path(__file__).resolve().parents[2]
TEAMS = ROOT / "tests" / "data" / "teams"
START = datetime(2026, 11, 4, 10, 0, tzinfo=timezone.utc)  # a Wednesday morning in Berlin

#: The scenario's own severity, as each built-in file writes it (read off the files).
WRITTEN = {
    "backbone-dns-withdrawal": "P0", "cdn-latent-bug-config": "P0", "ci-session-token-theft": "P0",
    "cloud-subscription-deleted": "P0", "config-push-global-outage": "P0", "db-primary-data-deleted": "P0",
    "misconfigured-waf-ssrf": "P0", "password-vault-backups-stolen": "P0", "permissions-script-access-cut": "P0", "ransomware-file-share": "P0", "script-deleted-customer-sites": "P0",
    "storage-region-outage": "P0", "supply-chain-script-tampered": "P1", "unpatched-framework-breach": "P0",
    "cross-coast-database-failover": "P0", "coordination-service-stall": "P0",
}
#: By rank on SEV1-SEV3: P<n> is the (n+1)-th level, P3 clamped to the third.
SEV_RANK = {"P0": "SEV1", "P1": "SEV2", "P2": "SEV3", "P3": "SEV3"}
#: named-team.yaml's severity_map, copied by hand.
NAMED_MAP = {"P0": "critical", "P1": "critical", "P2": "major", "P3": "cosmetic"}
#: The example team's escalation policies, as renamed in sev-team.yaml.
POLICY_RENAMED = {"P0": "SEV1", "P1": "SEV2", "P2": "SEV3"}


@pytest.fixture(scope="module")
def inputs():
    books = [load_runbook(p) for p in sorted((ROOT / "examples/runbooks").glob("*.yaml"))]
    return {"example": load_team(ROOT / "examples/team.yaml"), "sev": load_team(TEAMS / "sev-team.yaml"),
            "named": load_team(TEAMS / "named-team.yaml")}, books


def test_the_table_covers_every_builtin():
    assert {p.stem for p in builtin_scenarios()} == set(WRITTEN)


def _run(sc, team, books, seed=7):
    # each to its own horizon: a breach first detected after days alerts only then
    return simulate(sc, team, books, START, np.random.default_rng(seed), horizon=horizon_for(sc, books))


@pytest.mark.parametrize("path", builtin_scenarios(), ids=lambda p: p.stem)
@pytest.mark.parametrize("which, table", [("sev", SEV_RANK), ("named", NAMED_MAP)])
def test_every_builtin_runs_on_the_teams_own_levels(inputs, path, which, table):
    teams, books = inputs
    team, sc = teams[which], load_scenario(path)
    assert sc.severity == WRITTEN[path.stem]
    expected = table[WRITTEN[path.stem]]
    plan = Plan(sc, team, books)
    assert plan.severity is team.severity[expected]
    assert plan.rule_severity == [table[r.severity or sc.severity] for r in sc.monitoring]
    tl = _run(sc, team, books)
    assert tl.first("drill_started").data["severity"] == expected
    rules = {r.alert: r for r in sc.monitoring}
    fired = tl.find("alert_fired")
    assert fired, "every built-in alerts in this run"
    for e in fired:
        assert e.data["severity"] == table[rules[e.subject].severity or sc.severity]
    notes = " ".join(str(e.data.get("text", "")) for e in tl.find("note"))
    assert "no escalation policy takes" not in notes
    assert tl.find("page_sent")


@pytest.mark.parametrize("path", builtin_scenarios(), ids=lambda p: p.stem)
def test_the_renamed_team_runs_the_same_drill(inputs, path):
    """sev-team.yaml is the example team with P0, P1, P2 renamed SEV1, SEV2, SEV3 (levels
    and escalation policies alike), and rank maps the scenario's P0, P1, P2 onto exactly
    those: with the same seed, every event happens at the same instant to the same
    people, and only the names of severities and policies differ."""
    teams, books = inputs
    sc = load_scenario(path)
    a, b = _run(sc, teams["example"], books), _run(sc, teams["sev"], books)
    # an escalation's subject is its policy, one of the names that differ
    renamed = lambda e: POLICY_RENAMED.get(e.subject, e.subject) if e.kind == "escalated" else e.subject  # noqa: E731
    assert [(e.t, e.kind, e.actor, renamed(e)) for e in a.events] == [(e.t, e.kind, e.actor, e.subject) for e in b.events]
    for ea, eb in zip(a.events, b.events):
        for key in ("severity", "policy"):
            if key in ea.data and ea.data[key] in POLICY_RENAMED:
                assert eb.data[key] == POLICY_RENAMED[ea.data[key]], (ea, eb)
