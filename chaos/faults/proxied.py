"""Faults on a proxied TCP port, through drillbit's own proxy (:mod:`chaos.proxy`):
latency and jitter, bandwidth, connection timeouts and resets, where the kernel has no
netem or a fault must touch one port only.

Two ways traffic reaches the proxy:

- ``port`` and ``peers``: the target's outbound TCP to each peer's address on ``port``
  is DNAT'ed in the target's network namespace (iptables ``nat OUTPUT``, tagged
  ``drillbit:<token>``) to the proxy, which listens on the gateway of the Docker
  network the two share (the host's side of the bridge) and forwards to the peer;
- ``port`` and ``listen: HOST:PORT``: the proxy listens there and forwards to the
  target's own ``port``; clients and probes use the proxy's address.

``latency`` and ``bandwidth`` without ``port`` stay kernel faults (netem, tbf); with it
they go through the proxy. The record names the proxy by a token (in its command line,
its pid file and the ledger), so a restore stops exactly that process, and the proxy
stops by itself once its ledger entry is no longer outstanding.
"""

from __future__ import annotations

import re
import shlex
import uuid
from pathlib import Path
from typing import Any, ClassVar

from docker import DockerClient
from docker.models.containers import Container

from .. import netns
from ..proxy import DEFAULT_LIFETIME, STREAMS, ProxyError, Route, Toxic, find_proxy, port_free, start_proxy, stop_proxy
from .base import Fault, FaultError, Restore, register
from .network import (NET_TOOLS, NETEM_MISSING, NetemLatency, TbfBandwidth, _drillbit_rules, _live_pid,
                      peer_containers)

_TIME = re.compile(r"(\d+(?:\.\d+)?)\s*(us|usec|ms|msec|s|sec|secs|m|min)?")
_TIME_UNITS = {None: 1.0, "us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3, "s": 1.0, "sec": 1.0, "secs": 1.0,
               "m": 60.0, "min": 60.0}
_RATE = re.compile(r"(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|tbit|bps|kbps|mbps|gbps|tbps)")


