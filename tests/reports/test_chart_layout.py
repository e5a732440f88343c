"""The charts are placed without matplotlib's constrained layout (reports/chart_layout.py
adds up the same margins from the sizes of the text): here each chart of a batch and
of a single-run report, and distributions of every scale, are laid out again by
constrained layout itself, which must put every axes and the figure's title where
chart_layout did; and nothing of a chart reaches past the edges of its figure."""

from __future__ import annotations

import io

import numpy as np
import pytest

from reports import charts
from scoring.series import distribution

#: How far (points) chart_layout may place an edge from where constrained layout puts it.
TOLERANCE = 0.25


@pytest.fixture
def figures(monkeypatch):
    """The matplotlib figures the charts drawn in the test are saved from."""
    drawn = []
    real = charts.to_svg

    def keep(fig, salt, title, desc):
        drawn.append(fig)
        return real(fig, salt, title, desc)

    monkeypatch.setattr(charts, "to_svg", keep)
    return drawn


def _edges(fig) -> list[float]:
    w, h = fig.get_size_inches() * 72
    out = []
    for ax in fig.axes:
        b = ax.get_position()
        out += [b.x0 * w, b.y0 * h, b.x1 * w, b.y1 * h]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_position()[1] * h)
    return out


def _as_constrained_layout_places_it(fig) -> list[float]:
    for ax in fig.axes:
        ax.set_in_layout(True)  # placing an axes by hand takes it out of any layout
    fig.set_layout_engine("constrained")
    # Saved as SVG, so that the layout measures text with the SVG backend, as the report does.
    fig.savefig(io.StringIO(), format="svg")
    return _edges(fig)


def _inside(fig) -> bool:
    from matplotlib.backends.backend_svg import RendererSVG

    fig.set_dpi(72)
    w, h = fig.get_size_inches() * 72
    box = fig.get_tightbbox(RendererSVG(w, h, io.StringIO())).bounds  # inches
    x, y, bw, bh = (v * 72 for v in box)
    return x >= -0.01 and y >= -0.01 and x + bw <= w + 0.01 and y + bh <= h + 0.01


def _check(figs) -> None:
    assert figs
    for fig in figs:
        assert _inside(fig), "a chart reaches past its figure"
        mine = _edges(fig)
        assert np.allclose(mine, _as_constrained_layout_places_it(fig), atol=TOLERANCE, rtol=0)


def test_a_batch_reports_charts_sit_where_constrained_layout_puts_them(batch_case, figures):
    batch_case.render("html")
    assert len(figures) >= 9  # the distributions and the first run's timeline
    _check(figures)


def test_a_single_runs_timeline_sits_where_constrained_layout_puts_it(single_case, figures):
    single_case.render("html")
    assert len(figures) == 1
    _check(figures)


@pytest.mark.parametrize("values", [
    [42.0] * 3,  # one bin, every run alike
    list(np.random.default_rng(1).lognormal(4.0, 0.4, 40)),  # seconds, a few runs
    list(np.random.default_rng(2).lognormal(9.0, 1.0, 20_000)),  # hours, tall bars: five-digit counts
    list(np.random.default_rng(3).lognormal(12.5, 0.3, 500)) + [float("inf")] * 50,  # days, some missed
    [float("inf")] * 5,  # nobody reached it: no bars
])
def test_distributions_of_every_scale_sit_where_constrained_layout_puts_them(values, figures):
    targets = [charts.Target(600.0, "objective 10m (scenario): met in 100% of runs"),
               charts.Target(7200.0, "objective 2h (severity P1, a longer label than most): met in 0% of runs")]
    charts.distribution_svg(distribution("ttr", values), "time to recover", targets, 0.9, salt="dist-ttr")
    charts.distribution_svg(distribution("ttr", values), "time to recover", [], None, salt="dist-ttr")
    _check(figures)
