"""Probes that watch services during a game day, and the loop that runs them on time.

Each probe's :meth:`Probe.check` returns a :class:`ProbeResult`; times are
``time.monotonic()`` seconds. :class:`ProbeLoop` runs every probe on its own thread and
schedule (``next = previous scheduled + every``, so a slow check never makes the
schedule drift), hands each result to subscribers, and derives the two transitions a
drill is scored on: impact starts at the first failing result, recovery once every
probe has been healthy for ``healthy_for`` seconds after the last failure.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docker.errors import DockerException
from docker.models.containers import Container

from scenarios.live import MIN_EVERY
from scenarios.live import Probe as ProbeModel

from .errors import ChaosError

#: The most of a response body an HTTP probe reads: enough to match, never a download.
BODY_LIMIT = 64 * 1024
#: The most checks of one probe in flight at once (each hung until its timeout).
MAX_IN_FLIGHT = 8


class ProbeError(ChaosError):
    """A probe that cannot be built (an interval under 100 ms, a target without containers)."""


@dataclass(frozen=True)
class ProbeResult:
    """One observation: ``at`` when the check started (monotonic seconds), ``latency``
    how long it took (seconds), ``detail`` what was seen; ``probe`` the probe's name."""

    ok: bool
    at: float
    latency: float
    detail: str
    probe: str = ""


class Probe:
    """A check; subclasses implement :meth:`_run` returning (ok, detail)."""

    def __init__(self, name: str, every: float | None = None) -> None:
        self.name = name
        self.every = every

    def _run(self) -> tuple[bool, str]:
        raise NotImplementedError

    def check(self) -> ProbeResult:
        """Run the check once; never raises for what it observes (a refused connection,
        a missing container) but reports it as a failing result."""
        at = time.monotonic()
        try:
            ok, detail = self._run()
        except Exception as exc:  # noqa: BLE001 - whatever breaks is what the probe observed
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        return ProbeResult(ok, at, time.monotonic() - at, detail, self.name)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# No proxy from the environment (a probe of 127.0.0.1 must not go through one) and no
# redirects followed (the status checked is the one the service gave).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


class HttpProbe(Probe):
    """GET ``url``: ok when the status is ``expect_status``, the body contains ``body``
    (a str) or matches it (a compiled pattern), and it answered within ``max_latency``."""

    def __init__(self, url: str, expect_status: int = 200, body: str | re.Pattern[str] | None = None,
                 max_latency: float | None = None, timeout: float = 2.0, *, name: str | None = None,
                 every: float | None = None) -> None:
        super().__init__(name or url, every)
        self.url, self.expect_status, self.body = url, expect_status, body
        self.max_latency, self.timeout = max_latency, timeout

    def _run(self) -> tuple[bool, str]:
        start = time.monotonic()
        try:
            with _OPENER.open(self.url, timeout=self.timeout) as resp:
                status, raw = resp.status, resp.read(BODY_LIMIT)
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read(BODY_LIMIT)
        except (urllib.error.URLError, OSError) as exc:
            return False, f"no answer: {getattr(exc, 'reason', exc)}"
        took = time.monotonic() - start
        text = raw.decode("utf-8", errors="replace")
        if status != self.expect_status:
            return False, f"status {status}, expected {self.expect_status}"
        if isinstance(self.body, str) and self.body not in text:
            return False, f"body lacks {self.body!r}"
        if isinstance(self.body, re.Pattern) and not self.body.search(text):
            return False, f"body does not match /{self.body.pattern}/"
        if self.max_latency is not None and took > self.max_latency:
            return False, f"slow: {took * 1000:.0f}ms, more than {self.max_latency * 1000:.0f}ms"
        return True, f"status {status} in {took * 1000:.0f}ms"


class TcpProbe(Probe):
    """Connect to ``host:port``: ok when the connection is accepted within ``timeout``."""

    def __init__(self, host: str, port: int, timeout: float = 2.0, *, name: str | None = None,
                 every: float | None = None) -> None:
        super().__init__(name or f"{host}:{port}", every)
        self.host, self.port, self.timeout = host, port, timeout

    def _run(self) -> tuple[bool, str]:
        try:
            with socket.create_connection((self.host.strip("[]"), self.port), timeout=self.timeout):
                return True, "connected"
        except OSError as exc:
            return False, f"cannot connect: {exc}"


