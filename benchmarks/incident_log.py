"""Benchmark: the incident log at a million incidents, on SQLite.

Generates 1,000,000 synthetic incidents (lognormal durations, deploy-correlated
bursts, weekly seasonality, an afternoon peak; ``incidents.synthetic``) and their
deploys as CSV files, imports them with the same code path as ``drillbit log import``
(one transaction, all or nothing, upserts keyed by source + external id), then runs
``stats`` (by month and severity) and ``patterns``. Prints the import, stats and
patterns times, peak memory (``resource.getrusage``) and whether the planted patterns
were found.

    python benchmarks/incident_log.py [--incidents 1000000] [--db FILE] [--keep]

Targets on this machine: import under 60 s, stats and patterns under 5 s each, peak
memory under 1 GiB. File generation is not timed.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from incidents import Filter, find_patterns, import_file, incident_stats, open_store  # noqa: E402
from incidents.synthetic import generate  # noqa: E402
import scipy.stats  # noqa: E402,F401  (incidents loads it at first use; the phases time the work, not the import)

TARGETS = {"import": 60.0, "stats": 5.0, "patterns": 5.0}
DATA_END = datetime(2027, 1, 1, tzinfo=timezone.utc)
MEMORY_TARGET_MB = 1024.0


def write_files(work: Path, n: int, seed: int) -> tuple[dict, int]:
    # Two years ending on 2027-01-01, so the last month (with recovery 30% faster) is whole.
    syn = generate(n, seed=seed, days=725, services=40, deploys_per_day=1.0, last_month_ttr_factor=0.7)
    syn.write_incidents(work / "incidents.csv")
    syn.write_deploys(work / "deploys.csv")
    return syn.planted, int(syn.deploy_at.size)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, help="SQLite file (default: a fresh temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="drillbit-bench-"))
    db = args.db or work / "incidents.db"
    t = time.perf_counter()
    # Generated in a forked child so the peak memory below is the log's alone.
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        planted, n_deploys = pool.apply(write_files, (work, args.incidents, args.seed))
    gen = time.perf_counter() - t
    size = (work / "incidents.csv").stat().st_size / 1e6
    print(f"generated {args.incidents:,} incidents and {n_deploys:,} deploys ({size:.0f} MB CSV) in {gen:.1f} s "
          f"(not timed)")

    store, message = open_store(str(db))
    print(message)
    t = time.perf_counter()
    result = import_file(store, work / "incidents.csv")
    deploys = import_file(store, work / "deploys.csv", what="deploys")
    t_import = time.perf_counter() - t
    print(f"import: {t_import:.1f} s — {result.message}; {deploys.inserted:,} deploys")

    t = time.perf_counter()
    # The synthetic history ends on 2027-01-01: that is "now" for it, so December is finished.
    stats = incident_stats(store, Filter(), by="month", groups=("severity",), now=DATA_END)
    t_stats = time.perf_counter() - t
    print(f"stats: {t_stats:.2f} s — {len(stats.rows)} rows (month x severity), {len(stats.trends)} trend verdicts")
    for tr in stats.trends:
        print(f"  {tr.sentence}")

    t = time.perf_counter()
    pats = find_patterns(store, Filter(), window_hours=2.0)
    t_patterns = time.perf_counter() - t
    print(f"patterns: {t_patterns:.2f} s")
    for f in pats.findings:
        print(f"  {'*' if f.significant else ' '} {f.sentence}")

    found = check_planted(stats, pats, planted)
    mem = peak_mb()
    print()
    print(f"{'import':<10} {t_import:8.1f} s   target < {TARGETS['import']:.0f} s   {'ok' if t_import < TARGETS['import'] else 'MISSED'}")
    print(f"{'stats':<10} {t_stats:8.2f} s   target < {TARGETS['stats']:.0f} s    {'ok' if t_stats < TARGETS['stats'] else 'MISSED'}")
    print(f"{'patterns':<10} {t_patterns:8.2f} s   target < {TARGETS['patterns']:.0f} s    {'ok' if t_patterns < TARGETS['patterns'] else 'MISSED'}")
    print(f"{'memory':<10} {mem:8.0f} MB  target < {MEMORY_TARGET_MB:.0f} MB {'ok' if mem < MEMORY_TARGET_MB else 'MISSED'}")
    for name, ok in found.items():
        print(f"planted {name:<28} {'found' if ok else 'NOT FOUND'}")
    store.close()
    if not args.keep and args.db is None:
        for p in sorted(work.iterdir()):
            p.unlink()
        work.rmdir()
    else:
        print(f"files kept in {work}")
    ok = (t_import < TARGETS["import"] and t_stats < TARGETS["stats"] and t_patterns < TARGETS["patterns"]
          and mem < MEMORY_TARGET_MB and all(found.values()))
    return 0 if ok else 1


def check_planted(stats, pats, planted) -> dict[str, bool]:  # noqa: ANN001
    deploy = {g["severity"]: g for g in pats.deploy_groups}
    weekday = next(f for f in pats.findings if f.kind == "weekday")
    hour = next(f for f in pats.findings if f.kind == "hour")
    medians = {r.group["severity"]: r.metrics["ttr"] for r in stats.rows if r.period == "all"}
    ttr_ok = all(m is not None and m.median_ci[0] <= planted["ttr_median"][sev] * 1.02 and
                 m.median_ci[1] >= planted["ttr_median"][sev] * 0.98 for sev, m in medians.items())
    trend = next(t for t in stats.trends if t.metric == "ttr")
    return {
        "deploy link (all)": deploy[None]["significant"] and deploy[None]["lift"] > 2,
        "deploy link strongest for P1": max((g for g in pats.deploy_groups if g["severity"]), key=lambda g: g["lift"])["severity"] == planted["deploy_severity"],
        "weekends quieter": weekday.significant and weekday.numbers["per_weekend_day"] < weekday.numbers["per_weekday"],
        "afternoon peak": hour.significant and hour.numbers["busiest_hour"] in planted["peak_hours"],
        "top root cause": pats.root_causes[0]["name"] == planted["top_cause"],
        "most incidents: service": pats.services[0]["name"] == planted["hot_service"],
        "TTR medians per severity": ttr_ok,
        "TTR improved last month": trend.verdict == "improved",
    }


if __name__ == "__main__":
    sys.exit(main())
