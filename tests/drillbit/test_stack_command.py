"""``drillbit stack up|status|down FILE`` as a user runs it: bad input is exit 2 with
file:line:col and no traceback; against a real engine, up starts what the engine then
reports running, status says so, down removes it all."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

NAME = "t-stack-cmd"
STACK = f"""\
stack: {NAME}
services:
  web:
    build: web
    command: [httpd, -f, -p, "8080", -h, /www]
    ports: {{"{{port}}": 8080}}
    labels: {{app: web}}
    chaos: true
    env: {{GREETING: hello}}
    healthcheck: {{command: "test -f /www/index.html", every: 200ms}}
"""


def test_a_bad_stack_file_is_exit_2_with_its_position(cli, tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text("stack: shop\nservices:\n  api: {build: api, command: [sh], chaoss: true}\n")
    for verb in ("up", "down", "status"):
        code, out, err = cli("stack", verb, str(path))
        assert code == 2 and out == "", verb
        assert f"{path}:3:36: services.api.chaoss: unknown key 'chaoss'; did you mean 'chaos'?" in err
        assert "Traceback" not in err


def test_a_missing_file_and_a_bad_env_are_exit_2(cli, tmp_path):
    code, _, err = cli("stack", "status", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in err and "Traceback" not in err
    (tmp_path / "stack.yaml").write_text("stack: s\nservices: {a: {build: a, command: [sh]}}\n")
    (tmp_path / "a").mkdir()
    code, _, err = cli("stack", "up", str(tmp_path / "stack.yaml"), "--env", "NOEQUALS")
    assert code == 2 and "expected KEY=VALUE, got 'NOEQUALS'" in err


def test_stack_is_listed_in_help(cli):
    code, out, _ = cli("--help")
    assert code == 0 and "stack" in out and "game day plays against" in out


@pytest.fixture
def engine():
    from chaos.engine import connect
    from chaos.errors import EngineError

    try:
        return connect()
    except EngineError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs a Docker engine: {exc}")
        pytest.skip(str(exc))


@pytest.mark.docker
def test_up_status_down_against_a_real_engine(cli, engine, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "web" / "www").mkdir(parents=True)
    (tmp_path / "web" / "www" / "index.html").write_text("hello from the stack\n")
    path = tmp_path / "stack.yaml"
    path.write_text(STACK.replace("{port}", str(port)))
    try:
        code, out, err = cli("stack", "up", str(path), "--env", "EXTRA=1", "--json")
        assert code == 0, err
        shown = json.loads(out)
        assert shown["up"] is True and shown["network_exists"] is True
        assert shown["services"] == [{"service": "web", "container": f"{NAME}-web-1", "state": "running",
                                      "health": "healthy", "ports": [f"127.0.0.1:{port}->8080/tcp"]}]
        attrs = engine.api.inspect_container(f"{NAME}-web-1")
        assert attrs["State"]["Health"]["Status"] == "healthy"
        assert {"GREETING=hello", "EXTRA=1"} <= set(attrs["Config"]["Env"])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as resp:
            assert resp.read() == b"hello from the stack\n"

        code, out, _ = cli("stack", "status", str(path))
        assert code == 0 and f"stack {NAME} is up" in out and f"127.0.0.1:{port}->8080/tcp" in out
    finally:
        code, out, err = cli("stack", "down", str(path))
    assert code == 0, err
    assert out == f"stack {NAME}: removed 2 containers and networks\n"
    assert engine.containers.list(all=True, filters={"label": f"drillbit.stack={NAME}"}) == []
    assert [n for n in engine.networks.list() if n.name == NAME] == []
    code, out, _ = cli("stack", "down", str(path))
    assert (code, out) == (0, f"stack {NAME}: nothing to remove\n")
    code, out, _ = cli("stack", "status", str(path))
    assert code == 0 and f"stack {NAME} is absent" in out and "absent" in out


def test_the_example_game_day_simulates_against_the_example_team(cli, root, tmp_path):
    """The same file a game day plays is the simulation's input (its prediction)."""
    code, out, err = cli("simulate", str(root / "examples" / "live" / "game-day.yaml"),
                         "--team", str(root / "examples" / "team.yaml"), "--runs", "5", "--seed", "3",
                         "--no-log", "--json")
    assert code in (0, 1), err  # 1: a run missed an objective, which a drill may
    result = json.loads(out)
    assert result["scenario"]["id"] == "example-stack-game-day" and result["runs"] == 5
    # The monitoring rule fires on the first signal (3s in), so detection is 3s in every run.
    assert result["metrics"]["ttd"]["median"] == 3.0
