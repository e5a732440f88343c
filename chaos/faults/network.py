"""Network faults: disconnect from a Docker network, partition from peers, packet loss,
DNS failure; the kernel's side of bandwidth (tbf) and latency (netem), which
:mod:`chaos.faults.proxied` registers beside their proxied form.

Every iptables rule drillbit writes carries ``-m comment --comment drillbit:<token>``
(the token is in the Restore record), so restore deletes exactly drillbit's rules and
nothing the application or Docker wrote; every qdisc gets drillbit's own handle for the
same reason. A container that is gone or stopped has lost its namespace and with it
every rule and qdisc, so restoring it is done.
"""

from __future__ import annotations

import re
import shlex
import uuid
from typing import Any, ClassVar

from docker import DockerClient
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from .. import netns
from .base import Fault, FaultError, Restore, register

NET_TOOLS = ("nsenter", "iptables")
TC_TOOLS = ("nsenter", "tc")


def _container(client: DockerClient, restore: Restore) -> Container | None:
    try:
        return client.containers.get(restore.container)
    except NotFound:
        return None


def _live_pid(client: DockerClient, restore: Restore) -> int | None:
    """The namespace PID of the record's container, or None when its namespace is gone
    (removed or stopped: the kernel dropped the rules and qdiscs with it)."""
    container = _container(client, restore)
    if container is None:
        return None
    state = container.attrs.get("State", {})
    pid = int(state.get("Pid") or 0)
    return pid if state.get("Running") and pid > 0 else None


# --- iptables faults -------------------------------------------------------------------

class _RuleFault(Fault):
    """A fault made of iptables rules; subclasses say which (``_rules``)."""

    family: ClassVar[str] = "network"

    def check(self, client: DockerClient, container: Container) -> None:
        netns.require_tools(self.kind, *NET_TOOLS)
        netns.namespace_pid(self.kind, container)

    def _rules(self, client: DockerClient, container: Container) -> list[list[str]]:
        """Each rule as [table, chain, match and target arguments…], without the comment."""
        raise NotImplementedError

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        token = uuid.uuid4().hex[:12]
        comment = f"drillbit:{token}"
        rules = [[table, chain, *spec, "-m", "comment", "--comment", comment]
                 for table, chain, *spec in self._rules(client, container)]
        return {"comment": comment, "rules": rules, "tables": sorted({r[0] for r in rules})}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        pid = netns.namespace_pid(self.kind, container)
        # Inserted first in the chain, so no ACCEPT written earlier lets the traffic by.
        for table, chain, *spec in restore.data["rules"]:
            netns.run(pid, ["iptables", "-w", "-t", table, "-I", chain, "1", *spec])

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        pid = netns.namespace_pid(self.kind, container)
        found = sum(len(_drillbit_rules(pid, t, restore.data["comment"])) for t in restore.data["tables"])
        if found != len(restore.data["rules"]):
            raise FaultError(f"{self.kind} on {container.name}: {found} of {len(restore.data['rules'])} "
                             f"rules with comment {restore.data['comment']} are in its iptables")

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        pid = _live_pid(client, restore)
        if pid is None:
            return
        for table in restore.data["tables"]:
            for line in _drillbit_rules(pid, table, restore.data["comment"]):
                # `-S` prints each rule as its own `-A CHAIN …`; the same words with -D delete it.
                words = shlex.split(line)
                netns.run(pid, ["iptables", "-w", "-t", table, "-D", *words[1:]], check=False)

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        pid = _live_pid(client, restore)
        if pid is None:
            return
        left = [line for t in restore.data["tables"] for line in _drillbit_rules(pid, t, restore.data["comment"])]
        if left:
            raise FaultError(f"{cls.kind} on {restore.name}: rules left after restore: {'; '.join(left)}")


def _drillbit_rules(pid: int, table: str, comment: str) -> list[str]:
    """The `iptables -S` lines of ``table`` that carry ``comment``."""
    listed = netns.run(pid, ["iptables", "-w", "-t", table, "-S"]).stdout.splitlines()
    pattern = re.compile(rf'--comment "?{re.escape(comment)}"?(\s|$)')
    return [line for line in listed if line.startswith("-A ") and pattern.search(line)]


