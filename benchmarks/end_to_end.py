"""Benchmark: what a user waits for, end to end, beside each figure's baseline.

Every figure times the command a user types as a whole process (the installed
`drillbit` entry point of this interpreter's environment): start-up, `simulate` with
1 and 2 workers as the machine is and with every core kept busy by a CPU-burning
process, `score` and `report` on the runs it wrote, the bytes per run of the
timelines, and the peak memory of `simulate` at several sizes. One figure is of the
engine itself, in this process: its CPU time per run, with the recording a batch
makes of each run, against the plain-SimPy model of benchmarks/simulate.py. Commands
alternate within each round (the order rotates from round to round) and the figures
are medians, so a machine that gets busier part-way affects a figure and its
baseline alike. Prints figures and one table (figure | measured | target | baseline
| verdict); asserts nothing.

    python benchmarks/end_to_end.py [--runs 10000] [--repeat 3] [--compare-runs 3000] [--memory-runs 1000,10000]
                                    [--full] [--json]

`--full` adds 100,000 runs to the memory sizes. `--json` prints the figures as one
JSON object on standard output (the text goes to standard error). Targets are those of
a 2-core machine; on a shared machine the absolute times drift with what else runs,
so read each figure beside its baseline from the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import entry_point  # noqa: E402

OUTAGE = "config-push-global-outage"
OUTAGE_START = "2026-11-30T00:00:00+00:00"
OUTAGE_WINDOW = "4w"
BREACH = ROOT / "tests" / "data" / "scenarios" / "breach-100-days.yaml"
BREACH_START = "2026-03-02T09:00:00+00:00"
TEAM_FILE = ROOT / "examples" / "team.yaml"
GZIP_MAGIC = b"\x1f\x8b"
KEPT = ("runs", "text_bytes_per_run", "events_per_run", "status_updates_per_run")  # file figures the JSON keeps

# What reading a timelines file costs with nothing but the standard library: the floor
# under `score` and `report`, which must read the same file.
STDLIB_READ = """
import gzip, json, sys
path = sys.argv[1]
with open(path, 'rb') as f:
    magic = f.read(2)
with (gzip.open if magic == b'\\x1f\\x8b' else open)(path, 'rb') as f:
    for line in f:
        if line.strip():
            json.loads(line)
