"""The tabletop web console: the facilitator's view and the team's view of one
:class:`~simulator.tabletop.Tabletop`, served by a small starlette app with uvicorn on
a background thread, and a tick thread that moves the drill clock.

Routes::

    GET  /team, /facilitator      the views (server-rendered; /facilitator?code=CODE
                                  sets the facilitator's cookie and redirects)
    GET  /events?view=team|facilitator
                                  server-sent events: a ``state`` event with the view's
                                  fragments and version now, and on every change
    GET  /api/state?view=…        the view's state as JSON (the facilitator's has a
                                  ``standing`` key: the scorecard as it stands now)
    POST /api/action              one action (scenarios.tabletop) as JSON ->
                                  200 {"entry", "state"}; 400 not an action, 403 a
                                  facilitator's action without the code, 413 over 16 KiB,
                                  415 not JSON, 422 {"error"} the drill's own refusal
    GET  /static/NAME             the console's CSS and JS (nothing from elsewhere)
    GET  /healthz                 200 {"ok": true}

Who may do what: on a loopback address (the default) requests must name a loopback
host, so a rebound DNS name is refused. With another ``host`` every request needs the
random room code (``?room=CODE`` in the join link, then a cookie) or gets 403. The
facilitator's page and actions need the facilitator's code, in a cookie (HttpOnly,
SameSite=Strict) that ``/facilitator?code=CODE`` sets. Actions are JSON POSTs only: a
cross-site form cannot send one, and a cross-site fetch of JSON needs a preflight
nobody answers. Everything in a request is validated by scenarios.tabletop and the
drill itself; a refused action changes nothing.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
import threading
import time
import traceback
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from urllib.parse import quote

import anyio
import anyio.to_thread
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from reports.tabletop_pages import PageError, render_fragments, render_page, static_asset
from scenarios import DrillbitError
from scenarios.tabletop import FACILITATOR_ACTIONS, ActionError, parse_action
from simulator.tabletop import Tabletop, TabletopError

from .errorlog import write_error_log
from .receiver import ServerThread, _host, _media_type, bind_socket, read_body

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8095
#: The largest action body: an action is a few fields and at most a paragraph of text.
MAX_BODY = 16 * 1024
#: How often the tick thread moves the drill clock, in seconds.
TICK_EVERY = 0.2
#: How long one wait for a change lasts before the event stream checks whether its
#: client left or the server stops, in seconds.
WAIT_SLICE = 1.0
ROOM_COOKIE = "drillbit_room"
FACILITATOR_COOKIE = "drillbit_facilitator"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
#: Hosts that mean "every interface".
WILDCARDS = ("0.0.0.0", "::", "")
#: Threads that wait for changes on behalf of event streams (one per open view), kept
#: apart from the request threads so that many open views never starve the actions.
STREAM_THREADS = 200
#: The headers every answer carries: nothing is loaded from elsewhere, the page is not
#: framed, and no URL (with its code) is sent on as a referrer.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

Standing = Callable[[], Sequence[Mapping[str, Any]]]
Endpoint = Callable[[Request], Awaitable[Response]]


class TabletopServerError(DrillbitError):
    """A console that cannot listen as asked (a taken port, an address that is not ours)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# -- the scorecard as it stands now ---------------------------------------------------------
def standing_of(tabletop: Tabletop, inputs: Any) -> Standing:
    """A ``standing`` callable that scores ``tabletop``'s timeline so far with
    :func:`drillbit.app.score_timelines` against ``inputs`` (a drillbit.resolve.Inputs):
    each measure's label, value so far (seconds, None if not reached), objective and
    whether it is met, missed or not reached yet. While the drill runs, a measure not
    reached is "not reached yet" rather than missed: the room may still get there."""
    from .app import score_timelines  # scoring is loaded when a scorecard is first asked for

    def figures() -> list[dict[str, Any]]:
        ended = tabletop.phase in ("hotwash", "finished")
        drill = score_timelines([tabletop.timeline()], inputs, now=datetime.now(timezone.utc))
        result = drill.result
        objectives = {o.metric: o for o in result.objectives}
        rows = []
        for key, m in result.metrics.items():
            o = objectives.get(key)
            status = None if o is None else o.status
            if m.median is None and status is not None and not ended:
                status = "not reached yet"
            rows.append({"metric": key, "label": m.label, "value": m.median,
                         "target": None if o is None else o.target, "status": status})
        return rows

    return figures


