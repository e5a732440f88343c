"""The view of a report: every figure of the drill result (and of the run, where
one is given) formatted as text for the templates. Templates only lay these out.

Numbers come from scoring: the drill result (``scoring.summarise``, a
:class:`scoring.result.DrillResult`), the scorecard of the given run
(``scoring.score``) and the per-run series (``scoring.series``). Here they are only
formatted and arranged; the views are plain dicts because templates only read them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from scenarios import DEFAULT_SEVERITIES, Scenario, SeverityLevel, Team
from scenarios.severity_map import map_severity, severity_label
from scenarios.timeline import Timeline
from scoring import Scorecard, score
from scoring.ratings import MEANING
from scoring.prediction import in_words
from scoring.result import DrillResult, MeasuredIn, WorstRun
from scoring.series import RunSeries

from . import chart_workers, fmt
from .beside_report import public_report
from .chart_workers import Drawing
from .narrative import Story, collapse_updates, tell
from .subjects import describe_subject

RATING_WORDS = MEANING
STATUS_SIGN = {"met": "✓", "missed": "✗", "not reached": "–"}
SEVERITY_SIGN = {"critical": "‼", "high": "!", "medium": "•", "low": "·"}
MODE_WORDS = {"simulated": "simulation", "tabletop": "tabletop exercise", "live": "live game day"}


@dataclass(frozen=True)
class Inputs:
    """Everything a report is rendered from."""

    result: DrillResult
    scenario: Scenario
    team: Team | None
    timeline: Timeline | None
    series: RunSeries | None
    now: datetime
    require_share: float

    @property
    def single(self) -> bool:
        return self.result.single

    @property
    def tz(self) -> str:
        if self.team is not None:
            return self.team.timezone
        return "UTC"

    def severity_level(self) -> SeverityLevel | None:
        levels = self.team.severity if self.team else DEFAULT_SEVERITIES
        mapped = map_severity(self.scenario.severity, list(levels), self.team.severity_map if self.team else None)
        return levels.get(mapped.level) if mapped else None


def run_scorecard(inp: Inputs) -> Scorecard | None:
    """The scorecard of the given run (None without a timeline)."""
    if inp.timeline is None:
        return None
    return score(inp.timeline, inp.scenario, inp.team)


def header(inp: Inputs) -> dict[str, Any]:
    """Title and the facts of the drill, as (label, value) pairs."""
    res, sc = inp.result, inp.scenario
    tl = inp.timeline
    runs = res.runs
    facts: list[tuple[str, str]] = [
        ("Scenario", sc.id),
        ("Kind and severity", f"{sc.kind}, {severity_label(sc)}"),
    ]
    if tl is not None:
        facts.append(("Mode", MODE_WORDS.get(tl.mode, tl.mode)))
    if res.facilitator:
        names = {m.id: m.name for m in inp.team.members} if inp.team else {}
        facts.append(("Facilitator", names.get(res.facilitator, res.facilitator)))
    facts.append(("Team", str(res.team or (inp.team.team if inp.team else "—"))))
    if tl is not None:
        facts.append(("Started" if inp.single else "First run started", fmt.Clock(tl.started_at, inp.tz).stamp(0.0)))
        facts.append(("Seed", "—" if tl.seed is None else str(tl.seed)))
    drill = res.drill
    if drill is not None and drill.partial:
        # A batch cut short is scored as far as it got; the reader must not take it for the drill.
        facts.append(("Runs", f"{runs:,} of {drill.runs_planned:,} planned ({drill.state}): partial"))
    else:
        facts.append(("Runs", f"{runs:,}"))
    facts.append(("Time zone", inp.tz))
    return {
        "facts": facts,
        "notes": list(res.notes),
        "generated": fmt.Clock(inp.now, inp.tz).stamp(0.0),
        "generated_iso": inp.now.isoformat(),
    }


def worst_run(tail: WorstRun | None, *, cell: bool = False) -> str:
    """The tail beside a batch's rating: ``worst run: U, 1 of 1,000 runs never recovered``
    (in a "worst run" column, ``U, 1 of 1,000 runs never recovered``); when even the worst
    run was P, only what it says (``every run met …``)."""
    if tail is None:
        return ""
    if tail.rating == "P":
        return tail.text
    return f"{tail.rating}, {tail.text}" if cell else f"worst run: {tail.rating}, {tail.text}"


def sentence(text: str) -> str:
    """The text with its first letter capitalised (and the rest as written)."""
    return text[:1].upper() + text[1:]


def verdict(inp: Inputs) -> dict[str, Any]:
    res = inp.result
    v = res.verdict
    n = len(res.objectives)
    missed = res.objectives_missed
    if inp.single:
        basis = f"{n - missed} of {fmt.plural(n, 'objective')} met"
    else:
        basis = (f"{n - missed} of {fmt.plural(n, 'objective')} met in at least {fmt.pct(inp.require_share)} of "
                 f"{res.runs:,} runs; every rating is the one at least {fmt.pct(inp.require_share)} of runs achieved")
    return {"letter": v or "—", "meaning": RATING_WORDS.get(v, "not rated") if v else "not rated",
            "basis": basis, "missed": missed, "total": n, "ok": missed == 0,
            "worst_run": "" if inp.single else sentence(worst_run(res.worst_run))}


def objectives(inp: Inputs) -> list[dict[str, Any]]:
    """One row per objective: for one run the value and status; for many the share of
    runs that met it, its 95% interval and whether it reached the required share."""
    rows = []
    for o in inp.result.objectives:
        row: dict[str, Any] = {"label": o.label, "metric": o.metric, "source": o.source, "target": fmt.duration(o.target)}
        if inp.single:
            status = o.status
            assert status is not None  # a single run's objective always has one
            row.update(value="—" if status == "not reached" else fmt.duration(o.value), status=status,
                       sign=STATUS_SIGN[status], ok=status == "met")
        else:
            # Met exactly when the required share of runs met it, which is what rating P means.
            ok = o.rating == "P"
            tail = o.worst_run
            row.update(share=fmt.pct(o.share), ci=fmt.interval(*o.share_ci), met=f"{o.met:,} of {o.runs:,}",
                       status="met" if ok else "missed", sign=STATUS_SIGN["met" if ok else "missed"], ok=ok,
                       rating=o.rating, meaning=RATING_WORDS[o.rating],
                       worst_run=worst_run(tail, cell=True) if tail.rating != "P" else "")
        rows.append(row)
    return rows


def metrics(inp: Inputs) -> list[dict[str, Any]]:
    """Distributions (many runs): median with its interval, p90, p99, runs reaching it."""
    res = inp.result
    rows = []
    for name, m in res.metrics.items():
        ci = m.median_ci
        rows.append({
            "name": name, "label": m.label, "median": fmt.duration(m.median),
            "ci": fmt.interval(ci[0], ci[1], fmt.duration) if ci else "—",
            "p90": fmt.duration(m.p90), "p99": fmt.duration(m.p99),
            "reached": f"{m.reached:,} of {res.runs:,}",
        })
    return rows


def judged_metrics(inp: Inputs) -> set[str]:
    """The metrics some objective judges."""
    return {o.metric for o in inp.result.objectives}


def other_metrics(inp: Inputs) -> list[dict[str, str]]:
    """One run: the metrics no objective judges."""
    judged = judged_metrics(inp)
    return [{"label": m.label, "value": fmt.duration(m.median)}
            for name, m in inp.result.metrics.items() if name not in judged]


def counts(inp: Inputs) -> list[dict[str, str]]:
    return [{"label": k.replace("_", " "), "median": fmt.count(c.median), "p90": fmt.count(c.p90),
             "max": fmt.count(c.max)} for k, c in inp.result.counts.items()]


def ratings(inp: Inputs) -> list[dict[str, Any]]:
    """Capability ratings: the rating (of one run; for many, the one the required share
    of runs achieved), the worst single run beside it and the runs by rating."""
    rows = []
    for cap, c in inp.result.capabilities.items():
        by = inp.result.ratings.get(cap, {})
        letter = c.rating
        rows.append({
            "capability": cap, "letter": letter, "meaning": RATING_WORDS[letter],
            "worst_run": "" if inp.single else worst_run(c.worst_run),
            "worst_cell": "" if inp.single else worst_run(c.worst_run, cell=True),
            "runs": " · ".join(f"{r} {by[r]:,}" for r in "PSMU" if by.get(r)),
            "by": [{"rating": r, "runs": by.get(r, 0)} for r in "PSMU"],
        })
    return rows


def findings(inp: Inputs) -> list[dict[str, Any]]:
    """The gap findings as shown: each one's fields, its severity's sign and what its
    subject names, in words."""
    names = {m.id: m.name for m in inp.team.members} if inp.team else {}
    return [{**asdict(f), "sign": SEVERITY_SIGN.get(f.severity, ""), "about": describe_subject(f.rule, f.subject, names)}
            for f in inp.result.findings]


def actions(inp: Inputs) -> list[dict[str, Any]]:
    """The action items as shown: each one's fields, ``due`` as an ISO date."""
    return [{**asdict(a), "due": a.due.isoformat()} for a in inp.result.action_items]