"""


class Report:
    """Figures as they are measured: text lines now, one table and JSON at the end."""

    def __init__(self, out):
        self.out = out
        self.rows: list[dict] = []
        self.samples: dict[str, list[float]] = {}

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def row(self, figure, measured, shown, target, baseline, met, **extra) -> None:
        """met: True, False, or None for a figure kept without a numeric target."""
        self.rows.append({"figure": figure, "measured": measured, "shown": shown, "target": target,
                          "baseline": baseline, "met": met, **extra})

    def table(self) -> None:
        head = ("figure", "measured", "target", "baseline", "verdict")
        cells = [head] + [(r["figure"], r["shown"], r["target"], r["baseline"],
                           verdict(r["met"]) + (f" ({r['caveat']})" if r.get("caveat") else "")) for r in self.rows]
        widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
        for i, c in enumerate(cells):
            self.say(" | ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())
            if i == 0:
                self.say("-+-".join("-" * w for w in widths))


def verdict(met: bool | None) -> str:
    return "figure kept" if met is None else "met" if met else "not met"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def drillbit() -> list[str]:
    script = entry_point()
    return [script] if script else [sys.executable, "-m", "drillbit"]


class Runner:
    """Runs one command as a process, in a folder of its own (no workspace is found
    there), and returns its wall time and its peak resident memory."""

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.env = dict(os.environ)
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's drillbit starts from its bytecode cache
        # simulate records each drill in the incident log, as a user's does: in a log of
        # the benchmark's own, which goes with its folder.
        self.env.pop("DRILLBIT_DB", None)
        self.env["XDG_DATA_HOME"] = str(cwd / "data")
        # A checkout that was not installed still runs `python -m drillbit`.
        self.env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), self.env.get("PYTHONPATH")) if p)

    def run(self, argv: list[str], ok=(0,)) -> tuple[float, float]:
        """(seconds, peak RSS in MB). The RSS is wait4's: the largest of the process
        and the children it waited for (a worker, when it is the bigger one)."""
        with tempfile.TemporaryFile(dir=self.cwd) as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=self.cwd, env=self.env)
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - t0
            proc.returncode = code = os.waitstatus_to_exitcode(status)
            if code not in ok:
                err.seek(0)
                raise SystemExit(f"{' '.join(argv)} exited {code}: {err.read().decode(errors='replace')[-800:]}")
        return elapsed, usage.ru_maxrss / 1024  # Linux reports kilobytes


def rounds(runner: Runner, todo: dict, repeat: int, report: Report, key: str = "") -> dict[str, list[float]]:
    """Each round runs every entry once, the order rotated; an entry is argv (with the
    exit codes it may end with) or a callable that times itself."""
    names = list(todo)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeat):
        for name in names[r % len(names):] + names[:r % len(names)]:
            job = todo[name]
            times[name].append(job() if callable(job) else runner.run(*job)[0])
    for name, values in times.items():
        report.samples[f"{key}{name}"] = values
    return times


def med(values: list[float]) -> float:
    return statistics.median(values)


def timelines_file(folder: Path) -> Path:
    found = sorted(p for p in folder.glob("timelines.jsonl*") if p.is_file())
    if not found:
        raise SystemExit(f"no timelines.jsonl* in {folder}: {sorted(p.name for p in folder.iterdir())}")
    return found[0]


def read_lines(path: Path):
    with open(path, "rb") as f:
        magic = f.read(2)
    with (gzip.open if magic == GZIP_MAGIC else open)(path, "rb") as f:
        for line in f:
            if line.strip():
                yield line


def file_figures(path: Path) -> dict:
    """Bytes on disk, bytes of JSON text, runs and status updates in a timelines file."""
    runs = updates = text = events = 0
    for line in read_lines(path):
        runs += 1
        text += len(line)
        kinds = [e.get("kind") for e in json.loads(line)["events"]]
        events += len(kinds)
        updates += kinds.count("status_update")
    size = path.stat().st_size
    return {"file": path.name, "bytes": size, "text_bytes": text, "runs": runs, "bytes_per_run": size / runs,
            "text_bytes_per_run": text / runs, "events_per_run": events / runs, "status_updates_per_run": updates / runs}


def simulate_argv(runs: int, workers: int, out: Path) -> list[str]:
    return [*drillbit(), "simulate", OUTAGE, "--runs", str(runs), "--workers", str(workers), "--seed", "1",
            "--start", OUTAGE_START, "--window", OUTAGE_WINDOW, "--out", str(out)]


def outage_plan():
    """The simulator's plan of the built-in outage and the example team, in this process."""
    from scenarios import load_runbook, load_scenario, load_team, yaml_files
    from simulator import Plan

    scenario = load_scenario(ROOT / "scenarios" / "library" / f"{OUTAGE}.yaml")
    runbooks = [load_runbook(p) for p in yaml_files(ROOT / "examples" / "runbooks")]
    return Plan(scenario, load_team(TEAM_FILE), runbooks)


def plain_simpy(runs: int):
    """Two callables timing the plain-SimPy model of benchmarks/simulate.py over `runs`
    runs of the same outage (no output, no process start): in this process, the lower
    bound for the engine's share of `simulate`; and split between two processes forked
    for it (their start included), the lower bound of a 2-worker `simulate`."""
    import numpy as np

    from simulate import PlainModel

    model = PlainModel(outage_plan())
    start = datetime.fromisoformat(OUTAGE_START).astimezone(timezone.utc)
    window = 28 * 86400.0

    def some(first: int, count: int) -> None:
        for i in range(first, first + count):
            rng = np.random.default_rng(np.random.SeedSequence(1, spawn_key=(i,)))
            model.run(rng, start + timedelta(seconds=float(rng.random()) * window))

    def timed() -> float:
        t0 = time.perf_counter()
        some(0, runs)
        return time.perf_counter() - t0

    def two_processes() -> float:
        import multiprocessing

        half = runs // 2
        t0 = time.perf_counter()
        procs = [multiprocessing.get_context("fork").Process(target=some, args=part)
                 for part in ((0, half), (half, runs - half))]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        seconds = time.perf_counter() - t0
        if any(proc.exitcode for proc in procs):
            raise SystemExit("the plain-SimPy model failed in a forked process")
        return seconds

    return timed, two_processes


class Burners:
    """One CPU-burning process per usable core, for as long as the block runs."""

    def __init__(self, count: int):
        self.count = count
        self.procs: list[subprocess.Popen] = []

    def __enter__(self):
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(self.count)]
        return self

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.kill()
        for proc in self.procs:
            proc.wait()