class HealthProbe(Probe):
    """The container's health status from its engine: ok when ``healthy``, or, for a
    container without a healthcheck, when it is ``running`` (a paused one is not)."""

    def __init__(self, container: Container, *, name: str | None = None, every: float | None = None) -> None:
        super().__init__(name or container.name, every)
        self.container = container

    def _run(self) -> tuple[bool, str]:
        try:
            self.container.reload()
        except DockerException as exc:
            return False, f"{self.container.name}: {exc}"
        state = self.container.attrs.get("State", {})
        status = state.get("Status", "unknown")
        health = (state.get("Health") or {}).get("Status")
        if status != "running":
            return False, f"{self.container.name} is {status}"
        if health is None:
            return True, f"{self.container.name} is running (no healthcheck)"
        return health == "healthy", f"{self.container.name} is {health}"


class CommandProbe(Probe):
    """Run ``command`` (with ``sh -c``) in the container: ok on exit 0 and, when
    ``expect_stable``, while the output equals the first output seen (a checksum of
    data that must not change)."""

    def __init__(self, container: Container, command: str, expect_stable: bool = False, timeout: float = 10.0,
                 *, name: str | None = None, every: float | None = None) -> None:
        super().__init__(name or command, every)
        self.container, self.command = container, command
        self.expect_stable, self.timeout = expect_stable, timeout
        self.baseline: bytes | None = None

    def _exec(self) -> tuple[int, bytes]:
        # exec_run has no timeout of its own; a hung command must not hang the probe's schedule.
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = self.container.exec_run(["sh", "-c", self.command])
            except Exception as exc:  # noqa: BLE001 - reported as the probe's failure
                box["error"] = exc

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise TimeoutError(f"no result within {self.timeout:g}s")
        if "error" in box:
            raise box["error"]
        code, output = box["result"]
        return code, output or b""

    def _run(self) -> tuple[bool, str]:
        code, output = self._exec()
        shown = output.decode("utf-8", errors="replace").strip()[:120]
        if code != 0:
            return False, f"exit {code}: {shown}"
        if self.expect_stable:
            if self.baseline is None:
                self.baseline = output
            elif output != self.baseline:
                return False, f"output changed from {self.baseline.decode('utf-8', 'replace').strip()[:60]!r} to {shown[:60]!r}"
        return True, shown


class AllOf(Probe):
    """Several probes as one (a command or health probe over every container of a
    target): ok when all are; the detail names those that failed."""

    def __init__(self, name: str, probes: Sequence[Probe], every: float | None = None) -> None:
        super().__init__(name, every)
        self.probes = list(probes)

    def _run(self) -> tuple[bool, str]:
        results = [p.check() for p in self.probes]
        failed = [r.detail for r in results if not r.ok]
        return (not failed), "; ".join(failed) if failed else f"{len(results)} ok"


def probe_from(model: ProbeModel, containers: Mapping[str, Sequence[Container]] | None = None) -> Probe:
    """The probe a scenario's ``live.probes`` entry describes; ``containers`` are the
    resolved targets (for command and health probes). Raises ProbeError when such a
    probe's target resolved to no container."""
    every = model.every
    if model.http:
        body: str | re.Pattern[str] | None = re.compile(model.body_regex) if model.body_regex else model.body
        return HttpProbe(model.http, model.expect_status, body, model.max_latency, model.timeout,
                         name=model.name, every=every)
    if model.tcp:
        host, _, port = model.tcp.rpartition(":")
        return TcpProbe(host, int(port), model.timeout, name=model.name, every=every)
    found = list((containers or {}).get(model.target or "", ()))
    if not found:
        raise ProbeError(f"probe '{model.name}' checks target '{model.target}', which resolved to no container")
    if model.health:
        parts: list[Probe] = [HealthProbe(c, name=c.name) for c in found]
    else:
        parts = [CommandProbe(c, model.command or "", model.expect_stable, model.timeout, name=c.name) for c in found]
    if len(parts) == 1:
        parts[0].name, parts[0].every = model.name, every
        return parts[0]
    return AllOf(model.name, parts, every)


@dataclass(frozen=True)
class Transition:
    """``impact_started`` (at the start of the first failing check) or ``recovered`` (when
    the first check of a healthy stretch answered, once the stretch lasted ``healthy_for``;
    ``confirmed`` when it had)."""

    kind: str
    at: float
    probe: str
    detail: str
    confirmed: float | None = None


