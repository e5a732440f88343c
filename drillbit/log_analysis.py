"""``drillbit log stats``, ``patterns`` and ``calibrate``: what the incident log says
about response times, their trends, recurring patterns and how drills compare."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

import incidents

from . import output
from .log_commands import LogContext, filter_options, json_option, log, make_filter, pass_log, say, show_duration
from .params import DURATION, SHARE, TIMELINES

SHADES = " \u2591\u2592\u2593\u2588"


def _ci(ci: tuple[float, float] | None) -> str:
    return "—" if ci is None else f"{show_duration(ci[0])}–{show_duration(ci[1])}"


@log.command()
@click.option("--by", type=click.Choice(incidents.trends.PERIODS), default="month", show_default=True)
@click.option("--group", "groups", multiple=True, type=click.Choice(incidents.trends.GROUPS),
              help="Also split by severity and/or service (repeatable).")
@click.option("--metric", "metrics", multiple=True, type=click.Choice(tuple(incidents.METRICS)),
              help="Metrics to show (default: ttd, tta, ttm, ttr).")
@click.option("--include-drills", is_flag=True, help="Count drills with real incidents (left out by default).")
@filter_options
@click.option("--improvement", type=SHARE, default="10%", show_default=True,
              help="The improvement the trend's power analysis looks for.")
@click.option("--tz", help="IANA zone for month boundaries (default: each incident's own UTC offset).")
@json_option
@pass_log
def stats(lc: LogContext, by: str, groups: tuple[str, ...], metrics: tuple[str, ...], include_drills: bool,
          improvement: float, tz: str | None, as_json: bool, **flt: Any) -> None:
    """Time to detect, acknowledge, mitigate and recover per month or quarter: median
    and p90 with 95% intervals, counts, the mean beside them, and whether the latest
    change is real or noise."""
    report = incidents.incident_stats(lc.store(), make_filter(None if include_drills else "real", **flt), by=by,
                                      groups=groups, metrics=metrics or tuple(incidents.METRICS),
                                      improvement=improvement, tz=tz)
    if as_json:
        output.emit_json(report.to_json())
        return
    if not report.incidents:
        say("no incidents match" + ("" if include_drills else " (drills are left out; --include-drills counts them)"))
        return
    for m in report.metrics:
        label = incidents.METRICS[m][0]
        rows = []
        for r in report.rows:
            st = r.metrics[m]
            rows.append((r.period, *(r.group[g] or "—" for g in report.groups), st.count if st else 0,
                         show_duration(st.median) if st else "—", _ci(st.median_ci) if st else "—", show_duration(st.p90) if st else "—",
                         _ci(st.p90_ci) if st else "—", show_duration(st.mean) if st else "—"))
        output.table(f"{label} ({m.upper()}) by {by}", ["period", *report.groups, "n", "median", "95% CI", "p90",
                                                         "95% CI", "mean"], rows)
    if report.lacking:
        say("not in this data: " + ", ".join(f"{m.upper()} (no incident records when it was {field})"
                                             for m, field in report.lacking.items()))
    drills = "drills included" if include_drills else "drills left out"
    say(f"{report.incidents:,} incidents ({drills}); means are shown only beside medians: durations are heavy-tailed")
    periods = sorted({r.period for r in report.rows if r.period != "all"})
    if report.trends and periods and periods[-1] != report.trends[0].latest:
        say(f"{periods[-1]} is still under way, so the trends compare the last finished {by}s")
    for t in report.trends:
        say(t.sentence)


# -- patterns -------------------------------------------------------------------------

@log.command()
@click.option("--window", type=DURATION, default="2h", show_default=True,
              help="An incident within this long after a deploy counts as following it.")
@click.option("--any-service", is_flag=True, help="Count deploys of any service, not only the incident's own.")
@click.option("--include-drills", is_flag=True)
@filter_options
@click.option("--tz", help="IANA zone for weekdays and hours (default: each incident's own UTC offset).")
@click.option("--top", type=click.IntRange(1), default=3, show_default=True, help="Recurring causes and services shown.")
@json_option
@pass_log
def patterns(lc: LogContext, window: float, any_service: bool, include_drills: bool, tz: str | None, top: int,
             as_json: bool, **flt: Any) -> None:
    """What incidents have in common: deploys, weekdays, hours, recurring causes and
    services — each as a finding in plain words with its significance."""
    report = incidents.find_patterns(lc.store(), make_filter(None if include_drills else "real", **flt),
                                     window_hours=window / 3600.0, tz=tz, any_service=any_service, top=top)
    if as_json:
        output.emit_json(report.to_json())
        return
    if not report.incidents:
        say("no incidents match")
        return
    say(f"{report.incidents:,} incidents:")
    for f in report.findings:
        say(("• " if f.significant else "  ") + f.sentence)
    say("")
    say("incident starts by weekday and hour (" + (tz or "each incident's own UTC offset") + "):")
    top_count = max(max(r) for r in report.heatmap) or 1
    say("     " + "".join(f"{h:<3d}" for h in range(0, 24)))
    for day, counts in zip(incidents.patterns.WEEKDAYS, report.heatmap):
        cells = "".join(SHADES[min(len(SHADES) - 1, math.ceil(c / top_count * (len(SHADES) - 1)))] * 2 + " " for c in counts)
        say(f"{day}  {cells} {sum(counts):,}")


# -- actions --------------------------------------------------------------------------

@log.command()
@click.option("--metric", type=click.Choice(tuple(incidents.METRICS)), default="ttr", show_default=True)
@click.option("--service", help="Real incidents (and drills) of this service.")
@click.option("--severity", help="Real incidents (and drills) of this severity.")
@click.option("--scenario", help="Drill side: the recorded runs of this scenario.")
@click.option("--timelines", type=TIMELINES,
              help="Drill side: simulated timelines (.jsonl, or a drill's folder) instead of recorded runs.")
@json_option
@pass_log
def calibrate(lc: LogContext, metric: str, service: str | None, severity: str | None, scenario: str | None,
              timelines: Path | None, as_json: bool) -> None:
    """Is the drill model optimistic? Simulated drill metrics against real incidents of
    a service and severity: quantiles side by side and a two-sample test."""
    values = None
    if timelines is not None:
        from scenarios.timeline import read_jsonl
        from scoring import measure

        values = []
        for tl in read_jsonl(timelines):
            v = measure(tl).values.get(metric)
            values.append(math.inf if v is None else v)
    result = incidents.calibrate(lc.store(), metric=metric, service=service, severity=severity, scenario=scenario,
                                 drill_values=values)
    if as_json:
        output.emit_json(result.to_json())
        return
    output.table(f"{incidents.METRICS[metric][0]}: drills ({result.drill_count}, {result.drill_source}) vs real "
                 f"incidents ({result.real_count})", ["quantile", "drills", "real incidents"],
                 [(f"p{q['q'] * 100:g}", show_duration(q["drill"]), show_duration(q["real"])) for q in result.quantiles])
    if result.drill_missed:
        say(f"{result.drill_missed} drill runs never reached it (counted as slower than every real incident)")
    say(result.sentence)


# -- migrate --------------------------------------------------------------------------