def not_quiet(before: float, after: float, cores: int) -> str:
    """The 1.7x target is for a quiet machine. The scheduler shares the cores per
    process, so among other work two workers get more of the machine than one and the
    ratio says more about the load than about drillbit. Quiet: a 1-minute load average
    under 1 when the rounds start, and afterwards at most what the rounds themselves add
    (about one process on average, two at most)."""
    if before <= 1.0 and after <= cores + 0.5:
        return ""
    return f"load average {before:.1f} before, {after:.1f} after, on {cores} cores: not a quiet machine"


def secs(value: float) -> str:
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1e3:.0f} ms"


def kb(value: float) -> str:
    return f"{value / 1000:.1f} KB"


def measure_startup(runner: Runner, args, report: Report) -> float:
    py = sys.executable
    todo = {"python -c pass": ([py, "-c", "pass"],),
            "drillbit --version": ([*drillbit(), "--version"],),
            f"drillbit validate {TEAM_FILE.name}": ([*drillbit(), "validate", str(TEAM_FILE)],)}
    for argv in todo.values():  # one untimed run each: later rounds then all find a warm file cache
        runner.run(*argv)
    times = rounds(runner, todo, args.startup_repeat, report, "startup: ")
    base = med(times["python -c pass"])
    report.say(f"start-up, median of {args.startup_repeat} alternating rounds:")
    for name, values in times.items():
        report.say(f"  {name:<32} {secs(med(values)):>8} (min {secs(min(values))}), {med(values) / base:.1f}x python -c pass")
    for name, target in (("drillbit --version", 0.15), (f"drillbit validate {TEAM_FILE.name}", 0.4)):
        m = med(times[name])
        report.row(f"start-up: {name}", m, secs(m), f"< {target} s", f"python -c pass {secs(base)}", m < target)
    return base


def measure_engine(args, report: Report) -> None:
    """The engine per run against the plain-SimPy model of benchmarks/simulate.py, in
    this process on the same seeds: alone, and with the recording a batch makes of
    every run (its Timeline and its JSON line)."""
    from simulate import compare

    report.say(f"\nthe engine per run against a plain-SimPy model of {OUTAGE} ({args.compare_runs} runs, CPU time):")
    got = compare(outage_plan(), args.compare_runs, lambda text: report.say("  " + text))
    baseline = f"plain SimPy {got['plain_ms']:.3f} ms/run; engine alone {got['engine']:.2f}x"
    report.row("engine incl. recording / plain SimPy", got["recorded"],
               f"{got['recorded']:.2f}x (JSON line alone {got['line']:.2f}x)", "<= 1.3x", baseline,
               got["recorded"] <= 1.3, engine=got["engine"], line=got["line"])
    report.row("plain model's milestones = engine's", got["same_milestones"],
               f"{got['same_milestones']:.1%} of {got['checked_runs']} runs", "100%", "the same draws",
               got["same_milestones"] == 1.0)


