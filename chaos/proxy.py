"""drillbit's own TCP proxy: latency, jitter, bandwidth, timeouts and resets on a
proxied port, for kernels without the netem qdisc (Toxiproxy's model of toxics).

It runs as a detached process of its own (``python -m chaos.proxy …``, started by
:func:`start_proxy` in a new session, so a Ctrl-C or a kill of the runner's process
group leaves it to be restored like any fault). It says it is ready on stdout only
once every listener is bound, after writing a pid file (pid, the kernel's start time,
the bound addresses) that lets a restore kill exactly that process. A process left
behind finds its own way out: it exits when its ledger entry is no longer outstanding,
or when the lifetime it was given passes, whichever comes first.

Toxics (one per proxy; Toxiproxy's semantics, times in seconds):

- ``latency``: each chunk is passed on ``delay`` ± ``jitter`` (uniform) after it
  arrived, in order;
- ``bandwidth``: at most ``rate`` bytes a second, in pieces of a tenth of a second;
- ``timeout``: nothing passes; the connection is closed once ``after`` has gone by
  without data from that side (0: never: data is dropped until the fault ends). Unlike
  Toxiproxy, the server closing its side does not close the client's: it stalls;
- ``reset_peer``: at the first data (or end) from that side, wait ``after``, then
  reset both sockets (``SO_LINGER`` 0: the peer reads ECONNRESET).

A toxic acts on one ``stream``: ``upstream`` (client to server) or ``downstream``
(server to client, the default), and on each connection with probability
``toxicity``; other connections pass untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import ChaosError
from .watchdog import detached_log, ignore_terminal_signals, process_start, runner_alive

TOXIC_TYPES = ("latency", "bandwidth", "timeout", "reset_peer")
STREAMS = ("upstream", "downstream")
#: How long a proxy that no one stops lives, in seconds (it exits by itself then).
DEFAULT_LIFETIME = 4 * 3600.0
#: How often a proxy reads its ledger entry, in seconds.
LEDGER_POLL = 0.5
#: How long start_proxy waits for the ready line, in seconds.
READY_TIMEOUT = 15.0
CHUNK = 32 * 1024
#: Toxiproxy's latency buffer: chunks read ahead while earlier ones wait out their delay.
LATENCY_BUFFER = 1024


class ProxyError(ChaosError):
    """drillbit's proxy could not start, or could not be stopped and checked gone."""


