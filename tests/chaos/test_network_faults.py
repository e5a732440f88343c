"""Network faults against real containers: the effect seen by a probe and by the
kernel (`iptables -S`, `tc qdisc show` in the namespace) or the engine, then restored
from the record (twice, and from its JSON as after a crash) with nothing left."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

import chaos.faults.network  # noqa: F401 - registers the network faults on this branch
from chaos.faults import FAULTS, FaultError, Restore
from faultcycle import applied, restored

SERVE = "mkdir -p /www && head -c 65536 /dev/zero > /www/blob && echo ok > /www/index.html && httpd -f -p 8080 -h /www"


def in_netns(container, *argv: str) -> str:
    container.reload()
    return subprocess.run(["nsenter", "-t", str(container.attrs["State"]["Pid"]), "-n", *argv],
                          capture_output=True, text=True, check=True).stdout


def rules(container) -> str:
    return in_netns(container, "iptables", "-S") + in_netns(container, "iptables", "-t", "mangle", "-S")


def fetch(client_container, url: str) -> bool:
    # `timeout`, not wget's -T (which crashes this busybox); a dropped SYN would hang for minutes.
    return client_container.exec_run(["timeout", "2", "wget", "-q", "-O", "/dev/null", url]).exit_code == 0


def ip(container) -> str:
    container.reload()
    return next(n["IPAddress"] for n in container.attrs["NetworkSettings"]["Networks"].values())


@pytest.fixture
def network(docker_client):
    made = []

    def make():
        net = docker_client.networks.create(f"dbt-{uuid.uuid4().hex[:10]}", labels={"drillbit.test": "1"})
        made.append(net)
        return net

    yield make
    for net in made:
        net.reload()
        for c in net.containers:
            net.disconnect(c, force=True)
        net.remove()


def serving(container):
    """``container`` once its httpd answers on itself (it starts a moment after the container)."""
    deadline = time.monotonic() + 5
    while not fetch(container, "http://127.0.0.1:8080/"):
        assert time.monotonic() < deadline, f"httpd in {container.name} never answered"
        time.sleep(0.05)
    return container


@pytest.fixture
def pair(make_container, network):
    """Two web servers on one user-defined network."""
    net = network()
    return serving(make_container(SERVE, network=net.name)), serving(make_container(SERVE, network=net.name))


def test_partition_cuts_both_ways_and_restores(docker_client, pair):
    a, b = pair
    assert fetch(b, f"http://{ip(a)}:8080/") and fetch(a, f"http://{ip(b)}:8080/")
    restore = applied(docker_client, a, "partition", peers=[b.name])
    assert rules(a).count(restore.data["comment"]) == 2
    assert not fetch(b, f"http://{ip(a)}:8080/")
    assert not fetch(a, f"http://{ip(b)}:8080/")
    restored(docker_client, restore)
    assert "drillbit:" not in rules(a)
    assert fetch(b, f"http://{ip(a)}:8080/") and fetch(a, f"http://{ip(b)}:8080/")


def test_packet_loss_at_probability_one_fails_a_connection(docker_client, pair):
    a, b = pair
    restore = applied(docker_client, a, "packet-loss", probability=1.0)
    assert "--mode random --probability 1.0" in rules(a)
    assert not fetch(b, f"http://{ip(a)}:8080/")
    restored(docker_client, restore)
    assert "drillbit:" not in rules(a)
    assert fetch(b, f"http://{ip(a)}:8080/")


def test_restore_deletes_only_drillbits_rules(docker_client, pair):
    a, b = pair
    in_netns(a, "iptables", "-A", "INPUT", "-s", "192.0.2.1", "-j", "DROP")
    restore = applied(docker_client, a, "packet-loss", probability=0.5, direction="output")
    restored(docker_client, restore)
    assert "-A INPUT -s 192.0.2.1/32 -j DROP" in rules(a)
    assert "drillbit:" not in rules(a)


def test_dns_failure_makes_names_fail_but_not_addresses(docker_client, pair):
    a, b = pair
    assert b.exec_run(["nslookup", a.name]).exit_code == 0
    restore = applied(docker_client, b, "dns-failure")
    assert b.exec_run(["nslookup", a.name]).exit_code != 0
    assert not fetch(b, f"http://{a.name}:8080/")
    assert fetch(b, f"http://{ip(a)}:8080/")
    restored(docker_client, restore)
    assert "drillbit:" not in rules(b)
    assert b.exec_run(["nslookup", a.name]).exit_code == 0 and fetch(b, f"http://{a.name}:8080/")


def timed_fetch(container, url: str) -> float:
    start = time.monotonic()
    assert fetch(container, url)
    return time.monotonic() - start


def test_bandwidth_shows_a_tbf_qdisc_and_slows_a_transfer(docker_client, pair):
    a, b = pair
    fast = timed_fetch(b, f"http://{ip(a)}:8080/blob")
    restore = applied(docker_client, a, "bandwidth", rate="512kbit")
    assert "qdisc tbf db1: root" in in_netns(a, "tc", "qdisc", "show", "dev", "eth0")
    slow = timed_fetch(b, f"http://{ip(a)}:8080/blob")  # 64 KiB at 64 KiB/s
    assert slow > 0.7 and slow > fast + 0.5
    restored(docker_client, restore)
    assert "tbf" not in in_netns(a, "tc", "qdisc", "show", "dev", "eth0")
    assert timed_fetch(b, f"http://{ip(a)}:8080/blob") < slow / 2


def test_bandwidth_refuses_a_root_qdisc_it_did_not_make(docker_client, make_container):
    c = make_container("sleep 30")
    in_netns(c, "tc", "qdisc", "add", "dev", "eth0", "root", "handle", "7:", "tbf", "rate", "1mbit",
             "burst", "32kbit", "latency", "400ms")
    with pytest.raises(FaultError, match="already has a root qdisc .*tbf 7:"):
        FAULTS["bandwidth"](rate="1mbit").check(docker_client, c)
    restore = Restore(kind="bandwidth", container=c.id, name=c.name,
                      data={"device": "eth0", "handle": "db1:", "qdisc": "tbf", "previous": "", "args": []})
    FAULTS["bandwidth"].restore(docker_client, restore)
    assert "tbf 7: root" in in_netns(c, "tc", "qdisc", "show", "dev", "eth0")


def kernel_has_netem() -> bool:
    return subprocess.run(["unshare", "-n", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"],
                          capture_output=True).returncode == 0


def test_latency_uses_netem_or_refuses_saying_what_is_missing(docker_client, make_container):
    c = make_container("sleep 30")
    if kernel_has_netem():
        restore = applied(docker_client, c, "latency", delay="50ms", jitter="10ms")
        assert "netem db2: root" in in_netns(c, "tc", "qdisc", "show", "dev", "eth0")
        restored(docker_client, restore)
        assert "netem" not in in_netns(c, "tc", "qdisc", "show", "dev", "eth0")
    else:
        with pytest.raises(FaultError, match=r"latency needs the netem qdisc \(sch_netem\), which this kernel "
                                             r"lacks: check with 'modprobe sch_netem'.*TCP proxy"):
            FAULTS["latency"](delay="50ms", jitter="10ms").check(docker_client, c)
        assert "netem" not in in_netns(c, "tc", "qdisc", "show", "dev", "eth0")


def test_network_faults_refuse_a_stopped_container_or_missing_tools(docker_client, make_container, monkeypatch, tmp_path):
    c = make_container("sleep 30")
    c.stop(timeout=0)
    for kind, params in [("packet-loss", {}), ("bandwidth", {"rate": "1mbit"}), ("disconnect", {})]:
        with pytest.raises(FaultError, match="needs a running container"):
            FAULTS[kind](**params).check(docker_client, c)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FaultError, match="dns-failure needs nsenter, iptables on this host"):
        FAULTS["dns-failure"]().check(docker_client, c)


def test_restoring_a_removed_container_is_done(docker_client, make_container):
    c = make_container("sleep 30")
    restore = applied(docker_client, c, "dns-failure")
    c.remove(force=True)
    restored(docker_client, restore)


def test_disconnect_every_network_and_reconnect_with_aliases(docker_client, make_container, network):
    first, second = network(), network()
    c = serving(make_container(SERVE, network=first.name))
    second.connect(c, aliases=["store"])
    peer = make_container("sleep 30", network=second.name)
    assert fetch(peer, "http://store:8080/")
    restore = applied(docker_client, c, "disconnect")
    c.reload()
    assert c.attrs["NetworkSettings"]["Networks"] == {}
    assert not fetch(peer, "http://store:8080/")
    restored(docker_client, restore)
    c.reload()
    networks = c.attrs["NetworkSettings"]["Networks"]
    assert set(networks) == {first.name, second.name}
    assert "store" in networks[second.name]["Aliases"]
    assert fetch(peer, "http://store:8080/")


def test_disconnect_one_named_network(docker_client, make_container, network):
    first, second = network(), network()
    c = make_container("sleep 30", network=first.name)
    second.connect(c)
    restore = applied(docker_client, c, "disconnect", network=second.name)
    c.reload()
    assert set(c.attrs["NetworkSettings"]["Networks"]) == {first.name}
    restored(docker_client, restore)
    c.reload()
    assert set(c.attrs["NetworkSettings"]["Networks"]) == {first.name, second.name}
    with pytest.raises(FaultError, match="is not on network 'nowhere'"):
        FAULTS["disconnect"](network="nowhere").check(docker_client, c)


def _reach(pairs) -> dict[tuple[str, str], bool]:
    """Whether each (client, server) pair's HTTP request gets through, all at once
    (a blocked pair waits out its 2s timeout; one after another they would add up)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(pairs)) as pool:
        futures = {(c.name, s.name): pool.submit(fetch, c, f"http://{ip(s)}:8080/") for c, s in pairs}
    return {k: f.result() for k, f in futures.items()}