def seconds(kind: str, name: str, value: Any) -> float:
    """A duration parameter in seconds: a number (seconds) or text with a unit as tc
    writes it (``150000us``, ``100ms``, ``2s``). Raises FaultError."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = _TIME.fullmatch(str(value).strip())
    if not match:
        raise FaultError(f"{kind}: `{name}` is a duration such as 100ms or 2s, not {value!r}")
    return float(match[1]) * _TIME_UNITS[match[2]]


def bytes_per_second(kind: str, value: Any) -> float:
    """A tc rate (``1mbit``, ``500kbit``, ``64kbps``: bits or bytes, SI multiples) in bytes
    a second. Raises FaultError."""
    match = _RATE.fullmatch(str(value).strip().lower())
    if not match:
        raise FaultError(f"{kind}: `rate` is a rate in tc units such as 1mbit or 500kbit, not {value!r}")
    unit = match[2]
    scale = 1000.0 ** "_kmgt".index(unit[0] if unit[0] in "kmgt" else "_")
    return float(match[1]) * scale / (8 if unit.endswith("bit") else 1)


def _host_port(kind: str, text: Any) -> tuple[str, int]:
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise FaultError(f"{kind}: `listen` is HOST:PORT such as 127.0.0.1:15432, not {text!r}")
    return host.strip("[]"), int(port)


def via_proxy(params: dict[str, Any]) -> bool:
    """Whether a latency or bandwidth fault with these parameters goes through the proxy."""
    return params.get("port") is not None or params.get("listen") is not None


def _peer_ids(params: dict[str, Any]) -> list[str]:
    peers = params.get("peers") or []
    return [peers] if isinstance(peers, str) else [str(p) for p in peers]


class ProxiedFault(Fault):
    """A toxic on connections to ``port`` (see the module); subclasses say which toxic."""

    family: ClassVar[str] = "network"
    toxic_type: ClassVar[str]

    def _toxic(self) -> Toxic:
        """The toxic from the parameters; raises FaultError."""
        stream = self.params.get("stream", "downstream")
        if stream not in STREAMS:
            raise FaultError(f"{self.kind}: `stream` is upstream (client to server) or downstream "
                             f"(server to client), not {stream!r}")
        toxicity = self.params.get("toxicity", 1.0)
        if not isinstance(toxicity, (int, float)) or isinstance(toxicity, bool) or not 0 < toxicity <= 1:
            raise FaultError(f"{self.kind}: `toxicity` is the share of connections affected, in (0, 1], "
                             f"not {toxicity!r}")
        try:
            return Toxic(type=self.toxic_type, stream=stream, toxicity=float(toxicity), **self._toxic_fields())
        except ProxyError as exc:
            raise FaultError(f"{self.kind}: {exc}") from None

    def _toxic_fields(self) -> dict[str, float]:
        return {}

    def _port(self) -> int:
        port = self.params.get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise FaultError(f"{self.kind} through drillbit's proxy needs `port`: the TCP port (1-65535) whose "
                             f"connections it affects, not {port!r}")
        return port

    def _mode(self) -> str:
        peers, listen = _peer_ids(self.params), self.params.get("listen")
        if peers and listen:
            raise FaultError(f"{self.kind}: give `peers` (the target's connections to them are redirected) or "
                             "`listen` (clients use the proxy's address), not both")
        if not peers and not listen:
            raise FaultError(f"{self.kind} on `port` needs `peers` (the target's outbound connections to those "
                             "containers go through drillbit's proxy) or `listen: 127.0.0.1:PORT` (the proxy "
                             "listens there and forwards to the target's port)")
        return "peers" if peers else "listen"

    def _routes(self, client: DockerClient, container: Container) -> list[dict[str, Any]]:
        port, mode = self._port(), self._mode()
        container.reload()
        mine = container.attrs.get("NetworkSettings", {}).get("Networks") or {}
        if mode == "listen":
            host, listen_port = _host_port(self.kind, self.params["listen"])
            ips = [n["IPAddress"] for _, n in sorted(mine.items()) if n.get("IPAddress")]
            if not ips:
                raise FaultError(f"{self.kind}: {container.name} has no IP address on any network (is it running?)")
            return [{"listen": [host, listen_port], "upstream": [ips[0], port]}]
        routes = []
        for peer in peer_containers(self.kind, client, container, _peer_ids(self.params)):
            theirs = peer.attrs.get("NetworkSettings", {}).get("Networks") or {}
            shared = [(name, mine[name], theirs[name]) for name in sorted(set(mine) & set(theirs))
                      if theirs[name].get("IPAddress") and mine[name].get("Gateway")]
            if not shared:
                raise FaultError(f"{self.kind}: {container.name} and peer {peer.name} share no Docker network with "
                                 "a gateway, so the proxy cannot sit between them; check with "
                                 f"`docker inspect -f '{{{{json .NetworkSettings.Networks}}}}' {peer.name}`")
            for network, my_side, their_side in shared:
                routes.append({"peer": peer.id, "peer_name": peer.name, "network": network,
                               "ip": their_side["IPAddress"], "port": port, "gateway": my_side["Gateway"]})
        return routes

    def check(self, client: DockerClient, container: Container) -> None:
        self._toxic()
        if self._mode() == "peers":
            netns.require_tools(self.kind, *NET_TOOLS)
            netns.namespace_pid(self.kind, container)
        routes = self._routes(client, container)
        if "listen" in routes[0]:
            host, port = routes[0]["listen"]
            if not port_free(host, port):
                raise FaultError(f"{self.kind}: the proxy's address {host}:{port} is taken (or not an address of "
                                 "this host); choose another `listen`, and check with `ss -ltn`")

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        from ..ledger import default_ledger_path

        token = uuid.uuid4().hex[:12]
        ledger = Path(self.ledger_path) if self.ledger_path is not None else None
        folder = (ledger or default_ledger_path()).parent
        return {"via": "proxy", "token": token, "comment": f"drillbit:{token}", "tables": ["nat"],
                "routes": self._routes(client, container), "toxic": self._toxic().to_json(),
                "pidfile": str(folder / f"proxy-{token}.json"), "ledger": str(ledger) if ledger else None}

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        d = restore.data
        routes = d["routes"]
        listen_mode = "listen" in routes[0]
        if listen_mode:
            wanted = [Route(routes[0]["listen"][0], routes[0]["listen"][1], *routes[0]["upstream"])]
        else:
            # Port 0: the kernel picks a free port on the bridge's host address.
            wanted = [Route(r["gateway"], 0, r["ip"], r["port"]) for r in routes]
        pidfile = Path(d["pidfile"])
        try:
            running = start_proxy(wanted, Toxic.from_json(d["toxic"]), token=d["token"], folder=pidfile.parent,
                                  ledger=Path(d["ledger"]) if d.get("ledger") else None, lifetime=DEFAULT_LIFETIME)
        except ProxyError as exc:
            raise FaultError(f"{self.kind} on {container.name}: {exc}") from None
        if listen_mode:
            return
        pid = netns.namespace_pid(self.kind, container)
        for route, proxy_port in zip(routes, running.ports):
            netns.run(pid, ["iptables", "-w", "-t", "nat", "-I", "OUTPUT", "1", "-p", "tcp", "-d", route["ip"],
                            "--dport", str(route["port"]), "-j", "DNAT", "--to-destination",
                            f"{route['gateway']}:{proxy_port}", "-m", "comment", "--comment", d["comment"]])

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        d = restore.data
        if find_proxy(d["token"], Path(d["pidfile"])) is None:
            raise FaultError(f"{self.kind} on {container.name}: drillbit's proxy {d['token']} is not running")
        if "listen" not in d["routes"][0]:
            pid = netns.namespace_pid(self.kind, container)
            found = len(_drillbit_rules(pid, "nat", d["comment"]))
            if found != len(d["routes"]):
                raise FaultError(f"{self.kind} on {container.name}: {found} of {len(d['routes'])} DNAT rules with "
                                 f"comment {d['comment']} are in its nat table")

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        d = restore.data
        # The redirect first, so new connections go straight to the peer rather than to
        # a proxy that is going away.
        pid = _live_pid(client, restore)
        if pid is not None:
            for line in _drillbit_rules(pid, "nat", d["comment"]):
                netns.run(pid, ["iptables", "-w", "-t", "nat", "-D", *shlex.split(line)[1:]], check=False)
        try:
            stop_proxy(d["token"], Path(d["pidfile"]))
        except ProxyError as exc:
            raise FaultError(f"{cls.kind} on {restore.name}: {exc}") from None

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        d = restore.data
        pid = _live_pid(client, restore)
        left = _drillbit_rules(pid, "nat", d["comment"]) if pid is not None else []
        if left:
            raise FaultError(f"{cls.kind} on {restore.name}: DNAT rules left after restore: {'; '.join(left)}")
        proxy = find_proxy(d["token"], Path(d["pidfile"]))
        if proxy is not None:
            raise FaultError(f"{cls.kind} on {restore.name}: drillbit's proxy {d['token']} still runs as pid {proxy}")
        route = d["routes"][0]
        if "listen" in route and not port_free(*route["listen"]):
            raise FaultError(f"{cls.kind} on {restore.name}: {route['listen'][0]}:{route['listen'][1]} is still "
                             "bound after the proxy stopped; check with `ss -ltnp`")


class ProxiedLatency(ProxiedFault):
    """``delay`` ± ``jitter`` on each chunk of a proxied connection."""

    kind = "latency"
    toxic_type = "latency"

    def _toxic_fields(self) -> dict[str, float]:
        if self.params.get("delay") is None:
            raise FaultError("latency needs `delay` (e.g. 100ms)")
        fields = {"delay": seconds(self.kind, "delay", self.params["delay"])}
        if self.params.get("jitter") is not None:
            fields["jitter"] = seconds(self.kind, "jitter", self.params["jitter"])
        return fields


class ProxiedBandwidth(ProxiedFault):
    """At most ``rate`` on a proxied connection's stream."""

    kind = "bandwidth"
    toxic_type = "bandwidth"

    def _toxic_fields(self) -> dict[str, float]:
        if not self.params.get("rate"):
            raise FaultError("bandwidth needs `rate` (tc units: 1mbit, 500kbit)")
        return {"rate": bytes_per_second(self.kind, self.params["rate"])}