def story_rows(inp: Inputs, story: Story) -> list[dict[str, str]]:
    """The run's entries with wall-clock time in the team's zone; the date is given
    where it changes. A run of status updates alike is one row."""
    tl = inp.timeline
    assert tl is not None
    clock = fmt.Clock(tl.started_at, inp.tz)
    rows, last_day = [], None
    # An inject written before the drill shows at its own offset and wall time, so it
    # comes first (a stable sort keeps the rest in the order they happened).
    for en in sorted(collapse_updates(story.entries, tl), key=lambda en: en.shown):
        d = clock.day(en.shown)
        rows.append({"day": d if d != last_day else "", "time": clock.time(en.shown), "offset": fmt.offset(en.shown),
                     "lane": dict(story.lanes).get(en.lane, en.lane), "text": en.text, "mark": en.mark, "kind": en.kind})
        last_day = d
    return rows


def run_view(inp: Inputs, *, chart: bool) -> dict[str, Any] | None:
    """The given run: its story (and its swimlane chart when ``chart``)."""
    run, drawing = _run_parts(inp, chart=chart)
    if run is not None and drawing is not None:
        [run["svg"]] = chart_workers.draw([drawing])
    return run


def _run_parts(inp: Inputs, *, chart: bool) -> tuple[dict[str, Any] | None, Drawing | None]:
    """The run's view with its chart left out (``svg`` None), and the drawing of that
    chart (None without ``chart``)."""
    tl = inp.timeline
    if tl is None:
        return None, None
    story = tell(tl, inp.team, inp.scenario)
    ms = tl.milestones()
    drawing = None
    if chart:
        from .charts import swimlane_svg

        drawing = Drawing(swimlane_svg, (story, tl.duration, [(k, ms[k]) for k in ("impact", "detected", "mitigated", "recovered")]),
                          {"salt": f"swimlane-{tl.scenario}-{tl.run}", "title": f"Timeline of run {tl.run if tl.run is not None else 0}"})
    label = "the run" if inp.single else f"run {tl.run if tl.run is not None else 0}, the first of {inp.result.runs:,}"
    run = {"label": label, "rows": story_rows(inp, story), "svg": None, "tz": inp.tz, "lanes": [t for _, t in story.lanes]}
    return run, drawing


