"""``drillbit compare`` and ``drillbit power``: is a difference real, and how many
runs or incidents would it take to see one."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import click
import numpy as np

from scenarios import DrillbitError, format_duration, parse_duration
from scenarios.timeline import read_jsonl
from scoring import METRICS, analytic_runs_needed, compare as compare_samples, measure, metric_label, runs_needed, simulate_power

from . import output
from .params import SEED, SHARE, TIMELINES

PD_COLUMNS = ("seconds_to_resolve", "ttr", "duration", "duration_seconds")


#: Beyond these a single ``power`` takes minutes and gigabytes (each batch of trials holds trials x 2 x per-group draws).
MAX_PER_GROUP = 20_000
MAX_TRIALS = 100_000


class AlphaParam(click.FloatRange):
    """A significance level: a probability strictly between 0 and 1 (0 never rejects,
    1 always does). NaN compares false with both bounds, so it is refused by name."""

    def convert(self, value, param, ctx):  # noqa: ANN001
        number = super().convert(value, param, ctx) if not _is_nan(value) else math.nan
        if math.isnan(number):
            self.fail(f"expected a number above 0 and below 1, such as 0.05; got {value!r}", param, ctx)
        return number


def _is_nan(value: object) -> bool:
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


ALPHA = AlphaParam(0, 1, min_open=True, max_open=True)


class DurationsError(DrillbitError):
    """A durations file that cannot be read."""


def _below_whole(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # A 100% improvement leaves durations of zero and a 100% power needs infinitely many runs.
    if value is not None and value >= 1:
        raise click.BadParameter(f"expected a share above 0% and below 100%, got {value * 100:g}%", ctx, param)
    return value


def _metric_values(path: Path, metric: str) -> np.ndarray:
    values = []
    for tl in read_jsonl(path):
        v = measure(tl).values.get(metric)
        values.append(math.inf if v is None else v)
    if not values:
        raise DurationsError(f"{path}: no timelines in the file")
    return np.array(values)


def _csv_values(path: Path, column: str | None) -> np.ndarray:
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        name = column or next((c for c in PD_COLUMNS if c in fields), None)
        if name is None or name not in fields:
            raise DurationsError(f"{path}:1: expected a column {column or ' or '.join(PD_COLUMNS)}, found {', '.join(fields) or 'none'}; name it with --column")
        out = []
        for row_number, row in enumerate(reader, 2):
            text = (row.get(name) or "").strip()
            if not text:
                continue
            try:
                out.append(float(text))
            except ValueError:
                try:
                    out.append(parse_duration(text))
                except ValueError as exc:
                    raise DurationsError(f"{path}:{row_number}: column {name}: {exc}") from None
    return np.array(out)


def load_durations(path: Path, metric: str, column: str | None) -> np.ndarray:
    """Durations in seconds from timelines (``.jsonl`` or ``.jsonl.gz``: the metric of
    each run) or a CSV column of seconds or durations (a PagerDuty export's
    seconds_to_resolve by default)."""
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return _metric_values(path, metric)
    return _csv_values(path, column)


@click.command()
@click.argument("before", type=TIMELINES)
@click.argument("after", type=TIMELINES)
@click.option("--alpha", type=ALPHA, default=0.05, show_default=True, help="Significance level of the rank test (0 < alpha < 1).")
@click.option("--json", "as_json", is_flag=True)
def compare(before: Path, after: Path, alpha: float, as_json: bool) -> None:
    """Compare two sets of runs (BEFORE.jsonl, AFTER.jsonl), e.g. before and after a
    rotation change: per metric the difference of medians with a bootstrap interval, a
    Mann-Whitney test, and a verdict — improved, worse, or not distinguishable from noise."""
    rows, doc = [], {"version": 1, "before": str(before), "after": str(after), "metrics": {}}
    a_all = [measure(tl).values for tl in read_jsonl(before)]
    b_all = [measure(tl).values for tl in read_jsonl(after)]
    names = [m for m in [*METRICS, *sorted({k for v in a_all + b_all for k in v if k.startswith("notify_")})]
             if any(m in v for v in a_all) and any(m in v for v in b_all)]
    for name in names:
        a = np.array([math.inf if v.get(name) is None else v[name] for v in a_all if name in v])
        b = np.array([math.inf if v.get(name) is None else v[name] for v in b_all if name in v])
        c = compare_samples(a, b, alpha=alpha)
        d = lambda x: None if x is None or math.isinf(x) or math.isnan(x) else round(x, 3)  # noqa: E731
        doc["metrics"][name] = {
            "label": metric_label(name), "runs_before": c.runs_a, "runs_after": c.runs_b,
            "median_before": d(c.median_a), "median_after": d(c.median_b), "difference": d(c.difference),
            "interval": [d(c.interval.low), d(c.interval.high)] if c.interval else None,
            "p_value": c.p_value, "verdict": c.verdict,
        }
        f = lambda x: "never" if x is None or math.isinf(x) or math.isnan(x) else format_duration(x)  # noqa: E731
        interval = f"[{f(c.interval.low)}, {f(c.interval.high)}]" if c.interval else "—"
        rows.append((metric_label(name), f(c.median_a), f(c.median_b), interval,
                     "—" if c.p_value is None else f"{c.p_value:.3g}", c.verdict))
    if as_json:
        output.emit_json(doc)
        return
    output.table(f"{before} vs {after} (difference of medians, 95% bootstrap interval)",
                 ["metric", "median before", "median after", "difference", "p (Mann-Whitney)", "verdict"], rows)


@click.command()
@click.argument("durations", type=TIMELINES)
@click.option("--improvement", type=SHARE, default="10%", show_default=True, callback=_below_whole,
              help="The improvement to look for, above 0% and below 100%.")
@click.option("--metric", type=click.Choice(sorted(METRICS)), default="ttr", show_default=True,
              help="For timelines: which metric.")
@click.option("--column", help="For CSV: the column of durations (default: seconds_to_resolve, ttr, duration).")
@click.option("--per-group", type=click.IntRange(2, MAX_PER_GROUP),
              help=f"Sample size per group, 2 to {MAX_PER_GROUP:,} (default: half the observations).")
@click.option("--power", "target_power", type=SHARE, default="80%", show_default=True, callback=_below_whole,
              help="The share of trials that must detect the improvement, above 0% and below 100%.")
@click.option("--alpha", type=ALPHA, default=0.05, show_default=True, help="Significance level (0 < alpha < 1).")
@click.option("--trials", type=click.IntRange(100, MAX_TRIALS), default=2000, show_default=True)
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def power(durations: Path, improvement: float, metric: str, column: str | None, per_group: int | None,
          target_power: float, alpha: float, trials: int, seed: int, as_json: bool) -> None:
    """How many drills or incidents are needed to see an improvement? DURATIONS is
    timelines (.jsonl) or a CSV of incidents (a PagerDuty-style export works as is).

    Split the durations in two, shorten one half by the improvement, compare; repeat.
    Reports how often a real improvement still looks worse, how often a rank test
    detects it, and the sample size needed for the wanted power."""
    values = load_durations(durations, metric, column)
    finite = values[np.isfinite(values)]
    if finite.size < 4:
        raise DurationsError(f"{durations}: expected at least 4 durations that ended, found {finite.size}")
    result = simulate_power(finite, improvement, per_group=per_group, trials=trials, alpha=alpha, seed=seed)
    needed = runs_needed(finite, improvement, power=target_power, alpha=alpha, trials=min(trials, 1000), seed=seed)
    analytic = analytic_runs_needed(float(finite.mean()), float(finite.std(ddof=1)), improvement, power=target_power, alpha=alpha)
    doc = {
        "version": 1, "source": str(durations), "observations": int(finite.size),
        "excluded_never": int(values.size - finite.size),
        "median": float(np.median(finite)), "mean": float(finite.mean()), "sd": float(finite.std(ddof=1)),
        "improvement": improvement, "per_group": result.per_group, "trials": trials,
        "looks_worse": result.looks_worse, "looks_worse_analytic": result.looks_worse_analytic, "z": result.z,
        "detected": result.detected, "alpha": alpha, "power": target_power,
        "needed_per_group": needed, "needed_per_group_analytic": analytic,
    }
    if as_json:
        output.emit_json(doc)
        return
    pct = lambda x: f"{x * 100:.0f}%"  # noqa: E731
    say = lambda s: output.out.print(s, markup=False)  # noqa: E731
    say(f"{finite.size} observed durations: median {format_duration(doc['median'])}, mean {format_duration(doc['mean'])}, "
        f"SD {format_duration(doc['sd'])}" + (f" ({doc['excluded_never']} that never ended left out)" if doc["excluded_never"] else ""))
    say(f"with {result.per_group} per group, a real {pct(improvement)} improvement looks WORSE in {pct(result.looks_worse)} "
        f"of {trials} trials (analytic approximation {pct(result.looks_worse_analytic)}, z = {result.z:.2f})")
    say(f"a one-sided rank test at {alpha:g} detects it in {pct(result.detected)} of trials")
    if needed is None:
        say(f"even 1,000,000 per group would not reach {pct(target_power)} power")
    else:
        say(f"to detect it in {pct(target_power)} of trials: about {needed} per group (analytic, comparing means: {analytic})")
