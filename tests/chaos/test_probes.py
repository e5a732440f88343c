"""Probes against real services in containers: a busybox httpd that the engine pauses
and unpauses, a TCP port, health status, a command whose output must stay stable;
and the loop's schedule measured at 100 ms."""

from __future__ import annotations

import re
import socket
import statistics
import threading
import time

import pytest

from chaos.probes import (CommandProbe, HealthProbe, HttpProbe, Probe, ProbeError, ProbeLoop, TcpProbe,
                          probe_from)
from scenarios.live import Probe as ProbeModel

HTTPD = "mkdir -p /www && echo 'shop ready' > /www/index.html && httpd -f -p 8080 -h /www"


def _ip(container) -> str:
    container.reload()
    return container.attrs["NetworkSettings"]["IPAddress"]


def _wait(probe: Probe, ok: bool, within: float = 5.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = probe.check()
        if result.ok is ok:
            return result
        time.sleep(0.05)
    raise AssertionError(f"{probe.name} never became {'ok' if ok else 'failing'}: {result.detail}")


@pytest.fixture
def httpd(make_container):
    c = make_container(HTTPD)
    _wait(TcpProbe(_ip(c), 8080, 0.5), True)
    return c


@pytest.mark.docker
def test_http_probe_checks_status_body_and_latency(httpd):
    url = f"http://{_ip(httpd)}:8080/"
    assert HttpProbe(url, body="shop ready").check().ok
    assert HttpProbe(url, body=re.compile(r"shop \w+")).check().ok
    missing = HttpProbe(url + "nope").check()
    assert not missing.ok and "status 404" in missing.detail
    assert HttpProbe(url + "nope", expect_status=404).check().ok
    assert "body lacks" in HttpProbe(url, body="closed").check().detail
    slow = HttpProbe(url, max_latency=1e-9).check()
    assert not slow.ok and slow.detail.startswith("slow")


@pytest.mark.docker
def test_pausing_the_container_fails_the_http_probe_within_one_interval_and_unpausing_recovers(httpd):
    every = 0.1
    probe = HttpProbe(f"http://{_ip(httpd)}:8080/", timeout=0.3, every=every)
    loop = ProbeLoop([probe], healthy_for=0.3)
    seen = []
    loop.subscribe(seen.append)
    try:
        with loop:
            time.sleep(0.35)
            assert loop.first_failure() is None and seen and all(r.ok for r in seen)
            # The engine freezes (and thaws) somewhere between a call's start and its return.
            pause_called = time.monotonic()
            httpd.pause()
            paused = time.monotonic()
            httpd.reload()
            assert httpd.status == "paused"
            time.sleep(0.6)
            unpause_called = time.monotonic()
            httpd.unpause()
            unpaused = time.monotonic()
            time.sleep(0.8)
    finally:
        httpd.reload()
        if httpd.status == "paused":
            httpd.unpause()
    failure = loop.first_failure()
    assert failure is not None and not failure.ok
    # The first request after the freeze fails; one sent just before it may too (then
    # it answers in its timeout), so impact starts at most one interval after the freeze.
    assert pause_called - probe.timeout <= failure.at <= paused + every + 0.02
    recovered = loop.recovered_at()
    # A request held while frozen answers at the thaw, or the next slot after it does.
    assert recovered is not None and unpause_called <= recovered <= unpaused + every + 0.05
    assert all(not r.ok for r in loop.results if paused + 0.01 < r.at < unpause_called - probe.timeout)
    assert [t.kind for t in loop.transitions] == ["impact_started", "recovered"]
    httpd.reload()
    assert httpd.status == "running"


@pytest.mark.docker
def test_tcp_probe_connects_and_fails_when_the_port_closes(make_container):
    c = make_container("httpd -p 9000 && sleep 600")
    probe = TcpProbe(_ip(c), 9000, timeout=0.5)
    assert _wait(probe, True).ok
    code, out = c.exec_run(["sh", "-c", "kill $(ps | grep '[h]ttpd' | while read pid rest; do echo $pid; done)"])
    assert code == 0, out
    assert "cannot connect" in _wait(probe, False).detail


@pytest.mark.docker
def test_health_probe_follows_the_engines_health_status(make_container):
    c = make_container("sleep 600", healthcheck={"test": ["CMD-SHELL", "test -f /ok"], "interval": 100_000_000,
                                                 "timeout": 500_000_000, "retries": 1})
    probe = HealthProbe(c)
    assert not probe.check().ok  # starting, or unhealthy: not yet ok
    c.exec_run(["touch", "/ok"])
    assert "healthy" in _wait(probe, True).detail
    c.reload()
    assert c.attrs["State"]["Health"]["Status"] == "healthy"
    c.exec_run(["rm", "/ok"])
    assert "unhealthy" in _wait(probe, False).detail


@pytest.mark.docker
def test_health_probe_without_a_healthcheck_is_running_and_fails_when_paused(make_container):
    c = make_container("sleep 600")
    probe = HealthProbe(c)
    assert probe.check().ok and "no healthcheck" in probe.check().detail
    c.pause()
    try:
        result = probe.check()
        assert not result.ok and "paused" in result.detail
    finally:
        c.unpause()
    # The daemon may report the unpause a moment after the call returns (seen under load).
    assert "no healthcheck" in _wait(probe, True).detail


@pytest.mark.docker
def test_command_probe_with_expect_stable_detects_a_changed_file(make_container):
    c = make_container("mkdir -p /data && echo rows > /data/orders.db && sleep 600")
    _wait(CommandProbe(c, "test -f /data/orders.db"), True)
    probe = CommandProbe(c, "sha256sum /data/orders.db", expect_stable=True)
    assert probe.check().ok and probe.check().ok
    c.exec_run(["sh", "-c", "echo tampered >> /data/orders.db"])
    changed = probe.check()
    assert not changed.ok and "output changed" in changed.detail
    failing = CommandProbe(c, "exit 3").check()
    assert not failing.ok and failing.detail.startswith("exit 3")


@pytest.mark.docker
def test_probes_are_built_from_the_scenario_model(httpd):
    ip = _ip(httpd)
    web = probe_from(ProbeModel(name="web", http=f"http://{ip}:8080/", body_regex="ready$", every=0.2))
    assert isinstance(web, HttpProbe) and web.every == 0.2 and web.check().ok
    port = probe_from(ProbeModel(name="port", tcp=f"{ip}:8080"))
    assert isinstance(port, TcpProbe) and port.check().ok
    health = probe_from(ProbeModel(name="h", health=True, target="api"), {"api": [httpd]})
    assert health.name == "h" and health.check().ok
    data = probe_from(ProbeModel(name="d", command="cat /www/index.html", target="api", expect_stable=True),
                      {"api": [httpd, httpd]})
    assert data.check().ok
    with pytest.raises(ProbeError, match="resolved to no container"):
        probe_from(ProbeModel(name="d", command="true", target="db"), {"api": [httpd]})


class _Scripted(Probe):
    """Answers from a script, then ok: the loop's bookkeeping without a network."""

    def __init__(self, script: list[bool], every: float) -> None:
        super().__init__("scripted", every)
        self.script = list(script)

    def _run(self) -> tuple[bool, str]:
        return (self.script.pop(0) if self.script else True), ""


def test_impact_starts_at_the_first_failure_and_recovery_needs_the_healthy_stretch():
    loop = ProbeLoop([_Scripted([True, True, False, True, False, True], 0.1)], healthy_for=0.35)
    with loop:
        time.sleep(1.3)
    results = loop.results
    assert loop.first_failure() is results[2]
    # The stretch after the last failure (results[4]) starts when results[5] answered.
    assert loop.recovered_at() == results[5].at + results[5].latency
    recovered = loop.transitions[1]
    assert recovered.kind == "recovered" and recovered.confirmed - recovered.at >= 0.35


def test_the_loop_keeps_to_its_schedule_at_100ms():
    every = 0.1

    class Busy(_Scripted):
        # Each check takes 5 ms: a loop that waited `every` after each check would
        # fall 5 ms further behind every round, 100 ms after twenty.
        def _run(self):
            time.sleep(0.005)
            return True, ""

    def lateness() -> list[float]:
        """How late each check of two seconds of the loop started after its slot. The
        slots count from the loop's start, not from the first check, which may be late
        itself (and would then make every slot after it look early)."""
        loop = ProbeLoop([Busy([], every)])
        started = time.monotonic()  # just before the loop's own start
        with loop:
            time.sleep(2.05)
        ats = [r.at for r in loop.results]
        assert len(ats) >= 20
        return [abs(at - (started + k * every)) for k, at in enumerate(ats)]

    # Within a few ms of its slot, start to end (the tail of the sorted list allows one
    # scheduler hiccup, never a drift). Beside the suite's other xdist workers on two
    # cores, a busy spell can delay more wake-ups than that for a second or two, so the
    # loop gets three tries; a drift (5 ms more every round) is in every one of them.
    tries = []
    for _ in range(3):
        late = lateness()
        ordered = sorted(late)
        tries.append((statistics.median(ordered), ordered[int(len(ordered) * 0.9)], statistics.median(late[-5:])))
        median, p90, tail = tries[-1]
        if median < 0.003 and p90 < 0.005 and tail < 0.003:
            return
    pytest.fail(f"late by (median, 90th percentile, median of the last five) in each try: {tries}")


def test_intervals_below_100ms_are_refused():
    with pytest.raises(ProbeError, match="fastest is 100ms"):
        ProbeLoop([_Scripted([], 0.05)])


def test_a_slow_probe_does_not_delay_another():
    class Slow(_Scripted):
        def _run(self):
            time.sleep(0.35)
            return True, ""

    fast = _Scripted([], 0.1)
    fast.name = "fast"
    loop = ProbeLoop([Slow([], 0.1), fast])
    with loop:
        time.sleep(1.05)
    ats = [r.at for r in loop.results if r.probe == "fast"]
    assert len(ats) >= 10
    # Waiting for the slow one would put the fast one 250 ms behind each time.
    assert max(abs(at - (ats[0] + k * 0.1)) for k, at in enumerate(ats)) < 0.05


def test_a_hung_check_does_not_blind_its_own_probe_nor_undo_a_recovery_it_predates():
    # A service coming back: the third check hangs 0.6 s (a connection accepted while
    # it starts) and then fails; the checks sent after it answer at once.
    class Starting(_Scripted):
        def __init__(self):
            super().__init__([], 0.1)
            self.calls = 0
            self.lock = threading.Lock()

        def _run(self):
            with self.lock:
                self.calls += 1
                n = self.calls
            if n <= 2:
                return False, "refused"
            if n == 3:
                time.sleep(0.6)
                return False, "timed out"
            return True, ""

    loop = ProbeLoop([Starting()], healthy_for=0.3)
    with loop:
        time.sleep(1.2)
    by_start = sorted(loop.results, key=lambda r: r.at)
    hung = by_start[2]
    assert hung.detail == "timed out" and hung.latency >= 0.6
    # Checks went out every 100 ms while it hung, the first of them healthy.
    during = [r for r in by_start if hung.at < r.at < hung.at + hung.latency]
    assert len(during) >= 4 and during[0].ok
    # Recovery starts when that first healthy check answered, and the hung check's
    # late failure did not undo it.
    assert loop.recovered_at() == pytest.approx(during[0].at + during[0].latency)
    assert [t.kind for t in loop.transitions] == ["impact_started", "recovered"]


def test_an_unreachable_port_fails_without_raising():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused
        result = TcpProbe("127.0.0.1", port, timeout=0.2).check()
    assert not result.ok and "cannot connect" in result.detail
    assert not HttpProbe(f"http://127.0.0.1:{port}/", timeout=0.2).check().ok