def peer_containers(kind: str, client: DockerClient, container: Container, peers: list[str]) -> list[Container]:
    """The containers ``peers`` (ids or names) name, each once, in order. Raises
    FaultError for one that is no container here, or for ``container`` itself (a fault
    between it and itself would only cut it off from its own address)."""
    found: dict[str, Container] = {}
    for peer in peers:
        try:
            c = client.containers.get(peer)
        except NotFound:
            raise FaultError(f"{kind} peer {peer!r} is no container on this engine; check with `docker ps -a`") from None
        if c.id == container.id:
            raise FaultError(f"{kind}: {container.name} is among its own peers; the two groups must not share a "
                             "container")
        found.setdefault(c.id, c)  # the same peer by name and by id is one peer
    return list(found.values())


def _ips(client: DockerClient, peer: str) -> list[str]:
    try:
        container = client.containers.get(peer)
    except NotFound:
        raise FaultError(f"partition peer {peer!r} is no container on this engine; check with `docker ps -a`") from None
    networks = container.attrs.get("NetworkSettings", {}).get("Networks") or {}
    ips = sorted({n["IPAddress"] for n in networks.values() if n.get("IPAddress")})
    if not ips:
        raise FaultError(f"partition peer {peer!r} has no IP address on any network (is it running?)")
    return ips


@register
class Partition(_RuleFault):
    """Cut the target off from ``peers`` (container ids or names), both ways: its
    namespace drops what comes from and goes to every address of every peer. Applied to
    each container of group A with group B as peers, it cuts A from B, while A's members
    still reach each other and so do B's."""

    kind = "partition"

    def _peers(self, client: DockerClient, container: Container) -> list[Container]:
        peers = self.params.get("peers") or []
        if not peers:
            raise FaultError("partition needs `peers`: the containers to cut the target off from")
        return peer_containers(self.kind, client, container, [peers] if isinstance(peers, str) else peers)

    def _rules(self, client: DockerClient, container: Container) -> list[list[str]]:
        rules = []
        for ip in sorted({ip for peer in self._peers(client, container) for ip in _ips(client, peer.id)}):
            rules.append(["filter", "INPUT", "-s", ip, "-j", "DROP"])
            rules.append(["filter", "OUTPUT", "-d", ip, "-j", "DROP"])
        return rules

    def check(self, client: DockerClient, container: Container) -> None:
        super().check(client, container)
        self._rules(client, container)


_DIRECTIONS = {"input": ("INPUT",), "output": ("OUTPUT",), "both": ("INPUT", "OUTPUT")}


@register
class PacketLoss(_RuleFault):
    """Drop each packet with ``probability`` (0 < p ≤ 1) on ``direction``: input, output or both."""

    kind = "packet-loss"

    def _rules(self, client: DockerClient, container: Container) -> list[list[str]]:
        probability = float(self.params.get("probability", 0.1))
        if not 0 < probability <= 1:
            raise FaultError(f"packet-loss probability must be in (0, 1], not {probability}")
        direction = self.params.get("direction", "both")
        if direction not in _DIRECTIONS:
            raise FaultError(f"packet-loss direction must be one of {', '.join(_DIRECTIONS)}, not {direction!r}")
        return [["filter", chain, "-m", "statistic", "--mode", "random", "--probability", f"{probability:.6f}",
                 "-j", "DROP"] for chain in _DIRECTIONS[direction]]

    def check(self, client: DockerClient, container: Container) -> None:
        super().check(client, container)
        self._rules(client, container)


@register
class DnsFailure(_RuleFault):
    """Drop every DNS query (udp and tcp port 53) the container sends."""

    kind = "dns-failure"

    def _rules(self, client: DockerClient, container: Container) -> list[list[str]]:
        # mangle, not filter: Docker's embedded DNS (127.0.0.11 on user networks) is reached
        # through a nat OUTPUT DNAT to a random port, which runs before filter OUTPUT would
        # see port 53; mangle OUTPUT runs before the DNAT.
        return [["mangle", "OUTPUT", "-p", proto, "--dport", "53", "-j", "DROP"] for proto in ("udp", "tcp")]


# --- qdisc faults ----------------------------------------------------------------------

