"""The incident log measures each metric between the same milestones as scoring:
TTA runs from the first page, as PagerDuty's seconds_to_first_ack does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import math

from incidents import Incident, add_incident, calibrate, get_incident, incidents_of_run, record_drill
from incidents.records import METRICS, MILESTONE_FIELDS
from incident_log_helpers import drill_summary
from scoring import measure
from scoring.definitions import DEFINITIONS

UTC = timezone.utc
T0 = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)


def test_the_log_names_the_scoring_milestones():
    for name, (label, start, end) in METRICS.items():
        d = DEFINITIONS[name]
        assert (label, start, end) == (d.label, MILESTONE_FIELDS[d.start], MILESTONE_FIELDS[d.end])
    assert METRICS["tta"][1:] == ("paged", "acknowledged")


def test_tta_of_an_incident_counts_from_its_page_not_its_detection(store):
    # detected 10:01, paged 10:05, acknowledged 10:07: TTA is 2 minutes, TTD 1 minute.
    inc = Incident(title="late page", started=T0, detected=T0 + timedelta(minutes=1),
                   paged=T0 + timedelta(minutes=5), acknowledged=T0 + timedelta(minutes=7))
    got = get_incident(store, add_incident(store, inc))
    assert got.paged == T0 + timedelta(minutes=5)
    assert got.metrics()["tta"] == 120.0 and got.metrics()["ttd"] == 60.0
    unpaged = get_incident(store, add_incident(store, Incident(title="no page time", started=T0,
                                                             acknowledged=T0 + timedelta(minutes=3))))
    assert unpaged.metrics()["tta"] is None  # nothing to count from, never a guess


def test_calibrate_tta_compares_page_to_ack_on_both_sides(store):
    # Real incidents: paged 10 minutes after detection, acknowledged 2 minutes after the
    # page. Drills acknowledge 2 minutes after the page too: the two agree.
    for i in range(12):
        start = T0 + timedelta(days=i)
        add_incident(store, Incident(title=f"r{i}", started=start, service="api", detected=start,
                                     paged=start + timedelta(minutes=10),
                                     acknowledged=start + timedelta(minutes=12, seconds=i)))
    result = calibrate(store, metric="tta", service="api", drill_values=[120.0 + i for i in range(12)])
    assert result.verdict == "consistent"
    median_real = next(q["real"] for q in result.quantiles if q["q"] == 0.5)
    assert 120 <= median_real <= 132


def test_a_recorded_single_run_has_the_tta_scoring_measured(store):
    drill, scenario = drill_summary(1)
    tl = drill.timeline
    run_id = record_drill(store, drill.result, scenario=scenario, team=drill.result.team, mode="simulated", seed=3,
                          timeline=tl)
    (inc,) = incidents_of_run(store, run_id)
    expected = measure(tl, scenario).values["tta"]
    assert expected is not None and math.isfinite(expected)
    assert inc.metrics()["tta"] == expected
    assert inc.paged == tl.started_at + timedelta(seconds=tl.milestones()["paged"])
