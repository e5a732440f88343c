"""The capabilities an after-action report is arranged by: scoring's, and
"cross-cutting" for anything that names none."""

from __future__ import annotations

from scoring.ratings import CAPABILITIES

CROSS_CUTTING = "cross-cutting"
CAPABILITY_ORDER: tuple[str, ...] = (*CAPABILITIES, CROSS_CUTTING)
#: Metric -> the capability it rates.
METRIC_CAPABILITY: dict[str, str] = {m: c for c, ms in CAPABILITIES.items() for m in ms}