def charted_metrics(inp: Inputs) -> list[str]:
    """The metrics a batch report charts, in the summary's order: the headline four,
    every metric an objective judges, and the real longest silence beside a judged
    cadence overrun (the overrun says whether the cadence was kept, not how long)."""
    judged = set(judged_metrics(inp))
    if "cadence_overrun" in judged:
        judged.add("longest_silence")
    return [name for name in inp.result.metrics if name in judged or name in KPI_METRICS]


def distribution_charts(inp: Inputs) -> list[dict[str, Any]]:
    """One chart per charted metric of a batch (needs the per-run series)."""
    charts, drawings = _distribution_parts(inp)
    for chart, svg in zip(charts, chart_workers.draw(drawings)):
        chart["svg"] = svg
    return charts


def _distribution_parts(inp: Inputs) -> tuple[list[dict[str, Any]], list[Drawing]]:
    """The distribution charts' views with their SVG left out, and their drawings."""
    if inp.single or inp.series is None or inp.series.runs == 0:
        return [], []
    from .charts import Target, distribution_svg

    out, drawings = [], []
    objs = inp.result.objectives
    for name in charted_metrics(inp):
        if name not in inp.series.metrics:
            continue
        label = inp.result.metrics[name].label
        targets = [Target(o.target, f"objective {fmt.duration(o.target)} ({o.source}): met in {fmt.pct(o.share)} of runs")
                   for o in objs if o.metric == name]
        dist = inp.series.distribution(name)
        drawings.append(Drawing(distribution_svg, (dist, label, targets, inp.require_share if targets else None),
                                {"salt": f"dist-{name}"}))
        caption = (f"{label[0].upper() + label[1:]} over {dist.runs:,} runs"
                   + (f"; {dist.missed:,} runs never reached it and are not drawn in the histogram" if dist.missed else "")
                   + ".")
        out.append({"metric": name, "label": label, "svg": None, "caption": caption})
    return out, drawings


