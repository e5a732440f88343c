"""``drillbit export chaostoolkit``: a game day's folder, written by ``drillbit gameday``
with the fakes of test_gameday_command (no Docker), as a Chaos Toolkit journal.

JOURNAL is the journal's shape as chaostoolkit-lib builds it (chaoslib/run.py
``initialize_run_journal`` and the end of ``Runner._run``; activity.py
``execute_activity`` for each run; hypothesis.py ``run_steady_state_hypothesis`` for
a state). The expected times are worked out by hand from the scripted timeline:
it starts at 09:00:00Z, the fault is applied at +0s and restored at +600s, and
the last event is at +950s. chaoslib checks the steady state after the method and
before the rollbacks, so ``after`` is each probe's last result of the game day."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from chaos.chaostoolkit_journal import journal
from scenarios import find_builtin, load_scenario
from test_gameday_command import SCENARIO, START, live_timeline, run, script  # noqa: F401 - fixtures

ISO = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$"}
ACTIVITY = {
    "type": "object", "required": ["type", "name", "provider"],
    "properties": {
        "type": {"enum": ["probe", "action"]}, "name": {"type": "string", "minLength": 1},
        "provider": {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["python", "process", "http"]}},
                     "allOf": [{"if": {"properties": {"type": {"const": "python"}}}, "then": {"required": ["module", "func"]}},
                               {"if": {"properties": {"type": {"const": "http"}}}, "then": {"required": ["url"]}},
                               {"if": {"properties": {"type": {"const": "process"}}}, "then": {"required": ["path"]}}]},
    },
}
RUN = {
    "type": "object", "required": ["activity", "output", "start", "status", "end", "duration"],
    "properties": {"activity": ACTIVITY, "start": ISO, "end": ISO, "duration": {"type": "number", "minimum": 0},
                   "status": {"enum": ["succeeded", "failed"]},
                   "exception": {"type": "array", "items": {"type": "string"}}},
}
STATE = {
    "type": "object", "required": ["steady_state_met", "probes"],
    "properties": {"steady_state_met": {"type": ["boolean", "null"]},
                   "probes": {"type": "array", "items": {**RUN, "required": [*RUN["required"], "tolerance_met"]}}},
}
JOURNAL = {
    "type": "object",
    "required": ["chaoslib-version", "platform", "node", "experiment", "start", "status", "deviated", "steady_states",
                 "run", "rollbacks", "end", "duration"],
    "properties": {
        # chaostoolkit-reporting reads it as a semantic version to choose its template.
        "chaoslib-version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"}, "platform": {"type": "string"}, "node": {"type": "string"},
        "experiment": {"type": "object", "required": ["title", "description", "method"],
                       "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                                      "tags": {"type": "array", "items": {"type": "string"}},
                                      "steady-state-hypothesis": {"type": "object", "required": ["title", "probes"],
                                                                  "properties": {"probes": {"type": "array", "items": ACTIVITY}}},
                                      "method": {"type": "array", "minItems": 1, "items": ACTIVITY},
                                      "rollbacks": {"type": "array", "items": ACTIVITY}}},
        "start": ISO, "end": ISO, "duration": {"type": "number"},
        "status": {"enum": ["completed", "failed", "aborted", "interrupted"]},
        "deviated": {"type": "boolean"},
        "steady_states": {"type": "object", "required": ["before", "after", "during"],
                          "properties": {"before": {"oneOf": [{"type": "null"}, STATE]},
                                         "after": {"oneOf": [{"type": "null"}, STATE]},
                                         "during": {"type": "array", "items": STATE}}},
        "run": {"type": "array", "items": RUN}, "rollbacks": {"type": "array", "items": RUN},
    },
}


def _at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


def test_a_game_days_folder_becomes_a_journal_of_chaos_toolkits_shape(run, script, tmp_path, cli):  # noqa: F811
    code, _, err = run("--no-predict")
    assert code == 0, err
    with (tmp_path / "day" / "probes.jsonl").open("a") as f:  # the scripted probes end at 5s; edge passes again
        f.write(json.dumps({"probe": "edge", "ok": True, "t": 906.0, "latency": 0.02, "detail": "status 200"}) + "\n")
    out = tmp_path / "journal.json"
    code, stdout, err = cli("export", "chaostoolkit", str(tmp_path / "day"), "--out", str(out))
    assert code == 0, err
    assert "status completed, 1 fault, 1 rollback" in err
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, JOURNAL)
    assert (doc["start"], doc["end"], doc["duration"]) == (_at(0), _at(950), 950)
    assert doc["status"] == "completed" and doc["deviated"] is False
    # Newer than 0.15.1, the last release chaostoolkit-reporting renders with an older template.
    assert tuple(map(int, doc["chaoslib-version"].split("."))) > (0, 15, 1)
    # The scenario's one live fault is the method; its application is the run, its restore the rollback.
    assert [a["name"] for a in doc["experiment"]["method"]] == ["cpu-hog on edge"]
    assert [(r["activity"]["name"], r["start"], r["status"]) for r in doc["run"]] == [("cpu-hog on edge", _at(0), "succeeded")]
    assert [(r["activity"]["name"], r["start"]) for r in doc["rollbacks"]] == [("cpu-hog on edge", _at(600))]
    probes = doc["experiment"]["steady-state-hypothesis"]["probes"]
    assert [(p["name"], p["provider"]["type"], p["provider"].get("url")) for p in probes] == [
        ("edge", "http", "http://127.0.0.1:18080/"), ("edge-health", "http", "http://127.0.0.1:18080/healthz")]
    # The steady-state check (2s before the start) passed; the probe failed 5s in: the one change during.
    before = doc["steady_states"]["before"]
    assert before["steady_state_met"] is True and [p["activity"]["name"] for p in before["probes"]] == ["edge"]
    failing, passing = doc["steady_states"]["during"]
    assert failing["steady_state_met"] is False and failing["probes"][0]["exception"] == [
        "drillbit probe edge failed: timed out\n"]
    assert passing["steady_state_met"] is True and passing["probes"][0]["start"] == _at(906)
    after = doc["steady_states"]["after"]
    assert after["steady_state_met"] is True and [(p["start"], p["status"]) for p in after["probes"]] == [(_at(906), "succeeded")]
    events = doc["experiment"]["extensions"][0]
    assert events["producer"].startswith("drillbit ") and events["name"] == "drillbit" and [e["kind"] for e in events["events"]] == [e.kind for e in script.timeline.events]


def test_stdout_without_out(run, script, tmp_path, cli):  # noqa: F811
    run("--no-predict")
    code, stdout, _ = cli("export", "chaostoolkit", str(tmp_path / "day"))
    doc = json.loads(stdout)
    # The scripted probes end with edge failing at 5s: that is the state after the method.
    assert code == 0 and (doc["status"], doc["deviated"]) == ("failed", True)


def test_json_prints_the_figures_and_the_journal_under_content_or_the_out_file(run, script, tmp_path, cli):  # noqa: F811
    run("--no-predict")
    code, stdout, err = cli("export", "chaostoolkit", str(tmp_path / "day"), "--json")
    assert code == 0, err
    doc = json.loads(stdout)
    journal_doc = json.loads(doc["content"])
    jsonschema.validate(journal_doc, JOURNAL)
    # the scripted game day: one live fault applied and restored, edge failing at the end
    assert (doc["version"], doc["file"], doc["status"], doc["faults"], doc["rollbacks"]) == (
        1, str(tmp_path / "day"), "failed", 1, 1)
    assert (doc["problems"], doc["notes"], doc["out"]) == ([], [], None) and journal_doc["status"] == "failed"
    out = tmp_path / "journal.json"
    code, stdout, err = cli("export", "chaostoolkit", str(tmp_path / "day"), "--out", str(out), "--json")
    written = json.loads(stdout)
    assert code == 0 and (written["out"], written["content"]) == (str(out), None)
    assert json.loads(out.read_text()) == journal_doc


def _journal(timeline, probes, state="complete"):
    doc = journal(timeline, probes, {"state": state}, scenario=load_scenario(find_builtin(SCENARIO)), producer="test")
    jsonschema.validate(doc, JOURNAL)
    return doc


def test_a_probe_failing_at_the_end_is_a_deviation_and_fails_the_journal_as_chaoslib_does():
    probes = [{"probe": "edge", "ok": True, "t": -1.0, "latency": 0.01, "detail": "status 200"},
              {"probe": "edge", "ok": True, "t": 650.0, "latency": 0.01, "detail": "status 200"},
              {"probe": "edge", "ok": False, "t": 700.0, "latency": 2.0, "detail": "timed out"}]
    doc = _journal(live_timeline(), probes)
    after = doc["steady_states"]["after"]
    # chaoslib: an after-state not met is deviated, and a failed probe run in it makes the status failed.
    assert doc["deviated"] is True and after["steady_state_met"] is False and doc["status"] == "failed"
    (p,) = after["probes"]
    assert (p["start"], p["end"], p["duration"]) == (_at(700), _at(702), 2.0)


def test_a_fault_held_to_the_end_is_still_in_place_when_the_after_state_is_taken():
    # Every fault held until drill_ended: restored at +950s, after the last probe result.
    probes = [{"probe": "edge", "ok": True, "t": -1.0, "latency": 0.01, "detail": "status 200"},
              {"probe": "edge", "ok": True, "t": 940.0, "latency": 0.01, "detail": "status 200"}]
    doc = _journal(live_timeline(), probes)
    assert doc["steady_states"]["after"]["probes"][0]["start"] == _at(940)
    assert doc["deviated"] is False and doc["status"] == "completed"


@pytest.mark.parametrize(("end", "state", "status"), [("aborted", "complete", "aborted"),
                                                     ("interrupted", "interrupted", "interrupted"),
                                                     ("resolved", "failed", "failed"),
                                                     ("recovered", "complete", "completed")])
def test_how_the_game_day_ended_is_the_journals_status(end, state, status):
    assert _journal(live_timeline(end=end), [], state)["status"] == status


def test_a_fault_never_restored_is_a_failed_rollback():
    doc = _journal(live_timeline(upto=400, end="interrupted"), [], "interrupted")
    (rb,) = doc["rollbacks"]
    assert rb["status"] == "failed" and "drillbit chaos recover" in rb["exception"][0]


def test_a_folder_without_a_game_day_exits_2(cli, tmp_path):
    code, _, err = cli("export", "chaostoolkit", str(tmp_path))
    assert code == 2 and "expected timeline.jsonl and drill.json" in err


def test_a_damaged_probe_line_or_manifest_is_named(run, script, tmp_path, cli):  # noqa: F811
    run("--no-predict")
    day = tmp_path / "day"
    (day / "drill.json").write_text('{"state": "complete", "inputs": ["not", "a", "mapping"]}')
    code, stdout, err = cli("export", "chaostoolkit", str(day))
    assert code == 0 and json.loads(stdout)["experiment"]["title"] == SCENARIO  # no scenario: the timeline's id
    with (day / "probes.jsonl").open("a") as f:
        f.write('{"probe": "edge", "ok": tru}\n')
    code, _, err = cli("export", "chaostoolkit", str(day))
    assert code == 2 and "probes.jsonl:3:" in err and "invalid JSON" in err
