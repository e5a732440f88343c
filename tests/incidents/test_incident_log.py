"""The incident log on SQLite and PostgreSQL (every test taking ``log_url`` or
``store`` runs on both): migrations, records, import/export, concurrency and crashes,
drill recording, stats, patterns, calibration and the ``drillbit log`` commands."""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import incidents
from incidents import (ActionItem, BadRows, Filter, Incident, InvalidRecord, NotFound, StoreError, add_action,
                       add_incident, calibrate, close_action, count_incidents, edit_incident,
                       export_records, find_patterns, get_incident, get_run, import_file, incident_stats,
                       list_actions, list_incidents, migrate, open_store, record_drill)
from incidents.synthetic import generate
from scoring import DrillResult
from incident_log_helpers import OWN_HEADER, drill_summary, own_rows, write_csv, write_own

WORKER = Path(__file__).with_name("incident_log_worker.py")
ROOT = Path(__file__).resolve().parents[2]
UTC = timezone.utc
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def worker(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(WORKER), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# -- migrations -----------------------------------------------------------------------

def test_first_use_creates_the_schema_and_says_so_once(log_url):
    log, message = open_store(log_url)
    assert message is not None and message.startswith("created the incident log at ") and f"(schema {incidents.HEAD})" in message
    assert "\n" not in message
    assert log.read(incidents.store.current_revision) == incidents.HEAD
    log.close()
    again, message = open_store(log_url)
    assert message is None
    assert migrate(again).message.endswith(f"is up to date (schema {incidents.HEAD})")
    again.close()


def test_migrate_on_an_empty_database_then_up_to_date(log_url):
    log = incidents.IncidentLog(incidents.normalize_url(log_url))
    first = migrate(log)
    assert (first.before, first.after, first.changed) == (None, incidents.HEAD, True)
    second = migrate(log)
    assert (second.before, second.changed) == (incidents.HEAD, False)
    log.close()


def test_the_migrations_build_exactly_the_tables_the_code_uses(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from incidents.schema import metadata

    def diff(conn):
        return compare_metadata(MigrationContext.configure(conn), metadata)

    assert store.read(diff) == []


def test_an_outdated_log_is_not_touched_without_permission_and_a_newer_one_is_refused(log_url):
    with pytest.raises(StoreError, match="run `drillbit log migrate`"):
        open_store(log_url, auto_migrate=False)
    log, _ = open_store(log_url)
    log.write(lambda c: c.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="schema 9999, newer than this drillbit"):
        open_store(log_url)
    log.close()


def test_a_database_of_something_else_is_refused(log_url):
    log = incidents.IncidentLog(incidents.normalize_url(log_url))
    log.write(lambda c: c.exec_driver_sql("CREATE TABLE incidents (x INTEGER)"))
    with pytest.raises(StoreError, match="not a drillbit incident log"):
        open_store(log_url)
    log.close()


# -- records --------------------------------------------------------------------------

def test_add_get_edit_and_list_incidents_with_tz_aware_times(store):
    berlin = timezone(timedelta(hours=1))
    started = datetime(2026, 11, 2, 3, 0, tzinfo=berlin)
    new_id = add_incident(store, Incident(title="Checkout 500s", started=started, service="checkout", severity="P1",
                                          detected=started + timedelta(minutes=4), resolved=started + timedelta(hours=1),
                                          tags=("db", "edge")))
    inc = get_incident(store, new_id)
    assert inc.started == started and inc.started.utcoffset() == timedelta(hours=1)
    assert inc.metrics() == {"ttd": 240.0, "tta": None, "ttm": None, "ttr": 3600.0}
    assert inc.tags == ("db", "edge") and inc.kind == "real"
    edited = edit_incident(store, new_id, {"root_cause": "config-change", "detected": None}, add_tags=("x",),
                           remove_tags=("db",))
    assert edited.root_cause == "config-change" and edited.detected is None and edited.tags == ("edge", "x")
    assert get_incident(store, new_id) == edited
    add_incident(store, Incident(title="drill", started=started, kind="drill"))
    assert sorted(i.kind for i in list_incidents(store, Filter(kind=None))) == ["drill", "real"]
    assert [i.kind for i in list_incidents(store)] == ["real"]  # real incidents unless asked
    assert [i.id for i in list_incidents(store, Filter(tag="edge"))] == [new_id]
    assert list_incidents(store, Filter(kind="drill"))[0].title == "drill"


def test_records_that_break_the_rules_are_refused_with_the_field_named(store):
    with pytest.raises(InvalidRecord, match=r"^resolved: expected a time at or after started"):
        add_incident(store, Incident(title="x", started=T0, resolved=T0 - timedelta(minutes=1)))
    with pytest.raises(InvalidRecord, match="kind: expected 'real' or 'drill'"):
        add_incident(store, Incident(title="x", started=T0, kind="fire"))
    with pytest.raises(NotFound, match="no incident 42"):
        get_incident(store, 42)
    with pytest.raises(NotFound, match="no drill run 7"):
        add_incident(store, Incident(title="x", started=T0, drill_run_id=7))
    with pytest.raises(InvalidRecord, match="not a field that can be edited"):
        edit_incident(store, 1, {"id": 3})
    assert count_incidents(store) == 0


def test_action_items_list_overdue_first_and_close(store):
    today = date(2026, 11, 27)
    late = add_action(store, ActionItem(title="Late", owner="bob", due=date(2026, 11, 1)))
    later = add_action(store, ActionItem(title="Later", owner="alice", due=date(2026, 12, 24)))
    undated = add_action(store, ActionItem(title="Someday", owner="alice"))
    soon = add_action(store, ActionItem(title="Soon", owner="carol", due=date(2026, 11, 30)))
    assert [a.id for a in list_actions(store, today=today)] == [late, soon, later, undated]
    assert [a.id for a in list_actions(store, owner="alice", today=today)] == [later, undated]
    done = close_action(store, late, note="fixed")
    assert done.status == "done" and done.closed is not None and done.note == "fixed"
    assert [a.id for a in list_actions(store, today=today)] == [soon, later, undated]
    assert close_action(store, soon, status="dropped").status == "dropped"
    with pytest.raises(NotFound):
        close_action(store, 99)


# -- import and export ----------------------------------------------------------------

def test_importing_the_same_file_twice_creates_no_duplicates(store, tmp_path):
    path = write_own(tmp_path / "incidents.csv", 300)
    first = import_file(store, path, chunk=100)
    assert (first.rows_read, first.inserted, first.already_present, first.format) == (300, 300, 0, "drillbit")
    second = import_file(store, path, chunk=100)
    assert (second.inserted, second.already_present) == (0, 300)
    assert count_incidents(store) == 300
    inc = list_incidents(store, limit=1)[0]
    assert inc.tags == ("a", "b") and inc.metrics()["ttr"] == 540.0


def test_a_reimport_fills_in_what_the_file_now_knows(store, tmp_path):
    rows = own_rows(3)
    for r in rows:
        r[9] = ""  # not resolved yet
    path = write_csv(tmp_path / "a.csv", OWN_HEADER, rows)
    import_file(store, path)
    assert all(i.resolved is None for i in list_incidents(store))
    import_file(store, write_csv(tmp_path / "b.csv", OWN_HEADER, own_rows(3)))
    assert count_incidents(store) == 3 and all(i.resolved is not None for i in list_incidents(store))


def test_bad_rows_are_reported_with_row_numbers_and_nothing_is_imported(store, tmp_path):
    rows = own_rows(6)
    rows[1][5] = "yesterday"                     # row 3
    rows[3][9] = "2026-09-01T00:00:00+00:00"     # row 5: resolved before started
    rows[4][5] = "2026-10-01T00:00:00"           # row 6: no offset
    rows[5][1] = "inc-0"                         # row 7: the same record twice
    path = write_csv(tmp_path / "bad.csv", OWN_HEADER, rows)
    with pytest.raises(BadRows) as info:
        import_file(store, path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:3: started: expected an ISO 8601 time with an offset such as 2026-11-27T03:00:00+01:00, got 'yesterday'",
        f"{path}:5: resolved: expected a time at or after started (2026-10-01T00:30:00+00:00), got 2026-09-01T00:00:00+00:00",
        f"{path}:6: started: expected a time with an offset (e.g. 2026-10-01T00:00:00+00:00), got '2026-10-01T00:00:00'",
        f"{path}:7: external_id: expected each record once, got 'inc-0' again (first on row 2)",
    ]
    assert info.value.headline == "4 bad rows of 6; nothing was imported (--skip-bad imports the 2 good rows)"
    assert count_incidents(store) == 0
    result = import_file(store, path, skip_bad=True)
    assert (result.inserted, result.skipped, len(result.problems)) == (2, 4, 4)
    assert count_incidents(store) == 2


def test_unknown_columns_and_a_missing_required_one_are_named(store, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["title", "strated", "servce"], [["a", "2026-10-01T00:00:00+00:00", "api"]])
    with pytest.raises(BadRows) as info:
        import_file(store, path)
    text = str(info.value)
    assert f"{path}:1: started: expected a column 'started', found title, strated, servce" in text
    assert f"{path}:1: servce: unknown column; did you mean 'service'?" in text


def test_pagerduty_export_with_a_column_mapping(store, tmp_path):
    header = ["incident_number", "title", "Opened", "resolved_at", "urgency", "service_name", "seconds_to_first_ack",
              "seconds_to_resolve", "escalation_count"]
    rows = [
        [101, "API down", "2026-10-01T10:00:00Z", "2026-10-01T11:00:00Z", "high", "api", 120, 3600, 1],
        [102, "Slow search", "2026-10-02T10:00:00+02:00", "", "low", "search", 600, 7200, 0],
    ]
    path = write_csv(tmp_path / "pd.csv", header, rows)
    result = import_file(store, path, mapping={"created_at": "Opened"})
    assert (result.format, result.inserted) == ("pagerduty", 2)
    by_title = {i.title: i for i in list_incidents(store)}
    api = by_title["API down"]
    assert (api.source, api.external_id, api.severity, api.service) == ("pagerduty", "101", "high", "api")
    assert api.metrics() == {"ttd": None, "tta": 120.0, "ttm": None, "ttr": 3600.0}
    assert by_title["Slow search"].resolved == datetime(2026, 10, 2, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert import_file(store, path, mapping={"created_at": "Opened"}).inserted == 0
    with pytest.raises(InvalidRecord, match="--map creatd_at=…: 'creatd_at' is not a pagerduty field; did you mean 'created_at'"):
        import_file(store, path, fmt="pagerduty", mapping={"creatd_at": "Opened"})


def test_export_then_import_elsewhere_gives_the_same_incidents(store, tmp_path, log_url):
    import_file(store, write_own(tmp_path / "a.csv", 20))
    add_incident(store, Incident(title="by hand", started=T0, severity="P1", deploy_related=True, tags=("x",)))
    for fmt in ("csv", "json"):
        out = tmp_path / f"export.{fmt}"
        with open(out, "w", encoding="utf-8", newline="") as f:
            assert export_records(store, f, fmt=fmt) == 21
        other, _ = open_store(f"sqlite:///{tmp_path / f'other-{fmt}.db'}")
        assert import_file(other, out).inserted == 21
        strip = lambda incs: sorted(({**i.to_json(), "id": None} for i in incs), key=lambda d: d["external_id"])  # noqa: E731
        assert strip(list_incidents(other, Filter(kind=None))) == strip(list_incidents(store, Filter(kind=None)))
        assert import_file(store, out).inserted == 0  # re-importing an export is idempotent too
        other.close()


def test_deploys_import_idempotently(store, tmp_path):
    path = write_csv(tmp_path / "d.csv", ["service", "at", "version"],
                     [["api", "2026-10-01T10:00:00+00:00", "v1"], ["api", "2026-10-02T10:00:00+00:00", "v2"]])
    assert import_file(store, path, what="deploys").inserted == 2
    assert import_file(store, path, what="deploys").inserted == 0
    assert [d.version for d in incidents.list_deploys(store)] == ["v2", "v1"]


# -- concurrency and crashes ----------------------------------------------------------

def test_concurrent_writers_in_several_processes_lose_nothing(store, log_url, tmp_path):
    go = tmp_path / "go"
    files = [write_own(tmp_path / f"w{i}.csv", 1000, prefix=f"w{i}", day=i + 1) for i in range(2)]
    procs = [worker("add", log_url, "40", f"adder{i}", str(go)) for i in range(2)]
    procs += [worker("import", log_url, str(f), str(go)) for f in files]
    time.sleep(0.5)
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert count_incidents(store) == 2 * 40 + 2 * 1000
    for i in range(2):
        assert len(list_incidents(store, Filter(tag=f"adder{i}"))) == 40


def test_processes_using_a_new_log_at_once_migrate_it_once(log_url, tmp_path):
    go = tmp_path / "go"
    procs = [worker("add", log_url, "3", f"first{i}", str(go)) for i in range(3)]
    go.touch()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    log, message = open_store(log_url)
    assert message is None and count_incidents(log) == 9
    log.close()


def test_a_process_killed_mid_import_leaves_nothing_of_it(store, log_url, tmp_path):
    path = write_own(tmp_path / "big.csv", 3000)
    marker = tmp_path / "written"
    p = worker("hang-import", log_url, str(path), str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert p.poll() is None, p.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert int(marker.read_text()) >= 500  # rows were written inside the open transaction
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert count_incidents(store) == 0
    assert import_file(store, path).inserted == 3000  # and the log is not left locked


def test_a_kill_at_any_moment_leaves_all_or_none(store, log_url, tmp_path):
    path = write_own(tmp_path / "big.csv", 3000)
    p = worker("slow-import", log_url, str(path))
    time.sleep(random.uniform(0.3, 2.0))
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert count_incidents(store) in (0, 3000)


# -- drills ---------------------------------------------------------------------------

def test_record_drill_stores_the_run_its_metrics_samples_findings_and_actions(store, tmp_path):
    drill, scenario = drill_summary(12)
    result = drill.result
    run_id = record_drill(store, result, scenario=scenario, team=result.team, mode="simulated", seed=3,
                          report_path=tmp_path / "report.html",
                          samples={"ttr": [600.0, 900.0, math.inf, None], "ttd": [60.0]})
    run, found, actions = get_run(store, run_id)
    assert (run.scenario, run.mode, run.seed, run.runs, run.team) == (scenario.id, "simulated", 3, 12, result.team)
    assert run.severity == scenario.severity and set(run.services) == set(scenario.services)
    assert run.metrics["ttr"]["reached"] == result.metrics["ttr"].reached
    assert run.metrics["ttr"]["median"] == pytest.approx(result.metrics["ttr"].median)
    assert [f.rule for f in found] == [f.rule for f in result.findings]
    assert len(actions) == len(result.action_items) and all(a.status == "open" for a in actions)
    assert all(a.finding_id is not None for a in actions)
    stored = store.read(lambda c: c.exec_driver_sql(f"SELECT summary FROM drill_runs WHERE id = {run_id}").scalar_one())
    assert DrillResult.from_json(stored) == result  # the summary column is summary.json
    values = calibrate(store, scenario=scenario.id, metric="ttr").drill_count
    assert values == 4
    kept = store.read(lambda c: c.exec_driver_sql(
        f"SELECT metric, value FROM drill_samples WHERE run_id = {run_id} ORDER BY metric, value").all())
    # a missed run (inf, None) is stored NULL, never zero; SQL sorts NULL first
    assert sorted(map(tuple, kept), key=lambda r: (r[0], r[1] is not None, r[1] or 0)) == [
        ("ttd", 60.0), ("ttr", None), ("ttr", None), ("ttr", 600.0), ("ttr", 900.0)]


def test_record_drill_reads_per_run_samples_from_the_timelines_file(store, tmp_path):
    from scenarios.timeline import write_jsonl
    from drillbit.resolve import resolve
    from simulator import simulate_many
    from incident_log_helpers import START

    drill, scenario = drill_summary(12)
    inputs = resolve(scenario.id)
    path = tmp_path / "timelines.jsonl"
    write_jsonl(path, simulate_many(inputs.scenario, inputs.team, inputs.runbooks, runs=5, seed=1, start=START))
    result = DrillResult.from_json({**drill.result.to_dict(), "runs": 5, "timelines": str(path)})
    run_id = record_drill(store, result, scenario=scenario.id, team=None, mode="simulated", seed=1)
    result = calibrate(store, scenario=scenario.id, metric="ttr")
    assert result.drill_count == 5 and result.real_count == 0 and result.verdict == "not comparable"
    assert get_run(store, run_id)[0].services == ()


def test_a_single_run_drill_is_also_a_drill_incident_left_out_of_real_stats(store):
    drill, scenario = drill_summary(1)
    run_id = record_drill(store, drill.result, scenario=scenario, team=drill.result.team, mode="tabletop", seed=3,
                          timeline=drill.timeline)
    drills = incidents.incidents_of_run(store, run_id)
    assert len(drills) == 1 and drills[0].kind == "drill" and drills[0].severity == scenario.severity
    assert drills[0].metrics()["ttr"] == pytest.approx(drill.result.metrics["ttr"].median, abs=0.01)
    assert incident_stats(store, by="all", metrics=("ttr",)).incidents == 0
    assert incident_stats(store, Filter(kind=None), by="all", metrics=("ttr",)).incidents == 1


def test_a_game_day_detected_before_its_probe_failed_starts_the_incident_at_the_detection(store):
    # Monitoring can alert before a coarse probe first fails; the incident began no
    # later than it was seen.
    from scenarios.timeline import new_event, new_timeline

    drill, scenario = drill_summary(1)
    tl = drill.timeline
    impact = tl.milestone("impact")
    events = sorted((new_event(impact - 5.0 if e.kind == "detected" else e.t, e.kind, e.actor, e.subject, e.data)
                     for e in tl.events), key=lambda e: e.t)
    live = new_timeline(tl.scenario, "live", None, None, tl.started_at, tl.team, tuple(events))
    run_id = record_drill(store, drill.result, scenario=scenario, team=drill.result.team, mode="live", seed=None,
                          timeline=live)
    (incident,) = incidents.incidents_of_run(store, run_id)
    assert incident.started == tl.started_at + timedelta(seconds=impact - 5.0)
    assert incident.detected == incident.started


def test_record_drill_refuses_a_document_an_unknown_mode_or_a_timeline_of_many_runs(store):
    batch, _ = drill_summary(12)
    with pytest.raises(InvalidRecord, match="expected a scoring.DrillResult, got dict"):
        record_drill(store, batch.result.to_dict(), scenario="x", team=None, mode="simulated", seed=1)
    with pytest.raises(InvalidRecord, match="mode: expected one of simulated, tabletop, live"):
        record_drill(store, batch.result, scenario="x", team=None, mode="sim", seed=1)
    with pytest.raises(InvalidRecord, match="a drill of 12 runs has no single run"):
        record_drill(store, batch.result, scenario="x", team=None, mode="simulated", seed=1, timeline=batch.timeline)
    with pytest.raises(NotFound):
        get_run(store, 1)  # nothing was stored


# -- stats, patterns, calibration on planted data -------------------------------------

@pytest.fixture
def planted(store, tmp_path):
    """Four whole months of synthetic incidents (September to December 2025, a planted
    50% faster recovery in the last 30 days) and their deploys, imported."""
    syn = generate(4000, seed=11, days=122, start=datetime(2025, 9, 1, tzinfo=UTC), services=6,
                   last_month_ttr_factor=0.5)
    syn.write_incidents(tmp_path / "i.csv")
    syn.write_deploys(tmp_path / "d.csv")
    import_file(store, tmp_path / "i.csv")
    import_file(store, tmp_path / "d.csv", what="deploys")
    return store, syn


def test_stats_find_the_planted_medians_and_the_planted_improvement(planted):
    store, syn = planted
    change = datetime(2025, 12, 2, tzinfo=UTC)  # the planted 50% faster recovery starts here
    before = incident_stats(store, Filter(until=change), by="all", groups=("severity",), metrics=("ttr",),
                            confidence=0.99)
    for row in before.rows:
        sev, st = row.group["severity"], row.metrics["ttr"]
        assert st.median_ci[0] <= syn.planted["ttr_median"][sev] <= st.median_ci[1], (sev, st)
        assert st.count == int(np.sum((syn.severity == sev) & (syn.started < change.timestamp())))
        assert st.mean > st.median  # a heavy tail: the mean alone would mislead
    report = incident_stats(store, by="month", groups=("severity",), metrics=("ttr", "ttd"))
    assert report.incidents == len(syn)
    assert [r.period for r in report.rows if r.period != "all"][:1] == ["2025-09"]
    ttr, ttd = (next(t for t in report.trends if t.metric == m) for m in ("ttr", "ttd"))
    assert (ttr.previous, ttr.latest) == ("2025-11", "2025-12")
    assert ttr.verdict == "improved" and ttr.sentence.startswith("TTR: median ")
    assert ttd.verdict == "not distinguishable from noise" and "not distinguishable from noise" in ttd.sentence


def test_a_small_change_in_few_incidents_is_called_noise_with_the_volume_needed(store):
    rng = np.random.default_rng(5)
    for month, factor in ((1, 1.0), (2, 0.9)):
        for i, d in enumerate(rng.lognormal(np.log(3600), 1.0, 25) * factor):
            start = datetime(2026, month, 1 + i, 12, tzinfo=UTC)
            add_incident(store, Incident(title="x", started=start, resolved=start + timedelta(seconds=float(d))))
    trend = incident_stats(store, metrics=("ttr",)).trends[0]
    assert trend.verdict == "not distinguishable from noise"
    assert trend.detect_share is not None and trend.detect_share < 0.8 and trend.needed_per_period > 25
    assert f"about {trend.needed_per_period:,} incidents per period are needed" in trend.sentence


def test_patterns_find_what_was_planted(planted):
    store, syn = planted
    report = find_patterns(store, window_hours=2)
    deploy = {g["severity"]: g for g in report.deploy_groups}
    assert deploy[None]["significant"] and deploy[None]["lift"] > 3
    assert max((g for g in report.deploy_groups if g["severity"]), key=lambda g: g["lift"])["severity"] == "P1"
    sentence = next(f.sentence for f in report.findings if f.kind == "deploys" and f.numbers["severity"] == "P1")
    assert sentence.startswith(f"{deploy['P1']['share'] * 100:.0f}% of P1 incidents began within 2h after a deploy")
    assert sentence.endswith("p < 0.001") and "x the base rate" in sentence
    weekday = next(f for f in report.findings if f.kind == "weekday")
    assert weekday.significant and weekday.numbers["per_weekend_day"] < weekday.numbers["per_weekday"]
    hour = next(f for f in report.findings if f.kind == "hour")
    assert hour.significant and hour.numbers["busiest_hour"] in syn.planted["peak_hours"]
    assert report.root_causes[0]["name"] == syn.planted["top_cause"]
    assert report.services[0]["name"] == syn.planted["hot_service"]
    assert sum(map(sum, report.heatmap)) == len(syn)


def test_no_deploy_link_is_reported_as_chance(store, tmp_path):
    syn = generate(1500, seed=4, days=84, deploy_share=0.0)
    syn.write_incidents(tmp_path / "i.csv")
    syn.write_deploys(tmp_path / "d.csv")
    import_file(store, tmp_path / "i.csv")
    import_file(store, tmp_path / "d.csv", what="deploys")
    report = find_patterns(store)
    overall = next(g for g in report.deploy_groups if g["severity"] is None)
    assert not overall["significant"] and 0.5 < overall["lift"] < 1.6
    assert "not distinguishable from chance" in next(f.sentence for f in report.findings if f.kind == "deploys")


def test_calibrate_tells_an_optimistic_drill_model_from_a_faithful_one(store):
    rng = np.random.default_rng(9)
    for i, d in enumerate(rng.lognormal(np.log(7200), 0.8, 60)):
        start = T0 + timedelta(hours=i)
        add_incident(store, Incident(title="x", started=start, service="api", severity="P1",
                                     resolved=start + timedelta(seconds=float(d))))
    fast = rng.lognormal(np.log(1800), 0.8, 200)
    same = rng.lognormal(np.log(7200), 0.8, 200)
    optimistic = calibrate(store, service="api", severity="P1", drill_values=list(fast))
    assert optimistic.verdict == "optimistic" and optimistic.real_count == 60 and optimistic.drill_count == 200
    assert optimistic.sentence.startswith("the drill model is optimistic about time to recover (TTR) for P1 api")
    q50 = next(q for q in optimistic.quantiles if q["q"] == 0.5)
    assert q50["drill"] < q50["real"]
    assert calibrate(store, service="api", severity="P1", drill_values=list(same)).verdict == "consistent"


# -- the command ----------------------------------------------------------------------

def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    from drillbit.cli import main

    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


def test_cli_import_reports_bad_rows_and_exits_2(capsys, log_url, tmp_path):
    rows = own_rows(3)
    rows[2][6] = "soon"
    path = write_csv(tmp_path / "bad.csv", OWN_HEADER, rows)
    code, out, err = run_cli(capsys, "log", "--db", log_url, "import", str(path))
    assert code == 2
    assert err.splitlines()[0].startswith("created the incident log at ")
    assert f"{path}:4: detected: expected an ISO 8601 time with an offset" in err
    assert "1 bad row of 3; nothing was imported (--skip-bad imports the 2 good rows)" in err
    code, out, err = run_cli(capsys, "log", "--db", log_url, "import", str(path), "--skip-bad", "--json")
    assert code == 0 and json.loads(out)["inserted"] == 2 and "created" not in err


def test_cli_add_list_show_stats_patterns_actions_export_migrate(capsys, log_url, tmp_path):
    db = ("log", "--db", log_url)
    code, _, _ = run_cli(capsys, *db, "add", "--title", "API down", "--service", "api", "--severity", "P1",
                         "--started", "2026-10-01T10:00:00+02:00", "--resolved", "2026-10-01T11:30:00+02:00")
    assert code == 0
    run_cli(capsys, *db, "import", str(write_own(tmp_path / "a.csv", 30)))
    run_cli(capsys, *db, "add", "deploy", "--service", "api", "--at", "2026-10-01T09:30:00+02:00", "--version", "v7")
    run_cli(capsys, *db, "add", "action", "--title", "Add a canary", "--owner", "alice", "--due", "2020-01-01",
            "--incident", "1")
    code, out, _ = run_cli(capsys, *db, "list", "--json", "--limit", "5")
    assert code == 0 and len(json.loads(out)["incidents"]) == 5
    code, out, _ = run_cli(capsys, *db, "show", "1", "--json")
    doc = json.loads(out)
    assert doc["incident"]["metrics"]["ttr"] == 5400.0 and doc["action_items"][0]["overdue"] is True
    code, out, _ = run_cli(capsys, *db, "edit", "1", "--root-cause", "deploy", "--add-tag", "canary", "--json")
    assert json.loads(out)["incident"]["tags"] == ["canary"]
    code, out, _ = run_cli(capsys, *db, "stats", "--by", "quarter", "--metric", "ttr", "--json")
    doc = json.loads(out)
    assert doc["incidents"] == 31 and doc["rows"][0]["metrics"]["ttr"]["count"] == 31
    code, out, _ = run_cli(capsys, *db, "stats", "--metric", "ttr")
    assert code == 0 and "means are shown only beside medians" in out
    code, out, _ = run_cli(capsys, *db, "patterns", "--json")
    assert code == 0 and json.loads(out)["incidents"] == 31
    code, out, _ = run_cli(capsys, *db, "patterns")
    assert code == 0 and "Mon" in out
    code, out, _ = run_cli(capsys, *db, "actions", "--json")
    doc = json.loads(out)
    assert doc["overdue"] == 1 and doc["action_items"][0]["title"] == "Add a canary"
    code, out, _ = run_cli(capsys, *db, "actions", "--close", "1")
    assert code == 0 and "is done" in out
    code, out, _ = run_cli(capsys, *db, "export", "--out", str(tmp_path / "e.json"))
    assert code == 0 and len(json.loads((tmp_path / "e.json").read_text())["incidents"]) == 31
    code, out, _ = run_cli(capsys, *db, "migrate")
    assert code == 0 and out.strip().endswith(f"is up to date (schema {incidents.HEAD})")
    code, out, err = run_cli(capsys, *db, "show", "999")
    assert code == 2 and "no incident 999" in err


def test_cli_drill_runs_findings_calibrate_and_other_exports(capsys, store, log_url, tmp_path):
    from scenarios.timeline import write_jsonl
    from drillbit.resolve import resolve
    from simulator import simulate_many
    from incident_log_helpers import START

    drill, scenario = drill_summary(12)
    run_id = record_drill(store, drill.result, scenario=scenario, team=drill.result.team, mode="simulated", seed=3)
    db = ("log", "--db", log_url)
    code, out, _ = run_cli(capsys, *db, "list", "runs", "--json")
    assert code == 0 and json.loads(out)["runs"][0]["scenario"] == scenario.id
    code, out, _ = run_cli(capsys, *db, "show", str(run_id), "--run", "--json")
    assert len(json.loads(out)["findings"]) == len(drill.result.findings)
    code, out, _ = run_cli(capsys, *db, "show", str(run_id), "--run")
    assert code == 0 and "findings" in out
    code, out, _ = run_cli(capsys, *db, "list", "findings", "--json")
    assert {f["rule"] for f in json.loads(out)["findings"]} == {f.rule for f in drill.result.findings}
    for what in ("actions", "runs", "findings", "deploys"):
        code, out, _ = run_cli(capsys, *db, "export", what, "--format", "csv")
        assert code == 0 and out.startswith("id,")
    inputs = resolve(scenario.id)
    path = tmp_path / "t.jsonl"
    write_jsonl(path, simulate_many(inputs.scenario, inputs.team, inputs.runbooks, runs=8, seed=2, start=START))
    for i in range(6):
        start = T0 + timedelta(days=i)
        add_incident(store, Incident(title="real", started=start, service="edge", severity=scenario.severity,
                                     resolved=start + timedelta(hours=10 + i)))
    code, out, _ = run_cli(capsys, *db, "calibrate", "--service", "edge", "--severity", scenario.severity,
                           "--timelines", str(path), "--json")
    doc = json.loads(out)
    assert code == 0 and (doc["drill_count"], doc["real_count"]) == (8, 6) and doc["verdict"] in (
        "optimistic", "pessimistic", "consistent")
    code, out, _ = run_cli(capsys, *db, "calibrate", "--service", "edge", "--severity", scenario.severity,
                           "--timelines", str(path))
    assert code == 0 and "p50" in out


def test_the_workspace_log_is_a_sqlite_file_beside_drillbit_yaml(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DRILLBIT_DB", raising=False)
    (tmp_path / "drillbit.yaml").write_text("workspace: w\nincident_log: sqlite:///logs/incidents.db\n")
    (tmp_path / "deep").mkdir()
    monkeypatch.chdir(tmp_path / "deep")
    code, out, err = run_cli(capsys, "log", "list", "--json")
    assert code == 0 and (tmp_path / "logs" / "incidents.db").is_file()
    assert incidents.resolve_url(None, env={}, workspace_root=tmp_path, workspace_url="sqlite:///x.db") == \
        f"sqlite:///{tmp_path / 'x.db'}"
    assert incidents.resolve_url(None, env={"DRILLBIT_DB": "postgresql://u@h/db"}) == "postgresql+psycopg://u@h/db"


def test_the_package_loads_neither_click_nor_rich():
    code = "import sys, incidents; print(','.join(m for m in ('click', 'rich') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == ""


def test_a_period_still_under_way_is_shown_but_not_trended(store):
    rng = np.random.default_rng(6)
    for month in (9, 10, 11):
        for i, d in enumerate(rng.lognormal(np.log(3600), 0.5, 10)):
            start = datetime(2026, month, 1 + i, 12, tzinfo=UTC)
            add_incident(store, Incident(title="x", started=start, resolved=start + timedelta(seconds=float(d))))
    mid_november = datetime(2026, 11, 15, tzinfo=UTC)
    report = incident_stats(store, metrics=("ttr",), now=mid_november)
    assert "2026-11" in {r.period for r in report.rows}
    assert (report.trends[0].previous, report.trends[0].latest) == ("2026-09", "2026-10")
    december = incident_stats(store, metrics=("ttr",), now=datetime(2026, 12, 2, tzinfo=UTC))
    assert (december.trends[0].previous, december.trends[0].latest) == ("2026-10", "2026-11")