def measure_simulate(runner: Runner, args, report: Report, work: Path, python_start: float) -> Path:
    """Times simulate with 1 and 2 workers, as the machine is and with its cores busy;
    returns the folder of the last 2-worker drill without added load, whose timelines
    score and report then read."""
    n = args.runs
    counter = iter(range(10**9))
    kept: dict[str, Path] = {}

    def sim(workers: int, label: str):
        def timed() -> float:
            out = work / f"{label}-{next(counter)}"
            seconds = runner.run(simulate_argv(n, workers, out), ok=(0, 1))[0]  # 1: an objective was missed
            if label in kept:
                shutil.rmtree(kept[label])
            kept[label] = out
            return seconds
        return timed

    plain, plain_two = plain_simpy(n)
    plain()  # untimed: imports and warms the model
    runner.run(simulate_argv(2, 2, work / "warm-up"), ok=(0, 1))  # untimed: the page cache then holds what simulate loads
    shutil.rmtree(work / "warm-up")
    report.say(f"\nsimulate {OUTAGE} --runs {n}, median of {args.repeat} alternating rounds, "
               f"no added load ({load()}):")
    before = os.getloadavg()[0]
    as_is = rounds(runner, {"1 worker": sim(1, "as-is-1"), "2 workers": sim(2, "as-is-2"),
                            "plain SimPy": plain, "plain SimPy, 2 processes": plain_two},
                   args.repeat, report, "simulate no added load: ")
    q1, q2, p = med(as_is["1 worker"]), med(as_is["2 workers"]), med(as_is["plain SimPy"])
    p2 = med(as_is["plain SimPy, 2 processes"])
    after = os.getloadavg()[0]
    report.say(f"  1 worker   {secs(q1):>8}   2 workers {secs(q2):>8}   1/2 = {q1 / q2:.2f}x")
    report.say(f"  plain-SimPy model of the same {n} runs in one process, no output: {secs(p)}; "
               f"split between 2 forked processes: {secs(p2)}")
    ceiling = None
    if args.ceiling_loop:
        from simulate import hardware_scaling

        ceiling = hardware_scaling(args.ceiling_loop)
        report.say(f"  ceiling now: two processes of a pure-Python loop run {ceiling:.2f}x as fast as one")

    cores = usable_cores()
    with Burners(cores):
        report.say(f"simulate while {cores} CPU-burning processes run (one per core):")
        busy = rounds(runner, {"1 worker": sim(1, "busy-1"), "2 workers": sim(2, "busy-2")},
                      args.repeat, report, "simulate busy: ")
    b1, b2 = med(busy["1 worker"]), med(busy["2 workers"])
    report.say(f"  1 worker   {secs(b1):>8}   2 workers {secs(b2):>8}   1/2 = {b1 / b2:.2f}x")
    shutil.rmtree(kept.pop("busy-1")), shutil.rmtree(kept.pop("busy-2")), shutil.rmtree(kept.pop("as-is-1"))

    report.row(f"simulate {n} runs, 2 workers", q2, secs(q2), "< 3 s",
               f"plain SimPy in 1 process {secs(p)}, in 2 processes {secs(p2)}; python -c pass {secs(python_start)}",
               q2 < 3.0, one_worker=q1, plain_simpy=p, plain_simpy_two_processes=p2)
    ceiling_text = f"; loop ceiling {ceiling:.2f}x" if ceiling else ""
    report.row("simulate 1 worker / 2 workers (no added load)", q1 / q2, f"{q1 / q2:.2f}x ({secs(q1)} / {secs(q2)})",
               ">= 1.7x", f"plain SimPy {secs(p)}{ceiling_text}", q1 / q2 >= 1.7, ceiling=ceiling,
               caveat=not_quiet(before, after, cores))
    report.row(f"simulate 1 worker / 2 workers ({cores} cores busy)", b1 / b2,
               f"{b1 / b2:.2f}x ({secs(b1)} / {secs(b2)})", ">= 1.0x", "1 worker under the same load", b1 / b2 >= 1.0)
    return kept["as-is-2"]


def measure_reading(runner: Runner, args, report: Report, folder: Path) -> dict:
    path = timelines_file(folder)
    html = folder.parent / "report.html"
    todo = {"stdlib read": ([sys.executable, "-c", STDLIB_READ, str(path)],),
            "score": ([*drillbit(), "score", str(path)], (0, 1)),
            "report --format html": ([*drillbit(), "report", str(path), "--format", "html", "--out", str(html)], (0, 1))}
    runner.run(*todo["stdlib read"])  # untimed: the file is then in the page cache for every entry alike
    times = rounds(runner, todo, args.repeat, report, "read: ")
    base = med(times["stdlib read"])
    report.say(f"\nreading {path.name} of {args.runs} runs, median of {args.repeat} alternating rounds ({load()}):")
    for name, values in times.items():
        report.say(f"  {name:<22} {secs(med(values)):>8}, {med(values) / base:.1f}x the standard library's read")
    for name, target in (("score", 1.0), ("report --format html", 1.5)):
        m = med(times[name])
        report.row(f"{name} {args.runs} runs", m, secs(m), f"< {target} s",
                   f"stdlib read {secs(base)}", m < target)
    return file_figures(path)


def contents(figures: dict) -> str:
    """What the bytes hold: the events of a run, and their size as JSON text when the
    file is compressed."""
    text = "" if figures["text_bytes"] == figures["bytes"] else f", {kb(figures['text_bytes_per_run'])} as JSON text"
    return f"{figures['events_per_run']:.0f} events/run{text}, {figures['file']}"


