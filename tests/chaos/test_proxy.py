"""Faults through drillbit's own TCP proxy against real containers: the delay, rate,
stall and reset a client measures (against a baseline taken in the same test, and a
hand calculation), the DNAT rule the kernel lists in the target's namespace; after the
restore no rule, no proxy process and a free port, as /proc, iptables and a bind say;
and a runner SIGKILLed mid-fault recovered by ``recover`` and by the watchdog."""

from __future__ import annotations

import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chaos.faults import FAULTS, FaultError
from chaos.ledger import APPLIED, RESTORED, Ledger
from chaos.proxy import Route, Toxic, start_proxy, stop_proxy
from chaos.session import recover
from faultcycle import applied, restored
from test_network_faults import (SERVE, fetch, in_netns, ip, kernel_has_netem, network,  # noqa: F401 - network is a fixture
                                 serving)

pytestmark = pytest.mark.docker

RUNNER = Path(__file__).with_name("crash_runner.py")
BLOB = 128 * 1024
SERVE_BLOB = SERVE.replace("head -c 65536", f"head -c {BLOB}")


@pytest.fixture(autouse=True)
def own_state(tmp_path, monkeypatch):
    """Proxy pid files and logs go beside this test's ledger, never the user's."""
    monkeypatch.setenv("DRILLBIT_CHAOS_LEDGER", str(tmp_path / "ledger.jsonl"))


