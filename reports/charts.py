"""Charts as inline SVG, drawn with matplotlib (imported here, lazily: only a report
that draws loads it). Every chart is drawn from numbers scoring computed (histogram
bins, ECDF steps, objective targets and shares) or from event times of the timeline.

Charts never rely on colour alone: marks differ in shape, spans in hatching, and lines
carry text labels; each SVG has a title and a description for screen readers, and
the report beside it holds the same figures as a table. Output is deterministic (no
dates in the metadata, a fixed id salt per chart) so reports are byte-stable.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Iterable, Sequence

import numpy as np

from scenarios import format_duration
from scoring.series import Distribution

from .chart_layout import place_distribution, place_swimlane
from .narrative import IMPACT, Story

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
INK = "#1f2933"
MUTED = "#52606d"
GRID = "#d9dee3"
BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"

#: mark -> (label in the legend, marker, face colour, edge colour, size)
MARKS: dict[str, tuple[str, str, str, str, float]] = {
    "fault": ("fault injected", "X", VERMILLION, VERMILLION, 70),
    "impact": ("customer impact begins", "v", VERMILLION, INK, 60),
    "signal": ("signal or card", ".", MUTED, MUTED, 40),
    "alert": ("alert fired / resolved", "^", ORANGE, INK, 55),
    "detect": ("incident detected", "*", ORANGE, INK, 160),
    "escalate": ("escalation", ">", PURPLE, INK, 55),
    "page": ("page sent", "o", "white", BLUE, 55),
    "ack": ("page acknowledged", "o", BLUE, BLUE, 55),
    "miss": ("page unanswered / not sent", "x", VERMILLION, VERMILLION, 60),
    "engage": ("engaged", "D", GREEN, INK, 45),
    "diagnose": ("diagnosis / runbook", "s", "white", GREEN, 45),
    "milestone": ("mitigated / recovered / resolved", "P", GREEN, INK, 80),
    "update": ("public status update", "s", SKY, INK, 50),
    "update-internal": ("internal status update", "s", "white", INK, 50),
    "notify": ("notification sent", "v", PURPLE, INK, 55),
    "note": ("gap observed", "d", "white", VERMILLION, 45),
}


@dataclass(frozen=True)
class Target:
    """An objective drawn on a distribution chart."""

    seconds: float
    label: str  # e.g. "objective 5m: met in 76% of runs"


def prepare() -> None:
    """Import matplotlib and do the charts' one-time set-up: the modules a chart draws
    with (the SVG backend among them), the charts' fonts found and opened, the text
    measurer of :mod:`reports.chart_layout`. The first chart drawn in a process runs
    it; a chart worker runs it while the runs are still being read. Changes nothing a
    chart draws: it fills the caches the first chart would fill."""
    _prepared()


@lru_cache(maxsize=1)
def _prepared() -> tuple:
    import matplotlib
    import matplotlib.backends.backend_svg  # noqa: F401  (savefig(format="svg") loads it)
    import matplotlib.lines  # noqa: F401
    import matplotlib.patches  # noqa: F401
    import matplotlib.path  # noqa: F401
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    from .chart_layout import _scratch

    with matplotlib.rc_context(_base_font(matplotlib)):
        for weight in ("normal", "bold"):
            font_manager.get_font(font_manager.findfont(font_manager.FontProperties(weight=weight)))
    _scratch()
    return matplotlib, Figure


def _mpl():
    return _prepared()


def _unit(max_seconds: float) -> tuple[float, str]:
    if max_seconds <= 180:
        return 1.0, "seconds"
    if max_seconds <= 3 * 3600:
        return 60.0, "minutes"
    if max_seconds <= 3 * 86400:
        return 3600.0, "hours"
    return 86400.0, "days"


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    for s in ("left", "bottom"):
        ax.spines[s].set_color(MUTED)
    ax.tick_params(colors=INK, labelsize=8.5, length=3)
    ax.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def to_svg(fig, salt: str, title: str, desc: str) -> str:
    """The figure as an inline ``<svg>`` element: no XML prolog, scalable, with a
    title and description for assistive technology."""
    matplotlib, _ = _mpl()
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "svg.id": None}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    slug = re.sub(r"[^a-z0-9]+", "-", salt.lower()).strip("-")
    # Ids must stay unique when several charts share one page: prefix each with the
    # chart's slug, and every reference to it.
    text = re.sub(r'(\bid="|url\(#|href="#)([^")]+)', lambda m: f"{m.group(1)}{slug}-{m.group(2)}", text)
    head_end = text.index(">") + 1
    head = text[:head_end]
    width = re.search(r'width="([\d.]+)pt"', head)
    head = re.sub(r'\s(width|height)="[\d.]+pt"', "", head)
    head = head.replace("<svg", f'<svg class="chart" role="img" aria-labelledby="{slug}-title {slug}-desc"'
                        + (f' style="max-width:{float(width.group(1)) * 4 / 3:.0f}px"' if width else ""), 1)
    labels = f'<title id="{slug}-title">{escape(title)}</title><desc id="{slug}-desc">{escape(desc)}</desc>'
    return head + labels + text[head_end:].rstrip() + "\n"


#: The charts' typeface: DejaVu Sans ships with matplotlib, so the text is measured
#: alike everywhere; a browser without it falls back to the others.
FONTS = ["DejaVu Sans", "Liberation Sans", "Arial"]


def _base_font(matplotlib) -> dict:
    return {"font.family": "sans-serif", "font.sans-serif": FONTS,
            "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "axes.labelcolor": INK,
            "text.color": INK}


def distribution_svg(dist: Distribution, label: str, targets: Sequence[Target], require_share: float | None,
                     salt: str) -> str:
    """Histogram (left) and ECDF (right) of one metric over runs, each objective as a
    dashed vertical line named in the legend; the required share as a dotted line on
    the ECDF."""
    matplotlib, Figure = _mpl()
    from matplotlib.lines import Line2D

    with matplotlib.rc_context(_base_font(matplotlib)):
        # No layout engine: chart_layout places the axes from the sizes of their text.
        fig = Figure(figsize=(10.0, 2.9))
        fig.suptitle(label[0].upper() + label[1:], x=0.005, ha="left", fontsize=10.5, fontweight="bold", color=INK)
        hist_ax, ecdf_ax = fig.subplots(1, 2, width_ratios=(1, 1.25))
        top = max([dist.edges[-1] if dist.edges else 0.0, *(t.seconds for t in targets), 1.0])
        scale, unit = _unit(top)
        right = top / scale * 1.06
        if dist.counts:
            edges = [e / scale for e in dist.edges]
            # A bin narrower than 1% of the axis would vanish (all runs alike): widen it.
            widths = [max(b - a, right * 0.012) for a, b in zip(edges, edges[1:])]
            lefts = [a - (w - (b - a)) / 2 for a, b, w in zip(edges, edges[1:], widths)]
            _bars(hist_ax, lefts, widths, dist.counts)
            xs = [0.0] + [x / scale for x in dist.steps_x]
            ys = [0.0] + [y * 100 for y in dist.steps_y]
            xs.append(max(xs[-1], right))
            ys.append(ys[-1])
            ecdf_ax.step(xs, ys, where="post", color=BLUE, linewidth=1.8)
        styles = [(0, (5, 3)), (0, (2, 2)), (0, (8, 2, 2, 2))]
        handles = [Line2D([], [], color=BLUE, linewidth=1.8, label="runs at or below")]
        for ax in (hist_ax, ecdf_ax):
            _style(ax)
            ax.set_xlim(left=0, right=right)
            ax.set_xlabel(unit)
            for i, t in enumerate(targets):
                ax.axvline(t.seconds / scale, color=VERMILLION, linestyle=styles[i % len(styles)], linewidth=1.5)
        for i, t in enumerate(targets):
            handles.append(Line2D([], [], color=VERMILLION, linestyle=styles[i % len(styles)], linewidth=1.5, label=t.label))
        hist_ax.set_ylabel("runs")
        # Titles at y=1.0 as given: left to place them itself, matplotlib measures the
        # whole x axis at every draw only to find that nothing stands above the axes.
        hist_ax.set_title("histogram of runs that reached it", loc="left", color=MUTED, fontsize=9, y=1.0)
        ecdf_ax.set_ylim(0, 104)
        ecdf_ax.set_ylabel("% of runs")
        ecdf_ax.set_title("cumulative share of runs (ECDF)", loc="left", color=MUTED, fontsize=9, y=1.0)
        if require_share is not None:
            ecdf_ax.axhline(require_share * 100, color=INK, linestyle=":", linewidth=1.1)
            handles.append(Line2D([], [], color=INK, linestyle=":", linewidth=1.1,
                                  label=f"required share: {require_share * 100:g}% of runs"))
        ecdf_ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=True, framealpha=0.92, edgecolor=GRID)
        desc = (f"{label} over {dist.runs} runs: {dist.reached} reached it"
                + (f", {dist.missed} never did" if dist.missed else "")
                + "".join(f"; {t.label}" for t in targets) + ".")
        place_distribution(fig, hist_ax, ecdf_ax, (1, 1.25), tick_size=8.5, label_size=9, title_size=9,
                           suptitle_size=10.5)
        return to_svg(fig, salt, f"Distribution of {label}", desc)


def _bars(ax, lefts: Sequence[float], widths: Sequence[float], counts: Sequence[int]) -> None:
    """The histogram's bars as one outlined path (one SVG element, not one per bin),
    with the y axis as ``Axes.bar`` would scale it: from zero to the tallest bar and
    a 5% margin above."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    verts, codes = [], []
    for x, w, c in zip(lefts, widths, counts):
        verts += [(x, 0.0), (x + w, 0.0), (x + w, c), (x, c), (x, 0.0)]
        codes += [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]
    ax.add_patch(PathPatch(Path(verts, codes), facecolor=SKY, edgecolor=BLUE, linewidth=0.6))
    tallest = float(max(counts))
    if tallest > 0:
        ax.set_ylim(0.0, tallest + tallest * ax.margins()[1])


