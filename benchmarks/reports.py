"""Benchmark: rendering the reports of a 10,000-run batch.

Simulates the batch (a built-in data-loss drill against the example team, start times
spread over four weeks, 2 workers), scores it while collecting the per-run series the
charts need, then times rendering the HTML scorecard (inline SVG charts: four
distributions and the first run's timeline) and the Markdown scorecard. The first
HTML render includes importing matplotlib; the warm figure is the best of three
later renders. Prints figures; asserts nothing.

    python benchmarks/reports.py [--runs 10000] [--scenario ID] [--timelines FILE] [--out DIR]

``--timelines`` renders an existing timelines.jsonl of the scenario instead of
simulating. Target on this 2-core machine: HTML and Markdown of 10,000 runs in
under 3 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drillbit.app import render, score_timelines  # noqa: E402
from drillbit.resolve import resolve  # noqa: E402
from scenarios.timeline import read_jsonl, write_jsonl  # noqa: E402
from simulator import simulate_many  # noqa: E402

START = datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
WINDOW = 28 * 86400.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--scenario", default="db-primary-data-deleted")
    ap.add_argument("--timelines", type=Path, help="render this timelines.jsonl instead of simulating")
    ap.add_argument("--out", type=Path, help="folder to keep the rendered reports in")
    args = ap.parse_args()

    inputs = resolve(args.scenario)  # the example team and runbooks, as drillbit simulate uses them
    out = args.out or Path(tempfile.mkdtemp(prefix="drillbit-bench-reports-"))
    out.mkdir(parents=True, exist_ok=True)

    path = args.timelines
    if path is None:
        path = out / "timelines.jsonl"
        t0 = time.perf_counter()
        n = write_jsonl(path, simulate_many(inputs.scenario, inputs.team, inputs.runbooks, runs=args.runs, seed=1,
                                            start=START, window=WINDOW, workers=2))
        print(f"simulate {n:,} runs (2 workers):        {time.perf_counter() - t0:7.2f} s")

    t0 = time.perf_counter()
    drill = score_timelines(read_jsonl(path), inputs, now=NOW)
    drill.series  # the charts' per-run values are part of scoring, not of rendering
    print(f"read + score {drill.result.runs:,} runs:              {time.perf_counter() - t0:7.2f} s")

    t0 = time.perf_counter()
    import reports  # noqa: F401  (jinja2; matplotlib is imported on the first chart)

    print(f"import reports:                     {time.perf_counter() - t0:7.3f} s")

    def timed(fmt: str) -> tuple[float, bytes]:
        t = time.perf_counter()
        [(_, data)] = render(drill, (fmt,), now=NOW)
        return time.perf_counter() - t, data

    cold_html, html = timed("html")
    cold_md, md = timed("md")
    warm_html = min(timed("html")[0] for _ in range(3))
    warm_md = min(timed("md")[0] for _ in range(3))
    (out / "scorecard.html").write_bytes(html)
    (out / "scorecard.md").write_bytes(md)
    print(f"render HTML, first (imports matplotlib): {cold_html:7.3f} s   ({len(html) / 1024:,.0f} KiB)")
    print(f"render Markdown, first:             {cold_md:7.3f} s   ({len(md) / 1024:,.0f} KiB)")
    print(f"render HTML, warm (best of 3):      {warm_html:7.3f} s")
    print(f"render Markdown, warm (best of 3):  {warm_md:7.3f} s")
    print(f"HTML + Markdown, first:             {cold_html + cold_md:7.3f} s   (target < 3 s)")
    print(f"reports written to {out}")


if __name__ == "__main__":
    main()
