"""The game day's loopback HTTP receiver: alerts from Alertmanager, marks from people.

A :class:`Receiver` serves a small starlette app with uvicorn on a background thread,
on a loopback address only (the token and the timeline are not for the network)::

    POST /alertmanager   an Alertmanager webhook (version 4); each alert goes to
                         GameDay.alert -> 200 {"alerts": n, "recorded": events};
                         alerts that ``max_alerts`` cut (``truncatedAlerts``) go to
                         GameDay.alerts_cut, a note;
                         400 {"error": why} for a payload that is not one (a 4xx,
                         so Alertmanager does not send it again; it retries a 5xx)
    POST /marks          {"kind", "by"?, "text"?, "phase"?, "runbook"?} with
                         ``Authorization: Bearer TOKEN`` -> GameDay.mark ->
                         200 {"events": [{t, kind, actor, subject, data}, ...]};
                         401 without the token; 400 for a body that is not a mark;
                         422 {"error": the game day's own message}
    GET  /state          GameDay.state() as JSON: clock, probes, faults, events, ended
    GET  /healthz        200 {"ok": true}

Requests must name a loopback host (``Host: 127.0.0.1:9095``) and POST bodies must be
``application/json``: a web page the responder has open cannot then forge alerts
(a cross-site JSON POST needs a preflight nobody answers, and a rebound DNS name is
refused). uvicorn is kept quiet (no access log, no lines on a terminal the live console
owns); an unexpected error in a handler writes its traceback to drillbit's error log
and answers 500 naming that file.

Only public uvicorn API is used (``Config``, ``Server.run(sockets=...)``,
``Server.started``, ``Server.should_exit``): drillbit binds the socket itself, so a
taken port is refused before the thread starts and port 0 gives a free one. uvicorn
installs no signal handlers off the main thread, so Ctrl-C stays the game day's.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import secrets
import socket
import threading
import time
import traceback
from dataclasses import asdict
from typing import Any, Awaitable, Callable

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chaos.gameday import Alert, GameDay, GameDayError, GameDayState, Mark
from scenarios import DrillbitError
from scenarios.alertmanager import WebhookError, parse_webhook
from scenarios.base import Record, build_models
from scenarios.timeline import Event

from .errorlog import write_error_log
from .marks import mark_kind_problem

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9095
#: The largest body read: Alertmanager sends groups of alerts, never megabytes of them.
MAX_BODY = 4 * 1024 * 1024
#: How long :meth:`Receiver.start` waits for uvicorn to serve, in seconds.
START_TIMEOUT = 10.0

Endpoint = Callable[[Request], Awaitable[Response]]


class ReceiverError(DrillbitError):
    """A receiver that cannot listen as asked (a host that is not loopback, a taken port)."""


class MarkRequest(Record):
    """The body of ``POST /marks``."""

    kind: str
    by: str | None = None
    text: str | None = None
    phase: str | None = None
    runbook: str | None = None


def loopback(host: str) -> str:
    """``host`` as the address to bind: a loopback IP as given, ``localhost`` as
    127.0.0.1. Raises ReceiverError for anything else (no name is resolved)."""
    if host == "localhost":
        return DEFAULT_HOST
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        ip = None
    if ip is None or not ip.is_loopback:
        raise ReceiverError(f"the game-day receiver listens on a loopback address only (127.0.0.1, ::1 or localhost), "
                            f"got {host!r}: it holds the marks' token and the timeline. To receive alerts from "
                            "another machine, run Alertmanager's webhook through an SSH tunnel or a local proxy")
    return str(ip)


def event_json(event: Event) -> dict[str, Any]:
    """An event as the timeline's JSON writes it: t, kind, actor, subject, data."""
    return event.model_dump(mode="json")


def state_json(state: GameDayState) -> dict[str, Any]:
    """A game-day snapshot as JSON. Probe ``at`` is the receiver's monotonic clock
    (seconds); fault ``at``/``until`` are seconds since the start."""
    return {
        "clock": state.clock,
        "probes": {name: asdict(result) for name, result in state.probes.items()},
        "faults": [{**asdict(f), "containers": list(f.containers)} for f in state.faults],
        "events": [event_json(e) for e in state.events],
        "ended": state.ended,
    }