def _default_standing(tabletop: Tabletop) -> Standing | None:
    """The scorecard of the drill's own scenario and team, where the session says what they are."""
    scenario, team = getattr(tabletop, "scenario", None), getattr(tabletop, "team", None)
    if scenario is None or team is None:
        return None
    from .resolve import Inputs

    # No files behind these: the drill's record names the inputs by id alone.
    inputs = Inputs(scenario=scenario, team=team, runbooks=list(getattr(tabletop, "runbooks", ()) or ()),
                    team_path=None, workspace=None)  # type: ignore[arg-type]
    return standing_of(tabletop, inputs)


# -- the app --------------------------------------------------------------------------------
def build_app(tabletop: Tabletop, *, room_code: str, facilitator_code: str, open_network: bool = False,
              allowed_hosts: Sequence[str] = (), standing: Standing | None = None,
              closing: threading.Event | None = None) -> Starlette:
    """The console's starlette app for ``tabletop``. ``open_network``: the console
    listens beyond loopback, so every request needs ``room_code`` (and any Host is
    accepted); otherwise requests must name a loopback host or one of ``allowed_hosts``.
    ``closing`` ends the event streams when set (the server stops)."""
    hosts = {*LOOPBACK_NAMES, *allowed_hosts}
    closing = closing or threading.Event()
    limiter = anyio.CapacityLimiter(STREAM_THREADS)

    def is_facilitator(request: Request) -> bool:
        given = request.cookies.get(FACILITATOR_COOKIE, "")
        return secrets.compare_digest(given.encode(), facilitator_code.encode())

    def guarded(endpoint: Endpoint) -> Endpoint:
        async def handle(request: Request) -> Response:
            response = await _checked(request, endpoint)
            response.headers.update(SECURITY_HEADERS)
            return response

        return handle

    async def _checked(request: Request, endpoint: Endpoint) -> Response:
        if not open_network and _host(request) not in hosts:
            return _error(403, "requests must name a loopback host (127.0.0.1, ::1 or localhost)")
        set_room = False
        if open_network:
            given = request.query_params.get("room")
            if given is not None and secrets.compare_digest(given.encode(), room_code.encode()):
                set_room = True
            elif not secrets.compare_digest(request.cookies.get(ROOM_COOKIE, "").encode(), room_code.encode()):
                return _error(403, "this console needs the room code: open the join link the facilitator shared")
        try:
            response = await endpoint(request)
        except Exception:  # noqa: BLE001 - one request fails, the drill goes on
            log = write_error_log(traceback.format_exc())
            where = f"traceback in {log}" if log else "no folder was safe for a traceback log"
            return _error(500, f"internal error in the tabletop console ({where})")
        if set_room:
            _cookie(response, ROOM_COOKIE, room_code)
        return response

    def view_of(request: Request) -> str | Response:
        view = request.query_params.get("view", "team")
        if view not in ("team", "facilitator"):
            return _error(400, f"unknown view {view!r}; expected team or facilitator")
        if view == "facilitator" and not is_facilitator(request):
            return _error(403, "the facilitator's view needs the facilitator's code (open the facilitator link)")
        return view

    scored: dict[str, Any] = {"version": None, "figures": None}
    scoring = threading.Lock()

    def standing_at(version: int) -> list[dict[str, Any]] | str | None:
        """The scorecard as it stands at ``version``, scored once however many views ask;
        a scorecard that cannot be computed says so (the drill goes on)."""
        if standing is None:
            return None
        with scoring:
            if scored["version"] != version:
                try:
                    figures: list[dict[str, Any]] | str = [dict(f) for f in standing()]
                except Exception:  # noqa: BLE001 - the scorecard is an aid; the drill must not stop for it
                    log = write_error_log(traceback.format_exc())
                    figures = f"the scorecard cannot be computed now (traceback in {log})"
                scored.update(version=version, figures=figures)
            return scored["figures"]

    def snapshot(view: str) -> dict[str, Any]:
        """The view's state, and the scorecard standing with it for the facilitator."""
        state = tabletop.state(facilitator=view == "facilitator")
        return {"state": state, "standing": standing_at(state["version"]) if view == "facilitator" else None}

    rendered: dict[str, dict[str, Any]] = {}

    def update_of(view: str) -> dict[str, Any]:
        """What an event stream sends: the view's version, phase and fragments, rendered
        once per version however many browsers show the view (again after a second
        while the clock runs: the clock shown is where the page counts on from)."""
        last = rendered.get(view)
        if last is not None and last["update"]["version"] == tabletop.version and \
                (tabletop.phase != "running" or time.monotonic() - last["at"] < 1.0):
            return last["update"]
        snap = snapshot(view)
        state = snap["state"]
        update = {"version": state["version"], "phase": state["phase"],
                  "fragments": render_fragments(view, state, standing=snap["standing"])}  # type: ignore[arg-type]
        rendered[view] = {"update": update, "at": time.monotonic()}
        return update

    async def page(request: Request, view: str) -> Response:
        snap = await run_in_threadpool(snapshot, view)
        html = render_page(view, snap["state"], standing=snap["standing"],  # type: ignore[arg-type]
                           room=room_code if open_network else None)
        return HTMLResponse(html)

    async def team(request: Request) -> Response:
        return await page(request, "team")

    async def facilitator(request: Request) -> Response:
        code = request.query_params.get("code")
        if code is not None:
            if not secrets.compare_digest(code.encode(), facilitator_code.encode()):
                return _error(403, "that is not this drill's facilitator code")
            # The code leaves the address bar (and the history) at once; the cookie keeps it.
            response = RedirectResponse("/facilitator", status_code=303)
            _cookie(response, FACILITATOR_COOKIE, facilitator_code)
            return response
        if not is_facilitator(request):
            return _error(403, "the facilitator's view needs the facilitator's code (open the facilitator link)")
        return await page(request, "facilitator")

    async def events(request: Request) -> Response:
        view = view_of(request)
        if isinstance(view, Response):
            return view

        async def stream() -> AsyncIterator[dict[str, str]]:
            seen = -1
            while not closing.is_set():
                if seen >= 0:
                    now = await anyio.to_thread.run_sync(tabletop.wait_changed, seen, WAIT_SLICE, limiter=limiter)
                    if now <= seen:
                        if await request.is_disconnected():
                            return
                        continue
                update = await run_in_threadpool(update_of, view)
                seen = update["version"]
                yield {"event": "state", "data": json.dumps(update), "id": str(seen)}

        return EventSourceResponse(stream(), ping=15, headers=SECURITY_HEADERS)

    async def api_state(request: Request) -> Response:
        view = view_of(request)
        if isinstance(view, Response):
            return view
        return JSONResponse(await run_in_threadpool(snapshot, view))

    async def action(request: Request) -> Response:
        if _media_type(request) != "application/json":
            return _error(415, "send the action as JSON (Content-Type: application/json)")
        body = await read_body(request, MAX_BODY, f"an action is at most {MAX_BODY // 1024} KiB")
        if isinstance(body, Response):
            return body
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return _error(400, f"the action is not JSON: {exc}")
        except RecursionError:  # 16 KiB of brackets nest deeper than the decoder goes
            return _error(400, "the action is not JSON an action can be: it nests too deep")
        try:
            act = parse_action(doc)
        except ActionError as exc:
            return _error(400, str(exc))
        facilitator = is_facilitator(request)
        if act.action in FACILITATOR_ACTIONS and not facilitator:
            return _error(403, f"only the facilitator may {act.action} (open the facilitator link)")
        try:
            entry = await run_in_threadpool(tabletop.act, act, facilitator=facilitator)
        except TabletopError as exc:
            return _error(422, str(exc))
        view = "facilitator" if request.query_params.get("view") == "facilitator" and facilitator else "team"
        return JSONResponse({"entry": _jsonable(entry), "state": await run_in_threadpool(update_of, view)})

    async def static(request: Request) -> Response:
        try:
            data, media = static_asset(request.path_params["name"])
        except PageError as exc:
            return _error(404, str(exc))
        return Response(data, media_type=media)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[
        Route("/", guarded(team), methods=["GET"]),
        Route("/team", guarded(team), methods=["GET"]),
        Route("/facilitator", guarded(facilitator), methods=["GET"]),
        Route("/events", guarded(events), methods=["GET"]),
        Route("/api/state", guarded(api_state), methods=["GET"]),
        Route("/api/action", guarded(action), methods=["POST"]),
        Route("/static/{name}", guarded(static), methods=["GET"]),
        Route("/healthz", guarded(healthz), methods=["GET"]),
    ])


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda o: o.model_dump(mode="json") if hasattr(o, "model_dump") else str(o)))


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", path="/")