# -- the swimlane timeline -------------------------------------------------------------

_TICKS = (0, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600, 86400, 2 * 86400,
          3 * 86400, 7 * 86400)


def _ticks(end: float) -> list[float]:
    """Tick positions up to ``end`` that stay apart on a square-root axis."""
    out: list[float] = []
    for t in _TICKS:
        if t > end * 1.001:
            break
        if not out or math.sqrt(t) - math.sqrt(out[-1]) >= math.sqrt(end) / 14:
            out.append(float(t))
    return out


def _sqrt(x):
    # Signed, so the axis can start a little left of zero and marks at t=0 show whole.
    x = np.asarray(x, dtype=float)
    return np.sign(x) * np.sqrt(np.abs(x))


def _square(y):
    y = np.asarray(y, dtype=float)
    return np.sign(y) * np.square(y)


#: Room at each end of the time axis, as a share of its square-root length: wider than
#: the largest mark's half-width, so a mark at the start or the end is drawn whole.
PAD = 0.025
#: How close (as a share of the axis's square-root length) two marks of a lane may sit
#: before they overlap: about the width of a mark.
CLOSE = 0.016
#: Vertical places within a lane for marks that would overlap, in lanes (0: the middle).
SLOTS = (0.0, -0.3, 0.3)


def _dodge(points: list[tuple[float, int, str]], root_end: float) -> list[tuple[float, float, str]]:
    """Place marks (t, lane row, mark) so that none covers another: a mark takes the
    first free slot of its lane at its time, else the nearest free spot a mark's width
    or a few to either side (never before the start nor past the end). Returns (t, y,
    mark) with y the row plus its slot."""
    close = CLOSE * root_end
    placed: dict[tuple[int, float], list[float]] = {}
    out = []
    for t, row, mark in sorted(points, key=lambda p: (p[1], p[0])):
        x0 = math.sqrt(max(t, 0.0))
        spot = None
        for k in (0, 1, -1, 2, -2, 3, -3):
            x = min(max(x0 + k * close, 0.0), root_end)
            for slot in SLOTS:
                if all(abs(x - other) >= close * 0.999 for other in placed.get((row, slot), [])):
                    spot = (x, slot)
                    break
            if spot:
                break
        x, slot = spot or (x0, 0.0)
        placed.setdefault((row, slot), []).append(x)
        out.append((x * x, row + slot, mark))
    return out