def measure_sizes(runner: Runner, args, report: Report, work: Path, outage: dict) -> None:
    out = work / "breach"
    runner.run([*drillbit(), "simulate", str(BREACH), "--runs", str(args.breach_runs), "--workers", "2",
                "--seed", "1", "--start", BREACH_START, "--out", str(out)], ok=(0, 1))
    breach = file_figures(timelines_file(out))
    shutil.rmtree(out)
    report.say("\nbytes per run of the timelines file:")
    for name, f in ((f"{OUTAGE}, {outage['runs']} runs", outage), (f"{BREACH.stem}, {breach['runs']} runs", breach)):
        report.say(f"  {name}: {kb(f['bytes_per_run'])} on disk per run ({contents(f)}), "
                   f"{f['status_updates_per_run']:.1f} status updates per run")
    report.row(f"bytes per run, {OUTAGE}", outage["bytes_per_run"], kb(outage["bytes_per_run"]), "< 4 KB",
               contents(outage), outage["bytes_per_run"] < 4000, **{k: outage[k] for k in KEPT})
    report.row(f"bytes per run, {BREACH.stem}", breach["bytes_per_run"],
               f"{kb(breach['bytes_per_run'])}, {breach['status_updates_per_run']:.0f} status updates", "bounded",
               contents(breach), None, **{k: breach[k] for k in KEPT})


def measure_memory(runner: Runner, args, report: Report, work: Path, python_rss: float) -> None:
    sizes = sorted(set(args.memory_runs) | ({100_000} if args.full else set()))
    report.say(f"\npeak RSS of `drillbit simulate {OUTAGE} --workers 2` (largest process: the drill or a worker):")
    peaks = {}
    for runs in sizes:
        out = work / f"memory-{runs}"
        seconds, peaks[runs] = runner.run(simulate_argv(runs, 2, out), ok=(0, 1))
        shutil.rmtree(out)
        report.say(f"  {runs:>7} runs: {peaks[runs]:.0f} MB ({secs(seconds)})")
    low, high = peaks[sizes[0]], peaks[sizes[-1]]
    # Flat: the largest size needs at most a quarter more than the smallest.
    report.row("peak RSS of simulate, " + ", ".join(f"{r:,}" for r in sizes) + " runs", high / low,
               ", ".join(f"{peaks[r]:.0f}" for r in sizes) + " MB", f"flat: {sizes[-1]:,} <= 1.25x {sizes[0]:,}",
               f"python -c pass {python_rss:.0f} MB", high <= 1.25 * low if len(sizes) > 1 else None,
               peaks_mb={str(r): v for r, v in peaks.items()})


def sizes_list(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000, help="runs of the timed simulate, score and report")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of simulate, score and report")
    ap.add_argument("--startup-repeat", type=int, default=10, help="rounds of the start-up commands")
    ap.add_argument("--memory-runs", type=sizes_list, default=[1000, 10_000], help="sizes for peak memory, e.g. 1000,10000")
    ap.add_argument("--full", action="store_true", help="add 100,000 runs to the memory sizes")
    ap.add_argument("--compare-runs", type=int, default=3000, help="runs of the engine against the plain-SimPy model")
    ap.add_argument("--breach-runs", type=int, default=100, help="runs of the 100-day breach for its size figure")
    ap.add_argument("--ceiling-loop", type=int, default=30_000_000,
                    help="iterations of the pure-Python loop that shows how far two processes can scale here (0: skip)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (the text goes to standard error)")
    args = ap.parse_args()

    report = Report(sys.stderr if args.json else sys.stdout)
    report.say(f"{usable_cores()} usable cores; python {sys.version.split()[0]}; {' '.join(drillbit())}; {load()} at start")
    with tempfile.TemporaryDirectory(prefix="drillbit-e2e-") as tmp:
        work = Path(tmp)
        runner = Runner(work)
        python_start = measure_startup(runner, args, report)
        python_rss = runner.run([sys.executable, "-c", "pass"])[1]
        measure_engine(args, report)
        folder = measure_simulate(runner, args, report, work, python_start)
        outage = measure_reading(runner, args, report, folder)
        shutil.rmtree(folder)
        measure_sizes(runner, args, report, work, outage)
        measure_memory(runner, args, report, work, python_rss)
    report.say(f"\n{load()} at the end; other processes on this machine count in every figure and its baseline alike")
    report.table()
    if args.json:
        json.dump({"runs": args.runs, "repeat": args.repeat, "cores": usable_cores(), "python": sys.version.split()[0],
                   "figures": report.rows, "samples": report.samples}, sys.stdout, indent=1)
        print()


if __name__ == "__main__":
    main()
