"""The post-mortem and the status page of a drill whose containment is the outage: the
impact table names it as caused by the response, the customer sentence says so, the
recovery stages are listed with their shares, and the weighted outage is shown beside
TTR. Expectations come from the run's own events (the times) and the scenario file
(the shares), never from another report."""

from __future__ import annotations

import pytest

from reports import fmt
from report_cases import make_case


@pytest.fixture(scope="module")
def case():
    return make_case("leak", "permissions-script-access-cut", runs=1, seed=5, start="2026-11-06T13:00:00+00:00")


def test_the_postmortem_counts_the_containment_as_customer_impact(case):
    text = case.render("postmortem")
    tl = case.timeline
    cut = tl.first("impact_started", caused_by="response")
    clock = fmt.Clock(tl.started_at, case.team.timezone)
    row = (f"| salesforce-orgs | outage of 100% of orgs with Pardot (caused by the response: containment) | "
           f"{clock.time(cut.t)} |")
    assert row in text
    # the customer sentence names it, although no fault of the scenario hits salesforce-orgs
    assert "customers experienced an outage of salesforce-orgs (100% of orgs with Pardot, caused by the response: containment)" in text
    # the internal leak is not shown with a share of "none"
    assert "none of 40%" not in text
    restored = tl.find("impact_restored")
    assert len(restored) == 2  # stages 1 and 2 of 3; the third is the recovery
    for e in restored:
        share = {0.6: "60%", 0.85: "85%"}[e.data["restored"]]
        assert (f"- Recovery stage {e.data['stage']} of 3: {share} of orgs with Pardot restored at "
                f"{clock.time(e.t)} ({fmt.offset(e.t)})") in text
    assert "- Weighted outage (share out × time): " in text and "customer-hours" in text
    assert "_(gap rule collateral-impact)_" in text


def test_the_status_page_shows_the_cut_as_an_outage(case):
    html = case.render("status")
    assert "salesforce-orgs" in html and "Major outage" in html


def test_status_states_of_a_partial_impact_and_of_a_timed_response_impact():
    """A fault on 40% of the tenants is a partial outage from the start (not a major
    one); a response's cut of auth is a major outage until its own impact_restored."""
    from datetime import datetime, timezone

    from reports.status import _states
    from scenarios.timeline import new_event, new_timeline

    events = (
        new_event(0.0, "impact_started", "crash", "api", {"fault": "crash", "service": "api", "impact": "outage",
                                                          "share": 0.4, "of": "tenants"}),
        new_event(600.0, "impact_started", "bob", "auth", {"fault": "response", "service": "auth", "impact": "outage",
                                                           "caused_by": "response", "action": "mitigation"}),
        new_event(4200.0, "impact_restored", "system", "auth", {"service": "auth", "restored": 1.0,
                                                                "caused_by": "response", "action": "mitigation"}),
    )
    tl = new_timeline("s", "simulated", 0, 0, datetime(2026, 1, 5, tzinfo=timezone.utc), None, events)
    services = ["api", "auth"]
    assert _states(tl, services, 300.0, "investigating") == {"api": "partial_outage", "auth": "operational"}
    assert _states(tl, services, 900.0, "investigating") == {"api": "partial_outage", "auth": "major_outage"}
    assert _states(tl, services, 4200.0, "investigating") == {"api": "partial_outage", "auth": "operational"}