def _root_qdisc(pid: int, device: str) -> str:
    """The `tc qdisc show` line of ``device``'s root qdisc ('' if none is listed)."""
    shown = netns.run(pid, ["tc", "qdisc", "show", "dev", device]).stdout.splitlines()
    return next((line.strip() for line in shown if " root " in f"{line} "), "")


def _handle(line: str) -> str:
    words = line.split()
    return words[2] if len(words) > 2 else ""


class _QdiscFault(Fault):
    """A root qdisc on the container's ``device`` (default eth0) with drillbit's handle."""

    family: ClassVar[str] = "network"
    #: drillbit's handle, so restore deletes a root qdisc only if it is drillbit's.
    handle: ClassVar[str]
    qdisc: ClassVar[str]

    @property
    def device(self) -> str:
        return str(self.params.get("device", "eth0"))

    def _args(self) -> list[str]:
        raise NotImplementedError

    def check(self, client: DockerClient, container: Container) -> None:
        netns.require_tools(self.kind, *TC_TOOLS)
        pid = netns.namespace_pid(self.kind, container)
        self._args()
        shown = netns.run(pid, ["tc", "qdisc", "show", "dev", self.device], check=False)
        if shown.returncode != 0:
            raise FaultError(f"{self.kind}: {container.name} has no device {self.device} "
                             f"({shown.stderr.strip()}); name one with `device`")
        root = _root_qdisc(pid, self.device)
        # Handle 0: is the kernel's default qdisc; anything else someone configured.
        if root and _handle(root) != "0:":
            raise FaultError(f"{self.kind}: {self.device} of {container.name} already has a root qdisc "
                             f"({root}); drillbit does not replace qdiscs it did not make")

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        pid = netns.namespace_pid(self.kind, container)
        return {"device": self.device, "handle": self.handle, "qdisc": self.qdisc,
                "previous": _root_qdisc(pid, self.device), "args": self._args()}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        pid = netns.namespace_pid(self.kind, container)
        d = restore.data
        netns.run(pid, ["tc", "qdisc", "add", "dev", d["device"], "root", "handle", d["handle"], d["qdisc"], *d["args"]])

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        pid = netns.namespace_pid(self.kind, container)
        root = _root_qdisc(pid, restore.data["device"])
        if not root.startswith(f"qdisc {restore.data['qdisc']} {restore.data['handle']} root"):
            raise FaultError(f"{self.kind} on {container.name}: the root qdisc of {restore.data['device']} "
                             f"is {root or 'none'}, not drillbit's {restore.data['qdisc']}")

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        pid = _live_pid(client, restore)
        if pid is None:
            return
        d = restore.data
        if _handle(_root_qdisc(pid, d["device"])) == d["handle"]:
            # Deleting the root puts the kernel's default back, which is what prepare saw.
            netns.run(pid, ["tc", "qdisc", "del", "dev", d["device"], "root"])

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        pid = _live_pid(client, restore)
        if pid is None:
            return
        root = _root_qdisc(pid, restore.data["device"])
        if _handle(root) == restore.data["handle"]:
            raise FaultError(f"{cls.kind} on {restore.name}: drillbit's qdisc is still the root: {root}")


class TbfBandwidth(_QdiscFault):
    """Limit the container's egress on ``device`` to ``rate`` (tc units: 1mbit, 500kbit)
    with a token bucket (``burst``, ``latency``). The catalogue's ``bandwidth``
    (:mod:`chaos.faults.proxied`) is this without ``port``."""

    kind = "bandwidth"
    handle = "db1:"
    qdisc = "tbf"

    def _args(self) -> list[str]:
        rate = self.params.get("rate")
        if not rate:
            raise FaultError("bandwidth needs `rate` (tc units: 1mbit, 500kbit)")
        return ["rate", str(rate), "burst", str(self.params.get("burst", "32kbit")),
                "latency", str(self.params.get("latency", "400ms"))]


NETEM_MISSING = ("latency needs the netem qdisc (sch_netem), which this kernel lacks: check with "
                 "'modprobe sch_netem' (or 'tc qdisc add dev lo root netem delay 1ms' in a throwaway "
                 "namespace: 'unshare -n …'); or give `port` (with `peers`, or `listen: 127.0.0.1:PORT`) "
                 "to delay that port's connections through drillbit's TCP proxy instead")


