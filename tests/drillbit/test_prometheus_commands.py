"""``drillbit import prometheus-rules`` and ``drillbit export prometheus-rules`` as a
user runs them: what goes to stdout, to stderr and to files, the JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import promql_parser
import yaml

DATA = Path(__file__).resolve().parent.parent / "data" / "prometheus"
API = DATA / "api-alerts.rules.yml"


def test_import_prints_paste_able_monitoring_and_reports_on_stderr(cli):
    code, out, err = cli("import", "prometheus-rules", str(API))
    assert code == 0
    doc = yaml.safe_load(out)
    assert [r["alert"] for r in doc["monitoring"]][:3] == ["ApiHighErrorRate", "ApiLatencyHigh", "ApiDown"]
    assert doc["monitoring"][2] == {"alert": "ApiDown", "signal": 'up{job="api"}', "below": 1, "for": "1m",
                                    "every": "30s", "severity": "critical", "service": "api"}
    assert f"{API}:89:15: note: groups[1].rules[4].expr: alert NodeDownOrUnscraped not translated: 'or'" in err
    assert f"{API}:6:17: note: groups[0].rules[0].record: recording rule job:http_requests:rate5m skipped" in err
    assert "left out (drillbit's rule has no place for them): labels.team (1 rule)" in err
    assert err.rstrip().endswith(f"{API}: 9 drillbit rules from 14 rules: 5 translated, 4 approximated, "
                                 "4 not translated, 1 recording rule skipped")
    assert "note:" not in out


def test_import_writes_out_and_prints_json_with_a_stable_shape(cli, tmp_path):
    target = tmp_path / "monitoring.yaml"
    code, out, _ = cli("import", "prometheus-rules", str(API), "--out", str(target), "--json")
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == {"version", "file", "team", "counts", "monitoring", "rules", "unmapped_severities",
                            "problems", "notes", "out", "content"}
    assert payload["version"] == 1 and payload["out"] == str(target) and payload["content"] is None
    assert payload["problems"] == [] and set(payload["notes"][0]) == {"file", "line", "col", "path", "message"}
    # the notes stderr lists without --json: the or-rule at 89:15 and the recording rule at 6:17
    assert {(n["line"], n["col"]) for n in payload["notes"]} >= {(89, 15), (6, 17)}
    assert payload["counts"] == {"translated": 5, "approximated": 4, "not-translated": 4, "skipped": 1}
    assert yaml.safe_load(target.read_text())["monitoring"] == payload["monitoring"]
    watchdog = payload["rules"][-1]
    assert {k: watchdog[k] for k in ("group", "name", "kind", "line", "col", "status", "alert")} == {
        "group": "node.rules", "name": "Watchdog", "kind": "alert", "line": 93, "col": 9,
        "status": "not-translated", "alert": None}
    assert watchdog["notes"][0]["line"] == 94 and watchdog["notes"][0]["path"] == "groups[1].rules[5].expr"


def test_import_json_without_out_carries_the_yaml_it_would_print(cli):
    _, printed, _ = cli("import", "prometheus-rules", str(API))
    code, out, _ = cli("import", "prometheus-rules", str(API), "--json")
    payload = json.loads(out)
    assert code == 0 and payload["out"] is None and payload["content"] == printed
    assert yaml.safe_load(payload["content"])["monitoring"] == payload["monitoring"]


def test_paths_and_labels_with_brackets_print_as_written(cli, tmp_path, root):
    # rich would read '[prod]' as a style and '[/x]' as a closing tag that closes nothing
    path = tmp_path / "rules[prod].yml"
    path.write_text("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n"
                    "        labels: {severity: '[/x]'}\n", encoding="utf-8")
    code, _, err = cli("import", "prometheus-rules", str(path), "--team", str(root / "tests/data/teams/sev-team.yaml"))
    assert code == 0
    assert "does not take: [/x]; map each" in err
    assert err.rstrip().endswith(f"{path}: 1 drillbit rule from 1 rule: 1 translated, 0 approximated, "
                                 "0 not translated, 0 recording rules skipped")


def test_export_counts_one_rule_in_the_singular(cli, tmp_path):
    target = tmp_path / "[bold]waf.rules.yml"
    code, _, err = cli("export", "prometheus-rules", "misconfigured-waf-ssrf", "--out", str(target))
    assert code == 0 and target.is_file()
    assert err.rstrip().endswith(f"1 alerting rule from scenario misconfigured-waf-ssrf written to {target}")


def test_import_maps_severities_with_the_teams_file_and_says_which_it_cannot(cli, root):
    code, out, err = cli("import", "prometheus-rules", str(API), "--team", str(root / "tests/data/teams/sev-team.yaml"))
    assert code == 0
    assert all("severity" not in r for r in yaml.safe_load(out)["monitoring"])
    assert "does not take: critical, warning, info; map each to one of its levels (SEV1, SEV2, SEV3)" in err


def test_a_malformed_rules_file_is_exit_2_with_positions_and_no_output(cli):
    code, out, err = cli("import", "prometheus-rules", str(DATA / "promql-syntax-error.rules.yml"))
    assert code == 2 and out == ""
    assert err.splitlines()[0].startswith(f"{DATA / 'promql-syntax-error.rules.yml'}:5:15: groups[0].rules[0].expr: "
                                          "not valid PromQL: unclosed left parenthesis")
    assert "Traceback" not in err


def test_export_writes_a_rules_file_whose_exprs_are_promql(cli, tmp_path):
    target = tmp_path / "drill.rules.yml"
    code, out, err = cli("export", "prometheus-rules", "coordination-service-stall", "--out", str(target))
    assert code == 0 and out == ""
    doc = yaml.safe_load(target.read_text())
    rules = [r for g in doc["groups"] for r in g["rules"]]
    assert [r["alert"] for r in rules] == ["ConsulKvApplySlow", "PlayerJoinFailures", "VaultLeaseRenewalsFailing"]
    for rule in rules:
        promql_parser.parse(rule["expr"])
    assert "note: alert ConsulLeadershipLost left out: it fires on log signals from consul" in err
    assert f"3 alerting rules from scenario coordination-service-stall written to {target}" in err


def test_export_then_import_gives_the_scenarios_rules_back(cli, tmp_path):
    target = tmp_path / "drill.rules.yml"
    assert cli("export", "prometheus-rules", "db-primary-data-deleted", "--out", str(target))[0] == 0
    code, out, _ = cli("import", "prometheus-rules", str(target), "--json")
    assert code == 0
    assert [r["alert"] for r in json.loads(out)["monitoring"]] == ["ApiErrorRateHigh", "PostgresProcessDown",
                                                                    "ReplicationLagHigh", "BackupJobFailed"]
    assert json.loads(out)["monitoring"][3]["routed"] is False


def test_export_json(cli, root):
    code, out, _ = cli("export", "prometheus-rules", "coordination-service-stall", "--json")
    payload = json.loads(out)
    assert code == 0 and set(payload) == {"version", "file", "scenario", "rules", "groups", "problems", "notes",
                                          "out", "content"}
    assert payload["rules"] == 3 and payload["groups"][0]["interval"] == "30s"
    assert payload["out"] is None and yaml.safe_load(payload["content"]) == {"groups": payload["groups"]}
    # the log rule is the fourth of the scenario's monitoring: its note points there
    library = root / "scenarios/library/coordination-service-stall.yaml"
    [note] = payload["notes"]
    assert note["file"] == str(library) and note["path"] == "monitoring[3]"
    assert library.read_text().splitlines()[note["line"] - 1][note["col"] - 1:] == "alert: ConsulLeadershipLost"
    assert note["message"].startswith("alert ConsulLeadershipLost left out: it fires on log signals")


def test_export_json_with_out_writes_the_file_instead(cli, tmp_path):
    target = tmp_path / "drill.rules.yml"
    code, out, _ = cli("export", "prometheus-rules", "coordination-service-stall", "--out", str(target), "--json")
    payload = json.loads(out)
    assert code == 0 and payload["out"] == str(target) and payload["content"] is None
    assert yaml.safe_load(target.read_text()) == {"groups": payload["groups"]}


def test_export_of_an_unknown_scenario_is_exit_2(cli):
    code, _, err = cli("export", "prometheus-rules", "no-such-scenario")
    assert code == 2 and "no scenario 'no-such-scenario'" in err


def test_in_a_workspace_its_team_maps_the_severities(cli, tmp_path, monkeypatch):
    assert cli("init", str(tmp_path / "drills"))[0] == 0
    monkeypatch.chdir(tmp_path / "drills")
    code, out, err = cli("import", "prometheus-rules", str(API), "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["team"] == str((tmp_path / "drills").resolve() / "team.yaml")
    # the example team's levels are P0-P3 and it maps none of these names
    assert payload["unmapped_severities"] == ["critical", "warning", "info"]
