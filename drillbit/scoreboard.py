"""Print a drill result (:class:`scoring.result.DrillResult`) for people."""

from __future__ import annotations

from typing import Sequence

from scenarios import format_duration, format_share
from scoring.gaps import Finding
from scoring.prediction import in_words
from scoring.public_report import ratio_text
from scoring.result import DrillResult, MeasuredIn, WorstRun

from . import output


def _d(seconds: float | None) -> str:
    return "never" if seconds is None else format_duration(seconds)


def _worst(tail: WorstRun) -> str:
    """A worst-run column: ``U, 1 of 1,000 runs never recovered``; empty when even it was P."""
    return "" if tail.rating == "P" else f"{tail.rating}, {tail.text}"


def print_summary(result: DrillResult) -> None:
    """Metrics and objectives (a scorecard for one run, distributions for many),
    capability ratings, then the gap report."""
    sc = result.scenario
    runs = result.runs
    output.out.print(f"{sc.id} — {sc.title} ({sc.kind}, {sc.severity_label}), team {result.team}, "
                     f"{runs} run{'s' if runs != 1 else ''}", markup=False)
    judged = {o.metric for o in result.objectives}
    if runs == 1:
        rows = []
        for o in result.objectives:
            rows.append((o.label, o.source, _d(o.value) if o.status != "not reached" else "—", o.status))
        output.table("objectives", ["objective", "from", "achieved", "result"], rows)
        metric_rows = [(m.label, _d(m.median)) for name, m in result.metrics.items() if name not in judged]
        if metric_rows:
            output.table("other metrics", ["metric", "value"], metric_rows)
    else:
        rows = []
        for name, m in result.metrics.items():
            ci = m.median_ci
            ci_text = f" [{_d(ci[0])}, {_d(ci[1])}]" if ci else ""
            objectives = [o for o in result.objectives if o.metric == name]
            met = "; ".join(f"{_d(o.target)}: {format_share(o.share)} [{format_share(o.share_ci[0])}, {format_share(o.share_ci[1])}]"
                            for o in objectives) or "—"
            rows.append((m.label, _d(m.median) + ci_text, _d(m.p90), _d(m.p99), f"{m.reached}/{runs}", met))
        output.table("distributions (median with 95% interval; share of runs meeting each target)",
                     ["metric", "median", "p90", "p99", "reached", "met target"], rows)
        share = format_share(result.require_share)
        rows = [(o.label, o.source, f"{format_share(o.share)} [{format_share(o.share_ci[0])}, {format_share(o.share_ci[1])}]",
                 o.rating, _worst(o.worst_run) or "—") for o in result.objectives]
        output.table(f"objectives (rating: what at least {share} of runs achieved)",
                     ["objective", "from", "runs met", "rating", "worst run"], rows)
    output.out.print("counts per run (median / p90): " + ", ".join(
        f"{k.replace('_', ' ')} {c.median:g}/{c.p90:g}" for k, c in result.counts.items()), markup=False)
    if result.capabilities:
        if runs == 1:
            rows = [(cap, c.rating) for cap, c in result.capabilities.items()]
            output.table(f"capability ratings (HSEEP), overall {result.verdict}", ["capability", "rating"], rows)
        else:
            rows = [(cap, c.rating, _worst(c.worst_run) or c.worst_run.text,
                     " ".join(f"{r}:{n}" for r, n in result.ratings.get(cap, {}).items() if n))
                    for cap, c in result.capabilities.items()]
            output.table(f"capability ratings (HSEEP; each objective rated by what at least {format_share(result.require_share)} "
                         f"of runs achieved), overall {result.verdict}",
                         ["capability", "rating", "worst run", "runs by rating"], rows)
            tail = result.worst_run
            assert tail is not None  # a rated batch has a worst run
            output.out.print(f"overall {result.verdict}; "
                             + (f"worst run: {tail.rating}, {tail.text}" if tail.rating != "P" else tail.text),
                             markup=False)
    print_public_report(result)
    print_findings(result.findings)


def print_public_report(result: DrillResult) -> None:
    """"Beside the public report": each figure the real incident's report gives, beside
    the runs' median and p10–p90 (one run: its value), the ratio and the verdict;
    nothing for a scenario without ``reported`` figures."""
    rep = result.reported
    if rep is None:
        return
    single = rep.runs == 1
    rows = []
    for m in rep.metrics:
        sim = _d(m.measured) if single else f"{_d(m.median)} ({_d(m.p10)}–{_d(m.p90)})"
        rows.append((m.label, format_duration(m.reported), "—" if m.word is None else sim, ratio_text(m.ratio),
                     m.word or "not measured"))
    output.table("beside the public report" + (f" ({rep.source})" if rep.source else ""),
                 ["metric", "public report", "measured" if single else "simulated median (p10–p90)",
                  "measured / reported" if single else "simulated / reported", "verdict"], rows)


def print_findings(findings: Sequence[Finding]) -> None:
    """The gap report, most severe first."""
    if not findings:
        output.out.print("gap report: no findings", markup=False)
        return
    output.out.print(f"gap report: {len(findings)} finding{'s' if len(findings) != 1 else ''}", markup=False)
    for f in findings:
        output.out.print(f"  [{f.severity}] {f.rule}: {f.title}", markup=False)
        output.out.print(f"      evidence: {f.evidence}", markup=False)
        output.out.print(f"      do: {f.recommendation} (owner: {f.owner})", markup=False)


def print_prediction(result: DrillResult, *, mode: MeasuredIn | None = None) -> None:
    """A game day's or a tabletop's prediction beside its measure, per metric, then the
    same in words ("the room acknowledged in 4m; the model predicts a median 2m (p90
    9m)"); nothing without one. ``mode`` (default: the prediction's own) says who
    measured: ``tabletop`` the room, ``live`` the game day."""
    pred = result.prediction
    if pred is None:
        return
    mode = mode or pred.mode
    rows = []
    for m in pred.metrics:
        objective = "—" if m.objective is None else f"{format_duration(m.objective)} ({m.source})"
        measured = _d(m.measured) if m.status == "measured" else m.status
        rows.append((m.label, objective, _d(m.median), f"{_d(m.p10)}–{_d(m.p90)}",
                     "—" if m.share_met is None else format_share(m.share_met), measured,
                     "—" if m.percentile is None else f"{m.percentile:g}", m.word or "—"))
    seed = "" if pred.seed is None else f", seed {pred.seed}"
    output.table(f"prediction ({pred.runs:,} simulated runs{seed}) and measure",
                 ["metric", "objective", "predicted median", "p10–p90", "runs meeting it", "measured", "percentile",
                  "result"], rows)
    for m in pred.metrics:
        words = in_words(m, mode)
        if words is not None:
            output.out.print(words[:1].upper() + words[1:] + ".", markup=False)
