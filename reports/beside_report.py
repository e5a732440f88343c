"""The section "Beside the public report": a scenario modelled on a real incident, its
public figures set beside the runs (``DrillResult.reported``, from
:mod:`scoring.public_report`). For a single run that has a prediction (a game day or a
tabletop), the predicted median stands beside the measure too."""

from __future__ import annotations

from typing import Any

from scoring.public_report import lede, ratio_text
from scoring.result import DrillResult

from . import fmt

#: Chip classes of the stylesheet, by word.
CHIP = {"within 2x": "met", "flatters: faster than half": "missed", "slower than double": "S", None: "none"}


def public_report(result: DrillResult) -> dict[str, Any] | None:
    """The section's view; None when the scenario has no ``reported`` figures."""
    rep = result.reported
    if rep is None:
        return None
    predicted = {m.metric: m for m in result.prediction.metrics} if result.prediction is not None else {}
    rows = []
    for m in rep.metrics:
        p = predicted.get(m.metric)
        rows.append({
            "label": m.label[:1].upper() + m.label[1:], "reported": fmt.duration(m.reported),
            "median": fmt.duration(m.median) if m.word is not None else "—",
            "band": fmt.interval(m.p10, m.p90, fmt.duration) if m.word is not None else "—",
            "measured": "—" if m.word is None else fmt.duration(m.measured),
            "predicted": "—" if p is None else f"{fmt.duration(p.median)} ({fmt.interval(p.p10, p.p90, fmt.duration)})",
            "ratio": ratio_text(m.ratio), "word": m.word or "not measured", "css": CHIP[m.word],
        })
    return {"single": rep.runs == 1, "source": rep.source, "note": rep.note, "rows": rows,
            "lede": lede(rep), "predicted": bool(predicted)}