@dataclass(frozen=True)
class Toxic:
    """What the proxy does to its connections (see the module). Seconds and bytes."""

    type: str
    stream: str = "downstream"
    toxicity: float = 1.0
    delay: float = 0.0
    jitter: float = 0.0
    rate: float = 0.0
    after: float = 0.0

    def __post_init__(self) -> None:
        if self.type not in TOXIC_TYPES:
            raise ProxyError(f"unknown toxic {self.type!r}; expected one of {', '.join(TOXIC_TYPES)}")
        if self.stream not in STREAMS:
            raise ProxyError(f"a toxic's stream is upstream or downstream, not {self.stream!r}")
        if not 0 <= self.toxicity <= 1:
            raise ProxyError(f"toxicity is a probability in [0, 1], not {self.toxicity}")
        if min(self.delay, self.jitter, self.after) < 0:
            raise ProxyError("delay, jitter and after are durations of at least 0")
        if self.type == "bandwidth" and self.rate <= 0:
            raise ProxyError(f"the bandwidth toxic needs a rate above 0 bytes a second, not {self.rate}")

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> Toxic:
        return cls(**raw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Route:
    """Listen on ``listen`` (port 0: any free port) and forward to ``upstream``."""

    listen_host: str
    listen_port: int
    upstream_host: str
    upstream_port: int

    def arg(self) -> str:
        return f"{self.listen_host}:{self.listen_port}={self.upstream_host}:{self.upstream_port}"

    @classmethod
    def parse(cls, text: str) -> Route:
        listen, _, upstream = text.partition("=")
        lh, _, lp = listen.rpartition(":")
        uh, _, up = upstream.rpartition(":")
        return cls(lh, int(lp), uh, int(up))


@dataclass(frozen=True)
class Running:
    """A proxy that said it is ready: its pid, the kernel's start time of that pid, and
    the ports its routes are bound to (in the routes' order)."""

    pid: int
    start: str | None
    ports: tuple[int, ...]


def files(folder: Path, token: str) -> tuple[Path, Path]:
    """The pid file and the log of proxy ``token`` in ``folder``."""
    return folder / f"proxy-{token}.json", folder / f"proxy-{token}.log"


# --- the controlling side ----------------------------------------------------------------

def start_proxy(routes: list[Route], toxic: Toxic, *, token: str, folder: Path, ledger: Path | None = None,
                lifetime: float = DEFAULT_LIFETIME, ready_timeout: float = READY_TIMEOUT) -> Running:
    """Start a proxy for ``routes`` with ``toxic`` and return once it listens on all of
    them. ``token`` names it (in its command line, pid file and ledger record); its pid
    file and log go in ``folder``; it exits by itself when ``ledger`` (if given) holds no
    outstanding entry whose record's ``data["token"]`` is ``token``, or after
    ``lifetime`` seconds. Raises ProxyError (with the log's last lines) if it does not
    say it is ready within ``ready_timeout`` seconds; nothing of it is left then."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    pidfile, logfile = files(folder, token)
    argv = [sys.executable, "-m", "chaos.proxy", "--token", token, "--pidfile", str(pidfile),
            "--toxic", json.dumps(toxic.to_json()), "--lifetime", f"{lifetime:g}"]
    for route in routes:
        argv += ["--route", route.arg()]
    if ledger is not None:
        argv += ["--ledger", str(Path(ledger).resolve())]
    env = dict(os.environ)
    # The proxy imports this same chaos package, wherever the runner found it.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent),
                                                      env.get("PYTHONPATH")]))
    with open(logfile, "ab") as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=env,
                                   start_new_session=True, close_fds=True, cwd="/")
    assert process.stdout is not None
    line = b""
    try:
        ready, _, _ = select.select([process.stdout], [], [], ready_timeout)
        if ready:
            line = process.stdout.readline()
    finally:
        process.stdout.close()
    try:
        said = json.loads(line)
        return Running(pid=process.pid, start=said["start"], ports=tuple(int(p) for p in said["ports"]))
    except (ValueError, KeyError, TypeError):
        process.kill()
        process.wait(5)
        tail = _tail(logfile)
        pidfile.unlink(missing_ok=True)
        raise ProxyError(f"drillbit's proxy did not start within {ready_timeout:g}s"
                         + (f": {tail}" if tail else "")) from None


def find_proxy(token: str, pidfile: Path) -> int | None:
    """The pid of proxy ``token`` if it still runs: the pid file's process if its start
    time matches (a later process given the same pid is not it), else any process whose
    command line carries the token (a proxy killed before its pid file was read)."""
    try:
        recorded = json.loads(pidfile.read_text())
        pid, start = int(recorded["pid"]), recorded.get("start")
    except (OSError, ValueError, KeyError, TypeError):
        pid, start = None, None
    if pid is not None and start is not None and runner_alive(pid, start) and _is_proxy(pid, token):
        return pid
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _is_proxy(int(entry.name), token) and runner_alive(int(entry.name)):
            return int(entry.name)
    return None


def _is_proxy(pid: int, token: str) -> bool:
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"chaos.proxy" in words and token.encode() in words


def recorded_ports(pidfile: Path) -> list[tuple[str, int]]:
    """The addresses the proxy's pid file says it bound ([] without a pid file)."""
    try:
        return [(h, int(p)) for h, p in json.loads(pidfile.read_text())["listen"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def stop_proxy(token: str, pidfile: Path, *, timeout: float = 5.0) -> None:
    """Stop proxy ``token`` (SIGTERM, then SIGKILL after ``timeout`` seconds), check it is
    gone and its ports are free, and remove its pid file and log. Idempotent: a proxy
    already gone is done. Raises ProxyError if it outlives SIGKILL or a port stays bound."""
    bound = recorded_ports(pidfile)
    pid = find_proxy(token, pidfile)
    if pid is not None:
        start = process_start(pid)
        _signal(pid, signal.SIGTERM)
        if not _gone(pid, start, timeout):
            _signal(pid, signal.SIGKILL)
            if not _gone(pid, start, timeout):
                raise ProxyError(f"drillbit's proxy {token} (pid {pid}) is still running after SIGKILL")
    taken = [f"{h}:{p}" for h, p in bound if not port_free(h, p)]
    if taken:
        raise ProxyError(f"drillbit's proxy {token} is gone but {', '.join(taken)} is still bound; "
                         f"check with `ss -ltnp`")
    pidfile.unlink(missing_ok=True)
    files(pidfile.parent, token)[1].unlink(missing_ok=True)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _gone(pid: int, start: str | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            # Reap it if it is this process's child (the runner that started it), so
            # no zombie holds its pid.
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if not runner_alive(pid, start):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def port_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port`` (a bind there succeeds)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # TIME_WAIT connections of a closed proxy are not a listener.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


# --- the proxy process ---------------------------------------------------------------------

class _Link:
    """One proxied connection: the client's and the upstream's streams."""

    def __init__(self, client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        self.client_r, self.client_w = client
        self.up_r, self.up_w = upstream

    def close(self, *, reset: bool = False) -> None:
        for w in (self.client_w, self.up_w):
            if reset:
                sock = w.get_extra_info("socket")
                if sock is not None:
                    try:
                        # Linger 0: close() sends RST and drops unsent data (Toxiproxy's reset_peer).
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    except OSError:
                        pass
                w.transport.abort()
            else:
                w.close()


class ProxyServer:
    """The proxy's event loop side: listeners, links and the reasons to exit."""

    def __init__(self, routes: list[Route], toxic: Toxic, *, token: str, pidfile: Path,
                 ledger: Path | None, lifetime: float, rng: random.Random | None = None) -> None:
        self.routes, self.toxic, self.token, self.pidfile = routes, toxic, token, pidfile
        self.ledger, self.lifetime = ledger, lifetime
        self.rng = rng or random.Random()
        self.links: set[asyncio.Task] = set()

    async def run(self, ready) -> str:  # noqa: ANN001 - ready(ports) is called once listening
        """Serve until told to stop; return why it stopped."""
        loop = asyncio.get_running_loop()
        stop: asyncio.Future[str] = loop.create_future()

        def finish(reason: str) -> None:
            if not stop.done():
                stop.set_result(reason)

        loop.add_signal_handler(signal.SIGTERM, finish, "SIGTERM")
        servers = []
        for route in self.routes:
            servers.append(await asyncio.start_server(
                lambda r, w, route=route: self._accept(r, w, route), route.listen_host, route.listen_port,
                reuse_address=True))
        ports = [s.sockets[0].getsockname()[1] for s in servers]
        ready(ports)
        loop.call_later(self.lifetime, finish, f"its lifetime of {self.lifetime:g}s passed")
        watcher = asyncio.create_task(self._watch_ledger(finish)) if self.ledger is not None else None
        try:
            return await stop
        finally:
            if watcher is not None:
                watcher.cancel()
            for s in servers:
                s.close()
            for task in list(self.links):
                task.cancel()
            await asyncio.gather(*self.links, return_exceptions=True)

    async def _watch_ledger(self, finish) -> None:  # noqa: ANN001
        from .ledger import Ledger, LedgerError

        ledger = Ledger(self.ledger)
        while True:
            try:
                mine = [e for e in await asyncio.to_thread(ledger.entries)
                        if e.restore.data.get("token") == self.token]
            except LedgerError:
                mine = None  # unreadable for now (full disk, permissions): keep serving
            if mine is not None and not any(e.outstanding for e in mine):
                finish("its ledger entry is no longer outstanding")
                return
            await asyncio.sleep(LEDGER_POLL)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter, route: Route) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.links.add(task)
        link = None
        try:
            try:
                upstream = await asyncio.wait_for(
                    asyncio.open_connection(route.upstream_host, route.upstream_port), 10)
            except (OSError, asyncio.TimeoutError):
                client_w.close()
                return
            link = _Link((client_r, client_w), upstream)
            toxic = self.toxic if self.rng.random() < self.toxic.toxicity else None
            up = toxic if toxic is not None and toxic.stream == "upstream" else None
            down = toxic if toxic is not None and toxic.stream == "downstream" else None
            await asyncio.gather(self._pipe(link.client_r, link.up_w, up, link),
                                 self._pipe(link.up_r, link.client_w, down, link), return_exceptions=True)
        finally:
            if link is not None:
                link.close()
            else:
                client_w.close()
            self.links.discard(task)

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter, toxic: Toxic | None, link: _Link) -> None:
        try:
            if toxic is None:
                await _noop(r, w)
            elif toxic.type == "latency":
                await _latency(r, w, toxic, self.rng)
            elif toxic.type == "bandwidth":
                await _bandwidth(r, w, toxic)
            elif toxic.type == "timeout":
                await _timeout(r, toxic)
                link.close()
            else:
                await r.read(CHUNK)  # the first data (or the end) from that side
                await asyncio.sleep(toxic.after)
                link.close(reset=True)
        except (ConnectionError, OSError):
            link.close(reset=True)


def _end(w: asyncio.StreamWriter) -> None:
    # The source closed its side: pass the half-close on, as TCP would.
    try:
        if w.can_write_eof():
            w.write_eof()
    except (OSError, RuntimeError):
        pass


async def _noop(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    while data := await r.read(CHUNK):
        w.write(data)
        await w.drain()
    _end(w)


async def _latency(r: asyncio.StreamReader, w: asyncio.StreamWriter, toxic: Toxic, rng: random.Random) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(LATENCY_BUFFER)

    async def read() -> None:
        # Chunks are stamped when they arrive, so each waits its own delay, not the sum.
        while data := await r.read(CHUNK):
            await queue.put((time.monotonic(), data))
        await queue.put((time.monotonic(), b""))

    reader = asyncio.create_task(read())
    try:
        while True:
            arrived, data = await queue.get()
            delay = toxic.delay + (rng.uniform(-toxic.jitter, toxic.jitter) if toxic.jitter else 0.0)
            wait = arrived + max(0.0, delay) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                _end(w)
                return
            w.write(data)
            await w.drain()
    finally:
        reader.cancel()


async def _bandwidth(r: asyncio.StreamReader, w: asyncio.StreamWriter, toxic: Toxic) -> None:
    piece = max(1, int(toxic.rate / 10))  # a tenth of a second's worth, as Toxiproxy slices
    due = time.monotonic()
    while data := await r.read(CHUNK):
        for i in range(0, len(data), piece):
            part = data[i:i + piece]
            # Idle time earns no credit: a transfer of B bytes takes B / rate seconds.
            due = max(due, time.monotonic()) + len(part) / toxic.rate
            await asyncio.sleep(due - time.monotonic())
            w.write(part)
            await w.drain()
    _end(w)


async def _timeout(r: asyncio.StreamReader, toxic: Toxic) -> None:
    """Drop everything from ``r``; return once ``after`` passed since its last data
    (never for 0). The source ending does not end the stall: the other side keeps
    waiting, as it would for a peer that went silent."""
    last = time.monotonic()
    ended = False
    while True:
        remaining = last + toxic.after - time.monotonic() if toxic.after > 0 else None
        if remaining is not None and remaining <= 0:
            return
        if ended:
            await (asyncio.sleep(remaining) if remaining is not None else asyncio.get_running_loop().create_future())
            return
        try:
            data = await asyncio.wait_for(r.read(CHUNK), remaining)
        except TimeoutError:
            return
        if data:
            last = time.monotonic()
        else:
            ended = True


def _write_pidfile(pidfile: Path, token: str, routes: list[Route], ports: list[int]) -> None:
    pid = os.getpid()
    record = {"pid": pid, "start": process_start(pid), "token": token,
              "listen": [[r.listen_host, p] for r, p in zip(routes, ports)]}
    partial = pidfile.with_name(pidfile.name + ".partial")
    with open(partial, "w") as f:
        json.dump(record, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, pidfile)


def _log(message: str) -> None:
    detached_log("proxy", message)


def main(argv: list[str] | None = None) -> int:
    ignore_terminal_signals()
    parser = argparse.ArgumentParser(prog="python -m chaos.proxy")
    parser.add_argument("--token", required=True)
    parser.add_argument("--pidfile", required=True, type=Path)
    parser.add_argument("--route", action="append", required=True, type=Route.parse,
                        help="LISTEN_HOST:PORT=UPSTREAM_HOST:PORT (port 0: any free port)")
    parser.add_argument("--toxic", required=True, type=lambda s: Toxic.from_json(json.loads(s)))
    parser.add_argument("--ledger", type=Path)
    parser.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME)
    args = parser.parse_args(argv)
    server = ProxyServer(args.route, args.toxic, token=args.token, pidfile=args.pidfile, ledger=args.ledger,
                         lifetime=args.lifetime)

    def ready(ports: list[int]) -> None:
        _write_pidfile(args.pidfile, args.token, args.route, ports)
        sys.stdout.write(json.dumps({"ready": True, "start": process_start(os.getpid()), "ports": ports}) + "\n")
        sys.stdout.flush()
        # The runner reads one line and closes the pipe; nothing more may go there.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        _log(f"listening: {', '.join(f'{r.listen_host}:{p} -> {r.upstream_host}:{r.upstream_port}' for r, p in zip(args.route, ports))}; "
             f"toxic {json.dumps(args.toxic.to_json())}")

    try:
        reason = asyncio.run(server.run(ready))
    except Exception as exc:  # noqa: BLE001 - the log is all a detached process has
        _log(f"failed: {type(exc).__name__}: {exc}")
        return 3
    finally:
        try:
            recorded = json.loads(args.pidfile.read_text())
            if recorded.get("pid") == os.getpid():
                args.pidfile.unlink()
        except (OSError, ValueError):
            pass
    _log(f"exiting: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
