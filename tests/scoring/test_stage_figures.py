"""Per-stage figures and the stage-undetected gap rule, on timelines written by hand."""

from __future__ import annotations

import math
from datetime import date

from scoring import find_gaps, score_many
from scoring.definitions import definition
from scoring.metrics import measure
from scoring.summary import summarise

from scoring_timelines import START, ev, scenario, team, timeline

DAY = 86400.0

STAGED = """
id: leak
title: A laptop, then the backups
kind: breach
severity: P1
services: [api, backups]
stages:
  - {id: laptop, title: A laptop}
  - {id: cloud-backups, title: The backups, survives_containment: true}
injects:
  - {at: 0s, fault: {kind: malware, service: api, impact: none}}
  - {at: 4d, stage: cloud-backups, fault: {kind: exfiltration, service: backups, impact: none}}
monitoring: [{alert: Odd, on: security}]
breach:
  notify:
    - {who: leadership, within: 1h}
    - {who: customers, within: 7d, stage: cloud-backups}
"""


def found_run():
    """Laptop: started 0s, detected 1h, contained 3h. Backups: started 4d, detected
    79d (a dwell of 75d), contained 80d; customers told at 114d; leadership at 2h."""
    return timeline(
        ev(0, "drill_started", "leak"),
        ev(0, "stage_started", "laptop", stage="laptop", title="A laptop"),
        ev(0, "impact_started", "api"),
        ev(3600, "detected", "Odd", via="alert", fallback=False),
        ev(3600, "stage_detected", "Odd", stage="laptop", via="alert", fallback=False),
        ev(7200, "notified", "leadership", who="leadership", within=3600),
        ev(3 * 3600, "contained", "leak", stage="laptop"),
        ev(4 * DAY, "stage_started", "cloud-backups", stage="cloud-backups", title="The backups"),
        ev(79 * DAY, "stage_detected", "Odd", stage="cloud-backups", via="alert", fallback=False, reopened=True),
        ev(80 * DAY, "contained", "leak", stage="cloud-backups"),
        ev(114 * DAY, "notified", "customers", who="customers", within=7 * DAY, stage="cloud-backups"),
        scenario_id="leak")


def unseen_run():
    """The backups start at 4d and nothing ever detects them."""
    events = [e for e in found_run().events if e.t < 79 * DAY]
    return timeline(*events, scenario_id="leak")


def test_stage_metrics_are_differences_of_the_stage_s_own_milestones():
    v = measure(found_run(), scenario(STAGED)).values
    assert v["ttd"] == 3600 and v["contain"] == 2 * 3600  # the incident's: first detection, first containment
    assert v["stage_dwell_laptop"] == 3600
    assert v["stage_dwell_cloud_backups"] == 75 * DAY  # 4d -> 79d
    assert v["stage_contain_cloud_backups"] == DAY  # 79d -> 80d
    assert v["notify_customers"] == 35 * DAY  # from the stage's detection (79d), not the incident's (1h)
    assert v["notify_leadership"] == 3600  # not tied to a stage: from the first detection, as before


def test_an_unseen_stage_misses_its_dwell_and_its_notification():
    v = measure(unseen_run(), scenario(STAGED)).values
    assert math.isinf(v["stage_dwell_cloud_backups"]) and math.isinf(v["notify_customers"])
    assert v["stage_contain_cloud_backups"] is None  # never detected: nothing to contain from


def test_stage_metrics_have_names_in_words():
    assert definition("stage_dwell_cloud_backups").label == "dwell time of stage cloud-backups"
    assert definition("stage_contain_laptop").label == "time to contain stage laptop"


def test_summary_json_carries_the_stage_figures():
    sc, tm = scenario(STAGED), team()
    batch = score_many([found_run(), unseen_run()], sc, tm)
    doc = summarise(batch, sc, tm.team, [], date(2026, 1, 5)).model_dump(mode="json")
    dwell = doc["metrics"]["stage_dwell_cloud_backups"]
    assert dwell["label"] == "dwell time of stage cloud-backups"
    assert dwell["reached"] == 1 and dwell["missed"] == 1  # one run found it, one never did


def rules(timelines):
    sc, tm = scenario(STAGED), team()
    return [f for f in find_gaps(sc, tm, [], start=START, batch=score_many(timelines, sc, tm))
            if f.rule == "stage-undetected"]


def test_stage_undetected_fires_for_a_stage_unseen_or_found_after_its_deadline():
    # Found after 75d against the customers' 7d: late in 1 of 1 runs it started in.
    (late,) = rules([found_run()])
    assert late.subject == "cloud-backups" and late.severity == "critical"
    assert "in 100% of the 1 runs it started in" in late.evidence and "7d after it started" in late.evidence
    # Unseen in one run of two, late in the other: 2 of 2.
    (both,) = rules([found_run(), unseen_run()])
    assert "100% of the 2 runs" in both.evidence


def test_stage_undetected_is_quiet_when_every_stage_is_found_in_time():
    quick = timeline(*[e if e.kind != "stage_detected" or e.data["stage"] != "cloud-backups"
                       else ev(5 * DAY, "stage_detected", "Odd", stage="cloud-backups", via="alert", fallback=False)
                       for e in found_run().events], scenario_id="leak")
    assert rules([quick]) == []  # 1d after it started: inside the 7d deadline


def test_the_stage_figures_can_be_charted():
    from scoring.series import RunSeries

    sc, tm = scenario(STAGED), team()
    series = RunSeries.of_score(score_many([found_run(), unseen_run()], sc, tm))
    d = series.distribution("stage_dwell_cloud_backups")
    assert (d.runs, d.reached) == (2, 1) and d.steps_x == (75 * DAY,) and d.steps_y == (0.5,)
