"""The example stack brought up for real: its pages answer what the files beside it
say, its containers carry the labels targets use, the monitor posts Alertmanager
webhooks, and tearing it down leaves nothing the engine can find.

The example is run under another name and on free ports, so a game day someone
plays against the real one on 18080/18081 is never disturbed."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from chaos.stack import BusyboxError, StackError, bring_up, is_static, stack_status, tear_down
from scenarios import InputError, load_stack, loads
from scenarios.stack import STACK_LABEL, Stack

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
LIVE = ROOT / "examples" / "live"
NAME = "t-stack-example"


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def example_copy(api_port: int, store_port: int) -> Stack:
    """The example stack renamed and on other host ports (the monitor follows the api)."""
    s = load_stack(LIVE / "stack.yaml")
    services = dict(s.services)
    services["api"] = services["api"].model_copy(update={"ports": {str(api_port): 8080}})
    services["store"] = services["store"].model_copy(update={"ports": {str(store_port): 8081}})
    services["monitor"] = services["monitor"].model_copy(update={"env": {
        **services["monitor"].env, "HEALTH_URL": f"http://127.0.0.1:{api_port}/health", "TIMEOUT": "1", "STACK": NAME}})
    return s.model_copy(update={"stack": NAME, "network": NAME, "services": services})


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for(check, within: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached within {within}s")


def leftovers(docker_client, name: str) -> tuple[list[str], list[str]]:
    containers = [c.name for c in docker_client.containers.list(all=True, filters={"label": f"{STACK_LABEL}={name}"})]
    networks = [n.name for n in docker_client.networks.list() if n.name == name]
    return containers, networks


class Receiver:
    """An Alertmanager webhook receiver on a free loopback port that keeps every body."""

    def __init__(self) -> None:
        bodies = self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                bodies.append((self.path, self.headers.get("Content-Type"),
                               json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def example(docker_client, image):
    api_port, store_port = free_ports(2)
    stack = example_copy(api_port, store_port)
    yield stack, api_port, store_port
    tear_down(stack)
    assert leftovers(docker_client, NAME) == ([], [])


def test_the_example_stack_comes_up_answers_and_carries_its_labels(docker_client, example):
    stack, api_port, store_port = example
    containers = bring_up(stack, LIVE)
    assert [c.name for c in containers] == [f"{NAME}-store-1", f"{NAME}-api-1", f"{NAME}-monitor-1"]

    assert get(f"http://127.0.0.1:{api_port}/health") == (200, "ok\n")
    orders = (LIVE / "store" / "data" / "orders.db").read_text()
    status, body = get(f"http://127.0.0.1:{api_port}/cgi-bin/orders")
    assert status == 200 and orders in body  # read by the api from the store, by the store's name
    assert get(f"http://127.0.0.1:{store_port}/orders.db") == (200, orders)

    written = yaml.safe_load((LIVE / "stack.yaml").read_text())["services"]
    for c in containers:
        service = c.name.removeprefix(f"{NAME}-").removesuffix("-1")
        attrs = docker_client.api.inspect_container(c.id)
        labels = attrs["Config"]["Labels"]
        assert labels["com.docker.compose.project"] == NAME and labels["com.docker.compose.service"] == service
        assert labels[STACK_LABEL] == NAME
        assert {k: labels[k] for k in written[service]["labels"]} == written[service]["labels"]
        assert labels.get("drillbit.chaos") == ("allow" if written[service].get("chaos") else None)
        assert attrs["State"]["Running"]
        if "healthcheck" in written[service]:
            assert attrs["State"]["Health"]["Status"] == "healthy"
        for binds in (attrs["HostConfig"]["PortBindings"] or {}).values():
            assert [b["HostIp"] for b in binds] == ["127.0.0.1"]  # never published beyond this machine
    monitor = docker_client.api.inspect_container(f"{NAME}-monitor-1")
    assert monitor["HostConfig"]["NetworkMode"] == "host"
    # The data file is where the game day's checksum probe reads it.
    code, out = docker_client.containers.get(f"{NAME}-store-1").exec_run(["sha256sum", "/data/orders.db"])
    import hashlib
    assert code == 0 and out.decode().split()[0] == hashlib.sha256(orders.encode()).hexdigest()
    assert stack_status(stack).up

    # Without DRILLBIT_RECEIVER the monitor notices, logs and keeps running.
    api = docker_client.containers.get(f"{NAME}-api-1")
    api.pause()
    try:
        wait_for(lambda: b"not sent" in docker_client.containers.get(f"{NAME}-monitor-1").logs(), 30,
                 "the monitor's 'not sent' line")
    finally:
        api.unpause()
    assert docker_client.api.inspect_container(f"{NAME}-monitor-1")["State"]["Running"]

    assert tear_down(stack) == 4
    assert leftovers(docker_client, NAME) == ([], [])
    assert stack_status(stack).absent
    assert tear_down(stack) == 0  # idempotent


def test_the_monitor_posts_alertmanager_webhooks_and_bringing_up_again_replaces_the_stack(docker_client, example):
    stack, api_port, _ = example
    first = {c.name: c.id for c in bring_up(stack, LIVE)}
    receiver = Receiver()
    try:
        again = bring_up(stack, LIVE, env={"DRILLBIT_RECEIVER": receiver.url})
        assert {c.name for c in again} == set(first) and not {c.id for c in again} & set(first.values())
        assert len(leftovers(docker_client, NAME)[0]) == 3
        api = docker_client.containers.get(f"{NAME}-api-1")
        api.pause()
        try:
            wait_for(lambda: receiver.bodies, 30, "a firing webhook")
        finally:
            api.unpause()
        wait_for(lambda: len(receiver.bodies) >= 2, 30, "a resolved webhook")
    finally:
        receiver.close()
    severities = set(yaml.safe_load((ROOT / "examples" / "team.yaml").read_text())["severity"])
    (path, kind, firing), (_, _, resolved) = receiver.bodies[:2]
    assert (path, kind) == ("/alertmanager", "application/json")
    # The fields of Alertmanager's webhook (version 4) a receiver reads.
    for body, status in ((firing, "firing"), (resolved, "resolved")):
        assert body["version"] == "4" and body["status"] == status
        assert {"receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "groupKey"} <= set(body)
        (alert,) = body["alerts"]
        assert alert["status"] == status and alert["labels"]["alertname"] == "ApiDown"
        assert alert["labels"]["severity"] in severities and alert["labels"]["service"] == "api"
        assert alert["startsAt"].endswith("Z") and alert["generatorURL"] == f"http://127.0.0.1:{api_port}/health"
    assert firing["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    assert resolved["alerts"][0]["endsAt"] >= resolved["alerts"][0]["startsAt"]
    assert resolved["alerts"][0]["fingerprint"] == firing["alerts"][0]["fingerprint"]


SMALL = """\
stack: {name}
services:
  web:
    build: web
    command: {command}
    healthcheck: {{command: "test -f /www/index.html", every: 200ms}}