def test_partition_between_two_groups_cuts_every_pair_across_and_none_within(docker_client, make_container, network,
                                                                             tmp_path):
    from itertools import permutations

    from chaos.ledger import Ledger
    from chaos.session import held_faults

    net = network()
    group_a = [serving(make_container(SERVE, network=net.name)) for _ in range(2)]
    group_b = [serving(make_container(SERVE, network=net.name)) for _ in range(2)]
    every = list(permutations(group_a + group_b, 2))
    across = {(c.name, s.name) for c, s in every if (c in group_a) != (s in group_a)}
    assert len(every) == 12 and len(across) == 8
    assert all(_reach(every).values())

    ledger = Ledger(tmp_path / "ledger.jsonl")
    with held_faults(ledger) as held:
        # As the runner applies a fault on a target of several containers: each of A, with B's ids as peers.
        entries = [held.apply(docker_client, FAULTS["partition"](peers=[b.id for b in group_b]), a) for a in group_a]
        for a in group_a:
            assert rules(a).count("-j DROP") == 4  # in from and out to each of B's two addresses
        during = _reach(every)
        assert {pair for pair, ok in during.items() if not ok} == across  # A->B and B->A blocked, nothing else
    assert all(e.restore.data["comment"] not in rules(a) for e in entries for a in group_a)
    assert "drillbit:" not in "".join(rules(c) for c in group_a + group_b)
    assert ledger.outstanding() == []
    assert all(_reach(every).values())


def test_partition_refuses_a_container_in_both_groups(docker_client, pair):
    a, b = pair
    with pytest.raises(FaultError, match="among its own peers"):
        FAULTS["partition"](peers=[b.id, a.name]).check(docker_client, a)
    assert "drillbit:" not in rules(a)
