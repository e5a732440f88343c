"""Benchmark: how fast a fault takes effect and goes away, through drillbit and through
the `docker` command line, and how closely the probes time a known outage.

For each fault kind of the catalogue (chaos.faults.FAULTS), on a fresh labelled
container each time, both ways in the same run, alternating which goes first:

- drillbit: what a game day does at the fault's time. Its checks (tools in the image,
  kernel qdiscs, a running container) run at plan time, before the drill starts, and
  are timed on their own (the "check" column). At fire time
  chaos.session.apply_fault(checked=True): prepare (for data faults the snapshot,
  get_archive written and fsync'd with its folder, and its checksums), the fsync'd
  ledger entry, then apply. "in effect" ends when apply has returned and an observer
  outside drillbit sees the effect; verify_applied runs after that, so it is not
  counted. "healthy" runs from restore_fault until the observer sees the fault gone and
  the container answering HTTP (drillbit's verify_restored again runs after).
- docker: what an operator types for the same result, each command a process of the
  `docker` CLI (or `nsenter`) whose start counts: docker kill/stop/pause/restart/update/
  network; `docker exec` (kill-process: one `sh -c 'kill -9 $(pidof sleep)'`; cpu-hog:
  `exec -d` of the loop, one exec to find and kill it; fill-disk: one `sh -c` that reads
  df and runs dd); for namespace rules `docker inspect` for the PID, then one `nsenter
  -t PID -n iptables|tc …` per rule; for data faults the snapshot first, `docker cp`
  out to the host (not fsync'd), then `docker exec rm`/`dd`, and `docker cp` back to
  restore.

The observer (the engine's inspect/top, iptables -S or tc in the container's namespace,
a checksum or df inside) is the same for both; a moment counts from the start of the
first observer check that saw it. Figures are medians over --repeat rounds.

Then the probe timing error: a container is paused for a measured window while a
ProbeLoop checks it over HTTP; its impact_started and recovered are compared with the
window's start and end, each known to lie inside the engine's pause (unpause) call
(target: within one probe interval).

    python benchmarks/chaos.py [--repeat 3] [--kinds pause,packet-loss] [--intervals 0.2,1] [--window 3]

Needs a Docker engine and a static busybox (the image is built FROM scratch, nothing
is pulled). Every container it makes is named b-chaos-PID-… and removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chaos.engine import connect  # noqa: E402
from chaos.faults import FAULTS, FaultError  # noqa: E402
from chaos.ledger import Ledger  # noqa: E402
from chaos.probes import HttpProbe, ProbeLoop  # noqa: E402
from chaos.session import apply_fault, restore_fault  # noqa: E402
from chaos.stack import build_images  # noqa: E402
from scenarios import Stack, loads  # noqa: E402

PREFIX = "b-chaos"
#: This run's names, so two runs at once never touch each other's containers.
RUN = f"{PREFIX}-{os.getpid()}"
NETWORK = f"{RUN}-net"
DATA = "/data/orders.db"
ORDERS = "".join(f"order-{1000 + i},customer-{i},{i * 3.5:.2f},EUR,paid\n" for i in range(200))
LIMIT = 64 * 1024 * 1024
#: Seconds an observer waits for an effect before the row says it never came.
SETTLE = 20.0
#: Parameters each kind gets, the same through drillbit and the CLI.
PARAMS: dict[str, dict[str, object]] = {
    "kill": {"signal": "SIGKILL"}, "stop": {"grace": 1}, "restart": {"grace": 1},
    "kill-process": {"process": "sleep"}, "disconnect": {"network": NETWORK},
    "packet-loss": {"probability": 0.3}, "bandwidth": {"rate": "1mbit"}, "latency": {"delay": "100ms"},
    "cpu-hog": {"workers": 1}, "memory-limit": {"limit": "64m"}, "fill-disk": {"path": "/tmp", "percent": 95},
    "delete-path": {"path": DATA}, "corrupt-file": {"path": DATA},
}
#: Kinds the `docker` command line has no counterpart for, so no row compares them.
NO_CLI = {kind: "not compared: only through drillbit's TCP proxy, which the docker CLI has no counterpart for"
          for kind in ("connection-timeout", "connection-reset")}
#: Kinds whose restore undoes nothing (a killed process, a restart done): "healthy" is
#: only the container running and answering, so no ratio is printed for it.
NOTHING_TO_UNDO = ("restart", "kill-process")
STACK = f"""\
stack: {PREFIX}
services:
  target: {{build: target, command: [sh]}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(*argv: str, check: bool = True) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


class Bench:
    """The engine, the image, the network and every container made, removed at the end."""

    def __init__(self, workdir: Path) -> None:
        self.client = connect()
        self.workdir = workdir
        folder = workdir / "target"
        (folder / "www").mkdir(parents=True)
        (folder / "data").mkdir()
        (folder / "www" / "index.html").write_text("ok\n")
        (folder / "data" / "orders.db").write_text(ORDERS)
        build_images(loads(STACK, Stack), workdir, client=self.client)
        self.image = f"{PREFIX}-target:latest"
        self.network = self.client.networks.create(NETWORK, driver="bridge")
        self.made: list = []
        self.ledger = Ledger(workdir / "ledger.jsonl")

    def container(self, tag: str):
        port = free_port()
        c = self.client.containers.run(
            self.image, ["sh", "-c", "sleep 100000 & exec httpd -f -p 8080 -h /www"], detach=True,
            name=f"{RUN}-{tag}-{len(self.made)}", labels={"drillbit.chaos": "allow", "drillbit.bench": RUN},
            network=NETWORK, ports={"8080/tcp": ("127.0.0.1", port)}, tmpfs={"/tmp": "size=16m"})
        self.made.append(c)
        c.port = port
        wait(lambda: answers(c), "the container to answer")
        c.reload()
        return c

    def close(self) -> None:
        for c in self.made:
            try:
                c.remove(force=True)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.network.remove()


def wait(check: Callable[[], bool], what: str, timeout: float = SETTLE) -> float:
    """Poll ``check`` until true; the perf_counter time the first check that found it
    true began (so the observer's own duration counts for neither side)."""
    deadline = time.perf_counter() + timeout
    while True:
        began = time.perf_counter()
        if check():
            return began
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:g}s")
        time.sleep(0.005)