class ProbeLoop:
    """Runs ``probes`` until :meth:`stop`, each every ``probe.every`` seconds (``every``
    for a probe without its own; 100 ms at the fastest), one scheduling thread per probe
    and each check on its own thread, so a slow or hung check delays neither another
    probe's schedule nor its own probe's next check."""

    def __init__(self, probes: Sequence[Probe], every: float = 1.0, *, healthy_for: float = 5.0) -> None:
        for p in probes:
            if (p.every or every) < MIN_EVERY:
                raise ProbeError(f"probe '{p.name}' runs every {(p.every or every) * 1000:g}ms; the fastest is 100ms")
        self.probes, self.every, self.healthy_for = list(probes), every, healthy_for
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._result_subscribers: list[Callable[[ProbeResult], None]] = []
        self._transition_subscribers: list[Callable[[Transition], None]] = []
        self._latest: dict[str, ProbeResult] = {}
        self._first_failure: ProbeResult | None = None
        self._healthy_since: float | None = None
        self._recovered: Transition | None = None
        self.results: list[ProbeResult] = []
        self.transitions: list[Transition] = []

    def subscribe(self, on_result: Callable[[ProbeResult], None] | None = None,
                  on_transition: Callable[[Transition], None] | None = None) -> None:
        """Call ``on_result`` with each result and ``on_transition`` with each transition,
        on the probe's thread (keep them quick)."""
        if on_result:
            self._result_subscribers.append(on_result)
        if on_transition:
            self._transition_subscribers.append(on_transition)

    def start(self) -> None:
        start = time.monotonic()
        for p in self.probes:
            t = threading.Thread(target=self._run, args=(p, start), name=f"probe-{p.name}", daemon=True)
            self._threads.append(t)
            t.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)

    def __enter__(self) -> "ProbeLoop":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _run(self, probe: Probe, start: float) -> None:
        every = probe.every or self.every
        scheduled = start
        in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        while not self._stop.is_set():
            # Each check on its own thread, so one that hangs until its timeout (a
            # service still starting) does not blind the probe: the next slot's check
            # goes out on time. A probe with every slot still hung skips the slot.
            if in_flight.acquire(blocking=False):
                threading.Thread(target=self._check, args=(probe, in_flight), name=f"probe-{probe.name}-check",
                                 daemon=True).start()
            scheduled += every
            now = time.monotonic()
            if scheduled < now:
                # Overran: skip the slots already missed and keep the original phase.
                scheduled += every * int((now - scheduled) / every + 1)
            if self._stop.wait(scheduled - time.monotonic()):
                return

    def _check(self, probe: Probe, in_flight: threading.BoundedSemaphore) -> None:
        try:
            result = probe.check()
        finally:
            in_flight.release()
        if not self._stop.is_set():
            self._record(result)

    def _record(self, result: ProbeResult) -> None:
        fired: list[Transition] = []
        with self._lock:
            self.results.append(result)
            latest = self._latest.get(result.probe)
            # A check that started before the latest one but answered after it saw older
            # news than the state already known: it is kept, but changes nothing.
            if latest is None or result.at >= latest.at:
                self._latest[result.probe] = result
                fired = self._transitions(result)
                self.transitions.extend(fired)
        for fn in self._result_subscribers:
            fn(result)
        for t in fired:
            for fn in self._transition_subscribers:
                fn(t)

    def _transitions(self, result: ProbeResult) -> list[Transition]:
        """The transitions ``result`` (the newest of its probe) makes; under the lock."""
        if not result.ok:
            self._healthy_since = None
            self._recovered = None
            if self._first_failure is None:
                self._first_failure = result
                return [Transition("impact_started", result.at, result.probe, result.detail)]
        elif self._first_failure is not None and self._recovered is None and all(r.ok for r in self._latest.values()):
            if self._healthy_since is None:
                # Healthy from when it answered: a request held by a frozen service
                # that answers at the thaw started while it was down.
                self._healthy_since = result.at + result.latency
            elif result.at + result.latency - self._healthy_since >= self.healthy_for:
                self._recovered = Transition("recovered", self._healthy_since, result.probe, result.detail,
                                             confirmed=result.at + result.latency)
                return [self._recovered]
        return []

    def first_failure(self) -> ProbeResult | None:
        """The first failing result since the loop started, or None."""
        with self._lock:
            return self._first_failure

    def recovered_at(self) -> float | None:
        """When the healthy stretch after the last failure began (the first healthy
        check's answer, monotonic seconds),
        once it lasted ``healthy_for``; None before that or when nothing failed."""
        with self._lock:
            return self._recovered.at if self._recovered else None
