"""The Docker engines a game day talks to: one client per engine, opened once.

``host`` None is the engine of the environment (``DOCKER_HOST``, else the local
socket); a target may name another (``tcp://10.0.0.5:2375``, ``unix:///…``), so one
game day can span hosts.
"""

from __future__ import annotations

import threading

import docker
from docker.errors import DockerException

from .errors import EngineError

_clients: dict[str | None, docker.DockerClient] = {}
_lock = threading.Lock()


def connect(host: str | None = None, *, timeout: float = 10.0) -> docker.DockerClient:
    """The client of engine ``host`` (None: the environment's), checked to answer.
    Raises EngineError naming the engine and how to check it."""
    with _lock:
        client = _clients.get(host)
        if client is not None:
            return client
        where = host or "the local engine (DOCKER_HOST, else /var/run/docker.sock)"
        try:
            client = docker.from_env(timeout=int(timeout)) if host is None else docker.DockerClient(base_url=host, timeout=int(timeout))
            client.ping()
        except DockerException as exc:
            raise EngineError(f"cannot reach the Docker engine at {where}: {exc}; check that it runs "
                              "(`docker version`)") from None
        _clients[host] = client
        return client


def forget() -> None:
    """Close every client (a process that forked must not share a connection)."""
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