def build_app(gameday: GameDay, token: str, *, allowed_hosts: tuple[str, ...] = ()) -> Starlette:
    """The receiver's starlette app for ``gameday``; ``token`` guards ``POST /marks``.
    Requests must name 127.0.0.1, ::1, localhost or one of ``allowed_hosts``."""
    hosts = {"127.0.0.1", "localhost", "[::1]", *allowed_hosts}

    def guarded(endpoint: Endpoint) -> Endpoint:
        async def handle(request: Request) -> Response:
            if _host(request) not in hosts:
                return _error(403, "requests must name a loopback host (127.0.0.1, ::1 or localhost)")
            if request.method == "POST" and _media_type(request) != "application/json":
                return _error(415, "send the body as JSON (Content-Type: application/json)")
            try:
                return await endpoint(request)
            except Exception:  # noqa: BLE001 - one request fails, the game day goes on
                log = write_error_log(traceback.format_exc())
                where = f"traceback in {log}" if log else "no folder was safe for a traceback log"
                return _error(500, f"internal error in the game-day receiver ({where})")

        return handle

    async def alertmanager(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        try:
            webhook = parse_webhook(body)
        except WebhookError as exc:
            return _error(400, str(exc))
        recorded = 0
        for a in webhook.alerts:
            labels = dict(a.labels)
            alert = Alert(name=a.name, firing=a.status == "firing", severity=labels.get("severity"),
                          service=labels.get("service") or labels.get("job"), labels=labels)
            recorded += len(await run_in_threadpool(gameday.alert, alert))
        if webhook.truncated_alerts:
            group = ", ".join(f"{k}={v}" for k, v in sorted(webhook.group_labels.items())) or webhook.group_key or "?"
            recorded += len(await run_in_threadpool(gameday.alerts_cut, webhook.truncated_alerts, f"{{{group}}}"))
        return JSONResponse({"alerts": len(webhook.alerts), "recorded": recorded})

    async def marks(request: Request) -> Response:
        if not _bearer_ok(request, token):
            return _error(401, "this needs the game day's token (Authorization: Bearer TOKEN); "
                               "`drillbit mark` reads it from the game-day state file",
                          headers={"WWW-Authenticate": 'Bearer realm="drillbit game day"'})
        body = await _body(request)
        if isinstance(body, Response):
            return body
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return _error(400, f"the mark is not JSON: {exc}")
        fields = tuple(MarkRequest.model_fields)
        if not isinstance(doc, dict):
            return _error(400, f"a mark is a JSON object with {', '.join(fields)}")
        unknown = sorted(set(doc) - set(fields))
        if unknown:
            return _error(400, f"unknown key {unknown[0]!r} in the mark; a mark has {', '.join(fields)}")
        try:
            req = MarkRequest.checked(doc, DrillbitError, "the mark")
        except DrillbitError as exc:
            return _error(400, str(exc))
        problem = mark_kind_problem(req.kind)
        if problem:
            return _error(422, problem)
        mark = Mark(kind=req.kind, by=req.by, text=req.text, phase=req.phase,  # type: ignore[arg-type]
                    runbook=req.runbook)
        try:
            events = await run_in_threadpool(gameday.mark, mark)
        except GameDayError as exc:
            return _error(422, str(exc))
        return JSONResponse({"events": [event_json(e) for e in events]})

    async def state(request: Request) -> Response:
        return JSONResponse(state_json(await run_in_threadpool(gameday.state)))

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[
        Route("/alertmanager", guarded(alertmanager), methods=["POST"]),
        Route("/marks", guarded(marks), methods=["POST"]),
        Route("/state", guarded(state), methods=["GET"]),
        Route("/healthz", guarded(healthz), methods=["GET"]),
    ])


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _host(request: Request) -> str:
    host = request.headers.get("host", "").lower()
    if host.startswith("["):  # [::1]:9095
        return host.partition("]")[0] + "]"
    return host.rpartition(":")[0] if ":" in host else host


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _bearer_ok(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest: the time taken says nothing about how much of a guess was right
    return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), token.encode())