# -- the server -------------------------------------------------------------------------------
class TabletopServer:
    """The console of ``tabletop`` on ``host`` (loopback by default; another address
    opens it to the network behind the room code) and ``port`` (0: a free one).
    ``standing`` returns the scorecard's figures as they stand now (default: the drill
    scored so far against its own scenario and team). :attr:`finished` is set once the
    drill reaches the phase ``finished``. Use as a context manager, or :meth:`start`
    and :meth:`stop`."""

    def __init__(self, tabletop: Tabletop, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 standing: Standing | None = None) -> None:
        self.tabletop = tabletop
        self.host = DEFAULT_HOST if host == "localhost" else host
        self.port = port
        self.open_network = not is_loopback(self.host)
        self.room_code = secrets.token_urlsafe(9)
        self.facilitator_code = secrets.token_urlsafe(18)
        self.finished = threading.Event()
        self._closing = threading.Event()
        self._stop_ticking = threading.Event()
        bracketed = f"[{self.host}]" if ":" in self.host else self.host
        self.app = build_app(tabletop, room_code=self.room_code, facilitator_code=self.facilitator_code,
                             open_network=self.open_network, allowed_hosts=(self.host, bracketed),
                             standing=standing if standing is not None else _default_standing(tabletop),
                             closing=self._closing)
        self._serving: ServerThread | None = None
        self._ticking: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = self.host
        if host in WILDCARDS:  # every interface: a link others can open names this machine
            host = socket.getfqdn()
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def facilitator_url(self) -> str:
        """The facilitator's link (with the room code too when the console is open to the network)."""
        room = f"&room={quote(self.room_code)}" if self.open_network else ""
        return f"{self.url}/facilitator?code={quote(self.facilitator_code)}{room}"

    @property
    def team_url(self) -> str:
        """The team's join link (with the room code when the console is open to the network)."""
        return f"{self.url}/team" + (f"?room={quote(self.room_code)}" if self.open_network else "")

    def start(self) -> tuple[str, str]:
        """Listen, serve and tick on background threads; returns (facilitator_url,
        team_url) once requests are answered. Raises TabletopServerError when the port
        cannot be had."""
        if self._serving is not None:
            return self.facilitator_url, self.team_url
        sock = bind_socket(self.host, self.port, TabletopServerError, "another tabletop")
        self._stop_ticking.clear()
        self._closing.clear()
        self.port = sock.getsockname()[1]
        # Open event streams end within WAIT_SLICE of the stop; the grace period bounds the rest.
        self._serving = ServerThread(self.app, sock, "drillbit-tabletop-web", graceful=3.0)
        if not self._serving.start():
            self.stop()
            raise TabletopServerError(f"the tabletop console did not start on {self.url}")
        self._ticking = threading.Thread(target=self._tick, name="drillbit-tabletop-tick", daemon=True)
        self._ticking.start()
        return self.facilitator_url, self.team_url

    def _tick(self) -> None:
        while not self._stop_ticking.wait(TICK_EVERY):
            try:
                self.tabletop.tick()
            except Exception:  # noqa: BLE001 - the clock goes on; the traceback is kept
                write_error_log(traceback.format_exc())
            if self.tabletop.phase == "finished":
                self.finished.set()

    def stop(self) -> None:
        """Stop ticking and serving (event streams end, requests under way finish) and
        release the port."""
        self._stop_ticking.set()
        self._closing.set()
        serving, ticking = self._serving, self._ticking
        self._serving = self._ticking = None
        if ticking is not None:
            ticking.join(timeout=5.0)
        if serving is not None:
            serving.stop()

    def __enter__(self) -> "TabletopServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

