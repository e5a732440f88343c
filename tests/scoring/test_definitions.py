"""One meaning per metric: the registry states DESIGN.md's table, and scoring reads it."""

from __future__ import annotations

import pytest

from scenarios.timeline import MILESTONES
from scoring import METRICS, metric_label
from scoring.definitions import DEFINITIONS, definition

#: DESIGN.md, "Scores are differences of milestones".
DESIGN_TABLE = {
    "ttd": ("impact", "detected"), "tta": ("paged", "acknowledged"), "engage": ("detected", "engaged"),
    "ttm": ("impact", "mitigated"), "ttr": ("impact", "recovered"), "first_update": ("detected", "first_update"),
    "contain": ("detected", "contained"),
}


@pytest.mark.parametrize("name", sorted(DESIGN_TABLE))
def test_each_metric_spans_the_milestones_of_the_design(name):
    d = DEFINITIONS[name]
    assert (d.start, d.end) == DESIGN_TABLE[name]
    assert d.start in MILESTONES and d.end in MILESTONES
    assert d.unit == "seconds" and d.description


def test_scoring_reads_the_registry():
    assert list(METRICS) == list(DEFINITIONS)
    assert all(METRICS[n] == (d.label, d.start, d.end) for n, d in DEFINITIONS.items())
    assert metric_label("tta") == "time to acknowledge"
    assert metric_label("notify_regulator") == "time to notify regulator"
    assert definition("notify_customers").start == "detected"
    with pytest.raises(KeyError):
        definition("notify_")