async def _body(request: Request) -> bytes | Response:
    return await read_body(request, MAX_BODY, f"the body is larger than {MAX_BODY // (1024 * 1024)} MiB")


async def read_body(request: Request, limit: int, too_large: str) -> bytes | Response:
    """The request's body, or a 413 answer saying ``too_large`` once more than ``limit``
    bytes are declared or arrive (nothing past the limit is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _error(413, too_large)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return _error(413, too_large)
        chunks.append(chunk)
    return b"".join(chunks)


# uvicorn's own loggers go nowhere: the terminal belongs to the live console, and every
# error of ours is answered (and logged) by the app itself.
_QUIET_LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {name: {"handlers": ["null"], "level": "WARNING", "propagate": False}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")},
}


def bind_socket(host: str, port: int, error: type[DrillbitError], others: str) -> socket.socket:
    """A listening socket on ``host`` and ``port`` (0: a free one). Raises ``error``
    saying why not (``others``: who else may listen there, for the message)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # Lets a new server take the port while the last one's connections linger in
    # TIME_WAIT; a port someone listens on still refuses the bind.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise error(f"port {port} on {host} is taken ({others} or another program listens there); "
                        "choose another port, or 0 for any free one") from None
        if exc.errno == errno.EACCES:
            raise error(f"port {port} on {host} needs privileges; choose a port above 1023") from None
        raise error(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    except OverflowError:
        sock.close()
        raise error(f"port {port} is not a port (0 to 65535)") from None
    return sock


class ServerThread:
    """``app`` served by uvicorn on a background thread named ``name``, from ``sock``
    (bound by the caller, so a taken port is refused before any thread starts)."""

    def __init__(self, app: Any, sock: socket.socket, name: str, *, graceful: float | None = None) -> None:
        host, port = sock.getsockname()[:2]
        config = uvicorn.Config(app, host=host, port=port, log_config=_QUIET_LOGGING, access_log=False,
                                lifespan="off", loop="asyncio", timeout_graceful_shutdown=graceful)
        self.server = uvicorn.Server(config)
        self.socket = sock
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)

    def start(self) -> bool:
        """Start serving; whether requests are answered within START_TIMEOUT seconds."""
        build_models()  # here, before any request thread can be the first to use a model
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> None:
        """Stop serving (requests under way are finished first) and release the port."""
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=5.0)
            if self.thread.is_alive():
                self.server.force_exit = True
                self.thread.join(timeout=5.0)
        self.socket.close()


class Receiver:
    """The HTTP receiver of a running game day, on ``host`` (loopback only) and
    ``port`` (0: a free one). ``token`` (default: a new random one) guards marks.
    Use as a context manager, or :meth:`start` and :meth:`stop`. Raises ReceiverError
    for a host that is not loopback."""

    def __init__(self, gameday: GameDay, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 token: str | None = None) -> None:
        self.gameday = gameday
        self.host = loopback(host)
        self.port = port
        self.token = token or secrets.token_urlsafe(32)
        self.app = build_app(gameday, self.token, allowed_hosts=(self.host, f"[{self.host}]"))
        self._serving: ServerThread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:9095`` (the port bound, once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> str:
        """Listen and serve on a background thread; returns :attr:`url` once requests
        are answered. Raises ReceiverError when the port cannot be had."""
        if self._serving is not None:
            return self.url
        sock = bind_socket(self.host, self.port, ReceiverError, "another game day")
        self.port = sock.getsockname()[1]
        self._serving = ServerThread(self.app, sock, "drillbit-receiver")
        if not self._serving.start():
            self.stop()
            raise ReceiverError(f"the game-day receiver did not start on {self.url}")
        return self.url

    def stop(self) -> None:
        """Stop serving (requests under way are finished first) and release the port."""
        serving, self._serving = self._serving, None
        if serving is not None:
            serving.stop()

    def __enter__(self) -> "Receiver":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