@register
class ConnectionTimeout(ProxiedFault):
    """Connections to ``port`` stall: no data passes on ``stream``; each is closed once
    ``after`` passes without data from that side (0, the default: never)."""

    kind = "connection-timeout"
    toxic_type = "timeout"

    def _toxic_fields(self) -> dict[str, float]:
        return {"after": seconds(self.kind, "after", self.params.get("after", 0))}


@register
class ConnectionReset(ProxiedFault):
    """Connections to ``port`` are reset (RST: the client reads ECONNRESET) at the first
    data on ``stream``, or ``after`` that."""

    kind = "connection-reset"
    toxic_type = "reset_peer"

    def _toxic_fields(self) -> dict[str, float]:
        return {"after": seconds(self.kind, "after", self.params.get("after", 0))}


class _KernelOrProxy(Fault):
    """A kind that is a kernel qdisc without ``port`` and drillbit's proxy with it; the
    record's ``via`` says which one restores it."""

    family: ClassVar[str] = "network"
    kernel: ClassVar[type[Fault]]
    proxied: ClassVar[type[ProxiedFault]]

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._impl = (self.proxied if via_proxy(params) else self.kernel)(**params)

    def check(self, client: DockerClient, container: Container) -> None:
        self._impl.check(client, container)

    def prepare(self, client: DockerClient, container: Container) -> dict[str, Any]:
        self._impl.ledger_path = self.ledger_path
        return self._impl.prepare(client, container)

    def apply(self, client: DockerClient, container: Container, restore: Restore) -> None:
        self._impl.apply(client, container, restore)

    def verify_applied(self, client: DockerClient, container: Container, restore: Restore) -> None:
        self._impl.verify_applied(client, container, restore)

    @classmethod
    def _for(cls, restore: Restore) -> type[Fault]:
        return cls.proxied if restore.data.get("via") == "proxy" else cls.kernel

    @classmethod
    def restore(cls, client: DockerClient, restore: Restore) -> None:
        cls._for(restore).restore(client, restore)

    @classmethod
    def verify_restored(cls, client: DockerClient, restore: Restore) -> None:
        cls._for(restore).verify_restored(client, restore)


@register
class Latency(_KernelOrProxy):
    """Delay by ``delay`` with optional ``jitter``: netem on the container's egress where
    the kernel has it; with ``port`` (and ``peers`` or ``listen``), drillbit's proxy on
    that port. Without netem and without ``port`` it is refused before anything starts."""

    kind = "latency"
    kernel = NetemLatency
    proxied = ProxiedLatency


@register
class Bandwidth(_KernelOrProxy):
    """Limit to ``rate``: a tbf qdisc on the container's egress; with ``port`` (and
    ``peers`` or ``listen``), drillbit's proxy on that port."""

    kind = "bandwidth"
    kernel = TbfBandwidth
    proxied = ProxiedBandwidth


__all__ = ["NETEM_MISSING", "ConnectionReset", "ConnectionTimeout", "Latency", "Bandwidth", "ProxiedFault",
           "bytes_per_second", "seconds", "via_proxy"]