"""


def small_stack(tmp_path: Path, name: str, command: str = "[httpd, -f, -p, '8080', -h, /www]") -> Path:
    (tmp_path / "web" / "www").mkdir(parents=True)
    (tmp_path / "web" / "www" / "index.html").write_text("hello\n")
    (tmp_path / "stack.yaml").write_text(SMALL.format(name=name, command=command))
    return tmp_path / "stack.yaml"


def test_a_service_that_exits_fails_with_its_logs_and_leaves_nothing(docker_client, image, tmp_path):
    path = small_stack(tmp_path, "t-stack-exits", "[sh, -c, 'echo no such luck; exit 7']")
    stack = load_stack(path)
    with pytest.raises(StackError) as info:
        bring_up(stack, tmp_path, healthy_within=20)
    assert "exited with code 7" in str(info.value) and "no such luck" in str(info.value)
    assert leftovers(docker_client, "t-stack-exits") == ([], [])


def test_a_container_of_the_same_name_that_is_not_the_stacks_is_refused(docker_client, make_container, tmp_path):
    path = small_stack(tmp_path, "t-stack-clash")
    stack = load_stack(path)
    other = make_container(name="t-stack-clash-web-1")
    with pytest.raises(StackError, match="container t-stack-clash-web-1 already exists and is not part of stack"):
        bring_up(stack, tmp_path)
    other.reload()
    assert other.status == "running"  # not touched
    assert not docker_client.networks.list(names=["t-stack-clash"])


def test_a_bad_stack_file_names_file_line_and_column(tmp_path):
    (tmp_path / "api").mkdir()
    path = tmp_path / "stack.yaml"
    path.write_text("stack: shop\n"
                    "services:\n"
                    "  api:\n"
                    "    build: api\n"
                    "    comand: [httpd]\n"
                    "  db:\n"
                    "    build: db\n"
                    "    command: [sh]\n"
                    "    ports: {'5432': 5432}\n"
                    "    network_mode: host\n")
    with pytest.raises(InputError) as info:
        load_stack(path)
    assert info.value.lines() == [
        f"{path}:4:5: services.api.command: missing required key 'command'",
        f"{path}:5:5: services.api.comand: unknown key 'comand'; did you mean 'command'?",
        f"{path}:7:5: services.db: a service with network_mode host uses the host's ports directly; remove 'ports'",
    ]


def test_a_missing_build_folder_points_at_build(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text("stack: shop\nservices:\n  api:\n    build: api\n    command: [httpd]\n")
    with pytest.raises(InputError) as info:
        load_stack(path)
    (line,) = info.value.lines()
    assert line.startswith(f"{path}:4:12: services.api.build: no folder 'api' beside the stack file")


def _file_says_static(path: str) -> bool | None:
    if shutil.which("file") is None:
        return None
    out = subprocess.run(["file", "-L", path], capture_output=True, text=True).stdout
    return "statically linked" in out or "static-pie" in out


@pytest.mark.parametrize("binary", ["/bin/busybox", "/usr/bin/busybox", "/bin/sh", "/usr/bin/env"])
def test_static_is_what_the_file_command_says(binary):
    if not Path(binary).exists():
        pytest.skip(f"{binary} is not on this machine")
    expected = _file_says_static(binary)
    if expected is None:
        pytest.skip("no `file` command to compare with")
    assert is_static(binary) is expected


def test_a_dynamic_busybox_is_refused_with_the_fix(monkeypatch, tmp_path):
    import chaos.stack as module

    dynamic = shutil.which("env")
    assert dynamic and not is_static(dynamic)
    monkeypatch.setattr(module.shutil, "which", lambda name: dynamic)
    stack = loads("stack: x\nservices: {a: {build: a, command: [sh]}}\n", Stack)
    with pytest.raises(BusyboxError, match=r"apt-get install busybox-static"):
        module.build_images(stack, tmp_path)


def test_every_fault_of_the_example_game_day_is_seen_by_its_probes_and_restored(docker_client, example, tmp_path,
                                                                                 monkeypatch):
    """The faults of game-day.yaml, one at a time on the example stack, as its comments
    say: the pause fails /health, the partition only the orders page, the corruption
    the checksum; each restore brings every probe back and leaves the ledger empty."""
    from chaos.faults import FAULTS
    from chaos.ledger import Ledger
    from chaos.probes import CommandProbe, HttpProbe
    from chaos.session import apply_fault, restore_fault
    from scenarios import load_scenario

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))  # the corruption's snapshot
    stack, api_port, _ = example
    containers = {c.name.removeprefix(f"{NAME}-").removesuffix("-1"): c for c in bring_up(stack, LIVE)}
    live = load_scenario(LIVE / "game-day.yaml").live
    ledger = Ledger(tmp_path / "ledger.jsonl")
    probes = {"health": HttpProbe(f"http://127.0.0.1:{api_port}/health", body="ok", timeout=1),
              "orders": HttpProbe(f"http://127.0.0.1:{api_port}/cgi-bin/orders", body="order-1001", timeout=3),
              "intact": CommandProbe(containers["store"], "sha256sum /data/orders.db", expect_stable=True)}
    assert {k: p.check().ok for k, p in probes.items()} == {"health": True, "orders": True, "intact": True}
    failing = {"pause": {"health", "orders"}, "partition": {"orders"}, "fill-disk": set(),
               "corrupt-file": {"orders", "intact"}}
    assert [f.kind for f in live.faults] == list(failing)
    for fault in live.faults:
        params = fault.params()
        if "peers" in params:
            params["peers"] = [containers[p].name for p in params["peers"]]
        target = containers[live.targets[fault.target].service or live.targets[fault.target].labels["app"]]
        entry = apply_fault(docker_client, FAULTS[fault.kind](**params), target, ledger)
        try:
            seen = {k for k, p in probes.items() if not p.check().ok}
        finally:
            restore_fault(ledger, entry)
        assert seen == failing[fault.kind], fault.kind
        assert {k for k, p in probes.items() if not p.check().ok} == set(), f"after restoring {fault.kind}"
    assert ledger.outstanding() == []