KPI_METRICS = ("ttd", "tta", "ttm", "ttr")


def kpis(inp: Inputs) -> list[dict[str, str]]:
    """The headline figures: TTD, TTA, TTM, TTR (the value of one run; the median of many)."""
    res = inp.result
    out = []
    for name in KPI_METRICS:
        m = res.metrics.get(name)
        if m is None:
            continue
        objs = [o for o in res.objectives if o.metric == name]
        if inp.single:
            sub = "; ".join(f"objective {fmt.duration(o.target)}: {o.status}" for o in objs) or "no objective"
            value = "not reached" if objs and objs[0].status == "not reached" else fmt.duration(m.median)
        else:
            sub = f"median; p90 {fmt.duration(m.p90)}" + "".join(
                f"; {fmt.pct(o.share)} within {fmt.duration(o.target)}" for o in objs)
            value = fmt.duration(m.median)
        out.append({"name": name, "label": m.label, "value": value, "sub": sub})
    return out


PREDICTION_WORDS = {"as predicted": "within the simulated p10–p90", "better": "faster than the simulated p10",
                    "worse": "slower than the simulated p90", "missed": "never happened"}


#: The chip colour of each word, borrowed from the objectives' (green, amber, red, grey).
PREDICTION_CHIP = {"as predicted": "met", "better": "met", "worse": "S", "missed": "missed", "": "none"}


def ordinal(x: float) -> str:
    """``40.0`` -> ``40th``, ``1`` -> ``1st``, ``42.5`` -> ``42.5th``."""
    x = round(x, 1)
    if x != int(x):
        return f"{x:g}th"
    n = int(x)
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def prediction(inp: Inputs) -> dict[str, Any] | None:
    """The simulation's prediction beside the measure (a game day's), one row per
    metric; None when the result holds no prediction."""
    pred = inp.result.prediction
    if pred is None:
        return None
    rows = []
    for m in pred.metrics:
        measured = {"measured": fmt.duration(m.measured), "missed": "missed",
                    "not applicable": "not applicable"}[m.status]
        rows.append({
            "metric": m.metric, "label": sentence(m.label),
            "objective": "—" if m.objective is None else f"{fmt.duration(m.objective)} ({m.source})",
            "median": fmt.duration(m.median), "band": fmt.interval(m.p10, m.p90, fmt.duration),
            "p90": fmt.duration(m.p90), "share": "—" if m.share_met is None else fmt.pct(m.share_met),
            "measured": measured, "percentile": "—" if m.percentile is None else ordinal(m.percentile),
            "word": m.word or "—", "why": PREDICTION_WORDS.get(m.word, "") if m.word else "",
            "css": PREDICTION_CHIP[m.word or ""],
        })
    seed = "" if pred.seed is None else f" (seed {pred.seed})"
    mode = measured_mode(inp)
    said = [sentence(w) + "." for w in (in_words(m, mode) for m in pred.metrics) if w is not None]
    what = "the room did in the tabletop" if mode == "tabletop" else "the game day measured"
    return {"runs": f"{pred.runs:,}", "seed": seed, "rows": rows, "said": said,
            "lede": (f"What {pred.runs:,} simulated run{'s' if pred.runs != 1 else ''} of the scenario{seed} predicted, beside what "
                     f"{what}. The percentile is where the measure falls among the simulated runs (the "
                     "share faster, ties counted half); within the runs' p10–p90 it went as predicted, below p10 "
                     "better, above p90 worse.")}


