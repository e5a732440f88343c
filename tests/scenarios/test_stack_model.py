"""The stack file's model: the example loads as written, a stack file is told apart
from every other kind, and each mistake is reported at its line and column with what
was expected."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from scenarios import InputError, Stack, check_files, detect_kind, json_schema, load_stack, loads, parse_yaml
from scenarios.stack import STACK_LABEL

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "live" / "stack.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as info:
        loads(text, Stack, "s.yaml")
    return info.value.lines()


def test_the_example_stack_loads_as_written():
    raw = yaml.safe_load(EXAMPLE.read_text())
    stack = load_stack(EXAMPLE)
    assert stack.stack == raw["stack"] and stack.network_name == raw["network"]
    assert list(stack.services) == list(raw["services"])
    for name, written in raw["services"].items():
        service = stack.services[name]
        assert service.command == written["command"]
        assert service.ports == {str(k): v for k, v in written.get("ports", {}).items()}
        assert service.chaos is bool(written.get("chaos", False))
        assert service.network_mode == written.get("network_mode", "bridge")
        assert (EXAMPLE.parent / service.build).is_dir()
    assert stack.services["api"].healthcheck.every == 1.0
    assert stack.container_name("api") == "drillbit-example-api-1"


def test_a_stack_file_is_its_own_kind_and_validates_with_the_others():
    assert detect_kind(parse_yaml(EXAMPLE.read_text(), "stack.yaml")) == "stack"
    results = check_files([EXAMPLE.parent])
    assert {r.file.name: (r.kind, r.problems) for r in results} == {
        "stack.yaml": ("stack", []), "game-day.yaml": ("scenario", [])}


def test_the_schema_accepts_the_example_and_flags_unknown_keys():
    validator = jsonschema.Draft202012Validator(json_schema("stack"))
    assert list(validator.iter_errors(yaml.safe_load(EXAMPLE.read_text()))) == []
    bad = {"stack": "x", "services": {"a": {"build": "a", "command": ["sh"], "chaoss": True}}}
    assert any("chaoss" in e.message for e in validator.iter_errors(bad))


def test_the_defaults():
    stack = loads("stack: shop\nservices:\n  api: {build: api, command: [httpd, -f]}\n", Stack)
    api = stack.services["api"]
    assert stack.network_name == "shop"
    assert (api.ports, api.labels, api.chaos, api.env, api.healthcheck, api.network_mode, api.tmpfs) == \
        ({}, {}, False, {}, None, "bridge", {})


def test_unknown_and_missing_keys_point_at_the_key():
    assert problems("stack: shop\nservices:\n  api:\n    build: api\n    comand: [httpd]\n") == [
        "s.yaml:4:5: services.api.command: missing required key 'command'",
        "s.yaml:5:5: services.api.comand: unknown key 'comand'; did you mean 'command'?",
    ]


def test_ports_are_host_ports_on_loopback():
    assert problems("stack: shop\nservices:\n  api: {build: api, command: [sh], ports: {'0.0.0.0:80': 80}}\n") == [
        "s.yaml:3:44: services.api.ports.0.0.0.0:80: expected a host port from 1 to 65535, got '0.0.0.0:80'; "
        "ports are always published on 127.0.0.1, so write just the port: '80'"]
    assert problems("stack: shop\nservices:\n  api: {build: api, command: [sh], ports: {'80': 70000}}\n") == [
        "s.yaml:3:50: services.api.ports.80: expected a number <= 65535, got 70000"]


def test_a_host_port_published_twice_is_an_error():
    text = ("stack: shop\nservices:\n  a: {build: a, command: [sh], ports: {'8080': 80}}\n"
            "  b: {build: b, command: [sh], ports: {'8080': 81}}\n")
    assert problems(text) == ["s.yaml:1:1: host port 8080 is published by both 'a' and 'b'"]


@pytest.mark.parametrize("label", [STACK_LABEL, "drillbit.chaos", "com.docker.compose.project"])
def test_labels_drillbit_sets_itself_are_refused(label):
    (line,) = problems(f"stack: shop\nservices:\n  a: {{build: a, command: [sh], labels: {{{label}: x}}}}\n")
    assert line.startswith("s.yaml:3:6: services.a: label ") and f"'{label}' is set by drillbit" in line


def test_host_networking_takes_no_ports_and_names_are_checked():
    assert problems("stack: shop\nservices:\n  m: {build: m, command: [sh], network_mode: host, ports: {'1': 1}}\n") == [
        "s.yaml:3:6: services.m: a service with network_mode host uses the host's ports directly; remove 'ports'"]
    (line,) = problems("stack: Shop Floor\nservices:\n  a: {build: a, command: [sh]}\n")
    assert line.startswith("s.yaml:1:8: stack: ")
    assert problems("stack: shop\nservices:\n  a: {build: /srv/a, command: [sh], env: {1X: y}, tmpfs: {/tmp: lots}}\n") == [
        "s.yaml:3:14: services.a.build: expected a folder relative to the stack file, such as 'api', got '/srv/a'",
        "s.yaml:3:43: services.a.env.1X: expected an environment variable name (letters, digits, '_'), got '1X'",
        "s.yaml:3:65: services.a.tmpfs./tmp: expected a size such as '16m' or '512k', got 'lots'",
    ]


def test_a_healthcheck_interval_the_engine_refuses_is_an_error():
    (line,) = problems("stack: s\nservices:\n  a:\n    build: a\n    command: [sh]\n"
                       "    healthcheck: {command: 'true', every: 0s}\n")
    assert line.startswith("s.yaml:6:18: services.a.healthcheck: 'every' must be at least 1ms")


def test_a_missing_build_folder_is_reported_at_build_by_validate(tmp_path):
    (tmp_path / "stack.yaml").write_text("stack: shop\nservices:\n  api:\n    build: nowhere\n    command: [sh]\n")
    (result,) = check_files([tmp_path / "stack.yaml"])
    assert [str(p) for p in result.problems] == [
        f"{tmp_path / 'stack.yaml'}:4:12: services.api.build: no folder 'nowhere' beside the stack file "
        f"(looked for {tmp_path / 'nowhere'})"]


def test_every_file_of_the_example_stack_is_package_data():
    import glob
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["examples"]
    packaged = {Path(p) for pattern in patterns for p in glob.glob(str(ROOT / "examples" / pattern), recursive=True)
                if Path(p).is_file()}
    shipped = {p for p in (ROOT / "examples" / "live").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert shipped and shipped <= packaged