def proxies(token: str = "") -> list[int]:
    """Pids whose command line is ``python -m chaos.proxy`` (with ``token``), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"chaos.proxy" in words and token.encode() in b" ".join(words) and state not in "ZX":
            found.append(int(entry.name))
    return found


def bound(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nat_rules(container) -> list[str]:
    return [line for line in in_netns(container, "iptables", "-t", "nat", "-S").splitlines() if "drillbit:" in line]


def http_get(host: str, port: int, path: str = "/", timeout: float = 10.0) -> tuple[float, bytes]:
    """(seconds to the whole response, the response) of one HTTP/1.0 GET."""
    start = time.monotonic()
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        chunks = []
        while data := s.recv(65536):
            chunks.append(data)
    return time.monotonic() - start, b"".join(chunks)


def timed_wget(container, url: str) -> float:
    start = time.monotonic()
    assert fetch(container, url)
    return time.monotonic() - start


@pytest.fixture
def server(make_container, network):
    net = network()
    return serving(make_container(SERVE_BLOB, network=net.name)), net


def nothing_left(restore, container=None) -> None:
    token = restore.data["token"]
    assert proxies(token) == []
    assert not Path(restore.data["pidfile"]).exists()
    if container is not None:
        assert token not in "\n".join(nat_rules(container))


# --- the scenario names the proxy's address (listen) --------------------------------------

def test_latency_adds_the_delay_within_the_jitter(docker_client, server):
    b, _ = server
    port = free_port()
    baseline = min(http_get(ip(b), 8080)[0] for _ in range(3))
    restore = applied(docker_client, b, "latency", delay="300ms", jitter="100ms", port=8080,
                      listen=f"127.0.0.1:{port}")
    assert len(proxies(restore.data["token"])) == 1 and bound("127.0.0.1", port)
    for _ in range(5):
        took, body = http_get("127.0.0.1", port)
        assert body.endswith(b"ok\n")
        # Each response chunk waits 300ms ± 100ms after it reached the proxy.
        assert 0.3 - 0.1 - 0.02 <= took - baseline <= 0.3 + 0.1 + 0.15, took
    restored(docker_client, restore)
    nothing_left(restore)
    assert not bound("127.0.0.1", port)
    assert http_get(ip(b), 8080)[0] < baseline + 0.1


def test_latency_upstream_delays_the_request_not_the_response(docker_client, server):
    b, _ = server
    port = free_port()
    baseline = min(http_get(ip(b), 8080, "/blob")[0] for _ in range(3))
    restore = applied(docker_client, b, "latency", delay="400ms", port=8080, listen=f"127.0.0.1:{port}",
                      stream="upstream")
    took, body = http_get("127.0.0.1", port, "/blob")
    # One request chunk waits 400ms; the 128 KiB answer, many chunks, waits nothing more.
    assert len(body) > BLOB and 0.4 - 0.02 <= took - baseline <= 0.4 + 0.15, took
    restored(docker_client, restore)
    nothing_left(restore)


def test_bandwidth_caps_a_transfer_at_the_rate(docker_client, server):
    b, _ = server
    port = free_port()
    fast, body = http_get(ip(b), 8080, "/blob")
    assert len(body) > BLOB
    restore = applied(docker_client, b, "bandwidth", rate="1mbit", port=8080, listen=f"127.0.0.1:{port}")
    took, body = http_get("127.0.0.1", port, "/blob")
    # 1 mbit/s is 125 000 bytes/s: the body and its headers take len/125000 seconds.
    expected = len(body) / 125_000
    assert len(body) > BLOB and fast < expected / 3
    assert expected * 0.9 <= took <= expected + 0.4, (took, expected)
    restored(docker_client, restore)
    nothing_left(restore)


def test_connection_timeout_stalls_then_closes_after_the_time_given(docker_client, server):
    b, _ = server
    port = free_port()
    restore = applied(docker_client, b, "connection-timeout", port=8080, listen=f"127.0.0.1:{port}")
    with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        with pytest.raises(TimeoutError):  # never answered, never closed: 0 is never
            s.recv(100)
    restored(docker_client, restore)
    nothing_left(restore)

    restore = applied(docker_client, b, "connection-timeout", port=8080, listen=f"127.0.0.1:{port}", after=0.5)
    with socket.create_connection(("127.0.0.1", port), timeout=3.0) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        start = time.monotonic()
        assert s.recv(100) == b""  # closed, with none of the server's answer
        assert 0.4 <= time.monotonic() - start <= 1.2
    restored(docker_client, restore)
    nothing_left(restore)
    assert http_get(ip(b), 8080)[1].endswith(b"ok\n")


def test_connection_reset_gives_econnreset_to_the_share_of_connections_asked(docker_client, server):
    b, _ = server
    port = free_port()
    restore = applied(docker_client, b, "connection-reset", port=8080, listen=f"127.0.0.1:{port}")
    with pytest.raises(ConnectionResetError):
        http_get("127.0.0.1", port)
    restored(docker_client, restore)
    nothing_left(restore)

    restore = applied(docker_client, b, "connection-reset", port=8080, listen=f"127.0.0.1:{port}", toxicity=0.5)
    resets = 0
    for _ in range(40):
        try:
            http_get("127.0.0.1", port)
        except ConnectionResetError:
            resets += 1
    # Binomial(40, 0.5): outside 6..34 with probability below one in a million.
    assert 6 <= resets <= 34, resets
    restored(docker_client, restore)
    nothing_left(restore)


# --- the target's own connections to its peers (DNAT in its namespace) ---------------------

def test_latency_to_peers_redirects_the_target_s_connections_through_the_proxy(docker_client, make_container, network):
    net = network()
    a = make_container("sleep 300", network=net.name)
    b = serving(make_container(SERVE, network=net.name))
    url = f"http://{ip(b)}:8080/"
    baseline = min(timed_wget(a, url) for _ in range(3))
    restore = applied(docker_client, a, "latency", delay="500ms", port=8080, peers=[b.id])
    rules = nat_rules(a)
    gateway = net.attrs["IPAM"]["Config"][0]["Gateway"]
    assert len(rules) == 1 and f"-d {ip(b)}/32 -p tcp -m tcp --dport 8080" in rules[0]
    to = re.search(rf"--to-destination {re.escape(gateway)}:(\d+)", rules[0])
    assert to, rules[0]
    proxy_port = int(to[1])
    assert bound(gateway, proxy_port) and len(proxies(restore.data["token"])) == 1
    slow = min(timed_wget(a, url) for _ in range(3))
    assert 0.5 - 0.05 <= slow - baseline <= 0.5 + 0.6, (slow, baseline)
    # Other ports and other peers are not redirected.
    assert len(rules) == 1
    restored(docker_client, restore)
    nothing_left(restore, a)
    assert nat_rules(a) == [] and not bound(gateway, proxy_port)
    assert timed_wget(a, url) < baseline + 0.3


def test_connection_reset_to_a_peer_fails_the_target_s_request(docker_client, make_container, network):
    net = network()
    a = make_container("sleep 300", network=net.name)
    b = serving(make_container(SERVE, network=net.name))
    restore = applied(docker_client, a, "connection-reset", port=8080, peers=[b.name])
    assert not fetch(a, f"http://{ip(b)}:8080/")
    assert fetch(b, f"http://{ip(b)}:8080/")  # only the target's connections are touched
    restored(docker_client, restore)
    nothing_left(restore, a)
    assert fetch(a, f"http://{ip(b)}:8080/")


# --- refusals, before anything is touched -------------------------------------------------

def test_latency_without_netem_or_port_says_what_is_missing_and_how_port_helps(docker_client, make_container):
    c = make_container("sleep 30")
    if kernel_has_netem():
        pytest.skip("this kernel has netem: latency without port uses it")
    with pytest.raises(FaultError, match=r"modprobe sch_netem.*give `port`.*drillbit's TCP proxy"):
        FAULTS["latency"](delay="50ms").check(docker_client, c)


def test_proxied_faults_refuse_what_they_cannot_do(docker_client, make_container, network):
    net = network()
    a = make_container("sleep 30", network=net.name)
    alone = make_container("sleep 30")  # on the default bridge only: no network shared with a
    before = set(proxies())
    with pytest.raises(FaultError, match="needs `peers`.*or `listen"):
        FAULTS["connection-reset"](port=80).check(docker_client, a)
    with pytest.raises(FaultError, match="needs `port`"):
        FAULTS["connection-timeout"](peers=[alone.id]).check(docker_client, a)
    with pytest.raises(FaultError, match=f"share no Docker network.*{alone.name}"):
        FAULTS["latency"](delay="10ms", port=80, peers=[alone.id]).check(docker_client, a)
    with pytest.raises(FaultError, match="among its own peers"):
        FAULTS["latency"](delay="10ms", port=80, peers=[a.name]).check(docker_client, a)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        with pytest.raises(FaultError, match=f"127.0.0.1:{busy} is taken"):
            FAULTS["connection-reset"](port=80, listen=f"127.0.0.1:{busy}").check(docker_client, a)
    assert set(proxies()) <= before and nat_rules(a) == []  # a refusal starts and writes nothing


# --- the proxy process on its own -----------------------------------------------------------

def test_the_proxy_exits_by_itself_once_its_entry_is_restored_or_its_lifetime_passes(tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    from chaos.faults import Restore

    entry = ledger.begin(Restore(kind="latency", container="c0ffee", name="x", data={"token": "tok-a"}))
    ledger.mark(entry, APPLIED)
    started = start_proxy([Route("127.0.0.1", 0, "127.0.0.1", 9)], Toxic("latency", delay=0.1), token="tok-a",
                          folder=tmp_path, ledger=ledger.path)
    assert proxies("tok-a") == [started.pid] and bound("127.0.0.1", started.ports[0])
    time.sleep(0.8)
    assert proxies("tok-a") == [started.pid]  # outstanding: it keeps serving
    ledger.mark(entry, RESTORED)
    _gone_within(started.pid, 3)
    assert not bound("127.0.0.1", started.ports[0]) and not (tmp_path / "proxy-tok-a.json").exists()

    started = start_proxy([Route("127.0.0.1", 0, "127.0.0.1", 9)], Toxic("timeout"), token="tok-b",
                          folder=tmp_path, lifetime=0.5)
    _gone_within(started.pid, 3)
    stop_proxy("tok-b", tmp_path / "proxy-tok-b.json")  # already gone: nothing to do, no error
    assert proxies("tok-b") == []


def _gone_within(pid: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if pid not in proxies():
            return
        time.sleep(0.05)
    raise AssertionError(f"proxy {pid} still runs after {seconds}s")


def test_a_proxy_that_cannot_listen_fails_to_start_and_leaves_nothing(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(Exception, match="did not start.*(in use|Errno)"):
            start_proxy([Route("127.0.0.1", taken.getsockname()[1], "127.0.0.1", 9)], Toxic("timeout"),
                        token="tok-c", folder=tmp_path, ready_timeout=5)
    assert proxies("tok-c") == [] and not (tmp_path / "proxy-tok-c.json").exists()


# --- a runner killed mid-fault --------------------------------------------------------------

def _killed_runner(make_container, network, ledger: Ledger, mode: str):
    net = network()
    a = make_container("sleep 300", network=net.name)
    b = serving(make_container(SERVE, network=net.name))
    plan = [["latency", a.id, {"delay": "200ms", "port": 8080, "peers": [b.id]}],
            ["connection-reset", b.id, {"port": 8080, "listen": f"127.0.0.1:{free_port()}"}]]
    runner = subprocess.Popen([sys.executable, str(RUNNER), str(ledger.path), mode, json.dumps(plan)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    ready, _, _ = select.select([runner.stdout], [], [], 60)
    line = runner.stdout.readline() if ready else b""
    if not line:
        runner.kill()
        pytest.fail(f"the runner did not apply its faults: {runner.stderr.read().decode()}")
    entries = {e.restore.kind: e.restore for e in ledger.entries()}
    tokens = [r.data["token"] for r in entries.values()]
    assert all(len(proxies(t)) == 1 for t in tokens) and len(nat_rules(a)) == 1
    listen = entries["connection-reset"].data["routes"][0]["listen"]
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait(10)
    # The runner's group is dead; the proxies, in sessions of their own, still serve.
    assert all(len(proxies(t)) == 1 for t in tokens) and len(nat_rules(a)) == 1
    return a, tokens, listen, json.loads(line)["watchdog"]


def test_recover_stops_the_proxies_and_removes_the_rule_of_a_killed_runner(docker_client, make_container,
                                                                           network, tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    a, tokens, listen, _ = _killed_runner(make_container, network, ledger, "alone")
    outcomes = recover(ledger)
    assert [o.state for _, o in outcomes] == [RESTORED, RESTORED], [o.error for _, o in outcomes]
    assert nat_rules(a) == [] and [proxies(t) for t in tokens] == [[], []]
    assert not bound(*listen) and ledger.outstanding() == []


def test_the_watchdog_stops_the_proxies_of_a_killed_runner(docker_client, make_container, network, tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    a, tokens, listen, watchdog = _killed_runner(make_container, network, ledger, "watchdog")
    deadline = time.monotonic() + 20
    while ledger.outstanding() and time.monotonic() < deadline:
        time.sleep(0.2)
    log = Path(f"{ledger.path}.watchdog.log")
    assert ledger.outstanding() == [], log.read_text() if log.exists() else "no watchdog log"
    assert nat_rules(a) == [] and [proxies(t) for t in tokens] == [[], []]
    assert not bound(*listen)


# --- drillbit chaos apply --------------------------------------------------------------------

def test_chaos_apply_latency_to_peers_by_name_goes_through_the_proxy(cli, make_container, network, tmp_path):
    net = network()
    a = make_container("sleep 300", network=net.name)
    b = serving(make_container(SERVE, network=net.name))
    url = f"http://{ip(b)}:8080/"
    baseline = min(timed_wget(a, url) for _ in range(3))
    ledger = Ledger(tmp_path / "ledger.jsonl")
    seen: dict[str, object] = {}

    def measure() -> None:
        deadline = time.monotonic() + 20
        while not any(e.state == APPLIED for e in ledger.entries()) and time.monotonic() < deadline:
            time.sleep(0.05)
        seen["rules"] = nat_rules(a)
        seen["slow"] = min(timed_wget(a, url) for _ in range(2))

    probe = threading.Thread(target=measure)
    probe.start()
    code, out, err = cli("chaos", "apply", "latency", "--target", a.name, "--param", "delay=400ms",
                         "--param", "port=8080", "--param", f"peers={b.name}", "--for", "4s",
                         "--ledger", str(ledger.path))
    probe.join(30)
    assert code == 0, err
    assert f"applied latency to {a.name}" in out and "restored latency on 1 container" in out
    assert len(seen["rules"]) == 1 and "DNAT" in seen["rules"][0]
    assert 0.4 - 0.05 <= seen["slow"] - baseline <= 0.4 + 0.6, (seen, baseline)
    assert nat_rules(a) == []
    assert [proxies(e.restore.data["token"]) for e in ledger.entries()] == [[]]


def test_chaos_apply_peers_that_match_nothing_is_bad_usage(cli, make_container):
    a = make_container("sleep 30")
    code, _, err = cli("chaos", "apply", "latency", "--target", a.name, "--param", "delay=10ms", "--param",
                       "port=80", "--param", f"peers=nothing-{random.randrange(10**9)}", "--dry-run")
    assert code == 2 and "peer nothing-" in err and "matched no running container" in err and "Traceback" not in err
