"""The ``live`` section's targets, blast radius and probes, as the loader reads them:
what is accepted, and mistakes reported at file:line:col with the fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scenarios import InputError, load_scenario

HEAD = """\
id: shop-outage
title: The shop API goes down
kind: outage
severity: P1
services: [api]
injects:
  - at: 0s
    fault: {kind: crash, service: api}
"""


def _write(tmp_path: Path, live: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "live:\n" + textwrap.indent(textwrap.dedent(live), "  "), encoding="utf-8")
    return path


def _live(tmp_path: Path, live: str):
    return load_scenario(_write(tmp_path, live)).live


def _error(tmp_path: Path, live: str) -> str:
    with pytest.raises(InputError) as caught:
        load_scenario(_write(tmp_path, live))
    return str(caught.value)


FAULT = "faults: [{kind: kill, target: api}]\n"


def test_every_selector_and_every_way_to_count_loads(tmp_path):
    live = _live(tmp_path, """\
        targets:
          api: {patterns: [shop-api-*], count: 2}
          db: {project: shop, service: db, select: one}
          cache: {names: [cache-1, cache-2], percent: 50, host: "tcp://10.0.0.5:2376"}
          web: {labels: {app: web}, select: random}
          any: {labels: {app: any}}
        faults: [{kind: kill, target: api}]
        max_blast_radius: 4
        allow_unlabelled: true
        healthy_for: 2s
        """)
    t = live.targets
    assert (t["api"].patterns, t["api"].how_many, t["api"].count) == (["shop-api-*"], "count", 2)
    assert t["db"].required_labels() == {"com.docker.compose.project": "shop", "com.docker.compose.service": "db"}
    assert (t["cache"].how_many, t["cache"].percent, t["cache"].host) == ("percent", 50, "tcp://10.0.0.5:2376")
    assert t["web"].how_many == "random"
    assert t["any"].how_many == "all"
    assert (live.max_blast_radius, live.allow_unlabelled, live.healthy_for) == (4, True, 2.0)


def test_defaults_are_the_safe_ones(tmp_path):
    live = _live(tmp_path, "targets: {api: {names: [api-1]}}\n" + FAULT)
    assert (live.max_blast_radius, live.allow_unlabelled) == (10, False)


def test_two_ways_to_count_are_refused_at_the_second(tmp_path):
    message = _error(tmp_path, "targets:\n  api: {labels: {app: api}, select: one, count: 2}\n" + FAULT)
    assert message.endswith("s.yaml:11:51: live.targets.api.count: say how many once: 'select' or 'count', not both")
    message = _error(tmp_path, "targets:\n  api: {labels: {app: api}, count: 2, percent: 10}\n" + FAULT)
    assert "live.targets.api.percent" in message and "'count' or 'percent', not both" in message


def test_a_glob_in_names_suggests_patterns(tmp_path):
    message = _error(tmp_path, "targets:\n  api: {names: [api-1, 'shop-api-*']}\n" + FAULT)
    assert "live.targets.api.names[1]" in message
    assert "did you mean 'patterns: [shop-api-*]'?" in message


@pytest.mark.parametrize("target, where, words", [
    ("{select: one}", "live.targets.api", "expected 'names', 'patterns', 'labels', 'project' or 'service'"),
    ("{names: [api], percent: 0}", "live.targets.api.percent", "expected a number > 0.0, got 0"),
    ("{names: [api], percent: 150}", "live.targets.api.percent", "expected a number <= 100.0, got 150"),
    ("{names: [api], count: 0}", "live.targets.api.count", "expected a number >= 1, got 0"),
    ("{names: [api], host: 10.0.0.5}", "live.targets.api.host", "expected a Docker engine URL"),
    ("{names: [/api]}", "live.targets.api.names[0]", "did you mean 'api'?"),
    ("{project: shop, labels: {com.docker.compose.project: shop}}", "live.targets.api", "give it once"),
])
def test_target_mistakes_are_named_where_they_are(tmp_path, target, where, words):
    message = _error(tmp_path, f"targets:\n  api: {target}\n" + FAULT)
    assert f": {where}: " in message and words in message
    assert ":11:" in message  # the line of the target


def test_a_count_above_the_blast_radius_is_refused_before_any_engine_is_asked(tmp_path):
    message = _error(tmp_path, "targets:\n  api: {patterns: ['api-*'], count: 5}\n" + FAULT + "max_blast_radius: 3\n")
    assert "target 'api' asks for 5 containers, more than max_blast_radius 3" in message


@pytest.mark.parametrize("probe, words", [
    ("{name: p, http: 'http://x/', every: 50ms}", "at least 100ms, got 50ms"),
    ("{name: p, tcp: 'db'}", "expected HOST:PORT"),
    ("{name: p, tcp: 'db:70000'}", "expected HOST:PORT"),
    ("{name: p, http: 'ftp://x/'}", "expected an http:// or https:// URL"),
    ("{name: p, health: true}", "a health probe needs a 'target'"),
    ("{name: p, tcp: 'db:5432', body: ok}", "belong to an http probe"),
    ("{name: p, http: 'http://x/', body_regex: '('}", "expected a regular expression"),
    ("{name: p, http: 'http://x/', body: a, body_regex: b}", "not both"),
    ("{name: p, http: 'http://x/', health: true, target: api}", "exactly one of http, tcp, command or health, got http, health"),
])
def test_probe_mistakes(tmp_path, probe, words):
    message = _error(tmp_path, "targets: {api: {names: [api-1]}}\n" + FAULT + f"probes:\n  - {probe}\n")
    assert "live.probes[0]" in message and words in message


def test_probes_of_every_kind_load(tmp_path):
    live = _live(tmp_path, "targets: {api: {names: [api-1]}}\n" + FAULT + textwrap.dedent("""\
        probes:
          - {name: web, http: "http://127.0.0.1:8080/", body_regex: "ok|ready", max_latency: 200ms, every: 100ms}
          - {name: port, tcp: "127.0.0.1:8080"}
          - {name: healthy, health: true, target: api}
          - {name: data, command: "sha256sum /data", target: api, expect_stable: true}
        """))
    assert [p.every for p in live.probes] == [0.1, 1.0, 1.0, 1.0]
    assert live.probes[0].max_latency == pytest.approx(0.2)
