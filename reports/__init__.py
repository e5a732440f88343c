"""Reports people read, rendered from what scoring computed (no metric is computed
here): a self-contained HTML scorecard with inline SVG charts, the same in Markdown,
summary.json (the drill result's JSON), JUnit XML, a blameless post-mortem draft, an
HSEEP after-action report / improvement plan, and the public status page during a run.

Public API::

    render_report(result, fmt, *, scenario, team=None, timeline=None, series=None,
                  now=None, require_share=None) -> str
    render_files(result, *, ..., formats=("html", "md")) -> [(file name, bytes)]
    FORMATS, FILENAMES, ReportError

Only this package imports jinja2; matplotlib is imported only while a chart is drawn
(the HTML scorecard, in-process or by the chart workers of
:mod:`reports.chart_workers`), so commands that draw nothing never load it.
"""

from .render import FILENAMES, FORMATS, Format, ReportError, render_files, render_report

__all__ = ["FILENAMES", "FORMATS", "Format", "ReportError", "render_files", "render_report"]
