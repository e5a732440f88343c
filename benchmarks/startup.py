"""Benchmark: how long a drillbit command takes to start, as a person feels it.

Times whole processes — `drillbit --version` and `drillbit validate FILE`, through the
installed entry point and through `python -m drillbit` — against `python -c pass` in
the same run. The commands alternate within each round (the order rotates from round
to round), so a machine that gets busier or quieter part-way affects all of them
alike; the figures are medians over the rounds. Prints figures; asserts nothing.

    python benchmarks/startup.py [--repeat 15] [--file examples/team.yaml]

The commands run from their bytecode cache, as an installed drillbit does (the
untimed first run of each writes it, whatever PYTHONDONTWRITEBYTECODE says).

Targets on this 2-core machine: `drillbit --version` under 0.15 s and
`drillbit validate FILE` under 0.4 s (commands are imported when run, heavy libraries
where used, and a model builds its validator when first used).
`python -X importtime -m drillbit validate FILE` shows what a slow start spends its
time importing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"--version": 0.15, "validate": 0.4}


def entry_point() -> str | None:
    """The installed `drillbit` script of this interpreter's environment, if any."""
    beside = Path(sys.executable).with_name("drillbit")
    if beside.exists():
        return str(beside)
    return shutil.which("drillbit")


def commands(file: Path) -> dict[str, list[str]]:
    py = sys.executable
    found: dict[str, list[str]] = {"python -c pass": [py, "-c", "pass"]}
    script = entry_point()
    if script:
        found["drillbit --version"] = [script, "--version"]
    found["python -m drillbit --version"] = [py, "-m", "drillbit", "--version"]
    if script:
        found[f"drillbit validate {file.name}"] = [script, "validate", str(file)]
    found[f"python -m drillbit validate {file.name}"] = [py, "-m", "drillbit", "validate", str(file)]
    return found


def run_once(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from starting the process until it exited. Raises if it failed."""
    t0 = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15, help="rounds; each round runs every command once")
    ap.add_argument("--file", type=Path, default=ROOT / "examples" / "team.yaml", help="the file to validate")
    args = ap.parse_args()

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's drillbit starts from its bytecode cache
    # A checkout that was not installed still runs `python -m drillbit`.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    todo = commands(args.file.resolve())
    names = list(todo)
    for argv in todo.values():  # one untimed run each: later rounds then all find a warm file cache
        run_once(argv, env)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.repeat):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name].append(run_once(todo[name], env))

    baseline = statistics.median(times["python -c pass"])
    print(f"process start-up, median of {args.repeat} alternating rounds ({sys.executable})")
    print(f"{'command':<40} {'median':>8} {'min':>8} {'over python':>12}  target")
    for name in names:
        median = statistics.median(times[name])
        target = next((t for key, t in TARGETS.items() if key in name), None)
        verdict = "" if target is None else f"< {target:g} s: {'met' if median < target else 'MISSED'}"
        print(f"{name:<40} {median:>7.3f}s {min(times[name]):>7.3f}s {median - baseline:>+11.3f}s  {verdict}")
    if not entry_point():
        print("(no installed `drillbit` script found: only `python -m drillbit` was timed)")


if __name__ == "__main__":
    main()
