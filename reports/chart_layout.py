"""Where the axes of a chart go, worked out from the sizes of its text.

matplotlib's constrained layout measures every tick, label and title of a figure
twice and then draws the figure once more to find out where they ended up; for a
report's charts that was about half of the time spent drawing them. The charts'
decorations are few and known in advance (tick labels on two sides, one axis label
each, a title, a legend), so this module adds up the same margins from text
measurements (cached: most strings recur in every chart) and places the axes where
constrained layout puts them. tests/reports/test_chart_layout.py compares the two.

All sizes are in points (1/72 inch).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Sequence

#: Constrained layout's default padding around the decorations (3/72 inch)...
PAD = 3.0
#: ... and its space between two columns: 2% of the figure's width, half on each side.
COLUMN_GAP = 0.02
#: matplotlib's defaults: tick label pad and axis label pad.
TICK_PAD = 3.5
LABEL_PAD = 4.0
#: Space above an axes title (rcParams["axes.titlepad"]).
TITLE_PAD = 6.0


@lru_cache(maxsize=4096)
def text_size(text: str, size: float, bold: bool = False) -> tuple[float, float]:
    """(width, height) of one line of ``text`` in the charts' font, measured as
    matplotlib measures the text it draws (the height is the font's whole line,
    ascender to descender, whatever the letters)."""
    if not text:
        return 0.0, 0.0
    fig, renderer = _scratch()
    from matplotlib.text import Text

    from .charts import FONTS

    t = Text(0, 0, text, fontsize=size, fontweight="bold" if bold else "normal", fontfamily=FONTS[0])
    t.set_figure(fig)
    box = t.get_window_extent(renderer)
    return box.width, box.height


@lru_cache(maxsize=1)
def _scratch():
    """A figure and an SVG renderer at 72 dpi (one unit = one point) to measure text with."""
    import io

    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.figure import Figure

    return Figure(figsize=(1, 1), dpi=72), RendererSVG(72, 72, io.StringIO())


def _tick_out(axis) -> float:
    """How far a major tick sticks out of the axes: its labels sit that much further
    out (``Axis.get_tick_padding`` also counts the minor ticks, which have no labels)."""
    return axis.majorTicks[0].get_tick_padding()


@lru_cache(maxsize=64)
def ascent(size: float) -> float:
    """How far the charts' font reaches above the baseline (an axes title stands on
    its baseline)."""
    fig, renderer = _scratch()
    from matplotlib.text import Text

    from .charts import FONTS

    t = Text(0, 0, "lp", fontsize=size, fontfamily=FONTS[0], verticalalignment="baseline")
    t.set_figure(fig)
    return t.get_window_extent(renderer).y1


def _visible_ticks(axis, lo: float, hi: float) -> list[tuple[float, str]]:
    """(position, label) of the major ticks matplotlib will draw between lo and hi."""
    locs = [float(x) for x in axis.get_majorticklocs()]
    labels = axis.get_major_formatter().format_ticks(locs)
    a, b = min(lo, hi), max(lo, hi)
    span = (b - a) * 1e-10  # matplotlib's own tolerance for a tick on the limit
    return [(x, s) for x, s in zip(locs, labels) if a - span <= x <= b + span]


def _y_labels_width(ax, size: float) -> float:
    lo, hi = ax.get_ylim()
    return max((text_size(s, size)[0] for _, s in _visible_ticks(ax.yaxis, lo, hi)), default=0.0)


def _x_overhang(ax, fig_width: float, size: float, texts: Iterable = ()) -> tuple[float, float]:
    """How far (points) x tick labels, and the given texts, reach past the axes'
    left and right edges, with the axes where they are now."""
    pos = ax.get_position()
    x0, x1 = pos.x0 * fig_width, pos.x1 * fig_width
    to_axes = ax.transScale + ax.transLimits  # data -> 0..1 across the axes
    lo, hi = ax.get_xlim()
    left = right = 0.0
    for x, s in _visible_ticks(ax.xaxis, lo, hi):
        at = x0 + float(to_axes.transform((x, 0.0))[0]) * (x1 - x0)
        half = text_size(s, size)[0] / 2
        left, right = max(left, x0 - (at - half)), max(right, at + half - x1)
    for t in texts:
        at = x0 + float(to_axes.transform((t.get_position()[0], 0.0))[0]) * (x1 - x0)
        w = text_size(t.get_text(), t.get_fontsize())[0]
        pad = t.get_bbox_patch().get_boxstyle().pad * t.get_fontsize() if t.get_bbox_patch() else 0.0
        start = at - w - pad if t.get_horizontalalignment() == "right" else at - pad
        left, right = max(left, x0 - start), max(right, start + w + 2 * pad - x1)
    return left, right


def _place_row(fig, axes: Sequence, ratios: Sequence[float], lefts: Sequence[float], rights: Sequence[float],
               bottom: float, top: float) -> None:
    """Axes side by side, inner widths in ``ratios``, each with its decoration
    margins (points) beside it, as constrained layout does for one row of a grid."""
    w_in, h_in = fig.get_size_inches()
    width, height = w_in * 72, h_in * 72
    n = len(axes)
    gap = max(COLUMN_GAP / 2 / n * width, PAD)  # on each inner side of a column
    free = width - sum(lefts) - sum(rights) - 2 * PAD - 2 * (n - 1) * gap
    x = PAD
    for i, ax in enumerate(axes):
        x += (gap if i else 0.0) + lefts[i]
        w = free * ratios[i] / sum(ratios)
        ax.set_position((x / width, bottom / height, w / width, (height - top - bottom) / height))
        x += w + rights[i] + (gap if i < n - 1 else 0.0)


def place_distribution(fig, hist_ax, ecdf_ax, ratios: Sequence[float], tick_size: float, label_size: float,
                       title_size: float, suptitle_size: float) -> None:
    """Place a distribution chart's two axes (y tick labels and label on the left of
    each, x tick labels and label below, a title above, the figure's title above
    that), and put the figure's title where constrained layout puts it."""
    _, height = (v * 72 for v in fig.get_size_inches())
    line = text_size("lp", tick_size)[1]
    bottom = PAD + _tick_out(hist_ax.xaxis) + TICK_PAD + line + LABEL_PAD + text_size("lp", label_size)[1]
    sup = text_size("lp", suptitle_size, bold=True)[1]
    top = (sup + 2 * PAD) + PAD + TITLE_PAD + ascent(title_size)
    fig._suptitle.set_y(1 - PAD / height)
    axes = (hist_ax, ecdf_ax)
    # The vertical places first: how many y ticks matplotlib draws depends on the height.
    _place_row(fig, axes, ratios, [0.0, 0.0], [0.0, 0.0], bottom, top)
    ylabel = text_size("lp", label_size)[1]
    lefts = [_tick_out(ax.yaxis) + TICK_PAD + _y_labels_width(ax, tick_size) + LABEL_PAD + ylabel for ax in axes]
    rights = [0.0, 0.0]
    # Twice, as constrained layout does: x ticks depend on the widths found the first time.
    for _ in range(2):
        _place_row(fig, axes, ratios, lefts, rights, bottom, top)
        over = [_x_overhang(ax, fig.get_size_inches()[0] * 72, tick_size) for ax in axes]
        lefts = [max(lft, o[0]) for lft, o in zip(lefts, over)]
        rights = [o[1] for o in over]
    _place_row(fig, axes, ratios, lefts, rights, bottom, top)