def swimlane_svg(story: Story, end: float, milestones: Iterable[tuple[str, float]], salt: str,
                 title: str = "Timeline of the run") -> str:
    """One lane per actor (impact, monitoring, each person, automation, comms); marks
    by shape for events, bars for runbook steps (hatched when a step failed) and the
    customer-impact span, labelled vertical lines at the milestones. The time axis is
    square-root scaled so the first minutes and the long recovery both stay readable."""
    matplotlib, Figure = _mpl()
    lanes = list(story.lanes)
    row = {key: i for i, (key, _) in enumerate(lanes)}
    end = max(end, 60.0)
    with matplotlib.rc_context(_base_font(matplotlib)):
        height = 1.9 + 0.42 * len(lanes)
        fig = Figure(figsize=(10.0, height))  # placed by chart_layout, as above
        ax = fig.subplots()
        ax.set_xscale("function", functions=(_sqrt, _square))
        root_end = math.sqrt(end)
        ax.set_xlim(-((PAD * root_end) ** 2), ((1 + PAD) * root_end) ** 2)
        ax.set_ylim(len(lanes) - 0.5, -1.35)
        ax.set_yticks(range(len(lanes)), [t for _, t in lanes])
        for i in range(len(lanes)):
            if i % 2 == 0:
                ax.axhspan(i - 0.5, i + 0.5, color="#f3f5f7", zorder=0, linewidth=0)
        ax.spines[["top", "right", "left"]].set_visible(False)
        ax.spines["bottom"].set_color(MUTED)
        ax.tick_params(axis="y", length=0, labelsize=9, colors=INK)
        ax.tick_params(axis="x", labelsize=8.5, colors=INK)
        ticks = _ticks(end)
        ax.set_xticks(ticks, [format_duration(t) if t else "0" for t in ticks])
        ax.grid(True, axis="x", color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel("time since the drill started (square-root scale)")

        ms = dict(milestones)
        impact, mitigated, recovered = ms.get("impact"), ms.get("mitigated"), ms.get("recovered")
        used: list[str] = []
        if impact is not None and IMPACT in row:
            y = row[IMPACT]
            stop = recovered if recovered is not None else end
            mid = mitigated if mitigated is not None and mitigated < stop else stop
            ax.broken_barh([(impact, mid - impact)], (y - 0.28, 0.56), facecolors=VERMILLION, alpha=0.35,
                           edgecolor=VERMILLION, linewidth=0.8, zorder=1)
            if mid < stop:
                ax.broken_barh([(mid, stop - mid)], (y - 0.28, 0.56), facecolors="white", edgecolor=VERMILLION,
                               hatch="////", linewidth=0.8, zorder=1)
        steps_ok, steps_fail = [], []
        marks: list[tuple[float, int, str]] = []
        for en in story.entries:
            y = row.get(en.lane)
            if y is None:
                continue
            if en.took is not None:
                (steps_ok if en.mark == "step-ok" else steps_fail).append((y, max(en.t - en.took, 0.0), en.took))
                continue
            marks.append((min(en.t, end), y, en.mark))
        points: dict[str, tuple[list[float], list[float]]] = {}
        for t, y, mark in _dodge(marks, root_end):
            points.setdefault(mark, ([], []))
            points[mark][0].append(t)
            points[mark][1].append(y)
        # Marks are drawn in the legend's order, whatever order the run produced them in.
        points = {m: points[m] for m in [*MARKS, *points] if m in points}
        for spans, face, edge, hatch in ((steps_ok, GREEN, "white", None), (steps_fail, "white", VERMILLION, "xxxx")):
            for y, start, took in spans:
                ax.broken_barh([(start, max(took, end * 1e-4))], (y - 0.2, 0.4), facecolors=face, edgecolor=edge,
                               hatch=hatch, linewidth=0.8, zorder=2)
        for mark, (xs, ys) in points.items():
            label, marker, face, edge, size = MARKS.get(mark, MARKS["note"])
            if marker in ("x", "."):  # unfilled markers take one colour
                ax.scatter(xs, ys, marker=marker, s=size, color=face, linewidths=1.4, zorder=3)
            else:
                ax.scatter(xs, ys, marker=marker, s=size, facecolors=face, edgecolors=edge, linewidths=1.0, zorder=3)
            used.append(mark)
        last_x, row_y = -1e9, 0
        for name, text, style in (("detected", "detected", (0, (4, 3))), ("mitigated", "mitigated", (0, (6, 2))),
                                  ("recovered", "recovered", "-")):
            t = ms.get(name)
            if t is None:
                continue
            ax.axvline(t, color=INK, linestyle=style, linewidth=0.9, zorder=1)
            # Labels closer than about a fifth of the axis go on the next row.
            x = math.sqrt(t)
            row_y = (row_y + 1) % 2 if x - last_x < math.sqrt(end) * 0.2 else 0
            last_x = x
            near_end = x > math.sqrt(end) * 0.75
            ax.text(t, -0.72 - 0.42 * row_y, f"{text} +{format_duration(t)} " if near_end else f" {text} +{format_duration(t)}",
                    fontsize=8, color=INK, va="center", ha="right" if near_end else "left",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3}, zorder=4)
        handles = _legend_handles(matplotlib, used, bool(steps_ok), bool(steps_fail), impact is not None,
                                  mitigated is not None and impact is not None)
        # Without a layout engine an 'outside' legend sits where 'lower center' puts it;
        # place_swimlane keeps the room for it that constrained layout kept.
        legend = fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False,
                            handletextpad=0.4, columnspacing=1.4)
        place_swimlane(fig, ax, legend, tick_size=8.5, lane_size=9, label_size=9)
        desc = ("Swimlane chart: " + ", ".join(t for _, t in story.lanes) + ". "
                + "; ".join(f"{n} at +{format_duration(t)}" for n, t in ms.items() if t is not None)
                + ". The table of events below lists every mark.")
        return to_svg(fig, salt, title, desc)


def _legend_handles(matplotlib, used: list[str], ok: bool, fail: bool, impact: bool, mitigated: bool) -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = []
    for mark in MARKS:
        if mark not in used:
            continue
        label, marker, face, edge, size = MARKS[mark]
        plain = marker in ("x", ".")
        handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=math.sqrt(size) * 0.9,
                              markerfacecolor=face, markeredgecolor=face if plain else edge, color=face, label=label))
    if ok:
        handles.append(Patch(facecolor=GREEN, edgecolor="white", label="runbook step (succeeded)"))
    if fail:
        handles.append(Patch(facecolor="white", edgecolor=VERMILLION, hatch="xxxx", label="runbook step (failed)"))
    if impact:
        handles.append(Patch(facecolor=VERMILLION, alpha=0.35, edgecolor=VERMILLION, label="impact before mitigation"))
    if mitigated:
        handles.append(Patch(facecolor="white", edgecolor=VERMILLION, hatch="////", label="impact after mitigation"))
    return handles
