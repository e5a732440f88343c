"""Benchmark: `drillbit report --format html` on a 10,000-run batch, as a person waits for it.

Simulates the batch once (a built-in data-loss drill against the example team, start
times spread over four weeks, 2 workers) unless given one, then times whole processes
in alternating rounds (the order rotates from round to round, so a machine that gets
busier part-way affects all of them alike; figures are medians):

- `drillbit report TIMELINES --format html --out FILE`, the user's command;
- `drillbit score TIMELINES --json` on the same file, its baseline: reading and
  scoring the runs, which the report does first;
- `python -c pass`, the interpreter's own start.

The report's own part is the first minus the second. Then, in this process, where a
warm render of the HTML goes (the batch scored once beforehand): building the view
(tables, figures), drawing the charts (eight or more distributions and the first
run's timeline) in-process and by the two chart workers the report draws them with
(reports.chart_workers), and filling the HTML template. Prints figures; asserts
nothing.

    python benchmarks/reports.py [--runs 10000] [--repeat 5] [--scenario ID] [--timelines FILE] [--out DIR]

``--timelines`` times an existing timelines file (with its drill.json beside it, as
`drillbit simulate --out` writes them) instead of simulating. Target on this 2-core
machine: the report of 10,000 runs under 1.5 s end to end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = "2026-11-30T00:00:00+00:00"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
TARGET = 1.5  # seconds, `drillbit report --format html` of 10,000 runs


def drillbit() -> list[str]:
    """The installed `drillbit` script of this interpreter's environment, else `python -m drillbit`."""
    beside = Path(sys.executable).with_name("drillbit")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("drillbit")
    return [found] if found else [sys.executable, "-m", "drillbit"]


def simulate(scenario: str, runs: int, out: Path, env: dict[str, str]) -> Path:
    """The batch's timelines (and drill.json) in ``out``, as `drillbit simulate --out` writes them."""
    t0 = time.perf_counter()
    result = subprocess.run([*drillbit(), "simulate", scenario, "--runs", str(runs), "--workers", "2", "--seed", "1",
                             "--start", START, "--window", "4w", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    # exit 1: the drill missed an objective, which this drill does by design
    if result.returncode not in (0, 1):
        raise SystemExit(f"simulate exited {result.returncode}: {result.stderr.decode()[-500:]}")
    print(f"simulate {runs:,} runs (2 workers):     {time.perf_counter() - t0:7.2f} s  (not timed below)")
    return out / "timelines.jsonl.gz"  


def run_once(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from starting the process until it exited. Raises if it failed."""
    t0 = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - t0
    if result.returncode not in (0, 1):  # 1: an objective was missed, a result like any other
        raise SystemExit(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.decode()[-500:]}")
    return elapsed


def end_to_end(path: Path, out: Path, repeat: int, env: dict[str, str]) -> None:
    cli = drillbit()
    todo = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "drillbit score --json": [*cli, "score", str(path), "--json"],
        "drillbit report --format html": [*cli, "report", str(path), "--format", "html", "--out",
                                          str(out / "scorecard.html"), "--now", NOW.isoformat()],
    }
    names = list(todo)
    for argv in todo.values():  # one untimed run each: the rounds then all find a warm file cache
        run_once(argv, env)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeat):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name].append(run_once(todo[name], env))
    med = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"\nwhole processes, median of {repeat} alternating rounds")
    print(f"{'command':<34} {'median':>8} {'min':>8}")
    for name in names:
        print(f"{name:<34} {med[name]:>7.3f}s {min(times[name]):>7.3f}s")
    report, score = med["drillbit report --format html"], med["drillbit score --json"]
    print(f"report beyond scoring (report - score): {report - score:+.3f} s")
    print(f"report --format html: {report:.3f} s  (target < {TARGET} s: {'met' if report < TARGET else 'MISSED'})")


def split(path: Path, scenario: str, repeat: int) -> None:
    """Where a warm HTML render of the scored batch goes, in this process."""
    from drillbit.app import score_timelines
    from drillbit.resolve import resolve
    from reports import chart_workers, charts, view
    from reports.render import _env
    from scenarios.timeline import read_jsonl

    inputs = resolve(scenario)
    drill = score_timelines(read_jsonl(path), inputs, now=NOW)
    inp = view.Inputs(drill.result, inputs.scenario, inputs.team, drill.timeline, drill.series, NOW,
                      drill.result.require_share)
    template = _env("html").get_template("scorecard.html.j2")

    def timed(fn):
        t0 = time.perf_counter()
        value = fn()
        return time.perf_counter() - t0, value

    first, _ = timed(lambda: view.scorecard(inp, charts=True))  # imports matplotlib, fills its caches
    views, charted, htmls = [], [], []
    for _ in range(repeat):
        t_view, _ = timed(lambda: view.scorecard(inp, charts=False))
        t_all, v = timed(lambda: view.scorecard(inp, charts=True))
        t_html, _ = timed(lambda: template.render(v=v))
        views.append(t_view)
        charted.append(t_all - t_view)
        htmls.append(t_html)
    pooled = []
    with chart_workers.drawing_ahead(charts.prepare) as pool:  # the workers `drillbit report` draws with
        if pool is not None:
            for _ in range(repeat):
                t_pooled, v = timed(lambda: view.scorecard(inp, charts=True))
                pooled.append(t_pooled - statistics.median(views))
    n = len(view.distribution_charts(inp)) + (drill.timeline is not None)
    print(f"\nin-process render of the HTML ({drill.result.runs:,} runs scored beforehand), median of {repeat}")
    print(f"view (tables, figures):        {statistics.median(views):7.3f} s")
    print(f"charts ({n} SVG):               {statistics.median(charted):7.3f} s")
    if pooled:
        print(f"charts by the two workers:     {statistics.median(pooled):7.3f} s  (warm, as drillbit report draws them)")
    else:
        print("charts by the two workers:     not here (they need Linux, fork and two CPUs)")
    print(f"HTML template:                 {statistics.median(htmls):7.3f} s")
    print(f"first render, view + charts:   {first:7.3f} s  (imports matplotlib)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5, help="rounds; each round runs every command once")
    ap.add_argument("--scenario", default="db-primary-data-deleted")
    ap.add_argument("--timelines", type=Path, help="time this timelines file (.jsonl or .jsonl.gz) instead of simulating")
    ap.add_argument("--out", type=Path, help="folder to keep the batch and the report in")
    args = ap.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="drillbit-bench-reports-"))
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # As an installed drillbit runs: from its bytecode cache, written by the first run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # A checkout that was not installed still runs `python -m drillbit`.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    # The drill the benchmark simulates goes into an incident log of its own, not the user's.
    env.pop("DRILLBIT_DB", None)
    env["XDG_DATA_HOME"] = str(out / "data")
    path = args.timelines or simulate(args.scenario, args.runs, out, env)
    end_to_end(path, out, args.repeat, env)
    split(path, args.scenario, args.repeat)
    print(f"\nthe batch and the report are in {out}")


if __name__ == "__main__":
    main()
