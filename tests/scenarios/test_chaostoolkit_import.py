"""Chaos Toolkit experiments -> scenarios. The experiments in tests/data/chaostoolkit/
are written from chaostoolkit-lib's format (chaoslib/experiment.py, hypothesis.py,
provider/http.py and process.py); the expected mappings follow the module's
documented table, and every position is counted by hand in the files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from scenarios import InputError, Scenario, loads
from scenarios.chaostoolkit import import_experiment

DATA = Path(__file__).resolve().parents[1] / "data" / "chaostoolkit"


def _where(problems) -> dict[str, tuple[int, int]]:
    return {p.path: (p.line, p.col) for p in problems}


def test_a_yaml_experiment_maps_probes_and_docker_actions_and_lists_the_rest():
    r = import_experiment(DATA / "api-restart.yaml")
    live = r.scenario.live
    faults = [(f.kind, f.target, f.grace, f.network, f.signal) for f in live.faults]
    assert faults == [("stop", "shop-api", 5.0, None, None), ("disconnect", "shop-store", None, "shop_backend", None),
                      ("kill", "shop-worker", None, None, "SIGHUP")]
    assert {t: v.names for t, v in live.targets.items()} == {"shop-api": ["shop-api"], "shop-store": ["shop-store"],
                                                              "shop-worker": ["shop-worker"]}
    probes = {p.name: p for p in live.probes}
    assert sorted(probes) == ["api-health", "orders-file-intact", "orders-listing"]
    # ${base_url} is a written configuration value, substituted.
    assert probes["api-health"].http == "http://127.0.0.1:18080/health" and probes["api-health"].timeout == 2.0
    # A pair of timeouts (connect 1s, read 2s) is at most 3s; [200, 204] expects the first.
    assert probes["orders-listing"].timeout == 3.0 and probes["orders-listing"].expect_status == 200
    assert (probes["orders-file-intact"].command, probes["orders-file-intact"].target) == ("sha256sum /data/orders.db", "shop-store")
    assert r.scenario.title == "The API keeps serving orders while its container is stopped and cut off"
    assert r.scenario.tags == ["chaostoolkit", "docker", "api"] and r.scenario.summary.startswith("Stop the api container")
    # Line:col of each part not imported, counted in the file.
    assert _where(r.unmapped) == {
        "configuration.api_token": (12, 5),
        "secrets": (15, 3),
        "controls": (20, 3),
        "steady-state-hypothesis.probes[3].provider.url": (53, 14),
        "steady-state-hypothesis.probes[4].provider": (58, 9),
        "method[3].provider": (87, 7),
        "rollbacks[2]": (106, 5),
    }
    why = {p.path: p.message for p in r.unmapped}
    assert "API_TOKEN" in why["steady-state-hypothesis.probes[3].provider.url"]
    assert "chaosk8s.node.actions.drain_nodes" in why["method[3].provider"]
    changed = {p.path: p.message for p in r.changed}
    assert "-u root" in changed["steady-state-hypothesis.probes[2].provider.arguments"]
    assert "'api-health' again" in changed["method[4]"]  # a ref to a probe already imported
    assert "stop on shop-api" in changed["rollbacks[0]"] and "disconnect on shop-store" in changed["rollbacks[1]"]
    # method[0] pauses 20s after stopping the api, so the next two actions start at 20s;
    # the method ends there and start-the-api runs then: the stop lasts 20s. The store is
    # reconnected the moment it was cut off, and nothing starts the worker again.
    assert [(f.at, f.duration) for f in live.faults] == [(0.0, 20.0), (20.0, None), (20.0, None)]
    assert [i.at for i in r.scenario.injects] == [0.0, 20.0, 20.0]
    assert "at once" in changed["rollbacks[1]"]


def test_pauses_place_the_faults_and_rollbacks_end_them():
    r = import_experiment(DATA / "pauses-and-rollbacks.json")
    # By hand, in Chaos Toolkit's order: stop-database after its 5s pause (at 5s), then
    # 30s, then the probe's ${settle} = 10s: the clock is at 45s. freeze-cache runs in
    # the background after its own 15s (at 60s) and holds nothing up, so cut-off-api
    # and kill-worker (whose pause comes from the environment) start at 45s. The method
    # ends when the background action has run: 60s. start-database pauses 10s first
    # (70s: the stop lasts 65s), thaw-cache follows at once (70s: 10s of pause), and
    # reconnect-api waits 2s (72s: 27s cut off). Nothing undoes the kill.
    faults = [(f.kind, f.target, f.at, f.duration) for f in r.scenario.live.faults]
    assert faults == [("stop", "shop-db", 5.0, 65.0), ("pause", "shop-cache", 60.0, 10.0),
                      ("disconnect", "shop-api", 45.0, 27.0), ("kill", "shop-worker", 45.0, None)]
    assert _where(r.unmapped) == {"configuration.worker_wait": (7, 20), "method[4].pauses.before": (39, 28)}
    why = {p.path: p.message for p in r.unmapped}
    assert "WORKER_WAIT" in why["method[4].pauses.before"] and "earlier" in why["method[4].pauses.before"]


def test_a_json_experiment_has_positions_too_and_terminate_pods_becomes_a_labelled_stop():
    r = import_experiment(DATA / "pause-and-terminate.json")
    live = r.scenario.live
    assert [(f.kind, f.target) for f in live.faults] == [("pause", "checkout-cache"), ("stop", "pods-app-payments")]
    pods = live.targets["pods-app-payments"]
    assert (pods.labels, pods.count) == ({"app": "payments"}, 1) and live.faults[1].grace == 10.0
    assert {p.name: p.body_regex for p in live.probes} == {"checkout-page": "Checkout \u2014 ready", "checkout-during": None}
    assert _where(r.unmapped) == {"steady-state-hypothesis.probes[1].tolerance": (18, 22),
                                  "method[1].provider.arguments.ns": (36, 63)}


def test_the_written_yaml_loads_as_the_same_scenario_and_names_what_was_left_out():
    r = import_experiment(DATA / "api-restart.yaml")
    text = r.to_yaml()
    assert loads(text, Scenario).model_dump() == r.scenario.model_dump()
    assert "# Not imported:" in text and "method[3].provider" in text


def test_mistakes_in_activities_are_all_reported_with_positions():
    with pytest.raises(InputError) as info:
        import_experiment(DATA / "bad-activities.json")
    got = [(p.line, p.col, p.path, p.message) for p in info.value.problems]
    assert got == [
        (5, 14, "method[0].type", "expected 'probe' or 'action', got 'acton'; did you mean 'action'?"),
        (6, 5, "method[1].provider", "expected a provider (type python, process or http), got nothing"),
        (7, 69, "method[2].provider.type", "expected 'python', 'process' or 'http', got 'pyhton'; did you mean 'python'?"),
        (8, 13, "method[3].ref", "expected the name of a probe or action defined in the experiment, got 'nowhere'"),
    ]


def test_an_experiment_with_no_fault_drillbit_can_apply_says_so_and_why():
    with pytest.raises(InputError) as info:
        import_experiment(DATA / "nothing-to-fault.yaml")
    lines = [str(p) for p in info.value.problems]
    assert any(":4:3: method: no action of 'method' became a drillbit fault" in line for line in lines)
    assert any("chaosk8s.deployment.actions.scale_deployment has no equivalent" in line for line in lines)


def test_invalid_json_is_positioned_where_json_stops():
    with pytest.raises(InputError) as info:
        import_experiment(DATA / "syntax-error.json")
    (p,) = info.value.problems
    assert (p.line, p.col) == (5, 23) and p.message.startswith("not valid JSON")


def test_the_cli_writes_the_scenario_and_lists_what_was_not_imported(cli, tmp_path):
    out = tmp_path / "s.yaml"
    code, stdout, err = cli("import", "chaostoolkit", str(DATA / "api-restart.yaml"), "--out", str(out))
    assert code == 0, err
    assert stdout == "" and "api-restart.yaml:87:7: method[3].provider: not imported" in err
    assert "3 faults, 3 probes, 7 parts not imported" in err
    code, _, err = cli("validate", str(out))
    assert code == 0, err


def test_the_cli_json_shape(cli):
    import json

    code, stdout, _ = cli("import", "chaostoolkit", str(DATA / "pause-and-terminate.json"), "--json")
    assert code == 0
    doc = json.loads(stdout)
    assert set(doc) == {"version", "file", "format", "scenario", "faults", "probes", "problems", "notes", "out",
                        "content"}
    assert (doc["faults"], doc["probes"], doc["out"]) == (2, 2, None)
    # without --out the scenario YAML is under "content", the same scenario as "scenario"
    assert yaml.safe_load(doc["content"]) == doc["scenario"]
    assert doc["problems"][0] == {"file": str(DATA / "pause-and-terminate.json"), "line": 18, "col": 22,
                                  "path": "steady-state-hypothesis.probes[1].tolerance",
                                  "message": doc["problems"][0]["message"]}
    assert all(set(n) == {"file", "line", "col", "path", "message"} for n in doc["problems"] + doc["notes"])


def test_the_cli_json_with_out_names_the_file_and_has_no_content(cli, tmp_path):
    import json

    out = tmp_path / "game-day.yaml"
    code, stdout, _ = cli("import", "chaostoolkit", str(DATA / "pause-and-terminate.json"), "--out", str(out), "--json")
    doc = json.loads(stdout)
    assert code == 0 and (doc["out"], doc["content"]) == (str(out), None)
    assert yaml.safe_load(out.read_text()) == doc["scenario"]


def test_bad_input_exits_2_with_positions(cli):
    code, _, err = cli("import", "chaostoolkit", str(DATA / "syntax-error.json"))
    assert code == 2 and "syntax-error.json:5:23: not valid JSON" in err


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "experiment.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as info:
        import_experiment(fifo)
    (p,) = info.value.problems
    assert (p.line, p.col) == (1, 1) and "named pipe (FIFO)" in p.message and "JSON or YAML" in p.message


def test_pauses_past_the_default_limit_raise_the_game_days_limit(tmp_path):
    # stop at 0s, 40 minutes of pause, kill at 2400s, then the rollback at 2400s: the
    # game day runs to 2400s plus drillbit's usual 30 minutes, 4200s, so the kill happens.
    f = tmp_path / "long.yaml"
    f.write_text("""title: A long outage of the database
description: Stop it for 40 minutes, then kill the API.
method:
  - type: action
    name: stop-db
    provider: {type: process, path: docker, arguments: stop shop-db}
    pauses: {after: 2400}
  - type: action
    name: kill-api
    provider: {type: process, path: docker, arguments: kill shop-api}
rollbacks:
  - type: action
    name: start-db
    provider: {type: process, path: docker, arguments: start shop-db}
""", encoding="utf-8")
    r = import_experiment(f)
    live = r.scenario.live
    assert [(x.at, x.duration) for x in live.faults] == [(0.0, 2400.0), (2400.0, None)]
    assert live.limit == 4200.0
    assert "past drillbit's default limit" in {p.path: p.message for p in r.changed}["method"]