def place_swimlane(fig, ax, legend, tick_size: float, lane_size: float, label_size: float) -> None:
    """Place a swimlane chart's axes: lane names on the left, time ticks and label
    below, the legend under them (at the figure's foot, where matplotlib puts a
    figure legend at 'lower center')."""
    width, height = (v * 72 for v in fig.get_size_inches())
    leg = legend_height(legend)
    bottom = (leg + 2 * PAD) + PAD + _tick_out(ax.xaxis) + TICK_PAD + text_size("lp", tick_size)[1] \
        + LABEL_PAD + text_size("lp", label_size)[1]
    top = PAD
    lanes = max((text_size(t.get_text(), lane_size)[0] for t in ax.get_yticklabels()), default=0.0)
    left = _tick_out(ax.yaxis) + TICK_PAD + lanes
    right = 0.0
    for _ in range(2):
        _place_row(fig, [ax], [1.0], [left], [right], bottom, top)
        lo, hi = _x_overhang(ax, width, tick_size, ax.texts)
        left, right = max(left, lo), hi


def legend_height(legend) -> float:
    """The legend's height in points, laid out as it will be drawn."""
    from matplotlib.backends.backend_svg import RendererSVG
    import io

    fig = legend.get_figure()
    renderer = RendererSVG(*(v * 72 for v in fig.get_size_inches()), io.StringIO())
    dpi = fig.dpi
    fig.dpi = 72  # as the SVG is written
    try:
        return legend.get_window_extent(renderer).height
    finally:
        fig.dpi = dpi
