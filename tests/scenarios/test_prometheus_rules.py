"""Prometheus alerting rules into drillbit's monitoring and back.

Expectations are written from Prometheus's own documentation of rules files
(``groups[].rules[]``; ``for``; a group's ``interval``, else the global
``evaluation_interval`` of 1m) and of PromQL comparisons, by hand for each rule of the
files under tests/data/prometheus/."""

from __future__ import annotations

import operator
import tempfile
from pathlib import Path

import promql_parser
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from scenarios import AlertRule, InputError, Scenario, load_scenario, load_team, loads
from scenarios.loader import find_builtin
from scenarios.prometheus_rules import (
    PrometheusRulesError, export_rules, import_rules, monitoring_yaml, prometheus_duration, signal_text,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "prometheus"
API = DATA / "api-alerts.rules.yml"
OPERATOR = DATA / "node-exporter-prometheusrule.yaml"
TEAMS = Path(__file__).resolve().parent.parent / "data" / "teams"


def by_name(imported):
    return {o.name: o for o in imported.outcomes}


def rules_file(tmp_path, text: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    return path


def scenario_with(rules: list[AlertRule]) -> Scenario:
    services = sorted({r.service for r in rules if r.service} | {"api"})
    return Scenario.model_validate({"id": "imported", "title": "t", "kind": "outage", "severity": "P1",
                                    "services": services, "injects": [{"at": 0, "fault": {"kind": "crash", "service": "api"}}],
                                    "monitoring": [r.model_dump(by_alias=True) for r in rules]})


def test_each_rule_of_a_real_rules_file_is_translated_as_its_expr_says():
    outcomes = by_name(import_rules(API))
    ratio = outcomes["ApiHighErrorRate"].rule
    assert ratio.signal == ('sum by (job)(rate(http_requests_total{job="api",code=~"5.."}[5m])) / '
                            'sum by (job)(rate(http_requests_total{job="api"}[5m]))')
    assert (ratio.above, ratio.below, ratio.for_, ratio.every) == (0.05, None, 120.0, 30.0)
    assert (ratio.severity, ratio.service) == ("critical", "api")
    latency = outcomes["ApiLatencyHigh"].rule
    assert latency.signal.startswith("histogram_quantile(0.99, ") and latency.above == 0.5 and latency.for_ == 600
    down = outcomes["ApiDown"].rule
    assert (down.signal, down.below, down.for_) == ('up{job="api"}', 1.0, 60.0)  # up is 0 or 1: == 0 is < 1
    missing = outcomes["ApiTargetMissing"].rule
    assert (missing.signal, missing.above, missing.service) == ('absent(up{job="api"})', 0.0, "api")
    queue = outcomes["QueueDepthHigh"].rule
    assert (queue.signal, queue.above, queue.below) == ("queue_depth", 1000.0, None)  # 1000 < x is x > 1000
    # node.rules has no interval: Prometheus's default evaluation_interval, 1m
    assert outcomes["NodeHighNumberConntrackEntriesUsed"].rule.every == 60.0
    assert [o.status for o in outcomes.values()] == [
        "skipped", "translated", "approximated", "translated", "translated", "approximated", "approximated",
        "translated", "approximated", "not-translated", "translated", "not-translated", "not-translated",
        "not-translated"]


def test_and_and_unless_keep_the_first_condition_and_say_what_is_not_modelled():
    outcomes = by_name(import_rules(API))
    both = outcomes["ApiErrorsWithTraffic"]
    assert both.rule.signal == 'rate(http_requests_total{job="api",code=~"5.."}[5m])' and both.rule.above == 10
    [note] = both.notes
    assert (note.line, note.col, note.path) == (42, 15, "groups[0].rules[5].expr")
    assert "'and rate(http_requests_total{job=\"api\"}[5m]) > 1' is not modelled" in note.message
    saturated = outcomes["ApiSaturated"]
    assert saturated.rule.signal == "api_inflight_requests" and saturated.rule.above == 500
    messages = [n.message for n in saturated.notes]
    assert any("'unless on (instance) api_maintenance_mode == 1' is not modelled" in m for m in messages)
    assert any("'>= 500' is read as '> 500'" in m for m in messages)


def test_every_rule_not_translated_is_listed_at_its_expr_with_why():
    outcomes = by_name(import_rules(API))
    expected = {
        "NodeClockNotSynchronising": (73, "'== 0' fires on one exact value"),
        "NodeCPUThrottled": (84, "it compares two series"),
        "NodeDownOrUnscraped": (89, "'or' joins two conditions"),
        "Watchdog": (94, "vector(…) always returns a series: the alert always fires"),
    }
    for name, (line, why) in expected.items():
        [note] = outcomes[name].notes
        assert outcomes[name].rule is None
        assert (note.file, note.line, note.col) == (str(API), line, 15)
        assert note.message.startswith(f"alert {name} not translated: ") and why in note.message


def test_recording_rules_are_skipped_and_said_so():
    skipped = by_name(import_rules(API))["job:http_requests:rate5m"]
    assert skipped.status == "skipped" and skipped.kind == "record" and skipped.rule is None
    assert (skipped.notes[0].line, skipped.notes[0].col) == (6, 17)


def test_keep_firing_for_and_what_drillbit_has_no_place_for_are_listed():
    outcomes = by_name(import_rules(API))
    [note] = outcomes["ApiLatencyHigh"].notes
    assert (note.line, note.path) == (25, "groups[0].rules[2].keep_firing_for")
    assert "keep_firing_for 5m is not modelled" in note.message
    assert outcomes["ApiHighErrorRate"].left_out == ("labels.team", "annotations.summary", "annotations.runbook_url")


OPS = {">": operator.gt, "<": operator.lt}


@given(op=st.sampled_from(sorted(OPS)), threshold=st.floats(-1e6, 1e6), value=st.floats(-1e6, 1e6),
       number_first=st.booleans())
def test_a_translated_threshold_fires_exactly_where_the_promql_comparison_holds(op, threshold, value, number_first):
    expr = f"{threshold!r} {'<' if op == '>' else '>'} queue_depth" if number_first else f"queue_depth {op} {threshold!r}"
    rule = AlertRule.model_validate(_translate(expr))
    assert rule.crosses(value) == OPS[op](value, threshold)


@given(op=st.sampled_from([">=", "<="]), threshold=st.integers(-50, 50), value=st.integers(-60, 60))
def test_greater_or_equal_over_whole_values_is_exact(op, threshold, value):
    rule = AlertRule.model_validate(_translate(f"count(up == 0) {op} {threshold}"))
    assert rule.crosses(value) == (value >= threshold if op == ">=" else value <= threshold)


def _translate(expr: str) -> dict:
    from scenarios.prometheus_rules import _read  # the reading of one expression, without a file

    reading = _read(promql_parser.parse(expr))
    return {"alert": "A", "signal": reading.signal, "above": reading.above, "below": reading.below}


@pytest.mark.parametrize("expr, below, never", [
    ('count(up{job="api"}) == 0', 1.0, True),  # nothing to count is no series: Prometheus never fires
    ('absent(up{job="api"}) < 1', 1.0, True),  # absent() is 1 or no series
    ('count by (job) (up{job="api"} == 1) < 3', 3.0, False),  # fires at 1 and 2, not at 0
])
def test_a_count_that_is_never_zero_is_noted_where_prometheus_would_not_fire(tmp_path, expr, below, never):
    path = rules_file(tmp_path, f"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: '{expr}'\n")
    [outcome] = import_rules(path).outcomes
    [note] = outcome.notes
    assert (outcome.status, outcome.rule.below, note.line) == ("approximated", below, 5)
    assert "never returns 0" in note.message and ("never fires this alert" in note.message) == never


def test_up_and_changes_can_be_zero_and_are_exact(tmp_path):
    path = rules_file(tmp_path, "groups:\n  - name: g\n    rules:\n      - {alert: A, expr: 'up == 0'}\n"
                                "      - {alert: B, expr: 'changes(x[1h]) < 1'}\n")
    assert [(o.status, o.rule.below) for o in import_rules(path).outcomes] == [("translated", 1.0)] * 2


def test_scalar_arithmetic_in_a_threshold_is_worked_out(tmp_path):
    path = rules_file(tmp_path, "groups:\n  - name: g\n    rules:\n"
                                "      - {alert: CertExpiring, expr: 'probe_ssl_earliest_cert_expiry - time() < 86400 * 7'}\n")
    rule = import_rules(path).monitoring[0]
    assert (rule.signal, rule.below) == ("probe_ssl_earliest_cert_expiry - time()", 604800.0)


def test_values_promtool_accepts_but_drillbit_cannot_take_are_refused_at_their_position():
    # `expr: 12` is YAML's number 12 but the text "12" to Prometheus: a scalar with no metric in it.
    # 1e400 overflows a float64 to +Inf, so '> 1e400' holds for no sample. `interval: 0s` is no
    # interval: Prometheus's rule manager falls back to the global evaluation_interval (1m by default).
    path = DATA / "odd-values.rules.yml"
    imported = import_rules(path)
    outcomes = by_name(imported)
    [always] = outcomes["AlwaysPage"].notes
    assert (outcomes["AlwaysPage"].status, always.line, always.col) == ("not-translated", 7, 15)
    assert "a bare number never compares" in always.message
    [overflow] = outcomes["BatchQueueOverflow"].notes
    assert (outcomes["BatchQueueOverflow"].status, overflow.line, overflow.col) == ("not-translated", 11, 15)
    assert "not a finite number, so Prometheus never fires it" in overflow.message
    [interval] = imported.notes
    assert (interval.line, interval.col, interval.path) == (4, 15, "groups[0].interval")
    assert [(r.alert, r.above, r.every) for r in imported.monitoring] == [("BatchBacklog", 500.0, 60.0)]


@pytest.mark.parametrize("expr, fires", [("x > 1e400", "never fires"), ("x < 1e400", "every finite value"),
                                         ("x > -1e400", "every finite value"), ("x > 1 / 0", "never fires"),
                                         ("x < 0 / 0", "never fires"), ("x > 2 ^ 5000", "never fires"),
                                         ("-1e400 > x", "never fires")])
def test_a_threshold_that_is_not_finite_is_not_translated(tmp_path, expr, fires):
    # IEEE 754 as PromQL computes it: 1/0 is +Inf, 0/0 is NaN (which compares false with everything)
    imported = import_rules(rules_file(tmp_path, f"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: {expr}\n"))
    [outcome] = imported.outcomes
    assert outcome.status == "not-translated" and outcome.rule is None
    assert fires in outcome.notes[0].message and (outcome.notes[0].line, outcome.notes[0].col) == (5, 15)


@pytest.mark.parametrize("written", ["12", "0.5", "-3", "1e3"])
def test_a_numeric_expr_is_read_as_its_text_and_not_translated(tmp_path, written):
    [outcome] = import_rules(rules_file(tmp_path, f"groups:\n  - name: g\n    rules:\n      - {{alert: A, expr: {written}}}\n")).outcomes
    assert outcome.status == "not-translated" and "a bare number never compares" in outcome.notes[0].message


def test_the_yaml_written_loads_as_a_scenarios_monitoring():
    imported = import_rules(API)
    text = monitoring_yaml(imported.monitoring, "imported")
    services = sorted({r.service for r in imported.monitoring if r.service})
    scenario = loads(f"id: s\ntitle: t\nkind: outage\nseverity: P1\nservices: [{', '.join(services)}]\n"
                     f"injects:\n  - {{at: 0s, fault: {{kind: crash, service: api}}}}\n" + text, Scenario)
    assert scenario.monitoring == imported.monitoring


def test_severity_labels_land_on_the_teams_levels_or_are_listed(tmp_path):
    team_file = tmp_path / "team.yaml"
    team_file.write_text((TEAMS / "sev-team.yaml").read_text() + "severity_map:\n  critical: SEV1\n", encoding="utf-8")
    imported = import_rules(API, team=load_team(team_file))
    outcomes = by_name(imported)
    assert outcomes["ApiDown"].rule.severity == "SEV1"
    latency = outcomes["ApiLatencyHigh"]
    assert latency.rule.severity is None  # 'warning' is no level of the team, nor in its severity_map
    assert any(n.path == "groups[0].rules[2].labels.severity" and "severity 'warning' is not one of team sev-sre's levels"
               in n.message for n in latency.notes)
    assert imported.unmapped == ("warning", "info")


def test_a_scenario_checks_services_and_the_signals_its_injects_send(tmp_path):
    scenario = loads("id: s\ntitle: t\nkind: outage\nseverity: P1\nservices: [api]\ninjects:\n"
                     "  - {at: 0s, fault: {kind: crash, service: api}}\n"
                     "  - {at: 1m, signal: {metric: 'up{job=\"api\"}', value: 0}}\n", Scenario)
    imported = import_rules(API, scenario=scenario)
    outcomes = by_name(imported)
    assert outcomes["ApiDown"].rule.service == "api"
    conntrack = outcomes["NodeHighNumberConntrackEntriesUsed"]
    assert conntrack.rule.service is None
    assert any("service 'node-exporter' is not one of the scenario's services (api)" in n.message for n in conntrack.notes)
    never = [n.message for n in imported.notes]
    assert not any("alert ApiDown:" in m for m in never)  # its signal is injected
    assert any(m.startswith("alert QueueDepthHigh: no inject of scenario s sends signal 'queue_depth'") for m in never)


def test_a_prometheus_operator_resource_reads_its_spec_and_names_repeated_alerts_apart():
    outcomes = import_rules(OPERATOR).outcomes
    names = [o.rule.alert for o in outcomes if o.rule]
    assert "KubePodCrashLooping" in names and "KubePodCrashLooping-critical" in names
    crash = [o for o in outcomes if o.name == "KubePodCrashLooping"]
    assert [o.rule.for_ for o in crash] == [900.0, 3600.0] and [o.rule.every for o in crash] == [60.0, 60.0]
    assert crash[1].notes[0].path == "spec.groups[1].rules[1].alert"
    raid = next(o for o in outcomes if o.name == "NodeRAIDDegraded").rule
    assert raid.signal.startswith('node_md_disks_required{job="node-exporter"') and raid.above == 0


@pytest.mark.parametrize("name, expected", [
    ("promql-syntax-error.rules.yml", [
        ":5:15: groups[0].rules[0].expr: not valid PromQL: unclosed left parenthesis",
        ":10:15: groups[0].rules[2].expr: not valid PromQL: unclosed left parenthesis"]),
    ("unknown-keys.rules.yml", [
        ":3:15: groups[0].interval: expected a Prometheus duration such as '30s', '5m' or '1h30m'",
        ":8:9: groups[0].rules[0].severity: unknown key 'severity'",
        ":9:9: groups[0].rules[1]: expected exactly one of 'alert' (an alerting rule) or 'record' (a recording rule)",
        ":12:11: groups[1].name: group 'api.rules' is defined twice",
        ":13:5: groups[1].rule: unknown key 'rule'; did you mean 'rules'?"]),
    ("bad-yaml.rules.yml", [":6:8: not valid YAML"]),
])
def test_a_malformed_file_gets_every_problem_at_its_position(name, expected):
    with pytest.raises(InputError) as info:
        import_rules(DATA / name)
    lines = str(info.value).splitlines()
    assert len(lines) == len(expected)
    for line, start in zip(lines, expected):
        assert line.startswith(str(DATA / name) + start), line


def test_a_file_that_is_no_rules_file_says_what_was_expected(tmp_path):
    with pytest.raises(InputError, match="expected a Prometheus rules file: 'groups:'"):
        import_rules(rules_file(tmp_path, "global:\n  scrape_interval: 15s\n"))


@pytest.mark.parametrize("text, seconds", [("0s", 0.0), ("90s", 90.0), ("1h30m", 5400.0), ("1w", 604800.0),
                                           ("500ms", 0.5)])
def test_prometheus_durations_read_as_prometheus_reads_them(tmp_path, text, seconds):
    path = rules_file(tmp_path, f"groups:\n  - name: g\n    rules:\n      - {{alert: A, expr: 'x > 1', for: {text}}}\n")
    assert import_rules(path).monitoring[0].for_ == seconds


@pytest.mark.parametrize("text", ["10", "1.5m", "5 min", "1m1h"])
def test_a_duration_prometheus_refuses_is_refused(tmp_path, text):
    path = rules_file(tmp_path, f"groups:\n  - name: g\n    rules:\n      - {{alert: A, expr: 'x > 1', for: '{text}'}}\n")
    with pytest.raises(InputError, match=r":4:40: groups\[0\]\.rules\[0\]\.for: expected a Prometheus duration"):
        import_rules(path)


@pytest.mark.parametrize("written", ["10", "1.5"])
def test_a_number_without_a_unit_is_refused_as_prometheus_refuses_it(tmp_path, written):
    # YAML reads `for: 10` as a number; Prometheus's ParseDuration refuses "10" (it takes "0" alone)
    path = rules_file(tmp_path, f"groups:\n  - name: g\n    rules:\n      - {{alert: A, expr: 'x > 1', for: {written}}}\n")
    with pytest.raises(InputError, match=r"groups\[0\]\.rules\[0\]\.for: expected a Prometheus duration"):
        import_rules(path)


def test_zero_without_a_unit_is_no_wait(tmp_path):
    path = rules_file(tmp_path, "groups:\n  - name: g\n    rules:\n      - {alert: A, expr: 'x > 1', for: 0}\n")
    assert import_rules(path).monitoring[0].for_ == 0.0


@pytest.mark.parametrize("seconds, text", [(5400, "1h30m"), (1.5, "1s500ms"), (90061, "1d1h1m1s"), (0, "0s")])
def test_durations_are_written_as_prometheus_writes_them(seconds, text):
    assert prometheus_duration(seconds) == text
    assert text == "0s" or promql_parser.parse_duration(text).total_seconds() == seconds


def test_an_export_reimports_to_the_same_monitoring(tmp_path):
    imported = import_rules(API).monitoring
    exported = export_rules(scenario_with(imported))
    for group in yaml.safe_load(exported.text)["groups"]:
        for rule in group["rules"]:
            promql_parser.parse(rule["expr"])  # every expr is PromQL
            assert rule["annotations"]["summary"]
    again = import_rules(rules_file(tmp_path, exported.text)).monitoring
    assert again == imported


@pytest.mark.parametrize("builtin", ["db-primary-data-deleted", "coordination-service-stall"])
def test_drillbits_own_rules_travel_through_prometheus_and_back(tmp_path, builtin):
    scenario = load_scenario(find_builtin(builtin))
    exported = export_rules(scenario)
    doc = yaml.safe_load(exported.text)
    exprs = [r["expr"] for g in doc["groups"] for r in g["rules"]]
    assert all(promql_parser.parse(e) for e in exprs)
    on_metrics = [r for r in scenario.monitoring if r.signal is not None]
    assert import_rules(rules_file(tmp_path, exported.text)).monitoring == on_metrics
    assert len(exported.notes) == len(scenario.monitoring) - len(on_metrics)


def test_a_name_that_is_no_promql_is_the_metric_of_that_name():
    rule = AlertRule.model_validate({"alert": "ApiErrors", "signal": "api.error_rate", "above": 0.05, "for": 120})
    [group] = yaml.safe_load(export_rules(scenario_with([rule])).text)["groups"]
    [written] = group["rules"]
    assert written == {"alert": "ApiErrors", "expr": '{__name__="api.error_rate"} > 0.05', "for": "2m",
                       "annotations": {"summary": "api.error_rate is above 0.05 for 2m"}}
    assert group["interval"] == "1m"
    assert signal_text(promql_parser.parse('{__name__="api.error_rate"}')) == "api.error_rate"


def test_a_rule_without_a_service_on_a_selector_of_one_job_comes_back_without_one(tmp_path):
    rule = AlertRule.model_validate({"alert": "ApiDown", "signal": 'up{job="api"}', "below": 1})
    exported = export_rules(scenario_with([rule]))
    [group] = yaml.safe_load(exported.text)["groups"]
    assert group["rules"][0]["labels"] == {"service": ""}  # an empty label is no label, in Prometheus
    assert import_rules(rules_file(tmp_path, exported.text)).monitoring == [rule]


def test_a_scenario_with_no_metric_rule_cannot_be_exported():
    rule = AlertRule.model_validate({"alert": "EdrHit", "on": "security", "source": "edr"})
    with pytest.raises(PrometheusRulesError, match="fires on security signals from edr"):
        export_rules(scenario_with([rule]))


_ATOMS = st.sampled_from(['up', 'up{job="api"}', 'http_requests_total{code=~"5..",job!="x"}', "queue_depth offset 5m",
                          'rate(http_requests_total{job="api"}[5m])', "absent(up)", "vector(1)", "time()",
                          'sum by (job) (rate(x_total[1m]))', 'histogram_quantile(0.99, sum by (le) (rate(l_bucket[5m])))',
                          "max_over_time(x[5m:1m])", '{__name__="api.error_rate"}', "1", "0.5", "-3", "86400 * 7"])
_OPS = st.sampled_from([" > ", " < ", " >= ", " <= ", " == ", " != ", " and ", " or ", " unless ", " / ", " + ",
                        " > bool ", " and on (instance) "])
_EXPRS = st.recursive(_ATOMS, lambda inner: st.one_of(
    st.tuples(inner, _OPS, inner).map("".join), inner.map(lambda e: f"({e})"),
    inner.map(lambda e: f"count({e})")), max_leaves=6)


@given(_EXPRS)
def test_any_expression_is_translated_or_refused_with_why_and_comes_back_through_an_export(expr):
    from scenarios.prometheus_rules import _read, _Untranslatable

    try:
        node = promql_parser.parse(expr)
    except ValueError:
        return  # not PromQL: the file is refused at its position (see the malformed files)
    try:
        reading = _read(node)
    except _Untranslatable as why:
        assert str(why)
        return
    assert (reading.above is None) != (reading.below is None)
    # what an export writes back reads as the same rule (a signal that is a metric's name too)
    rule = AlertRule.model_validate({"alert": "A", "signal": reading.signal, "above": reading.above,
                                     "below": reading.below})
    with tempfile.TemporaryDirectory() as folder:
        assert import_rules(rules_file(Path(folder), export_rules(scenario_with([rule])).text)).monitoring == [rule]


@pytest.mark.parametrize("name, noted", [("api.error_rate", False), ("api-errors", True), ('odd "name" \\ here', False),
                                         ("sum by(job)(x)", True)])
def test_a_drillbit_name_is_exported_as_the_metric_of_that_name_and_comes_back(tmp_path, name, noted):
    rule = AlertRule.model_validate({"alert": "A", "signal": name, "below": 3})
    exported = export_rules(scenario_with([rule]))
    [written] = yaml.safe_load(exported.text)["groups"][0]["rules"]
    assert written["expr"].startswith('{__name__="') and written["expr"].endswith('"} < 3')
    assert bool(exported.notes) == noted  # 'api-errors' would read as a subtraction: said so
    assert import_rules(rules_file(tmp_path, exported.text)).monitoring == [rule]


def test_the_promql_parser_is_loaded_only_when_rules_are_read():
    import subprocess
    import sys

    probe = "import sys, scenarios; scenarios.load_scenario; print('promql_parser' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=DATA.parents[2],
                          check=True).stdout.strip() == "False"