def answers(c) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{c.port}/index.html", timeout=0.5) as resp:
            return resp.status == 200
    except OSError:
        return False


# --- observers: is the fault in effect? (never drillbit's own verify) ------------------

def state(client, c) -> dict:
    return client.api.inspect_container(c.id)["State"]


def pid(client, c) -> int:
    return int(state(client, c)["Pid"])


def rules(client, c) -> str:
    p = pid(client, c)
    if p <= 0:
        return ""
    return "".join(sh("nsenter", "-t", str(p), "-n", "iptables", "-w", "-t", t, "-S", check=False)
                   for t in ("filter", "mangle"))


def execute(c, script: str) -> tuple[int, str]:
    code, out = c.exec_run(["sh", "-c", script])
    return code, (out or b"").decode(errors="replace")


def observer(kind: str, client, c) -> Callable[[], bool]:
    """A check that is true while fault ``kind`` is in effect on ``c``."""
    if kind in ("kill", "stop"):
        return lambda: not state(client, c)["Running"]
    if kind == "restart":
        before = state(client, c)["StartedAt"]
        return lambda: state(client, c)["StartedAt"] != before
    if kind == "pause":
        return lambda: state(client, c)["Paused"]
    if kind == "kill-process":
        return lambda: not any("sleep" in " ".join(p) for p in client.api.top(c.id)["Processes"])
    if kind == "disconnect":
        return lambda: NETWORK not in (client.api.inspect_container(c.id)["NetworkSettings"]["Networks"] or {})
    if kind in ("partition", "packet-loss", "dns-failure"):
        baseline = rules(client, c)
        return lambda: rules(client, c) != baseline
    if kind in ("bandwidth", "latency"):
        return lambda: " root " in sh("nsenter", "-t", str(pid(client, c)), "-n", "tc", "qdisc", "show", "dev", "eth0") \
            and ("tbf" in sh("nsenter", "-t", str(pid(client, c)), "-n", "tc", "qdisc", "show", "dev", "eth0")
                 or "netem" in sh("nsenter", "-t", str(pid(client, c)), "-n", "tc", "qdisc", "show", "dev", "eth0"))
    if kind == "cpu-hog":
        return lambda: any("while :" in " ".join(p) for p in client.api.top(c.id)["Processes"])
    if kind == "memory-limit":
        return lambda: client.api.inspect_container(c.id)["HostConfig"]["Memory"] == LIMIT
    if kind == "fill-disk":
        def full() -> bool:
            code, out = execute(c, "df -k -P /tmp | tail -1")
            f = out.split()
            return code == 0 and int(f[2]) * 100 >= 94 * (int(f[2]) + int(f[3]))
        return full
    if kind == "delete-path":
        return lambda: execute(c, f"test -e {DATA}")[0] != 0
    if kind == "corrupt-file":
        good = hashlib.sha256(ORDERS.encode()).hexdigest()
        return lambda: execute(c, f"sha256sum {DATA}")[1].split()[:1] != [good]
    raise KeyError(kind)