def measured_mode(inp: Inputs) -> MeasuredIn:
    """Who measured what the prediction stands beside: the run's own mode when it is a
    tabletop or a game day, else what the prediction recorded."""
    tl = inp.timeline
    if tl is not None and tl.mode in ("live", "tabletop"):
        return tl.mode  # type: ignore[return-value]
    assert inp.result.prediction is not None
    return inp.result.prediction.mode


def faults(inp: Inputs) -> list[dict[str, str]] | None:
    """A live drill's faults as its timeline records them: each applied fault with when
    it was restored (matched by fault, target and subject, in order); None for a drill
    of another mode."""
    tl = inp.timeline
    if tl is None or tl.mode != "live":
        return None
    clock = fmt.Clock(tl.started_at, inp.tz)
    rows: list[dict[str, str]] = []
    open_since: dict[tuple[str, str, str], list[tuple[float, dict[str, str]]]] = {}
    for e in tl.events:
        if e.kind not in ("fault_applied", "fault_restored"):
            continue
        p = e.payload
        key = (str(p.fault), str(p.service), str(e.subject))
        at = f"{clock.time(e.t)} ({fmt.offset(e.t)})"
        if e.kind == "fault_applied":
            # The runner names the scenario's target; one that names a container as well is shown with it.
            target = key[1] if key[2] in ("", key[1]) else f"{key[1]}: {key[2]}"
            row = {"fault": key[0], "target": target, "applied": at, "restored": "not recorded", "lasted": "—"}
            rows.append(row)
            open_since.setdefault(key, []).append((e.t, row))
        elif open_since.get(key):
            since, row = open_since[key].pop(0)
            row.update(restored=at, lasted=fmt.duration(e.t - since))
    return rows


def scorecard(inp: Inputs, *, charts: bool) -> dict[str, Any]:
    """Everything the HTML and Markdown scorecards show."""
    res = inp.result
    dists, drawings = _distribution_parts(inp) if charts else ([], [])
    run, run_drawing = _run_parts(inp, chart=charts)
    # All at once, the run's timeline first: it is the slowest to draw, and with two
    # workers the longest drawing should start first.
    if run is not None and run_drawing is not None:
        run["svg"], *svgs = chart_workers.draw([run_drawing, *drawings])
    else:
        svgs = chart_workers.draw(drawings)
    for chart, svg in zip(dists, svgs):
        chart["svg"] = svg
    return {
        "title": f"Drill scorecard: {inp.scenario.title}",
        "header": header(inp),
        "single": inp.single,
        "runs": res.runs,
        "require_share": fmt.pct(inp.require_share),
        "verdict": verdict(inp),
        "kpis": kpis(inp),
        "objectives": objectives(inp),
        "prediction": prediction(inp),
        "public_report": public_report(res),
        "faults": faults(inp),
        "metrics": metrics(inp) if not inp.single else [],
        "other_metrics": other_metrics(inp) if inp.single else [],
        "counts": counts(inp),
        "ratings": ratings(inp),
        "rating_rules": list(res.rating_rules),
        "batch_rule": sentence(res.batch_rating_rule),
        "charts": dists,
        "run": run,
        "findings": findings(inp),
        "actions": actions(inp),
        "scenario": inp.scenario,
    }