class NetemLatency(_QdiscFault):
    """Delay the container's egress on ``device`` by ``delay`` (tc units: 100ms) with
    optional ``jitter``, through netem; refused where the kernel has no netem. The
    catalogue's ``latency`` (:mod:`chaos.faults.proxied`) is this without ``port``."""

    kind = "latency"
    handle = "db2:"
    qdisc = "netem"

    def _args(self) -> list[str]:
        delay = self.params.get("delay")
        if not delay:
            raise FaultError("latency needs `delay` (tc units: 100ms)")
        jitter = self.params.get("jitter")
        return ["delay", str(delay), *([str(jitter)] if jitter else [])]

    def check(self, client: DockerClient, container: Container) -> None:
        netns.require_tools(self.kind, *TC_TOOLS, "unshare")
        self._args()
        if not netns.kernel_has_qdisc("netem", "delay", "1ms"):
            raise FaultError(NETEM_MISSING)
        super().check(client, container)


# --- Docker networks -------------------------------------------------------------------

@register
class Disconnect(Fault):
    """Disconnect the container from ``network`` (default: every network it is on)."""

    kind = "disconnect"
    family = "network"

    def _chosen(self, container: Container) -> dict[str, dict[str, Any]]:
        container.reload()
        networks = container.attrs.get("NetworkSettings", {}).get("Networks") or {}
        wanted = self.params.get("network")
        if wanted is None:
            return dict(networks)
        if wanted not in networks:
            raise FaultError(f"disconnect: {container.name} is not on network {wanted!r} "
                             f"(it is on {', '.join(networks) or 'none'})")
        return {wanted: networks[wanted]}

    def check(self, client: DockerClient, container: Container) -> None:
        container.reload()
        if container.status != "running":
            raise FaultError(f"disconnect needs a running container: {container.name} is {container.status}")
        if not self._chosen(container):
            raise FaultError(f"disconnect: {container.name} is on no network")

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        recorded = []
        for name, settings in self._chosen(container).items():
            # Docker adds the short id itself on reconnect; only the aliases people chose are kept.
            aliases = [a for a in settings.get("Aliases") or [] if not container.id.startswith(a)]
            ipam = settings.get("IPAMConfig") or {}
            recorded.append({"name": name, "id": settings.get("NetworkID"), "aliases": aliases,
                             "ipv4_address": ipam.get("IPv4Address") or None,
                             "ipv6_address": ipam.get("IPv6Address") or None})
        return {"networks": recorded}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        for net in restore.data["networks"]:
            # Straight to the engine by the id prepare recorded: no lookup of the network first.
            client.api.disconnect_container_from_network(container.id, net["id"] or net["name"])

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        container.reload()
        still = set(container.attrs["NetworkSettings"]["Networks"] or {}) & {n["name"] for n in restore.data["networks"]}
        if still:
            raise FaultError(f"disconnect: {container.name} is still on {', '.join(sorted(still))}")

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        container = _container(client, restore)
        if container is None:
            return
        failed = []
        for net in restore.data["networks"]:
            if net["name"] in (container.attrs["NetworkSettings"]["Networks"] or {}):
                continue
            try:
                network = client.networks.get(net["id"] or net["name"])
                # The default bridge takes no aliases; user networks get theirs back.
                extra = {k: net[k] for k in ("aliases", "ipv4_address", "ipv6_address") if net.get(k)}
                network.connect(container, **extra)
            except (NotFound, APIError) as exc:
                failed.append(f"{net['name']}: {exc}")
        if failed:
            raise FaultError(f"disconnect: could not reconnect {restore.name} to {'; '.join(failed)}")

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        container = _container(client, restore)
        if container is None:
            return
        now = container.attrs["NetworkSettings"]["Networks"] or {}
        missing = [n["name"] for n in restore.data["networks"] if n["name"] not in now]
        wrong = [n["name"] for n in restore.data["networks"]
                 if n["name"] in now and not set(n["aliases"]) <= set(now[n["name"]].get("Aliases") or [])]
        if missing or wrong:
            raise FaultError(f"disconnect: {restore.name} is not back on {', '.join(missing + wrong)}"
                             f"{' (aliases missing)' if wrong else ''}")