def healthy(kind: str, client, c, in_effect: Callable[[], bool]) -> Callable[[], bool]:
    def ok() -> bool:
        s = state(client, c)
        return s["Running"] and not s["Paused"] and not in_effect() and answers(c)
    if kind in ("restart", "kill-process"):  # nothing to undo: healthy is running and answering
        return lambda: state(client, c)["Running"] and answers(c)
    return ok


# --- the same faults through the docker command line -----------------------------------

def nsenter(c, *argv: str) -> None:
    p = sh("docker", "inspect", "-f", "{{.State.Pid}}", c.name).strip()
    sh("nsenter", "-t", p, "-n", *argv)


def peer_ip(peer) -> str:
    return sh("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", peer.name).strip()


def cli_steps(kind: str, c, peer, workdir: Path) -> tuple[Callable[[], None], Callable[[], None]]:
    """(apply, restore) as an operator types them."""
    n = c.name
    backup = workdir / f"{n}.orders.db"
    if kind == "kill":
        return lambda: sh("docker", "kill", "--signal", "SIGKILL", n), lambda: sh("docker", "start", n)
    if kind == "stop":
        return lambda: sh("docker", "stop", "-t", "1", n), lambda: sh("docker", "start", n)
    if kind == "restart":
        return lambda: sh("docker", "restart", "-t", "1", n), lambda: None
    if kind == "pause":
        return lambda: sh("docker", "pause", n), lambda: sh("docker", "unpause", n)
    if kind == "kill-process":
        return (lambda: sh("docker", "exec", n, "sh", "-c", "kill -9 $(pidof sleep)"), lambda: None)
    if kind == "disconnect":
        return (lambda: sh("docker", "network", "disconnect", NETWORK, n),
                lambda: sh("docker", "network", "connect", NETWORK, n))
    if kind == "partition":
        def cut(flag: str) -> None:
            ip = peer_ip(peer)
            nsenter(c, "iptables", "-w", flag, "INPUT", *(["1"] if flag == "-I" else []), "-s", ip, "-j", "DROP")
            nsenter(c, "iptables", "-w", flag, "OUTPUT", *(["1"] if flag == "-I" else []), "-d", ip, "-j", "DROP")
        return lambda: cut("-I"), lambda: cut("-D")
    if kind == "packet-loss":
        spec = ["-m", "statistic", "--mode", "random", "--probability", "0.3", "-j", "DROP"]

        def loss(flag: str) -> None:
            for chain in ("INPUT", "OUTPUT"):
                nsenter(c, "iptables", "-w", flag, chain, *spec)
        return lambda: loss("-I"), lambda: loss("-D")
    if kind == "dns-failure":
        def dns(flag: str) -> None:
            for proto in ("udp", "tcp"):
                nsenter(c, "iptables", "-w", "-t", "mangle", flag, "OUTPUT", "-p", proto, "--dport", "53", "-j", "DROP")
        return lambda: dns("-I"), lambda: dns("-D")
    if kind == "bandwidth":
        return (lambda: nsenter(c, "tc", "qdisc", "add", "dev", "eth0", "root", "handle", "db1:", "tbf", "rate", "1mbit",
                                "burst", "32kbit", "latency", "400ms"),
                lambda: nsenter(c, "tc", "qdisc", "del", "dev", "eth0", "root"))
    if kind == "latency":
        return (lambda: nsenter(c, "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "100ms"),
                lambda: nsenter(c, "tc", "qdisc", "del", "dev", "eth0", "root"))
    if kind == "cpu-hog":
        return (lambda: sh("docker", "exec", "-d", n, "sh", "-c", "while :; do :; done"),
                lambda: sh("docker", "exec", n, "sh", "-c",
                           "kill -9 $(ps -o pid,args | grep 'while [:]' | awk '{print $1}')"))
    if kind == "memory-limit":
        return (lambda: sh("docker", "update", "--memory", "64m", "--memory-swap", "64m", n),
                # The engine cannot set "no limit" again; the kernel's own "unlimited" can.
                lambda: sh("docker", "update", "--memory", "9223372036854771712", "--memory-swap",
                           "9223372036854771712", n))
    if kind == "fill-disk":
        # One exec, as drillbit's: read df and write the rest up to 95%.
        script = ("set -- $(df -k -P /tmp | tail -1); "
                  "dd if=/dev/zero of=/tmp/fill bs=1024 count=$(( (95 * ($3 + $4) + 99) / 100 - $3 ))")
        return (lambda: sh("docker", "exec", n, "sh", "-c", script, check=False),
                lambda: sh("docker", "exec", n, "rm", "-f", "/tmp/fill"))
    if kind in ("delete-path", "corrupt-file"):
        def damage() -> None:
            sh("docker", "cp", f"{n}:{DATA}", str(backup))  # the snapshot an operator takes first
            if kind == "delete-path":
                sh("docker", "exec", n, "rm", "-f", DATA)
            else:
                sh("docker", "exec", n, "dd", "if=/dev/urandom", f"of={DATA}", "bs=1", "count=64", "conv=notrunc")
        return damage, lambda: sh("docker", "cp", str(backup), f"{n}:{DATA}")
    raise KeyError(kind)


# --- one round of one kind -------------------------------------------------------------

def observed(kind: str, in_effect: Callable[[], bool], well: Callable[[], bool], times: dict[str, float]) -> type:
    """Fault ``kind`` with the observer run as soon as its apply (restore) returns, so
    "in effect" ("healthy") is not delayed by drillbit's verify that follows."""
    base = FAULTS[kind]

    class Observed(base):  # type: ignore[misc, valid-type]
        def apply(self, client, container, restore) -> None:
            super().apply(client, container, restore)
            times["in_effect"] = wait(in_effect, f"{kind} in effect")

        @classmethod
        def restore(cls, client, restore) -> None:
            super().restore(client, restore)
            times["healthy"] = wait(well, f"{kind} restored")

    Observed.kind = kind
    return Observed


def one(bench: Bench, kind: str, how: str) -> tuple[float, float, float | None]:
    """(seconds until in effect, seconds from restore until healthy, seconds drillbit's
    plan-time check took, None for the CLI) through ``how``."""
    client = bench.client
    c = bench.container(kind)
    peer = bench.container(f"{kind}-peer") if kind == "partition" else None
    in_effect = observer(kind, client, c)
    well = healthy(kind, client, c, in_effect)
    params = dict(PARAMS.get(kind, {}))
    if kind == "partition":
        params["peers"] = [peer.name]
    checked = None
    if how == "drillbit":
        times: dict[str, float] = {}
        kind_class = observed(kind, in_effect, well, times)
        fault = kind_class(**params)
        t = time.perf_counter()
        fault.check(client, c)  # plan time: before the drill starts
        checked = time.perf_counter() - t
        FAULTS[kind] = kind_class  # restore_fault finds the kind by name in the catalogue
        try:
            t0 = time.perf_counter()
            entry = apply_fault(client, fault, c, bench.ledger, checked=True)
            applied = times["in_effect"] - t0
            t1 = time.perf_counter()
            restore_fault(bench.ledger, entry)
            back = times["healthy"] - t1
        finally:
            FAULTS[kind] = kind_class.__mro__[1]
    else:
        apply, restore = cli_steps(kind, c, peer, bench.workdir)
        t0 = time.perf_counter()
        apply()
        applied = wait(in_effect, f"{kind} in effect") - t0
        t1 = time.perf_counter()
        restore()
        back = wait(well, f"{kind} restored") - t1
    for made in (c, peer):
        if made is not None:
            made.remove(force=True)
    return applied, back, checked


def refused(bench: Bench, kind: str) -> str | None:
    """Why ``kind`` cannot run here (drillbit's own check), or None."""
    if kind in NO_CLI:
        return NO_CLI[kind]
    c = bench.container(f"{kind}-check")
    peer = bench.container(f"{kind}-check-peer") if kind == "partition" else None
    params = dict(PARAMS.get(kind, {}))
    if peer is not None:
        params["peers"] = [peer.name]
    try:
        FAULTS[kind](**params).check(bench.client, c)
    except FaultError as exc:
        text = f"refused here: {exc}"
        return text if len(text) <= 104 else text[:101] + "..."
    finally:
        for made in (c, peer):
            if made is not None:
                made.remove(force=True)
    return None


def median(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1000:.0f}" if xs else "-"


def rounds(bench: Bench, kind: str, repeat: int) -> dict[str, list[tuple[float, float, float | None]]]:
    """Every round of ``kind`` both ways, alternating which goes first."""
    got: dict[str, list[tuple[float, float, float | None]]] = {"drillbit": [], "docker": []}
    for r in range(repeat):
        for how in ("drillbit", "docker") if r % 2 == 0 else ("docker", "drillbit"):
            got[how].append(one(bench, kind, how))
    return got


def faults_table(bench: Bench, kinds: list[str], repeat: int) -> list[dict]:
    rows = []
    for kind in kinds:
        row: dict = {"kind": kind, "family": FAULTS[kind].family}
        why = refused(bench, kind)
        if why:
            rows.append({**row, "note": why})
            continue
        try:
            got = rounds(bench, kind, repeat)
        except (TimeoutError, RuntimeError, FaultError) as exc:
            rows.append({**row, "note": f"failed: {exc}"[:100]})
            continue
        rows.append({**row, "drillbit_check": [x[2] for x in got["drillbit"]],
                     **{f"{how}_{what}": [x[i] for x in got[how]] for how in got
                        for i, what in enumerate(("in_effect", "healthy"))}})
    return rows


def print_faults(rows: list[dict], repeat: int) -> None:
    print(f"fault in effect after apply / healthy after restore, ms (median of {repeat}; an observer outside "
          "drillbit decides both; drillbit's check runs at plan time, before the drill; the CLI checks nothing)")
    print(f"{'':<25} {'--- in effect ---':^27}   {'--- healthy ---':^26}   {'plan time':>9}")
    print(f"{'kind':<14} {'family':<10} {'drillbit':>9} {'docker':>9} {'ratio':>6}   {'drillbit':>9} {'docker':>9} "
          f"{'ratio':>6}   {'check':>9}")
    for row in rows:
        if "note" in row:
            print(f"{row['kind']:<14} {row['family']:<10} {row['note']}")
            continue
        ratio = {}
        for what in ("in_effect", "healthy"):
            d, k = statistics.median(row[f"drillbit_{what}"]), statistics.median(row[f"docker_{what}"])
            # Nothing to undo (the CLI types nothing): both are the observer's first look, no ratio.
            ratio[what] = "n/a" if what == "healthy" and row["kind"] in NOTHING_TO_UNDO else f"{d / k:.2f}x"
        print(f"{row['kind']:<14} {row['family']:<10} {median(row['drillbit_in_effect']):>9} "
              f"{median(row['docker_in_effect']):>9} {ratio['in_effect']:>6}   {median(row['drillbit_healthy']):>9} "
              f"{median(row['docker_healthy']):>9} {ratio['healthy']:>6}   {median(row['drillbit_check']):>9}")


# --- the probe timing error ------------------------------------------------------------

def outside(t: float, low: float, high: float) -> float:
    """How far ``t`` lies outside [low, high] (negative before, 0 inside)."""
    return t - low if t < low else t - high if t > high else 0.0


def probe_error(bench: Bench, interval: float, window: float) -> tuple[float, float, float, float]:
    """(impact error, recovery error, pause call, unpause call) in seconds. The freeze
    takes effect somewhere inside the engine's pause call and ends inside its unpause
    call, so the errors are how far the ProbeLoop's impact_started and recovered lie
    outside those calls (0 inside); the calls' durations are the window's own
    uncertainty."""
    client = bench.client
    c = bench.container("probe")
    probe = HttpProbe(f"http://127.0.0.1:{c.port}/index.html", timeout=min(0.5, interval), name="http", every=interval)
    loop = ProbeLoop([probe], every=interval, healthy_for=max(2 * interval, 0.5))
    with loop:
        time.sleep(max(1.0, 2 * interval))
        called = time.monotonic()
        client.api.pause(c.id)
        paused = time.monotonic()
        time.sleep(window)
        thaw = time.monotonic()
        client.api.unpause(c.id)
        thawed = time.monotonic()
        wait(lambda: loop.recovered_at() is not None, "the probes' recovery", timeout=window + 10 * interval + 5)
    impact = next(t for t in loop.transitions if t.kind == "impact_started")
    c.remove(force=True)
    return (outside(impact.at, called, paused), outside(loop.recovered_at(), thaw, thawed),
            paused - called, thawed - thaw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="rounds per kind and way (each on fresh containers)")
    ap.add_argument("--kinds", default=",".join(FAULTS), help="comma-separated fault kinds (default: all)")
    ap.add_argument("--intervals", default="0.2,1", help="probe intervals (seconds) for the timing error")
    ap.add_argument("--window", type=float, default=3.0, help="seconds the container is paused for the timing error")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of tables")
    args = ap.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = [k for k in kinds if k not in FAULTS]
    if unknown:
        raise SystemExit(f"unknown fault kind {unknown[0]!r}; expected some of {', '.join(FAULTS)}")
    with tempfile.TemporaryDirectory(prefix="b-chaos-") as tmp:
        os.environ["XDG_STATE_HOME"] = tmp  # the data faults' snapshots go here, not into the user's state
        bench = Bench(Path(tmp))
        try:
            rows = faults_table(bench, kinds, args.repeat)
            errors = {}
            for interval in (float(x) for x in args.intervals.split(",") if x):
                errors[interval] = [probe_error(bench, interval, args.window) for _ in range(args.repeat)]
        finally:
            bench.close()
    if args.json:
        print(json.dumps({"faults": rows, "probe_error": {str(k): v for k, v in errors.items()}}, indent=2))
        return
    print(f"docker {bench.client.version()['Version']}, {os.cpu_count()} cores; python {sys.version.split()[0]}")
    print_faults(rows, args.repeat)
    print()
    print(f"probe timing error against a {args.window:g}s pause (target: within one interval): ms outside the "
          f"engine's pause and unpause calls, worst of {args.repeat}")
    print(f"{'interval':>9} {'impact':>8} {'recovered':>10} {'pause call':>11} {'unpause call':>13}  within")
    for interval, runs in errors.items():
        worst_i = max((r[0] for r in runs), key=abs)
        worst_r = max((r[1] for r in runs), key=abs)
        ok = abs(worst_i) <= interval and abs(worst_r) <= interval
        print(f"{interval * 1000:>8.0f}ms {worst_i * 1000:>+8.0f} {worst_r * 1000:>+10.0f} "
              f"{max(r[2] for r in runs) * 1000:>9.0f}ms {max(r[3] for r in runs) * 1000:>11.0f}ms  "
              f"{'yes' if ok else 'NO'}")

if __name__ == "__main__":
    main()
